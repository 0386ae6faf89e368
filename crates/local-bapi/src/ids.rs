//! Identifier and secret generation. Everything derives from one seed so that `--seed N` is reproducible.

use rand::Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

/// The random stream used for identifiers (stream 0 of the seed; RSA keys use streams 1, 2, ...).
pub(crate) fn id_rng(seed: u64) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(0);
    rng
}

fn draw(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}

pub(crate) fn base62(rng: &mut impl Rng, len: usize) -> String {
    draw(rng, BASE62, len)
}

pub(crate) fn hex(rng: &mut impl Rng, len: usize) -> String {
    draw(rng, HEX, len)
}

/// `^mch_\w{27}$`
pub(crate) fn machine_id(rng: &mut impl Rng) -> String {
    format!("mch_{}", base62(rng, 27))
}

/// Machine secret key (`ak_` prefix, as Clerk's machine keys).
pub(crate) fn machine_secret_key(rng: &mut impl Rng) -> String {
    format!("ak_{}", base62(rng, 40))
}

/// Instance secret key.
pub(crate) fn instance_secret_key(rng: &mut impl Rng) -> String {
    format!("sk_test_{}", base62(rng, 40))
}

/// `^mt_[0-9A-Fa-f]{32}$`
pub(crate) fn token_id(rng: &mut impl Rng) -> String {
    format!("mt_{}", hex(rng, 32))
}

/// Opaque token secret: `mt_` and 32 alphanumerics, the shape of the OpenAPI example.
pub(crate) fn token_secret(rng: &mut impl Rng) -> String {
    format!("mt_{}", base62(rng, 32))
}

/// A `clerk_trace_id` for error bodies. Not seeded: it never needs to be reproducible.
pub(crate) fn trace_id() -> String {
    hex(&mut rand::thread_rng(), 32)
}

/// `^mch_\w{27}$` with `\w` = `[A-Za-z0-9_]` (the JavaScript meaning).
pub(crate) fn is_machine_id(s: &str) -> bool {
    s.strip_prefix("mch_").is_some_and(|rest| {
        rest.len() == 27 && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// `^mt_[0-9A-Fa-f]{32}$`
pub(crate) fn is_token_id(s: &str) -> bool {
    s.strip_prefix("mt_")
        .is_some_and(|rest| rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let mut rng = id_rng(7);
        assert!(is_machine_id(&machine_id(&mut rng)));
        assert!(is_token_id(&token_id(&mut rng)));
        assert!(!is_token_id("mt_xyz"));
        assert!(!is_machine_id("mch_short"));
        assert!(!is_machine_id(&format!("mch_{}", "é".repeat(27))));
    }

    #[test]
    fn seeded_is_reproducible() {
        assert_eq!(machine_id(&mut id_rng(1)), machine_id(&mut id_rng(1)));
        assert_ne!(machine_id(&mut id_rng(1)), machine_id(&mut id_rng(2)));
    }
}
