//! Header checks of the pipeline (reference §4.2 steps 1, 3, 4 and §4.4), on the decoded, untrusted header.
//!
//! These read the raw JSON rather than jwt-compact's typed `Header`: the reference reports a non-string
//! `typ` or a missing `alg` with exact messages, and in a fixed order, which a typed parse cannot express.

use serde_json::Value;

use crate::json_object::JsonObject;

use super::errors;
use crate::error::Error;
use crate::machine::JWT_CATEGORY_M2M;
use crate::ports::RsaAlgorithm;

/// Step 1: `cat` absent, or exactly the M2M category (`null` and every other value fail, E1).
pub(crate) fn check_category(header: &JsonObject) -> Result<(), Error> {
    match header.get("cat") {
        None => Ok(()),
        Some(Value::String(cat)) if cat == JWT_CATEGORY_M2M => Ok(()),
        Some(_) => Err(errors::invalid_category()),
    }
}

/// Step 3: `typ` absent, or exactly `JWT` (case-sensitive, E8).
pub(crate) fn check_type(header: &JsonObject) -> Result<(), Error> {
    match header.get("typ") {
        None => Ok(()),
        Some(Value::String(typ)) if typ == "JWT" => Ok(()),
        Some(other) => Err(errors::invalid_type(other)),
    }
}

/// Step 4: `alg` in the allow-list RS256/RS384/RS512 (E9). The result never selects the key; it is only
/// compared with the key's own `alg`.
pub(crate) fn check_algorithm(header: &JsonObject) -> Result<RsaAlgorithm, Error> {
    let alg = header.get("alg");
    alg.and_then(Value::as_str)
        .and_then(RsaAlgorithm::from_jose)
        .ok_or_else(|| errors::invalid_algorithm(alg))
}

/// The lookup string the reference uses for `kid`: `String(header.kid)`, so a missing kid is `undefined`.
pub(crate) fn kid_lookup(header: &JsonObject) -> String {
    crate::js::to_string(header.get("kid"))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn h(v: Value) -> JsonObject {
        JsonObject::from(v.as_object().cloned().unwrap())
    }

    fn msg(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn category_rules() {
        assert!(check_category(&h(json!({}))).is_ok());
        assert!(check_category(&h(json!({"cat": "cl_B7d4PD333AAA"}))).is_ok());
        for bad in [
            json!(null),
            json!("cl_B7d4PD111AAA"),
            json!("cl_B7d4PD222AAA"),
            json!("cl_I7d4PD111III"),
            json!("cl_some_future_unknown_cat"),
            json!(""),
            json!(["cl_B7d4PD333AAA"]),
        ] {
            let e = check_category(&h(json!({ "cat": bad }))).unwrap_err();
            assert_eq!(e.code(), "token-invalid");
            assert_eq!(msg(e), "Invalid M2M JWT category.");
        }
    }

    #[test]
    fn type_rules() {
        assert!(check_type(&h(json!({}))).is_ok());
        assert!(check_type(&h(json!({"typ": "JWT"}))).is_ok());
        for (typ, shown) in [
            (json!(""), "\"\""),
            (json!("Aloha"), "\"Aloha\""),
            (json!("at+jwt"), "\"at+jwt\""),
            (json!("jwt"), "\"jwt\""),
            (json!(null), "null"),
            (json!(5), "5"),
        ] {
            let e = check_type(&h(json!({ "typ": typ }))).unwrap_err();
            assert_eq!(e.code(), "token-verification-failed");
            assert_eq!(
                msg(e),
                format!("Invalid JWT type {shown}. Expected \"JWT\".")
            );
        }
    }

    #[test]
    fn algorithm_rules() {
        for (alg, expected) in [
            ("RS256", RsaAlgorithm::Rs256),
            ("RS384", RsaAlgorithm::Rs384),
            ("RS512", RsaAlgorithm::Rs512),
        ] {
            assert_eq!(
                check_algorithm(&h(json!({ "alg": alg }))).unwrap(),
                expected
            );
        }
        for (alg, shown) in [
            (Some(json!("")), "\"\""),
            (Some(json!("none")), "\"none\""),
            (Some(json!("HS256")), "\"HS256\""),
            (Some(json!("ES256")), "\"ES256\""),
            (Some(json!("ES384")), "\"ES384\""),
            (Some(json!("ES512")), "\"ES512\""),
            (Some(json!("PS512")), "\"PS512\""),
            (Some(json!("Aloha")), "\"Aloha\""),
            (Some(json!("rs256")), "\"rs256\""),
            (Some(json!(null)), "null"),
            (None, "undefined"),
        ] {
            let header = match alg {
                Some(a) => h(json!({ "alg": a })),
                None => h(json!({})),
            };
            let e = check_algorithm(&header).unwrap_err();
            assert_eq!(
                msg(e),
                format!("Invalid JWT algorithm {shown}. Supported: RS256,RS384,RS512.")
            );
        }
    }

    #[test]
    fn kid_lookup_is_js_string() {
        assert_eq!(kid_lookup(&h(json!({}))), "undefined");
        assert_eq!(kid_lookup(&h(json!({"kid": "ins_1"}))), "ins_1");
        assert_eq!(kid_lookup(&h(json!({"kid": 7}))), "7");
    }
}
