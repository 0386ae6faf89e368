//! JS values in and out. Params become `serde_json::Value` through a strict walker (so `NaN`, functions,
//! class instances and cycles are typed errors, not silent `null`s); results and error payloads go out through
//! serde-wasm-bindgen, which builds the plain objects and arrays directly (docs/benchmarks.md, "serde-wasm-bindgen
//! at the boundary", has the measurements that chose this direction).
use clerk_m2m_core::authenticate::RequestState;
use clerk_m2m_core::{
    ApiError, ApiErrorMeta, ApiResponseError, Error, JsJson, M2mToken, M2mTokenPage,
};
use js_sys::{Array, Object, Reflect};
use serde::ser::SerializeStruct;
use serde::Serialize;
use serde_json::{Map, Number, Value};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

const MAX_DEPTH: usize = 32;
/// No JSON a Clerk call takes comes near these; they bound what one argument may make the module allocate, so
/// that `new Array(2 ** 32 - 1)` (a hole-filled length, no memory on the JS side) is a `TypeError`, not a trap.
const MAX_ARRAY_LENGTH: u32 = 100_000;
const MAX_VALUES: usize = 1_000_000;

// The JS operations the walk needs, each with `catch`: a Proxy's trap or a getter may throw, and a JS exception
// must become a typed error here, never unwind through the WASM frames.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn own_enumerable_keys(value: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Object, js_name = getPrototypeOf)]
    fn prototype_of(value: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
}

thread_local! {
    /// `Object.prototype` of this realm, looked up once.
    static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}

/// Converts a JS argument to JSON. `undefined` properties are dropped (as `JSON.stringify` does); `undefined`
/// at the top level becomes `Null`. `path` names the argument in error messages (e.g. `params`).
pub fn js_to_json(value: &JsValue, path: &str) -> Result<Value, Error> {
    js_to_json_without(value, path, None)
}

/// [`js_to_json`], leaving out the top-level property `skipped` (e.g. `signal`, which is not JSON).
pub fn js_to_json_without(
    value: &JsValue,
    path: &str,
    skipped: Option<&str>,
) -> Result<Value, Error> {
    let mut budget = MAX_VALUES;
    walk(value, 0, &mut budget, skipped).map_err(|e| {
        let mut at = path.to_owned();
        for segment in e.path.iter().rev() {
            at.push_str(segment);
        }
        at.push(' ');
        at.push_str(e.problem);
        Error::invalid_argument(at)
    })
}

/// Where a conversion failed (innermost segment first, so it is only built on failure) and why.
struct WalkError {
    path: Vec<String>,
    problem: &'static str,
}

impl WalkError {
    fn new(problem: &'static str) -> Self {
        Self {
            path: Vec::new(),
            problem,
        }
    }

    fn at(mut self, segment: String) -> Self {
        self.path.push(segment);
        self
    }
}

const UNREADABLE: &str = "cannot be read (a getter or a Proxy threw)";

fn walk(
    value: &JsValue,
    depth: usize,
    budget: &mut usize,
    skipped: Option<&str>,
) -> Result<Value, WalkError> {
    if depth > MAX_DEPTH {
        return Err(WalkError::new("is nested too deeply (or is cyclic)"));
    }
    if *budget == 0 {
        return Err(WalkError::new("holds too many values"));
    }
    *budget -= 1;
    if value.is_undefined() || value.is_null() {
        return Ok(Value::Null);
    }
    if let Some(b) = value.as_bool() {
        return Ok(Value::Bool(b));
    }
    if let Some(s) = value.as_string() {
        return Ok(Value::String(s));
    }
    if let Some(n) = value.as_f64() {
        return number(n).ok_or_else(|| WalkError::new("must be a finite number"));
    }
    if !value.is_object() || value.is_function() {
        return Err(WalkError::new(if value.is_function() {
            "must be JSON data, not a function"
        } else if value.is_bigint() {
            "must be JSON data, not a bigint"
        } else if value.is_symbol() {
            "must be JSON data, not a symbol"
        } else {
            "must be JSON data"
        }));
    }
    if is_array(value).map_err(|_| WalkError::new(UNREADABLE))? {
        let length = Reflect::get(value, &"length".into())
            .ok()
            .and_then(|n| n.as_f64())
            .ok_or_else(|| WalkError::new(UNREADABLE))?;
        if length > f64::from(MAX_ARRAY_LENGTH) {
            return Err(WalkError::new("is too long (at most 100000 items)"));
        }
        let length = length as u32;
        let mut out = Vec::with_capacity(length as usize);
        for i in 0..length {
            let index = || ["[", itoa::Buffer::new().format(i), "]"].concat();
            let item =
                Reflect::get_u32(value, i).map_err(|_| WalkError::new(UNREADABLE).at(index()))?;
            out.push(walk(&item, depth + 1, budget, None).map_err(|e| e.at(index()))?);
        }
        return Ok(Value::Array(out));
    }
    let proto = prototype_of(value).map_err(|_| WalkError::new(UNREADABLE))?;
    if !(proto.is_null() || OBJECT_PROTOTYPE.with(|p| proto == *p)) {
        return Err(WalkError::new(
            "must be JSON data, not an object that is not a plain object",
        ));
    }
    let keys = own_enumerable_keys(value).map_err(|_| WalkError::new(UNREADABLE))?;
    if keys.length() as usize > *budget {
        return Err(WalkError::new("holds too many values"));
    }
    let mut out = Map::new();
    for key in keys.iter() {
        let Some(name) = key.as_string() else {
            continue;
        };
        if skipped == Some(name.as_str()) {
            continue;
        }
        let item = Reflect::get(value, &key)
            .map_err(|_| WalkError::new(UNREADABLE).at([".", &name].concat()))?;
        if item.is_undefined() || (depth == 0 && non_finite_means_unset(&name, &item)) {
            continue;
        }
        let converted =
            walk(&item, depth + 1, budget, None).map_err(|e| e.at([".", &name].concat()))?;
        out.insert(name, converted);
    }
    Ok(Value::Object(out))
}

/// `clockSkewInMs: NaN` and the like: the core reads the option as not given (its default), as the reference does.
fn non_finite_means_unset(name: &str, item: &JsValue) -> bool {
    clerk_m2m_core::jwt::NON_FINITE_MEANS_UNSET.contains(&name)
        && item.as_f64().is_some_and(|n| !n.is_finite())
}

fn number(n: f64) -> Option<Value> {
    if !n.is_finite() {
        return None;
    }
    // Integral values stay integers so that range checks in the core see i64/u64.
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        return Some(Value::Number(Number::from(n as i64)));
    }
    Number::from_f64(n).map(Value::Number)
}

/// Hands JSON to JS as plain objects and arrays, equal to what `JSON.parse` of its text returns.
pub fn json_to_js(value: &Value) -> JsValue {
    if holds_proto_key(value) {
        // serde-wasm-bindgen assigns object keys (`o[key] = v`), so a `__proto__` key would set the prototype where
        // `JSON.parse` makes an own property: such a value (a claim, say) goes through `JSON.parse` instead.
        let text = serde_json::to_string(value).unwrap_or_default();
        return js_sys::JSON::parse(&text).unwrap_or(JsValue::NULL);
    }
    serialize(&JsJson(value))
}

/// The core's typed results (`M2MToken`, a page of them, a request state): `Serialize`, and the claims fixed
/// after it.
pub trait Output: Serialize {
    /// Replaces, in `out` (what serde-wasm-bindgen made of `self`), the claims that hold a `__proto__` key.
    fn fix_proto_claims(&self, out: &JsValue);
}

impl Output for M2mToken {
    fn fix_proto_claims(&self, out: &JsValue) {
        if let Some(claims) = self.claims.as_ref().filter(|c| map_holds_proto_key(c)) {
            let claims = json_to_js(&Value::Object(claims.clone()));
            let _ = Reflect::set(out, &"claims".into(), &claims);
        }
    }
}

impl Output for M2mTokenPage {
    fn fix_proto_claims(&self, out: &JsValue) {
        let Ok(data) = Reflect::get(out, &"data".into()) else {
            return;
        };
        for (i, token) in (0u32..).zip(&self.data) {
            if let Ok(item) = Reflect::get_u32(&data, i) {
                token.fix_proto_claims(&item);
            }
        }
    }
}

impl Output for RequestState {
    fn fix_proto_claims(&self, out: &JsValue) {
        if let Some((_, token)) = &self.signed_in {
            if let Ok(auth) = Reflect::get(out, &"auth".into()) {
                token.fix_proto_claims(&auth);
            }
        }
    }
}

/// A typed result as plain JS objects and arrays, equal to what `JSON.parse` of its JSON text returns.
pub fn to_js(result: &impl Output) -> JsValue {
    let out = serialize(result);
    result.fix_proto_claims(&out);
    out
}

/// `null` for `None` and plain objects for maps, as `JSON.parse` makes them; `undefined` only where asked ([`Unset`]).
const SERIALIZER: serde_wasm_bindgen::Serializer =
    serde_wasm_bindgen::Serializer::json_compatible();

fn serialize(value: &impl Serialize) -> JsValue {
    // Cannot fail: every value handed here is made of strings, bools, JS-safe numbers (`JsJson`), arrays and
    // string-keyed objects.
    value.serialize(&SERIALIZER).unwrap_or(JsValue::NULL)
}

fn map_holds_proto_key(map: &Map<String, Value>) -> bool {
    map.iter()
        .any(|(k, v)| k == "__proto__" || holds_proto_key(v))
}

fn holds_proto_key(value: &Value) -> bool {
    match value {
        Value::Array(items) => items.iter().any(holds_proto_key),
        Value::Object(map) => map_holds_proto_key(map),
        _ => false,
    }
}

/// Builds the tagged `Error` that `liftError` in js/errors.js turns into the public class.
pub fn error_to_js(error: &Error) -> JsValue {
    let e = js_sys::Error::new(error.message());
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&e, &JsValue::from_str(k), &v);
    };
    set("kind", error.kind().into());
    set("code", error.code().into());
    match error {
        Error::Api(api) => {
            set_api_fields(api, &set);
            if api.network_failure {
                if let Some(cause) = crate::platform::take_fetch_error() {
                    set("cause", cause);
                }
            }
        }
        Error::Verification(v) => {
            set("reason", v.reason.into());
            if let Some(action) = v.action {
                set("action", action.into());
            }
            if let Some(status) = v.status {
                set("status", status.into());
            }
        }
        _ => {}
    }
    e.into()
}

fn set_api_fields(api: &ApiResponseError, set: &dyn Fn(&str, JsValue)) {
    if let Some(status) = api.status {
        set("status", status.into());
    }
    set("statusText", api.status_text.as_str().into());
    set("clerkTraceId", api.clerk_trace_id.as_str().into());
    if let Some(retry_after) = api.retry_after {
        set("retryAfter", retry_after.into());
    }
    let errors: Vec<ErrorEntry> = api.errors.iter().map(ErrorEntry).collect();
    set("errors", serialize(&errors));
}

/// One entry of `errors[]` as the reference's `parseError` builds it: `code` and `message`; then, for an entry
/// the Backend API sent, `longMessage` (`undefined` when absent, the key still there) and `meta`.
struct ErrorEntry<'a>(&'a ApiError);

impl Serialize for ErrorEntry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let entry = self.0;
        let mut out = s.serialize_struct("ClerkAPIError", 4)?;
        out.serialize_field("code", &entry.code)?;
        out.serialize_field("message", &entry.message)?;
        if let Some(meta) = &entry.meta {
            match &entry.long_message {
                Some(text) => out.serialize_field("longMessage", text)?,
                None => out.serialize_field("longMessage", &Unset)?,
            }
            out.serialize_field("meta", &Meta(meta))?;
        }
        out.end()
    }
}

/// A JS value as it is (serde-wasm-bindgen's `preserve`).
struct Js(JsValue);

impl Serialize for Js {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        serde_wasm_bindgen::preserve::serialize(&self.0, s)
    }
}

/// `undefined`.
struct Unset;

impl Serialize for Unset {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Js(JsValue::UNDEFINED).serialize(s)
    }
}

/// The `meta` the reference keeps, camelCase, with only the keys the Backend API sent.
struct Meta<'a>(&'a ApiErrorMeta);

impl Serialize for Meta<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let meta = self.0;
        let mut out = s.serialize_struct("meta", 9)?;
        let finite = |n: Option<f64>| n.filter(|n| n.is_finite());
        if let Some(v) = &meta.param_name {
            out.serialize_field("paramName", v)?;
        }
        if let Some(v) = &meta.session_id {
            out.serialize_field("sessionId", v)?;
        }
        if let Some(v) = &meta.email_addresses {
            out.serialize_field("emailAddresses", v)?;
        }
        if let Some(v) = &meta.identifiers {
            out.serialize_field("identifiers", v)?;
        }
        if let Some(v) = &meta.zxcvbn {
            out.serialize_field("zxcvbn", &Js(json_to_js(v)))?;
        }
        if let Some(v) = &meta.plan {
            out.serialize_field("plan", &Js(json_to_js(v)))?;
        }
        if let Some(v) = meta.is_plan_upgrade_possible {
            out.serialize_field("isPlanUpgradePossible", &v)?;
        }
        if let Some(v) = finite(meta.seats_quantity_to_add) {
            out.serialize_field("seatsQuantityToAdd", &v)?;
        }
        if let Some(v) = finite(meta.seats_quantity) {
            out.serialize_field("seatsQuantity", &v)?;
        }
        out.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn js(source: &str) -> JsValue {
        js_sys::eval(&format!("({source})")).unwrap_or(JsValue::UNDEFINED)
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[wasm_bindgen_test]
    fn plain_data_converts_and_undefined_properties_are_dropped() {
        let v = js_to_json(
            &js("{ a: 1, b: 'x', c: [true, null], d: undefined, e: { f: 1.5 } }"),
            "params",
        );
        assert_eq!(
            v.ok(),
            Some(serde_json::json!({ "a": 1, "b": "x", "c": [true, null], "e": { "f": 1.5 } }))
        );
        assert_eq!(
            js_to_json(&JsValue::UNDEFINED, "params").ok(),
            Some(Value::Null)
        );
        let n = js_to_json(&js("{ n: 3 }"), "p").ok();
        assert!(
            n.and_then(|v| v.get("n").and_then(Value::as_i64)) == Some(3),
            "integral numbers stay integers"
        );
    }

    #[wasm_bindgen_test]
    fn non_json_values_are_typed_errors_naming_the_path() {
        let cases = [
            ("{ limit: NaN }", "params.limit must be a finite number"),
            (
                "{ x: [1, Infinity] }",
                "params.x[1] must be a finite number",
            ),
            (
                "{ f: () => 1 }",
                "params.f must be JSON data, not a function",
            ),
            (
                "{ d: new Date(0) }",
                "params.d must be JSON data, not an object that is not a plain object",
            ),
            ("{ b: 10n }", "params.b must be JSON data, not a bigint"),
        ];
        for (source, expected) in cases {
            let e = js_to_json(&js(source), "params").err().map(message);
            assert_eq!(e.as_deref(), Some(expected), "{source}");
        }
        let cyclic = js("(() => { const o = {}; o.self = o; return o; })()");
        let e = js_to_json(&cyclic, "params")
            .err()
            .map(message)
            .unwrap_or_default();
        assert!(e.contains("nested too deeply"), "{e}");
    }

    #[wasm_bindgen_test]
    fn hostile_values_are_typed_errors_and_never_trap_or_throw_through() {
        let cases = [
            (
                "{ claims: { v: new Array(1e8) } }",
                "params.claims.v is too long (at most 100000 items)",
            ),
            (
                "{ claims: { v: new Array(2 ** 32 - 1) } }",
                "params.claims.v is too long (at most 100000 items)",
            ),
            (
                "{ a: Object.defineProperty({}, 'k', { enumerable: true, get() { throw new Error('boom'); } }) }",
                "params.a.k cannot be read (a getter or a Proxy threw)",
            ),
            (
                "{ p: new Proxy({}, { ownKeys() { throw new Error('boom'); } }) }",
                "params.p cannot be read (a getter or a Proxy threw)",
            ),
            (
                "{ p: new Proxy({}, { getPrototypeOf() { throw new Error('boom'); } }) }",
                "params.p cannot be read (a getter or a Proxy threw)",
            ),
            (
                "{ p: new Proxy([1, 2], { get() { throw new Error('boom'); } }) }",
                "params.p cannot be read (a getter or a Proxy threw)",
            ),
            (
                "{ p: (() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })() }",
                "params.p cannot be read (a getter or a Proxy threw)",
            ),
            ("{ s: Symbol('x') }", "params.s must be JSON data, not a symbol"),
            (
                "{ wide: Array.from({ length: 1000 }, () => Array(1000).fill(0)) }",
                "params.wide[998][999] holds too many values",
            ),
        ];
        for (source, expected) in cases {
            let e = js_to_json(&js(source), "params").err().map(message);
            assert_eq!(e.as_deref(), Some(expected), "{source}");
        }
        // A non-finite `clockSkewInMs` is left out (the core's default applies); deeper down it is an error.
        for skew in ["NaN", "Infinity", "-Infinity"] {
            let v = js_to_json(
                &js(&["{ clockSkewInMs: ", skew, ", token: 't' }"].concat()),
                "p",
            );
            assert_eq!(v.ok(), Some(serde_json::json!({ "token": "t" })), "{skew}");
        }
        let nested = js_to_json(&js("{ claims: { clockSkewInMs: NaN } }"), "params").err();
        assert_eq!(
            nested.map(message).as_deref(),
            Some("params.claims.clockSkewInMs must be a finite number")
        );
        // Holes read as `undefined`, which JSON writes as null in arrays.
        let sparse = js_to_json(&js("{ a: [1, , 3] }"), "params").ok();
        assert_eq!(sparse, Some(serde_json::json!({ "a": [1, null, 3] })));
        // Still serving: the same walker converts the next value.
        assert!(js_to_json(&js("{ ok: [true] }"), "params").is_ok());
    }

    #[wasm_bindgen_test]
    fn results_are_what_json_parse_makes_of_their_text() {
        let texts = [
            r#"{"id":"mt_1","big":12345678901234567890,"neg":-9007199254740993,"f":1.5,"z":-0.0,"e":1e308,"tiny":5e-324,"s":"é\u2028\"\\","a":[null,true,{"z":1,"a":2}],"o":{}}"#,
            r#"[1,[],"x"]"#,
            "null",
        ];
        for text in texts {
            let value: Value = serde_json::from_str(text).unwrap_or(Value::Bool(false));
            let ours = json_to_js(&value);
            let parsed = js_sys::JSON::parse(text).unwrap_or(JsValue::UNDEFINED);
            let as_text = |v: &JsValue| js_sys::JSON::stringify(v).ok().map(String::from);
            assert_eq!(as_text(&ours), as_text(&parsed), "{text}");
        }
        let z = Reflect::get(&json_to_js(&serde_json::json!({ "z": -0.0 })), &"z".into());
        assert!(
            z.is_ok_and(|z| Object::is(&z, &JsValue::from_f64(-0.0))),
            "-0 stays -0"
        );

        // A `__proto__` key is an own property, as `JSON.parse` makes it, never the prototype.
        let text = r#"{"claims":{"__proto__":{"admin":true},"x":1}}"#;
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let claims = Reflect::get(&json_to_js(&value), &"claims".into()).unwrap_or(JsValue::NULL);
        let keys = Reflect::own_keys(&claims).map(|k| k.length()).unwrap_or(0);
        assert_eq!(keys, 2, "__proto__ and x are own keys");
        assert!(OBJECT_PROTOTYPE.with(|p| JsValue::from(Object::get_prototype_of(&claims)) == *p));
        let admin = Reflect::get(&claims, &"admin".into()).unwrap_or(JsValue::NULL);
        assert!(
            admin.is_undefined(),
            "not inherited through a planted prototype"
        );
    }

    #[wasm_bindgen_test]
    fn errors_cross_as_tagged_js_errors() {
        use clerk_m2m_core::{ApiError, ApiErrorMeta, VerificationError, VerificationErrorCode};
        let api = Error::Api(ApiResponseError {
            status: Some(401),
            status_text: "Unauthorized".into(),
            message: "Unauthorized".into(),
            errors: vec![ApiError {
                code: "machine_secret_key_invalid".into(),
                message: "bad".into(),
                long_message: Some("long bad".into()),
                meta: Some(ApiErrorMeta {
                    param_name: Some("p".into()),
                    ..ApiErrorMeta::default()
                }),
            }],
            clerk_trace_id: "trace1".into(),
            retry_after: Some(7),
            network_failure: false,
        });
        let e = error_to_js(&api);
        let get = |o: &JsValue, k: &str| {
            Reflect::get(o, &JsValue::from_str(k)).unwrap_or(JsValue::UNDEFINED)
        };
        assert!(e.is_instance_of::<js_sys::Error>());
        assert_eq!(
            get(&e, "kind").as_string().as_deref(),
            Some("ClerkAPIResponseError")
        );
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("api_response_error")
        );
        assert_eq!(get(&e, "status").as_f64(), Some(401.0));
        assert_eq!(get(&e, "retryAfter").as_f64(), Some(7.0));
        assert_eq!(
            get(&e, "clerkTraceId").as_string().as_deref(),
            Some("trace1")
        );
        let first = get(&get(&e, "errors"), "0");
        assert_eq!(
            get(&first, "longMessage").as_string().as_deref(),
            Some("long bad")
        );
        assert_eq!(
            get(&get(&first, "meta"), "paramName")
                .as_string()
                .as_deref(),
            Some("p")
        );

        let mut v = VerificationError::new(
            VerificationErrorCode::TokenInvalid,
            "category",
            "Invalid M2M JWT category.",
        );
        v.action = Some("act");
        let e = error_to_js(&Error::Verification(v));
        assert_eq!(
            get(&e, "kind").as_string().as_deref(),
            Some("MachineTokenVerificationError")
        );
        assert_eq!(
            get(&e, "code").as_string().as_deref(),
            Some("token-invalid")
        );
        assert_eq!(
            get(&e, "message").as_string().as_deref(),
            Some("Invalid M2M JWT category.")
        );
        assert_eq!(get(&e, "status"), JsValue::UNDEFINED);
    }
}
