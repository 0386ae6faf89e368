//! A minimal, strict DER reader for the two RSA public key encodings a `jwtKey` PEM may hold:
//! SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`) and PKCS#1 RSAPublicKey
//! (`-----BEGIN RSA PUBLIC KEY-----`). Hand-written to keep heavy ASN.1 crates out of the WASM build.
//!
//! Definite lengths only (short form, or long form of 1–4 bytes, minimal), positive minimal INTEGERs, no
//! trailing bytes anywhere.
#![deny(clippy::indexing_slicing)]

const TAG_INTEGER: u8 = 0x02;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_NULL: u8 = 0x05;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// 1.2.840.113549.1.1.1 (`rsaEncryption`), DER content bytes.
const OID_RSA_ENCRYPTION: [u8; 9] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// A cursor over DER bytes.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    fn byte(&mut self) -> Result<u8, String> {
        let (&b, rest) = self
            .rest
            .split_first()
            .ok_or_else(|| "truncated DER".to_owned())?;
        self.rest = rest;
        Ok(b)
    }

    fn length(&mut self) -> Result<usize, String> {
        let first = self.byte()?;
        if first < 0x80 {
            return Ok(usize::from(first));
        }
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return Err("unsupported DER length encoding".to_owned());
        }
        let mut len = 0usize;
        for i in 0..count {
            let b = self.byte()?;
            if i == 0 && b == 0 {
                return Err("non-minimal DER length".to_owned());
            }
            len = (len << 8) | usize::from(b);
        }
        if len < 0x80 {
            return Err("non-minimal DER length".to_owned());
        }
        Ok(len)
    }

    /// Reads one element with tag `tag` and returns its contents.
    fn element(&mut self, tag: u8, what: &str) -> Result<&'a [u8], String> {
        let actual = self.byte()?;
        if actual != tag {
            return Err(["expected ", what, " in DER"].concat());
        }
        let len = self.length()?;
        let Some((contents, rest)) = self.rest.split_at_checked(len) else {
            return Err("truncated DER".to_owned());
        };
        self.rest = rest;
        Ok(contents)
    }

    fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    fn finish(&self, what: &str) -> Result<(), String> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(["trailing bytes after ", what].concat())
        }
    }
}

/// A positive INTEGER's magnitude, big-endian, without the sign byte.
fn unsigned_integer<'a>(r: &mut Reader<'a>, what: &str) -> Result<&'a [u8], String> {
    let bytes = r.element(TAG_INTEGER, what)?;
    match bytes {
        [] => Err(["empty ", what].concat()),
        [b, ..] if b & 0x80 != 0 => Err(["negative ", what].concat()),
        [0, next, ..] if next & 0x80 == 0 => Err(["non-minimal ", what].concat()),
        [0, rest @ ..] if !rest.is_empty() => Ok(rest),
        _ => Ok(bytes),
    }
}

/// PKCS#1 `RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }` → `(n, e)`.
pub(crate) fn parse_pkcs1(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut outer = Reader::new(der);
    let seq = outer.element(TAG_SEQUENCE, "RSAPublicKey SEQUENCE")?;
    outer.finish("RSAPublicKey")?;
    let mut r = Reader::new(seq);
    let n = unsigned_integer(&mut r, "modulus")?;
    let e = unsigned_integer(&mut r, "public exponent")?;
    r.finish("RSAPublicKey fields")?;
    Ok((n.to_vec(), e.to_vec()))
}

/// `SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier { rsaEncryption, NULL? }, BIT STRING }` with an
/// RSAPublicKey inside the BIT STRING → `(n, e)`. Other algorithms (EC, RSASSA-PSS…) are refused.
pub(crate) fn parse_spki(der: &[u8]) -> Result<(Vec<u8>, Vec<u8>), String> {
    let mut outer = Reader::new(der);
    let spki = outer.element(TAG_SEQUENCE, "SubjectPublicKeyInfo SEQUENCE")?;
    outer.finish("SubjectPublicKeyInfo")?;
    let mut r = Reader::new(spki);
    let mut alg = Reader::new(r.element(TAG_SEQUENCE, "AlgorithmIdentifier SEQUENCE")?);
    if alg.element(TAG_OID, "algorithm OID")? != OID_RSA_ENCRYPTION {
        return Err("the public key is not an RSA (rsaEncryption) key".to_owned());
    }
    if alg.peek_tag() == Some(TAG_NULL) && !alg.element(TAG_NULL, "NULL parameters")?.is_empty() {
        return Err("malformed NULL parameters".to_owned());
    }
    alg.finish("AlgorithmIdentifier")?;
    let bits = r.element(TAG_BIT_STRING, "subjectPublicKey BIT STRING")?;
    r.finish("SubjectPublicKeyInfo fields")?;
    match bits.split_first() {
        Some((0, key)) => parse_pkcs1(key),
        _ => Err("malformed subjectPublicKey BIT STRING".to_owned()),
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

    fn tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = contents.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend([0x81, len as u8]);
        } else {
            out.extend([0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(contents);
        out
    }

    fn pkcs1(n: &[u8], e: &[u8]) -> Vec<u8> {
        let mut body = tlv(TAG_INTEGER, n);
        body.extend(tlv(TAG_INTEGER, e));
        tlv(TAG_SEQUENCE, &body)
    }

    fn spki(key: &[u8], null: bool) -> Vec<u8> {
        let mut alg = tlv(TAG_OID, &OID_RSA_ENCRYPTION);
        if null {
            alg.extend(tlv(TAG_NULL, &[]));
        }
        let mut body = tlv(TAG_SEQUENCE, &alg);
        let mut bits = vec![0u8];
        bits.extend_from_slice(key);
        body.extend(tlv(TAG_BIT_STRING, &bits));
        tlv(TAG_SEQUENCE, &body)
    }

    #[test]
    fn parses_both_encodings_and_strips_the_sign_byte() {
        let mut n = vec![0x00, 0xC1];
        n.extend([0x55; 255]);
        let key = pkcs1(&n, &[0x01, 0x00, 0x01]);
        let (pn, pe) = parse_pkcs1(&key).unwrap();
        assert_eq!(pn.len(), 256);
        assert_eq!(pn.first(), Some(&0xC1));
        assert_eq!(pe, [1, 0, 1]);
        assert_eq!(
            parse_spki(&spki(&key, true)).unwrap(),
            (pn.clone(), pe.clone())
        );
        assert_eq!(parse_spki(&spki(&key, false)).unwrap(), (pn, pe));
    }

    #[test]
    fn refuses_malformed_der() {
        let good = pkcs1(&[0x00, 0xC1, 0x01], &[0x03]);
        // Truncated at every length.
        for cut in 0..good.len() {
            assert!(parse_pkcs1(good.get(..cut).unwrap()).is_err(), "cut {cut}");
        }
        // Trailing bytes.
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(parse_pkcs1(&trailing).is_err());
        // Negative and non-minimal integers.
        assert!(parse_pkcs1(&pkcs1(&[0xC1, 0x01], &[0x03])).is_err());
        assert!(parse_pkcs1(&pkcs1(&[0x00, 0x41], &[0x03])).is_err());
        assert!(parse_pkcs1(&pkcs1(&[], &[0x03])).is_err());
        // Indefinite and non-minimal lengths.
        assert!(parse_pkcs1(&[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00]).is_err());
        assert!(parse_pkcs1(&[0x30, 0x81, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x03]).is_err());
        assert!(parse_pkcs1(&[0x30, 0x85, 0, 0, 0, 0, 6]).is_err());
        // Huge declared length.
        assert!(parse_pkcs1(&[0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]).is_err());
        // Wrong algorithm OID (id-ecPublicKey) and RSASSA-PSS.
        let mut ec = spki(&good, true);
        if let Some(b) = ec.iter_mut().find(|b| **b == 0x2A) {
            *b = 0x2B;
        }
        assert!(parse_spki(&ec).is_err());
        // Non-zero unused-bits byte.
        let mut bad_bits = spki(&good, true);
        let pos = bad_bits.iter().position(|b| *b == TAG_BIT_STRING).unwrap();
        *bad_bits.get_mut(pos + 2).unwrap() = 1;
        assert!(parse_spki(&bad_bits).is_err());
        assert!(parse_spki(&[]).is_err());
        assert!(parse_spki(&good).is_err());
    }
}
