//! Opaque-token verification sharing, per client (it lives in the client's [`crate::jwt::JwtOptions`]):
//!
//! * **Single flight:** concurrent verifications of the same token with the same effective key share one
//!   `POST /m2m_tokens/verify`; every waiter gets the same result. A waiter waits on another caller's request
//!   at most 5 s (less when its own timeout is shorter), then sends its own: workerd does not let one request
//!   rely on I/O another request started (`performance-anchors.md`).
//! * **Negative cache** (`opaqueNegativeCacheTtlMs`, 60 s; 0 disables): a definitive answer, the Backend API's
//!   404 (`resource_not_found`: unknown, revoked, expired or not granted), is replayed as the same error for
//!   that long. Transient failures (network, timeout, 5xx, 429), key errors (401/403) and aborts are never
//!   cached.
//! * **Positive cache** (`opaqueTokenCacheTtlMs`, default 0 = off): a successful result is replayed for that
//!   long (never past the token's own `expiration`). It delays revocation by up to the TTL.
//!
//! Entries are keyed by a SHA-256 of the token and the key (length-prefixed): neither text is stored.
//! Both caches together hold at most [`MAX_ENTRIES`]; the oldest entry goes first.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::rc::Rc;

use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::flight::{wait_bounded, Settled};
use crate::ports::{Clock, Timer};
use crate::token::M2mToken;

/// Default `opaqueNegativeCacheTtlMs`.
pub const DEFAULT_NEGATIVE_TTL_MS: u64 = 60_000;
/// Default `opaqueTokenCacheTtlMs` (off).
pub const DEFAULT_POSITIVE_TTL_MS: u64 = 0;
/// At most this many cached answers per client; the oldest goes first.
pub const MAX_ENTRIES: usize = 10_000;
/// A caller waits on at most this many other callers' requests before sending its own.
const MAX_WAIT_ROUNDS: u32 = 2;
/// The longest wait on another caller's request (shorter when the call's own timeout is).
const MAX_WAIT_BOUND_MS: u32 = 5_000;

/// The key of one (token, effective key): a SHA-256, so neither secret is kept.
pub type CacheKey = [u8; 32];

/// The result one opaque verification gives.
pub type Answer = Result<M2mToken, Error>;

/// The cache key of `token` verified with `key` (`None`: no key is sent): each part length-prefixed, so no
/// two (token, key) pairs hash the same input.
pub fn cache_key(token: &str, key: Option<&str>) -> CacheKey {
    let mut hasher = Sha256::new();
    for part in [Some(token), key] {
        match part {
            Some(text) => {
                hasher.update([1]);
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update([0]),
        }
    }
    hasher.finalize().into()
}

/// Whether an answer is definitive enough to cache negatively: the Backend API's 404.
pub fn is_definitive_negative(error: &Error) -> bool {
    matches!(error, Error::Api(e) if e.status == Some(404))
}

/// A verification other callers may wait on.
type Flight = crate::flight::Flight<Rc<Answer>>;

struct Entry {
    answer: Answer,
    expires_at: u64,
    seq: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<CacheKey, Entry>,
    /// Insertion order (key, seq); an item whose seq no longer matches its entry is skipped.
    order: VecDeque<(CacheKey, u64)>,
    flights: HashMap<CacheKey, Rc<Flight>>,
    next: Cell<u64>,
}

impl Inner {
    fn next_id(&self) -> u64 {
        let id = self.next.get().wrapping_add(1);
        self.next.set(id);
        id
    }

    fn cached(&mut self, key: &CacheKey, now: u64) -> Option<Answer> {
        let entry = self.entries.get(key)?;
        if now < entry.expires_at {
            return Some(entry.answer.clone());
        }
        self.entries.remove(key);
        None
    }

    fn store(&mut self, key: CacheKey, answer: Answer, expires_at: u64) {
        let seq = self.next_id();
        self.entries.insert(
            key,
            Entry {
                answer,
                expires_at,
                seq,
            },
        );
        self.order.push_back((key, seq));
        while self.entries.len() > MAX_ENTRIES {
            let Some((old, old_seq)) = self.order.pop_front() else {
                break;
            };
            if self.entries.get(&old).is_some_and(|e| e.seq == old_seq) {
                self.entries.remove(&old);
            }
        }
        if self.order.len() > 2 * MAX_ENTRIES {
            let entries = &self.entries;
            self.order
                .retain(|(k, s)| entries.get(k).is_some_and(|e| e.seq == *s));
        }
    }
}

/// One client's opaque-token sharing and caches. Clones share them.
#[derive(Clone)]
pub struct OpaqueCache {
    /// `opaqueNegativeCacheTtlMs`.
    pub negative_ttl_ms: u64,
    /// `opaqueTokenCacheTtlMs`.
    pub positive_ttl_ms: u64,
    inner: Rc<RefCell<Inner>>,
}

impl fmt::Debug for OpaqueCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpaqueCache")
            .field("negative_ttl_ms", &self.negative_ttl_ms)
            .field("positive_ttl_ms", &self.positive_ttl_ms)
            .field("entries", &self.len())
            .finish()
    }
}

impl Default for OpaqueCache {
    fn default() -> Self {
        Self::new(DEFAULT_NEGATIVE_TTL_MS, DEFAULT_POSITIVE_TTL_MS)
    }
}

/// Settles the flight as abandoned if the leading caller's future is dropped mid-request.
struct Leading<'a> {
    inner: &'a RefCell<Inner>,
    key: CacheKey,
    flight: Rc<Flight>,
    done: bool,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            if inner
                .flights
                .get(&self.key)
                .is_some_and(|f| f.id == self.flight.id)
            {
                inner.flights.remove(&self.key);
            }
        }
        self.flight.settle(Settled::Abandoned);
    }
}

impl OpaqueCache {
    /// A cache with these TTLs (0 turns that cache off; the single flight is always on).
    pub fn new(negative_ttl_ms: u64, positive_ttl_ms: u64) -> Self {
        Self {
            negative_ttl_ms,
            positive_ttl_ms,
            inner: Rc::new(RefCell::new(Inner::default())),
        }
    }

    /// Whether an answer for `key` needs a Backend API request at `now`: none is cached and none is in flight.
    pub fn needs_request(&self, key: &CacheKey, now: u64) -> bool {
        let mut inner = self.inner.borrow_mut();
        inner.cached(key, now).is_none() && !inner.flights.contains_key(key)
    }

    /// How many answers are cached (expired ones not yet dropped included).
    pub fn len(&self) -> usize {
        self.inner.borrow().entries.len()
    }

    /// Whether no answer is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The answer for `key`: a cached one, the one of a request in flight (waited on for at most
    /// `wait_bound_ms`, capped at 5 s), or the one `send()` gives (then shared and, when definitive, cached).
    pub async fn verify<P, F, Fut>(
        &self,
        p: &P,
        key: CacheKey,
        wait_bound_ms: Option<u32>,
        mut send: F,
    ) -> Answer
    where
        P: Clock + Timer,
        F: FnMut() -> Fut,
        Fut: Future<Output = Answer>,
    {
        let bound = wait_bound_ms.map_or(MAX_WAIT_BOUND_MS, |ms| ms.min(MAX_WAIT_BOUND_MS));
        let mut rounds = 0;
        loop {
            let flight = {
                let mut inner = self.inner.borrow_mut();
                if let Some(answer) = inner.cached(&key, p.now_ms()) {
                    return answer;
                }
                inner.flights.get(&key).cloned()
            };
            let Some(flight) = flight.filter(|_| rounds < MAX_WAIT_ROUNDS) else {
                return self.lead(p, key, send()).await;
            };
            rounds += 1;
            match wait_bounded(p, &flight, bound).await {
                Some(Settled::Done(answer)) => return (*answer).clone(),
                Some(Settled::Abandoned) => {}
                None => {
                    let unchanged = self
                        .inner
                        .borrow()
                        .flights
                        .get(&key)
                        .is_some_and(|f| f.id == flight.id);
                    if unchanged {
                        return self.lead(p, key, send()).await;
                    }
                }
            }
        }
    }

    async fn lead<P: Clock, Fut: Future<Output = Answer>>(
        &self,
        p: &P,
        key: CacheKey,
        request: Fut,
    ) -> Answer {
        let flight = {
            let mut inner = self.inner.borrow_mut();
            let flight = Rc::new(Flight::new());
            inner.flights.insert(key, flight.clone());
            flight
        };
        let mut guard = Leading {
            inner: &self.inner,
            key,
            flight: flight.clone(),
            done: false,
        };
        let answer = request.await;
        let now = p.now_ms();
        {
            let mut inner = self.inner.borrow_mut();
            let ttl = match &answer {
                Ok(_) => self.positive_ttl_ms,
                Err(e) if is_definitive_negative(e) => self.negative_ttl_ms,
                Err(_) => 0,
            };
            if ttl > 0 {
                let mut expires_at = now.saturating_add(ttl);
                if let Ok(token) = &answer {
                    if let Some(exp) = token.expiration.and_then(|e| u64::try_from(e).ok()) {
                        expires_at = expires_at.min(exp);
                    }
                }
                if expires_at > now {
                    inner.store(key, answer.clone(), expires_at);
                }
            }
            if inner.flights.get(&key).is_some_and(|f| f.id == flight.id) {
                inner.flights.remove(&key);
            }
        }
        guard.done = true;
        flight.settle(match &answer {
            // The leader's own abort says nothing about the token: let the waiters send.
            Err(Error::Aborted) => Settled::Abandoned,
            other => Settled::Done(Rc::new(other.clone())),
        });
        answer
    }
}
