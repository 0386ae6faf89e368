//! `machineTokenRateLimiter`: an optional token bucket per client IP for `authenticateRequest` verifications that
//! must reach the Backend API (opaque tokens that no cached answer or request in flight covers). Off by default.
//! When on, a request over its limit gets a signed-out state (reason [`REASON`]) and causes no Backend API call.
//! JWTs verified locally and cached answers are never limited.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use serde_json::{Map, Value};

use crate::error::Error;

/// The signed-out reason of a limited request.
pub const REASON: &str = "machine-token-rate-limited";

/// The bucket key of requests that carry neither `CF-Connecting-IP` nor `X-Forwarded-For`.
const NO_IP: &str = "";

/// The limiter's settings: `burst` requests at once, then `refill_per_second`, for at most `max_buckets` IPs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitSettings {
    /// Bucket capacity (default 20).
    pub burst: u32,
    /// Tokens added per second (default 10).
    pub refill_per_second: f64,
    /// Buckets kept, the oldest out first (default 10 000).
    pub max_buckets: usize,
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            burst: 20,
            refill_per_second: 10.0,
            max_buckets: 10_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

#[derive(Debug, Default)]
struct Buckets {
    by_ip: HashMap<String, Bucket>,
    /// IPs in the order their buckets were made: the front goes first when full.
    order: VecDeque<String>,
}

/// One client's limiter; clones share the buckets.
#[derive(Debug, Clone)]
pub struct RateLimiter {
    settings: RateLimitSettings,
    buckets: Rc<RefCell<Buckets>>,
}

impl RateLimiter {
    /// A limiter with these settings.
    pub fn new(settings: RateLimitSettings) -> Self {
        Self {
            settings,
            buckets: Rc::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> RateLimitSettings {
        self.settings
    }

    /// Parses `machineTokenRateLimiter`: absent, `false` → `None`; `true` → the defaults; an object of `burst`,
    /// `refillPerSecond` and `maxBuckets` (each optional, positive) → those.
    pub fn from_option(value: Option<&Value>) -> Result<Option<Self>, Error> {
        let settings = match value {
            None | Some(Value::Null) | Some(Value::Bool(false)) => return Ok(None),
            Some(Value::Bool(true)) => RateLimitSettings::default(),
            Some(Value::Object(map)) => settings_from(map)?,
            Some(_) => return Err(invalid()),
        };
        Ok(Some(Self::new(settings)))
    }

    /// Takes one token from the bucket of `ip` at `now_ms`: `Ok(())`, or `Err(ms)` until the next token.
    pub fn take(&self, ip: &str, now_ms: u64) -> Result<(), u64> {
        let RateLimitSettings {
            burst,
            refill_per_second,
            max_buckets,
        } = self.settings;
        let mut buckets = self.buckets.borrow_mut();
        let buckets = &mut *buckets;
        let bucket = match buckets.by_ip.get_mut(ip) {
            Some(bucket) => bucket,
            None => {
                while buckets.by_ip.len() >= max_buckets.max(1) {
                    let Some(oldest) = buckets.order.pop_front() else {
                        break;
                    };
                    buckets.by_ip.remove(&oldest);
                }
                buckets.order.push_back(ip.to_owned());
                buckets.by_ip.entry(ip.to_owned()).or_insert(Bucket {
                    tokens: f64::from(burst),
                    at_ms: now_ms,
                })
            }
        };
        let elapsed_s = now_ms.saturating_sub(bucket.at_ms) as f64 / 1000.0;
        bucket.tokens = (bucket.tokens + elapsed_s * refill_per_second).min(f64::from(burst));
        bucket.at_ms = bucket.at_ms.max(now_ms);
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait_s = (1.0 - bucket.tokens) / refill_per_second;
            Err((wait_s * 1000.0).ceil() as u64)
        }
    }

    /// How many buckets are kept.
    pub fn len(&self) -> usize {
        self.buckets.borrow().by_ip.len()
    }

    /// Whether no bucket is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The client IP of a request: `CF-Connecting-IP`, else the first `X-Forwarded-For` entry, else `""` (one shared
/// bucket for requests that carry neither).
pub fn client_ip<'a>(
    cf_connecting_ip: Option<&'a str>,
    x_forwarded_for: Option<&'a str>,
) -> &'a str {
    let first_forwarded = || {
        x_forwarded_for
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    cf_connecting_ip
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .or_else(first_forwarded)
        .unwrap_or(NO_IP)
}

fn invalid() -> Error {
    Error::invalid_argument(
        "options.machineTokenRateLimiter must be true, false or { burst?, refillPerSecond?, maxBuckets? } with positive numbers",
    )
}

fn settings_from(map: &Map<String, Value>) -> Result<RateLimitSettings, Error> {
    let mut settings = RateLimitSettings::default();
    let positive = |name: &str, max: f64| -> Result<Option<f64>, Error> {
        match map.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_f64() {
                Some(n) if n > 0.0 && n <= max => Ok(Some(n)),
                _ => Err(invalid()),
            },
        }
    };
    let whole = |n: f64| {
        if n.fract() == 0.0 {
            Ok(n)
        } else {
            Err(invalid())
        }
    };
    if let Some(n) = positive("burst", 1e6)? {
        settings.burst = whole(n)? as u32;
    }
    if let Some(n) = positive("refillPerSecond", 1e6)? {
        settings.refill_per_second = n;
    }
    if let Some(n) = positive("maxBuckets", 1e6)? {
        settings.max_buckets = whole(n)? as usize;
    }
    Ok(settings)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_burst_then_the_refill_rate() {
        let l = RateLimiter::new(RateLimitSettings::default());
        for _ in 0..20 {
            assert_eq!(l.take("1.2.3.4", 1_000), Ok(()));
        }
        assert_eq!(l.take("1.2.3.4", 1_000), Err(100));
        assert_eq!(
            l.take("5.6.7.8", 1_000),
            Ok(()),
            "another IP has its own bucket"
        );
        assert_eq!(
            l.take("1.2.3.4", 1_100),
            Ok(()),
            "100 ms refills one at 10/s"
        );
        assert_eq!(l.take("1.2.3.4", 1_100), Err(100));
        // Never past the burst.
        for _ in 0..20 {
            assert_eq!(l.take("1.2.3.4", 100_000), Ok(()));
        }
        assert!(l.take("1.2.3.4", 100_000).is_err());
        assert!(
            l.take("1.2.3.4", 50_000).is_err(),
            "a clock going back refills nothing"
        );
    }

    #[test]
    fn at_most_max_buckets_the_oldest_out() {
        let l = RateLimiter::new(RateLimitSettings {
            burst: 1,
            refill_per_second: 1.0,
            max_buckets: 3,
        });
        for ip in ["a", "b", "c"] {
            assert_eq!(l.take(ip, 0), Ok(()));
        }
        assert!(l.take("a", 0).is_err());
        assert_eq!(l.take("d", 0), Ok(()));
        assert_eq!(l.len(), 3);
        assert_eq!(l.take("a", 0), Ok(()), "a's bucket went first");
    }

    #[test]
    fn the_ip_is_cf_connecting_ip_else_the_first_forwarded_entry() {
        assert_eq!(client_ip(Some(" 1.1.1.1 "), Some("2.2.2.2")), "1.1.1.1");
        assert_eq!(client_ip(None, Some(" 2.2.2.2 , 3.3.3.3")), "2.2.2.2");
        assert_eq!(client_ip(Some(""), Some("2.2.2.2")), "2.2.2.2");
        assert_eq!(client_ip(None, Some(",")), "");
        assert_eq!(client_ip(None, None), "");
    }

    #[test]
    fn option_parsing() {
        assert!(RateLimiter::from_option(None).unwrap().is_none());
        assert!(RateLimiter::from_option(Some(&json!(false)))
            .unwrap()
            .is_none());
        let on = RateLimiter::from_option(Some(&json!(true)))
            .unwrap()
            .unwrap();
        assert_eq!(on.settings(), RateLimitSettings::default());
        let custom = RateLimiter::from_option(Some(
            &json!({"burst": 5, "refillPerSecond": 0.5, "maxBuckets": 100}),
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            custom.settings(),
            RateLimitSettings {
                burst: 5,
                refill_per_second: 0.5,
                max_buckets: 100
            }
        );
        for bad in [
            json!(1),
            json!("on"),
            json!({"burst": 0}),
            json!({"burst": 2.5}),
            json!({"refillPerSecond": -1}),
            json!({"maxBuckets": "x"}),
        ] {
            let e = RateLimiter::from_option(Some(&bad)).unwrap_err();
            assert!(e.to_string().contains("machineTokenRateLimiter"), "{bad}");
        }
    }
}
