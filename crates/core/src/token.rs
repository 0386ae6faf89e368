//! The public `M2MToken` shape (reference §3), shared by the Backend API and JWT paths.

use serde_json::{Map, Value};

/// An M2M token as the JS API returns it (`M2MToken`). Timestamps are Unix milliseconds.
#[derive(Debug, Clone, PartialEq)]
pub struct M2mToken {
    /// `mt_…` id (the `jti` on the JWT path, `''` when absent).
    pub id: String,
    /// The machine that owns (sent) the token, `mch_…`.
    pub subject: String,
    /// Machine ids this token may call.
    pub scopes: Vec<String>,
    /// Custom claims, or `None`.
    pub claims: Option<Map<String, Value>>,
    /// Whether the token was revoked (always `false` on the JWT path: revocation is not checked locally).
    pub revoked: bool,
    /// Why it was revoked.
    pub revocation_reason: Option<String>,
    /// Whether it has expired.
    pub expired: bool,
    /// Expiry in ms, `None` for tokens that never expire.
    pub expiration: Option<i64>,
    /// Creation time in ms.
    pub created_at: i64,
    /// Last update in ms.
    pub updated_at: i64,
    /// The token secret (opaque `mt_…` or a JWT); only present on create (and some verify responses).
    pub token: Option<String>,
}

impl M2mToken {
    /// The camelCase JSON object handed to JS. `token` is left out when absent, like the reference's
    /// `undefined`.
    pub fn to_public_json(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), Value::from(self.id.clone()));
        o.insert("subject".into(), Value::from(self.subject.clone()));
        o.insert("scopes".into(), Value::from(self.scopes.clone()));
        o.insert(
            "claims".into(),
            self.claims.clone().map_or(Value::Null, Value::Object),
        );
        o.insert("revoked".into(), Value::from(self.revoked));
        o.insert(
            "revocationReason".into(),
            self.revocation_reason
                .clone()
                .map_or(Value::Null, Value::from),
        );
        o.insert("expired".into(), Value::from(self.expired));
        o.insert(
            "expiration".into(),
            self.expiration.map_or(Value::Null, Value::from),
        );
        o.insert("createdAt".into(), Value::from(self.created_at));
        o.insert("updatedAt".into(), Value::from(self.updated_at));
        if let Some(token) = &self.token {
            o.insert("token".into(), Value::from(token.clone()));
        }
        Value::Object(o)
    }
}

/// One page of `list()`: `PaginatedResourceResponse<M2MToken[]>`.
#[derive(Debug, Clone, PartialEq)]
pub struct M2mTokenPage {
    /// The tokens on this page, newest first.
    pub data: Vec<M2mToken>,
    /// Total number of tokens matching the filters.
    pub total_count: u64,
}

impl M2mTokenPage {
    /// `{ data, totalCount }`.
    pub fn to_public_json(&self) -> Value {
        let data: Vec<Value> = self.data.iter().map(M2mToken::to_public_json).collect();
        let mut o = Map::new();
        o.insert("data".into(), Value::Array(data));
        o.insert("totalCount".into(), Value::from(self.total_count));
        Value::Object(o)
    }
}
