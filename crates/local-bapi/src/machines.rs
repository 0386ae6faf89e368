//! The machines routes (`/v1/machines…`): list, create, get, update, delete, secret key, rotation and scopes,
//! on the same machines the M2M routes authenticate. All of them take the instance secret key only.

use hyper::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth;
use crate::error::ApiError;
use crate::ids;
use crate::reply::Reply;
use crate::state::State;
use crate::store::{Machine, Machines};
use crate::sync::{lock, read, write};
use crate::validate::machines::{self as params, OrderField, MAX_SCOPES};

fn no_machine(id: &str) -> ApiError {
    ApiError::not_found(&format!("No machine was found with id {id}"))
}

/// A TTL as the schema's integer (`3600`, not `3600.0`); a fractional one (only `/__admin/machines` allows
/// it) as it is.
fn ttl_json(ttl: Option<f64>) -> Option<Value> {
    ttl.map(|t| {
        if t.fract() == 0.0 && t.abs() < 9.0e15 {
            json!(t as i64)
        } else {
            json!(t)
        }
    })
}

/// `Machine` (and `MachineWithoutScopedMachines` when nested), field order as in the OpenAPI file.
#[derive(Serialize)]
struct MachineJson<'a> {
    object: &'static str,
    id: &'a str,
    name: &'a str,
    instance_id: &'a str,
    created_at: i64,
    updated_at: i64,
    /// Absent in the nested machines.
    #[serde(skip_serializing_if = "Option::is_none")]
    scoped_machines: Option<Vec<MachineJson<'a>>>,
    /// Absent for a machine whose tokens never expire by default (the seeded ones).
    #[serde(skip_serializing_if = "Option::is_none")]
    default_token_ttl: Option<Value>,
    /// Only in the create response.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_key: Option<&'a str>,
}

fn flat<'a>(machine: &'a Machine, instance_id: &'a str) -> MachineJson<'a> {
    MachineJson {
        object: "machine",
        id: &machine.id,
        name: &machine.name,
        instance_id,
        created_at: machine.created_at,
        updated_at: machine.updated_at,
        scoped_machines: None,
        default_token_ttl: ttl_json(machine.default_token_ttl),
        secret_key: None,
    }
}

/// The machine with the machines it may call.
fn render<'a>(
    machines: &'a Machines,
    machine: &'a Machine,
    instance_id: &'a str,
) -> MachineJson<'a> {
    let scoped = machine
        .scopes
        .iter()
        .filter_map(|id| machines.get(id))
        .map(|m| flat(m, instance_id))
        .collect();
    MachineJson {
        scoped_machines: Some(scoped),
        ..flat(machine, instance_id)
    }
}

#[derive(Serialize)]
struct ListBody<'a> {
    data: Vec<MachineJson<'a>>,
    total_count: usize,
}

/// `GET /machines`: `query` (exact id, or part of the name ignoring case), `order_by`, `limit`, `offset`.
pub(crate) fn list(state: &State, headers: &HeaderMap, query: &str) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let params = params::list(query)?;
    let machines = read(&state.machines);
    let needle = params.query.as_deref().map(str::to_lowercase);
    let mut found: Vec<&Machine> = machines
        .iter()
        .filter(|m| match (&params.query, &needle) {
            (Some(q), Some(needle)) => m.id == *q || m.name.to_lowercase().contains(needle),
            _ => true,
        })
        .collect();
    // Stable sorts: equal keys keep creation order (reversed with `-`).
    match params.order {
        OrderField::CreatedAt => found.sort_by_key(|m| m.created_at),
        OrderField::Name => found.sort_by(|a, b| {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.name.cmp(&b.name))
        }),
    }
    if params.descending {
        found.reverse();
    }
    let total_count = found.len();
    let data = found
        .into_iter()
        .skip(params.offset)
        .take(params.limit)
        .map(|m| render(&machines, m, &state.instance_id))
        .collect();
    Ok(Reply::json(StatusCode::OK, &ListBody { data, total_count }))
}

/// `POST /machines`: 200 with the machine and its `secret_key`, which can mint tokens at once.
pub(crate) fn create(state: &State, headers: &HeaderMap, body: &[u8]) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let params = params::create(body)?;
    let now = state.clock.now_ms();
    let (id, secret_key) = {
        let mut rng = lock(&state.rng);
        (
            ids::machine_id(&mut *rng),
            ids::machine_secret_key(&mut *rng),
        )
    };
    let mut machines = write(&state.machines);
    if let Some(unknown) = params
        .scoped_machines
        .iter()
        .find(|scoped| machines.get(scoped).is_none())
    {
        return Err(ApiError::param_value(
            "scoped_machines",
            &format!("ids of machines of this instance (there is no machine {unknown})"),
        )
        .unprocessable());
    }
    machines.insert(Machine {
        id: id.clone(),
        name: params.name,
        secret_key,
        scopes: params.scoped_machines,
        default_token_ttl: Some(params.default_token_ttl as f64),
        created_at: now,
        updated_at: now,
    });
    let machine = machines
        .get(&id)
        .ok_or_else(|| ApiError::internal("machine vanished"))?;
    let body = MachineJson {
        secret_key: Some(&machine.secret_key),
        ..render(&machines, machine, &state.instance_id)
    };
    Ok(Reply::json(StatusCode::OK, &body))
}

/// `GET /machines/{id}`.
pub(crate) fn get(state: &State, headers: &HeaderMap, id: &str) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let machines = read(&state.machines);
    let machine = machines.get(id).ok_or_else(|| no_machine(id))?;
    Ok(Reply::json(
        StatusCode::OK,
        &render(&machines, machine, &state.instance_id),
    ))
}

/// 404 unless the machine exists; checked before the body, so a deleted id is a 404 whatever the body.
fn require(state: &State, id: &str) -> Result<(), ApiError> {
    match read(&state.machines).get(id) {
        Some(_) => Ok(()),
        None => Err(no_machine(id)),
    }
}

/// `PATCH /machines/{id}`: `name`, `default_token_ttl`; only the fields given change.
pub(crate) fn update(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    require(state, id)?;
    let update = params::update(body)?;
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    machines
        .update(id, |m| {
            if let Some(name) = update.name {
                m.name = name;
                m.updated_at = now;
            }
            if let Some(ttl) = update.default_token_ttl {
                m.default_token_ttl = Some(ttl as f64);
                m.updated_at = now;
            }
        })
        .ok_or_else(|| no_machine(id))?;
    let machine = machines.get(id).ok_or_else(|| no_machine(id))?;
    Ok(Reply::json(
        StatusCode::OK,
        &render(&machines, machine, &state.instance_id),
    ))
}

/// `DELETE /machines/{id}`: the machine, its secret keys and its tokens are gone; the other machines lose
/// their scopes to it, and their opaque tokens lose it from their `scopes`.
pub(crate) fn delete(state: &State, headers: &HeaderMap, id: &str) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    machines.remove(id, now).ok_or_else(|| no_machine(id))?;
    // Lock order everywhere: machines, then tokens.
    let mut tokens = write(&state.tokens);
    tokens.remove_subject(id);
    tokens.drop_scope(None, id);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({ "object": "machine", "id": id, "deleted": true }),
    ))
}

fn secret_key_reply(secret: &str) -> Reply {
    Reply::json(
        StatusCode::OK,
        &json!({ "object": "machine_secret_key", "secret": secret }),
    )
}

/// `GET /machines/{id}/secret_key`: the current secret key.
pub(crate) fn secret_key(state: &State, headers: &HeaderMap, id: &str) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let machines = read(&state.machines);
    let machine = machines.get(id).ok_or_else(|| no_machine(id))?;
    Ok(secret_key_reply(&machine.secret_key))
}

/// `POST /machines/{id}/secret_key/rotate`: a new secret key; the previous one stays valid for
/// `previous_token_ttl` seconds of the server clock (0 = not at all).
pub(crate) fn rotate_secret_key(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    require(state, id)?;
    let previous_ttl = params::rotate(body)?;
    let now = state.clock.now_ms();
    let secret = ids::machine_secret_key(&mut *lock(&state.rng));
    let valid_until = now.saturating_add((previous_ttl as i64).saturating_mul(1000));
    let rotated = write(&state.machines)
        .rotate(id, secret, valid_until, now)
        .ok_or_else(|| no_machine(id))?;
    Ok(secret_key_reply(&rotated.secret_key))
}

/// `POST /machines/{id}/scopes`: `id` may now call `to_machine_id` (tokens minted from now on carry it).
pub(crate) fn create_scope(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    require(state, id)?;
    let to = params::scope(body)?;
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    let from = machines.get(id).ok_or_else(|| no_machine(id))?;
    if machines.get(&to).is_none() {
        return Err(no_machine(&to));
    }
    if from.scopes.contains(&to) {
        return Err(ApiError::conflict(&format!(
            "Machine {id} already has a scope to machine {to}."
        )));
    }
    if from.scopes.len() >= MAX_SCOPES {
        return Err(ApiError::param_value(
            "to_machine_id",
            &format!("a new scope of a machine with fewer than {MAX_SCOPES} scopes"),
        )
        .unprocessable());
    }
    machines.update(id, |m| {
        m.scopes.push(to.clone());
        m.updated_at = now;
    });
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "object": "machine_scope",
            "from_machine_id": id,
            "to_machine_id": to,
            "created_at": now,
        }),
    ))
}

/// `DELETE /machines/{id}/scopes/{other}`: `id` may no longer call `other`, also with tokens minted before
/// (their `scopes` lose `other`; JWTs cannot change, see the README).
pub(crate) fn delete_scope(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    other: &str,
) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let now = state.clock.now_ms();
    let mut machines = write(&state.machines);
    let from = machines.get(id).ok_or_else(|| no_machine(id))?;
    if !from.scopes.iter().any(|s| s == other) {
        return Err(ApiError::not_found(&format!(
            "No machine scope was found from machine {id} to machine {other}"
        )));
    }
    machines.update(id, |m| {
        m.scopes.retain(|s| s != other);
        m.updated_at = now;
    });
    write(&state.tokens).drop_scope(Some(id), other);
    Ok(Reply::json(
        StatusCode::OK,
        &json!({
            "object": "machine_scope",
            "from_machine_id": id,
            "to_machine_id": other,
            "deleted": true,
        }),
    ))
}
