//! Getting the verification key (reference §4.5): the networkless `jwtKey` first, else the instance's JWKS
//! through the Backend API with the instance secret key, else E2. A machine secret key is never used here.

pub mod cache;
mod der;
pub mod key;
mod shared;

use std::cell::RefCell;
use std::rc::Rc;

use crate::bytes::same_bytes;
use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::jwt::errors;
use crate::jwt::options::JwtOptions;
use crate::ports::{Clock, HttpClient, SharedCache, Timer};

pub use key::{JwkKey, KeySet, LocalKeys};

/// Parsed `jwtKey`s are kept per text; a handful of distinct keys per isolate is the norm.
const MAX_LOCAL_KEYS: usize = 16;

type ParsedLocalKeys = Rc<Result<LocalKeys, String>>;

thread_local! {
    // A short list compared by text: cheaper than hashing a PEM on every verification.
    static LOCAL: RefCell<Vec<(String, ParsedLocalKeys)>> = const { RefCell::new(Vec::new()) };
}

/// The `jwtKey`, parsed once per distinct text (failures included, so garbage is not re-parsed per token).
fn local_keys(text: &str) -> ParsedLocalKeys {
    LOCAL.with(|cell| {
        if let Some((_, parsed)) = cell
            .borrow()
            .iter()
            .find(|(t, _)| same_bytes(t.as_bytes(), text.as_bytes()))
        {
            return parsed.clone();
        }
        let parsed = Rc::new(key::parse_jwt_key(text));
        let mut list = cell.borrow_mut();
        if list.len() >= MAX_LOCAL_KEYS {
            list.clear();
        }
        list.push((text.to_owned(), parsed.clone()));
        parsed
    })
}

fn non_empty(secret: Option<&Secret>) -> Option<&Secret> {
    secret.filter(|s| !s.expose().is_empty())
}

/// Resolves the key for a token whose header `kid` lookup string is `kid` (step 2 of the pipeline).
///
/// * `jwtKey` set: its key (PEM or single JWK: `kid` is only a label) or its JWKS entry for `kid` (E4);
///   a `jwtKey` that cannot be used fails with E10 naming the reason.
/// * else `secretKey` set: the JWKS cache ([`cache`]).
/// * else E2 (`Failed to resolve JWK during verification.`).
pub async fn resolve_key<P: HttpClient + Clock + Timer + SharedCache>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    kid: &str,
    skip_jwks_cache: bool,
) -> Result<JwkKey, Error> {
    if let Some(key) = resolve_key_now(config, opts, kid, skip_jwks_cache, p.now_ms()) {
        return key;
    }
    match non_empty(config.secret_key.as_ref()) {
        Some(secret) => cache::resolve_remote(p, config, opts, secret, kid, skip_jwks_cache).await,
        None => Err(errors::no_key_source()),
    }
}

/// [`resolve_key`] without I/O: the key (or the error) when the `jwtKey` or the cached JWKS decides it,
/// `None` when the JWKS must be fetched.
pub fn resolve_key_now(
    config: &ClientConfig,
    opts: &JwtOptions,
    kid: &str,
    skip_jwks_cache: bool,
    now_ms: u64,
) -> Option<Result<JwkKey, Error>> {
    if let Some(jwt_key) = non_empty(config.jwt_key.as_ref()) {
        let parsed = local_keys(jwt_key.expose());
        return Some(match &*parsed {
            Ok(LocalKeys::Single(k)) => Ok(k.clone()),
            Ok(LocalKeys::Set(set)) => match set.get(kid) {
                Some(Ok(k)) => Ok(k.clone()),
                Some(Err(why)) => Err(errors::signature_error("jwk-invalid", why)),
                None => Err(errors::unknown_kid(kid)),
            },
            Err(why) => Err(errors::signature_error(
                "jwt-key-invalid",
                &["jwtKey cannot be used: ", why].concat(),
            )),
        });
    }
    match non_empty(config.secret_key.as_ref()) {
        Some(_) if skip_jwks_cache => None,
        Some(secret) => cache::cached_remote(config, opts, secret, kid, now_ms),
        None => Some(Err(errors::no_key_source())),
    }
}
