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

/// The cache key of `token` verified with `key` (`None`: no key is sent).
pub fn cache_key(token: &str, key: Option<&str>) -> CacheKey {
    let mut input = Vec::with_capacity(token.len() + key.map_or(0, str::len) + 17);
    for part in [Some(token), key] {
        match part {
            Some(text) => {
                input.push(1);
                input.extend_from_slice(&(text.len() as u64).to_be_bytes());
                input.extend_from_slice(text.as_bytes());
            }
            None => input.push(0),
        }
    }
    sha256(&input)
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

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 (FIPS 180-4) of `data`; small and dependency-free (the core has no hash crate).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    let mut padded = data.to_vec();
    padded.push(0x80);
    while padded.len() % 64 != 56 {
        padded.push(0);
    }
    padded.extend_from_slice(&((data.len() as u64).wrapping_mul(8)).to_be_bytes());
    for block in padded.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (slot, word) in w.iter_mut().zip(block.chunks_exact(4)) {
            *slot = word.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
        }
        for i in 16..64 {
            let (w15, w2, w16, w7) = (w[i - 15], w[i - 2], w[i - 16], w[i - 7]);
            let s0 = w15.rotate_right(7) ^ w15.rotate_right(18) ^ (w15 >> 3);
            let s1 = w2.rotate_right(17) ^ w2.rotate_right(19) ^ (w2 >> 10);
            w[i] = w16.wrapping_add(s0).wrapping_add(w7).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for (k, wi) in K.iter().zip(w.iter()) {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(*k)
                .wrapping_add(*wi);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (slot, v) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *slot = slot.wrapping_add(v);
        }
    }
    let mut out = [0u8; 32];
    for (chunk, v) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&v.to_be_bytes());
    }
    out
}
