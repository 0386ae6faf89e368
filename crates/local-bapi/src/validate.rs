//! Request validation against the OpenAPI schemas of the M2M routes. Every violation is a 400 in Clerk's
//! error shape with `meta.param_name` (the M2M routes document 400, not 422).

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::ids;

/// Parses a JSON object body. An empty body counts as `{}`; malformed JSON or a non-object is a 400.
pub(crate) fn json_object(body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::body_invalid(
            "The request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::body_invalid(&format!(
            "The request body is not valid JSON: {e}"
        ))),
    }
}

/// `additionalProperties: false`.
fn no_unknown(map: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(ApiError::param_unknown(unknown)),
        None => Ok(()),
    }
}

/// `token_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Opaque,
    Jwt,
}

/// `POST /m2m_tokens` body.
#[derive(Debug)]
pub(crate) struct CreateParams {
    pub format: Format,
    /// Seconds, > 0; `None` = never expires (or the machine's default TTL).
    pub seconds_until_expiration: Option<f64>,
    /// `Null` or an object.
    pub claims: Value,
    pub min_remaining_ttl_seconds: Option<f64>,
}

/// `seconds_until_expiration`: number > 0 or null (`exclusiveMinimum`).
/// `min_remaining_ttl_seconds`: integer >= 0; `null` is taken as absent, since `@clerk/backend` sends it.
pub(crate) fn create_params(body: &[u8]) -> Result<CreateParams, ApiError> {
    let map = json_object(body)?;
    no_unknown(
        &map,
        &[
            "token_format",
            "seconds_until_expiration",
            "claims",
            "min_remaining_ttl_seconds",
        ],
    )?;
    let format = match map.get("token_format") {
        None => Format::Opaque,
        Some(Value::String(s)) if s == "opaque" => Format::Opaque,
        Some(Value::String(s)) if s == "jwt" => Format::Jwt,
        Some(Value::String(_)) => {
            return Err(ApiError::param_value("token_format", "one of: opaque, jwt"))
        }
        Some(_) => {
            return Err(ApiError::param_format(
                "token_format",
                "a string (opaque or jwt)",
            ))
        }
    };
    let seconds_until_expiration = match map.get("seconds_until_expiration") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s > 0.0 => Some(s),
            _ => {
                return Err(ApiError::param_value(
                    "seconds_until_expiration",
                    "greater than 0",
                ))
            }
        },
        Some(_) => {
            return Err(ApiError::param_format(
                "seconds_until_expiration",
                "a number or null",
            ))
        }
    };
    let claims = match map.get("claims") {
        None | Some(Value::Null) => Value::Null,
        Some(obj @ Value::Object(_)) => obj.clone(),
        Some(_) => return Err(ApiError::param_format("claims", "an object or null")),
    };
    let min_remaining_ttl_seconds = match map.get("min_remaining_ttl_seconds") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(s) if s.fract() != 0.0 => {
                return Err(ApiError::param_format(
                    "min_remaining_ttl_seconds",
                    "an integer",
                ))
            }
            Some(s) if s >= 0.0 => Some(s),
            _ => {
                return Err(ApiError::param_value(
                    "min_remaining_ttl_seconds",
                    "at least 0",
                ))
            }
        },
        Some(_) => {
            return Err(ApiError::param_format(
                "min_remaining_ttl_seconds",
                "an integer",
            ))
        }
    };
    Ok(CreateParams {
        format,
        seconds_until_expiration,
        claims,
        min_remaining_ttl_seconds,
    })
}

/// `POST /m2m_tokens/{id}/revoke` body: `{"revocation_reason": string|null}`.
pub(crate) fn revoke_params(body: &[u8]) -> Result<Option<String>, ApiError> {
    let map = json_object(body)?;
    no_unknown(&map, &["revocation_reason"])?;
    match map.get("revocation_reason") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::param_format(
            "revocation_reason",
            "a string or null",
        )),
    }
}

/// `POST /m2m_tokens/verify` body: `{"token": string}` (required).
pub(crate) fn verify_params(body: &[u8]) -> Result<String, ApiError> {
    let map = json_object(body)?;
    no_unknown(&map, &["token"])?;
    match map.get("token") {
        None => Err(ApiError::param_missing("token")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::param_format("token", "a string")),
    }
}

/// The `m2m_token_id` path parameter.
pub(crate) fn token_id(id: &str) -> Result<(), ApiError> {
    if ids::is_token_id(id) {
        Ok(())
    } else {
        Err(ApiError::param_format(
            "m2m_token_id",
            "a token id matching ^mt_[0-9A-Fa-f]{32}$",
        ))
    }
}

/// `GET /m2m_tokens` query.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ListParams {
    pub subject: String,
    /// Include revoked tokens.
    pub revoked: bool,
    /// Include expired tokens.
    pub expired: bool,
    pub limit: usize,
    pub offset: usize,
}

/// Unknown query parameters are ignored (`@clerk/backend` forwards any extra key); for a repeated key the
/// first value counts.
pub(crate) fn list_params(query: &str) -> Result<ListParams, ApiError> {
    let pairs = parse_query(query);
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    let subject = get("subject").ok_or_else(|| ApiError::param_missing("subject"))?;
    if !ids::is_machine_id(subject) {
        return Err(ApiError::param_format(
            "subject",
            "a machine id matching ^mch_\\w{27}$",
        ));
    }
    let boolean = |name: &str| match get(name) {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::param_format(name, "a boolean (true or false)")),
    };
    let integer = |name: &str, default: usize, min: usize, max: usize| -> Result<usize, ApiError> {
        let Some(raw) = get(name) else {
            return Ok(default);
        };
        let range = if max == usize::MAX {
            format!("at least {min}")
        } else {
            format!("between {min} and {max}")
        };
        let n: f64 = raw
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && n.fract() == 0.0)
            .ok_or_else(|| ApiError::param_format(name, "an integer"))?;
        if n < min as f64 || n > max as f64 {
            return Err(ApiError::param_value(name, &range));
        }
        Ok(n as usize)
    };
    Ok(ListParams {
        subject: subject.to_owned(),
        revoked: boolean("revoked")?,
        expired: boolean("expired")?,
        limit: integer("limit", 10, 1, 100)?,
        offset: integer("offset", 0, 0, usize::MAX)?,
    })
}

/// `application/x-www-form-urlencoded` decoding of a query string.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match bytes.get(i + 1..i + 3) {
                Some(&[h, l]) if h.is_ascii_hexdigit() && l.is_ascii_hexdigit() => {
                    out.push(hex_value(h) << 4 | hex_value(l));
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> u8 {
    char::from(digit).to_digit(16).map_or(0, |d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBJECT: &str = "mch_abcdefghijklmnopqrstuvwxyz1";

    #[test]
    fn query_decoding() {
        assert_eq!(
            parse_query("a=1+2&b=%41%zz&c&d=%4"),
            vec![
                ("a".into(), "1 2".into()),
                ("b".into(), "A%zz".into()),
                ("c".into(), "".into()),
                ("d".into(), "%4".into())
            ]
        );
    }

    #[test]
    fn list_defaults_and_errors() {
        let p = list_params(&format!("subject={SUBJECT}")).unwrap();
        assert_eq!(
            (p.revoked, p.expired, p.limit, p.offset),
            (false, false, 10, 0)
        );
        let code = |q: &str| list_params(q).unwrap_err();
        assert_eq!(code("").code, "form_param_missing");
        assert_eq!(code("subject=mch_x").code, "form_param_format_invalid");
        let e = code(&format!("subject={SUBJECT}&limit=0"));
        assert_eq!(
            (e.code, e.param_name.as_deref()),
            ("form_param_value_invalid", Some("limit"))
        );
        assert_eq!(
            code(&format!("subject={SUBJECT}&limit=101")).code,
            "form_param_value_invalid"
        );
        assert_eq!(
            code(&format!("subject={SUBJECT}&limit=x")).code,
            "form_param_format_invalid"
        );
        assert_eq!(
            code(&format!("subject={SUBJECT}&offset=-1")).code,
            "form_param_value_invalid"
        );
        assert_eq!(
            code(&format!("subject={SUBJECT}&revoked=yes")).code,
            "form_param_format_invalid"
        );
    }
}
