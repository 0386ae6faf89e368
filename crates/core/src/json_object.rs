//! A JWT header or payload as `JSON.parse` builds it: keys in the order they first appear, the last of
//! duplicate keys winning. A list of entries rather than serde_json's `Map`: a JWT object has a handful of
//! keys, and every verification parses two of them before its signature check, where the `Map`'s index (a
//! SipHash per key, two allocations per object) cost more than the parse itself.
#![deny(clippy::indexing_slicing)]

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Up to this many keys a duplicate is found by scanning the entries; past it by an index built then, so an
/// untrusted object of many keys costs linear time, never quadratic.
const SCAN_LIMIT: usize = 16;

/// A JSON object's entries in `JSON.parse`'s order (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JsonObject {
    entries: Vec<(String, Value)>,
}

impl JsonObject {
    /// The object `text` holds: `None` when it is not valid JSON or not an object.
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str::<MaybeObject>(text).ok()?.0
    }

    /// The value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| same_key(k, key))
            .map(|(_, v)| v)
    }

    /// The entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// The entries in order, by value.
    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.entries.iter().map(|(k, _)| k)
    }

    /// How many keys it has.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether it has no keys.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `key`, in place when present (its position kept, as `JSON.parse` keeps a duplicate's).
    fn set(&mut self, key: String, value: Value, index: &mut Option<HashMap<String, usize>>) {
        let at = match index {
            Some(index) => index.get(&key).copied(),
            None => self.entries.iter().position(|(k, _)| same_key(k, &key)),
        };
        if let Some(slot) = at.and_then(|i| self.entries.get_mut(i)) {
            slot.1 = value;
            return;
        }
        if let Some(index) = index {
            index.insert(key.clone(), self.entries.len());
        }
        self.entries.push((key, value));
        if index.is_none() && self.entries.len() > SCAN_LIMIT {
            *index = Some(
                self.entries
                    .iter()
                    .enumerate()
                    .map(|(i, (k, _))| (k.clone(), i))
                    .collect(),
            );
        }
    }
}

/// `a == b` for claim names: most are three bytes long (`exp`, `iat`, `sub`, …), where a loop beats a call of
/// `memcmp` (which is what slice equality is in WASM); every lookup compares a few. Not `bytes::same_bytes`:
/// its word loop's set-up, out of line at opt-level z, made a stubbed verification 16 % slower here (measured).
fn same_key(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

impl From<Map<String, Value>> for JsonObject {
    fn from(map: Map<String, Value>) -> Self {
        Self {
            entries: map.into_iter().collect(),
        }
    }
}

/// The top-level value of a JWT segment: `Some` object, or `None` for any other JSON value. Not an error:
/// every error serde could build describes the value, which links `core::fmt`'s float formatting
/// (`invalid_type`, ≈ 14 KB of code and tables) or serde_json's message parsing (`custom`, ≈ 3 KB).
struct MaybeObject(Option<JsonObject>);

impl<'de> Deserialize<'de> for MaybeObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ObjectVisitor;

        impl<'de> Visitor<'de> for ObjectVisitor {
            type Value = MaybeObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeObject, A::Error> {
                let mut object = JsonObject {
                    entries: Vec::with_capacity(map.size_hint().unwrap_or(8).min(SCAN_LIMIT)),
                };
                let mut index = None;
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Value>()?;
                    object.set(key, value, &mut index);
                }
                Ok(MaybeObject(Some(object)))
            }

            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<MaybeObject, E> {
                Ok(MaybeObject(None))
            }
            // An array's items are left unread: serde_json then fails on them, or accepts `[]`; either way no object.
            fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<MaybeObject, A::Error> {
                Ok(MaybeObject(None))
            }
        }

        // `deserialize_any`, not `deserialize_map`: serde_json's map path describes a non-object with
        // `invalid_type` before the visitor sees it.
        deserializer.deserialize_any(ObjectVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(o: &JsonObject) -> Vec<&str> {
        o.keys().map(String::as_str).collect()
    }

    #[test]
    fn keeps_json_parse_order_and_last_duplicate() {
        let o = JsonObject::parse(r#"{"b":1,"a":2,"b":3,"\u0061":4,"c":{"x":1,"x":2}}"#).unwrap();
        assert_eq!(keys(&o), ["b", "a", "c"]);
        assert_eq!(o.get("b"), Some(&json!(3)));
        assert_eq!(o.get("a"), Some(&json!(4)));
        assert_eq!(o.get("c"), Some(&json!({"x": 2})));
        assert_eq!(o.get("d"), None);
        assert_eq!(o.len(), 3);
    }

    #[test]
    fn many_keys_use_the_index_with_the_same_result() {
        let mut text = String::from("{");
        for i in 0..200 {
            text.push_str(&format!("\"k{}\":{i},", i % 50));
        }
        text.push_str("\"k3\":\"last\"}");
        let o = JsonObject::parse(&text).unwrap();
        assert_eq!(o.len(), 50);
        let expected: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
        assert_eq!(o.keys().cloned().collect::<Vec<_>>(), expected);
        assert_eq!(o.get("k3"), Some(&json!("last")));
        assert_eq!(o.get("k49"), Some(&json!(199)));
        // The same as serde_json's order-preserving map.
        let map: Map<String, Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(JsonObject::from(map), o);
    }

    #[test]
    fn rejects_what_is_not_an_object() {
        for bad in [
            "[]",
            "1",
            "\"x\"",
            "null",
            "{",
            "{\"a\":1} x",
            "{\"a\":1,}",
            "",
        ] {
            assert_eq!(JsonObject::parse(bad), None, "{bad}");
        }
        assert_eq!(JsonObject::parse(" {} ").unwrap().len(), 0);
    }
}
