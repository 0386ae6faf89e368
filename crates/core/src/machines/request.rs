//! The params of the nine `machines.*` calls, checked, and the requests `@clerk/backend`'s `MachineApi` builds
//! from them: method, path below `{apiUrl}/{apiVersion}`, query and body.
//!
//! The reference snake_cases the caller's keys and keeps their order, in the query (`list`) and in the body
//! (`create`, `update`), and leaves falsy query values out; so does this module, for the keys each call knows.
//! The snake_case spellings the reference would send as they are (`scoped_machines`, `default_token_ttl`,
//! `order_by`) are accepted too. Anything else is refused before any request, as in [`crate::params`]:
//! unknown keys, an empty id, a value of the wrong type or outside the range of the Backend API's spec.

use serde_json::{Map, Value};

use crate::error::Error;
use crate::js::{push_int, write_json, write_string};
use crate::params::{as_safe_integer, parse_timeout, unknown_key, TimeoutOverride, COMMON_KEYS};
use crate::ports::Method;
use crate::wire::form_pair;

/// One of the nine calls of `clerkClient.machines`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `get(machineId)`
    Get,
    /// `list(queryParams?)`
    List,
    /// `create({ name, scopedMachines?, defaultTokenTtl? })`
    Create,
    /// `update({ machineId, name?, defaultTokenTtl? })`
    Update,
    /// `delete(machineId)`
    Delete,
    /// `getSecretKey(machineId)`
    GetSecretKey,
    /// `rotateSecretKey({ machineId, previousTokenTtl })`
    RotateSecretKey,
    /// `createScope(machineId, toMachineId)`
    CreateScope,
    /// `deleteScope(machineId, otherMachineId)`
    DeleteScope,
}

const OPERATIONS: [(&str, Operation); 9] = [
    ("get", Operation::Get),
    ("list", Operation::List),
    ("create", Operation::Create),
    ("update", Operation::Update),
    ("delete", Operation::Delete),
    ("getSecretKey", Operation::GetSecretKey),
    ("rotateSecretKey", Operation::RotateSecretKey),
    ("createScope", Operation::CreateScope),
    ("deleteScope", Operation::DeleteScope),
];

impl Operation {
    /// The operation of a JS method name (`getSecretKey`), `None` for any other name.
    pub fn from_name(name: &str) -> Option<Self> {
        OPERATIONS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, op)| *op)
    }

    /// The JS method name.
    pub fn name(self) -> &'static str {
        OPERATIONS
            .iter()
            .find(|(_, op)| *op == self)
            .map_or("", |(n, _)| *n)
    }

    /// The HTTP method the reference uses.
    pub fn method(self) -> Method {
        match self {
            Operation::Get | Operation::List | Operation::GetSecretKey => Method::Get,
            Operation::Create | Operation::RotateSecretKey | Operation::CreateScope => Method::Post,
            Operation::Update => Method::Patch,
            Operation::Delete | Operation::DeleteScope => Method::Delete,
        }
    }

    /// Whether the call only reads, and so may be retried (`GET`); a write is sent exactly once.
    pub fn is_read(self) -> bool {
        self.method() == Method::Get
    }
}

/// A checked `machines.*` call: what goes on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineRequest {
    /// The call.
    pub operation: Operation,
    /// Path segments below `{apiUrl}/{apiVersion}`: `machines`, then the ids and sub-resources.
    pub segments: Vec<String>,
    /// The query string without `?` (`list` only; empty when there is none).
    pub query: String,
    /// The JSON body, or `None`: no body at all (every `GET` and `DELETE`, and an `update` with nothing to change).
    pub body: Option<String>,
    /// Per-call timeout.
    pub timeout_ms: TimeoutOverride,
}

/// `orderBy` values of `GetMachineListParams` (`WithSign<'name' | 'created_at'>`).
const ORDER_BY: [&str; 6] = [
    "name",
    "+name",
    "-name",
    "created_at",
    "+created_at",
    "-created_at",
];

/// Spec bounds (`bapi-2026-05-12.yml`): `limit`, `default_token_ttl`, `previous_token_ttl`.
const MAX_LIMIT: i64 = 500;
const MAX_DEFAULT_TOKEN_TTL: i64 = 315_360_000;
const MAX_PREVIOUS_TOKEN_TTL: i64 = 28_800;

fn integer_in(name: &str, v: &Value, min: i64, max: i64) -> Result<i64, Error> {
    as_safe_integer(v)
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| {
            Error::invalid_argument(
                [
                    name,
                    " must be an integer between ",
                    itoa::Buffer::new().format(min),
                    " and ",
                    itoa::Buffer::new().format(max),
                ]
                .concat(),
            )
        })
}

fn id(name: &str, v: &Value) -> Result<String, Error> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(missing_id(name)),
    }
}

/// The reference's `requireId` message, then which parameter.
fn missing_id(name: &str) -> Error {
    Error::invalid_argument(
        [
            "A valid resource ID is required: ",
            name,
            " must be a non-empty string",
        ]
        .concat(),
    )
}

fn non_empty_string(name: &str, v: &Value) -> Result<String, Error> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        _ => Err(Error::invalid_argument(
            [name, " must be a non-empty string"].concat(),
        )),
    }
}

fn machine_ids(name: &str, v: &Value) -> Result<Vec<String>, Error> {
    let wrong = || {
        Error::invalid_argument(
            [name, " must be an array of machine ids (non-empty strings)"].concat(),
        )
    };
    v.as_array()
        .ok_or_else(wrong)?
        .iter()
        .map(|item| match item {
            Value::String(s) if !s.is_empty() => Ok(s.clone()),
            _ => Err(wrong()),
        })
        .collect()
}

/// A JSON body in the caller's key order, as `JSON.stringify` writes it.
#[derive(Default)]
struct Body {
    text: String,
    /// Which snake_case keys are in it (a key given in both spellings is refused).
    keys: Vec<&'static str>,
}

impl Body {
    fn field(
        &mut self,
        key: &'static str,
        given_as: &str,
        write: impl FnOnce(&mut String),
    ) -> Result<(), Error> {
        if self.keys.contains(&key) {
            return Err(Error::invalid_argument(
                [given_as, " is given twice (camelCase and snake_case)"].concat(),
            ));
        }
        self.keys.push(key);
        self.text.push(if self.text.is_empty() { '{' } else { ',' });
        write_string(key, &mut self.text);
        self.text.push(':');
        write(&mut self.text);
        Ok(())
    }

    /// The body text, `None` when no key was written (the reference then sends no body).
    fn finish(mut self) -> Option<String> {
        if self.text.is_empty() {
            return None;
        }
        self.text.push('}');
        Some(self.text)
    }
}

impl MachineRequest {
    /// Checks the params of `machines.<operation>` and builds its request. The positional arguments of the JS
    /// API come as keys: `get(machineId)` is `{ machineId }`, `createScope(machineId, toMachineId)` is
    /// `{ machineId, toMachineId }`, `deleteScope(machineId, otherMachineId)` is `{ machineId, otherMachineId }`.
    /// `list` also takes `null` (no params).
    ///
    /// ```
    /// use clerk_m2m_core::machines::{MachineRequest, Operation};
    /// let r = MachineRequest::parse(Operation::Create, &serde_json::json!({
    ///     "name": "orders", "defaultTokenTtl": 60, "scopedMachines": ["mch_1"]
    /// })).unwrap();
    /// assert_eq!(r.segments, ["machines"]);
    /// assert_eq!(r.body.as_deref(), Some(r#"{"name":"orders","default_token_ttl":60,"scoped_machines":["mch_1"]}"#));
    /// let r = MachineRequest::parse(Operation::List, &serde_json::json!({ "query": "a b", "offset": 0, "limit": 5 })).unwrap();
    /// assert_eq!(r.query, "query=a+b&limit=5");
    /// assert!(MachineRequest::parse(Operation::Get, &serde_json::json!({ "machineId": "" })).is_err());
    /// ```
    pub fn parse(operation: Operation, params: &Value) -> Result<Self, Error> {
        let call = ["machines.", operation.name()].concat();
        let empty = Map::new();
        let map = match params {
            Value::Object(map) => map,
            Value::Null if operation == Operation::List => &empty,
            _ => {
                return Err(Error::invalid_argument(
                    [&call, " params must be an object"].concat(),
                ))
            }
        };
        let mut machine_id = None;
        let mut other_id = None;
        let mut previous_token_ttl = None;
        let mut name_given = false;
        let mut body = Body::default();
        let mut query = String::new();
        let mut timeout_ms = None;
        for (key, v) in map {
            use Operation as Op;
            match (operation, key.as_str()) {
                (
                    Op::Get
                    | Op::Update
                    | Op::Delete
                    | Op::GetSecretKey
                    | Op::RotateSecretKey
                    | Op::CreateScope
                    | Op::DeleteScope,
                    "machineId",
                ) => machine_id = Some(id(key, v)?),
                (Op::CreateScope, "toMachineId") | (Op::DeleteScope, "otherMachineId") => {
                    other_id = Some(id(key, v)?)
                }
                (Op::Create | Op::Update, "name") => {
                    let name = non_empty_string(key, v)?;
                    name_given = true;
                    body.field("name", key, |out| write_string(&name, out))?;
                }
                (Op::Create, "scopedMachines" | "scoped_machines") => {
                    let ids = machine_ids(key, v)?;
                    body.field("scoped_machines", key, |out| {
                        write_json(&Value::from(ids), out)
                    })?;
                }
                (Op::Create | Op::Update, "defaultTokenTtl" | "default_token_ttl") => {
                    let ttl = integer_in(key, v, 1, MAX_DEFAULT_TOKEN_TTL)?;
                    body.field("default_token_ttl", key, |out| push_int(out, ttl))?;
                }
                (Op::RotateSecretKey, "previousTokenTtl") => {
                    previous_token_ttl = Some(integer_in(key, v, 0, MAX_PREVIOUS_TOKEN_TTL)?)
                }
                (Op::List, "limit") if !v.is_null() => {
                    let limit = integer_in(key, v, 1, MAX_LIMIT)?;
                    form_pair("limit", itoa::Buffer::new().format(limit), &mut query);
                }
                (Op::List, "offset") if !v.is_null() => {
                    let offset = integer_in(key, v, 0, crate::params::MAX_SAFE_INTEGER)?;
                    if offset != 0 {
                        form_pair("offset", itoa::Buffer::new().format(offset), &mut query);
                    }
                }
                (Op::List, "query") => match v {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    Value::String(s) => form_pair("query", s, &mut query),
                    _ => return Err(Error::invalid_argument([key, " must be a string"].concat())),
                },
                (Op::List, "orderBy" | "order_by") if !v.is_null() => {
                    match v.as_str().filter(|s| ORDER_BY.contains(s)) {
                        Some(order) => form_pair("order_by", order, &mut query),
                        None => {
                            return Err(Error::invalid_argument(
                                [
                                    key,
                                    " must be one of name, created_at, each optionally prefixed with + or -",
                                ]
                                .concat(),
                            ))
                        }
                    }
                }
                (Op::List, "limit" | "offset" | "orderBy" | "order_by") => {}
                (_, "timeoutMs") => timeout_ms = Some(parse_timeout(v)?),
                (_, k) if COMMON_KEYS.contains(&k) => {}
                _ => return Err(unknown_key(&call, key)),
            }
        }
        if operation == Operation::List {
            // `order_by` given twice would be sent twice; the reference cannot send it twice.
            if map.contains_key("orderBy") && map.contains_key("order_by") {
                return Err(Error::invalid_argument(
                    "orderBy is given twice (camelCase and snake_case)",
                ));
            }
        }
        if operation == Operation::Create && !name_given {
            return Err(Error::invalid_argument("name must be a non-empty string"));
        }
        let mut segments = vec!["machines".to_owned()];
        if operation != Operation::Create && operation != Operation::List {
            segments.push(machine_id.ok_or_else(|| missing_id("machineId"))?);
        }
        match operation {
            Operation::GetSecretKey => segments.push("secret_key".to_owned()),
            Operation::RotateSecretKey => {
                let ttl = previous_token_ttl.ok_or_else(|| {
                    Error::invalid_argument(
                        "previousTokenTtl must be an integer between 0 and 28800",
                    )
                })?;
                segments.extend(["secret_key".to_owned(), "rotate".to_owned()]);
                body.field("previous_token_ttl", "previousTokenTtl", |out| {
                    push_int(out, ttl)
                })?;
            }
            Operation::CreateScope => {
                let to = other_id.ok_or_else(|| missing_id("toMachineId"))?;
                segments.push("scopes".to_owned());
                body.field("to_machine_id", "toMachineId", |out| write_string(&to, out))?;
            }
            Operation::DeleteScope => {
                segments.push("scopes".to_owned());
                segments.push(other_id.ok_or_else(|| missing_id("otherMachineId"))?);
            }
            _ => {}
        }
        Ok(MachineRequest {
            operation,
            segments,
            query,
            body: body.finish(),
            timeout_ms,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(op: Operation, params: Value) -> Result<MachineRequest, String> {
        MachineRequest::parse(op, &params).map_err(|e| e.to_string())
    }

    #[test]
    fn names_round_trip_and_methods_are_the_references() {
        for (name, op) in OPERATIONS {
            assert_eq!(Operation::from_name(name), Some(op));
            assert_eq!(op.name(), name);
        }
        assert_eq!(Operation::from_name("listAll"), None);
        assert_eq!(Operation::Update.method(), Method::Patch);
        assert_eq!(Operation::DeleteScope.method(), Method::Delete);
        let reads: Vec<_> = OPERATIONS
            .iter()
            .filter(|(_, op)| op.is_read())
            .map(|(n, _)| *n)
            .collect();
        assert_eq!(reads, ["get", "list", "getSecretKey"]);
    }

    #[test]
    fn paths_and_bodies() {
        let r = parse(Operation::Get, json!({"machineId": "mch_1"})).unwrap();
        assert_eq!(
            (r.segments, r.body),
            (vec!["machines".into(), "mch_1".into()], None)
        );
        let r = parse(Operation::GetSecretKey, json!({"machineId": "mch_1"})).unwrap();
        assert_eq!(r.segments, ["machines", "mch_1", "secret_key"]);
        let r = parse(
            Operation::RotateSecretKey,
            json!({"previousTokenTtl": 0, "machineId": "mch_1"}),
        )
        .unwrap();
        assert_eq!(r.segments, ["machines", "mch_1", "secret_key", "rotate"]);
        assert_eq!(r.body.as_deref(), Some(r#"{"previous_token_ttl":0}"#));
        let r = parse(
            Operation::CreateScope,
            json!({"machineId": "mch_1", "toMachineId": "mch_2"}),
        )
        .unwrap();
        assert_eq!(r.segments, ["machines", "mch_1", "scopes"]);
        assert_eq!(r.body.as_deref(), Some(r#"{"to_machine_id":"mch_2"}"#));
        let r = parse(
            Operation::DeleteScope,
            json!({"machineId": "mch_1", "otherMachineId": "mch_2"}),
        )
        .unwrap();
        assert_eq!(
            (r.segments.join("/"), r.body),
            ("machines/mch_1/scopes/mch_2".to_owned(), None)
        );
        // update: the rest of the params in the caller's order; nothing to change is no body at all.
        let r = parse(
            Operation::Update,
            json!({"defaultTokenTtl": 60, "machineId": "mch_1", "name": "n\"x"}),
        )
        .unwrap();
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"default_token_ttl":60,"name":"n\"x"}"#)
        );
        assert_eq!(
            parse(
                Operation::Update,
                json!({"machineId": "mch_1", "timeoutMs": 5})
            )
            .unwrap()
            .body,
            None
        );
        // create: Clerk's own test passes snake_case keys; the reference sends them as they are.
        let r = parse(
            Operation::Create,
            json!({"name": "New Machine", "scoped_machines": ["mch_2"], "default_token_ttl": 7200}),
        )
        .unwrap();
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"name":"New Machine","scoped_machines":["mch_2"],"default_token_ttl":7200}"#)
        );
        assert_eq!(r.segments, ["machines"]);
        let r = parse(
            Operation::Create,
            json!({"scopedMachines": [], "name": "x"}),
        )
        .unwrap();
        assert_eq!(
            r.body.as_deref(),
            Some(r#"{"scoped_machines":[],"name":"x"}"#)
        );
    }

    #[test]
    fn list_queries_keep_the_callers_order_and_drop_falsy_values() {
        let q = |v: Value| parse(Operation::List, v).unwrap().query;
        assert_eq!(q(Value::Null), "");
        assert_eq!(q(json!({})), "");
        assert_eq!(
            q(json!({"limit": 10, "offset": 5, "query": "test"})),
            "limit=10&offset=5&query=test"
        );
        assert_eq!(
            q(json!({"query": "a&b=c", "orderBy": "+name"})),
            "query=a%26b%3Dc&order_by=%2Bname"
        );
        assert_eq!(
            q(json!({"order_by": "-created_at", "offset": 0, "query": "", "limit": null})),
            "order_by=-created_at"
        );
        assert_eq!(
            q(json!({"limit": 500.0, "orderBy": null, "query": null})),
            "limit=500"
        );
    }

    #[test]
    fn bad_params_are_type_errors_naming_the_parameter() {
        let cases = [
            (
                Operation::Get,
                json!({}),
                "A valid resource ID is required: machineId must be a non-empty string",
            ),
            (
                Operation::Get,
                json!({"machineId": ""}),
                "A valid resource ID is required: machineId must be a non-empty string",
            ),
            (
                Operation::Delete,
                json!({"machineId": 7}),
                "A valid resource ID is required: machineId must be a non-empty string",
            ),
            (
                Operation::Get,
                Value::Null,
                "machines.get params must be an object",
            ),
            (
                Operation::Get,
                json!({"machineId": "m", "name": "x"}),
                "machines.get got an unknown parameter \"name\"",
            ),
            (
                Operation::CreateScope,
                json!({"machineId": "m"}),
                "A valid resource ID is required: toMachineId must be a non-empty string",
            ),
            (
                Operation::DeleteScope,
                json!({"machineId": "m", "otherMachineId": ""}),
                "A valid resource ID is required: otherMachineId must be a non-empty string",
            ),
            (
                Operation::Create,
                json!({}),
                "name must be a non-empty string",
            ),
            (
                Operation::Create,
                json!({"name": ""}),
                "name must be a non-empty string",
            ),
            (
                Operation::Create,
                json!({"name": "x", "scopedMachines": "mch_1"}),
                "scopedMachines must be an array of machine ids (non-empty strings)",
            ),
            (
                Operation::Create,
                json!({"name": "x", "scopedMachines": [""]}),
                "scopedMachines must be an array of machine ids (non-empty strings)",
            ),
            (
                Operation::Create,
                json!({"name": "x", "defaultTokenTtl": 0}),
                "defaultTokenTtl must be an integer between 1 and 315360000",
            ),
            (
                Operation::Create,
                json!({"name": "x", "defaultTokenTtl": 1.5}),
                "defaultTokenTtl must be an integer between 1 and 315360000",
            ),
            (
                Operation::Create,
                json!({"name": "x", "defaultTokenTtl": 5, "default_token_ttl": 5}),
                "default_token_ttl is given twice (camelCase and snake_case)",
            ),
            (
                Operation::Create,
                json!({"name": "x", "machineId": "m"}),
                "machines.create got an unknown parameter \"machineId\"",
            ),
            (
                Operation::Update,
                json!({"name": "x"}),
                "A valid resource ID is required: machineId must be a non-empty string",
            ),
            (
                Operation::Update,
                json!({"machineId": "m", "scopedMachines": []}),
                "machines.update got an unknown parameter \"scopedMachines\"",
            ),
            (
                Operation::RotateSecretKey,
                json!({"machineId": "m"}),
                "previousTokenTtl must be an integer between 0 and 28800",
            ),
            (
                Operation::RotateSecretKey,
                json!({"machineId": "m", "previousTokenTtl": -1}),
                "previousTokenTtl must be an integer between 0 and 28800",
            ),
            (
                Operation::RotateSecretKey,
                json!({"machineId": "m", "previousTokenTtl": 28801}),
                "previousTokenTtl must be an integer between 0 and 28800",
            ),
            (
                Operation::List,
                json!("x"),
                "machines.list params must be an object",
            ),
            (
                Operation::List,
                json!({"limit": 0}),
                "limit must be an integer between 1 and 500",
            ),
            (
                Operation::List,
                json!({"limit": 501}),
                "limit must be an integer between 1 and 500",
            ),
            (
                Operation::List,
                json!({"offset": -1}),
                "offset must be an integer between 0 and 9007199254740991",
            ),
            (
                Operation::List,
                json!({"query": 5}),
                "query must be a string",
            ),
            (
                Operation::List,
                json!({"orderBy": "updated_at"}),
                "orderBy must be one of name, created_at, each optionally prefixed with + or -",
            ),
            (
                Operation::List,
                json!({"orderBy": ""}),
                "orderBy must be one of name, created_at, each optionally prefixed with + or -",
            ),
            (
                Operation::List,
                json!({"orderBy": "name", "order_by": "name"}),
                "orderBy is given twice (camelCase and snake_case)",
            ),
            (
                Operation::List,
                json!({"subject": "mch_1"}),
                "machines.list got an unknown parameter \"subject\"",
            ),
            (
                Operation::List,
                json!({"timeoutMs": -1}),
                "timeoutMs must be an integer between 0 and 2147483647 (0 or null: no timeout)",
            ),
        ];
        for (op, params, expected) in cases {
            assert_eq!(
                parse(op, params.clone()).err().as_deref(),
                Some(expected),
                "{op:?} {params}"
            );
        }
    }

    #[test]
    fn call_options_are_accepted_everywhere_and_never_sent() {
        let r = parse(
            Operation::Create,
            json!({"name": "x", "timeoutMs": 0, "signal": null}),
        )
        .unwrap();
        assert_eq!(r.body.as_deref(), Some(r#"{"name":"x"}"#));
        assert_eq!(r.timeout_ms, Some(None));
        let r = parse(Operation::List, json!({"timeoutMs": 10})).unwrap();
        assert_eq!((r.query.as_str(), r.timeout_ms), ("", Some(Some(10))));
    }
}
