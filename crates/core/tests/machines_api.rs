//! The nine `machines.*` calls against a scripted transport: every case of Clerk's
//! `packages/backend/src/api/__tests__/MachineApi.test.ts` (its fixtures, the requests it checks), the exact
//! bytes on the wire, the instance-key rule, the retries of the reads and none of the writes, and the
//! spec's answers (`Machine.Deleted`, `MachineScope.Deleted`).

mod m2m_support;

use clerk_m2m_core::machines::{
    self, call_by_name, create, create_scope, delete, delete_scope, get, get_secret_key, list,
    rotate_secret_key, update, MachinesResult, MSG_MISSING_SECRET_KEY,
};
use clerk_m2m_core::ports::{HttpRequest, Method, TransportError};
use clerk_m2m_core::retry::RetryPolicy;
use clerk_m2m_core::ClientConfig;
use m2m_support::*;
use serde_json::{json, Value};

const SK: &str = "deadbeef";
const MACHINE_ID: &str = "machine_123";
const OTHER_ID: &str = "machine_456";

fn instance() -> ClientConfig {
    config(Some(SK), None)
}

fn second_machine() -> Value {
    json!({
        "object": "machine", "id": OTHER_ID, "name": "Second Machine", "instance_id": "inst_456",
        "created_at": 1640995200, "updated_at": 1640995200,
    })
}

fn mock_machine() -> Value {
    json!({
        "object": "machine", "id": MACHINE_ID, "name": "Test Machine", "instance_id": "inst_123",
        "created_at": 1640995200, "updated_at": 1640995200, "scoped_machines": [second_machine()],
    })
}

fn mock_scope() -> Value {
    json!({ "object": "machine_scope", "from_machine_id": MACHINE_ID, "to_machine_id": OTHER_ID, "created_at": 1640995200 })
}

/// The request went to `{API_URL}/v1{path}` with this method, the instance key and the reference's headers.
fn assert_request(r: &HttpRequest, method: Method, path_and_query: &str) {
    assert_eq!(r.method, method);
    assert_eq!(r.url, format!("{API_URL}/v1{path_and_query}"));
    assert_eq!(r.headers, expected_headers(Some(SK)));
}

// ---- Clerk's MachineApi.test.ts ---------------------------------------------------------------------

#[test]
fn fetches_a_machine_by_id() {
    let fake = Fake::with(vec![ok(&mock_machine())]);
    let m = block_on(get(&fake, &instance(), &json!({ "machineId": MACHINE_ID }))).unwrap();
    let r = fake.only_request();
    assert_request(&r, Method::Get, "/machines/machine_123");
    assert_eq!(r.body, None);
    assert_eq!(
        (m.id.as_str(), m.name.as_str()),
        (MACHINE_ID, "Test Machine")
    );
}

#[test]
fn fetches_machines_list_with_query_parameters() {
    let fake = Fake::with(vec![ok(
        &json!({ "data": [mock_machine()], "total_count": 1 }),
    )]);
    let page = block_on(list(
        &fake,
        &instance(),
        &json!({ "limit": 10, "offset": 5, "query": "test" }),
    ))
    .unwrap();
    assert_request(
        &fake.only_request(),
        Method::Get,
        "/machines?limit=10&offset=5&query=test",
    );
    assert_eq!((page.data.len(), page.total_count), (1, 1));
    // No params: no query at all.
    let fake = Fake::with(vec![ok(&json!({ "data": [], "total_count": 0 }))]);
    block_on(list(&fake, &instance(), &Value::Null)).unwrap();
    assert_request(&fake.only_request(), Method::Get, "/machines");
}

#[test]
fn creates_a_machine_with_scoped_machines() {
    // Clerk's case passes snake_case keys, which the reference sends as they are; camelCase gives the same body.
    for params in [
        json!({ "name": "New Machine", "scoped_machines": [OTHER_ID], "default_token_ttl": 7200 }),
        json!({ "name": "New Machine", "scopedMachines": [OTHER_ID], "defaultTokenTtl": 7200 }),
    ] {
        let fake = Fake::with(vec![ok(&mock_machine())]);
        let m = block_on(create(&fake, &instance(), &params)).unwrap();
        let r = fake.only_request();
        assert_request(&r, Method::Post, "/machines");
        assert_eq!(
            r.body.as_deref(),
            Some(
                r#"{"name":"New Machine","scoped_machines":["machine_456"],"default_token_ttl":7200}"#
            )
        );
        assert_eq!(
            (m.id.as_str(), m.name.as_str()),
            (MACHINE_ID, "Test Machine")
        );
        assert_eq!(m.scoped_machines.len(), 1);
        assert_eq!(m.scoped_machines[0].id, OTHER_ID);
        assert_eq!(m.scoped_machines[0].name, "Second Machine");
    }
}

#[test]
fn updates_a_machine_with_partial_parameters() {
    let mut updated = mock_machine();
    updated["name"] = json!("Updated Machine");
    let fake = Fake::with(vec![ok(&updated)]);
    let m = block_on(update(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID, "name": "Updated Machine" }),
    ))
    .unwrap();
    let r = fake.only_request();
    assert_request(&r, Method::Patch, "/machines/machine_123");
    assert_eq!(body_json(&r), json!({ "name": "Updated Machine" }));
    assert_eq!(
        (m.id.as_str(), m.name.as_str()),
        (MACHINE_ID, "Updated Machine")
    );
}

#[test]
fn deletes_a_machine() {
    // Clerk's fixture answers with the machine (the reference then returns that Machine) …
    let fake = Fake::with(vec![ok(&mock_machine())]);
    let r = block_on(delete(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID }),
    ))
    .unwrap();
    assert_request(
        &fake.only_request(),
        Method::Delete,
        "/machines/machine_123",
    );
    assert!(
        matches!(&r, MachinesResult::Machine(m) if m.id == MACHINE_ID),
        "{r:?}"
    );
    // … the spec's Machine.Deleted becomes the reference's DeletedObject.
    let fake = Fake::with(vec![ok(
        &json!({ "object": "machine", "id": MACHINE_ID, "deleted": true }),
    )]);
    let r = block_on(delete(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID }),
    ))
    .unwrap();
    assert_eq!(
        r.to_public_json_text(),
        r#"{"object":"machine","id":"machine_123","slug":null,"deleted":true}"#
    );
    assert_eq!(fake.only_request().body, None);
}

#[test]
fn fetches_machine_secret_key() {
    let fake = Fake::with(vec![ok(&json!({ "secret": "ak_test_..." }))]);
    let k = block_on(get_secret_key(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID }),
    ))
    .unwrap();
    assert_request(
        &fake.only_request(),
        Method::Get,
        "/machines/machine_123/secret_key",
    );
    assert_eq!(k.secret.expose(), "ak_test_...");
}

#[test]
fn rotates_a_machine_secret_key() {
    let fake = Fake::with(vec![ok(&json!({ "secret": "ak_updated_..." }))]);
    let k = block_on(rotate_secret_key(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID, "previousTokenTtl": 3600 }),
    ))
    .unwrap();
    let r = fake.only_request();
    assert_request(&r, Method::Post, "/machines/machine_123/secret_key/rotate");
    assert_eq!(r.body.as_deref(), Some(r#"{"previous_token_ttl":3600}"#));
    assert_eq!(k.secret.expose(), "ak_updated_...");
}

#[test]
fn creates_a_machine_scope() {
    let fake = Fake::with(vec![ok(&mock_scope())]);
    let s = block_on(create_scope(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID, "toMachineId": OTHER_ID }),
    ))
    .unwrap();
    let r = fake.only_request();
    assert_request(&r, Method::Post, "/machines/machine_123/scopes");
    assert_eq!(
        r.body.as_deref(),
        Some(r#"{"to_machine_id":"machine_456"}"#)
    );
    assert_eq!(
        (s.from_machine_id.as_str(), s.to_machine_id.as_str()),
        (MACHINE_ID, OTHER_ID)
    );
}

#[test]
fn deletes_a_machine_scope() {
    // Clerk's fixture, then the spec's MachineScope.Deleted: the ids are kept in both (docs/compat.md).
    let deleted = json!({ "object": "machine_scope", "from_machine_id": MACHINE_ID, "to_machine_id": OTHER_ID, "deleted": true });
    for answer in [mock_scope(), deleted] {
        let fake = Fake::with(vec![ok(&answer)]);
        let s = block_on(delete_scope(
            &fake,
            &instance(),
            &json!({ "machineId": MACHINE_ID, "otherMachineId": OTHER_ID }),
        ))
        .unwrap();
        let r = fake.only_request();
        assert_request(
            &r,
            Method::Delete,
            "/machines/machine_123/scopes/machine_456",
        );
        assert_eq!(r.body, None);
        assert_eq!(
            (s.from_machine_id.as_str(), s.to_machine_id.as_str()),
            (MACHINE_ID, OTHER_ID)
        );
    }
}

// ---- Keys, ids, transport ---------------------------------------------------------------------------

fn every_call() -> Vec<(&'static str, Value)> {
    vec![
        ("get", json!({ "machineId": MACHINE_ID })),
        ("list", Value::Null),
        ("create", json!({ "name": "x" })),
        ("update", json!({ "machineId": MACHINE_ID, "name": "x" })),
        ("delete", json!({ "machineId": MACHINE_ID })),
        ("getSecretKey", json!({ "machineId": MACHINE_ID })),
        (
            "rotateSecretKey",
            json!({ "machineId": MACHINE_ID, "previousTokenTtl": 0 }),
        ),
        (
            "createScope",
            json!({ "machineId": MACHINE_ID, "toMachineId": OTHER_ID }),
        ),
        (
            "deleteScope",
            json!({ "machineId": MACHINE_ID, "otherMachineId": OTHER_ID }),
        ),
    ]
}

#[test]
fn the_instance_key_is_required_and_a_machine_key_is_never_sent() {
    for (name, params) in every_call() {
        for config in [
            config(None, None),
            config(None, Some("ak_machine")),
            config(Some(""), Some("ak_machine")),
        ] {
            let fake = Fake::new();
            let message = configuration(block_on(call_by_name(&fake, &config, name, &params)));
            assert_eq!(message, MSG_MISSING_SECRET_KEY, "{name}");
            assert_eq!(
                fake.count(),
                0,
                "{name}: no request without the instance key"
            );
        }
        // With both keys, the instance key goes out (the machine key wins only the M2M calls).
        let fake = Fake::with(vec![raw(500, "", &[], "")]);
        let _ = block_on(call_by_name(
            &fake,
            &ClientConfig {
                retry: RetryPolicy::disabled(),
                ..config(Some(SK), Some("ak_machine"))
            },
            name,
            &params,
        ));
        assert_eq!(
            authorization(&fake.only_request()).as_deref(),
            Some("Bearer deadbeef"),
            "{name}"
        );
    }
}

#[test]
fn bad_params_fail_before_any_request_and_before_the_key_check() {
    for (name, params) in [
        ("get", json!({ "machineId": "" })),
        ("delete", json!({})),
        ("createScope", json!({ "machineId": MACHINE_ID })),
        (
            "deleteScope",
            json!({ "machineId": MACHINE_ID, "otherMachineId": "" }),
        ),
        ("update", json!({ "name": "x" })),
    ] {
        let fake = Fake::new();
        let message = invalid(block_on(call_by_name(
            &fake,
            &config(None, None),
            name,
            &params,
        )));
        assert!(
            message.starts_with("A valid resource ID is required: "),
            "{name}: {message}"
        );
        assert_eq!(fake.count(), 0);
    }
    let fake = Fake::new();
    assert_eq!(
        invalid(block_on(call_by_name(
            &fake,
            &instance(),
            "listAll",
            &Value::Null
        ))),
        "machines has no method \"listAll\""
    );
}

#[test]
fn ids_are_percent_encoded_and_dot_segments_refused() {
    let fake = Fake::with(vec![ok(&mock_scope())]);
    block_on(delete_scope(
        &fake,
        &instance(),
        &json!({ "machineId": "a/b?c", "otherMachineId": "d#e" }),
    ))
    .unwrap();
    assert_eq!(
        fake.only_request().url,
        format!("{API_URL}/v1/machines/a%2Fb%3Fc/scopes/d%23e")
    );
    let fake = Fake::new();
    assert!(block_on(get(&fake, &instance(), &json!({ "machineId": ".." }))).is_err());
    assert_eq!(fake.count(), 0);
    // apiVersion is a segment too, and apiUrl's path prefix is kept.
    let fake = Fake::with(vec![ok(&mock_machine())]);
    let config = ClientConfig {
        api_url: "https://x.test/bapi/".into(),
        api_version: "v2".into(),
        ..instance()
    };
    block_on(get(&fake, &config, &json!({ "machineId": MACHINE_ID }))).unwrap();
    assert_eq!(
        fake.only_request().url,
        "https://x.test/bapi/v2/machines/machine_123"
    );
}

#[test]
fn the_instance_key_never_goes_over_plain_http_to_a_remote_host() {
    let fake = Fake::new();
    let config = ClientConfig {
        api_url: "http://bapi.internal".into(),
        ..instance()
    };
    assert!(matches!(
        block_on(list(&fake, &config, &Value::Null)),
        Err(clerk_m2m_core::Error::Configuration { .. })
    ));
    assert_eq!(fake.count(), 0);
    let fake = Fake::with(vec![ok(&json!({ "data": [], "total_count": 0 }))]);
    let config = ClientConfig {
        api_url: "http://127.0.0.1:8787".into(),
        ..instance()
    };
    block_on(list(&fake, &config, &Value::Null)).unwrap();
}

#[test]
fn timeouts_per_call_and_from_the_client() {
    let fake = Fake::with(vec![ok(&mock_machine()), ok(&mock_machine())]);
    block_on(get(&fake, &instance(), &json!({ "machineId": MACHINE_ID }))).unwrap();
    block_on(get(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID, "timeoutMs": 250 }),
    ))
    .unwrap();
    let requests = fake.requests.borrow();
    assert_eq!(
        (requests[0].timeout_ms, requests[1].timeout_ms),
        (Some(30_000), Some(250))
    );
}

// ---- Retries: the reads, never the writes -----------------------------------------------------------

#[test]
fn reads_retry_429_5xx_and_network_errors() {
    for (name, params, answer) in [
        ("get", json!({ "machineId": MACHINE_ID }), mock_machine()),
        (
            "list",
            json!({ "limit": 2 }),
            json!({ "data": [], "total_count": 0 }),
        ),
        (
            "getSecretKey",
            json!({ "machineId": MACHINE_ID }),
            json!({ "secret": "ak_1" }),
        ),
    ] {
        let fake = Fake::with(vec![
            raw(429, "Too Many Requests", &[("retry-after", "1")], ""),
            Err(TransportError::Network {
                message: "reset".into(),
            }),
            ok(&answer),
        ]);
        block_on(call_by_name(&fake, &instance(), name, &params)).unwrap();
        assert_eq!(fake.count(), 3, "{name}");
        assert_eq!(fake.sleeps()[0], 1000, "{name}: Retry-After honoured");
        let requests = fake.requests.borrow();
        assert!(
            requests.iter().all(|r| *r == requests[0]),
            "{name}: the same request each time"
        );
    }
    // The last answer is the error when the attempts run out.
    let fake = Fake::with(vec![
        raw(503, "Service Unavailable", &[], ""),
        raw(503, "", &[], ""),
        raw(503, "", &[], ""),
    ]);
    let e = api_err(block_on(list(&fake, &instance(), &Value::Null)));
    assert_eq!((e.status, fake.count()), (Some(503), 3));
    // A 404 is final.
    let fake = Fake::with(vec![json_response(
        404,
        "Not Found",
        &json!({ "errors": [{ "code": "resource_not_found", "message": "not found" }] }),
    )]);
    let e = api_err(block_on(get(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID }),
    )));
    assert_eq!(
        (e.status, e.errors[0].code.as_str(), fake.count()),
        (Some(404), "resource_not_found", 1)
    );
}

#[test]
fn writes_are_sent_exactly_once() {
    for (name, params) in every_call() {
        if ["get", "list", "getSecretKey"].contains(&name) {
            continue;
        }
        for failure in [
            raw(503, "Service Unavailable", &[], ""),
            Err(TransportError::Network {
                message: "reset".into(),
            }),
        ] {
            let fake = Fake::with(vec![failure, ok(&mock_machine())]);
            let e = api_err(block_on(call_by_name(&fake, &instance(), name, &params)));
            assert!(e.status == Some(503) || e.network_failure, "{name}: {e:?}");
            assert_eq!(fake.count(), 1, "{name}: a write is never retried");
            assert!(fake.sleeps().is_empty());
        }
    }
}

// ---- Errors and unexpected answers ------------------------------------------------------------------

#[test]
fn api_errors_are_typed_with_codes_and_trace_ids() {
    let body = json!({
        "errors": [{ "code": "clerk_key_invalid", "message": "The provided Clerk Secret Key is invalid.", "long_message": "long" }],
        "clerk_trace_id": "trace_1",
    });
    for (name, params) in every_call() {
        let fake = Fake::with(vec![json_response(401, "Unauthorized", &body)]);
        let e = api_err(block_on(call_by_name(
            &fake,
            &config(Some("ak_machine_as_sk"), None),
            name,
            &params,
        )));
        assert_eq!(e.status, Some(401), "{name}");
        assert_eq!(e.errors[0].code, "clerk_key_invalid");
        assert_eq!(e.errors[0].long_message.as_deref(), Some("long"));
        assert_eq!(e.clerk_trace_id, "trace_1");
        assert_eq!(fake.count(), 1);
    }
    let fake = Fake::with(vec![json_response(
        409,
        "Conflict",
        &json!({ "errors": [{ "code": "duplicate_record", "message": "dup" }] }),
    )]);
    let e = api_err(block_on(create_scope(
        &fake,
        &instance(),
        &json!({ "machineId": MACHINE_ID, "toMachineId": OTHER_ID }),
    )));
    assert_eq!(
        (e.status, e.errors[0].code.as_str()),
        (Some(409), "duplicate_record")
    );
}

#[test]
fn unexpected_answers_keep_the_status_and_name_the_field() {
    let cases: Vec<(&str, Value, Result<_, TransportError>, &str)> = vec![
        (
            "get",
            json!({ "machineId": MACHINE_ID }),
            ok(&json!({ "object": "user" })),
            "field `object` is not \"machine\"",
        ),
        (
            "list",
            Value::Null,
            ok(&json!({ "machines": [] })),
            "missing field `data`",
        ),
        (
            "getSecretKey",
            json!({ "machineId": MACHINE_ID }),
            ok(&json!({})),
            "missing field `secret`",
        ),
        (
            "create",
            json!({ "name": "x" }),
            raw(200, "OK", &[("content-type", "text/html")], "<html>"),
            "expected a JSON response (content-type application/json)",
        ),
        (
            "delete",
            json!({ "machineId": MACHINE_ID }),
            raw(204, "No Content", &[], ""),
            "empty response (204 No Content)",
        ),
    ];
    for (name, params, answer, what) in cases {
        let fake = Fake::with(vec![answer]);
        let e = api_err(block_on(call_by_name(&fake, &instance(), name, &params)));
        assert_eq!(
            e.message, "Unexpected response from the Clerk Backend API",
            "{name}"
        );
        assert_eq!(e.errors[0].code, "unexpected_error");
        assert_eq!(e.errors[0].message, what, "{name}");
    }
}

#[test]
fn results_are_camel_case_in_the_references_order() {
    let mut created = mock_machine();
    created["default_token_ttl"] = json!(7200);
    created["secret_key"] = json!("ak_created");
    let fake = Fake::with(vec![ok(&created)]);
    let r = block_on(call_by_name(
        &fake,
        &instance(),
        "create",
        &json!({ "name": "x" }),
    ))
    .unwrap();
    let text = r.to_public_json_text();
    assert_eq!(
        text,
        r#"{"id":"machine_123","name":"Test Machine","instanceId":"inst_123","createdAt":1640995200,"updatedAt":1640995200,"scopedMachines":[{"id":"machine_456","name":"Second Machine","instanceId":"inst_456","createdAt":1640995200,"updatedAt":1640995200,"scopedMachines":[]}],"defaultTokenTtl":7200,"secretKey":"ak_created"}"#
    );
    // The secret key is in the result, never in its Debug form.
    assert!(!format!("{r:?}").contains("ak_created"));
    let _: machines::Machine = match r {
        MachinesResult::Machine(m) => m,
        other => panic!("{other:?}"),
    };
}
