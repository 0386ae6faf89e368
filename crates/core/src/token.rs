//! The public `M2MToken` shape (reference §3), shared by the Backend API and JWT paths.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::js;

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
        serde_json::from_str(&self.to_public_json_text()).unwrap_or(Value::Null)
    }

    /// [`M2mToken::to_public_json`] as JSON text.
    pub fn to_public_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The public shape, `M2MToken` as the reference builds it: keys in the order of its constructor, `null` for what
/// is absent but `token` (left out), and every number one a JS number holds ([`js::JsJson`]). The WASM boundary
/// hands this to JS through serde-wasm-bindgen; [`M2mToken::to_public_json_text`] is the same through serde_json.
impl Serialize for M2mToken {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("M2MToken", 11)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("subject", &self.subject)?;
        out.serialize_field("scopes", &self.scopes)?;
        out.serialize_field("claims", &self.claims.as_ref().map(js::JsJsonObject))?;
        out.serialize_field("revoked", &self.revoked)?;
        out.serialize_field("revocationReason", &self.revocation_reason)?;
        out.serialize_field("expired", &self.expired)?;
        out.serialize_field("expiration", &self.expiration.map(js::JsInteger))?;
        out.serialize_field("createdAt", &js::JsInteger(self.created_at))?;
        out.serialize_field("updatedAt", &js::JsInteger(self.updated_at))?;
        if let Some(token) = &self.token {
            out.serialize_field("token", token)?;
        }
        out.end()
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
        serde_json::from_str(&self.to_public_json_text()).unwrap_or(Value::Null)
    }

    /// [`M2mTokenPage::to_public_json`] as JSON text.
    pub fn to_public_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `PaginatedResourceResponse<M2MToken[]>`: `{ data, totalCount }`.
impl Serialize for M2mTokenPage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("PaginatedResourceResponse", 2)?;
        out.serialize_field("data", &self.data)?;
        out.serialize_field("totalCount", &js::JsInteger(self.total_count))?;
        out.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_json_text_is_serde_jsons_text_of_the_public_shape() {
        let claims = json!({"aud": ["a"], "n": 1.5, "q": "\"\\\u{1}\u{7f}é", "big": 12345678901234567890u64});
        // What a JS number holds of the numbers beyond 2^53: the nearest double.
        let js_claims = json!({"aud": ["a"], "n": 1.5, "q": "\"\\\u{1}\u{7f}é", "big": 12345678901234567890u64 as f64});
        let full = M2mToken {
            id: "mt_\"x\\\n".into(),
            subject: "mch_é\u{2028}".into(),
            scopes: vec!["a".into(), "".into(), "\t\u{8}\u{c}\r".into()],
            claims: claims.as_object().cloned(),
            revoked: true,
            revocation_reason: Some("why\u{0}\u{1f}".into()),
            expired: true,
            expiration: Some(-1_666_648_550_000),
            created_at: 0,
            updated_at: i64::MAX,
            token: Some("mt_secret".into()),
        };
        // In the order of the reference's `M2MToken` constructor (`json!` keeps it: preserve_order).
        let expected = json!({
            "id": "mt_\"x\\\n", "subject": "mch_é\u{2028}", "scopes": ["a", "", "\t\u{8}\u{c}\r"],
            "claims": js_claims, "revoked": true, "revocationReason": "why\u{0}\u{1f}", "expired": true,
            "expiration": -1_666_648_550_000i64, "createdAt": 0, "updatedAt": i64::MAX as f64, "token": "mt_secret",
        });
        assert_eq!(full.to_public_json_text(), expected.to_string());
        let empty = M2mToken {
            id: String::new(),
            subject: String::new(),
            scopes: vec![],
            claims: None,
            revoked: false,
            revocation_reason: None,
            expired: false,
            expiration: None,
            created_at: i64::MIN,
            updated_at: 9,
            token: None,
        };
        let expected_empty = json!({
            "id": "", "subject": "", "scopes": [], "claims": null, "revoked": false, "revocationReason": null,
            "expired": false, "expiration": null, "createdAt": i64::MIN as f64, "updatedAt": 9,
        });
        assert_eq!(empty.to_public_json_text(), expected_empty.to_string());
        let page = M2mTokenPage {
            data: vec![full, empty],
            total_count: 7,
        };
        assert_eq!(
            page.to_public_json_text(),
            json!({"data": [expected, expected_empty], "totalCount": 7}).to_string()
        );
        assert_eq!(page.to_public_json()["totalCount"], 7);
    }
}
