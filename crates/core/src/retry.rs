//! The retry policy for idempotent Backend API reads (`m2m.list`, and `get`, `list` and `getSecretKey` of
//! `machines`), as a pure decision function.
//!
//! The loop of those reads ([`crate::m2m::list`], [`crate::machines::call`]) sends a request, classifies what
//! came back as an [`Outcome`], asks [`decide`], and then either stops or sleeps through
//! [`crate::ports::Timer`] and tries again. `createToken`, `revokeToken`, `verify` and the `machines` writes
//! are never retried: a write may have taken effect even when its response was lost.
//!
//! Backoff is exponential (`base × 2^(attempt-1)`, capped at `max_delay_ms`) with *equal jitter*: half the
//! step is fixed, the other half is scaled by a jitter value in `[0, 1)`. A numeric `Retry-After` from the
//! server replaces the backoff when it fits in the remaining budget; when it does not, the loop stops
//! rather than retry early against the server's wish.

use crate::error::Error;
use crate::validate::{as_safe_integer, quote_key};

/// How often and how long `list` retries. `max_attempts == 1` disables retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first one (1–10). Default 3.
    pub max_attempts: u32,
    /// Backoff step for the first retry, in ms. Default 200.
    pub base_delay_ms: u32,
    /// Upper bound of one backoff step, in ms. Default 5000.
    pub max_delay_ms: u32,
    /// No retry starts (sleep included) later than this many ms after the first attempt started. Default 10000.
    pub budget_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay_ms: 200,
            max_delay_ms: 5_000,
            budget_ms: 10_000,
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn disabled() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Parses the `retry` client option: `true`/`null` → defaults, `false` → disabled, or an object
    /// `{maxAttempts?, baseDelayMs?, maxDelayMs?, budgetMs?}` overriding the defaults.
    ///
    /// ```
    /// use clerk_m2m_core::retry::RetryPolicy;
    /// let p = RetryPolicy::from_option(&serde_json::json!({ "maxAttempts": 5 })).unwrap();
    /// assert_eq!(p.max_attempts, 5);
    /// assert_eq!(RetryPolicy::from_option(&serde_json::json!(false)).unwrap().max_attempts, 1);
    /// ```
    pub fn from_option(value: &serde_json::Value) -> Result<Self, Error> {
        use serde_json::Value;
        const SHAPE: &str = "retry must be a boolean or an object with maxAttempts, baseDelayMs, maxDelayMs and budgetMs";
        let map = match value {
            Value::Null | Value::Bool(true) => return Ok(Self::default()),
            Value::Bool(false) => return Ok(Self::disabled()),
            Value::Object(map) => map,
            _ => return Err(Error::invalid_argument(SHAPE)),
        };
        let mut policy = Self::default();
        for (key, v) in map {
            let int = |min: u64, max: u64| -> Result<u64, Error> {
                as_safe_integer(v)
                    .and_then(|n| u64::try_from(n).ok())
                    .filter(|n| (min..=max).contains(n))
                    .ok_or_else(|| {
                        Error::invalid_argument(
                            [
                                "retry.",
                                key,
                                " must be an integer between ",
                                itoa::Buffer::new().format(min),
                                " and ",
                                itoa::Buffer::new().format(max),
                            ]
                            .concat(),
                        )
                    })
            };
            match key.as_str() {
                "maxAttempts" => policy.max_attempts = narrow(int(1, 10)?),
                "baseDelayMs" => policy.base_delay_ms = narrow(int(0, 60_000)?),
                "maxDelayMs" => policy.max_delay_ms = narrow(int(0, 60_000)?),
                "budgetMs" => policy.budget_ms = int(0, 600_000)?,
                _ => {
                    return Err(Error::invalid_argument(
                        ["retry has an unknown option ", &quote_key(key)].concat(),
                    ))
                }
            }
        }
        Ok(policy)
    }
}

fn narrow(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// What one attempt produced, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A response arrived with this status; `retry_after_secs` is a numeric `Retry-After` header.
    Status {
        /// HTTP status.
        status: u16,
        /// Whole seconds from `Retry-After`, when numeric.
        retry_after_secs: Option<u32>,
    },
    /// The request failed before a response (connection refused, reset, DNS…).
    Network,
    /// The request's timeout elapsed.
    Timeout,
}

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Return the outcome to the caller.
    Stop,
    /// Sleep this many ms, then send the request again.
    RetryAfter(u32),
}

/// Whether an outcome is worth another attempt at all: 429, 500, 502, 503, 504, network errors and
/// timeouts. Every other status (2xx, 3xx, other 4xx, 501, 505…) is final.
pub fn is_retryable(outcome: &Outcome) -> bool {
    match outcome {
        Outcome::Status { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504),
        Outcome::Network | Outcome::Timeout => true,
    }
}

/// Decides whether to retry after attempt number `attempt` (1-based) produced `outcome`, `elapsed_ms` after
/// the first attempt started. `jitter` is a value in `[0, 1)` (values outside are clamped).
///
/// ```
/// use clerk_m2m_core::retry::{decide, Decision, Outcome, RetryPolicy};
/// let p = RetryPolicy::default();
/// let busy = Outcome::Status { status: 503, retry_after_secs: None };
/// assert_eq!(decide(&p, 1, &busy, 0, 0.0), Decision::RetryAfter(100));
/// assert_eq!(decide(&p, 3, &busy, 0, 0.0), Decision::Stop);
/// ```
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    outcome: &Outcome,
    elapsed_ms: u64,
    jitter: f64,
) -> Decision {
    if attempt >= policy.max_attempts || !is_retryable(outcome) {
        return Decision::Stop;
    }
    let remaining = policy.budget_ms.saturating_sub(elapsed_ms);
    let delay_ms: u64 = match outcome {
        Outcome::Status {
            retry_after_secs: Some(secs),
            ..
        } => u64::from(*secs).saturating_mul(1000),
        _ => backoff_ms(policy, attempt, jitter),
    };
    if delay_ms > remaining || elapsed_ms >= policy.budget_ms {
        return Decision::Stop;
    }
    match u32::try_from(delay_ms) {
        Ok(ms) => Decision::RetryAfter(ms),
        Err(_) => Decision::Stop,
    }
}

/// The equal-jitter exponential backoff for the retry after attempt `attempt`.
fn backoff_ms(policy: &RetryPolicy, attempt: u32, jitter: f64) -> u64 {
    let exponent = attempt.saturating_sub(1).min(30);
    let step = u64::from(policy.base_delay_ms)
        .saturating_mul(1u64 << exponent)
        .min(u64::from(policy.max_delay_ms));
    let jitter = if jitter.is_finite() {
        jitter.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let half = step / 2;
    // `half` ≤ 60 000 and `jitter` ∈ [0, 1]: the product fits easily and the cast cannot truncate badly.
    let extra = (half as f64 * jitter).floor() as u64;
    (step - half) + extra.min(half)
}

/// A tiny xorshift64* generator for backoff jitter: no `getrandom`/`rand` dependency. Not for secrets.
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// Seeds the generator, e.g. from [`crate::ports::Clock::now_ms`]. Any seed works (zero included).
    pub fn from_seed(seed: u64) -> Self {
        // splitmix64 scrambles close seeds (consecutive milliseconds) into unrelated states.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Self(if z == 0 { 0x2545_F491_4F6C_DD1D } else { z })
    }

    /// The next value in `[0, 1)`.
    pub fn next_f64(&mut self) -> f64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64
    }
}
