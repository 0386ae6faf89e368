//! The verified-token cache: verifying the same token string again skips decoding and the signature check.
//!
//! * Keyed by the **full token string** (exact match: no hash whose collisions an attacker could forge).
//! * Holds only [`VerifiedToken`]s, which only the pipeline builds, with the `M2mToken` they mapped to.
//! * On a hit the pipeline still resolves the key (an entry dies with a key that left the JWKS or changed)
//!   and re-runs every claim check with the call's clock skew and audience, so an entry never outlives
//!   the token's `exp`; expired entries are dropped when met.
//! * Bounded: least-recently-used eviction, with a linear scan when full (inserts follow a signature check,
//!   which costs far more than scanning a few thousand entries).
//! * Hashed on the last 64 bytes of the token (FxHash's mixing) rather than all of it with SipHash: the tail of
//!   the signature already tells tokens apart, every lookup hashes, and only tokens whose signature verified
//!   are ever inserted, so an attacker cannot fill the table with colliding keys. Equality is still the full
//!   string.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::verified::VerifiedToken;
use crate::bytes::same_bytes;
use crate::token::M2mToken;

/// A successful verification: the token, and a serial naming it.
#[derive(Debug)]
pub struct Verification {
    /// The result.
    pub token: M2mToken,
    /// Unique among the verifications of this process (never reused), so a binding can key what it built
    /// from `token` by it: every cache hit on this entry hands out the same `serial` and the same token.
    pub serial: u64,
}

/// Two verifications are equal when their results are: the serial only names one of them.
impl PartialEq for Verification {
    fn eq(&self, other: &Self) -> bool {
        self.token == other.token
    }
}

/// The next [`Verification::serial`]. Starts at 1; at one verification per nanosecond it would take
/// centuries to pass 2^53, the largest integer a JS number holds exactly.
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

impl Verification {
    /// Wraps a result under a new serial.
    pub fn new(token: M2mToken) -> Self {
        let serial = NEXT_SERIAL.fetch_add(1, Ordering::Relaxed);
        Self { token, serial }
    }

    /// The result, cloned only when the verification is still shared (with the verified-token cache).
    pub fn into_token(self: Rc<Self>) -> M2mToken {
        Rc::try_unwrap(self).map_or_else(|shared| shared.token.clone(), |own| own.token)
    }
}

/// One cached verification.
#[derive(Debug, Clone)]
pub(crate) struct CachedVerification {
    /// The verified token (payload, kid, algorithm and key).
    pub token: Rc<VerifiedToken>,
    /// What it mapped to.
    pub result: Rc<Verification>,
}

/// FxHash's word-at-a-time mixing (rustc's hasher) over at most the last 64 bytes of each write; not keyed
/// (see the module comment).
#[derive(Default)]
struct WordHasher(u64);

impl WordHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for WordHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.add(bytes.len() as u64);
        let bytes = bytes.get(bytes.len().saturating_sub(64)..).unwrap_or(bytes);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        if let Some(t) = tail.get_mut(..rest.len()) {
            t.copy_from_slice(rest);
        }
        self.add(u64::from_le_bytes(tail) ^ rest.len() as u64);
    }
}

struct Entry {
    token: String,
    value: CachedVerification,
    last_used: u64,
}

/// Entries by [`token_hash`]; a bucket holds more than one entry only on a hash collision.
type Buckets = HashMap<u64, Vec<Entry>, BuildHasherDefault<WordHasher>>;

struct Lru {
    capacity: usize,
    tick: u64,
    len: usize,
    buckets: Buckets,
}

fn token_hash(token: &str) -> u64 {
    let mut h = WordHasher::default();
    h.write(token.as_bytes());
    h.finish()
}

impl Lru {
    fn entry_mut(&mut self, token: &str) -> Option<&mut Entry> {
        self.buckets
            .get_mut(&token_hash(token))?
            .iter_mut()
            .find(|e| same_bytes(e.token.as_bytes(), token.as_bytes()))
    }

    fn remove(&mut self, token: &str) {
        let hash = token_hash(token);
        let Some(bucket) = self.buckets.get_mut(&hash) else {
            return;
        };
        let before = bucket.len();
        bucket.retain(|e| !same_bytes(e.token.as_bytes(), token.as_bytes()));
        self.len -= before - bucket.len();
        if bucket.is_empty() {
            self.buckets.remove(&hash);
        }
    }
}

/// A bounded LRU of verified tokens, shared by clones (one per client).
#[derive(Clone)]
pub struct VerifiedTokenCache {
    inner: Rc<RefCell<Lru>>,
}

impl fmt::Debug for VerifiedTokenCache {
    // Never print the tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lru = self.inner.borrow();
        f.debug_struct("VerifiedTokenCache")
            .field("capacity", &lru.capacity)
            .field("len", &lru.len)
            .finish()
    }
}

impl VerifiedTokenCache {
    /// A cache of at most `capacity` tokens; 0 disables caching.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Lru {
                capacity,
                tick: 0,
                len: 0,
                buckets: HashMap::default(),
            })),
        }
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.inner.borrow().capacity
    }

    /// How many tokens are cached.
    pub fn len(&self) -> usize {
        self.inner.borrow().len
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every token.
    pub fn clear(&self) {
        let mut lru = self.inner.borrow_mut();
        lru.buckets.clear();
        lru.len = 0;
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, token: &str) -> bool {
        self.inner.borrow_mut().entry_mut(token).is_some()
    }

    pub(crate) fn get(&self, token: &str) -> Option<CachedVerification> {
        let mut lru = self.inner.borrow_mut();
        if lru.len == 0 {
            return None;
        }
        lru.tick += 1;
        let tick = lru.tick;
        lru.entry_mut(token).map(|e| {
            e.last_used = tick;
            e.value.clone()
        })
    }

    pub(crate) fn remove(&self, token: &str) {
        self.inner.borrow_mut().remove(token);
    }

    pub(crate) fn insert(&self, token: String, value: CachedVerification) {
        let mut lru = self.inner.borrow_mut();
        if lru.capacity == 0 {
            return;
        }
        lru.tick += 1;
        let last_used = lru.tick;
        if let Some(e) = lru.entry_mut(&token) {
            e.value = value;
            e.last_used = last_used;
            return;
        }
        if lru.len >= lru.capacity {
            let oldest = lru
                .buckets
                .values()
                .flatten()
                .min_by_key(|e| e.last_used)
                .map(|e| e.token.clone());
            if let Some(oldest) = oldest {
                lru.remove(&oldest);
            }
        }
        lru.len += 1;
        lru.buckets
            .entry(token_hash(&token))
            .or_default()
            .push(Entry {
                token,
                value,
                last_used,
            });
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> CachedVerification {
        let token =
            VerifiedToken::for_tests(json!({"sub": "s", "exp": 1}).as_object().cloned().unwrap());
        let result = Rc::new(Verification::new(token.to_m2m_token(0, 0.0).unwrap()));
        CachedVerification {
            token: Rc::new(token),
            result,
        }
    }

    #[test]
    fn evicts_the_least_recently_used() {
        let c = VerifiedTokenCache::new(2);
        c.insert("a".to_owned(), entry());
        c.insert("b".to_owned(), entry());
        assert!(c.get("a").is_some()); // b is now the oldest
        c.insert("c".to_owned(), entry());
        assert!(c.contains("a") && c.contains("c") && !c.contains("b"));
        assert_eq!(c.len(), 2);
        c.insert("c".to_owned(), entry()); // replaces, does not grow
        assert_eq!(c.len(), 2);
        c.remove("a");
        assert_eq!(c.len(), 1);
        c.clear();
        assert!(c.is_empty());
    }

    #[test]
    fn zero_capacity_disables() {
        let c = VerifiedTokenCache::new(0);
        c.insert("a".to_owned(), entry());
        assert!(c.is_empty() && c.get("a").is_none());
        assert_eq!(
            format!("{c:?}"),
            "VerifiedTokenCache { capacity: 0, len: 0 }"
        );
    }
}
