//! Shared helpers: start a server in-process, a minimal HTTP/1.1 client, key lookups.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use bytes::Bytes;
use clerk_local_bapi::{serve, Config, RunningServer, ServerInfo};
use http_body_util::{BodyExt, Full};
use hyper::header::HeaderMap;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpStream;

pub struct Bapi {
    pub server: RunningServer,
    pub info: ServerInfo,
}

impl Bapi {
    pub async fn start(seed: u64) -> Self {
        let server = serve(Config {
            seed: Some(seed),
            ..Config::default()
        })
        .await
        .unwrap();
        let info = server.info().clone();
        Self { server, info }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    pub fn sk(&self) -> &str {
        &self.info.secret_key
    }

    /// Secret key of machine 0 (A), 1 (B) or 2 (C).
    pub fn key(&self, i: usize) -> &str {
        &self.info.machines[i].secret_key
    }

    pub fn id(&self, i: usize) -> &str {
        &self.info.machines[i].id
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        auth: Option<&str>,
        body: Option<&str>,
    ) -> Resp {
        send(self.addr(), method, path, auth, body, &[])
            .await
            .unwrap()
    }

    pub async fn admin(&self, method: &str, path: &str, body: Value) -> Resp {
        let body = body.to_string();
        self.call(method, &format!("/__admin{path}"), None, Some(&body))
            .await
    }

    /// Creates an opaque or JWT token with machine `i`; asserts 201.
    pub async fn create(&self, i: usize, body: Value) -> Value {
        let res = self
            .call(
                "POST",
                "/m2m_tokens",
                Some(self.key(i)),
                Some(&body.to_string()),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()
    }

    pub async fn verify(&self, auth: &str, token: &str) -> Resp {
        let body = json!({ "token": token }).to_string();
        self.call("POST", "/m2m_tokens/verify", Some(auth), Some(&body))
            .await
    }

    pub async fn list(&self, auth: &str, query: &str) -> Resp {
        self.call("GET", &format!("/m2m_tokens?{query}"), Some(auth), None)
            .await
    }

    pub async fn set_clock(&self, offset_ms: i64) {
        let res = self
            .admin("POST", "/clock", json!({ "offset_ms": offset_ms }))
            .await;
        assert_eq!(res.status, 200);
    }

    pub async fn jwks(&self) -> Value {
        let res = self.call("GET", "/v1/jwks", Some(self.sk()), None).await;
        assert_eq!(res.status, 200, "{}", res.text());
        res.json()
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Time until the response headers arrived.
    pub head_after: Duration,
    /// Time until the whole body arrived.
    pub body_after: Duration,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a Clerk error: status, `errors[0].code`, the full shape; returns `errors[0]`.
    pub fn clerk_error(&self, status: u16, code: &str) -> Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        let err = body["errors"][0].clone();
        assert_eq!(err["code"], code, "{body}");
        assert!(
            err["message"].is_string() && err["long_message"].is_string(),
            "{body}"
        );
        assert!(err["meta"].is_object(), "{body}");
        let trace = body["clerk_trace_id"].as_str().unwrap();
        assert!(!trace.is_empty());
        err
    }
}

/// One request on a fresh connection.
pub async fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Result<Resp, String> {
    let start = Instant::now();
    let stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json");
    if let Some(auth) = auth {
        req = req.header("authorization", format!("Bearer {auth}"));
    }
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req
        .body(Full::new(Bytes::from(body.unwrap_or("").to_owned())))
        .map_err(|e| e.to_string())?;
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let head_after = start.elapsed();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok(Resp {
        status,
        headers,
        body,
        head_after,
        body_after: start.elapsed(),
    })
}

pub fn b64json(segment: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(segment).unwrap()).unwrap()
}

/// Splits a JWT into (header, payload).
pub fn jwt_parts(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    (b64json(parts[0]), b64json(parts[1]))
}

/// Verifies an RS256 JWT against a JWKS document (the key picked by `kid`).
pub fn verify_with_jwks(jwt: &str, jwks: &Value) -> bool {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use rsa::{BigUint, RsaPublicKey};
    let (header, _) = jwt_parts(jwt);
    let Some(jwk) = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
    else {
        return false;
    };
    assert_eq!(jwk["kty"], "RSA");
    assert_eq!(jwk["alg"], "RS256");
    assert_eq!(jwk["use"], "sig");
    let n = BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap()).unwrap());
    let e = BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<sha2::Sha256>::new(RsaPublicKey::new(n, e).unwrap());
    let (input, sig) = jwt.rsplit_once('.').unwrap();
    let sig = Signature::try_from(URL_SAFE_NO_PAD.decode(sig).unwrap().as_slice()).unwrap();
    key.verify(input.as_bytes(), &sig).is_ok()
}

pub fn is_token_id(s: &str) -> bool {
    s.len() == 35 && s.starts_with("mt_") && s[3..].bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn is_machine_id(s: &str) -> bool {
    s.len() == 31
        && s.starts_with("mch_")
        && s[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}
