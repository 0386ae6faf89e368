//! Unpadded base64url with lookup tables. JWT segments and JWK numbers are public data, so the constant-time
//! decoder of `base64ct` bought nothing here and cost a fifth of a verification.
#![deny(clippy::indexing_slicing)]

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// 0..=63 for the alphabet `A-Z a-z 0-9 - _`, 0xFF for everything else.
// Evaluated at compile time: an out-of-range index would fail the build, never run.
#[allow(clippy::indexing_slicing)]
const TABLE: [u8; 256] = {
    let mut t = [0xFF_u8; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Encodes bytes as unpadded base64url (e.g. a JWK's `n` and `e` for a WebCrypto key import).
pub fn encode(bytes: &[u8]) -> String {
    let symbol = |n: u32| char::from(ALPHABET.get((n & 63) as usize).copied().unwrap_or(b'A'));
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..=chunk.len() {
            out.push(symbol(n >> (18 - 6 * i)));
        }
    }
    out
}

/// Decodes canonical unpadded base64url: a character outside the alphabet, a length of 1 mod 4 and non-zero
/// trailing bits are errors (as in the reference's "loose" decoder and in `base64ct`).
pub fn decode(s: &str) -> Option<Vec<u8>> {
    decode_bytes(s.as_bytes())
}

/// [`decode`] of bytes (which need not be UTF-8: a non-ASCII byte is outside the alphabet).
pub(crate) fn decode_bytes(bytes: &[u8]) -> Option<Vec<u8>> {
    let (full, rest) = (bytes.len() / 4, bytes.len() % 4);
    // 2 trailing chars carry 1 byte (+ 4 zero bits), 3 carry 2 bytes (+ 2 zero bits); 1 cannot occur.
    let (tail_bytes, spare_bits) = match rest {
        0 => (0, 0),
        2 => (1, 4),
        3 => (2, 2),
        _ => return None,
    };
    let lookup = |c: u8| u32::from(TABLE.get(usize::from(c)).copied().unwrap_or(0xFF));
    let mut out = vec![0u8; full * 3 + tail_bytes];
    let (body, tail) = out.split_at_mut(full * 3);
    let mut chunks = bytes.chunks_exact(4);
    for (dst, src) in body.chunks_exact_mut(3).zip(&mut chunks) {
        let (&[a, b, c, d], [x, y, z]) = (src, dst) else {
            return None;
        };
        let (a, b, c, d) = (lookup(a), lookup(b), lookup(c), lookup(d));
        // 0xFF (not in the alphabet) is the only value with either of the two high bits set.
        if (a | b | c | d) & 0xC0 != 0 {
            return None;
        }
        let n = (a << 18) | (b << 12) | (c << 6) | d;
        (*x, *y, *z) = ((n >> 16) as u8, (n >> 8) as u8, n as u8);
    }
    let mut n: u32 = 0;
    for &c in chunks.remainder() {
        let v = lookup(c);
        if v == 0xFF {
            return None;
        }
        n = (n << 6) | v;
    }
    if n & ((1 << spare_bits) - 1) != 0 {
        return None;
    }
    let n = n >> spare_bits;
    match tail {
        [x] => *x = n as u8,
        [x, y] => (*x, *y) = ((n >> 8) as u8, n as u8),
        _ => {}
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::{decode, encode};
    use base64ct::{Base64UrlUnpadded, Encoding};

    #[test]
    fn agrees_with_base64ct_on_every_length_and_byte() {
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + len * 11) as u8).collect();
            let text = Base64UrlUnpadded::encode_string(&data);
            assert_eq!(encode(&data), text);
            assert_eq!(decode(&text), Some(data), "{text}");
        }
        for b in 0..=255u8 {
            let text = Base64UrlUnpadded::encode_string(&[b, b ^ 0x5a]);
            assert_eq!(decode(&text), Some(vec![b, b ^ 0x5a]));
        }
    }

    #[test]
    fn rejects_what_the_reference_rejects() {
        for bad in [
            "a", "abcde", "ab=c", "ab+c", "ab/c", "a b", "ab\u{e9}", "AB", "ABC", "AAB", "AAAAB",
        ] {
            let ours = decode(bad);
            let reference = Base64UrlUnpadded::decode_vec(bad).ok();
            assert_eq!(ours, reference, "{bad:?}");
        }
        assert_eq!(decode("AA"), Some(vec![0]));
        assert_eq!(decode("AAA"), Some(vec![0, 0]));
        assert_eq!(decode(""), Some(vec![]));
    }
}
