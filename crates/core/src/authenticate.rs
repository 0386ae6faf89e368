//! `authenticateRequest(request, { acceptsToken })` for machine tokens (reference §5), minus its leaks (§9.2):
//! the incoming `User-Agent` is not forwarded, no debug output carries a secret, and `jwtKey` alone is enough
//! for JWT-format tokens.
//!
//! The binding hands over the `Authorization` header value and the call options as JSON; the result is a
//! [`RequestState`] that the JS layer turns into the reference's request-state object.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::{Map, Value};

use crate::config::{ClientConfig, Secret};
use crate::error::{Error, VerificationError, VerificationErrorCode};
use crate::js::JsJsonObject;
use crate::jwt::{JwtOptions, PendingSignature, Prepared, Verification};
use crate::machine::{decode_jwt, is_jwt_format, is_machine_token, machine_token_type, TokenType};
use crate::params::optional_key;
use crate::ports::{Clock, HttpClient, SharedCache, SignatureVerifier, Timer};
use crate::token::M2mToken;
use crate::verify::Route;

/// The token types a caller can accept (reference `TokenType`).
const TOKEN_TYPES: [&str; 4] = ["session_token", "m2m_token", "api_key", "oauth_token"];

/// The reference's precondition message (§5.1); here a `jwtKey` satisfies it too.
pub const MSG_MISSING_KEY: &str = "Machine token authentication requires either a Machine secret key or a Clerk secret key. Ensure a Clerk secret key or Machine secret key is set.";

/// What `acceptsToken` allows.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Accepts {
    Any,
    One(&'static str),
    Some(Vec<&'static str>),
}

impl Accepts {
    fn parse(value: Option<&Value>) -> Result<Self, Error> {
        let known = |s: &str| TOKEN_TYPES.iter().copied().find(|t| *t == s);
        let bad = || {
            Error::invalid_argument(
                "acceptsToken must be 'any', a token type ('m2m_token', 'api_key', 'oauth_token', 'session_token') or an array of token types",
            )
        };
        match value {
            None | Some(Value::Null) => Ok(Accepts::One("session_token")),
            Some(Value::String(s)) if s == "any" => Ok(Accepts::Any),
            Some(Value::String(s)) => known(s).map(Accepts::One).ok_or_else(bad),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().and_then(known).ok_or_else(bad))
                .collect::<Result<Vec<_>, _>>()
                .map(Accepts::Some),
            Some(_) => Err(bad()),
        }
    }

    fn accepts(&self, token_type: &str) -> bool {
        match self {
            Accepts::Any => true,
            Accepts::One(t) => *t == token_type,
            Accepts::Some(list) => list.contains(&token_type),
        }
    }
}

/// The outcome of one authentication: the reference's request state, with its `toAuth()` object.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestState {
    /// `token_type` of the state (`None` for the array mismatch of §5.3).
    pub token_type: Option<&'static str>,
    /// `Some(token)` when signed in.
    pub signed_in: Option<(String, M2mToken)>,
    /// Signed-out reason (`No token in header`, `token-type-mismatch`, a verification code…).
    pub reason: Option<String>,
    /// Signed-out message: `''` or `<message> (code=…, status=…)`.
    pub message: Option<String>,
}

impl RequestState {
    fn signed_out(
        token_type: Option<&'static str>,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            token_type,
            signed_in: None,
            reason: Some(reason.into()),
            message: Some(message.into()),
        }
    }

    fn failed(token_type: &'static str, e: &VerificationError) -> Self {
        Self::signed_out(Some(token_type), e.code.as_str(), e.full_message())
    }

    /// The state as the JSON the JS layer wraps (`headers` as `[name, value]` pairs; `auth` for `toAuth()`):
    /// its [`Serialize`] shape.
    pub fn to_public_json(&self) -> Value {
        serde_json::to_string(self)
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or(Value::Null)
    }

    /// The debug headers of a signed-out state, as `[name, value]` pairs. Like the reference's
    /// `withDebugHeaders`, a value `Headers` refuses (a kid or claim from the token with a line break or a
    /// non-Latin-1 character) is left out rather than making the call throw.
    fn headers(&self) -> Vec<[&str; 2]> {
        let mut headers = Vec::new();
        if self.signed_in.is_none() {
            headers.push(["x-clerk-auth-status", "signed-out"]);
            if let Some(reason) = self.reason.as_ref().filter(|r| is_header_value(r)) {
                headers.push(["x-clerk-auth-reason", reason.as_str()]);
            }
            if let Some(message) = self
                .message
                .as_ref()
                .filter(|m| !m.is_empty() && is_header_value(m))
            {
                headers.push(["x-clerk-auth-message", message.as_str()]);
            }
        }
        headers
    }
}

/// The request state as the JS layer wraps it (js/api.js `requestState`): `status`, `isAuthenticated`,
/// `isSignedIn`, `tokenType`, `reason`, `message`, `token`, `headers`, and `auth` (what `toAuth()` spreads).
impl Serialize for RequestState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let signed_in = self.signed_in.is_some();
        let mut out = s.serialize_struct("RequestState", 9)?;
        out.serialize_field("status", if signed_in { "signed-in" } else { "signed-out" })?;
        out.serialize_field("isAuthenticated", &signed_in)?;
        out.serialize_field("isSignedIn", &signed_in)?;
        out.serialize_field("tokenType", &self.token_type)?;
        out.serialize_field("reason", &self.reason)?;
        out.serialize_field("message", &self.message)?;
        out.serialize_field("token", &self.signed_in.as_ref().map(|(t, _)| t))?;
        out.serialize_field("headers", &self.headers())?;
        out.serialize_field("auth", &Auth(self))?;
        out.end()
    }
}

/// `toAuth()`'s data: the token's `id`, `subject`, `scopes`, `claims` and `machineId` (all `null` when signed
/// out), `tokenType` and `isAuthenticated`.
struct Auth<'a>(&'a RequestState);

impl Serialize for Auth<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let state = self.0;
        let token = state.signed_in.as_ref().map(|(_, t)| t);
        let mut out = s.serialize_struct("Auth", 7)?;
        out.serialize_field("id", &token.map(|t| &t.id))?;
        out.serialize_field("subject", &token.map(|t| &t.subject))?;
        out.serialize_field("scopes", &token.map(|t| &t.scopes))?;
        let claims = token.and_then(|t| t.claims.as_ref());
        out.serialize_field("claims", &claims.map(JsJsonObject))?;
        out.serialize_field("machineId", &token.map(|t| &t.subject))?;
        out.serialize_field("tokenType", &state.token_type)?;
        out.serialize_field("isAuthenticated", &state.signed_in.is_some())?;
        out.end()
    }
}

/// Whether JS `Headers` accepts `value`: a ByteString (no character above U+00FF) without NUL, CR or LF.
fn is_header_value(value: &str) -> bool {
    value
        .chars()
        .all(|c| u32::from(c) <= 0xff && !matches!(c, '\0' | '\r' | '\n'))
}

/// The token in an `Authorization` header, exactly as the reference reads it (§5.2): a value without a space
/// is the token itself; otherwise the scheme must be exactly `Bearer`; `Bearer  x` (two spaces) yields `Bearer`.
pub fn token_from_header(header: Option<&str>) -> Option<&str> {
    let header = header?;
    let mut parts = header.splitn(3, ' ');
    let scheme = parts.next().unwrap_or_default();
    match parts.next() {
        None | Some("") => Some(scheme).filter(|s| !s.is_empty()),
        Some(token) if scheme == "Bearer" => Some(token),
        Some(_) => None,
    }
}

/// What a `token-type-mismatch` found, what `acceptsToken` asked for, and how to accept the token.
fn type_mismatch_message(accepts: &Accepts, found: &str) -> String {
    let expected = match accepts {
        Accepts::One("session_token") => {
            "'session_token' (the default when it is not given)".to_owned()
        }
        Accepts::One(t) => ["'", t, "'"].concat(),
        Accepts::Some(list) => {
            let mut text = "[".to_owned();
            for (i, t) in list.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                text.push('\'');
                text.push_str(t);
                text.push('\'');
            }
            text.push(']');
            text
        }
        Accepts::Any => "'any'".to_owned(),
    };
    let advice = if found == "m2m_token" {
        " Pass acceptsToken: 'm2m_token' (or include it in the list, or 'any') to accept it."
    } else {
        " clerk-m2m-edge verifies M2M tokens only."
    };
    [
        "Found a token of type ",
        found,
        ", but acceptsToken is ",
        &expected,
        ".",
        advice,
    ]
    .concat()
}

/// Per-call options that override the client's keys (a truthy per-call value wins, as in the reference).
fn with_call_keys(
    config: &ClientConfig,
    options: &Map<String, Value>,
) -> Result<ClientConfig, Error> {
    let mut config = config.clone();
    for (name, slot) in [
        ("secretKey", &mut config.secret_key),
        ("machineSecretKey", &mut config.machine_secret_key),
    ] {
        if let Some(key) = options.get(name) {
            if let Some(key) = optional_key(name, key)? {
                *slot = Some(key);
            }
        }
    }
    // A public key text (PEM or JSON, line breaks expected) that never goes into a header.
    match options.get("jwtKey") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => config.jwt_key = Some(Secret::new(s.clone())),
        Some(_) => return Err(Error::invalid_argument("jwtKey must be a string")),
    }
    Ok(config)
}

/// The reference's mapping of Backend API failures on the opaque path (§4.6, second table).
fn opaque_failure(e: Error) -> Result<VerificationError, Error> {
    let api = match e {
        Error::Api(api) => api,
        Error::Verification(v) => return Ok(v),
        other => return Err(other),
    };
    let (code, reason, message) = match api.status {
        Some(401) => (
            VerificationErrorCode::SecretKeyInvalid,
            "secret-key-invalid",
            api.errors
                .first()
                .map(|e| e.message.clone())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "Invalid secret key".to_owned()),
        ),
        Some(404) => (
            VerificationErrorCode::TokenInvalid,
            "token-not-found",
            "Machine token not found".to_owned(),
        ),
        _ => (
            VerificationErrorCode::UnexpectedError,
            "unexpected-error",
            "Unexpected error".to_owned(),
        ),
    };
    let mut v = VerificationError::new(code, reason, message);
    v.status = api.status;
    Ok(v)
}

/// `authenticateRequest` for machine tokens. `options` carries `acceptsToken`, per-call keys and the JWT
/// options (`audience`, `clockSkewInMs`, `skipJwksCache`). Signed-out outcomes are states, not errors; only
/// a bad argument or the missing-key precondition is an [`Error`].
pub async fn authenticate_request<
    P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache,
>(
    p: &P,
    config: &ClientConfig,
    jwt: &JwtOptions,
    authorization: Option<&str>,
    options: &Value,
) -> Result<RequestState, Error> {
    authenticate_request_from(p, config, jwt, authorization, None, options).await
}

/// [`authenticate_request`] for a request from `client_ip` (see [`crate::rate_limit::client_ip`]), which the
/// `machineTokenRateLimiter` of `jwt` limits when it is on.
pub async fn authenticate_request_from<
    P: HttpClient + Clock + Timer + SignatureVerifier + SharedCache,
>(
    p: &P,
    config: &ClientConfig,
    jwt: &JwtOptions,
    authorization: Option<&str>,
    client_ip: Option<&str>,
    options: &Value,
) -> Result<RequestState, Error> {
    match check_request(config, authorization, options)? {
        Checked::Done(state) => Ok(state),
        Checked::Verify {
            config,
            params,
            token,
        } => {
            if let Some(limited) = over_limit(&config, jwt, token, client_ip, p.now_ms()) {
                return Ok(limited);
            }
            state_of(token, crate::verify::verify(p, &config, jwt, &params).await)
        }
    }
}

/// The signed-out state of a request over the `machineTokenRateLimiter`: only an opaque token whose answer is
/// neither cached nor in flight (a Backend API request) takes from its IP's bucket.
fn over_limit(
    config: &ClientConfig,
    jwt: &JwtOptions,
    token: &str,
    client_ip: Option<&str>,
    now: u64,
) -> Option<RequestState> {
    let limiter = jwt.rate_limiter.as_ref()?;
    if is_jwt_format(token) {
        return None;
    }
    let key = crate::verify::opaque_key(config, token, None);
    if !jwt.opaque.needs_request(&key, now) {
        return None;
    }
    let wait_ms = limiter.take(client_ip.unwrap_or_default(), now).err()?;
    let settings = limiter.settings();
    let message = [
        "Too many M2M token verifications that need the Clerk Backend API from this client IP (machineTokenRateLimiter: burst ",
        itoa::Buffer::new().format(settings.burst),
        "); retry in ",
        itoa::Buffer::new().format(wait_ms),
        " ms.",
    ]
    .concat();
    Some(RequestState::signed_out(
        Some("m2m_token"),
        crate::rate_limit::REASON,
        message,
    ))
}

/// How far `authenticateRequest` got without I/O.
#[derive(Debug)]
pub enum AuthStep {
    /// The request state is decided: no token, a type mismatch, or a local verification that finished.
    Done(RequestState),
    /// A local M2M JWT stopped at its signature check: check it, then [`PendingAuth::finish`].
    Signature(PendingAuth),
    /// I/O is needed (a JWKS fetch, a key import, the Backend API): run [`authenticate_request`].
    Async,
}

/// A request whose M2M JWT waits for its signature check.
#[derive(Debug)]
pub struct PendingAuth {
    token: String,
    signature: PendingSignature,
}

impl PendingAuth {
    /// What the signature check needs.
    pub fn signature(&self) -> &PendingSignature {
        &self.signature
    }

    /// The request state once the signature was checked (see [`PendingSignature::finish`]).
    pub fn finish(
        self,
        verdict: Result<bool, String>,
        now_ms: u64,
        opts: &JwtOptions,
    ) -> Result<RequestState, Error> {
        let outcome = self.signature.finish(verdict, now_ms, opts);
        state_of(&self.token, outcome.map(Verification::into_token))
    }
}

/// [`authenticate_request`] without I/O, at `now_ms`: the same checks, in the same order, as far as they go.
pub fn authenticate_now(
    config: &ClientConfig,
    jwt: &JwtOptions,
    authorization: Option<&str>,
    options: &Value,
    now_ms: u64,
) -> Result<AuthStep, Error> {
    let (config, params, token) = match check_request(config, authorization, options)? {
        Checked::Done(state) => return Ok(AuthStep::Done(state)),
        Checked::Verify {
            config,
            params,
            token,
        } => (config, params, token),
    };
    match crate::verify::prepare(&config, jwt, &params, now_ms) {
        Err(e) => state_of(token, Err(e)).map(AuthStep::Done),
        Ok(Route::Local(Prepared::Done(outcome))) => {
            state_of(token, outcome.map(Verification::into_token)).map(AuthStep::Done)
        }
        Ok(Route::Local(Prepared::Signature(signature))) => Ok(AuthStep::Signature(PendingAuth {
            token: token.to_owned(),
            signature,
        })),
        Ok(Route::Local(Prepared::NeedsKey(_)) | Route::BackendApi) => Ok(AuthStep::Async),
    }
}

/// What the checks before verification decided.
enum Checked<'a> {
    Done(RequestState),
    /// Verify `token` as an M2M token with this call's keys and these `m2m.verify` params.
    Verify {
        config: ClientConfig,
        params: Value,
        token: &'a str,
    },
}

/// Everything before the verification: options, keys, the header's token and its type (§5.1–§5.3).
fn check_request<'a>(
    config: &ClientConfig,
    authorization: Option<&'a str>,
    options: &Value,
) -> Result<Checked<'a>, Error> {
    let empty = Map::new();
    let options = match options {
        Value::Object(o) => o,
        Value::Null => &empty,
        _ => return Err(Error::invalid_argument("options must be an object")),
    };
    let accepts = Accepts::parse(options.get("acceptsToken"))?;
    let config = with_call_keys(config, options)?;
    if config.secret_key.is_none()
        && config.machine_secret_key.is_none()
        && config.jwt_key.is_none()
    {
        return Err(Error::configuration(MSG_MISSING_KEY));
    }
    let requested = match &accepts {
        Accepts::One(t) => Some(*t),
        _ => None,
    };

    let Some(token) = token_from_header(authorization) else {
        // With an array, a request without a header token counts as a session token (§5.3).
        if matches!(accepts, Accepts::Some(_)) && !accepts.accepts("session_token") {
            return Ok(Checked::Done(RequestState::signed_out(
                None,
                "token-type-mismatch",
                "",
            )));
        }
        return Ok(Checked::Done(RequestState::signed_out(
            Some(requested.unwrap_or("m2m_token")),
            "No token in header",
            "",
        )));
    };
    // Anything that is not a machine token is, to the reference, a session token.
    let token_type = if is_machine_token(token) {
        machine_token_type(token).map_or("m2m_token", TokenType::as_str)
    } else {
        "session_token"
    };
    if !accepts.accepts(token_type) {
        // A single requested type names the state; an array mismatch has no type (§5.3). The reference's message
        // is empty; this one says what was found and how to accept it.
        return Ok(Checked::Done(RequestState::signed_out(
            requested,
            "token-type-mismatch",
            type_mismatch_message(&accepts, token_type),
        )));
    }
    if token_type != "m2m_token" {
        // Accepted but not verifiable here: this package verifies M2M tokens only (docs/compat.md).
        return Ok(Checked::Done(RequestState::signed_out(
            Some(token_type),
            "token-type-unsupported",
            [
                "clerk-m2m-edge verifies M2M tokens only; got a token of type ",
                token_type,
                ".",
            ]
            .concat(),
        )));
    }

    // The reference tests JWT shape before prefixes: `mt_a.b.c` is a JWT that does not decode (§9.4).
    if is_jwt_format(token) {
        if let Err(e) = decode_jwt(token) {
            return Ok(Checked::Done(RequestState::failed("m2m_token", &e)));
        }
    }
    let mut params = Map::new();
    params.insert("token".into(), Value::from(token));
    for key in ["audience", "clockSkewInMs", "skipJwksCache", "timeoutMs"] {
        if let Some(v) = options.get(key) {
            params.insert(key.into(), v.clone());
        }
    }
    Ok(Checked::Verify {
        config,
        params: Value::Object(params),
        token,
    })
}

/// The request state for a verification's outcome: signed in, or the reference's signed-out mapping of a
/// verification failure (§4.6); other errors (bad arguments) stay errors.
fn state_of(token: &str, outcome: Result<M2mToken, Error>) -> Result<RequestState, Error> {
    match outcome {
        Ok(verified) => Ok(RequestState {
            token_type: Some("m2m_token"),
            signed_in: Some((token.to_owned(), verified)),
            reason: None,
            message: None,
        }),
        Err(e) => opaque_failure(e).map(|v| RequestState::failed("m2m_token", &v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn header_token_extraction_matches_the_reference() {
        assert_eq!(token_from_header(None), None);
        assert_eq!(token_from_header(Some("")), None);
        assert_eq!(token_from_header(Some("mt_abc")), Some("mt_abc"));
        assert_eq!(token_from_header(Some("Bearer mt_abc")), Some("mt_abc"));
        assert_eq!(
            token_from_header(Some("Bearer mt_abc extra")),
            Some("mt_abc")
        );
        assert_eq!(token_from_header(Some("bearer mt_abc")), None);
        assert_eq!(token_from_header(Some("Basic abc")), None);
        assert_eq!(token_from_header(Some("Bearer  mt_abc")), Some("Bearer"));
    }

    #[test]
    fn per_call_keys_are_checked_like_client_keys_and_never_quoted() {
        let config = ClientConfig::default();
        for (options, named) in [
            (json!({"secretKey": "sk_LEAK\r\nME"}), "secretKey"),
            (
                json!({"machineSecretKey": "ak_LEAK\u{e9}ME"}),
                "machineSecretKey",
            ),
            (json!({"secretKey": "sk LEAKME"}), "secretKey"),
            (json!({"machineSecretKey": 7}), "machineSecretKey"),
            (json!({"jwtKey": ["LEAKME"]}), "jwtKey"),
        ] {
            let result = check_request(&config, Some("Bearer mt_x"), &options);
            let error = result.err().unwrap_or(Error::Aborted);
            assert!(matches!(error, Error::InvalidArgument { .. }), "{options}");
            let message = error.message();
            assert!(message.starts_with(named), "{message}");
            assert!(!message.contains("LEAK"), "{message}");
        }
        // A PEM's line breaks are fine: `jwtKey` never goes into a header.
        let pem = json!({"jwtKey": "-----BEGIN PUBLIC KEY-----\nMII\n-----END PUBLIC KEY-----\n"});
        assert!(check_request(&config, Some("Bearer mt_x"), &pem).is_ok());
    }

    #[test]
    fn debug_headers_refused_by_js_are_left_out() {
        // fuzz/regressions/jwt_verify/auth-message-header-*: a kid with CR/LF, a claim with U+FFFD.
        for message in [
            "kid='x\r\nSet-Cookie: a=b'",
            "Invalid JWT type \"\u{fffd}\"",
            "nul\0",
        ] {
            let state = RequestState::signed_out(Some("m2m_token"), "token-invalid", message);
            let headers = state.to_public_json()["headers"].clone();
            assert_eq!(
                headers,
                json!([
                    ["x-clerk-auth-status", "signed-out"],
                    ["x-clerk-auth-reason", "token-invalid"]
                ])
            );
            assert_eq!(state.message.as_deref(), Some(message));
        }
        let state = RequestState::signed_out(Some("m2m_token"), "r", "caf\u{e9} ok");
        assert_eq!(state.to_public_json()["headers"][2][1], "caf\u{e9} ok");
    }

    #[test]
    fn accepts_token_parsing() {
        assert_eq!(Accepts::parse(Some(&json!("any"))).ok(), Some(Accepts::Any));
        assert_eq!(
            Accepts::parse(Some(&json!("m2m_token"))).ok(),
            Some(Accepts::One("m2m_token"))
        );
        assert_eq!(
            Accepts::parse(Some(&json!(["api_key", "m2m_token"]))).ok(),
            Some(Accepts::Some(vec!["api_key", "m2m_token"]))
        );
        assert!(Accepts::parse(Some(&json!("machine_token"))).is_err());
        assert!(Accepts::parse(Some(&json!(["m2m_token", 3]))).is_err());
    }

    #[test]
    fn opaque_failures_map_like_the_reference() {
        use crate::error::{ApiError, ApiResponseError};
        let api = |status: u16, message: &str| {
            Error::Api(ApiResponseError {
                status: Some(status),
                errors: vec![ApiError {
                    message: message.into(),
                    ..ApiError::default()
                }],
                ..ApiResponseError::default()
            })
        };
        let v = opaque_failure(api(401, "The provided Machine Secret Key is invalid.")).ok();
        assert_eq!(
            v.map(|v| v.full_message()).as_deref(),
            Some(
                "The provided Machine Secret Key is invalid. (code=secret-key-invalid, status=401)"
            )
        );
        let v = opaque_failure(api(404, "")).ok();
        assert_eq!(
            v.map(|v| v.full_message()).as_deref(),
            Some("Machine token not found (code=token-invalid, status=404)")
        );
        let v = opaque_failure(api(403, "nope")).ok();
        assert_eq!(
            v.map(|v| v.full_message()).as_deref(),
            Some("Unexpected error (code=unexpected-error, status=403)")
        );
    }
}
