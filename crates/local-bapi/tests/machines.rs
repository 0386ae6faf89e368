//! The machines routes (`/v1/machines…`): authorisation, shapes, validation, list query/order/pagination,
//! update, delete (and what it does to keys, tokens and scopes), secret keys, rotation with time travel,
//! scopes (and what they do to minting and verification), faults, the request log, CORS.

mod common;

use common::*;
use serde_json::{json, Value};

impl Bapi {
    /// A machines-route request with the instance key.
    async fn m(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let body = body.map(|b| b.to_string());
        self.call(
            method,
            &format!("/v1{path}"),
            Some(self.sk()),
            body.as_deref(),
        )
        .await
    }

    /// `POST /v1/machines`; asserts 200.
    async fn new_machine(&self, body: Value) -> Value {
        let res = self.m("POST", "/machines", Some(body)).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    /// `GET /v1/machines/{id}`; asserts 200.
    async fn machine(&self, id: &str) -> Value {
        let res = self.m("GET", &format!("/machines/{id}"), None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }

    async fn mint(&self, key: &str, body: Value) -> Resp {
        self.call("POST", "/m2m_tokens", Some(key), Some(&body.to_string()))
            .await
    }

    async fn now_ms(&self) -> i64 {
        self.admin("GET", "/clock", json!({})).await.json()["now_ms"]
            .as_i64()
            .unwrap()
    }

    async fn advance(&self, ms: i64) {
        let res = self
            .admin("POST", "/clock", json!({ "advance_ms": ms }))
            .await;
        assert_eq!(res.status, 200);
    }
}

fn st(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| st(&m["id"]).to_owned())
        .collect()
}

/// Asserts a parameter error: status, code and `meta.param_name`.
fn param_error(res: &Resp, status: u16, code: &str, param: &str) {
    let err = res.clerk_error(status, code);
    assert_eq!(err["meta"]["param_name"], param, "{}", res.text());
}

/// Every machines route, for a machine id.
fn routes(id: &str, other: &str) -> Vec<(&'static str, String, Option<Value>)> {
    vec![
        ("GET", "/machines".into(), None),
        ("POST", "/machines".into(), Some(json!({"name": "x"}))),
        ("GET", format!("/machines/{id}"), None),
        (
            "PATCH",
            format!("/machines/{id}"),
            Some(json!({"name": "y"})),
        ),
        ("DELETE", format!("/machines/{id}"), None),
        ("GET", format!("/machines/{id}/secret_key"), None),
        (
            "POST",
            format!("/machines/{id}/secret_key/rotate"),
            Some(json!({"previous_token_ttl": 0})),
        ),
        (
            "POST",
            format!("/machines/{id}/scopes"),
            Some(json!({"to_machine_id": other})),
        ),
        ("DELETE", format!("/machines/{id}/scopes/{other}"), None),
    ]
}

#[tokio::test]
async fn every_route_needs_the_instance_key() {
    let s = Bapi::start(1).await;
    for (method, path, body) in routes(s.id(0), s.id(1)) {
        let body = body.map(|b| b.to_string());
        for prefix in ["/v1", ""] {
            let path = format!("{prefix}{path}");
            // A machine's own valid key is not a Clerk Secret Key here, nor is an unknown key or none.
            for auth in [
                Some(s.key(0)),
                Some(s.key(2)),
                Some("ak_unknown"),
                Some("sk_test_unknown"),
                None,
            ] {
                let res = s.call(method, &path, auth, body.as_deref()).await;
                let err = res.clerk_error(401, "clerk_key_invalid");
                assert_eq!(err["message"], "The provided Clerk Secret Key is invalid.");
            }
        }
    }
    // Nothing changed: A still has its name, its key and its scope.
    let a = s.machine(s.id(0)).await;
    assert_eq!(a["name"], "machine-a");
    assert_eq!(
        s.m("GET", &format!("/machines/{}/secret_key", s.id(0)), None)
            .await
            .json()["secret"],
        s.key(0)
    );
    assert_eq!(ids(&s.m("GET", "/machines", None).await.json()).len(), 3);
    // Without the /v1 prefix, with the instance key, as for the M2M routes.
    let res = s
        .call("GET", &format!("/machines/{}", s.id(0)), Some(s.sk()), None)
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn create_answers_the_machine_with_its_secret_key() {
    let s = Bapi::start(2).await;
    let before = s.now_ms().await;
    let m = s
        .new_machine(json!({"name": "billing", "scoped_machines": [s.id(1), s.id(0), s.id(1)]}))
        .await;
    let after = s.now_ms().await;
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "object",
            "id",
            "name",
            "instance_id",
            "created_at",
            "updated_at",
            "scoped_machines",
            "default_token_ttl",
            "secret_key"
        ]
    );
    assert_eq!(m["object"], "machine");
    assert!(is_machine_id(st(&m["id"])), "{m}");
    assert_eq!(m["name"], "billing");
    assert_eq!(m["instance_id"], s.info.instance_id.as_str());
    assert!(s.info.instance_id.starts_with("ins_"));
    let created = m["created_at"].as_i64().unwrap();
    assert!((before..=after).contains(&created), "{m}");
    assert_eq!(m["updated_at"], created);
    assert_eq!(m["default_token_ttl"], 3600, "the spec's default");
    let secret = st(&m["secret_key"]);
    assert!(secret.starts_with("ak_") && secret.len() > 20, "{secret}");
    // Duplicates dropped, order kept; nested machines have no scoped_machines of their own.
    let scoped = m["scoped_machines"].as_array().unwrap();
    assert_eq!(scoped.len(), 2);
    assert_eq!(scoped[0]["id"], s.id(1));
    assert_eq!(scoped[1]["id"], s.id(0));
    let nested: Vec<&str> = scoped[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        nested,
        [
            "object",
            "id",
            "name",
            "instance_id",
            "created_at",
            "updated_at"
        ],
        "a seeded machine has no default TTL: its tokens never expire by default"
    );
    assert_eq!(scoped[0]["name"], "machine-b");
    assert_eq!(scoped[0]["object"], "machine");

    // GET answers the same machine, without the secret key.
    let got = s.machine(st(&m["id"])).await;
    let mut expected = m.clone();
    expected.as_object_mut().unwrap().remove("secret_key");
    assert_eq!(got, expected);
    // No scopes, an explicit TTL.
    let lone = s
        .new_machine(json!({"name": "lone", "default_token_ttl": 60, "scoped_machines": []}))
        .await;
    assert_eq!(lone["scoped_machines"], json!([]));
    assert_eq!(lone["default_token_ttl"], 60);
    // The seeded machines as the route shows them.
    let a = s.machine(s.id(0)).await;
    assert_eq!(a["scoped_machines"][0]["id"], s.id(1));
    assert!(a.get("default_token_ttl").is_none());
    assert!(a.get("secret_key").is_none());
    assert_eq!(a["instance_id"], s.info.instance_id.as_str());
}

#[tokio::test]
async fn a_created_machine_mints_at_once_with_its_scopes_and_default_ttl() {
    let s = Bapi::start(3).await;
    let receiver = s.new_machine(json!({"name": "receiver"})).await;
    let sender = s
        .new_machine(json!({"name": "sender", "scoped_machines": [st(&receiver["id"]), s.id(2)], "default_token_ttl": 120}))
        .await;
    let key = st(&sender["secret_key"]);
    // seconds_until_expiration absent or null: the machine's default TTL.
    for body in [
        json!({}),
        json!({"seconds_until_expiration": null, "claims": null}),
    ] {
        let res = s.mint(key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let t = res.json();
        assert_eq!(t["subject"], sender["id"]);
        assert_eq!(t["scopes"], json!([receiver["id"], s.id(2)]));
        assert_eq!(
            t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
            120_000
        );
    }
    // An explicit lifetime wins.
    let t = s
        .mint(key, json!({"seconds_until_expiration": 5}))
        .await
        .json();
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        5_000
    );
    // The receiver (scoped) verifies it; machine A (not scoped) does not.
    let token = st(&t["token"]);
    let ok = s.verify(st(&receiver["secret_key"]), token).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["subject"], sender["id"]);
    s.verify(s.key(0), token)
        .await
        .clerk_error(404, "resource_not_found");
    // A JWT: aud and scopes from the scoped machines, exp from the default TTL.
    let jwt = s.mint(key, json!({"token_format": "jwt"})).await.json();
    let (_, payload) = jwt_parts(st(&jwt["token"]));
    assert_eq!(payload["aud"], json!([receiver["id"], s.id(2)]));
    assert_eq!(
        payload["scopes"],
        format!("{} {}", st(&receiver["id"]), s.id(2))
    );
    assert_eq!(
        payload["exp"].as_i64().unwrap() - payload["iat"].as_i64().unwrap(),
        120
    );
    assert!(verify_with_jwks(st(&jwt["token"]), &s.jwks().await));
    // The token list of the new machine, with its own key.
    let list = s
        .list(key, &format!("subject={}", st(&sender["id"])))
        .await
        .json();
    assert_eq!(list["total_count"], 3);
    // A receiver without scopes mints tokens without scopes.
    let t = s.mint(st(&receiver["secret_key"]), json!({})).await.json();
    assert_eq!(t["scopes"], json!([]));
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        3_600_000
    );
}

#[tokio::test]
async fn create_validation() {
    let s = Bapi::start(4).await;
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (json!({}), 422, "form_param_missing", "name"),
        (json!({"name": null}), 422, "form_param_missing", "name"),
        (json!({"name": ""}), 422, "form_param_value_invalid", "name"),
        (
            json!({"name": "x".repeat(256)}),
            422,
            "form_param_value_invalid",
            "name",
        ),
        (json!({"name": 5}), 422, "form_param_format_invalid", "name"),
        (
            json!({"name": "n", "scoped_machines": "mch_x"}),
            422,
            "form_param_format_invalid",
            "scoped_machines",
        ),
        (
            json!({"name": "n", "scoped_machines": [1]}),
            422,
            "form_param_format_invalid",
            "scoped_machines",
        ),
        (
            json!({"name": "n", "scoped_machines": [format!("mch_{}", "0".repeat(27))]}),
            422,
            "form_param_value_invalid",
            "scoped_machines",
        ),
        (
            json!({"name": "n", "scoped_machines": (0..151).map(|i| format!("mch_{i}")).collect::<Vec<_>>()}),
            422,
            "form_param_value_invalid",
            "scoped_machines",
        ),
        (
            json!({"name": "n", "default_token_ttl": 0}),
            422,
            "form_param_value_invalid",
            "default_token_ttl",
        ),
        (
            json!({"name": "n", "default_token_ttl": 315_360_001}),
            422,
            "form_param_value_invalid",
            "default_token_ttl",
        ),
        (
            json!({"name": "n", "default_token_ttl": 1.5}),
            422,
            "form_param_format_invalid",
            "default_token_ttl",
        ),
        (
            json!({"name": "n", "default_token_ttl": "60"}),
            422,
            "form_param_format_invalid",
            "default_token_ttl",
        ),
        (
            json!({"name": "n", "scopedMachines": []}),
            422,
            "form_param_unknown",
            "scopedMachines",
        ),
    ];
    for (body, status, code, param) in cases {
        let res = s.m("POST", "/machines", Some(body.clone())).await;
        assert_eq!(res.status, status, "{body}: {}", res.text());
        param_error(&res, status, code, param);
    }
    for raw in ["{\"name\":", "[1]", "\"name\""] {
        let res = s
            .call("POST", "/v1/machines", Some(s.sk()), Some(raw))
            .await;
        res.clerk_error(400, "request_body_invalid");
    }
    // Nothing was created; the limits themselves are accepted.
    assert_eq!(s.m("GET", "/machines", None).await.json()["total_count"], 3);
    let m = s
        .new_machine(json!({"name": "é".repeat(255), "default_token_ttl": 315_360_000}))
        .await;
    assert_eq!(m["default_token_ttl"], 315_360_000);
    let m = s
        .new_machine(json!({"name": "one", "default_token_ttl": 1.0}))
        .await;
    assert_eq!(m["default_token_ttl"], 1);
}

#[tokio::test]
async fn list_query_order_and_pagination() {
    let s = Bapi::start(5).await;
    // Distinct creation times, one second apart.
    let mut made = Vec::new();
    for name in ["Zeta worker", "alpha", "Beta worker", "gamma"] {
        s.advance(1_000).await;
        made.push(s.new_machine(json!({ "name": name })).await);
    }
    let id = |i: usize| st(&made[i]["id"]).to_owned();
    let list = |q: &str| {
        let q = q.to_owned();
        let s = &s;
        async move {
            let res = s.m("GET", &format!("/machines?{q}"), None).await;
            assert_eq!(res.status, 200, "{q}: {}", res.text());
            res.json()
        }
    };
    // Default: -created_at, limit 10. The seeded three share one creation time: newest inserted first.
    let all = list("").await;
    let keys: Vec<&str> = all
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["data", "total_count"]);
    assert_eq!(all["total_count"], 7);
    let seeded_last = [s.id(2), s.id(1), s.id(0)].map(str::to_owned);
    let mut newest_first = vec![id(3), id(2), id(1), id(0)];
    newest_first.extend(seeded_last.clone());
    assert_eq!(ids(&all), newest_first);
    assert!(all["data"][0].get("secret_key").is_none());
    assert_eq!(ids(&list("order_by=-created_at").await), newest_first);
    let mut oldest_first = newest_first.clone();
    oldest_first.reverse();
    assert_eq!(ids(&list("order_by=created_at").await), oldest_first);
    assert_eq!(ids(&list("order_by=%2Bcreated_at").await), oldest_first);
    // Name order ignores case; `+` unencoded decodes to a space, which counts as `+`.
    let by_name = vec![
        id(1),
        id(2),
        id(3),
        s.id(0).to_owned(),
        s.id(1).to_owned(),
        s.id(2).to_owned(),
        id(0),
    ];
    assert_eq!(ids(&list("order_by=name").await), by_name);
    assert_eq!(ids(&list("order_by=+name").await), by_name);
    assert_eq!(ids(&list("order_by=%2Bname").await), by_name);
    let mut by_name_desc = by_name.clone();
    by_name_desc.reverse();
    assert_eq!(ids(&list("order_by=-name").await), by_name_desc);
    // query: a part of the name, any case; or an exact id (a part of an id does not match).
    let workers = list("query=WORKER&order_by=name").await;
    assert_eq!(workers["total_count"], 2);
    assert_eq!(ids(&workers), [id(2), id(0)]);
    assert_eq!(ids(&list("query=machine-").await), seeded_last);
    assert_eq!(ids(&list(&format!("query={}", id(1))).await), [id(1)]);
    assert_eq!(
        list(&format!("query={}", &id(1)[..10])).await["total_count"],
        0
    );
    assert_eq!(list("query=nothing+like+it").await["total_count"], 0);
    assert_eq!(list("query=").await["total_count"], 7, "empty = no filter");
    assert_eq!(list("query=beta%20w").await["total_count"], 1);
    // Pagination: total_count counts every match.
    let page = list("limit=2&offset=1").await;
    assert_eq!(page["total_count"], 7);
    assert_eq!(ids(&page), newest_first[1..3]);
    let end = list("limit=500&offset=6").await;
    assert_eq!(ids(&end), newest_first[6..]);
    assert!(ids(&list("offset=7").await).is_empty());
    assert_eq!(
        list("limit=1&query=worker&order_by=name&offset=1").await["data"][0]["id"],
        id(0)
    );
    // Unknown keys are ignored, as on the M2M list.
    assert_eq!(list("nope=1").await["total_count"], 7);
    // Nested scoped machines in the list too.
    let a = list(&format!("query={}", s.id(0))).await;
    assert_eq!(a["data"][0]["scoped_machines"][0]["id"], s.id(1));

    for (q, code, param) in [
        ("limit=0", "form_param_value_invalid", "limit"),
        ("limit=501", "form_param_value_invalid", "limit"),
        ("limit=x", "form_param_format_invalid", "limit"),
        ("limit=1.5", "form_param_format_invalid", "limit"),
        ("offset=-1", "form_param_value_invalid", "offset"),
        (
            "order_by=updated_at",
            "form_param_value_invalid",
            "order_by",
        ),
        ("order_by=--name", "form_param_value_invalid", "order_by"),
        ("order_by=Name", "form_param_value_invalid", "order_by"),
    ] {
        let res = s.m("GET", &format!("/machines?{q}"), None).await;
        param_error(&res, 422, code, param);
    }
}

#[tokio::test]
async fn update_changes_only_what_is_given() {
    let s = Bapi::start(6).await;
    let m = s
        .new_machine(json!({"name": "old", "scoped_machines": [s.id(0)]}))
        .await;
    let id = st(&m["id"]);
    let path = format!("/machines/{id}");
    s.advance(5_000).await;
    let res = s.m("PATCH", &path, Some(json!({"name": "new"}))).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let renamed = res.json();
    assert_eq!(renamed["name"], "new");
    assert_eq!(renamed["default_token_ttl"], 3600);
    assert_eq!(renamed["scoped_machines"][0]["id"], s.id(0));
    assert_eq!(renamed["created_at"], m["created_at"]);
    assert!(renamed["updated_at"].as_i64().unwrap() - m["created_at"].as_i64().unwrap() >= 5_000);
    assert!(renamed.get("secret_key").is_none());
    // An empty body (or {}) changes nothing, not even updated_at.
    for body in [None, Some(json!({}))] {
        let same = s.m("PATCH", &path, body).await;
        assert_eq!(same.status, 200, "{}", same.text());
        assert_eq!(same.json(), renamed);
    }
    let ttl = s
        .m("PATCH", &path, Some(json!({"default_token_ttl": 30})))
        .await
        .json();
    assert_eq!(ttl["name"], "new");
    assert_eq!(ttl["default_token_ttl"], 30);
    assert_eq!(s.machine(id).await, ttl);
    // The new default applies to the next token.
    let t = s.mint(st(&m["secret_key"]), json!({})).await.json();
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        30_000
    );
    // A seeded machine gets a default TTL too.
    let a = s
        .m(
            "PATCH",
            &format!("/machines/{}", s.id(0)),
            Some(json!({"default_token_ttl": 10, "name": "machine-a2"})),
        )
        .await
        .json();
    assert_eq!(a["default_token_ttl"], 10);
    let t = s.mint(s.key(0), json!({})).await.json();
    assert_eq!(
        t["expiration"].as_i64().unwrap() - t["created_at"].as_i64().unwrap(),
        10_000
    );
    assert_eq!(
        s.admin("GET", "/info", json!({})).await.json()["machines"][0]["name"],
        "machine-a2"
    );
    let snapshot = s.machine(id).await;
    for (body, code, param) in [
        (json!({"name": ""}), "form_param_value_invalid", "name"),
        (json!({"name": []}), "form_param_format_invalid", "name"),
        (
            json!({"default_token_ttl": 0}),
            "form_param_value_invalid",
            "default_token_ttl",
        ),
        (
            json!({"default_token_ttl": "1"}),
            "form_param_format_invalid",
            "default_token_ttl",
        ),
        (
            json!({"scoped_machines": []}),
            "form_param_unknown",
            "scoped_machines",
        ),
    ] {
        let res = s.m("PATCH", &path, Some(body)).await;
        param_error(&res, 422, code, param);
    }
    s.call("PATCH", &format!("/v1{path}"), Some(s.sk()), Some("{"))
        .await
        .clerk_error(400, "request_body_invalid");
    assert_eq!(
        s.machine(id).await,
        snapshot,
        "failed updates change nothing"
    );
    let unknown = format!("/machines/mch_{}", "0".repeat(27));
    s.m("PATCH", &unknown, Some(json!({"name": "x"})))
        .await
        .clerk_error(404, "resource_not_found");
    // An unknown id is a 404 before the body is looked at.
    s.m("PATCH", &unknown, Some(json!({"name": 1})))
        .await
        .clerk_error(404, "resource_not_found");
}

#[tokio::test]
async fn delete_removes_the_machine_its_keys_tokens_and_scopes() {
    let s = Bapi::start(7).await;
    let d = s
        .new_machine(json!({"name": "doomed", "scoped_machines": [s.id(0)]}))
        .await;
    let id = st(&d["id"]).to_owned();
    let key = st(&d["secret_key"]).to_owned();
    // A may call D; D may call A.
    let res = s
        .m(
            "POST",
            &format!("/machines/{}/scopes", s.id(0)),
            Some(json!({"to_machine_id": id})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let a_token = s.mint(s.key(0), json!({})).await.json();
    assert_eq!(a_token["scopes"], json!([s.id(1), id]));
    let a_jwt = s
        .mint(
            s.key(0),
            json!({"token_format": "jwt", "seconds_until_expiration": 600}),
        )
        .await
        .json();
    let d_token = s.mint(&key, json!({})).await.json();
    let d_jwt = s
        .mint(
            &key,
            json!({"token_format": "jwt", "seconds_until_expiration": 600}),
        )
        .await
        .json();
    assert_eq!(
        s.verify(s.key(0), st(&d_token["token"])).await.status,
        200,
        "A is in D's scopes"
    );
    assert_eq!(s.verify(s.sk(), st(&d_jwt["token"])).await.status, 200);

    let res = s.m("DELETE", &format!("/machines/{id}"), None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({"object": "machine", "id": id, "deleted": true})
    );
    // Its id is a 404 on every machines route, as the target of a scope too.
    for (method, path, body) in routes(&id, s.id(1)) {
        if path == "/machines" {
            continue;
        }
        s.m(method, &path, body)
            .await
            .clerk_error(404, "resource_not_found");
    }
    s.m(
        "POST",
        &format!("/machines/{}/scopes", s.id(1)),
        Some(json!({"to_machine_id": id})),
    )
    .await
    .clerk_error(404, "resource_not_found");
    s.m(
        "DELETE",
        &format!("/machines/{}/scopes/{id}", s.id(0)),
        None,
    )
    .await
    .clerk_error(404, "resource_not_found");
    // Its key mints nothing and verifies nothing.
    s.mint(&key, json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    s.verify(&key, st(&a_token["token"]))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    // Its tokens are gone: verify, revoke and list answer 404.
    s.verify(s.sk(), st(&d_token["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(s.key(0), st(&d_token["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    s.call(
        "POST",
        &format!("/m2m_tokens/{}/revoke", st(&d_token["id"])),
        Some(s.sk()),
        Some("{}"),
    )
    .await
    .clerk_error(404, "resource_not_found");
    s.list(s.sk(), &format!("subject={id}"))
        .await
        .clerk_error(404, "resource_not_found");
    // Its JWT still has a valid signature, but BAPI verify knows its machine is gone.
    s.verify(s.sk(), st(&d_jwt["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    // A no longer has a scope to D, in the machine and in A's existing opaque tokens.
    let a = s.machine(s.id(0)).await;
    let scoped: Vec<&Value> = a["scoped_machines"].as_array().unwrap().iter().collect();
    assert_eq!(scoped.len(), 1);
    assert_eq!(scoped[0]["id"], s.id(1));
    assert!(a["updated_at"].as_i64() >= d["created_at"].as_i64());
    let listed = s.list(s.sk(), &format!("subject={}", s.id(0))).await.json();
    assert_eq!(listed["m2m_tokens"][0]["id"], a_token["id"]);
    assert_eq!(listed["m2m_tokens"][0]["scopes"], json!([s.id(1)]));
    assert_eq!(
        s.mint(s.key(0), json!({})).await.json()["scopes"],
        json!([s.id(1)])
    );
    // A's tokens still verify for B; A's JWT still verifies (its aud cannot change).
    assert_eq!(s.verify(s.key(1), st(&a_token["token"])).await.status, 200);
    assert_eq!(s.verify(s.sk(), st(&a_jwt["token"])).await.status, 200);
    // Gone from the list, the admin views and the start-up info.
    let list = s.m("GET", "/machines", None).await.json();
    assert_eq!(list["total_count"], 3);
    assert!(!ids(&list).contains(&id));
    let info = s.admin("GET", "/info", json!({})).await.json();
    assert_eq!(info["machines"].as_array().unwrap().len(), 3);
    let admin = s.admin("GET", "/machines", json!({})).await.json();
    assert_eq!(admin.as_array().unwrap().len(), 3);
    // A seeded machine can be deleted too; B loses its scope to A.
    let res = s.m("DELETE", &format!("/machines/{}", s.id(0)), None).await;
    assert_eq!(res.status, 200);
    assert_eq!(s.machine(s.id(1)).await["scoped_machines"], json!([]));
    s.mint(s.key(0), json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
}

#[tokio::test]
async fn secret_key_and_rotation_with_time_travel() {
    let s = Bapi::start(8).await;
    let m = s.new_machine(json!({"name": "rotating"})).await;
    let id = st(&m["id"]);
    let first = st(&m["secret_key"]).to_owned();
    let key_path = format!("/machines/{id}/secret_key");
    let rotate_path = format!("{key_path}/rotate");
    let current = s.m("GET", &key_path, None).await;
    assert_eq!(current.status, 200);
    assert_eq!(
        current.json(),
        json!({"object": "machine_secret_key", "secret": first})
    );
    assert_eq!(
        s.m("GET", &format!("/machines/{}/secret_key", s.id(1)), None)
            .await
            .json()["secret"],
        s.key(1)
    );
    let old_token = s.mint(&first, json!({})).await.json();

    // Rotate with a 60 s grace period.
    let res = s
        .m(
            "POST",
            &rotate_path,
            Some(json!({"previous_token_ttl": 60})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let rotated = res.json();
    assert_eq!(rotated["object"], "machine_secret_key");
    let second = st(&rotated["secret"]).to_owned();
    assert!(second.starts_with("ak_"));
    assert_ne!(second, first);
    assert_eq!(s.m("GET", &key_path, None).await.json()["secret"], second);
    // Both keys mint, as the same machine.
    for key in [&first, &second] {
        let res = s.mint(key, json!({})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["subject"], id);
    }
    // Just before the end of the grace period the old key still works; at its end it does not.
    s.advance(59_000).await;
    assert_eq!(s.mint(&first, json!({})).await.status, 201);
    s.advance(1_000).await;
    s.mint(&first, json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    s.list(&first, &format!("subject={id}"))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    assert_eq!(s.mint(&second, json!({})).await.status, 201);
    // Tokens minted with the old key belong to the machine, not the key: they stay valid.
    assert_eq!(s.verify(s.sk(), st(&old_token["token"])).await.status, 200);
    // Travelling back into the grace period makes the old key valid again (the clock decides).
    s.advance(-1_000).await;
    assert_eq!(s.mint(&first, json!({})).await.status, 201);
    s.set_clock(0).await;

    // previous_token_ttl 0: the old key is invalid at once.
    let third = s
        .m("POST", &rotate_path, Some(json!({"previous_token_ttl": 0})))
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    s.mint(&second, json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    assert_eq!(s.mint(&third, json!({})).await.status, 201);

    // Each previous key keeps its own grace period: 100 s for the third, then 10 s for the fourth.
    let fourth = s
        .m(
            "POST",
            &rotate_path,
            Some(json!({"previous_token_ttl": 100})),
        )
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let fifth = s
        .m(
            "POST",
            &rotate_path,
            Some(json!({"previous_token_ttl": 10})),
        )
        .await
        .json()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for key in [&third, &fourth, &fifth] {
        assert_eq!(s.mint(key, json!({})).await.status, 201);
    }
    s.advance(10_000).await;
    assert_eq!(s.mint(&third, json!({})).await.status, 201);
    s.mint(&fourth, json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    s.advance(90_000).await;
    s.mint(&third, json!({}))
        .await
        .clerk_error(401, "machine_secret_key_invalid");
    assert_eq!(s.mint(&fifth, json!({})).await.status, 201);
    // The current key is what /__admin/info shows; a seeded machine rotates too.
    let info = s.admin("GET", "/info", json!({})).await.json();
    let shown = info["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == id)
        .unwrap();
    assert_eq!(shown["secretKey"], fifth.as_str());
    let b = s
        .m(
            "POST",
            &format!("/machines/{}/secret_key/rotate", s.id(1)),
            Some(json!({"previous_token_ttl": 0})),
        )
        .await
        .json();
    let info = s.admin("GET", "/info", json!({})).await.json();
    assert_eq!(info["machines"][1]["secretKey"], b["secret"]);
    s.verify(s.key(1), "mt_x")
        .await
        .clerk_error(401, "machine_secret_key_invalid");

    for (body, code) in [
        (json!({}), "form_param_missing"),
        (json!({"previous_token_ttl": null}), "form_param_missing"),
        (
            json!({"previous_token_ttl": -1}),
            "form_param_value_invalid",
        ),
        (
            json!({"previous_token_ttl": 28_801}),
            "form_param_value_invalid",
        ),
        (
            json!({"previous_token_ttl": 1.5}),
            "form_param_format_invalid",
        ),
        (
            json!({"previous_token_ttl": "60"}),
            "form_param_format_invalid",
        ),
    ] {
        let res = s.m("POST", &rotate_path, Some(body)).await;
        param_error(&res, 422, code, "previous_token_ttl");
    }
    let res = s
        .m(
            "POST",
            &rotate_path,
            Some(json!({"previous_token_ttl": 1, "x": 1})),
        )
        .await;
    param_error(&res, 422, "form_param_unknown", "x");
    assert_eq!(
        s.m("GET", &key_path, None).await.json()["secret"],
        fifth,
        "failed rotations change nothing"
    );
    let max = s
        .m(
            "POST",
            &rotate_path,
            Some(json!({"previous_token_ttl": 28_800})),
        )
        .await;
    assert_eq!(max.status, 200);
    // The machine's updated_at follows the rotation.
    assert!(s.machine(id).await["updated_at"].as_i64() > m["updated_at"].as_i64());
}

#[tokio::test]
async fn scopes_decide_minting_and_verification() {
    let s = Bapi::start(9).await;
    let c = s.id(2).to_owned();
    let c_key = s.key(2).to_owned();
    let d = s.new_machine(json!({"name": "d"})).await;
    let d_id = st(&d["id"]).to_owned();
    let d_key = st(&d["secret_key"]).to_owned();
    // C has no scopes: D cannot verify its tokens.
    let before = s.mint(&c_key, json!({})).await.json();
    assert_eq!(before["scopes"], json!([]));
    s.verify(&d_key, st(&before["token"]))
        .await
        .clerk_error(404, "resource_not_found");

    let now = s.now_ms().await;
    let res = s
        .m(
            "POST",
            &format!("/machines/{c}/scopes"),
            Some(json!({"to_machine_id": d_id})),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let scope = res.json();
    let keys: Vec<&str> = scope
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["object", "from_machine_id", "to_machine_id", "created_at"]
    );
    assert_eq!(scope["object"], "machine_scope");
    assert_eq!(scope["from_machine_id"], c);
    assert_eq!(scope["to_machine_id"], d_id);
    assert!(scope["created_at"].as_i64().unwrap() >= now);
    let c_machine = s.machine(&c).await;
    assert_eq!(c_machine["scoped_machines"][0]["id"], d_id);
    assert_eq!(c_machine["scoped_machines"][0]["default_token_ttl"], 3600);
    assert_eq!(c_machine["updated_at"], scope["created_at"]);
    // New tokens carry the scope, and D verifies them; a token minted before does not gain it.
    let after = s.mint(&c_key, json!({})).await.json();
    assert_eq!(after["scopes"], json!([d_id]));
    assert_eq!(s.verify(&d_key, st(&after["token"])).await.status, 200);
    s.verify(&d_key, st(&before["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    let jwt = s
        .mint(
            &c_key,
            json!({"token_format": "jwt", "seconds_until_expiration": 600}),
        )
        .await
        .json();
    assert_eq!(jwt_parts(st(&jwt["token"])).1["aud"], json!([d_id]));
    assert_eq!(s.verify(&d_key, st(&jwt["token"])).await.status, 200);
    // A second scope keeps the order of grants.
    s.m(
        "POST",
        &format!("/machines/{c}/scopes"),
        Some(json!({"to_machine_id": s.id(0)})),
    )
    .await;
    assert_eq!(
        s.mint(&c_key, json!({})).await.json()["scopes"],
        json!([d_id, s.id(0)])
    );

    // The same scope again: 409; unknown machines: 404; bad bodies: 422.
    let dup = s
        .m(
            "POST",
            &format!("/machines/{c}/scopes"),
            Some(json!({"to_machine_id": d_id})),
        )
        .await;
    dup.clerk_error(409, "duplicate_record");
    let nobody = format!("mch_{}", "0".repeat(27));
    s.m(
        "POST",
        &format!("/machines/{c}/scopes"),
        Some(json!({"to_machine_id": nobody})),
    )
    .await
    .clerk_error(404, "resource_not_found");
    s.m(
        "POST",
        &format!("/machines/{nobody}/scopes"),
        Some(json!({"to_machine_id": c})),
    )
    .await
    .clerk_error(404, "resource_not_found");
    for (body, code, param) in [
        (json!({}), "form_param_missing", "to_machine_id"),
        (
            json!({"to_machine_id": 5}),
            "form_param_format_invalid",
            "to_machine_id",
        ),
        (
            json!({"to_machine_id": d_id, "from": c}),
            "form_param_unknown",
            "from",
        ),
    ] {
        let res = s
            .m("POST", &format!("/machines/{c}/scopes"), Some(body))
            .await;
        param_error(&res, 422, code, param);
    }
    // A machine may be scoped to itself.
    let own = s
        .m(
            "POST",
            &format!("/machines/{d_id}/scopes"),
            Some(json!({"to_machine_id": d_id})),
        )
        .await;
    assert_eq!(own.status, 200);
    let own_token = s.mint(&d_key, json!({})).await.json();
    assert_eq!(s.verify(&d_key, st(&own_token["token"])).await.status, 200);

    // deleteScope: D may no longer verify C's tokens, those minted before included (opaque and via BAPI JWT).
    let res = s
        .m("DELETE", &format!("/machines/{c}/scopes/{d_id}"), None)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json(),
        json!({"object": "machine_scope", "from_machine_id": c, "to_machine_id": d_id, "deleted": true})
    );
    s.verify(&d_key, st(&after["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    s.verify(&d_key, st(&jwt["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    let verified = s.verify(s.sk(), st(&after["token"])).await.json();
    assert_eq!(verified["scopes"], json!([]));
    assert_eq!(
        s.mint(&c_key, json!({})).await.json()["scopes"],
        json!([s.id(0)])
    );
    assert_eq!(
        s.machine(&c).await["scoped_machines"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Again: 404; unknown from: 404.
    s.m("DELETE", &format!("/machines/{c}/scopes/{d_id}"), None)
        .await
        .clerk_error(404, "resource_not_found");
    s.m("DELETE", &format!("/machines/{nobody}/scopes/{c}"), None)
        .await
        .clerk_error(404, "resource_not_found");
    // Granting it again only reaches new tokens.
    s.m(
        "POST",
        &format!("/machines/{c}/scopes"),
        Some(json!({"to_machine_id": d_id})),
    )
    .await;
    s.verify(&d_key, st(&after["token"]))
        .await
        .clerk_error(404, "resource_not_found");
    let again = s.mint(&c_key, json!({})).await.json();
    assert_eq!(s.verify(&d_key, st(&again["token"])).await.status, 200);
    // The admin scopes route follows the same rule when it removes a scope.
    let res = s
        .admin(
            "POST",
            &format!("/machines/{c}/scopes"),
            json!({"scopes": [s.id(0)]}),
        )
        .await;
    assert_eq!(res.status, 200);
    s.verify(&d_key, st(&again["token"]))
        .await
        .clerk_error(404, "resource_not_found");
}

#[tokio::test]
async fn at_most_150_scopes_per_machine() {
    let s = Bapi::start(10).await;
    let mut targets = Vec::new();
    for i in 0..151 {
        targets.push(st(&s.new_machine(json!({ "name": format!("t{i}") })).await["id"]).to_owned());
    }
    let full = s
        .new_machine(json!({"name": "full", "scoped_machines": targets[..150]}))
        .await;
    assert_eq!(full["scoped_machines"].as_array().unwrap().len(), 150);
    let res = s
        .m(
            "POST",
            &format!("/machines/{}/scopes", st(&full["id"])),
            Some(json!({"to_machine_id": targets[150]})),
        )
        .await;
    param_error(&res, 422, "form_param_value_invalid", "to_machine_id");
    let list = s.m("GET", "/machines?limit=500", None).await.json();
    assert_eq!(list["total_count"], 155);
    assert_eq!(list["data"].as_array().unwrap().len(), 155);
}

#[tokio::test]
async fn unknown_ids_paths_and_methods() {
    let s = Bapi::start(11).await;
    for id in ["nope", "mch_x", &format!("mch_{}", "0".repeat(27)), "%20"] {
        for (method, path, body) in routes(id, s.id(1)) {
            if path == "/machines" {
                continue;
            }
            let err = s
                .m(method, &path, body)
                .await
                .clerk_error(404, "resource_not_found");
            assert!(
                st(&err["long_message"]).contains(id),
                "{method} {path}: {err}"
            );
        }
    }
    let a = s.id(0);
    for (method, path) in [
        ("PUT", "/v1/machines".to_owned()),
        ("DELETE", "/v1/machines".to_owned()),
        ("POST", format!("/v1/machines/{a}")),
        ("PUT", format!("/machines/{a}")),
        ("POST", format!("/v1/machines/{a}/secret_key")),
        ("GET", format!("/v1/machines/{a}/secret_key/rotate")),
        ("GET", format!("/v1/machines/{a}/scopes")),
        ("DELETE", format!("/v1/machines/{a}/scopes")),
        ("GET", format!("/v1/machines/{a}/scopes/{}", s.id(1))),
    ] {
        s.call(method, &path, Some(s.sk()), None)
            .await
            .clerk_error(405, "method_not_allowed");
    }
    for path in [
        format!("/v1/machines/{a}/tokens"),
        format!("/v1/machines/{a}/secret_key/rotate/now"),
        format!("/v1/machines/{a}/scopes/{}/x", s.id(1)),
    ] {
        s.call("GET", &path, Some(s.sk()), None)
            .await
            .clerk_error(404, "resource_not_found");
    }
}

#[tokio::test]
async fn faults_log_cors_and_admin_views() {
    let s = Bapi::start(12).await;
    // `machines` targets every machines route; a route name targets one.
    let bapi = &s;
    let fault = |body: Value| async move {
        let res = bapi.admin("POST", "/faults", body).await;
        assert_eq!(res.status, 201, "{}", res.text());
    };
    fault(json!({"route": "machines", "count": 2, "fault": {"kind": "status", "status": 503}}))
        .await;
    assert_eq!(s.m("GET", "/machines", None).await.status, 503);
    assert_eq!(
        s.m("GET", &format!("/machines/{}", s.id(0)), None)
            .await
            .status,
        503
    );
    assert_eq!(s.m("GET", "/machines", None).await.status, 200);
    fault(json!({"route": "machines.create", "count": 1, "fault": {"kind": "rate_limit", "retry_after": 4}})).await;
    assert_eq!(
        s.m("GET", &format!("/machines/{}", s.id(0)), None)
            .await
            .status,
        200
    );
    let limited = s.m("POST", "/machines", Some(json!({"name": "x"}))).await;
    limited.clerk_error(429, "too_many_requests");
    assert_eq!(limited.header("retry-after"), Some("4"));
    assert_eq!(
        s.m("GET", "/machines", None).await.json()["total_count"],
        3,
        "not created"
    );
    // A status fault replaces the request: nothing is rotated.
    fault(json!({"route": "machines.rotate_secret_key", "count": 1, "fault": {"kind": "status", "status": 500}})).await;
    let path = format!("/machines/{}/secret_key/rotate", s.id(0));
    assert_eq!(
        s.m("POST", &path, Some(json!({"previous_token_ttl": 0})))
            .await
            .status,
        500
    );
    assert_eq!(s.mint(s.key(0), json!({})).await.status, 201);
    // A fault on the M2M routes leaves the machines routes alone, and `*` reaches them.
    fault(json!({"route": "list", "count": 1, "fault": {"kind": "status", "status": 502}})).await;
    assert_eq!(s.m("GET", "/machines", None).await.status, 200);
    s.admin("DELETE", "/faults", json!({})).await;
    fault(json!({"route": "*", "count": 1, "fault": {"kind": "status", "status": 504}})).await;
    assert_eq!(
        s.m(
            "DELETE",
            &format!("/machines/{}/scopes/{}", s.id(0), s.id(1)),
            None
        )
        .await
        .status,
        504
    );
    for route in [
        "machines.list",
        "machines.get",
        "machines.update",
        "machines.delete",
        "machines.get_secret_key",
        "machines.create_scope",
        "machines.delete_scope",
    ] {
        fault(json!({"route": route, "count": 1, "fault": {"kind": "latency", "ms": 1}})).await;
    }
    let bad = s
        .admin(
            "POST",
            "/faults",
            json!({"route": "machines.nope", "fault": {"kind": "hang"}}),
        )
        .await;
    assert_eq!(bad.status, 400);
    s.admin("DELETE", "/faults", json!({})).await;

    // The request log names each route after the @clerk/backend method.
    s.admin("DELETE", "/requests", json!({})).await;
    let m = s.new_machine(json!({"name": "logged"})).await;
    let id = st(&m["id"]);
    s.m("GET", "/machines?limit=1&query=log", None).await;
    s.m("GET", &format!("/machines/{id}"), None).await;
    s.m(
        "PATCH",
        &format!("/machines/{id}"),
        Some(json!({"name": "l2"})),
    )
    .await;
    s.m("GET", &format!("/machines/{id}/secret_key"), None)
        .await;
    s.m(
        "POST",
        &format!("/machines/{id}/secret_key/rotate"),
        Some(json!({"previous_token_ttl": 5})),
    )
    .await;
    s.m(
        "POST",
        &format!("/machines/{id}/scopes"),
        Some(json!({"to_machine_id": s.id(0)})),
    )
    .await;
    s.m(
        "DELETE",
        &format!("/machines/{id}/scopes/{}", s.id(0)),
        None,
    )
    .await;
    s.m("DELETE", &format!("/machines/{id}"), None).await;
    s.call("PUT", "/v1/machines", Some(s.sk()), None).await;
    let log = s.admin("GET", "/requests", json!({})).await.json();
    let routes: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| st(&e["route"]))
        .collect();
    assert_eq!(
        routes,
        [
            "machines.create",
            "machines.list",
            "machines.get",
            "machines.update",
            "machines.get_secret_key",
            "machines.rotate_secret_key",
            "machines.create_scope",
            "machines.delete_scope",
            "machines.delete",
            "unknown"
        ]
    );
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/v1/machines");
    assert_eq!(log[0]["body"], r#"{"name":"logged"}"#);
    assert_eq!(
        log[0]["headers"]["authorization"],
        format!("Bearer {}", s.sk())
    );
    assert_eq!(log[1]["query"], "limit=1&query=log");
    assert_eq!(log[3]["method"], "PATCH");

    // CORS: PATCH is allowed for browsers (the console updates machines).
    let pre = send(
        s.addr(),
        "OPTIONS",
        "/v1/machines/mch_x",
        None,
        None,
        &[("access-control-request-method", "PATCH")],
    )
    .await
    .unwrap();
    assert_eq!(pre.status, 204);
    assert!(pre
        .header("access-control-allow-methods")
        .unwrap()
        .contains("PATCH"));
    let res = s.m("GET", "/machines", None).await;
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.header("content-type"), Some("application/json"));

    // The admin views keep their shapes; the start-up info gains instanceId.
    let info = s.admin("GET", "/info", json!({})).await.json();
    let keys: Vec<&str> = info
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["url", "secretKey", "machines", "kid", "instanceId"]);
    assert_eq!(info["instanceId"], s.info.instance_id.as_str());
    assert_eq!(
        info["instanceId"], info["kid"],
        "until the signing key is rotated"
    );
    let machines = s.admin("GET", "/machines", json!({})).await.json();
    let keys: Vec<&str> = machines[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "name", "secretKey", "scopes"]);
    // Machines added through the admin route show up in the Backend API routes, and vice versa.
    let added = s
        .admin(
            "POST",
            "/machines",
            json!({"name": "via-admin", "scopes": [s.id(2)], "default_token_ttl": 90}),
        )
        .await
        .json();
    let got = s.machine(st(&added["id"])).await;
    assert_eq!(got["name"], "via-admin");
    assert_eq!(got["default_token_ttl"], 90);
    assert_eq!(got["scoped_machines"][0]["id"], s.id(2));
    // Reset keeps machines (and their rotated keys), as before.
    s.admin("POST", "/reset", json!({})).await;
    assert_eq!(s.m("GET", "/machines", None).await.json()["total_count"], 4);
}
