//! Test controls: faults, request log, CORS, reset, machines, shutdown.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};

async fn fault(s: &Bapi, body: Value) {
    let res = s.admin("POST", "/faults", body).await;
    assert_eq!(res.status, 201, "{}", res.text());
}

fn list_path(s: &Bapi) -> String {
    format!("/m2m_tokens?subject={}", s.id(0))
}

#[tokio::test]
async fn status_and_rate_limit_faults() {
    let s = Bapi::start(1).await;
    fault(
        &s,
        json!({"route": "list", "count": 1, "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    let res = s.call("GET", &list_path(&s), Some(s.sk()), None).await;
    res.clerk_error(503, "internal_clerk_error");
    // count 1: used up.
    assert_eq!(
        s.call("GET", &list_path(&s), Some(s.sk()), None)
            .await
            .status,
        200
    );
    // Custom errors; faults apply before authentication.
    let errors = json!([{"code": "custom", "message": "m", "long_message": "l", "meta": {}}]);
    fault(
        &s,
        json!({"route": "verify", "fault": {"kind": "status", "status": 500, "errors": errors}}),
    )
    .await;
    let res = s.verify("nobody", "mt_x").await;
    assert_eq!(res.status, 500);
    assert_eq!(res.json()["errors"], errors);
    assert!(res.json()["clerk_trace_id"].is_string());
    // Without count it stays until cleared.
    assert_eq!(s.verify("nobody", "mt_x").await.status, 500);
    // Other routes are untouched.
    assert_eq!(
        s.call("GET", &list_path(&s), Some(s.sk()), None)
            .await
            .status,
        200
    );
    let listed = s.admin("GET", "/faults", json!({})).await.json();
    assert_eq!(listed["faults"].as_array().unwrap().len(), 1);
    assert_eq!(s.admin("DELETE", "/faults", json!({})).await.status, 200);
    assert_eq!(s.verify(s.sk(), "mt_x").await.status, 404);

    fault(
        &s,
        json!({"route": "*", "count": 2, "fault": {"kind": "rate_limit", "retry_after": 7}}),
    )
    .await;
    let res = s.call("GET", "/v1/jwks", Some(s.sk()), None).await;
    res.clerk_error(429, "too_many_requests");
    assert_eq!(res.header("retry-after"), Some("7"));
    assert_eq!(
        res.header("access-control-expose-headers"),
        Some("retry-after, cf-ray")
    );
    assert_eq!(
        s.call("POST", "/m2m_tokens", Some(s.key(0)), Some("{}"))
            .await
            .status,
        429
    );
    assert_eq!(
        s.call("POST", "/m2m_tokens", Some(s.key(0)), Some("{}"))
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn body_faults() {
    let s = Bapi::start(1).await;
    fault(
        &s,
        json!({"route": "jwks", "count": 1, "fault": {"kind": "html", "status": 502}}),
    )
    .await;
    let res = s.call("GET", "/v1/jwks", Some(s.sk()), None).await;
    assert_eq!(res.status, 502);
    assert_eq!(res.header("content-type"), Some("text/html"));
    assert!(res.text().contains("<html>") && res.text().contains("502 Bad Gateway"));

    fault(&s, json!({"route": "create", "count": 1, "fault": {"kind": "content_type", "content_type": "text/plain"}})).await;
    let res = s
        .call("POST", "/m2m_tokens", Some(s.key(0)), Some("{}"))
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(res.header("content-type"), Some("text/plain"));
    let created = res.json();
    assert_eq!(
        created["object"], "machine_to_machine_token",
        "the body is the real token"
    );
    // The token really was created.
    let listed = s.list(s.sk(), &format!("subject={}", s.id(0))).await.json();
    assert_eq!(listed["total_count"], 1);

    fault(
        &s,
        json!({"route": "list", "count": 1, "fault": {"kind": "truncated_json"}}),
    )
    .await;
    let res = s.call("GET", &list_path(&s), Some(s.sk()), None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&res.body).is_err());
    let full = s.call("GET", &list_path(&s), Some(s.sk()), None).await;
    assert_eq!(res.body.len(), full.body.len() / 2);
    assert!(full.body.starts_with(&res.body));

    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "invalid_json"}}),
    )
    .await;
    let res = s.verify(s.sk(), created["token"].as_str().unwrap()).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert!(serde_json::from_slice::<Value>(&res.body).is_err());
}

#[tokio::test]
async fn json_fault() {
    let s = Bapi::start(1).await;
    // A well-formed JWKS without keys (what a JWKS emptied by rotation looks like).
    fault(
        &s,
        json!({"route": "jwks", "count": 2, "fault": {"kind": "json", "status": 200, "body": {"keys": []}}}),
    )
    .await;
    let listed = s.admin("GET", "/faults", json!({})).await.json();
    assert_eq!(
        listed["faults"][0]["fault"],
        json!({"kind": "json", "status": 200, "body": {"keys": []}})
    );
    let res = s.call("GET", "/v1/jwks", Some(s.sk()), None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"keys":[]}"#);
    // Applied before authentication, like every fault.
    let res = s.call("GET", "/jwks", None, None).await;
    assert_eq!((res.status, res.text().as_str()), (200, r#"{"keys":[]}"#));
    assert_eq!(
        s.jwks().await["keys"][0]["kid"],
        s.info.kid.as_str(),
        "count 2: used up"
    );

    // Any status and JSON value, keys in the given order; the request is not processed.
    let body = json!({"z": 1, "a": [true, null, "x"], "m": {"k": 2.5}});
    fault(
        &s,
        json!({"route": "create", "count": 1, "fault": {"kind": "json", "status": 503, "body": body}}),
    )
    .await;
    let res = s
        .call("POST", "/m2m_tokens", Some(s.key(0)), Some("{}"))
        .await;
    assert_eq!(res.status, 503);
    assert_eq!(res.header("content-type"), Some("application/json"));
    assert_eq!(res.text(), r#"{"z":1,"a":[true,null,"x"],"m":{"k":2.5}}"#);
    let listed = s.list(s.sk(), &format!("subject={}", s.id(0))).await.json();
    assert_eq!(listed["total_count"], 0, "nothing was created");

    // `status` defaults to 200; `null` is a JSON body too.
    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "json", "body": null}}),
    )
    .await;
    let res = s.verify(s.sk(), "mt_x").await;
    assert_eq!((res.status, res.text().as_str()), (200, "null"));
    assert_eq!(res.header("content-type"), Some("application/json"));

    for bad in [
        json!({"route": "jwks", "fault": {"kind": "json"}}),
        json!({"route": "jwks", "fault": {"kind": "json", "status": 42, "body": {}}}),
        json!({"route": "jwks", "fault": {"kind": "json", "status": 204, "body": {}}}),
        json!({"route": "jwks", "fault": {"kind": "json", "body": {}, "headers": {}}}),
    ] {
        let res = s.admin("POST", "/faults", bad.clone()).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text());
        assert!(res.json()["error"].is_string());
    }
    assert!(s.admin("GET", "/faults", json!({})).await.json()["faults"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn timing_faults() {
    let s = Bapi::start(1).await;
    fault(
        &s,
        json!({"route": "list", "count": 1, "fault": {"kind": "latency", "ms": 300}}),
    )
    .await;
    let res = s.call("GET", &list_path(&s), Some(s.sk()), None).await;
    assert_eq!(res.status, 200);
    assert!(
        res.head_after >= Duration::from_millis(300),
        "{:?}",
        res.head_after
    );

    fault(
        &s,
        json!({"route": "jwks", "count": 1, "fault": {"kind": "slow_body", "ms": 400}}),
    )
    .await;
    let res = s.call("GET", "/v1/jwks", Some(s.sk()), None).await;
    assert_eq!(res.status, 200);
    assert!(
        res.head_after < Duration::from_millis(200),
        "headers at once: {:?}",
        res.head_after
    );
    assert!(
        res.body_after >= Duration::from_millis(300),
        "body dribbled: {:?}",
        res.body_after
    );
    assert_eq!(res.json()["keys"][0]["kid"], s.info.kid.as_str());

    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "reset"}}),
    )
    .await;
    let err = send(
        s.addr(),
        "POST",
        "/m2m_tokens/verify",
        Some(s.sk()),
        Some(r#"{"token":"x"}"#),
        &[],
    )
    .await;
    assert!(
        err.is_err(),
        "connection closed without a response: {err:?}"
    );
    assert_eq!(
        s.verify(s.sk(), "x").await.status,
        404,
        "the next request is served"
    );

    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "hang"}}),
    )
    .await;
    let started = Instant::now();
    let hung = tokio::time::timeout(
        Duration::from_millis(400),
        send(
            s.addr(),
            "POST",
            "/m2m_tokens/verify",
            Some(s.sk()),
            Some(r#"{"token":"x"}"#),
            &[],
        ),
    )
    .await;
    assert!(hung.is_err(), "no answer: {hung:?}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    // A hanging request does not hold up shutdown.
    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "hang"}}),
    )
    .await;
    let addr = s.addr();
    let pending = tokio::spawn(send(
        addr,
        "POST",
        "/m2m_tokens/verify",
        Some("k"),
        Some("{}"),
        &[],
    ));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    s.server.shutdown().await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert!(pending.await.unwrap().is_err());
}

#[tokio::test]
async fn probability_and_validation_of_faults() {
    let s = Bapi::start(1).await;
    fault(
        &s,
        json!({"route": "list", "probability": 0.0, "fault": {"kind": "status", "status": 500}}),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(
            s.call("GET", &list_path(&s), Some(s.sk()), None)
                .await
                .status,
            200
        );
    }
    s.admin("DELETE", "/faults", json!({})).await;
    fault(
        &s,
        json!({"route": "list", "probability": 1.0, "fault": {"kind": "status", "status": 500}}),
    )
    .await;
    assert_eq!(
        s.call("GET", &list_path(&s), Some(s.sk()), None)
            .await
            .status,
        500
    );
    s.admin("DELETE", "/faults", json!({})).await;
    for bad in [
        json!({"route": "users", "fault": {"kind": "hang"}}),
        json!({"route": "list", "fault": {"kind": "explode"}}),
        json!({"route": "list", "count": 0, "fault": {"kind": "hang"}}),
        json!({"route": "list", "probability": 2, "fault": {"kind": "hang"}}),
        json!({"route": "list", "fault": {"kind": "status", "status": 42}}),
        json!({"route": "list", "fault": {"kind": "latency"}}),
        json!({"route": "list"}),
    ] {
        let res = s.admin("POST", "/faults", bad.clone()).await;
        assert_eq!(res.status, 400, "{bad}: {}", res.text());
        assert!(res.json()["error"].is_string());
    }
    assert!(s.admin("GET", "/faults", json!({})).await.json()["faults"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn request_log() {
    let s = Bapi::start(1).await;
    s.create(0, json!({"claims": {"n": 1}})).await;
    s.list(s.sk(), &format!("subject={}&limit=5", s.id(0)))
        .await;
    s.call("GET", "/v1/jwks", Some(s.sk()), None).await;
    s.admin("GET", "/info", json!({})).await; // admin calls are not logged
    let log = s.admin("GET", "/requests", json!({})).await.json();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    let create = &log[0];
    assert_eq!(create["method"], "POST");
    assert_eq!(create["path"], "/m2m_tokens");
    assert_eq!(create["query"], "");
    assert_eq!(create["route"], "create");
    assert_eq!(create["body"], r#"{"claims":{"n":1}}"#);
    assert_eq!(
        create["headers"]["authorization"],
        format!("Bearer {}", s.key(0))
    );
    assert_eq!(create["headers"]["content-type"], "application/json");
    assert!(create["at_ms"].as_i64().unwrap() > 0);
    assert_eq!(log[1]["route"], "list");
    assert_eq!(log[1]["query"], format!("subject={}&limit=5", s.id(0)));
    assert_eq!(log[1]["body"], Value::Null);
    assert_eq!(log[2]["route"], "jwks");
    assert_eq!(log[2]["path"], "/v1/jwks");
    assert_eq!(s.admin("DELETE", "/requests", json!({})).await.status, 200);
    assert!(s
        .admin("GET", "/requests", json!({}))
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    // Faulted requests are logged too.
    fault(
        &s,
        json!({"route": "verify", "count": 1, "fault": {"kind": "status", "status": 503}}),
    )
    .await;
    s.verify(s.sk(), "mt_q").await;
    let log = s.admin("GET", "/requests", json!({})).await.json();
    assert_eq!(log[0]["route"], "verify");
}

#[tokio::test]
async fn cors() {
    let s = Bapi::start(1).await;
    let res = send(
        s.addr(),
        "OPTIONS",
        "/m2m_tokens/verify",
        None,
        None,
        &[
            ("origin", "http://127.0.0.1:9999"),
            ("access-control-request-method", "POST"),
            (
                "access-control-request-headers",
                "authorization, content-type, clerk-api-version",
            ),
        ],
    )
    .await
    .unwrap();
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    let methods = res.header("access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "DELETE", "OPTIONS"] {
        assert!(methods.contains(m), "{methods}");
    }
    assert_eq!(
        res.header("access-control-allow-headers"),
        Some("authorization, content-type, clerk-api-version")
    );
    // Without a request-headers list: the default list.
    let res = send(s.addr(), "OPTIONS", "/v1/jwks", None, None, &[])
        .await
        .unwrap();
    let allowed = res.header("access-control-allow-headers").unwrap();
    for h in [
        "authorization",
        "content-type",
        "clerk-api-version",
        "user-agent",
    ] {
        assert!(allowed.contains(h), "{allowed}");
    }
    // Every response, errors included, is readable cross-origin.
    let res = s.verify("nope", "x").await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        res.header("access-control-expose-headers"),
        Some("retry-after, cf-ray")
    );
    let res = s.admin("GET", "/clock", json!({})).await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
}

#[tokio::test]
async fn reset_and_machines() {
    let s = Bapi::start(1).await;
    // A new machine that A may call.
    let d = s
        .admin(
            "POST",
            "/machines",
            json!({"name": "machine-d", "scopes": [s.id(0)]}),
        )
        .await;
    assert_eq!(d.status, 201, "{}", d.text());
    let d = d.json();
    assert!(is_machine_id(d["id"].as_str().unwrap()));
    let d_key = d["secretKey"].as_str().unwrap();
    let res = s
        .admin(
            "POST",
            &format!("/machines/{}/scopes", s.id(0)),
            json!({"scopes": [s.id(1), d["id"]]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let t = s.create(0, json!({})).await;
    assert_eq!(t["scopes"], json!([s.id(1), d["id"]]));
    assert_eq!(
        s.verify(d_key, t["token"].as_str().unwrap()).await.status,
        200
    );
    let res = s.call("POST", "/m2m_tokens", Some(d_key), Some("{}")).await;
    assert_eq!(res.status, 201);
    assert_eq!(res.json()["scopes"], json!([s.id(0)]));
    let bad = s
        .admin("POST", "/machines", json!({"scopes": ["mch_unknown"]}))
        .await;
    assert_eq!(bad.status, 400);
    let machines = s.admin("GET", "/machines", json!({})).await.json();
    assert_eq!(machines.as_array().unwrap().len(), 4);
    assert_eq!(
        s.admin("GET", "/info", json!({})).await.json()["machines"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    s.set_clock(5_000).await;
    fault(&s, json!({"route": "jwks", "fault": {"kind": "hang"}})).await;
    let res = s.admin("POST", "/reset", json!({})).await;
    assert_eq!(res.status, 200);
    assert_eq!(
        s.admin("GET", "/clock", json!({})).await.json()["offset_ms"],
        0
    );
    assert!(s.admin("GET", "/faults", json!({})).await.json()["faults"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(s
        .admin("GET", "/requests", json!({}))
        .await
        .json()
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        s.list(s.sk(), &format!("subject={}", s.id(0))).await.json()["total_count"],
        0
    );
    s.verify(d_key, t["token"].as_str().unwrap())
        .await
        .clerk_error(404, "resource_not_found");
    // Machines and keys stay.
    assert_eq!(
        s.call("POST", "/m2m_tokens", Some(d_key), Some("{}"))
            .await
            .status,
        201
    );
    assert_eq!(s.jwks().await["keys"][0]["kid"], s.info.kid.as_str());
    assert_eq!(s.admin("GET", "/nope", json!({})).await.status, 404);
    assert_eq!(
        s.admin("POST", "/clock", json!({"offset": 1})).await.status,
        400
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let s = Bapi::start(1).await;
    fault(
        &s,
        json!({"route": "jwks", "count": 1, "fault": {"kind": "latency", "ms": 300}}),
    )
    .await;
    let addr = s.addr();
    let sk = s.sk().to_owned();
    let in_flight =
        tokio::spawn(async move { send(addr, "GET", "/v1/jwks", Some(&sk), None, &[]).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    s.server.shutdown().await;
    let res = in_flight.await.unwrap().unwrap();
    assert_eq!(res.status, 200);
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}
