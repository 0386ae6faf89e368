//! The JWKS cache, shared by every client of the isolate (one `thread_local!` registry), scoped like the
//! reference by (apiUrl, apiVersion, secretKey). It stores settled data only: parsed key sets.
//!
//! * **TTL** (`jwksCacheTtlMs`, 300 s): a key set younger than that is served without a request.
//! * **Single flight:** concurrent lookups that need a fetch share one request. A waiter waits for another
//!   caller's fetch at most `jwksTimeoutMs` (a [`Timer::sleep`] raced against the fetch's notification):
//!   workerd does not let one request rely on I/O another request started, so after the bound the waiter
//!   takes over and fetches itself.
//! * **Unknown kid:** one refetch, then a cooldown (`jwksCooldownMs`, 30 s) during which unknown kids fail
//!   (E4) without a request. The fetched set replaces the cached one, so a key removed from the JWKS stops
//!   verifying at the next refresh.
//! * **Requests:** `GET {apiUrl}/{apiVersion}/jwks` with the instance secret key, a timeout, and at most
//!   3 attempts with jittered exponential backoff ([`crate::retry`]), none on 401/403 or a timeout.
//! * **Stale-if-error:** when a refresh fails (network error, timeout, a non-2xx status, a body that is not
//!   JSON), keys keep serving for `jwksStaleIfErrorMs` past their TTL, and for `jwksCooldownMs` after that
//!   failure they are served without trying again. A 2xx JSON answer is never a failure: it is the key set,
//!   even when it holds no key (`{"keys":[]}`, `{}`), so a key removed from the JWKS stops verifying at once.
//! * **Shared cache** (`jwks::shared`): where the runtime has one (Workers' `caches.default`), the fetching
//!   caller reads the key set another isolate stored there before asking the network, and stores what the
//!   network gave. A set read there keeps its original fetch time, so it never lives past its TTL; a kid it
//!   does not list (and `skipJwksCache`) goes to the network, where the unknown-kid cooldown applies as before.
#![deny(clippy::indexing_slicing)]

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use serde_json::Value;

use super::key::{parse_jwks, JwkKey, KeySet};
use super::shared::{self, SharedSlot};
use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::flight::{wait_bounded, Settled};
use crate::http::{base_headers, check_transport, endpoint_url};
use crate::jwt::errors;
use crate::jwt::options::JwtOptions;
use crate::ports::{
    Clock, HttpClient, HttpRequest, HttpResponse, Method, SharedCache, Timer, TransportError,
};
use crate::retry::{decide, Decision, Jitter, Outcome, RetryPolicy};

/// At most this many scopes (distinct apiUrl/apiVersion/secretKey) are kept; the oldest goes first.
const MAX_SCOPES: usize = 64;
/// A caller waits on at most this many other callers' fetches before fetching itself.
const MAX_WAIT_ROUNDS: u32 = 2;

/// The JWKS retry policy: 3 attempts, 100 ms × 2^n backoff with jitter, everything within 3 s.
pub const JWKS_RETRY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay_ms: 100,
    max_delay_ms: 1_000,
    budget_ms: 3_000,
};

struct ScopeKey {
    api_url: String,
    api_version: String,
    secret_key: Secret,
}

impl fmt::Debug for ScopeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}|{}|<redacted>", self.api_url, self.api_version)
    }
}

/// A key set as a fetch obtained it.
#[derive(Clone)]
struct Fetched {
    keys: Rc<KeySet>,
    /// When it was fetched from the network (by another isolate, for a set from the shared cache).
    fetched_at: u64,
    /// Read from the shared cache (another isolate's fetch), not from the network.
    from_shared: bool,
}

/// A JWKS fetch other callers may wait on.
type Flight = crate::flight::Flight<Result<Fetched, Error>>;

#[derive(Default)]
struct State {
    keys: Option<Rc<KeySet>>,
    fetched_at: u64,
    unknown_kid_fetch_at: Option<u64>,
    failed_at: Option<u64>,
    flight: Option<Rc<Flight>>,
}

/// The cache of one (apiUrl, apiVersion, secretKey).
#[derive(Default)]
struct Scope {
    state: RefCell<State>,
}

impl Scope {
    fn is_live(&self, now: u64, horizon_ms: u64) -> bool {
        let st = self.state.borrow();
        st.flight.is_some() || (st.keys.is_some() && now.saturating_sub(st.fetched_at) < horizon_ms)
    }
}

/// How long a key set may serve in all: its TTL, then the stale-if-error grace.
fn stale_horizon_ms(opts: &JwtOptions) -> u64 {
    opts.jwks_cache_ttl_ms
        .saturating_add(opts.jwks_stale_if_error_ms)
}

thread_local! {
    // At most MAX_SCOPES entries, usually one: a scan compares in place, where a map would need a key built
    // (three strings copied) and hashed on every verification.
    static SCOPES: RefCell<Vec<(ScopeKey, Rc<Scope>)>> = const { RefCell::new(Vec::new()) };
}

/// Forgets every cached JWKS of this thread (isolate). Fetches in flight finish but are not shared.
pub fn clear() {
    SCOPES.with(|s| s.borrow_mut().clear());
}

fn scope_for(config: &ClientConfig, secret: &Secret, now: u64, opts: &JwtOptions) -> Rc<Scope> {
    SCOPES.with(|cell| {
        let mut scopes = cell.borrow_mut();
        let found = scopes.iter().find(|(k, _)| {
            k.api_url == config.api_url
                && k.api_version == config.api_version
                && k.secret_key == *secret
        });
        if let Some((_, scope)) = found {
            return scope.clone();
        }
        // Like the reference, creating a scope evicts the dead ones; the count is bounded as well.
        let horizon = stale_horizon_ms(opts);
        scopes.retain(|(_, s)| s.is_live(now, horizon));
        if scopes.len() >= MAX_SCOPES {
            let oldest = scopes
                .iter()
                .enumerate()
                .min_by_key(|(_, (_, s))| s.state.borrow().fetched_at)
                .map(|(i, _)| i);
            if let Some(i) = oldest {
                scopes.remove(i);
            }
        }
        let scope = Rc::new(Scope::default());
        let key = ScopeKey {
            api_url: config.api_url.clone(),
            api_version: config.api_version.clone(),
            secret_key: secret.clone(),
        };
        scopes.push((key, scope.clone()));
        scope
    })
}

/// Everything one fetch needs.
struct FetchContext<'a> {
    config: &'a ClientConfig,
    secret: &'a Secret,
    url: String,
    opts: &'a JwtOptions,
    /// The shared-cache slot, when the runtime has a shared cache and key sets are cached at all.
    shared: Option<SharedSlot>,
}

fn entry_to_key(entry: &Result<JwkKey, String>) -> Result<JwkKey, Error> {
    entry
        .clone()
        .map_err(|why| errors::signature_error("jwk-invalid", &why))
}

/// The key for `kid` when the cached key set decides it without a fetch (a fresh set, or a stale one while
/// refreshes fail; an unknown kid during the cooldown is E4); `None` when a fetch is due.
pub(crate) fn cached_remote(
    config: &ClientConfig,
    opts: &JwtOptions,
    secret: &Secret,
    kid: &str,
    now: u64,
) -> Option<Result<JwkKey, Error>> {
    cached_in(&scope_for(config, secret, now, opts), opts, kid, now)
}

fn cached_in(
    scope: &Scope,
    opts: &JwtOptions,
    kid: &str,
    now: u64,
) -> Option<Result<JwkKey, Error>> {
    let st = scope.state.borrow();
    let keys = st.keys.as_ref()?;
    let age = now.saturating_sub(st.fetched_at);
    let within =
        |since: Option<u64>| since.is_some_and(|t| now.saturating_sub(t) < opts.jwks_cooldown_ms);
    let failing = within(st.failed_at);
    let horizon = stale_horizon_ms(opts);
    if age >= opts.jwks_cache_ttl_ms && !(failing && age < horizon) {
        return None;
    }
    match keys.get(kid) {
        Some(entry) => Some(entry_to_key(entry)),
        // One refetch per cooldown; none while refreshes are failing.
        None if within(st.unknown_kid_fetch_at) || failing => Some(Err(missing_kid(keys, kid))),
        None => None,
    }
}

/// E3 when the instance's JWKS has no keys at all (as the reference says), else E4 for this kid.
fn missing_kid(keys: &KeySet, kid: &str) -> Error {
    if keys.is_empty() {
        errors::jwks_empty()
    } else {
        errors::unknown_kid(kid)
    }
}

/// The key for `kid` from the instance's JWKS (E3–E7, E4 for an unknown kid).
pub(crate) async fn resolve_remote<P: HttpClient + Clock + Timer + SharedCache>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    secret: &Secret,
    kid: &str,
    skip_cache: bool,
) -> Result<JwkKey, Error> {
    let now = p.now_ms();
    let scope = scope_for(config, secret, now, opts);
    let horizon = stale_horizon_ms(opts);
    if !skip_cache {
        if let Some(key) = cached_in(&scope, opts, kid, now) {
            return key;
        }
    }
    // Only a fetch needs the URL (the scope is keyed by apiUrl and apiVersion themselves).
    let url = endpoint_url(config, &[&config.api_version, "jwks"])?;
    check_transport(config, &url)?;
    let shared =
        (p.has_shared_cache() && opts.jwks_cache_ttl_ms > 0).then(|| SharedSlot::new(&url, secret));
    let ctx = FetchContext {
        config,
        secret,
        url,
        opts,
        shared,
    };
    let fetched = match fetch_shared(p, &scope, &ctx, skip_cache).await {
        // Another isolate's set may predate the key: the network decides (once per cooldown, as below).
        Ok(f) if f.from_shared && f.keys.get(kid).is_none() => {
            fetch_shared(p, &scope, &ctx, true).await
        }
        other => other,
    };
    let now = p.now_ms();
    match fetched.map(|f| f.keys) {
        Ok(keys) => match keys.get(kid) {
            Some(entry) => entry_to_key(entry),
            None => {
                scope.state.borrow_mut().unknown_kid_fetch_at = Some(now);
                Err(missing_kid(&keys, kid))
            }
        },
        Err(Error::Aborted) => Err(Error::Aborted),
        Err(e) => {
            // Stale-if-error: the last good set keeps serving for a bounded grace period.
            let st = scope.state.borrow();
            let stale = st
                .keys
                .as_ref()
                .filter(|_| now.saturating_sub(st.fetched_at) < horizon)
                .and_then(|keys| keys.get(kid));
            match stale {
                Some(entry) => entry_to_key(entry),
                None => Err(e),
            }
        }
    }
}

/// Joins the fetch in flight (bounded wait) or starts one; `network_only` skips the shared cache when leading,
/// and takes a waited-for result only if it came from the network.
async fn fetch_shared<P: HttpClient + Clock + Timer + SharedCache>(
    p: &P,
    scope: &Rc<Scope>,
    ctx: &FetchContext<'_>,
    network_only: bool,
) -> Result<Fetched, Error> {
    let mut rounds = 0;
    loop {
        let current = scope.state.borrow().flight.clone();
        let Some(flight) = current else {
            return lead(p, scope, ctx, network_only).await;
        };
        if rounds >= MAX_WAIT_ROUNDS {
            return lead(p, scope, ctx, network_only).await;
        }
        rounds += 1;
        match wait_bounded(p, &flight, ctx.opts.jwks_timeout_ms).await {
            Some(Settled::Done(Ok(f))) if network_only && f.from_shared => {}
            Some(Settled::Done(result)) => return result,
            Some(Settled::Abandoned) => {}
            None => {
                let unchanged = scope
                    .state
                    .borrow()
                    .flight
                    .as_ref()
                    .is_some_and(|f| f.id == flight.id);
                if unchanged {
                    return lead(p, scope, ctx, network_only).await;
                }
            }
        }
    }
}

/// Settles the flight as abandoned if the leading caller's future is dropped mid-fetch.
struct Leading {
    scope: Rc<Scope>,
    flight: Rc<Flight>,
    done: bool,
}

impl Drop for Leading {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Ok(mut st) = self.scope.state.try_borrow_mut() {
            if st.flight.as_ref().is_some_and(|f| f.id == self.flight.id) {
                st.flight = None;
            }
        }
        self.flight.settle(Settled::Abandoned);
    }
}

/// Fetches as the registered flight of `scope` (the shared cache first unless `network_only`), stores the
/// outcome, notifies the waiters, and stores a set fetched from the network in the shared cache.
async fn lead<P: HttpClient + Clock + Timer + SharedCache>(
    p: &P,
    scope: &Rc<Scope>,
    ctx: &FetchContext<'_>,
    network_only: bool,
) -> Result<Fetched, Error> {
    let flight = Rc::new(Flight::new());
    scope.state.borrow_mut().flight = Some(flight.clone());
    let mut guard = Leading {
        scope: scope.clone(),
        flight: flight.clone(),
        done: false,
    };
    let from_shared = match (&ctx.shared, network_only) {
        (Some(slot), false) => read_shared(p, slot, ctx.opts).await,
        _ => None,
    };
    // The JWKS text of a network fetch, for the shared cache.
    let mut body = None;
    let result = match from_shared {
        Some(fetched) => Ok(fetched),
        None => fetch_jwks(p, ctx).await.map(|(keys, text)| {
            body = Some(text);
            Fetched {
                keys: Rc::new(keys),
                fetched_at: p.now_ms(),
                from_shared: false,
            }
        }),
    };
    let now = p.now_ms();
    {
        let mut st = scope.state.borrow_mut();
        match &result {
            Ok(fetched) => {
                st.keys = Some(fetched.keys.clone());
                st.fetched_at = fetched.fetched_at;
                st.failed_at = None;
            }
            Err(Error::Aborted) => {}
            Err(_) => st.failed_at = Some(now),
        }
        if st.flight.as_ref().is_some_and(|f| f.id == flight.id) {
            st.flight = None;
        }
    }
    guard.done = true;
    flight.settle(match &result {
        // Our caller's own abort signal says nothing about the JWKS: let the waiters fetch.
        Err(Error::Aborted) => Settled::Abandoned,
        other => Settled::Done(other.clone()),
    });
    if let (Some(slot), Some(body), Ok(fetched)) = (&ctx.shared, body, &result) {
        shared::write(
            p,
            slot,
            fetched.fetched_at,
            &body,
            ctx.opts.jwks_cache_ttl_ms,
        )
        .await;
    }
    result
}

/// The key set in the shared cache when it is there, authentic, fresh and a JSON object.
async fn read_shared<P: SharedCache + Clock>(
    p: &P,
    slot: &SharedSlot,
    opts: &JwtOptions,
) -> Option<Fetched> {
    let text = p.shared_get(&slot.key).await?;
    let entry = slot.open(&text, p.now_ms(), opts.jwks_cache_ttl_ms)?;
    let keys = key_set(entry.jwks).ok()??;
    Some(Fetched {
        keys: Rc::new(keys),
        fetched_at: entry.fetched_at,
        from_shared: true,
    })
}

/// The key set of a JWKS text: `Ok(None)` when it is JSON but not an object.
fn key_set(text: &str) -> Result<Option<KeySet>, serde_json::Error> {
    Ok(match serde_json::from_str::<Value>(text)? {
        Value::Object(map) => Some(parse_jwks(&map).unwrap_or_default()),
        _ => None,
    })
}

/// One JWKS request with bounded retries: the key set and the JSON text it was parsed from.
async fn fetch_jwks<P: HttpClient + Clock + Timer>(
    p: &P,
    ctx: &FetchContext<'_>,
) -> Result<(KeySet, String), Error> {
    let started = p.now_ms();
    let mut jitter = Jitter::from_seed(started);
    let mut attempt = 1;
    loop {
        let request = HttpRequest {
            method: Method::Get,
            url: ctx.url.clone(),
            headers: base_headers(ctx.config, Some(ctx.secret)),
            body: None,
            timeout_ms: Some(ctx.opts.jwks_timeout_ms),
        };
        let (result, outcome) = classify(p.send(request).await, &ctx.url);
        let Some(outcome) = outcome else {
            return result;
        };
        let elapsed = p.now_ms().saturating_sub(started);
        match decide(&JWKS_RETRY, attempt, &outcome, elapsed, jitter.next_f64()) {
            Decision::Stop => return result,
            Decision::RetryAfter(ms) => {
                p.sleep(ms).await;
                attempt += 1;
            }
        }
    }
}

/// What one attempt gave, and (when it might be worth repeating) the outcome for the retry policy.
fn classify(
    sent: Result<HttpResponse, TransportError>,
    url: &str,
) -> (Result<(KeySet, String), Error>, Option<Outcome>) {
    match sent {
        Err(TransportError::Aborted) => (Err(Error::Aborted), None),
        // Never retried: a hanging endpoint would otherwise multiply the wait.
        Err(TransportError::Timeout { after_ms }) => (
            Err(errors::jwks_unavailable(
                "jwks-timeout",
                [
                    "The JWKS request to ",
                    url,
                    " timed out after ",
                    itoa::Buffer::new().format(after_ms),
                    " ms.",
                ]
                .concat(),
            )),
            None,
        ),
        Err(TransportError::Network { message }) => (
            Err(errors::jwks_unavailable("jwks-unreachable", message)),
            Some(Outcome::Network),
        ),
        Ok(response) if (200..300).contains(&response.status) => {
            match key_set(&response.body) {
                // A JSON answer is the key set, even one without keys: a kid it no longer lists is gone at
                // once. Only transport failures (and bodies that are not JSON) may fall back to stale keys.
                Ok(keys) => (Ok((keys.unwrap_or_default(), response.body)), None),
                Err(e) => (
                    Err(errors::jwks_unavailable(
                        "jwks-invalid-response",
                        format!("The JWKS response is not valid JSON: {e}"),
                    )),
                    Some(Outcome::Network),
                ),
            }
        }
        Ok(response) => {
            let retry_after_secs = response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u32>().ok());
            let error = match clerk_key_invalid(&response) {
                Some(message) => errors::secret_key_invalid(&message),
                None => errors::jwks_status(url, response.status),
            };
            (
                Err(error),
                Some(Outcome::Status {
                    status: response.status,
                    retry_after_secs,
                }),
            )
        }
    }
}

/// The message of an `errors[]` entry with code `clerk_key_invalid` (E5).
fn clerk_key_invalid(response: &HttpResponse) -> Option<String> {
    let body: Value = serde_json::from_str(&response.body).ok()?;
    body.get("errors")?
        .as_array()?
        .iter()
        .find(|e| e.get("code").and_then(Value::as_str) == Some("clerk_key_invalid"))
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned()
        })
}
