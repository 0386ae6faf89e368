#!/usr/bin/env python3
"""Writes the hand-made seed inputs of every fuzz target into fuzz/corpus/<target>/seed-*.

Run once (it is idempotent); `scripts/fuzz` and `cargo fuzz cmin` then grow and minimise the corpus.
Tokens are signed with the test key crates/core/tests/fixtures/rsa2048.key.pem (openssl), and API bodies
follow the examples of crates/local-bapi/openapi/bapi-2026-05-12.yml. The input layouts are documented in
crates/fuzz-support/src/.
"""
import base64
import json
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/core/tests/fixtures"
CORPUS = ROOT / "fuzz/corpus"
NOW_S = 1_666_648_250  # REFERENCE_NOW_MS / 1000


def b64u(b: bytes) -> str:
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sign(header: dict, payload: dict, key: str = "rsa2048.key.pem", digest: str = "sha256") -> str:
    signing_input = f"{b64u(json.dumps(header, separators=(',', ':')).encode())}." \
                    f"{b64u(json.dumps(payload, separators=(',', ':')).encode())}"
    sig = subprocess.run(
        ["openssl", "dgst", f"-{digest}", "-sign", str(FIXTURES / key)],
        input=signing_input.encode(), capture_output=True, check=True).stdout
    return f"{signing_input}.{b64u(sig)}"


def write(target: str, name: str, data) -> None:
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / f"seed-{name}").write_bytes(data)


M2M_HEADER = {"alg": "RS256", "kid": "ins_fuzz", "typ": "JWT", "cat": "cl_B7d4PD333AAA"}
M2M_PAYLOAD = {
    "iss": "https://clerk.m2m.example.test",
    "sub": "mch_2vYVtestTESTtestTESTtestTESTtest",
    "aud": ["mch_1xxxxx", "mch_2xxxxx"],
    "exp": NOW_S + 300, "iat": NOW_S, "nbf": NOW_S - 10,
    "jti": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE",
}
TOKENS = {
    "m2m": sign(M2M_HEADER, M2M_PAYLOAD),
    "m2m-scopes": sign(M2M_HEADER, {**M2M_PAYLOAD, "scopes": "mch_a mch_b", "role": "service"}),
    "m2m-rs384": sign({**M2M_HEADER, "alg": "RS384"}, M2M_PAYLOAD, digest="sha384"),
    "m2m-expired": sign(M2M_HEADER, {**M2M_PAYLOAD, "exp": NOW_S - 60}),
    "m2m-other-key": sign(M2M_HEADER, M2M_PAYLOAD, key="rsa2048b.key.pem"),
    "oauth": sign({"alg": "RS256", "typ": "at+jwt"}, {"sub": "user_1", "exp": NOW_S + 300}),
    "session": sign({"alg": "RS256", "cat": "cl_B7d4PD111AAA"}, {"sub": "user_1", "exp": NOW_S + 300}),
}

# token_parse: the raw token text, and `header 0xff payload 0xff signature` (encoded by the harness).
for name, token in TOKENS.items():
    write("token_parse", name, token)
for name, text in {
    "opaque": "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE", "oat": "oat_abc", "ak": "ak_abc",
    "shape": "a.b.c", "two-parts": "invalid.jwt", "four-parts": "a.b.c.d", "padded": "e30=.e30.c2ln",
    "trailing-bits": "e31.e30.c2ln",
}.items():
    write("token_parse", name, text)
write("token_parse", "segments", b'{"alg":"RS256"}\xff{"sub":"mch_1","exp":1e308}\xffsig')

# jwt_verify raw mode: [flags, ratio-byte (1: no random clock), clock index (0: reference now),
# ratio-byte (1: frozen clock)] + [number of scripted JWKS responses (0: the fixture JWKS), ratio-byte
# (1: no concurrent second call); only with key source 3] + token.
# flags: bits 0-1 verdict, 2-3 key source, 4 structured, 5 verify twice.
def raw(flags: int, token: str, concurrent: bool = False) -> bytes:
    remote = (flags >> 2) & 3 == 3
    extra = ([0, 0, 1, 1, 1] if concurrent else [0, 1]) if remote else []
    return bytes([flags, 1, 0, 1] + extra) + token.encode()

write("jwt_verify", "real-pem", raw(0b0000_0011, TOKENS["m2m"]))
write("jwt_verify", "real-jwks-twice", raw(0b0010_0111, TOKENS["m2m-scopes"]))
write("jwt_verify", "real-jwk-rs384", raw(0b0000_1011, TOKENS["m2m-rs384"]))
write("jwt_verify", "real-remote", raw(0b0000_1111, TOKENS["m2m"]))
write("jwt_verify", "real-remote-concurrent", raw(0b0000_1111, TOKENS["m2m"], concurrent=True))
write("jwt_verify", "valid-expired", raw(0b0000_0000, TOKENS["m2m-expired"]))
write("jwt_verify", "invalid-other-key", raw(0b0000_0001, TOKENS["m2m-other-key"]))
write("jwt_verify", "throws", raw(0b0000_0010, TOKENS["m2m"]))
write("jwt_verify", "oauth-routes-to-bapi", raw(0b0000_0000, TOKENS["oauth"]))
write("jwt_verify", "opaque", raw(0b0000_0000, "mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE"))
# Structured mode: the bytes after the flags drive the generator; a few fixed patterns to start from.
for i, flags in enumerate([0x10, 0x30, 0x50, 0x90, 0xD0, 0x1C, 0x13, 0x14, 0x18]):
    pattern = bytes((i * 37 + j * 11) % 256 for j in range(300))
    write("jwt_verify", f"structured-{i}", bytes([flags]) + pattern)

# jwks_parse: every fixture key, as PEM, JWK, JWKS, bare base64 and raw DER.
for pem in sorted(FIXTURES.glob("*.pem")):
    text = pem.read_text()
    if "PRIVATE" in text and pem.name != "rsa2048.key.pem":
        continue  # one private key is enough to exercise the refusal
    write("jwks_parse", pem.name, text)
    if "PRIVATE" not in text:
        body = "".join(l for l in text.splitlines() if not l.startswith("-----"))
        if "RSA PUBLIC" not in text:
            write("jwks_parse", pem.stem + ".b64", body)
        write("jwks_parse", pem.stem + ".der", base64.b64decode(body))
        write("jwks_parse", pem.stem + ".env", text.replace("\n", "\\n"))
pub_der = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(FIXTURES / "rsa2048.pub.pem"),
                          "-outform", "DER"], capture_output=True, check=True).stdout
modulus = subprocess.run(["openssl", "pkey", "-pubin", "-in", str(FIXTURES / "rsa2048.pub.pem"),
                          "-noout", "-text"], capture_output=True, check=True, text=True).stdout
hexdigits = "".join(l.strip() for l in modulus.split("Modulus:")[1].split("Exponent")[0].splitlines())
n = bytes.fromhex(hexdigits.replace(":", "")).lstrip(b"\0")
jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "ins_fuzz", "n": b64u(n), "e": "AQAB"}
write("jwks_parse", "jwk.json", json.dumps(jwk))
write("jwks_parse", "jwks.json", json.dumps({"keys": [jwk, {"kty": "EC", "kid": "ec"}, {**jwk, "kid": "b", "e": "Aw"}]}))
write("jwks_parse", "jwks-empty.json", '{"keys":[]}')
write("jwks_parse", "rsa2048.split", bytes([3]) + n + b"\x01\x00\x01")

# bapi_decode: HTTP-like responses (status line, headers, blank line, body) and bare bodies.
TOKEN = {
    "object": "machine_to_machine_token", "id": "mt_f7f0ba8c3b4843ce7d85fcdd5e71853e",
    "subject": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "claims": {"important_metadata": "Some useful data"},
    "scopes": ["mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "mch_2yGkLpQ7Y3rXSwtU24CzTk9I7Em"],
    "token": "mt_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "revoked": False, "revocation_reason": None,
    "expired": False, "expiration": 1716883200000, "last_used_at": 1716883200000,
    "created_at": 1716883200000, "updated_at": 1716883200000,
}
ERRORS = {"errors": [{"message": "Bad Request", "long_message": "subject is invalid", "code": "form_param_invalid",
                      "meta": {"param_name": "subject"}}], "clerk_trace_id": "trace_1"}


def http(status: str, headers: dict, body) -> str:
    head = "\n".join([status] + [f"{k}: {v}" for k, v in headers.items()])
    return f"{head}\n\n{body if isinstance(body, str) else json.dumps(body)}"


JSON = {"content-type": "application/json"}
write("bapi_decode", "create-201", http("201 Created", JSON, TOKEN))
write("bapi_decode", "verify-200", http("200 OK", JSON, {k: v for k, v in TOKEN.items() if k != "token"}))
write("bapi_decode", "list-200", http("200", JSON, {"data": [TOKEN], "total_count": 1}))
write("bapi_decode", "list-m2m-tokens", http("200", {"content-type": "application/json; charset=utf-8"},
                                              {"m2m_tokens": [TOKEN, TOKEN], "total_count": 2}))
write("bapi_decode", "list-bare-array", json.dumps([TOKEN]))
write("bapi_decode", "error-400", http("400 Bad Request", JSON, ERRORS))
write("bapi_decode", "error-401-key", http("401", {**JSON, "cf-ray": "8f00-FRA"},
                                           {"errors": [{"code": "clerk_key_invalid", "message": "Invalid secret key"}]}))
write("bapi_decode", "error-429", http("429 Too Many Requests", {**JSON, "retry-after": "2"}, ERRORS))
write("bapi_decode", "error-503-date", http("503", {"content-type": "text/html", "retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, "<html>"))
write("bapi_decode", "no-content", http("204 No Content", {}, ""))
write("bapi_decode", "jwks-200", http("200", JSON, {"keys": [jwk]}))
write("bapi_decode", "bad-json", http("200", JSON, '{"object":'))

# params: JSON values (objects of each call, client options, [options, env, process.env]).
for name, value in {
    "list": {"subject": "mch_1", "revoked": False, "expired": True, "limit": 5, "offset": 0, "timeoutMs": 1000},
    "create": {"tokenFormat": "jwt", "secondsUntilExpiration": 60, "claims": {"a": [1, 1.5, None]},
               "minRemainingTtlSeconds": 10, "machineSecretKey": "ak_x"},
    "revoke": {"m2mTokenId": "mt_1/../x?y", "revocationReason": "line\nbreak"},
    "verify": {"token": "mt_abc", "audience": ["mch_me", ""], "clockSkewInMs": 1e308, "skipJwksCache": True},
    "options": {"secretKey": "sk_test_x", "apiUrl": "http://[::1]:8080/bapi/", "apiVersion": "v1",
                "userAgent": "ua/1", "timeoutMs": 0, "allowInsecureHttp": False,
                "retry": {"maxAttempts": 10, "baseDelayMs": 60000, "maxDelayMs": 0, "budgetMs": 600000},
                "jwksCacheTtlMs": 0, "verifiedTokenCacheSize": 100000, "audience": "mch_me"},
    "env-triple": [{"secretKey": ""}, {"CLERK_SECRET_KEY": "sk_env", "CLERK_API_URL": "https://x.test"},
                   {"CLERK_JWT_KEY": "{\"keys\":[]}"}],
    "numbers": [-0.0, 9007199254740993, 1e21, -1, 2147483648, 4.5],
}.items():
    write("params", name, json.dumps(value))
