//! `Authorization: Bearer <key>`: the instance secret key or a machine secret key (its current one, or a
//! previous one within the grace period of a rotation, by the server clock).

use std::sync::Arc;

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;

use crate::error::ApiError;
use crate::state::State;
use crate::store::Machine;
use crate::sync::read;

/// Who is calling.
pub(crate) enum Caller {
    Instance,
    Machine(Arc<Machine>),
}

/// Why a request is not authenticated.
pub(crate) enum AuthFailure {
    /// No `Authorization: Bearer` header.
    Missing,
    /// An `ak_` key that belongs to no machine.
    UnknownMachineKey,
    /// Any other unknown key.
    UnknownKey,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !key.is_empty()).then_some(key)
}

pub(crate) fn authenticate(state: &State, headers: &HeaderMap) -> Result<Caller, AuthFailure> {
    let key = bearer(headers).ok_or(AuthFailure::Missing)?;
    if key == state.instance_key {
        return Ok(Caller::Instance);
    }
    let now = state.clock.now_ms();
    if let Some(machine) = read(&state.machines).by_key(key, now) {
        return Ok(Caller::Machine(machine));
    }
    Err(if key.starts_with("ak_") {
        AuthFailure::UnknownMachineKey
    } else {
        AuthFailure::UnknownKey
    })
}

/// create: only a machine secret key will do.
pub(crate) fn machine_only(state: &State, headers: &HeaderMap) -> Result<Arc<Machine>, ApiError> {
    match authenticate(state, headers) {
        Ok(Caller::Machine(machine)) => Ok(machine),
        _ => Err(ApiError::machine_secret_key_invalid()),
    }
}

/// list, revoke, verify: either kind of key.
pub(crate) fn any_key(state: &State, headers: &HeaderMap) -> Result<Caller, ApiError> {
    authenticate(state, headers).map_err(|failure| match failure {
        AuthFailure::UnknownMachineKey => ApiError::machine_secret_key_invalid(),
        AuthFailure::Missing | AuthFailure::UnknownKey => ApiError::clerk_key_invalid(),
    })
}

/// jwks and the machines routes: only the instance key. A machine secret key, valid or not, is not a Clerk
/// Secret Key there.
pub(crate) fn instance_only(state: &State, headers: &HeaderMap) -> Result<(), ApiError> {
    match authenticate(state, headers) {
        Ok(Caller::Instance) => Ok(()),
        _ => Err(ApiError::clerk_key_invalid()),
    }
}
