//! Byte-string equality for the hot paths.
#![deny(clippy::indexing_slicing)]

/// `a == b`, eight bytes at a time: in WASM, slice equality is a byte-by-byte `memcmp`, and the verification
/// paths compare whole tokens and PEM texts on every call. Not constant-time (nothing compared is secret).
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let split = a.len() - a.len() % 8;
    let (a_words, a_rest) = a.split_at(split);
    let (b_words, b_rest) = b.split_at(split);
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or_default());
    for (x, y) in a_words.chunks_exact(8).zip(b_words.chunks_exact(8)) {
        if word(x) != word(y) {
            return false;
        }
    }
    a_rest == b_rest
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_is_equality() {
        let texts = [
            "",
            "a",
            "b",
            "abcdefgh",
            "abcdefgi",
            "abcdefghi",
            "abcdefghj",
            "bbcdefgh12345678x",
            "abcdefgh12345678x",
            "abcdefgh12345678y",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(
                    super::same_bytes(a.as_bytes(), b.as_bytes()),
                    a == b,
                    "{a:?} {b:?}"
                );
            }
        }
    }
}
