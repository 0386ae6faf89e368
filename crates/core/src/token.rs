//! The public `M2MToken` shape (reference §3), shared by the Backend API and JWT paths.

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

    /// [`M2mToken::to_public_json`] as JSON text, written directly (what the WASM boundary hands to
    /// `JSON.parse`): keys in the order of the reference's `M2MToken` (its constructor's), escapes as serde_json
    /// writes them.
    pub fn to_public_json_text(&self) -> String {
        let mut out = String::with_capacity(256 + self.token.as_ref().map_or(0, String::len));
        self.write_public_json(&mut out);
        out
    }

    fn write_public_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        js::push_json_string(out, &self.id);
        out.push_str(",\"subject\":");
        js::push_json_string(out, &self.subject);
        out.push_str(",\"scopes\":[");
        for (i, scope) in self.scopes.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            js::push_json_string(out, scope);
        }
        out.push_str("],\"claims\":");
        match &self.claims {
            Some(claims) => {
                out.push_str(&serde_json::to_string(claims).unwrap_or_else(|_| "null".into()))
            }
            None => out.push_str("null"),
        }
        out.push_str(if self.revoked {
            ",\"revoked\":true"
        } else {
            ",\"revoked\":false"
        });
        out.push_str(",\"revocationReason\":");
        match &self.revocation_reason {
            Some(reason) => js::push_json_string(out, reason),
            None => out.push_str("null"),
        }
        out.push_str(if self.expired {
            ",\"expired\":true"
        } else {
            ",\"expired\":false"
        });
        out.push_str(",\"expiration\":");
        match self.expiration {
            Some(ms) => push_i64(out, ms),
            None => out.push_str("null"),
        }
        out.push_str(",\"createdAt\":");
        push_i64(out, self.created_at);
        out.push_str(",\"updatedAt\":");
        push_i64(out, self.updated_at);
        if let Some(token) = &self.token {
            out.push_str(",\"token\":");
            js::push_json_string(out, token);
        }
        out.push('}');
    }
}

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    js::push_int(out, n.unsigned_abs());
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
        let mut out = String::with_capacity(64 + 320 * self.data.len());
        out.push_str("{\"data\":[");
        for (i, token) in self.data.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            token.write_public_json(&mut out);
        }
        out.push_str("],\"totalCount\":");
        js::push_int(&mut out, self.total_count);
        out.push('}');
        out
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
            "claims": claims, "revoked": true, "revocationReason": "why\u{0}\u{1f}", "expired": true,
            "expiration": -1_666_648_550_000i64, "createdAt": 0, "updatedAt": i64::MAX, "token": "mt_secret",
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
            "expired": false, "expiration": null, "createdAt": i64::MIN, "updatedAt": 9,
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
