//! The small traits through which the core reaches the outside world: HTTP, time, timers and RSA checks.
//!
//! The edge crate implements them over the runtime's `fetch`, `Date.now`, `setTimeout` and
//! `crypto.subtle`; native tests implement them over in-process fakes or real sockets. The code is
//! single-threaded by design, so no trait asks for `Send`.
#![allow(async_fn_in_trait)]

use std::fmt;

/// HTTP method of a Backend API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH` (`machines.update`)
    Patch,
    /// `DELETE` (`machines.delete`, `machines.deleteScope`)
    Delete,
}

impl Method {
    /// The method token.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

/// A request, fully built by the core: the transport only sends it.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Absolute URL, already validated and percent-encoded.
    pub url: String,
    /// Header names and values, in the order to send them.
    pub headers: Vec<(String, String)>,
    /// JSON body text, if any.
    pub body: Option<String>,
    /// Abort the request after this many milliseconds.
    pub timeout_ms: Option<u32>,
}

impl fmt::Debug for HttpRequest {
    // Never print the Authorization header's value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                if k.eq_ignore_ascii_case("authorization") {
                    (k.as_str(), "<redacted>")
                } else {
                    (k.as_str(), v.as_str())
                }
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(String::len))
            .field("timeout_ms", &self.timeout_ms)
            .finish()
    }
}

/// A response with its body read completely.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Status text (empty on HTTP/2 and in some runtimes).
    pub status_text: String,
    /// Header names (lower case) and values.
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl HttpResponse {
    /// The first value of a header, matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why a request produced no response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// The runtime's fetch failed (connection refused, reset, DNS, CORS, body read error…).
    Network {
        /// The runtime's message, e.g. `fetch failed`.
        message: String,
    },
    /// The request's `timeout_ms` elapsed.
    Timeout {
        /// The timeout that elapsed.
        after_ms: u32,
    },
    /// The caller's abort signal fired.
    Aborted,
}

/// Sends HTTP requests.
pub trait HttpClient {
    /// Sends one request and reads the whole body.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

/// Wall-clock time.
pub trait Clock {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> u64;
}

/// Waiting without blocking (backoff, bounded waits on another caller's fetch).
pub trait Timer {
    /// Resolves after `ms` milliseconds.
    async fn sleep(&self, ms: u32);
}

/// An RSASSA-PKCS1-v1_5 hash choice from the allow-list (reference §4.2 step 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RsaAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512
    Rs512,
}

impl RsaAlgorithm {
    /// Parses a JOSE `alg` from the allow-list.
    pub fn from_jose(alg: &str) -> Option<Self> {
        match alg {
            "RS256" => Some(Self::Rs256),
            "RS384" => Some(Self::Rs384),
            "RS512" => Some(Self::Rs512),
            _ => None,
        }
    }

    /// The JOSE name.
    pub fn jose_name(self) -> &'static str {
        match self {
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
        }
    }

    /// The WebCrypto hash name.
    pub fn hash_name(self) -> &'static str {
        match self {
            Self::Rs256 => "SHA-256",
            Self::Rs384 => "SHA-384",
            Self::Rs512 => "SHA-512",
        }
    }
}

/// An RSA public key as big-endian modulus and exponent bytes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RsaPublicKey {
    /// Modulus, big-endian, no leading zero bytes.
    pub n: Vec<u8>,
    /// Public exponent, big-endian.
    pub e: Vec<u8>,
}

impl RsaPublicKey {
    /// Modulus size in bits.
    pub fn bits(&self) -> usize {
        match self.n.iter().position(|b| *b != 0) {
            Some(i) => (self.n.len() - i) * 8 - self.n[i].leading_zeros() as usize,
            None => 0,
        }
    }
}

impl fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaPublicKey({} bits)", self.bits())
    }
}

/// Checks RSA signatures. The edge crate uses WebCrypto and caches imported keys; natively the
/// `rust-crypto` feature provides a pure-Rust implementation.
pub trait SignatureVerifier {
    /// `Ok(true)` when `signature` is a valid signature of `message`; `Ok(false)` when it is not;
    /// `Err(message)` when the key could not be imported or the runtime threw (reference E10).
    async fn verify_rsa(
        &self,
        alg: RsaAlgorithm,
        key: &RsaPublicKey,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
}

/// A cache shared with other isolates, such as Workers' `caches.default`: text under URL keys, with an expiry.
/// The core authenticates what it reads (another Worker of the zone may write the same keys) and never stores a
/// secret in it. The default methods are "no shared cache", for runtimes and tests without one.
pub trait SharedCache {
    /// Whether a shared cache is in use for this call; when not, the other methods are not called.
    fn has_shared_cache(&self) -> bool {
        false
    }

    /// The text stored under `key`; `None` on a miss or when the cache fails in any way.
    async fn shared_get(&self, _key: &str) -> Option<String> {
        None
    }

    /// Stores `value` under `key` for `max_age_secs`; a failure is ignored (the network stays the source).
    async fn shared_put(&self, _key: &str, _value: String, _max_age_secs: u32) {}
}
