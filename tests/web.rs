//! wasm-bindgen tests of the WASM boundary itself (`Client` as js/api.js drives it), run as typed:
//! `wasm-pack test --node` in Node and `wasm-pack test --headless --chrome` in headless Chromium (build.rs).
//!
//! The Backend API tests talk to the local Backend API whose ready line (`CLERK_TEST_CONTEXT`, from
//! `scripts/local-bapi`) is in the build environment, as scripts/test sets it; it serves CORS, so the browser
//! may call it from the test page's origin. Without it they only say so.
#![cfg(target_arch = "wasm32")]

#[cfg(wasm_bindgen_browser_tests)]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use clerk_m2m_edge::Client;
use js_sys::{Function, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

const CONTEXT: Option<&str> = option_env!("CLERK_TEST_CONTEXT");

/// A JS expression's value.
fn js(source: &str) -> JsValue {
    js_sys::eval(&["(", source, ")"].concat()).expect("a valid JS expression")
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn text(value: &JsValue, key: &str) -> String {
    get(value, key).as_string().unwrap_or_default()
}

fn stringify(value: &JsValue) -> String {
    js_sys::JSON::stringify(value)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

fn client(options: &JsValue) -> Client {
    match Client::new(
        options.clone(),
        JsValue::UNDEFINED,
        JsValue::UNDEFINED,
        None,
        JsValue::UNDEFINED,
    ) {
        Ok(client) => client,
        Err(e) => panic!("Client::new failed: {}", text(&e, "message")),
    }
}

async fn settle(promise: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(promise).await
}

/// The local Backend API's ready line: `{ url, secretKey, machines: [{ id, secretKey, scopes }] }`.
fn backend_api() -> Option<Value> {
    let Some(line) = CONTEXT else {
        console_log!(
            "no CLERK_TEST_CONTEXT at build time: the Backend API tests have nothing to call"
        );
        return None;
    };
    serde_json::from_str(line).ok()
}

/// `{ token, tampered, jwk }`: a Clerk-shaped M2M JWT signed by a fresh WebCrypto RSA key, the same token
/// with one payload character changed, and the public key as JWK text (what `jwtKey` accepts).
async fn signed_token() -> JsValue {
    let make: Function = js(r#"async () => {
        const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
        const pair = await crypto.subtle.generateKey({ ...alg, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify']);
        const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
        const part = (o) => b64(new TextEncoder().encode(JSON.stringify(o)));
        const now = Math.floor(Date.now() / 1000);
        const header = part({ alg: 'RS256', kid: 'ins_boundary', typ: 'JWT', cat: 'cl_B7d4PD333AAA' });
        const payload = { jti: 'mt_boundary', sub: 'mch_sender', aud: ['mch_receiver'], scopes: 'mch_receiver', role: 'service', nested: { z: 1, a: 2 }, iat: now, nbf: now - 5, exp: now + 300 };
        const signed = header + '.' + part(payload);
        const signature = b64(await crypto.subtle.sign(alg, pair.privateKey, new TextEncoder().encode(signed)));
        const tampered = header + '.' + part({ ...payload, sub: 'mch_attacker' }) + '.' + signature;
        const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'ins_boundary', use: 'sig', alg: 'RS256' };
        return { token: signed + '.' + signature, tampered, jwk: JSON.stringify(jwk) };
    }"#)
    .unchecked_into();
    let promise: Promise = make
        .call0(&JsValue::NULL)
        .expect("the key maker runs")
        .unchecked_into();
    settle(promise).await.expect("WebCrypto signs")
}

fn params(token: &str) -> JsValue {
    let o = js_sys::Object::new();
    let _ = Reflect::set(&o, &"token".into(), &token.into());
    o.into()
}

#[wasm_bindgen_test]
fn version_is_the_crate_version() {
    assert_eq!(clerk_m2m_edge::version(), env!("CARGO_PKG_VERSION"));
}

#[wasm_bindgen_test]
fn a_client_is_built_from_options_and_a_bad_one_is_a_typed_error_without_the_key() {
    client(&js(
        "{ secretKey: 'sk_test_boundary', apiUrl: 'https://api.clerk.test', timeoutMs: 1000, clockSkewInMs: 0 }",
    ));
    let cases = [
        ("{ timeoutMs: -1 }", "TypeError", "timeoutMs"),
        (
            "{ secretKey: 'sk_test_LEAK\\nME' }",
            "TypeError",
            "secretKey",
        ),
        (
            "{ apiUrl: 'not a url' }",
            "ClerkConfigurationError",
            "apiUrl",
        ),
        (
            "{ secretKey: 'sk_test_LEAKME', retry: 'often' }",
            "TypeError",
            "retry",
        ),
    ];
    for (options, kind, names) in cases {
        let error = match Client::new(
            js(options),
            JsValue::UNDEFINED,
            JsValue::UNDEFINED,
            None,
            JsValue::UNDEFINED,
        ) {
            Ok(_) => panic!("{options} was accepted"),
            Err(e) => e,
        };
        assert!(
            error.is_instance_of::<js_sys::Error>(),
            "{options}: an Error"
        );
        assert_eq!(text(&error, "kind"), kind, "{options}");
        let message = text(&error, "message");
        assert!(message.contains(names), "{options}: {message}");
        assert!(
            !message.contains("LEAK"),
            "{options}: the key is in {message}"
        );
    }
}

#[wasm_bindgen_test]
async fn a_jwt_is_verified_through_webcrypto_and_a_tampered_one_is_a_typed_error() {
    let made = signed_token().await;
    let options = js_sys::Object::new();
    let _ = Reflect::set(&options, &"jwtKey".into(), &get(&made, "jwk"));
    let client = client(&options.into());

    let token = settle(client.verify(params(&text(&made, "token")))).await;
    let token = token.unwrap_or_else(|e| panic!("verify rejected: {}", text(&e, "message")));
    assert_eq!(text(&token, "id"), "mt_boundary");
    assert_eq!(text(&token, "subject"), "mch_sender");
    assert_eq!(stringify(&get(&token, "scopes")), r#"["mch_receiver"]"#);
    // The payload's own key order, as `JSON.parse` of it gives.
    assert_eq!(
        stringify(&get(&token, "claims")),
        r#"{"aud":["mch_receiver"],"scopes":"mch_receiver","role":"service","nested":{"z":1,"a":2}}"#
    );
    assert_eq!(get(&token, "revoked"), JsValue::FALSE);

    // The key is imported now: the same token again is a synchronous cache hit.
    let hit = client.step(
        clerk_m2m_edge::STEP_VERIFY,
        Some(text(&made, "token").into_bytes()),
        JsValue::UNDEFINED,
    );
    assert!(
        hit.as_ref().is_ok_and(|h| h.as_f64().is_some()),
        "a cache hit's serial"
    );
    assert_eq!(text(&client.last_hit(), "subject"), "mch_sender");
    assert!(client.last_hit().is_undefined(), "handed out once");

    let tampered = text(&made, "tampered");
    let error = settle(client.verify(params(&tampered))).await.err();
    let error = error.expect("a tampered token is refused");
    assert_eq!(text(&error, "kind"), "MachineTokenVerificationError");
    assert_eq!(text(&error, "code"), "token-verification-failed");
    assert!(!text(&error, "message").contains(&tampered));
}

#[wasm_bindgen_test]
async fn an_aborted_call_rejects_as_aborted_before_any_request() {
    let client = client(&js(
        "{ secretKey: 'sk_test_boundary', apiUrl: 'http://127.0.0.1:9' }",
    ));
    let params = js("{ subject: 'mch_x', signal: (() => { const c = new AbortController(); c.abort(); return c.signal; })() }");
    let error = settle(client.list(params))
        .await
        .expect_err("an aborted call rejects");
    assert_eq!(text(&error, "kind"), "AbortError");
    let error = settle(client.list(js("{ subject: 'mch_x', signal: {} }")))
        .await
        .err();
    let error = error.expect("a signal that is not an AbortSignal rejects");
    assert_eq!(text(&error, "kind"), "TypeError");
    assert!(text(&error, "message").contains("params.signal"));
}

#[wasm_bindgen_test]
async fn create_list_and_verify_against_the_local_backend_api() {
    let Some(bapi) = backend_api() else { return };
    let url = bapi["url"].as_str().unwrap_or_default();
    let sender = &bapi["machines"][0];
    let sender_id = sender["id"].as_str().unwrap_or_default();
    let with_key = |key: &str, secret: &Value| {
        let o = js_sys::Object::new();
        let _ = Reflect::set(&o, &"apiUrl".into(), &url.into());
        let _ = Reflect::set(&o, &key.into(), &secret.as_str().unwrap_or_default().into());
        client(&o.into())
    };
    let sender_client = with_key("machineSecretKey", &sender["secretKey"]);
    let instance_client = with_key("secretKey", &bapi["secretKey"]);

    let created = settle(sender_client.create_token(js(
        "{ secondsUntilExpiration: 600, claims: { role: 'job', a: 1 } }",
    )))
    .await;
    let created =
        created.unwrap_or_else(|e| panic!("createToken rejected: {}", text(&e, "message")));
    let opaque = text(&created, "token");
    assert!(opaque.starts_with("mt_"), "an opaque token");
    assert_eq!(text(&created, "subject"), sender_id);
    assert_eq!(
        stringify(&get(&created, "claims")),
        r#"{"role":"job","a":1}"#
    );

    let page =
        settle(instance_client.list(js(&format!("{{ subject: '{sender_id}', limit: 100 }}"))))
            .await;
    let page = page.unwrap_or_else(|e| panic!("list rejected: {}", text(&e, "message")));
    assert!(
        stringify(&get(&page, "data")).contains(&text(&created, "id")),
        "the new token is listed"
    );
    assert!(get(&page, "totalCount").as_f64().is_some_and(|n| n >= 1.0));

    let verified = settle(instance_client.verify(params(&opaque))).await;
    let verified =
        verified.unwrap_or_else(|e| panic!("opaque verify rejected: {}", text(&e, "message")));
    assert_eq!(text(&verified, "id"), text(&created, "id"));

    // A JWT: minted by the Backend API, verified here with its JWKS (fetched once) through WebCrypto.
    let jwt = settle(
        sender_client.create_token(js("{ tokenFormat: 'jwt', secondsUntilExpiration: 600 }")),
    )
    .await;
    let jwt = text(
        &jwt.unwrap_or_else(|e| panic!("createToken jwt rejected: {}", text(&e, "message"))),
        "token",
    );
    let verified = settle(instance_client.verify(params(&jwt))).await;
    let verified =
        verified.unwrap_or_else(|e| panic!("JWT verify rejected: {}", text(&e, "message")));
    assert_eq!(text(&verified, "subject"), sender_id);

    let refused = settle(instance_client.verify(params("mt_not_a_real_token")))
        .await
        .err();
    let refused = refused.expect("an unknown opaque token is refused");
    assert_eq!(text(&refused, "kind"), "ClerkAPIResponseError");
    assert_eq!(get(&refused, "status").as_f64(), Some(404.0));
}
