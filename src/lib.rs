//! `clerk-m2m-edge`: the WebAssembly boundary. Converts JS values to core types, calls the core, and
//! converts results and errors back. No business rule lives here: if an export grows an `if` about one,
//! it belongs in `clerk-m2m-core`.
//!
//! # The boundary
//!
//! js/api.js holds one wasm [`Client`] per `createClerkClient`. Every call crosses in one of two ways:
//!
//! * **A call**: `list`, `createToken`, `revokeToken`, `verify`, `authenticateRequest` and
//!   `machines(operation, params)` (every `client.machines.*` call, by name) return a promise of the result. Params go in through the strict walker of `convert` (typed errors for anything that is not JSON
//!   data); results and error payloads come out through serde-wasm-bindgen; a failure is a rejection with a
//!   tagged `Error` that js/errors.js lifts into its public class.
//! * **The hot path** of `m2m.verify` and `authenticateRequest`, so that a JWT whose key is at hand costs one
//!   await (WebCrypto's `verify`) and no promise from Rust:
//!
//!   ```text
//!   step = client.step(kind, textUtf8 | undefined, params)   kind: STEP_VERIFY (text = the token, given alone
//!                                                              when params is just { token }) or
//!                                                              STEP_AUTHENTICATE (text = Authorization header)
//!     undefined                     → I/O is needed: make the call (client.verify / client.authenticateRequest)
//!     a number (verify only)        → a verified-token cache hit, by its serial: the same number and result on
//!                                     every hit of one entry; JS keeps results by serial and asks
//!                                     client.lastHit() (the result, once) only for a serial it has not seen
//!     the CryptoKey, with handout[0] ≠ 0 → the signature check: handout is the client's hand-out area,
//!                                     five u32s at client.handoutAt() in this module's memory: [handle,
//!                                     signature pointer, length, data pointer, length]. Await
//!                                     crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, signature, data) on views
//!                                     of those bytes, then client.finish(handle, verdict, thrown): the result,
//!                                     or undefined (the handle was dropped: make the call)
//!     a promise, with handout[0] = 0 and handout[1] = 1 → the key was never imported into a CryptoKey: the
//!                                     promise imports it (true: imported, false: the import failed); await
//!                                     it and step again once (still no CryptoKey, or false: make the call)
//!     anything else (handout[0] = 0) → the result (a request state)
//!   a thrown tagged Error           → the verification failed
//!   ```
//!
//!   Every `step` clears `handout[0]` and `handout[1]` first. The bytes stay where they are until `finish` takes
//!   the waiting verification back, but a view of them is valid only until the next call into the module (which
//!   may grow its memory): `verify` copies its arguments before it returns its promise. Numbers in memory rather
//!   than an array of four values: building that array (`Array.of` through an import) and two views from Rust
//!   took ≈ 4 % of a verification in workerd's CPU profile (docs/benchmarks-workerd-profile.md).

mod convert;
mod platform;
mod shared_cache;
mod webcrypto;

// `wasm-pack test --headless --chrome` runs the unit tests in the browser, `--node` in Node (see build.rs).
#[cfg(all(test, wasm_bindgen_browser_tests))]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

/// The Wycheproof vectors the core's native tests use, for the WebCrypto agreement test.
#[cfg(test)]
#[path = "../crates/core/tests/jwt_common/wycheproof.rs"]
mod wycheproof_vectors;

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use clerk_m2m_core::authenticate::{AuthStep, PendingAuth};
use clerk_m2m_core::jwt::{JwtOptions, PendingSignature, Prepared, Verification};
use clerk_m2m_core::ports::{RsaAlgorithm, RsaPublicKey};
use clerk_m2m_core::verify::Route;
use clerk_m2m_core::{ClientConfig, Error};
use js_sys::{Function, Promise, Reflect};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use convert::{error_to_js, js_to_json, js_to_json_without, to_js};
use platform::WebPlatform;

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    clerk_m2m_core::VERSION.to_owned()
}

/// The module's `WebAssembly.Memory`, for js/runtime.js's diagnostics (the soak tests sample its size). Not part
/// of the package's public API.
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

/// Tests only: traps (`unreachable`, what a panic or an out-of-memory abort compiles to with panic=abort), at
/// once or, `asynchronously`, in the poll of the returned promise's future after one await, to check that
/// js/runtime.js restarts the module (docs/reliability.md, "Restart after a trap"). Not part of the package's
/// public API: reachable only through the hidden test hook of js/api.js.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen(js_name = __trapForTests)]
pub fn trap_for_tests(asynchronously: bool) -> Promise {
    if !asynchronously {
        core::arch::wasm32::unreachable()
    }
    future_to_promise(async {
        let _ = wasm_bindgen_futures::JsFuture::from(Promise::resolve(&JsValue::UNDEFINED)).await;
        core::arch::wasm32::unreachable()
    })
}

struct Shared {
    config: ClientConfig,
    jwt: JwtOptions,
    fetch: Option<Function>,
    shared_cache: Rc<shared_cache::SharedCacheChoice>,
}

/// Verifications waiting for JS to check their signature, by handle. More than this many unfinished ones
/// (callers that never came back, e.g. a cancelled Worker request) drops the oldest.
const MAX_PENDING_SIGNATURES: usize = 1024;

/// [`Client::step`]'s kinds; js/api.js has the same numbers.
pub const STEP_VERIFY: u32 = 0;
pub const STEP_AUTHENTICATE: u32 = 1;

/// A verification waiting for JS to check its signature.
enum Waiting {
    Verify(PendingSignature),
    Authenticate(PendingAuth),
}

impl Waiting {
    fn signature(&self) -> &PendingSignature {
        match self {
            Waiting::Verify(pending) => pending,
            Waiting::Authenticate(pending) => pending.signature(),
        }
    }
}

/// One configured client; `createClerkClient` in js/api.js wraps it.
#[wasm_bindgen]
pub struct Client {
    shared: Rc<Shared>,
    pending: RefCell<Vec<(u32, Waiting)>>,
    next_handle: Cell<u32>,
    /// The verification the last cache hit of [`Client::step`] returned, for [`Client::last_hit`].
    last_hit: RefCell<Option<Rc<Verification>>>,
    /// The hand-out area of the hot path (crate docs): boxed, so its address never changes.
    handout: Box<[Cell<u32>; HANDOUT_LEN]>,
}

/// `[handle, signature pointer, signature length, data pointer, data length]`.
const HANDOUT_LEN: usize = 5;
/// `handout[1]` when `handout[0]` is 0: the step returned a promise of a key import (see [`Client::hand_out`]).
const HANDOUT_IMPORT: u32 = 1;

#[wasm_bindgen]
impl Client {
    /// Resolves the configuration (explicit options, then `env`, then `process.env`). Throws a tagged error.
    /// `shared_cache` is the `sharedCache` option: `undefined` (automatic), `false`, or a `Cache`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        options: JsValue,
        env: JsValue,
        process_env: JsValue,
        fetch: Option<Function>,
        shared_cache: JsValue,
    ) -> Result<Client, JsValue> {
        let resolve = || -> Result<(ClientConfig, JwtOptions), Error> {
            let options = js_to_json(&options, "options")?;
            let env = pick_env(&env, "options.env")?;
            let process_env = pick_env(&process_env, "process.env")?;
            let config = ClientConfig::resolve(&options, &env, &process_env)?;
            Ok((config, JwtOptions::from_client_options(&options)?))
        };
        let (config, jwt) = resolve().map_err(|e| error_to_js(&e))?;
        Ok(Client {
            shared: Rc::new(Shared {
                config,
                jwt,
                fetch,
                shared_cache: Rc::new(shared_cache::SharedCacheChoice::from_option(&shared_cache)),
            }),
            pending: RefCell::new(Vec::new()),
            next_handle: Cell::new(0),
            last_hit: RefCell::new(None),
            handout: Box::default(),
        })
    }

    /// `m2m.list(params)`: resolves to `{ data, totalCount }`.
    pub fn list(&self, params: JsValue) -> Promise {
        self.call(params, |p, shared, params| {
            Box::pin(async move {
                clerk_m2m_core::m2m::list(&p, &shared.config, &params)
                    .await
                    .map(|page| to_js(&page))
            })
        })
    }

    /// `m2m.createToken(params?)`.
    #[wasm_bindgen(js_name = createToken)]
    pub fn create_token(&self, params: JsValue) -> Promise {
        self.call(params, |p, shared, params| {
            Box::pin(async move {
                clerk_m2m_core::m2m::create_token(&p, &shared.config, &params)
                    .await
                    .map(|t| to_js(&t))
            })
        })
    }

    /// `m2m.revokeToken(params)`.
    #[wasm_bindgen(js_name = revokeToken)]
    pub fn revoke_token(&self, params: JsValue) -> Promise {
        self.call(params, |p, shared, params| {
            Box::pin(async move {
                clerk_m2m_core::m2m::revoke_token(&p, &shared.config, &params)
                    .await
                    .map(|t| to_js(&t))
            })
        })
    }

    /// `authenticateRequest(request, options)`, given the request's `Authorization`, `CF-Connecting-IP` and
    /// `X-Forwarded-For` header values (the last two for the `machineTokenRateLimiter`).
    #[wasm_bindgen(js_name = authenticateRequest)]
    pub fn authenticate_request(
        &self,
        authorization: Option<String>,
        cf_connecting_ip: Option<String>,
        x_forwarded_for: Option<String>,
        options: JsValue,
    ) -> Promise {
        self.call(options, move |p, shared, options| {
            Box::pin(async move {
                let client_ip = clerk_m2m_core::rate_limit::client_ip(
                    cf_connecting_ip.as_deref(),
                    x_forwarded_for.as_deref(),
                );
                clerk_m2m_core::authenticate::authenticate_request_from(
                    &p,
                    &shared.config,
                    &shared.jwt,
                    authorization.as_deref(),
                    Some(client_ip),
                    &options,
                )
                .await
                .map(|state| to_js(&state))
            })
        })
    }

    /// `m2m.verify(params)`, all of it in Rust (JWKS fetches, key imports, opaque tokens).
    pub fn verify(&self, params: JsValue) -> Promise {
        self.call(params, |p, shared, params| {
            Box::pin(async move {
                clerk_m2m_core::verify::verify_shared(&p, &shared.config, &shared.jwt, &params)
                    .await
                    .map(|v| verification_to_js(&v))
            })
        })
    }

    /// The hot path's first step (see the crate docs): `kind` is [`STEP_VERIFY`] or [`STEP_AUTHENTICATE`],
    /// `text` the token or the `Authorization` header as UTF-8.
    pub fn step(
        &self,
        kind: u32,
        text: Option<Vec<u8>>,
        params: JsValue,
    ) -> Result<JsValue, JsValue> {
        for cell in self.handout.iter().take(2) {
            cell.set(0);
        }
        let shared = &self.shared;
        let text = text.map(from_utf8);
        if kind == STEP_AUTHENTICATE {
            let step = split_signal(&params).and_then(|(options, _)| {
                clerk_m2m_core::authenticate::authenticate_now(
                    &shared.config,
                    &shared.jwt,
                    text.as_deref(),
                    &options,
                    now_ms(),
                )
            });
            return match step.map_err(|e| error_to_js(&e))? {
                AuthStep::Done(state) => Ok(to_js(&state)),
                AuthStep::Signature(pending) => Ok(self.hand_out(Waiting::Authenticate(pending))),
                AuthStep::Async => Ok(JsValue::UNDEFINED),
            };
        }
        let route = match text {
            Some(token) => clerk_m2m_core::verify::prepare_owned_token(
                &shared.config,
                &shared.jwt,
                token,
                now_ms(),
            ),
            None => split_signal(&params).and_then(|(params, _)| {
                clerk_m2m_core::verify::prepare(&shared.config, &shared.jwt, &params, now_ms())
            }),
        };
        match route.map_err(|e| error_to_js(&e))? {
            Route::Local(Prepared::Done(outcome)) => {
                let hit = outcome.map_err(|e| error_to_js(&e))?;
                let serial = JsValue::from_f64(hit.serial as f64);
                *self.last_hit.borrow_mut() = Some(hit);
                Ok(serial)
            }
            Route::Local(Prepared::Signature(pending)) => {
                Ok(self.hand_out(Waiting::Verify(pending)))
            }
            Route::Local(Prepared::NeedsKey(_)) | Route::BackendApi => Ok(JsValue::UNDEFINED),
        }
    }

    /// The address of the hand-out area (crate docs), for a `Uint32Array` over the module's memory.
    #[wasm_bindgen(js_name = handoutAt)]
    pub fn handout_at(&self) -> u32 {
        self.handout.as_ptr() as usize as u32
    }

    /// The result of the cache hit [`Client::step`] last returned a serial for, once: `undefined` when it was
    /// already taken.
    #[wasm_bindgen(js_name = lastHit)]
    pub fn last_hit(&self) -> JsValue {
        match self.last_hit.borrow_mut().take() {
            Some(hit) => verification_to_js(&hit),
            None => JsValue::UNDEFINED,
        }
    }

    /// Finishes a signature check [`Client::step`] handed out, with `crypto.subtle.verify`'s answer (`verdict`)
    /// or what it threw (`thrown`, not `undefined`): the result, or `undefined` when the handle is unknown
    /// (dropped): make the call.
    pub fn finish(
        &self,
        handle: u32,
        verdict: JsValue,
        thrown: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Some((waiting, verdict)) = self.take_waiting(handle, verdict, thrown) else {
            return Ok(JsValue::UNDEFINED);
        };
        let jwt = &self.shared.jwt;
        match waiting {
            Waiting::Verify(pending) => pending
                .finish(verdict, now_ms(), jwt)
                .map(|v| verification_to_js(&v)),
            Waiting::Authenticate(pending) => pending
                .finish(verdict, now_ms(), jwt)
                .map(|state| to_js(&state)),
        }
        .map_err(|e| error_to_js(&e))
    }

    /// `machines.<operation>(…)` (js/machines.js): `operation` is the JS method name (`get`, `list`, `create`,
    /// `update`, `delete`, `getSecretKey`, `rotateSecretKey`, `createScope`, `deleteScope`), `params` its
    /// arguments as one object (`get(machineId)` is `{ machineId }`).
    pub fn machines(&self, operation: String, params: JsValue) -> Promise {
        self.call(params, move |p, shared, params| {
            Box::pin(async move {
                clerk_m2m_core::machines::call_by_name(&p, &shared.config, &operation, &params)
                    .await
                    .map(|result| to_js(&result))
            })
        })
    }
}

/// The results of `machines.*` hold no claims: nothing to fix after serialisation.
impl convert::Output for clerk_m2m_core::machines::MachinesResult {
    fn fix_proto_claims(&self, _out: &JsValue) {}
}

/// Text JS encoded with `TextEncoder` (valid UTF-8; lone surrogates already replaced, as for any string
/// argument). One native copy, where a string argument is copied character by character in JS.
fn from_utf8(utf8: Vec<u8>) -> String {
    String::from_utf8(utf8).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

fn verification_to_js(verification: &Verification) -> JsValue {
    to_js(&verification.token)
}

/// The future of one call. Boxed so that `future_to_promise` and the conversion around it are compiled once,
/// not once per method.
type CallFuture = Pin<Box<dyn Future<Output = Result<JsValue, Error>>>>;

impl Client {
    /// Keeps `waiting` until JS brings the signature check's answer; returns the `CryptoKey` with the hand-out
    /// area filled in (crate docs), or, when the key was never imported, the promise of [`Client::import_first`].
    fn hand_out(&self, waiting: Waiting) -> JsValue {
        let pending = waiting.signature();
        let Some(crypto_key) = webcrypto::cached_crypto_key(pending.algorithm(), pending.key())
        else {
            return self.import_first(pending.algorithm(), pending.key().clone());
        };
        // Never 0: handout[0] = 0 says "no signature check".
        let handle = self.next_handle.get().wrapping_add(1).max(1);
        self.next_handle.set(handle);
        let mut list = self.pending.borrow_mut();
        if list.len() >= MAX_PENDING_SIGNATURES {
            list.remove(0);
        }
        // The bytes live in heap buffers the waiting verification owns: moving it into the list moves neither.
        let at = |bytes: &[u8]| (bytes.as_ptr() as usize as u32, bytes.len() as u32);
        let (signature, data) = (at(pending.signature()), at(pending.signed_data()));
        list.push((handle, waiting));
        for (cell, value) in
            self.handout
                .iter()
                .zip([handle, signature.0, signature.1, data.0, data.1])
        {
            cell.set(value);
        }
        crypto_key.into()
    }

    /// The key of a signature check was never imported: a promise of its import (`true` once the `CryptoKey` is
    /// cached, `false` when the import failed), with `handout[1]` = [`HANDOUT_IMPORT`] (crate docs). JS awaits it
    /// and steps again, so that a first verification runs the same code as every later one rather than the
    /// async path, whose code V8 would otherwise compile for that one call (no gain was measurable above the
    /// noise: docs/benchmarks.md, issue 19).
    fn import_first(&self, alg: RsaAlgorithm, key: Rc<RsaPublicKey>) -> JsValue {
        if let Some(flag) = self.handout.get(1) {
            flag.set(HANDOUT_IMPORT);
        }
        future_to_promise(async move { Ok(webcrypto::import(alg, &key).await.into()) }).into()
    }

    /// The waiting verification for `handle` (`None` when it was dropped) and the signature check's answer:
    /// `crypto.subtle.verify`'s `verdict`, or what it threw (`error`, not `undefined`).
    fn take_waiting(
        &self,
        handle: u32,
        verdict: JsValue,
        error: JsValue,
    ) -> Option<(Waiting, Result<bool, String>)> {
        let waiting = {
            let mut list = self.pending.borrow_mut();
            let i = list.iter().position(|(h, _)| *h == handle)?;
            list.remove(i).1
        };
        let verdict = if error.is_undefined() {
            Ok(verdict.as_bool() == Some(true))
        } else {
            Err(webcrypto::js_message(&error))
        };
        Some((waiting, verdict))
    }

    /// Runs one call: converts the params (taking out `signal`), runs the core future, converts the outcome.
    /// Every failure, including a bad argument, becomes a rejection, never a synchronous throw.
    fn call(
        &self,
        params: JsValue,
        run: impl FnOnce(WebPlatform, Rc<Shared>, Value) -> CallFuture + 'static,
    ) -> Promise {
        self.call_boxed(params, Box::new(run))
    }

    fn call_boxed(
        &self,
        params: JsValue,
        run: Box<dyn FnOnce(WebPlatform, Rc<Shared>, Value) -> CallFuture>,
    ) -> Promise {
        let shared = self.shared.clone();
        future_to_promise(async move {
            let (params, signal) = split_signal(&params).map_err(|e| error_to_js(&e))?;
            let platform = WebPlatform {
                fetch: shared.fetch.clone(),
                signal,
                shared_cache: shared_cache::CallCache::new(shared.shared_cache.clone()),
            };
            run(platform, shared, params)
                .await
                .map_err(|e| error_to_js(&e))
        })
    }
}

/// The `CLERK_*` variables of an env-like object, as JSON. Only those names are read: a Worker's `env` also
/// carries bindings that are not data, and Deno's `process.env` throws on access without `--allow-env`.
fn pick_env(env: &JsValue, path: &str) -> Result<Value, Error> {
    if !env.is_object() {
        return Ok(Value::Null);
    }
    let mut picked = serde_json::Map::new();
    for name in clerk_m2m_core::config::env_variable_names() {
        let Ok(value) = Reflect::get(env, &JsValue::from_str(name)) else {
            continue;
        };
        if !value.is_undefined() {
            picked.insert(
                name.to_owned(),
                js_to_json(&value, &[path, ".", name].concat())?,
            );
        }
    }
    Ok(Value::Object(picked))
}

/// Params as JSON, minus a top-level `signal` (an `AbortSignal` is not JSON), which is returned on its own.
fn split_signal(params: &JsValue) -> Result<(Value, Option<web_sys::AbortSignal>), Error> {
    let signal = if params.is_object() {
        Reflect::get(params, &"signal".into())
            .ok()
            .filter(|s| !s.is_undefined() && !s.is_null())
    } else {
        None
    };
    let Some(signal) = signal else {
        return Ok((js_to_json(params, "params")?, None));
    };
    if !Reflect::has(&signal, &"aborted".into()).unwrap_or(false) {
        return Err(Error::invalid_argument(
            "params.signal must be an AbortSignal",
        ));
    }
    Ok((
        js_to_json_without(params, "params", Some("signal"))?,
        Some(signal.unchecked_into()),
    ))
}
