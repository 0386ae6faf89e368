//! The verified-token cache: verifying the same token string again skips decoding and the signature check.
//!
//! * Keyed by the **full token string** (exact match: no hash whose collisions an attacker could forge).
//! * Holds only [`CachedToken`]s, which only a `VerifiedToken` becomes: the claims the checks re-run on, the
//!   key, and the result once a hit needed it (a miss keeps no result: see [`CachedToken`]).
//! * On a hit the pipeline still resolves the key (an entry dies with a key that left the JWKS or changed)
//!   and re-runs every claim check with the call's clock skew and audience, so an entry never outlives
//!   the token's `exp`; expired entries are dropped when met.
//! * Bounded, with CLOCK (second-chance) eviction: O(1) per insert, where a least-recently-used scan cost
//!   ~9 µs per new token once full (a whole signature check costs ~15 µs in workerd). A hit marks its entry;
//!   the hand passes over marked entries once (unmarking them) and evicts the first unmarked one.
//! * Hashed on the length and last 16 bytes of the token (FxHash's mixing) rather than all of it with SipHash:
//!   the tail of the signature already tells tokens apart, every lookup hashes, and only tokens whose signature
//!   verified are ever inserted, so an attacker cannot fill the table with colliding keys. Equality is still the
//!   full string; two cached tokens never share a hash (the newer replaces the older).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use super::verified::CachedToken;
use crate::bytes::same_bytes;

/// FxHash's mixing (rustc's hasher) of the words it is given: the index's keys are [`token_hash`]es, which
/// are mixed already. Not keyed (see the module comment).
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
        for &b in bytes {
            self.add(u64::from(b));
        }
    }

    fn write_u64(&mut self, word: u64) {
        self.add(word);
    }
}

struct Entry {
    token: String,
    hash: u64,
    /// Shared with the hits that read it (a hit fills in its result).
    value: Rc<CachedToken>,
    /// Used since the hand last passed.
    referenced: bool,
}

/// The entries in a ring the hand walks, and where each hash's entry is.
struct Clock {
    capacity: usize,
    entries: Vec<Entry>,
    hand: usize,
    index: HashMap<u64, usize, BuildHasherDefault<WordHasher>>,
}

/// The length and the last 16 bytes of `token`, mixed: for a JWT, the end of its signature (96 random bits).
fn token_hash(token: &str) -> u64 {
    let bytes = token.as_bytes();
    let mut h = WordHasher::default();
    h.add(bytes.len() as u64);
    let tail = bytes.len().saturating_sub(16);
    match bytes.get(tail..).map(<[u8; 16]>::try_from) {
        Some(Ok(last)) => {
            let last = u128::from_le_bytes(last);
            h.add(last as u64);
            h.add((last >> 64) as u64);
        }
        // Shorter than 16 bytes (not a JWT): byte by byte.
        _ => h.write(bytes),
    }
    h.finish()
}

impl Clock {
    /// The slot of `hash`, and whether it holds `token` itself.
    fn slot(&self, hash: u64, token: &str) -> Option<(usize, bool)> {
        let i = *self.index.get(&hash)?;
        let same = self
            .entries
            .get(i)
            .is_some_and(|e| same_bytes(e.token.as_bytes(), token.as_bytes()));
        Some((i, same))
    }

    /// The slot the next entry goes to when the ring is full: the first unmarked one from the hand on,
    /// unmarking the marked ones it passes (at most one full turn).
    fn victim(&mut self) -> usize {
        let len = self.entries.len();
        loop {
            let i = self.hand;
            self.hand = (i + 1) % len;
            match self.entries.get_mut(i) {
                Some(e) if e.referenced => e.referenced = false,
                _ => return i,
            }
        }
    }

    fn remove(&mut self, token: &str) {
        let hash = token_hash(token);
        let Some((i, true)) = self.slot(hash, token) else {
            return;
        };
        self.index.remove(&hash);
        self.entries.swap_remove(i);
        if let Some(moved) = self.entries.get(i) {
            self.index.insert(moved.hash, i);
        }
        if self.hand >= self.entries.len() {
            self.hand = 0;
        }
    }
}

/// A bounded cache of verified tokens, shared by clones (one per client).
#[derive(Clone)]
pub struct VerifiedTokenCache {
    inner: Rc<RefCell<Clock>>,
}

impl fmt::Debug for VerifiedTokenCache {
    // Never print the tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let clock = self.inner.borrow();
        f.debug_struct("VerifiedTokenCache")
            .field("capacity", &clock.capacity)
            .field("len", &clock.entries.len())
            .finish()
    }
}

impl VerifiedTokenCache {
    /// A cache of at most `capacity` tokens; 0 disables caching.
    pub fn new(capacity: usize) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Clock {
                capacity,
                entries: Vec::new(),
                hand: 0,
                index: HashMap::default(),
            })),
        }
    }

    /// The configured capacity.
    pub fn capacity(&self) -> usize {
        self.inner.borrow().capacity
    }

    /// How many tokens are cached.
    pub fn len(&self) -> usize {
        self.inner.borrow().entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every token.
    pub fn clear(&self) {
        let mut clock = self.inner.borrow_mut();
        clock.entries.clear();
        clock.index.clear();
        clock.hand = 0;
    }

    #[cfg(test)]
    pub(crate) fn contains(&self, token: &str) -> bool {
        let clock = self.inner.borrow();
        matches!(clock.slot(token_hash(token), token), Some((_, true)))
    }

    pub(crate) fn get(&self, token: &str) -> Option<Rc<CachedToken>> {
        let mut clock = self.inner.borrow_mut();
        if clock.entries.is_empty() {
            return None;
        }
        let Some((i, true)) = clock.slot(token_hash(token), token) else {
            return None;
        };
        let e = clock.entries.get_mut(i)?;
        e.referenced = true;
        Some(e.value.clone())
    }

    pub(crate) fn remove(&self, token: &str) {
        self.inner.borrow_mut().remove(token);
    }

    pub(crate) fn insert(&self, token: String, value: Rc<CachedToken>) {
        let mut clock = self.inner.borrow_mut();
        if clock.capacity == 0 {
            return;
        }
        let hash = token_hash(&token);
        let entry = Entry {
            token,
            hash,
            value,
            referenced: false,
        };
        // The same token again, or another with its hash: the new entry takes that slot.
        let i = match clock.slot(hash, &entry.token) {
            Some((i, _)) => i,
            None if clock.entries.len() < clock.capacity => {
                clock.entries.push(entry);
                let i = clock.entries.len() - 1;
                clock.index.insert(hash, i);
                return;
            }
            None => clock.victim(),
        };
        if let Some(old) = clock.entries.get_mut(i) {
            let old_hash = std::mem::replace(old, entry).hash;
            clock.index.remove(&old_hash);
            clock.index.insert(hash, i);
        }
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
    use crate::jwt::verified::VerifiedToken;
    use serde_json::json;

    fn entry() -> Rc<CachedToken> {
        let token =
            VerifiedToken::for_tests(json!({"sub": "s", "exp": 1}).as_object().cloned().unwrap());
        let (_, cached) = token.into_result(0, 0.0, true).unwrap();
        Rc::new(cached.unwrap())
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
    fn stays_bounded_keeps_used_entries_and_finds_every_entry_after_removals() {
        let c = VerifiedTokenCache::new(100);
        let name = |i: usize| format!("token-{i}");
        for i in 0..100 {
            c.insert(name(i), entry());
        }
        // Used since the hand last passed: these survive the next 50 inserts, which evict unused ones.
        for i in 0..50 {
            assert!(c.get(&name(i)).is_some());
        }
        for i in 100..150 {
            c.insert(name(i), entry());
        }
        assert_eq!(c.len(), 100);
        assert!((0..50).all(|i| c.contains(&name(i))));
        assert!((50..100).all(|i| !c.contains(&name(i))));
        // A removal moves the last entry into the gap: every other entry is still found.
        for i in (0..150).step_by(3) {
            c.remove(&name(i));
        }
        let left: Vec<usize> = (0..150).filter(|i| c.contains(&name(*i))).collect();
        assert_eq!(left.len(), c.len());
        assert!(left.iter().all(|i| i % 3 != 0));
        for i in 1000..3000 {
            c.insert(name(i), entry());
        }
        assert_eq!(c.len(), 100);
        assert!(
            (2900..3000).all(|i| c.contains(&name(i))),
            "the newest are kept"
        );
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
