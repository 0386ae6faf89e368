//! The results of `machines.*` (`Machine`, `MachineScope`, `MachineSecretKey`, `DeletedObject` and a page of
//! machines): decoded strictly from the Backend API's JSON, written out camelCase in the key order of
//! `@clerk/backend`'s resource classes (their constructors), with what is absent left out (the reference's
//! `undefined`), as [`crate::token`] does for `M2MToken`.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::config::Secret;
use crate::js::{JsInteger, JsJson};
use crate::wire::{ms_field, ms_value, nullable, req, string_field, total_count, wrong_type};

/// The `object` values of the machine resources.
pub const MACHINE_OBJECT: &str = "machine";
/// See [`MACHINE_OBJECT`].
pub const MACHINE_SCOPE_OBJECT: &str = "machine_scope";
/// See [`MACHINE_OBJECT`].
pub const MACHINE_SECRET_KEY_OBJECT: &str = "machine_secret_key";

/// A machine (`Machine`). Timestamps are what the Backend API sends (Unix milliseconds).
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// `mch_…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The instance it belongs to (`ins_…`).
    pub instance_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Last update.
    pub updated_at: i64,
    /// The machines it may call; always empty in a nested machine, as the reference builds them.
    pub scoped_machines: Vec<Machine>,
    /// The lifetime in seconds of its tokens when `secondsUntilExpiration` is not given (a JSON number), or
    /// `None` when the Backend API leaves it out.
    pub default_token_ttl: Option<Value>,
    /// Its secret key (`ak_…`): only in the answer of `create`. Redacted in `Debug`.
    pub secret_key: Option<Secret>,
}

/// A machine scope (`MachineScope`): `from_machine_id` may call `to_machine_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineScope {
    /// The machine that may call.
    pub from_machine_id: String,
    /// The machine it may call.
    pub to_machine_id: String,
    /// Creation time (absent in the answer of `deleteScope`).
    pub created_at: Option<i64>,
    /// `true` in the answer of `deleteScope`.
    pub deleted: Option<bool>,
}

/// A machine's secret key (`MachineSecretKey`). Redacted in `Debug`.
#[derive(Debug, Clone, PartialEq)]
pub struct MachineSecretKey {
    /// `ak_…`.
    pub secret: Secret,
}

/// What `machines.delete` returns: the reference's `DeletedObject` (`{ object, id, slug, deleted }`).
#[derive(Debug, Clone, PartialEq)]
pub struct DeletedObject {
    /// `machine`.
    pub object: String,
    /// The deleted machine's id (`null` when empty, as the reference's `data.id || null`).
    pub id: Option<String>,
    /// Always `null` for machines.
    pub slug: Option<String>,
    /// `true`.
    pub deleted: bool,
}

/// One page of `machines.list`: `PaginatedResourceResponse<Machine[]>`.
#[derive(Debug, Clone, PartialEq)]
pub struct MachinePage {
    /// The machines on this page.
    pub data: Vec<Machine>,
    /// How many machines match in all.
    pub total_count: u64,
}

/// The result of one `machines.*` call.
#[derive(Debug, Clone, PartialEq)]
pub enum MachinesResult {
    /// `get`, `create`, `update` (and `delete` when the server answers with the machine itself).
    Machine(Machine),
    /// `list`.
    Page(MachinePage),
    /// `createScope`, `deleteScope`.
    Scope(MachineScope),
    /// `getSecretKey`, `rotateSecretKey`.
    SecretKey(MachineSecretKey),
    /// `delete`.
    Deleted(DeletedObject),
}

impl MachinesResult {
    /// The camelCase JSON text of the result (native users and tests; the WASM boundary serialises directly).
    pub fn to_public_json_text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

fn object(value: &Value) -> Result<&Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| "expected a JSON object".to_owned())
}

/// `object`, when present, must be `expected` (the reference dispatches on it).
fn check_object(obj: &Map<String, Value>, expected: &str) -> Result<(), String> {
    match obj.get("object") {
        None => Ok(()),
        Some(Value::String(s)) if s == expected => Ok(()),
        Some(_) => Err(["field `object` is not \"", expected, "\""].concat()),
    }
}

fn optional_string(obj: &Map<String, Value>, field: &str) -> Result<Option<String>, String> {
    match nullable(obj, field) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(wrong_type(field, "a string or null")),
    }
}

fn indexed(field: &str, i: usize, e: &str) -> String {
    [field, "[", itoa::Buffer::new().format(i), "]: ", e].concat()
}

/// A `Machine` object (`nested`: one of another machine's `scoped_machines`, which the reference builds with
/// no `scoped_machines` and no secret key). Required: `id`, `name`, `instance_id`, `created_at`, `updated_at`
/// and, at the top, `scoped_machines`. `default_token_ttl` and `secret_key` may be missing or `null`.
pub fn decode_machine(value: &Value, nested: bool) -> Result<Machine, String> {
    let obj = object(value)?;
    check_object(obj, MACHINE_OBJECT)?;
    let scoped_machines = if nested {
        Vec::new()
    } else {
        req(obj, "scoped_machines")?
            .as_array()
            .ok_or_else(|| wrong_type("scoped_machines", "an array of machines"))?
            .iter()
            .enumerate()
            .map(|(i, m)| decode_machine(m, true).map_err(|e| indexed("scoped_machines", i, &e)))
            .collect::<Result<_, _>>()?
    };
    let default_token_ttl = match nullable(obj, "default_token_ttl") {
        None => None,
        Some(v @ Value::Number(_)) => Some(v.clone()),
        Some(_) => return Err(wrong_type("default_token_ttl", "a number or null")),
    };
    let secret_key = if nested {
        None
    } else {
        optional_string(obj, "secret_key")?.map(Secret::new)
    };
    Ok(Machine {
        id: string_field(obj, "id")?,
        name: string_field(obj, "name")?,
        instance_id: string_field(obj, "instance_id")?,
        created_at: ms_field(obj, "created_at")?,
        updated_at: ms_field(obj, "updated_at")?,
        scoped_machines,
        default_token_ttl,
        secret_key,
    })
}

/// A `MachineScope` object, or the `MachineScope.Deleted` answer of `deleteScope` (with `deleted`, without
/// `created_at`).
pub fn decode_scope(value: &Value) -> Result<MachineScope, String> {
    let obj = object(value)?;
    check_object(obj, MACHINE_SCOPE_OBJECT)?;
    let created_at = match nullable(obj, "created_at") {
        None => None,
        Some(v) => Some(
            ms_value(v).ok_or_else(|| wrong_type("created_at", "an integer timestamp or null"))?,
        ),
    };
    let deleted = match nullable(obj, "deleted") {
        None => None,
        Some(Value::Bool(b)) => Some(*b),
        Some(_) => return Err(wrong_type("deleted", "a boolean")),
    };
    Ok(MachineScope {
        from_machine_id: string_field(obj, "from_machine_id")?,
        to_machine_id: string_field(obj, "to_machine_id")?,
        created_at,
        deleted,
    })
}

/// A `MachineSecretKey` object: `secret` is required.
pub fn decode_secret_key(value: &Value) -> Result<MachineSecretKey, String> {
    let obj = object(value)?;
    check_object(obj, MACHINE_SECRET_KEY_OBJECT)?;
    Ok(MachineSecretKey {
        secret: Secret::new(string_field(obj, "secret")?),
    })
}

/// Whether the reference makes a `DeletedObject` of this answer: an object with both `object` and `deleted`.
fn is_deleted_object(value: &Value) -> bool {
    value
        .as_object()
        .is_some_and(|o| o.contains_key("object") && o.contains_key("deleted"))
}

/// The `Machine.Deleted` answer of `delete` as the reference's `DeletedObject`: `object` (a string),
/// `id` and `slug` (`null` when missing or empty), `deleted` (a boolean).
pub fn decode_deleted(value: &Value) -> Result<DeletedObject, String> {
    let obj = object(value)?;
    let object = string_field(obj, "object")?;
    let deleted = match req(obj, "deleted")? {
        Value::Bool(b) => *b,
        _ => return Err(wrong_type("deleted", "a boolean")),
    };
    let non_empty = |field: &str| optional_string(obj, field).map(|s| s.filter(|s| !s.is_empty()));
    Ok(DeletedObject {
        object,
        id: non_empty("id")?,
        slug: non_empty("slug")?,
        deleted,
    })
}

/// A `Machine.List` answer `{data: […], total_count}`, or a bare array; a missing `total_count` becomes the
/// number of machines (as [`crate::wire::decode_page`] does for tokens).
pub fn decode_page(value: &Value) -> Result<MachinePage, String> {
    let (items, total) = match value {
        Value::Array(items) => (items, None),
        Value::Object(obj) => match obj.get("data") {
            Some(Value::Array(items)) => (items, nullable(obj, "total_count")),
            _ => return Err("missing field `data`".to_owned()),
        },
        _ => return Err("expected a JSON object".to_owned()),
    };
    let data = items
        .iter()
        .enumerate()
        .map(|(i, m)| decode_machine(m, false).map_err(|e| indexed("data", i, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    let total_count = total_count(total, data.len())?;
    Ok(MachinePage { data, total_count })
}

// ---------------------------------------------------------------------------------------------------------
// The public shapes

/// `Machine` as the reference's constructor orders it: `id`, `name`, `instanceId`, `createdAt`, `updatedAt`,
/// `scopedMachines`, `defaultTokenTtl`, `secretKey` (the last two left out when absent).
impl Serialize for Machine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("Machine", 8)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("name", &self.name)?;
        out.serialize_field("instanceId", &self.instance_id)?;
        out.serialize_field("createdAt", &JsInteger(self.created_at))?;
        out.serialize_field("updatedAt", &JsInteger(self.updated_at))?;
        out.serialize_field("scopedMachines", &self.scoped_machines)?;
        if let Some(ttl) = &self.default_token_ttl {
            out.serialize_field("defaultTokenTtl", &JsJson(ttl))?;
        }
        if let Some(secret) = &self.secret_key {
            out.serialize_field("secretKey", secret.expose())?;
        }
        out.end()
    }
}

/// `MachineScope`: `fromMachineId`, `toMachineId`, `createdAt`, `deleted` (the last two left out when absent).
impl Serialize for MachineScope {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("MachineScope", 4)?;
        out.serialize_field("fromMachineId", &self.from_machine_id)?;
        out.serialize_field("toMachineId", &self.to_machine_id)?;
        if let Some(created_at) = self.created_at {
            out.serialize_field("createdAt", &JsInteger(created_at))?;
        }
        if let Some(deleted) = self.deleted {
            out.serialize_field("deleted", &deleted)?;
        }
        out.end()
    }
}

/// `MachineSecretKey`: `{ secret }`.
impl Serialize for MachineSecretKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("MachineSecretKey", 1)?;
        out.serialize_field("secret", self.secret.expose())?;
        out.end()
    }
}

/// `DeletedObject`: `object`, `id`, `slug`, `deleted`, with `null` for a missing id or slug.
impl Serialize for DeletedObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("DeletedObject", 4)?;
        out.serialize_field("object", &self.object)?;
        out.serialize_field("id", &self.id)?;
        out.serialize_field("slug", &self.slug)?;
        out.serialize_field("deleted", &self.deleted)?;
        out.end()
    }
}

/// `{ data, totalCount }`.
impl Serialize for MachinePage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut out = s.serialize_struct("PaginatedResourceResponse", 2)?;
        out.serialize_field("data", &self.data)?;
        out.serialize_field("totalCount", &JsInteger(self.total_count))?;
        out.end()
    }
}

impl Serialize for MachinesResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MachinesResult::Machine(m) => m.serialize(s),
            MachinesResult::Page(p) => p.serialize(s),
            MachinesResult::Scope(x) => x.serialize(s),
            MachinesResult::SecretKey(k) => k.serialize(s),
            MachinesResult::Deleted(d) => d.serialize(s),
        }
    }
}

/// Decodes the answer of `operation` into its result type; `delete` gives a [`DeletedObject`] for the spec's
/// answer and a [`Machine`] for an answer that is the machine itself, as the reference does.
pub(crate) fn decode_for(
    operation: super::request::Operation,
    value: &Value,
) -> Result<MachinesResult, String> {
    use super::request::Operation as Op;
    Ok(match operation {
        Op::List => MachinesResult::Page(decode_page(value)?),
        Op::Delete if is_deleted_object(value) => MachinesResult::Deleted(decode_deleted(value)?),
        Op::Get | Op::Create | Op::Update | Op::Delete => {
            MachinesResult::Machine(decode_machine(value, false)?)
        }
        Op::GetSecretKey | Op::RotateSecretKey => {
            MachinesResult::SecretKey(decode_secret_key(value)?)
        }
        Op::CreateScope | Op::DeleteScope => MachinesResult::Scope(decode_scope(value)?),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::machines::request::Operation;
    use serde_json::json;

    fn text(op: Operation, v: Value) -> Result<String, String> {
        decode_for(op, &v).map(|r| r.to_public_json_text())
    }

    fn second() -> Value {
        json!({"object": "machine", "id": "machine_456", "name": "Second Machine", "instance_id": "inst_456",
            "created_at": 1640995200, "updated_at": 1640995200})
    }

    #[test]
    fn machines_in_the_references_key_order() {
        // Clerk's own fixture: no default_token_ttl, a nested machine without scoped_machines.
        let mock = json!({"object": "machine", "id": "machine_123", "name": "Test Machine", "instance_id": "inst_123",
            "created_at": 1640995200, "updated_at": 1640995200, "scoped_machines": [second()]});
        let nested = r#"{"id":"machine_456","name":"Second Machine","instanceId":"inst_456","createdAt":1640995200,"updatedAt":1640995200,"scopedMachines":[]}"#;
        assert_eq!(
            text(Operation::Get, mock.clone()).unwrap(),
            [r#"{"id":"machine_123","name":"Test Machine","instanceId":"inst_123","createdAt":1640995200,"updatedAt":1640995200,"scopedMachines":["#, nested, "]}"].concat()
        );
        // Keys in any order on the wire; a nested secret key or scoped_machines is not kept, as in the reference.
        let mut nested_full = second();
        nested_full["scoped_machines"] = json!([second()]);
        nested_full["secret_key"] = json!("ak_nested");
        nested_full["default_token_ttl"] = json!(60);
        let created = json!({"secret_key": "ak_new", "default_token_ttl": 3600, "scoped_machines": [nested_full], "updated_at": 2,
            "created_at": 1, "instance_id": "ins_1", "name": "n", "id": "mch_1", "last_used_at": 5});
        assert_eq!(
            text(Operation::Create, created).unwrap(),
            r#"{"id":"mch_1","name":"n","instanceId":"ins_1","createdAt":1,"updatedAt":2,"scopedMachines":[{"id":"machine_456","name":"Second Machine","instanceId":"inst_456","createdAt":1640995200,"updatedAt":1640995200,"scopedMachines":[],"defaultTokenTtl":60}],"defaultTokenTtl":3600,"secretKey":"ak_new"}"#
        );
        let mut nulls = mock.clone();
        nulls["default_token_ttl"] = Value::Null;
        nulls["secret_key"] = Value::Null;
        assert_eq!(
            text(Operation::Update, nulls).unwrap(),
            text(Operation::Update, mock.clone()).unwrap()
        );
        let page = json!({"data": [mock.clone()], "total_count": 7});
        let one = text(Operation::Get, mock.clone()).unwrap();
        assert_eq!(
            text(Operation::List, page).unwrap(),
            [r#"{"data":["#, &one, r#"],"totalCount":7}"#].concat()
        );
        assert_eq!(
            text(Operation::List, json!([mock.clone(), mock])).unwrap(),
            [r#"{"data":["#, &one, ",", &one, r#"],"totalCount":2}"#].concat()
        );
    }

    #[test]
    fn scopes_secret_keys_and_deleted_objects() {
        let scope = json!({"object": "machine_scope", "from_machine_id": "a", "to_machine_id": "b", "created_at": 5});
        assert_eq!(
            text(Operation::CreateScope, scope).unwrap(),
            r#"{"fromMachineId":"a","toMachineId":"b","createdAt":5}"#
        );
        // The spec's MachineScope.Deleted: the reference turns it into a DeletedObject without the ids; kept here.
        let deleted_scope = json!({"object": "machine_scope", "from_machine_id": "a", "to_machine_id": "b", "deleted": true});
        assert_eq!(
            text(Operation::DeleteScope, deleted_scope).unwrap(),
            r#"{"fromMachineId":"a","toMachineId":"b","deleted":true}"#
        );
        assert_eq!(
            text(Operation::GetSecretKey, json!({"secret": "ak_test_..."})).unwrap(),
            r#"{"secret":"ak_test_..."}"#
        );
        assert_eq!(
            text(
                Operation::RotateSecretKey,
                json!({"object": "machine_secret_key", "secret": "ak_2"})
            )
            .unwrap(),
            r#"{"secret":"ak_2"}"#
        );
        assert_eq!(
            text(
                Operation::Delete,
                json!({"object": "machine", "id": "mch_1", "deleted": true})
            )
            .unwrap(),
            r#"{"object":"machine","id":"mch_1","slug":null,"deleted":true}"#
        );
        assert_eq!(
            text(
                Operation::Delete,
                json!({"object": "machine", "id": "", "slug": "", "deleted": false})
            )
            .unwrap(),
            r#"{"object":"machine","id":null,"slug":null,"deleted":false}"#
        );
        // Clerk's own delete fixture answers with the machine: the reference returns that Machine.
        let machine = json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1, "scoped_machines": []});
        assert_eq!(
            text(Operation::Delete, machine.clone()).unwrap(),
            text(Operation::Get, machine).unwrap()
        );
    }

    #[test]
    fn unexpected_answers_name_the_field_never_a_value() {
        let cases = [
            (Operation::Get, json!([]), "expected a JSON object"),
            (
                Operation::Get,
                json!({"object": "user"}),
                "field `object` is not \"machine\"",
            ),
            (
                Operation::Get,
                json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1}),
                "missing field `scoped_machines`",
            ),
            (
                Operation::Get,
                json!({"id": "m", "name": "n", "instance_id": "i", "created_at": "1", "updated_at": 1, "scoped_machines": []}),
                "invalid type for field `created_at`: expected an integer timestamp in ms",
            ),
            (
                Operation::Get,
                json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1, "scoped_machines": [{"id": "x"}]}),
                "scoped_machines[0]: missing field `name`",
            ),
            (
                Operation::Get,
                json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1, "scoped_machines": [], "default_token_ttl": "1h"}),
                "invalid type for field `default_token_ttl`: expected a number or null",
            ),
            (
                Operation::Create,
                json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1, "scoped_machines": [], "secret_key": 5}),
                "invalid type for field `secret_key`: expected a string or null",
            ),
            (
                Operation::List,
                json!({"machines": []}),
                "missing field `data`",
            ),
            (
                Operation::List,
                json!({"data": [{}]}),
                "data[0]: missing field `scoped_machines`",
            ),
            (
                Operation::List,
                json!({"data": [], "total_count": -1}),
                "invalid type for field `total_count`: expected a non-negative integer",
            ),
            (
                Operation::GetSecretKey,
                json!({"object": "machine_secret_key"}),
                "missing field `secret`",
            ),
            (
                Operation::CreateScope,
                json!({"from_machine_id": "a"}),
                "missing field `to_machine_id`",
            ),
            (
                Operation::DeleteScope,
                json!({"from_machine_id": "a", "to_machine_id": "b", "deleted": "yes"}),
                "invalid type for field `deleted`: expected a boolean",
            ),
            (
                Operation::Delete,
                json!({"object": 1, "deleted": true}),
                "invalid type for field `object`: expected a string",
            ),
        ];
        for (op, v, expected) in cases {
            assert_eq!(
                text(op, v.clone()).err().as_deref(),
                Some(expected),
                "{op:?} {v}"
            );
        }
    }

    #[test]
    fn secrets_never_print() {
        let k = decode_secret_key(&json!({"secret": "ak_live_secret"})).unwrap();
        assert!(!format!("{k:?}").contains("ak_live_secret"));
        let m = decode_machine(
            &json!({"id": "m", "name": "n", "instance_id": "i", "created_at": 1, "updated_at": 1, "scoped_machines": [], "secret_key": "ak_live_secret"}),
            false,
        )
        .unwrap();
        assert!(!format!("{m:?}").contains("ak_live_secret"));
    }
}
