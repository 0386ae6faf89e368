//! The Clerk routes: M2M tokens and JWKS (the machines routes are in `machines.rs`).

use std::sync::Arc;

use hyper::{HeaderMap, StatusCode};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::{self, Caller};
use crate::error::ApiError;
use crate::ids;
use crate::keys::{self, KeyPair, M2M_CATEGORY};
use crate::reply::Reply;
use crate::state::State;
use crate::store::{Machine, Token, TokenJson};
use crate::sync::{lock, read, write};
use crate::validate::{self, CreateParams, Format};

/// Claims the server sets on a JWT; custom claims with these names are dropped.
const RESERVED_CLAIMS: [&str; 8] = ["iss", "sub", "jti", "aud", "scopes", "iat", "nbf", "exp"];

const NOT_FOUND: &str = "M2M token not found";

fn secs_to_ms(seconds: f64) -> i64 {
    // `as` saturates, which is what an absurd lifetime should do.
    (seconds * 1000.0).round() as i64
}

fn same_scopes(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// `POST /m2m_tokens`: 201 with the token (opaque and stored, or a JWT, never stored).
pub(crate) async fn create(
    state: &State,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let machine = auth::machine_only(state, headers)?;
    let params = validate::create_params(body)?;
    let lifetime = params
        .seconds_until_expiration
        .or(machine.default_token_ttl);
    if let (Some(min), Some(life)) = (params.min_remaining_ttl_seconds, lifetime) {
        if min >= life {
            return Err(ApiError::param_value(
                "min_remaining_ttl_seconds",
                &format!("less than the token lifetime ({life} seconds)"),
            ));
        }
    }
    let now = state.clock.now_ms();
    match params.format {
        Format::Opaque => Ok(create_opaque(state, &machine, &params, lifetime, now)),
        Format::Jwt => create_jwt(state, &machine, &params, lifetime, now).await,
    }
}

fn create_opaque(
    state: &State,
    machine: &Machine,
    params: &CreateParams,
    lifetime: Option<f64>,
    now: i64,
) -> Reply {
    // Lock order everywhere: machines, then tokens. Under the machines lock the machine cannot be deleted
    // (which would orphan the token) and its scopes are the current ones.
    let machines = read(&state.machines);
    let Some(machine) = machines.get(&machine.id) else {
        return ApiError::machine_secret_key_invalid().into_reply();
    };
    let mut tokens = write(&state.tokens);
    if let Some(min) = params.min_remaining_ttl_seconds {
        let min_ms = secs_to_ms(min);
        let reusable = tokens.newest_first(&machine.id).find(|t| {
            !t.revoked
                && !t.is_expired(now)
                && t.claims == params.claims
                && same_scopes(&t.scopes, &machine.scopes)
                && t.expiration
                    .is_none_or(|exp| exp.saturating_sub(now) >= min_ms)
        });
        if let Some(token) = reusable {
            return Reply::json(StatusCode::CREATED, &token.json(now, true));
        }
    }
    let (id, secret) = {
        let mut rng = lock(&state.rng);
        (ids::token_id(&mut *rng), ids::token_secret(&mut *rng))
    };
    let token = Token::new(
        id,
        secret,
        machine.id.clone(),
        machine.scopes.clone(),
        params.claims.clone(),
        lifetime.map(|s| now.saturating_add(secs_to_ms(s))),
        now,
    );
    let index = tokens.insert(token);
    match tokens.get(index) {
        Some(token) => Reply::json(StatusCode::CREATED, &token.json(now, true)),
        None => ApiError::internal("token vanished").into_reply(),
    }
}

async fn current_key(state: &State) -> Result<Arc<KeyPair>, ApiError> {
    let pending = read(&state.keys).current.1.clone();
    pending.await.map_err(|e| ApiError::internal(&e))
}

async fn create_jwt(
    state: &State,
    machine: &Machine,
    params: &CreateParams,
    lifetime: Option<f64>,
    now: i64,
) -> Result<Reply, ApiError> {
    let key = current_key(state).await?;
    let jti = ids::token_id(&mut *lock(&state.rng));
    let mut custom = Map::new();
    custom.insert("iss".into(), json!(state.url));
    custom.insert("sub".into(), json!(machine.id));
    custom.insert("jti".into(), json!(jti));
    if !machine.scopes.is_empty() {
        custom.insert("aud".into(), json!(machine.scopes));
        custom.insert("scopes".into(), json!(machine.scopes.join(" ")));
    }
    if let Value::Object(claims) = &params.claims {
        for (name, value) in claims {
            if !RESERVED_CLAIMS.contains(&name.as_str()) {
                custom.insert(name.clone(), value.clone());
            }
        }
    }
    let claims = keys::jwt_claims(custom, now, lifetime);
    // `jwt_claims` always sets `iat`.
    let iat = claims.issued_at.map_or(0, |t| t.timestamp());
    let exp = claims.expiration.map(|t| t.timestamp());
    // About a millisecond of RSA work: keep it off the threads serving verify and list.
    let jwt = tokio::task::spawn_blocking(move || keys::sign_jwt(&key, &claims))
        .await
        .map_err(|e| ApiError::internal(&e.to_string()))?
        .map_err(|e| ApiError::internal(&e))?;
    let body = TokenJson {
        object: "machine_to_machine_token",
        id: &jti,
        subject: &machine.id,
        scopes: &machine.scopes,
        claims: &params.claims,
        revoked: false,
        revocation_reason: None,
        expired: false,
        expiration: exp.map(|e| e.saturating_mul(1000)),
        last_used_at: None,
        created_at: iat * 1000,
        updated_at: iat * 1000,
        token: Some(&jwt),
    };
    Ok(Reply::json(StatusCode::CREATED, &body))
}

#[derive(Serialize)]
struct ListBody<'a> {
    m2m_tokens: Vec<TokenJson<'a>>,
    total_count: usize,
}

/// `GET /m2m_tokens`: newest first.
pub(crate) fn list(state: &State, headers: &HeaderMap, query: &str) -> Result<Reply, ApiError> {
    let caller = auth::any_key(state, headers)?;
    let params = validate::list_params(query)?;
    if let Caller::Machine(machine) = &caller {
        if machine.id != params.subject {
            return Err(ApiError::forbidden(
                "A Machine Secret Key can only list the M2M tokens of its own machine.",
            ));
        }
    }
    if state.machine_by_id(&params.subject).is_none() {
        return Err(ApiError::not_found(&format!(
            "No machine was found with id {}",
            params.subject
        )));
    }
    let now = state.clock.now_ms();
    let tokens = read(&state.tokens);
    let mut page = Vec::with_capacity(params.limit.min(16));
    let mut total = 0;
    for token in tokens.newest_first(&params.subject) {
        if (token.revoked && !params.revoked) || (!params.expired && token.is_expired(now)) {
            continue;
        }
        if total >= params.offset && page.len() < params.limit {
            page.push(token.json(now, false));
        }
        total += 1;
    }
    Ok(Reply::json(
        StatusCode::OK,
        &ListBody {
            m2m_tokens: page,
            total_count: total,
        },
    ))
}

/// `POST /m2m_tokens/{id}/revoke`. Revoking a revoked token again changes nothing and answers 200.
pub(crate) fn revoke(
    state: &State,
    headers: &HeaderMap,
    id: &str,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let caller = auth::any_key(state, headers)?;
    validate::token_id(id)?;
    let reason = validate::revoke_params(body)?;
    let now = state.clock.now_ms();
    let mut tokens = write(&state.tokens);
    let token = tokens
        .by_id(id)
        .and_then(|index| tokens.get_mut(index))
        .filter(|token| match &caller {
            Caller::Instance => true,
            Caller::Machine(machine) => token.subject == machine.id,
        })
        .ok_or_else(|| ApiError::not_found(NOT_FOUND))?;
    if !token.revoked {
        token.revoked = true;
        token.revocation_reason = reason;
        token.updated_at = now;
    }
    Ok(Reply::json(StatusCode::OK, &token.json(now, false)))
}

fn in_scope(caller: &Caller, scopes: &[String]) -> bool {
    match caller {
        Caller::Instance => true,
        Caller::Machine(machine) => scopes.contains(&machine.id),
    }
}

/// `POST /m2m_tokens/verify`. Any token that cannot be used by the caller is a 404: unknown, revoked,
/// expired, or (machine key) not granted to the calling machine.
pub(crate) async fn verify(
    state: &State,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Reply, ApiError> {
    let caller = auth::any_key(state, headers)?;
    let token = validate::verify_params(body)?;
    let now = state.clock.now_ms();
    {
        let tokens = read(&state.tokens);
        if let Some(found) = tokens.by_secret(&token) {
            if !in_scope(&caller, &found.scopes) {
                return Err(ApiError::not_found(NOT_FOUND));
            }
            if found.revoked {
                return Err(ApiError::not_found("M2M token has been revoked"));
            }
            if found.is_expired(now) {
                return Err(ApiError::not_found("M2M token has expired"));
            }
            found.mark_used(now);
            return Ok(Reply::json(StatusCode::OK, &found.json(now, false)));
        }
    }
    if token.split('.').count() == 3 {
        return verify_jwt(state, &caller, &token, now).await;
    }
    Err(ApiError::not_found(NOT_FOUND))
}

/// A JWT-format token sent to BAPI verify: signature against the published keys, category, times, scope.
async fn verify_jwt(
    state: &State,
    caller: &Caller,
    token: &str,
    now: i64,
) -> Result<Reply, ApiError> {
    let invalid = || ApiError::not_found(NOT_FOUND);
    let jwt = keys::decode_jwt(token).ok_or_else(invalid)?;
    let header = &jwt.header;
    if header["alg"] != "RS256" || header.get("cat").is_some_and(|cat| cat != M2M_CATEGORY) {
        return Err(invalid());
    }
    let kid = header["kid"].as_str().ok_or_else(invalid)?;
    let pending = read(&state.keys).find(kid);
    let key = pending
        .ok_or_else(invalid)?
        .await
        .map_err(|e| ApiError::internal(&e))?;
    if !keys::verify_signature(&key, &jwt) {
        return Err(invalid());
    }
    let payload = jwt.payload.as_object().ok_or_else(invalid)?;
    let subject = payload
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| s.starts_with("mch_"));
    let subject = subject.ok_or_else(invalid)?;
    let seconds = |name: &str| payload.get(name).and_then(Value::as_i64);
    let exp = seconds("exp");
    if exp.is_some_and(|exp| exp.saturating_mul(1000) <= now) {
        return Err(ApiError::not_found("M2M token has expired"));
    }
    if seconds("nbf").is_some_and(|nbf| nbf.saturating_mul(1000) > now) {
        return Err(invalid());
    }
    let scopes: Vec<String> = match payload.get("aud") {
        Some(Value::Array(aud)) => aud
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Some(Value::String(aud)) => vec![aud.clone()],
        _ => Vec::new(),
    };
    if !in_scope(caller, &scopes) {
        return Err(invalid());
    }
    // A JWT cannot be changed after minting: the deletion of its machine, or of the caller's scope, is
    // applied here (a local verification cannot see either).
    let sender = state.machine_by_id(subject).ok_or_else(invalid)?;
    if let Caller::Machine(machine) = caller {
        if !sender.scopes.contains(&machine.id) {
            return Err(invalid());
        }
    }
    let custom: Map<String, Value> = payload
        .iter()
        .filter(|(name, _)| !RESERVED_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let claims = if custom.is_empty() {
        Value::Null
    } else {
        Value::Object(custom)
    };
    let issued = seconds("iat").unwrap_or(0).saturating_mul(1000);
    let body = TokenJson {
        object: "machine_to_machine_token",
        id: payload.get("jti").and_then(Value::as_str).unwrap_or(""),
        subject,
        scopes: &scopes,
        claims: &claims,
        revoked: false,
        revocation_reason: None,
        expired: false,
        expiration: exp.map(|e| e.saturating_mul(1000)),
        last_used_at: None,
        created_at: issued,
        updated_at: issued,
        token: None,
    };
    Ok(Reply::json(StatusCode::OK, &body))
}

/// `GET /v1/jwks`: instance key only; the current key first, then the previous ones.
pub(crate) async fn jwks(state: &State, headers: &HeaderMap) -> Result<Reply, ApiError> {
    auth::instance_only(state, headers)?;
    let pending = read(&state.keys).published();
    let mut jwks = Vec::with_capacity(pending.len());
    for key in pending {
        jwks.push(key.await.map_err(|e| ApiError::internal(&e))?.jwk.clone());
    }
    Ok(Reply::json(StatusCode::OK, &json!({ "keys": jwks })))
}
