//! Client configuration, resolved once from explicit options, an env-like object and `process.env`.

use std::fmt;

use serde_json::{Map, Value};

use crate::error::Error;
use crate::retry::RetryPolicy;
use crate::validate::{check_key_chars, parse_timeout};

/// A secret string (instance key, machine key, token) that never prints.
///
/// `Debug` and `Display` show only a redaction marker and the length, as jwt-compact does for keys.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret. Empty strings are allowed; callers treat them as absent via [`Secret::non_empty`].
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// `Some(secret)` when the value is non-empty (the reference treats `''` as "no key").
    pub fn non_empty(value: Option<String>) -> Option<Self> {
        value.filter(|v| !v.is_empty()).map(Self)
    }

    /// The secret itself, for the one place that must send it (an `Authorization` header).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(<redacted, {} chars>)", self.0.len())
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Everything a client needs, after defaults have been applied.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Instance secret key (`sk_…`): list/revoke/verify, and the JWKS.
    pub secret_key: Option<Secret>,
    /// Machine secret key (`ak_…`): preferred for every M2M Backend API call (reference §1.3).
    pub machine_secret_key: Option<Secret>,
    /// Networkless JWT verification key: a PEM public key, a JWK or a JWKS (JSON text).
    pub jwt_key: Option<Secret>,
    /// Backend API base URL, default [`crate::DEFAULT_API_URL`].
    pub api_url: String,
    /// API version path segment, default [`crate::DEFAULT_API_VERSION`].
    pub api_version: String,
    /// `User-Agent` header value.
    pub user_agent: String,
    /// Per-request timeout for Backend API calls in milliseconds; `None` means no timeout.
    pub timeout_ms: Option<u32>,
    /// Send secret keys over plain `http://` to a host that is not loopback.
    pub allow_insecure_http: bool,
    /// Retry policy for `m2m.list` (the only idempotent M2M call).
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            secret_key: None,
            machine_secret_key: None,
            jwt_key: None,
            api_url: crate::DEFAULT_API_URL.to_owned(),
            api_version: crate::DEFAULT_API_VERSION.to_owned(),
            // `crate::default_user_agent()`, without its `format!`.
            user_agent: ["clerk-m2m-edge@", crate::VERSION].concat(),
            timeout_ms: Some(30_000),
            allow_insecure_http: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// The client options this module reads; every other key is left to other parsers (JWT options).
const OPTION_ENV: [(&str, &str); 5] = [
    ("secretKey", "CLERK_SECRET_KEY"),
    ("machineSecretKey", "CLERK_MACHINE_SECRET_KEY"),
    ("jwtKey", "CLERK_JWT_KEY"),
    ("apiUrl", "CLERK_API_URL"),
    ("apiVersion", "CLERK_API_VERSION"),
];

/// The environment variable names the client reads from `env` and `process.env`; a binding picks exactly these
/// out of an env-like object (a Worker's `env` also holds KV namespaces and other non-JSON bindings).
pub fn env_variable_names() -> [&'static str; 5] {
    OPTION_ENV.map(|(_, var)| var)
}

/// The three places a setting can come from, in precedence order.
struct Sources<'a> {
    options: Option<&'a Map<String, Value>>,
    env: Option<&'a Map<String, Value>>,
    process_env: Option<&'a Map<String, Value>>,
}

/// One of the three sources, in precedence order.
#[derive(Clone, Copy)]
enum Layer {
    Options,
    Env,
    ProcessEnv,
}

const LAYERS: [Layer; 3] = [Layer::Options, Layer::Env, Layer::ProcessEnv];

impl Sources<'_> {
    /// The non-empty string for `option` in one source: the camelCase option in the options, its environment
    /// variable in `env` and `process_env`. A value of the wrong type is an error naming where it came from,
    /// never showing the value.
    fn string_in(&self, layer: Layer, option: &str) -> Result<Option<String>, Error> {
        let var = || {
            OPTION_ENV
                .iter()
                .find(|(o, _)| *o == option)
                .map(|(_, var)| *var)
        };
        let (map, source, name) = match layer {
            Layer::Options => (self.options, "", option),
            Layer::Env => (self.env, "env.", var().unwrap_or_default()),
            Layer::ProcessEnv => (self.process_env, "process.env.", var().unwrap_or_default()),
        };
        if name.is_empty() {
            return Ok(None);
        }
        match map.and_then(|m| m.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(Error::invalid_argument(
                [source, name, " must be a string"].concat(),
            )),
        }
    }

    /// The first non-empty string for `option`, from the options, then `env`, then `process_env`.
    fn string(&self, option: &str) -> Result<Option<String>, Error> {
        for layer in LAYERS {
            if let Some(value) = self.string_in(layer, option)? {
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// `(secretKey, machineSecretKey)` from the first source that holds either of them; later sources supply
    /// neither. Merging them key by key would let an ambient `CLERK_MACHINE_SECRET_KEY` override the instance
    /// key a caller passed explicitly (the machine key wins every M2M call, reference §1.3).
    fn secret_keys(&self) -> Result<(Option<String>, Option<String>), Error> {
        for layer in LAYERS {
            let secret_key = self.string_in(layer, "secretKey")?;
            let machine_secret_key = self.string_in(layer, "machineSecretKey")?;
            if secret_key.is_some() || machine_secret_key.is_some() {
                return Ok((secret_key, machine_secret_key));
            }
        }
        Ok((None, None))
    }

    fn option(&self, option: &str) -> Option<&Value> {
        self.options
            .and_then(|o| o.get(option))
            .filter(|v| !v.is_null())
    }
}

fn env_object<'a>(name: &str, v: &'a Value) -> Result<Option<&'a Map<String, Value>>, Error> {
    match v {
        Value::Null => Ok(None),
        Value::Object(m) => Ok(Some(m)),
        _ => Err(Error::invalid_argument(
            [name, " must be an object"].concat(),
        )),
    }
}

impl ClientConfig {
    /// Resolves the client configuration. For each setting the explicit option (camelCase) wins, then the
    /// env-like object `env` (e.g. a Worker's `env`), then `process_env` (`Value::Null` when the runtime has
    /// none). The two secret keys are taken together: the first of those sources that holds either supplies
    /// both, and the later ones supply neither. Empty strings and `null` count as absent. Unknown option keys
    /// are ignored (other parsers read them from the same object).
    ///
    /// | option | env name | default |
    /// |---|---|---|
    /// | `secretKey` | `CLERK_SECRET_KEY` | none |
    /// | `machineSecretKey` | `CLERK_MACHINE_SECRET_KEY` | none |
    /// | `jwtKey` | `CLERK_JWT_KEY` | none |
    /// | `apiUrl` | `CLERK_API_URL` | `https://api.clerk.com` |
    /// | `apiVersion` | `CLERK_API_VERSION` | `v1` |
    /// | `userAgent` | | `clerk-m2m-edge@<VERSION>` |
    /// | `timeoutMs` | | `30000` (`0`/`null`: none) |
    /// | `allowInsecureHttp` | | `false` |
    /// | `retry` | | see [`RetryPolicy::from_option`] |
    ///
    /// ```
    /// use clerk_m2m_core::ClientConfig;
    /// use serde_json::{json, Value};
    /// let c = ClientConfig::resolve(
    ///     &json!({ "secretKey": "" }),
    ///     &json!({ "CLERK_SECRET_KEY": "sk_env" }),
    ///     &Value::Null,
    /// ).unwrap();
    /// assert_eq!(c.secret_key.unwrap().expose(), "sk_env");
    /// assert_eq!(c.api_url, "https://api.clerk.com");
    ///
    /// // An explicit instance key: the ambient machine key is not taken with it.
    /// let c = ClientConfig::resolve(
    ///     &json!({ "secretKey": "sk_explicit" }),
    ///     &Value::Null,
    ///     &json!({ "CLERK_MACHINE_SECRET_KEY": "ak_ambient" }),
    /// ).unwrap();
    /// assert_eq!(c.secret_key.unwrap().expose(), "sk_explicit");
    /// assert!(c.machine_secret_key.is_none());
    /// ```
    pub fn resolve(options: &Value, env: &Value, process_env: &Value) -> Result<Self, Error> {
        let sources = Sources {
            options: env_object("options", options)?,
            env: env_object("env", env)?,
            process_env: env_object("process.env", process_env)?,
        };
        let mut config = ClientConfig::default();

        let (secret_key, machine_secret_key) = sources.secret_keys()?;
        let key = |option: &str, value: Option<String>| -> Result<Option<Secret>, Error> {
            if let Some(v) = &value {
                check_key_chars(option, v)?;
            }
            Ok(value.map(Secret))
        };
        config.secret_key = key("secretKey", secret_key)?;
        config.machine_secret_key = key("machineSecretKey", machine_secret_key)?;
        // A PEM or JWKS text: line breaks are expected, and it never goes into a header.
        config.jwt_key = sources.string("jwtKey")?.map(Secret);

        if let Some(url) = sources.string("apiUrl")? {
            config.api_url = url;
            // Fails early with a configuration error naming `apiUrl`, never the value.
            crate::url::check_api_url(&config.api_url)?;
        }
        if let Some(version) = sources.string("apiVersion")? {
            config.api_version = version;
        }
        match sources.option("userAgent") {
            None => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(Value::String(s)) => {
                if s.chars().any(|c| c.is_control() || !c.is_ascii()) {
                    return Err(Error::invalid_argument(
                        "userAgent must contain only printable ASCII characters",
                    ));
                }
                config.user_agent = s.clone();
            }
            Some(_) => return Err(Error::invalid_argument("userAgent must be a string")),
        }
        if let Some(o) = sources.options {
            if let Some(v) = o.get("timeoutMs") {
                config.timeout_ms = parse_timeout(v)?;
            }
        }
        match sources.option("allowInsecureHttp") {
            None => {}
            Some(Value::Bool(b)) => config.allow_insecure_http = *b,
            Some(_) => {
                return Err(Error::invalid_argument(
                    "allowInsecureHttp must be a boolean",
                ))
            }
        }
        if let Some(v) = sources.option("retry") {
            config.retry = RetryPolicy::from_option(v)?;
        }
        Ok(config)
    }

    /// The key that authenticates an M2M Backend API call (reference §1.3): the per-call machine key,
    /// else the client's machine key, else the client's instance key, else none.
    pub fn m2m_bearer<'a>(&'a self, per_call: Option<&'a Secret>) -> Option<&'a Secret> {
        [
            per_call,
            self.machine_secret_key.as_ref(),
            self.secret_key.as_ref(),
        ]
        .into_iter()
        .flatten()
        .find(|k| !k.expose().is_empty())
    }
}
