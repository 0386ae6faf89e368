//! Getting the verification key (reference §4.5): the networkless `jwtKey` first, else the instance's JWKS
//! through the Backend API with the instance secret key, else E2. A machine secret key is never used here.

pub mod cache;
mod der;
pub mod key;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::config::{ClientConfig, Secret};
use crate::error::Error;
use crate::jwt::errors;
use crate::jwt::JwtOptions;
use crate::ports::{Clock, HttpClient, Timer};

pub use key::{JwkKey, KeySet, LocalKeys};

/// Parsed `jwtKey`s are kept per text; a handful of distinct keys per isolate is the norm.
const MAX_LOCAL_KEYS: usize = 16;

thread_local! {
    static LOCAL: RefCell<HashMap<String, Rc<Result<LocalKeys, String>>>> = RefCell::new(HashMap::new());
}

/// The `jwtKey`, parsed once per distinct text (failures included, so garbage is not re-parsed per token).
fn local_keys(text: &str) -> Rc<Result<LocalKeys, String>> {
    LOCAL.with(|cell| {
        if let Some(parsed) = cell.borrow().get(text) {
            return parsed.clone();
        }
        let parsed = Rc::new(key::parse_jwt_key(text));
        let mut map = cell.borrow_mut();
        if map.len() >= MAX_LOCAL_KEYS {
            map.clear();
        }
        map.insert(text.to_owned(), parsed.clone());
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
pub async fn resolve_key<P: HttpClient + Clock + Timer>(
    p: &P,
    config: &ClientConfig,
    opts: &JwtOptions,
    kid: &str,
    skip_jwks_cache: bool,
) -> Result<JwkKey, Error> {
    if let Some(jwt_key) = non_empty(config.jwt_key.as_ref()) {
        let parsed = local_keys(jwt_key.expose());
        return match &*parsed {
            Ok(LocalKeys::Single(k)) => Ok(k.clone()),
            Ok(LocalKeys::Set(set)) => match set.get(kid) {
                Some(Ok(k)) => Ok(k.clone()),
                Some(Err(why)) => Err(errors::signature_error("jwk-invalid", why)),
                None => Err(errors::unknown_kid(kid)),
            },
            Err(why) => Err(errors::signature_error(
                "jwt-key-invalid",
                &format!("jwtKey cannot be used: {why}"),
            )),
        };
    }
    match non_empty(config.secret_key.as_ref()) {
        Some(secret) => cache::resolve_remote(p, config, opts, secret, kid, skip_jwks_cache).await,
        None => Err(errors::no_key_source()),
    }
}
