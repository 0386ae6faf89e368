//! jwt-compact as an independent oracle of the signature checks: for every token of a native corpus (valid,
//! tampered, wrong algorithm, wrong key; 2048- to 4096-bit keys and e = 3; tokens jwt-compact mints itself),
//! the core's verdict on the signature equals jwt-compact's `Rsa::rsXXX().validator(&key).validate(&token)`.
//! Only the signature verdicts are compared: the claim checks differ by design (docs/compat.md, "Why not
//! jwt-compact"), and so do the header checks that come before the signature (`cat`, `typ`).
//!
//! What is independent: jwt-compact parses the token (its base64url, its typed header and claims) and takes
//! the hash from the header's `alg`; its key comes from the SPKI PEM through the `rsa` crate, while the core
//! reads the same key from a JWK (no `alg`, so RS384/RS512 are allowed) with its own parser, and checks the
//! signature through its `rust-crypto` verifier. What is shared: the RSA arithmetic of the `rsa` crate, which
//! the Wycheproof vectors cover (`jwt_wycheproof.rs`).
#![cfg(feature = "rust-crypto")]

mod jwt_common;

use std::fmt;

use clerk_m2m_core::jwt::{verify_m2m_jwt, JwtOptions, VerifyCallOptions};
use clerk_m2m_core::{Error, VerificationError};
use jwt_common::*;
use jwt_compact::alg::Rsa;
use jwt_compact::{AlgorithmExt, Claims, Header, UntrustedToken, ValidationError};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// What one side concluded about a token's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Valid,
    Invalid,
    /// The token stopped before its signature was checked (its form, its header, an `alg` outside
    /// RS256/RS384/RS512).
    NotChecked,
}

/// A key the corpus signs with and verifies against.
struct Key {
    name: &'static str,
    signer: JwtSigner,
    private_pem: &'static str,
    public_pem: &'static str,
}

impl Key {
    fn new(name: &'static str, private_pem: &'static str, public_pem: &'static str) -> Self {
        Self {
            name,
            signer: JwtSigner::from_pem(private_pem),
            private_pem,
            public_pem,
        }
    }
}

/// One corpus token and the key it is verified against.
struct Case {
    family: &'static str,
    name: String,
    token: String,
    /// Families whose tokens are well-formed for both sides by construction: both must check them.
    both_check: bool,
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.family, self.name)
    }
}

fn payload() -> Value {
    m2m_payload()
}

fn m2m_header(alg: &str) -> Value {
    json!({"alg": alg, "typ": "JWT", "kid": KID, "cat": CAT_M2M})
}

/// `<header>.<payload>` signed with `hash` (`RS256`/`RS384`/`RS512`), whatever the header says.
fn sign_as(signer: &JwtSigner, header: &Value, payload: &Value, hash: &str) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let signature = signer.sign_bytes(hash, input.as_bytes());
    format!("{input}.{}", b64(&signature))
}

fn segments(token: &str) -> [String; 3] {
    let parts: Vec<&str> = token.split('.').collect();
    [parts[0].into(), parts[1].into(), parts[2].into()]
}

/// `s` with its character at `at` replaced by the next one of the base64url alphabet.
fn flip(s: &str, at: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bytes = s.as_bytes().to_vec();
    let at = at % bytes.len();
    let i = ALPHABET.iter().position(|c| *c == bytes[at]).unwrap();
    bytes[at] = ALPHABET[(i + 1) % ALPHABET.len()];
    String::from_utf8(bytes).unwrap()
}

/// Clerk's M2M header fields beyond JOSE's, for tokens jwt-compact mints.
#[derive(Serialize)]
struct M2mFields {
    cat: &'static str,
}

fn minted_by_jwt_compact(key: &Key, alg: Rsa) -> String {
    let private = rsa::RsaPrivateKey::from_pkcs8_pem(key.private_pem).unwrap();
    let header = Header::new(M2mFields { cat: CAT_M2M })
        .with_key_id(KID)
        .with_token_type("JWT");
    let custom: Map<String, Value> = payload().as_object().cloned().unwrap();
    alg.token(&header, &Claims::new(custom), &private).unwrap()
}

/// The corpus for tokens verified against `key`; `other` is a different key of the same size (or not).
fn corpus(key: &Key, other: &Key) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut add = |family: &'static str, name: String, token: String, both_check: bool| {
        cases.push(Case {
            family,
            name: format!("{} {name}", key.name),
            token,
            both_check,
        })
    };
    let signer = &key.signer;
    for alg in ["RS256", "RS384", "RS512"] {
        let header = m2m_header(alg);
        add("valid", alg.into(), signer.sign(&header, &payload()), true);
        let mut no_typ = header.clone();
        no_typ.as_object_mut().unwrap().remove("typ");
        add(
            "valid",
            format!("{alg}, no typ"),
            signer.sign(&no_typ, &payload()),
            true,
        );
        let custom = json!({"sub": "mch_1", "exp": T + 60, "role": "svc", "n": [1, 2.5, null]});
        add(
            "valid",
            format!("{alg}, custom claims"),
            signer.sign(&header, &custom),
            true,
        );

        add(
            "wrong-key",
            alg.into(),
            other.signer.sign(&header, &payload()),
            true,
        );
        for hash in ["RS256", "RS384", "RS512"]
            .into_iter()
            .filter(|h| *h != alg)
        {
            add(
                "wrong-alg",
                format!("header {alg}, signed {hash}"),
                sign_as(signer, &header, &payload(), hash),
                true,
            );
        }

        let good = signer.sign(&header, &payload());
        let [h, p, s] = segments(&good);
        for at in [0, 1, 17, 100, 200, 300] {
            add(
                "tampered-signature",
                format!("{alg}, char {at}"),
                format!("{h}.{p}.{}", flip(&s, at)),
                true,
            );
        }
        let mut changed = payload();
        changed["sub"] = json!("mch_attacker");
        add(
            "tampered-payload",
            format!("{alg}, re-encoded sub"),
            format!("{h}.{}.{s}", b64(changed.to_string().as_bytes())),
            true,
        );
        changed = payload();
        changed["exp"] = json!(T + 86_400);
        add(
            "tampered-payload",
            format!("{alg}, re-encoded exp"),
            format!("{h}.{}.{s}", b64(changed.to_string().as_bytes())),
            true,
        );
        let mut other_kid = header.clone();
        other_kid["kid"] = json!("ins_other");
        add(
            "tampered-header",
            format!("{alg}, re-encoded kid"),
            format!("{}.{p}.{s}", b64(other_kid.to_string().as_bytes())),
            true,
        );
        // Character flips anywhere: some break the base64 or the JSON, or change `alg`/`typ`/`cat`, and
        // stop one side or both before the signature.
        for at in [0, 3, 10, 25, 40, 60, 77] {
            add(
                "flipped-header",
                format!("{alg}, char {at}"),
                format!("{}.{p}.{s}", flip(&h, at)),
                false,
            );
            add(
                "flipped-payload",
                format!("{alg}, char {at}"),
                format!("{h}.{}.{s}", flip(&p, at)),
                false,
            );
        }
        add(
            "minted-by-jwt-compact",
            alg.into(),
            minted_by_jwt_compact(key, Rsa::with_name(alg)),
            true,
        );
    }
    let good = signer.sign(&m2m_header("RS256"), &payload());
    let [h, p, s] = segments(&good);
    let modulus_len = signer.public().n.len();
    let modulus = signer.public().n;
    // An empty signature segment is not a JWT to the core (E22), while jwt-compact checks it.
    add("bad-signature", "empty".into(), format!("{h}.{p}."), false);
    for (name, signature) in [
        ("one byte", vec![1]),
        ("zeros", vec![0; modulus_len]),
        ("ones", vec![0xff; modulus_len]),
        ("the modulus", modulus.clone()),
        ("one byte short", {
            let mut sig = signature_bytes(&s);
            sig.pop();
            sig
        }),
        ("a leading zero byte more", {
            let mut sig = vec![0];
            sig.extend(signature_bytes(&s));
            sig
        }),
    ] {
        add(
            "bad-signature",
            name.into(),
            format!("{h}.{p}.{}", b64(&signature)),
            true,
        );
    }
    add(
        "bad-signature",
        "another token's".into(),
        format!(
            "{h}.{p}.{}",
            segments(&signer.sign(&m2m_header("RS256"), &json!({"sub": "mch_2"})))[2]
        ),
        true,
    );
    // Algorithms outside the allow-list: neither side checks them.
    for alg in ["PS256", "PS512"] {
        add(
            "other-alg",
            alg.into(),
            minted_by_jwt_compact(key, Rsa::with_name(alg)),
            false,
        );
    }
    for alg in ["HS256", "none", "rs256", ""] {
        let header = m2m_header(alg);
        add(
            "other-alg",
            format!("{alg:?}"),
            sign_as(signer, &header, &payload(), "RS256"),
            false,
        );
    }
    cases
}

fn signature_bytes(segment: &str) -> Vec<u8> {
    <base64ct::Base64UrlUnpadded as base64ct::Encoding>::decode_vec(segment).unwrap()
}

/// The core's verdict: the pipeline with `jwt_key` (a JWK of the key, no `alg`) at the fixtures' time.
fn core_verdict(token: &str, jwt_key: &str) -> Verdict {
    let fake = Fake::new();
    let config = jwt_key_config(jwt_key);
    // A fresh verified-token cache per token: every token reaches the signature check.
    let opts = JwtOptions::default();
    let result = block_on(verify_m2m_jwt(
        &fake,
        &config,
        &opts,
        token,
        &VerifyCallOptions::default(),
    ));
    let reason = match &result {
        Err(Error::Verification(VerificationError { reason, .. })) => Some(*reason),
        _ => None,
    };
    match (fake.verifier_calls.get(), reason) {
        // Also a signature that cannot be the key's length, refused before the RSA check.
        (_, Some("invalid-signature")) => Verdict::Invalid,
        (0, _) => Verdict::NotChecked,
        // The check itself failed (a key the `rsa` crate refuses): no verdict.
        (_, Some("signature-error")) => Verdict::NotChecked,
        // Checked and accepted: whatever came after is the claim checks'.
        _ => Verdict::Valid,
    }
}

/// jwt-compact's verdict, with the key read from its SPKI PEM by the `rsa` crate.
fn oracle_verdict(token: &str, key: &rsa::RsaPublicKey) -> Verdict {
    let Ok(untrusted) = UntrustedToken::new(token) else {
        return Verdict::NotChecked;
    };
    let alg = match untrusted.algorithm() {
        "RS256" => Rsa::rs256(),
        "RS384" => Rsa::rs384(),
        "RS512" => Rsa::rs512(),
        _ => return Verdict::NotChecked,
    };
    match alg
        .validator::<Map<String, Value>>(key)
        .validate(&untrusted)
    {
        Ok(_) => Verdict::Valid,
        Err(ValidationError::InvalidSignature) => Verdict::Invalid,
        // Claims it cannot deserialize: jwt-compact reads them before the signature.
        Err(_) => Verdict::NotChecked,
    }
}

#[test]
fn the_core_and_jwt_compact_agree_on_every_signature() {
    let keys = [
        Key::new("rsa2048", RSA2048_KEY, RSA2048_PUB),
        Key::new("rsa2048b", RSA2048B_KEY, RSA2048B_PUB),
        Key::new("rsa2048e3", RSA2048E3_KEY, RSA2048E3_PUB),
        Key::new("rsa3072", RSA3072_KEY, RSA3072_PUB),
        Key::new("rsa4096", RSA4096_KEY, RSA4096_PUB),
    ];
    let mut disagreements = Vec::new();
    let mut one_side_only = Vec::new();
    let mut counts = std::collections::BTreeMap::<(Verdict, Verdict), usize>::new();
    let mut total = 0;
    for (i, key) in keys.iter().enumerate() {
        // The other key: the next one (a 2048-bit key signs for a 2048-bit one at least once).
        let other = &keys[(i + 1) % keys.len()];
        let jwt_key = key.signer.jwk(KID, None).to_string();
        let public = rsa::RsaPublicKey::from_public_key_pem(key.public_pem).unwrap();
        for case in corpus(key, other) {
            total += 1;
            let ours = core_verdict(&case.token, &jwt_key);
            let oracle = oracle_verdict(&case.token, &public);
            *counts.entry((ours, oracle)).or_default() += 1;
            let both_checked = ours != Verdict::NotChecked && oracle != Verdict::NotChecked;
            if both_checked && ours != oracle {
                disagreements.push(format!("{case}: core {ours:?}, jwt-compact {oracle:?}"));
            }
            if case.both_check && !both_checked {
                one_side_only.push(format!("{case}: core {ours:?}, jwt-compact {oracle:?}"));
            }
        }
    }
    eprintln!("{total} tokens; (core, jwt-compact) verdicts: {counts:?}");
    assert!(
        disagreements.is_empty(),
        "signature verdicts differ:\n{}",
        disagreements.join("\n")
    );
    assert!(
        one_side_only.is_empty(),
        "well-formed tokens that one side did not check:\n{}",
        one_side_only.join("\n")
    );
    let agreed = |v: Verdict| counts.get(&(v, v)).copied().unwrap_or(0);
    assert!(
        agreed(Verdict::Valid) >= 50 && agreed(Verdict::Invalid) >= 100,
        "{counts:?}"
    );
}
