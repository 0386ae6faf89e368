//! The nine Backend API calls of `clerkClient.machines` (`@clerk/backend`'s `MachineApi`): machines, their
//! scopes and their secret keys, under `{apiUrl}/{apiVersion}/machines…`.
//!
//! Each call checks its params ([`MachineRequest`]), needs the instance `secretKey` (as the reference, which never
//! sends a machine key here: without one the call fails before any request, a machine key given as
//! `secretKey` gets the Backend API's 401), refuses insecure transport for it, sends through the
//! [`HttpClient`] port and decodes ([`MachinesResult`]). The reads (`get`, `list`, `getSecretKey`) are retried as
//! `m2m.list` is; the writes are sent exactly once.

mod request;
mod resource;

use serde_json::Value;

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::http::endpoint_url;
use crate::m2m::{build_request, send_once, send_retrying};
use crate::params::effective_timeout;
use crate::ports::{Clock, HttpClient, Timer};
use crate::wire;

pub use request::{MachineRequest, Operation};
pub use resource::{
    decode_deleted, decode_machine, decode_page, decode_scope, decode_secret_key, DeletedObject,
    Machine, MachinePage, MachineScope, MachineSecretKey, MachinesResult, MACHINE_OBJECT,
    MACHINE_SCOPE_OBJECT, MACHINE_SECRET_KEY_OBJECT,
};

/// The reference's message when a call that needs the instance key has none (`assertValidSecretKey`).
pub const MSG_MISSING_SECRET_KEY: &str =
    "Missing Clerk Secret Key. Go to https://dashboard.clerk.com and get your key for your instance.";

/// The instance key every `machines.*` call sends: the client's `secretKey`, never a machine key.
fn instance_key(config: &ClientConfig) -> Result<&Secret, Error> {
    config
        .secret_key
        .as_ref()
        .filter(|k| !k.expose().is_empty())
        .ok_or_else(|| Error::configuration(MSG_MISSING_SECRET_KEY))
}

/// `machines.<operation>(params)` by the JS method name, for the WASM boundary: an unknown name is an
/// [`Error::InvalidArgument`]. See [`call`].
pub async fn call_by_name<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    operation: &str,
    params: &Value,
) -> Result<MachinesResult, Error> {
    let operation = Operation::from_name(operation).ok_or_else(|| {
        Error::invalid_argument(
            [
                "machines has no method ",
                &crate::validate::quote_key(operation),
            ]
            .concat(),
        )
    })?;
    call(p, config, operation, params).await
}

/// One `machines.*` call: its params as [`MachineRequest::parse`] reads them, its result as
/// [`MachinesResult`]. The per-operation functions below ([`get`], [`list`], …) give the typed result.
pub async fn call<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    operation: Operation,
    params: &Value,
) -> Result<MachinesResult, Error> {
    let request = MachineRequest::parse(operation, params)?;
    let key = instance_key(config)?;
    let mut segments: Vec<&str> = Vec::with_capacity(request.segments.len() + 1);
    segments.push(&config.api_version);
    segments.extend(request.segments.iter().map(String::as_str));
    let mut url = endpoint_url(config, &segments)?;
    if !request.query.is_empty() {
        url.push('?');
        url.push_str(&request.query);
    }
    let http = build_request(
        config,
        operation.method(),
        url,
        Some(key),
        request.body,
        false,
        effective_timeout(request.timeout_ms, config),
    )?;
    let response = if operation.is_read() {
        send_retrying(p, config, http).await?
    } else {
        send_once(p, http).await?
    };
    wire::decode_response(&response, |v| resource::decode_for(operation, v))
}

/// The result a typed function expects; any other variant cannot come from [`call`] for that operation.
fn expect<T>(
    result: MachinesResult,
    pick: impl FnOnce(MachinesResult) -> Option<T>,
) -> Result<T, Error> {
    pick(result).ok_or_else(|| Error::invalid_argument("unexpected machines result"))
}

/// `machines.get(machineId)`: `GET /machines/{machineId}`, params `{ machineId }`. Retried.
pub async fn get<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<Machine, Error> {
    expect(
        call(p, config, Operation::Get, params).await?,
        |r| match r {
            MachinesResult::Machine(m) => Some(m),
            _ => None,
        },
    )
}

/// `machines.list(params?)`: `GET /machines?limit=…&offset=…&query=…&order_by=…` (the caller's order,
/// falsy values left out). `params` may be `Value::Null`. Retried.
pub async fn list<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachinePage, Error> {
    expect(
        call(p, config, Operation::List, params).await?,
        |r| match r {
            MachinesResult::Page(page) => Some(page),
            _ => None,
        },
    )
}

/// `machines.create({ name, scopedMachines?, defaultTokenTtl? })`: `POST /machines`. Never retried. The
/// result carries the new machine's `secret_key`.
pub async fn create<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<Machine, Error> {
    expect(
        call(p, config, Operation::Create, params).await?,
        |r| match r {
            MachinesResult::Machine(m) => Some(m),
            _ => None,
        },
    )
}

/// `machines.update({ machineId, name?, defaultTokenTtl? })`: `PATCH /machines/{machineId}`. Never retried.
pub async fn update<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<Machine, Error> {
    expect(
        call(p, config, Operation::Update, params).await?,
        |r| match r {
            MachinesResult::Machine(m) => Some(m),
            _ => None,
        },
    )
}

/// `machines.delete(machineId)`: `DELETE /machines/{machineId}`, params `{ machineId }`: a
/// [`MachinesResult::Deleted`] (or the machine, when the server answers with it). Never retried.
pub async fn delete<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachinesResult, Error> {
    call(p, config, Operation::Delete, params).await
}

/// `machines.getSecretKey(machineId)`: `GET /machines/{machineId}/secret_key`. Retried.
pub async fn get_secret_key<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachineSecretKey, Error> {
    expect(
        call(p, config, Operation::GetSecretKey, params).await?,
        |r| match r {
            MachinesResult::SecretKey(k) => Some(k),
            _ => None,
        },
    )
}

/// `machines.rotateSecretKey({ machineId, previousTokenTtl })`: `POST /machines/{machineId}/secret_key/rotate`
/// with `{"previous_token_ttl": …}`. Never retried.
pub async fn rotate_secret_key<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachineSecretKey, Error> {
    expect(
        call(p, config, Operation::RotateSecretKey, params).await?,
        |r| match r {
            MachinesResult::SecretKey(k) => Some(k),
            _ => None,
        },
    )
}

/// `machines.createScope(machineId, toMachineId)`: `POST /machines/{machineId}/scopes` with
/// `{"to_machine_id": …}`, params `{ machineId, toMachineId }`. Never retried.
pub async fn create_scope<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachineScope, Error> {
    expect(
        call(p, config, Operation::CreateScope, params).await?,
        |r| match r {
            MachinesResult::Scope(s) => Some(s),
            _ => None,
        },
    )
}

/// `machines.deleteScope(machineId, otherMachineId)`: `DELETE /machines/{machineId}/scopes/{otherMachineId}`,
/// params `{ machineId, otherMachineId }`. Never retried.
pub async fn delete_scope<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    params: &Value,
) -> Result<MachineScope, Error> {
    expect(
        call(p, config, Operation::DeleteScope, params).await?,
        |r| match r {
            MachinesResult::Scope(s) => Some(s),
            _ => None,
        },
    )
}
