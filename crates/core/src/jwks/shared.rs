//! The instance JWKS in the cache that the isolates of a colo share ([`SharedCache`], Workers' `caches.default`),
//! behind the per-isolate cache: a new isolate reads the key set another one fetched instead of asking the
//! Backend API again.
//!
//! `caches.default` is shared by every Worker of the zone, so anything read from it may have been written by
//! someone else. An entry is trusted only with a valid HMAC-SHA256 under a key derived from the instance
//! secret key, over the entry's cache key, its fetch time and the JWKS text; anything else is ignored, and the
//! next network fetch replaces it. The cache key holds the API URL, the API version and a SHA-256 of the
//! secret key (derived apart from the MAC key), never the key itself.
//!
//! Entry text: `v1.<fetched at, ms since the epoch>.<MAC, base64url>.<the JWKS JSON as the Backend API sent it>`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::base64url;
use crate::config::Secret;
use crate::ports::SharedCache;

type HmacSha256 = Hmac<Sha256>;

const VERSION: &str = "v1";
const CACHE_ID_LABEL: &[u8] = b"clerk-m2m-edge shared key set: cache key v1\0";
const MAC_KEY_LABEL: &[u8] = b"clerk-m2m-edge shared key set: MAC key v1";
/// An entry written this far in the future (another isolate's clock) is still accepted.
const MAX_CLOCK_AHEAD_MS: u64 = 60_000;

/// Where one instance's key set lives in the shared cache, and the key that authenticates it.
pub(crate) struct SharedSlot {
    /// The cache key: `{jwks url}?clerk_m2m_edge_key_set=<hex SHA-256 of label + secret key>`.
    pub key: String,
    mac_key: [u8; 32],
}

impl std::fmt::Debug for SharedSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedSlot")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// A key set read from the shared cache: the JWKS text and when it was fetched.
pub(crate) struct SharedEntry<'a> {
    pub fetched_at: u64,
    pub jwks: &'a str,
}

impl SharedSlot {
    /// The slot of the instance whose JWKS is at `jwks_url` (it names the API URL and version).
    pub fn new(jwks_url: &str, secret: &Secret) -> Self {
        let id = Sha256::new()
            .chain_update(CACHE_ID_LABEL)
            .chain_update(secret.expose().as_bytes())
            .finalize();
        let mut key = String::with_capacity(jwks_url.len() + 24 + 64);
        key.push_str(jwks_url);
        key.push_str(if jwks_url.contains('?') { "&" } else { "?" });
        key.push_str("clerk_m2m_edge_key_set=");
        for byte in id {
            key.push(char::from(HEX[usize::from(byte >> 4)]));
            key.push(char::from(HEX[usize::from(byte & 15)]));
        }
        // HMAC as the key derivation: the secret key is the HMAC key, the label the message.
        let mac_key = mac(secret.expose().as_bytes())
            .chain_update(MAC_KEY_LABEL)
            .finalize()
            .into_bytes()
            .into();
        Self { key, mac_key }
    }

    fn tag(&self, fetched_at: &str, jwks: &str) -> HmacSha256 {
        mac(&self.mac_key)
            .chain_update(VERSION)
            .chain_update(b".")
            .chain_update(self.key.as_bytes())
            .chain_update(b".")
            .chain_update(fetched_at.as_bytes())
            .chain_update(b".")
            .chain_update(jwks.as_bytes())
    }

    /// The entry text for a key set fetched at `fetched_at`.
    pub fn seal(&self, fetched_at: u64, jwks: &str) -> String {
        let mut time = itoa::Buffer::new();
        let time = time.format(fetched_at);
        let tag = base64url::encode(&self.tag(time, jwks).finalize().into_bytes());
        [VERSION, ".", time, ".", &tag, ".", jwks].concat()
    }

    /// The key set of `entry` if its MAC is valid and it is younger than `ttl_ms` at `now`; `None` otherwise.
    pub fn open<'a>(&self, entry: &'a str, now: u64, ttl_ms: u64) -> Option<SharedEntry<'a>> {
        let rest = entry.strip_prefix(VERSION)?.strip_prefix('.')?;
        let (time, rest) = rest.split_once('.')?;
        let (tag, jwks) = rest.split_once('.')?;
        let fetched_at: u64 = time.parse().ok()?;
        let tag = base64url::decode(tag)?;
        // Constant time: `verify_slice` compares without an early exit.
        self.tag(time, jwks).verify_slice(&tag).ok()?;
        if fetched_at > now.saturating_add(MAX_CLOCK_AHEAD_MS)
            || now.saturating_sub(fetched_at) >= ttl_ms
        {
            return None;
        }
        Some(SharedEntry { fetched_at, jwks })
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length, so this never fails.
    <HmacSha256 as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!())
}

/// Writes a key set fetched at `fetched_at` for what is left of its TTL (nothing when that is under a second).
pub(crate) async fn write<P: SharedCache>(
    p: &P,
    slot: &SharedSlot,
    fetched_at: u64,
    jwks: &str,
    ttl_ms: u64,
) {
    let max_age_secs = u32::try_from(ttl_ms / 1000).unwrap_or(u32::MAX);
    if max_age_secs == 0 {
        return;
    }
    p.shared_put(&slot.key, slot.seal(fetched_at, jwks), max_age_secs)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(secret: &str) -> SharedSlot {
        SharedSlot::new("https://api.clerk.com/v1/jwks", &Secret::new(secret))
    }

    #[test]
    fn the_cache_key_names_the_url_and_a_hash_never_the_secret() {
        let s = slot("sk_test_secret_value");
        assert!(s
            .key
            .starts_with("https://api.clerk.com/v1/jwks?clerk_m2m_edge_key_set="));
        assert_eq!(
            s.key.len(),
            "https://api.clerk.com/v1/jwks?clerk_m2m_edge_key_set=".len() + 64
        );
        assert!(!s.key.contains("sk_test"));
        assert_ne!(s.key, slot("sk_test_other").key);
        assert!(!format!("{s:?}").contains("mac_key"));
    }

    #[test]
    fn a_sealed_entry_opens_until_its_ttl_and_only_under_its_own_key() {
        let s = slot("sk_test_a");
        let entry = s.seal(1_000, r#"{"keys":[]}"#);
        assert!(entry.starts_with("v1.1000."));
        let opened = s.open(&entry, 1_500, 1_000).map(|e| (e.fetched_at, e.jwks));
        assert_eq!(opened, Some((1_000, r#"{"keys":[]}"#)));
        assert!(s.open(&entry, 2_000, 1_000).is_none(), "expired");
        assert!(
            slot("sk_test_b").open(&entry, 1_500, 1_000).is_none(),
            "another key"
        );
        let future = s.seal(10_000_000, "{}");
        assert!(s.open(&future, 1_000, 1_000).is_none(), "far in the future");
    }

    #[test]
    fn a_tampered_or_malformed_entry_is_rejected() {
        let s = slot("sk_test_a");
        let entry = s.seal(1_000, r#"{"keys":[{"kid":"a"}]}"#);
        let tampered = entry.replace(r#""a""#, r#""b""#);
        assert!(s.open(&tampered, 1_000, 1_000).is_none());
        let retimed = entry.replacen("v1.1000.", "v1.1001.", 1);
        assert!(s.open(&retimed, 1_001, 1_000).is_none());
        for junk in [
            "",
            "v1",
            "v1.",
            "v1.x.y.z",
            "v2.1000.AAAA.{}",
            "v1.1000..{}",
            "v1.1000.!!.{}",
        ] {
            assert!(s.open(junk, 1_000, 1_000).is_none(), "{junk:?}");
        }
    }
}
