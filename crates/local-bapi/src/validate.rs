//! Request validation against the OpenAPI schemas of the M2M and machines routes. Every violation is in
//! Clerk's error shape with `meta.param_name`: a 400 on the M2M routes (they document 400, not 422), a 422 on
//! the machines routes (which document 422 for invalid parameters); a malformed body is a 400 on both.

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

/// The first non-empty value of a query parameter.
fn first<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// An integer query parameter within `min..=max`; absent or empty = `default`.
fn query_integer(
    pairs: &[(String, String)],
    name: &str,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    let Some(raw) = first(pairs, name) else {
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
}

/// Unknown query parameters are ignored (`@clerk/backend` forwards any extra key); for a repeated key the
/// first value counts.
pub(crate) fn list_params(query: &str) -> Result<ListParams, ApiError> {
    let pairs = parse_query(query);
    let get = |name: &str| first(&pairs, name);
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
    Ok(ListParams {
        subject: subject.to_owned(),
        revoked: boolean("revoked")?,
        expired: boolean("expired")?,
        limit: query_integer(&pairs, "limit", 10, 1, 100)?,
        offset: query_integer(&pairs, "offset", 0, 0, usize::MAX)?,
    })
}

/// The machines routes (`/v1/machines…`). Their schemas do not forbid other body keys, but Clerk answers an
/// unknown parameter with `form_param_unknown`, and so does this server. Parameter errors are 422 there.
pub(crate) mod machines {
    use serde_json::{Map, Value};

    use super::{first, json_object, no_unknown, parse_query, query_integer};
    use crate::error::ApiError;

    /// `default_token_ttl`: integer 1..=315360000 (ten years).
    const MAX_TOKEN_TTL: u64 = 315_360_000;
    /// `previous_token_ttl`: integer 0..=28800 (eight hours).
    const MAX_PREVIOUS_TOKEN_TTL: u64 = 28_800;
    /// `scoped_machines` and `POST …/scopes`: at most 150 scopes per machine.
    pub(crate) const MAX_SCOPES: usize = 150;

    /// `name`: a string of 1 to 255 characters; `None` if absent or null.
    fn name(map: &Map<String, Value>) -> Result<Option<String>, ApiError> {
        match map.get("name") {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if (1..=255).contains(&s.chars().count()) => Ok(Some(s.clone())),
            Some(Value::String(_)) => Err(ApiError::param_value(
                "name",
                "between 1 and 255 characters long",
            )),
            Some(_) => Err(ApiError::param_format("name", "a string")),
        }
    }

    /// An integer within `min..=max` (an integral JSON float such as `60.0` counts); `None` if absent or null.
    fn integer(
        map: &Map<String, Value>,
        key: &str,
        min: u64,
        max: u64,
    ) -> Result<Option<u64>, ApiError> {
        let n = match map.get(key) {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Number(n)) => n,
            Some(_) => return Err(ApiError::param_format(key, "an integer")),
        };
        let value = n.as_f64().filter(|f| f.fract() == 0.0);
        let value = value.ok_or_else(|| ApiError::param_format(key, "an integer"))?;
        if value < min as f64 || value > max as f64 {
            return Err(ApiError::param_value(
                key,
                &format!("between {min} and {max}"),
            ));
        }
        Ok(Some(value as u64))
    }

    /// `POST /machines` body.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct NewMachine {
        pub name: String,
        /// Without duplicates, in the order given.
        pub scoped_machines: Vec<String>,
        /// Seconds; the spec's default 3600 when absent.
        pub default_token_ttl: u64,
    }

    pub(crate) fn create(body: &[u8]) -> Result<NewMachine, ApiError> {
        create_inner(body).map_err(ApiError::unprocessable)
    }

    fn create_inner(body: &[u8]) -> Result<NewMachine, ApiError> {
        let map = json_object(body)?;
        no_unknown(&map, &["name", "scoped_machines", "default_token_ttl"])?;
        let name = name(&map)?.ok_or_else(|| ApiError::param_missing("name"))?;
        let mut scoped_machines: Vec<String> = Vec::new();
        match map.get("scoped_machines") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    let Value::String(id) = item else {
                        return Err(ApiError::param_format(
                            "scoped_machines",
                            "an array of machine ids",
                        ));
                    };
                    if !scoped_machines.contains(id) {
                        scoped_machines.push(id.clone());
                    }
                }
            }
            Some(_) => {
                return Err(ApiError::param_format(
                    "scoped_machines",
                    "an array of machine ids",
                ))
            }
        }
        if scoped_machines.len() > MAX_SCOPES {
            return Err(ApiError::param_value(
                "scoped_machines",
                &format!("at most {MAX_SCOPES} machine ids"),
            ));
        }
        let default_token_ttl = integer(&map, "default_token_ttl", 1, MAX_TOKEN_TTL)?;
        Ok(NewMachine {
            name,
            scoped_machines,
            default_token_ttl: default_token_ttl.unwrap_or(3600),
        })
    }

    /// `PATCH /machines/{id}` body: only the fields given change.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct MachineUpdate {
        pub name: Option<String>,
        pub default_token_ttl: Option<u64>,
    }

    pub(crate) fn update(body: &[u8]) -> Result<MachineUpdate, ApiError> {
        (|| {
            let map = json_object(body)?;
            no_unknown(&map, &["name", "default_token_ttl"])?;
            Ok(MachineUpdate {
                name: name(&map)?,
                default_token_ttl: integer(&map, "default_token_ttl", 1, MAX_TOKEN_TTL)?,
            })
        })()
        .map_err(ApiError::unprocessable)
    }

    /// `POST /machines/{id}/secret_key/rotate` body: `previous_token_ttl` (seconds, required).
    pub(crate) fn rotate(body: &[u8]) -> Result<u64, ApiError> {
        (|| {
            let map = json_object(body)?;
            no_unknown(&map, &["previous_token_ttl"])?;
            integer(&map, "previous_token_ttl", 0, MAX_PREVIOUS_TOKEN_TTL)?
                .ok_or_else(|| ApiError::param_missing("previous_token_ttl"))
        })()
        .map_err(ApiError::unprocessable)
    }

    /// `POST /machines/{id}/scopes` body: `to_machine_id` (required).
    pub(crate) fn scope(body: &[u8]) -> Result<String, ApiError> {
        (|| {
            let map = json_object(body)?;
            no_unknown(&map, &["to_machine_id"])?;
            match map.get("to_machine_id") {
                None | Some(Value::Null) => Err(ApiError::param_missing("to_machine_id")),
                Some(Value::String(id)) => Ok(id.clone()),
                Some(_) => Err(ApiError::param_format("to_machine_id", "a string")),
            }
        })()
        .map_err(ApiError::unprocessable)
    }

    /// What `order_by` sorts on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) enum OrderField {
        Name,
        CreatedAt,
    }

    /// `GET /machines` query.
    #[derive(Debug, PartialEq, Eq)]
    pub(crate) struct ListParams {
        /// Exact id or part of the name (case-insensitive); `None` = every machine.
        pub query: Option<String>,
        pub order: OrderField,
        pub descending: bool,
        pub limit: usize,
        pub offset: usize,
    }

    /// Unknown query keys are ignored, as on the M2M list. `order_by` is `name` or `created_at`, with `+`
    /// (ascending, also implied) or `-`; a leading space counts as `+`, since an unencoded `+` in a query
    /// string decodes to one.
    pub(crate) fn list(query: &str) -> Result<ListParams, ApiError> {
        (|| {
            let pairs = parse_query(query);
            let order_by = first(&pairs, "order_by").unwrap_or("-created_at");
            let (descending, field) = match order_by.as_bytes().first() {
                Some(b'-') => (true, &order_by[1..]),
                Some(b'+' | b' ') => (false, &order_by[1..]),
                _ => (false, order_by),
            };
            let order = match field {
                "name" => OrderField::Name,
                "created_at" => OrderField::CreatedAt,
                _ => {
                    return Err(ApiError::param_value(
                        "order_by",
                        "name or created_at, optionally prefixed with + or -",
                    ))
                }
            };
            Ok(ListParams {
                query: first(&pairs, "query").map(str::to_owned),
                order,
                descending,
                limit: query_integer(&pairs, "limit", 10, 1, 500)?,
                offset: query_integer(&pairs, "offset", 0, 0, usize::MAX)?,
            })
        })()
        .map_err(ApiError::unprocessable)
    }
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

    #[test]
    fn machine_params() {
        use machines::*;
        let p = list("").unwrap();
        assert_eq!(
            (p.order, p.descending, p.limit, p.offset, p.query),
            (OrderField::CreatedAt, true, 10, 0, None)
        );
        for (q, order, descending) in [
            ("order_by=name", OrderField::Name, false),
            ("order_by=%2Bname", OrderField::Name, false),
            ("order_by=+name", OrderField::Name, false),
            ("order_by=-name", OrderField::Name, true),
            ("order_by=created_at", OrderField::CreatedAt, false),
        ] {
            let p = list(q).unwrap();
            assert_eq!((p.order, p.descending), (order, descending), "{q}");
        }
        let e = list("order_by=x").unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code),
            (422, "form_param_value_invalid")
        );
        assert_eq!(list("limit=500").unwrap().limit, 500);
        assert_eq!(list("limit=501").unwrap_err().status.as_u16(), 422);
        assert_eq!(list("query=a+b").unwrap().query.as_deref(), Some("a b"));

        let m = create(br#"{"name":"n","scoped_machines":["x","y","x"]}"#).unwrap();
        assert_eq!(m.scoped_machines, ["x", "y"]);
        assert_eq!(m.default_token_ttl, 3600);
        let e = create(b"{").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (400, "request_body_invalid"));
        let e = create(b"").unwrap_err();
        assert_eq!((e.status.as_u16(), e.code), (422, "form_param_missing"));
        assert_eq!(
            update(b"").unwrap(),
            MachineUpdate {
                name: None,
                default_token_ttl: None
            }
        );
        assert_eq!(rotate(br#"{"previous_token_ttl":0}"#).unwrap(), 0);
        assert_eq!(rotate(br#"{"previous_token_ttl":60.0}"#).unwrap(), 60);
        assert_eq!(scope(br#"{"to_machine_id":"m"}"#).unwrap(), "m");
    }
}
