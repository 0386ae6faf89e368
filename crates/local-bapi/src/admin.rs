//! Test controls under `/__admin/`: JSON in, JSON out, no authentication, no faults, not logged.

use hyper::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::fault::FaultRequest;
use crate::ids;
use crate::keys::{self, PendingKey};
use crate::reply::Reply;
use crate::server::server_info;
use crate::state::State;
use crate::store::Machine;
use crate::sync::{lock, read, write};

fn error(status: StatusCode, message: impl Into<String>) -> Reply {
    Reply::json(status, &json!({ "error": message.into() }))
}

/// Parses an admin body; empty means `{}`.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Reply> {
    let body: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, format!("invalid body: {e}")))
}

pub(crate) async fn handle(state: &State, method: &Method, path: &str, body: &[u8]) -> Reply {
    route(state, method, path, body)
        .await
        .unwrap_or_else(|reply| reply)
}

async fn route(state: &State, method: &Method, path: &str, body: &[u8]) -> Result<Reply, Reply> {
    let sub = path.trim_start_matches("/__admin").trim_end_matches('/');
    let ok = |value: Value| Ok(Reply::json(StatusCode::OK, &value));
    match (method.as_str(), sub) {
        ("GET", "/info") => ok(serde_json::to_value(server_info(state)).unwrap_or(Value::Null)),
        ("GET", "/machines") => {
            let machines: Vec<Machine> = read(&state.machines)
                .all()
                .iter()
                .map(|m| (**m).clone())
                .collect();
            ok(json!(machines))
        }
        ("POST", "/machines") => add_machine(state, parse(body)?),
        ("POST", "/rotate-key") => rotate_key(state, parse(body)?).await,
        ("POST", "/drop-old-keys") => {
            let mut ring = write(&state.keys);
            let dropped: Vec<String> = ring.previous.drain(..).map(|(kid, _)| kid).collect();
            ok(json!({ "kid": ring.current.0, "dropped": dropped }))
        }
        ("GET", "/keys") => keys_info(state).await,
        ("GET", "/clock") => ok(clock(state)),
        ("POST", "/clock") => {
            let req: ClockRequest = parse(body)?;
            match (req.offset_ms, req.advance_ms) {
                (Some(offset), None) => state.clock.set_offset_ms(offset),
                (None, Some(advance)) => state
                    .clock
                    .set_offset_ms(state.clock.offset_ms().saturating_add(advance)),
                _ => {
                    return Err(error(
                        StatusCode::BAD_REQUEST,
                        "give exactly one of offset_ms, advance_ms",
                    ))
                }
            }
            ok(clock(state))
        }
        ("GET", "/faults") => ok(json!({ "faults": state.with_faults(|f| f.list().to_vec()) })),
        ("POST", "/faults") => {
            let req: FaultRequest = parse(body)?;
            req.validate()
                .map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
            let rule = state.with_faults(|f| f.add(req));
            Ok(Reply::json(StatusCode::CREATED, &rule))
        }
        ("DELETE", "/faults") => {
            state.with_faults(|f| f.clear());
            ok(json!({ "cleared": true }))
        }
        ("GET", "/requests") => ok(json!(lock(&state.log).entries())),
        ("DELETE", "/requests") => {
            lock(&state.log).clear();
            ok(json!({ "cleared": true }))
        }
        ("POST", "/reset") => {
            write(&state.tokens).clear();
            state.with_faults(|f| f.clear());
            lock(&state.log).clear();
            state.clock.set_offset_ms(0);
            ok(json!({ "reset": true }))
        }
        _ => {
            if let Some(id) = sub
                .strip_prefix("/machines/")
                .and_then(|s| s.strip_suffix("/scopes"))
            {
                if method == Method::POST {
                    return set_scopes(state, id, parse(body)?);
                }
            }
            Err(error(
                StatusCode::NOT_FOUND,
                format!("no admin route {method} {path}"),
            ))
        }
    }
}

fn clock(state: &State) -> Value {
    json!({ "now_ms": state.clock.now_ms(), "offset_ms": state.clock.offset_ms() })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockRequest {
    offset_ms: Option<i64>,
    advance_ms: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RotateRequest {
    #[serde(default)]
    drop_old: bool,
}

async fn rotate_key(state: &State, req: RotateRequest) -> Result<Reply, Reply> {
    let (kid, pending, previous) = {
        let mut ring = write(&state.keys);
        ring.index += 1;
        let index = ring.index;
        let next = (
            keys::kid_for(ring.seed, index),
            keys::spawn(ring.seed, index),
        );
        let old = std::mem::replace(&mut ring.current, next.clone());
        let previous = old.0.clone();
        ring.previous = if req.drop_old { Vec::new() } else { vec![old] };
        (next.0, next.1, previous)
    };
    pending
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(Reply::json(
        StatusCode::OK,
        &json!({ "kid": kid, "previous": previous }),
    ))
}

async fn key_json(pending: PendingKey) -> Result<Value, Reply> {
    let key = pending
        .await
        .map_err(|e| error(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    Ok(json!({ "kid": key.kid, "pem": key.pem, "jwk": key.jwk }))
}

async fn keys_info(state: &State) -> Result<Reply, Reply> {
    let (current, previous) = {
        let ring = read(&state.keys);
        let previous: Vec<PendingKey> = ring.previous.iter().map(|(_, key)| key.clone()).collect();
        (ring.current.1.clone(), previous)
    };
    let current = key_json(current).await?;
    let mut old = Vec::new();
    for key in previous {
        old.push(key_json(key).await?);
    }
    Ok(Reply::json(
        StatusCode::OK,
        &json!({ "current": current, "previous": old }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MachineRequest {
    name: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    default_token_ttl: Option<f64>,
}

fn check_scopes(state: &State, scopes: &[String]) -> Result<(), Reply> {
    let machines = read(&state.machines);
    match scopes.iter().find(|id| machines.by_id(id).is_none()) {
        Some(unknown) => Err(error(
            StatusCode::BAD_REQUEST,
            format!("unknown machine in scopes: {unknown}"),
        )),
        None => Ok(()),
    }
}

fn add_machine(state: &State, req: MachineRequest) -> Result<Reply, Reply> {
    check_scopes(state, &req.scopes)?;
    if req
        .default_token_ttl
        .is_some_and(|ttl| ttl.is_nan() || ttl <= 0.0)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "default_token_ttl must be greater than 0",
        ));
    }
    let (id, secret_key) = {
        let mut rng = lock(&state.rng);
        (
            ids::machine_id(&mut *rng),
            ids::machine_secret_key(&mut *rng),
        )
    };
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    let name = req
        .name
        .unwrap_or_else(|| format!("machine-{}", machines.all().len() + 1));
    let machine = Machine {
        id,
        name,
        secret_key,
        scopes: req.scopes,
        default_token_ttl: req.default_token_ttl,
        created_at: now,
        updated_at: now,
    };
    machines.insert(machine.clone());
    Ok(Reply::json(StatusCode::CREATED, &machine))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopesRequest {
    scopes: Vec<String>,
}

fn set_scopes(state: &State, id: &str, req: ScopesRequest) -> Result<Reply, Reply> {
    check_scopes(state, &req.scopes)?;
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    let before = machines
        .get(id)
        .map(|m| m.scopes.clone())
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no machine {id}")))?;
    let machine = machines
        .update(id, |m| {
            m.scopes = req.scopes;
            m.updated_at = now;
        })
        .ok_or_else(|| error(StatusCode::NOT_FOUND, format!("no machine {id}")))?;
    // As `DELETE /v1/machines/{id}/scopes/{other}`: a removed scope also leaves the tokens already minted.
    let mut tokens = write(&state.tokens);
    for removed in before.iter().filter(|s| !machine.scopes.contains(s)) {
        tokens.drop_scope(Some(id), removed);
    }
    Ok(Reply::json(StatusCode::OK, &*machine))
}
