//! Injected faults (`/__admin/faults`).

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Route names a fault can target; `machines` targets every `machines.*` route, `*` all of them.
pub(crate) const ROUTES: [&str; 16] = [
    "list",
    "create",
    "revoke",
    "verify",
    "jwks",
    "machines.list",
    "machines.create",
    "machines.get",
    "machines.update",
    "machines.delete",
    "machines.get_secret_key",
    "machines.rotate_secret_key",
    "machines.create_scope",
    "machines.delete_scope",
    "machines",
    "*",
];

/// Whether a rule for `target` applies to a request on `route`.
fn targets(target: &str, route: &str) -> bool {
    target == "*" || target == route || (target == "machines" && route.starts_with("machines."))
}

/// What happens to a matching request.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum FaultKind {
    /// That status with a Clerk error body (`errors` replaces the default entry).
    Status {
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        errors: Option<Value>,
    },
    /// 429 with `Retry-After`.
    RateLimit {
        #[serde(default = "default_retry_after")]
        retry_after: u64,
    },
    /// An HTML error page (`text/html`), like a proxy in front of the API.
    Html {
        #[serde(default = "default_html_status")]
        status: u16,
    },
    /// The normal response with another content type.
    ContentType { content_type: String },
    /// The normal status with the JSON body cut in half (`Content-Length` matches the cut body).
    TruncatedJson,
    /// Status 200, `application/json`, a body that is not JSON. The request is not processed.
    InvalidJson,
    /// That status, `application/json`, and exactly `body` (any JSON value, e.g. a JWKS without keys). The
    /// request is not processed.
    Json {
        #[serde(default = "default_json_status")]
        status: u16,
        body: Value,
    },
    /// Waits, then serves normally.
    Latency { ms: u64 },
    /// Never answers (until the server shuts down; then the connection is closed).
    Hang,
    /// Closes the connection without a response.
    Reset,
    /// The normal response; the body is sent in pieces over `ms` milliseconds.
    SlowBody { ms: u64 },
}

fn default_retry_after() -> u64 {
    1
}

fn default_html_status() -> u16 {
    502
}

fn default_json_status() -> u16 {
    200
}

/// `POST /__admin/faults` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    pub route: String,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub probability: Option<f64>,
    pub fault: FaultKind,
}

/// A registered fault.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FaultRule {
    pub id: u64,
    pub route: String,
    /// Remaining applications; `None` = until cleared.
    pub count: Option<u64>,
    pub probability: Option<f64>,
    pub fault: FaultKind,
}

impl FaultRequest {
    pub(crate) fn validate(&self) -> Result<(), String> {
        if !ROUTES.contains(&self.route.as_str()) {
            return Err(format!("route must be one of {}", ROUTES.join(", ")));
        }
        if self.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        if let Some(p) = self.probability {
            if !(0.0..=1.0).contains(&p) {
                return Err("probability must be between 0 and 1".into());
            }
        }
        match &self.fault {
            FaultKind::Status { status, errors } => {
                if !(200..=599).contains(status) {
                    return Err("fault.status must be between 200 and 599".into());
                }
                if errors.as_ref().is_some_and(|e| !e.is_array()) {
                    return Err("fault.errors must be an array".into());
                }
            }
            FaultKind::Html { status } if !(200..=599).contains(status) => {
                return Err("fault.status must be between 200 and 599".into());
            }
            FaultKind::Json { status, .. } => {
                if !(200..=599).contains(status) {
                    return Err("fault.status must be between 200 and 599".into());
                }
                if matches!(status, 204 | 205 | 304) {
                    return Err("fault.status must allow a body (not 204, 205 or 304)".into());
                }
            }
            FaultKind::ContentType { content_type }
                if hyper::header::HeaderValue::from_str(content_type).is_err() =>
            {
                return Err("fault.content_type is not a valid header value".into());
            }
            _ => {}
        }
        Ok(())
    }
}

/// The registered faults, in registration order; the first match wins.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    next_id: u64,
    rules: Vec<FaultRule>,
}

impl Faults {
    pub(crate) fn add(&mut self, req: FaultRequest) -> FaultRule {
        self.next_id += 1;
        let rule = FaultRule {
            id: self.next_id,
            route: req.route,
            count: req.count,
            probability: req.probability,
            fault: req.fault,
        };
        self.rules.push(rule.clone());
        rule
    }

    pub(crate) fn list(&self) -> &[FaultRule] {
        &self.rules
    }

    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The fault to apply to a request on `route`, if any; uses up one `count`.
    pub(crate) fn take(&mut self, route: &str) -> Option<FaultKind> {
        let mut rng = rand::thread_rng();
        let position = self.rules.iter().position(|rule| {
            targets(&rule.route, route) && rule.probability.is_none_or(|p| rng.gen::<f64>() < p)
        })?;
        let rule = &mut self.rules[position];
        let fault = rule.fault.clone();
        if let Some(count) = rule.count.as_mut() {
            *count -= 1;
            if *count == 0 {
                self.rules.remove(position);
            }
        }
        Some(fault)
    }
}
