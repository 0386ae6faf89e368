//! The HTTP server: accept loop, per-connection handling (so a fault can drop a connection), dispatch,
//! request log, faults and graceful shutdown.

use std::convert::Infallible;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;

use crate::error::{error_body, ApiError};
use crate::fault::FaultKind;
use crate::log::LogEntry;
use crate::reply::{self, Body, Reply};
use crate::state::{stopped, State};
use crate::store::Machine;
use crate::sync::read;
use crate::{admin, m2m, machines};

/// Largest request body accepted.
const MAX_BODY: usize = 1 << 20;

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Must be a loopback address.
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// Makes every id, secret and RSA key reproducible; `None` draws a random seed.
    pub seed: Option<u64>,
    /// How long in-flight requests may run on after shutdown begins.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            seed: None,
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// The JSON line printed at start-up (and served by `GET /__admin/info`).
#[derive(Debug, Clone, Serialize)]
pub struct ServerInfo {
    pub url: String,
    #[serde(rename = "secretKey")]
    pub secret_key: String,
    pub machines: Vec<MachineInfo>,
    pub kid: String,
    /// The `instance_id` of every machine in the machines routes (`ins_…`).
    #[serde(rename = "instanceId")]
    pub instance_id: String,
}

/// A machine in [`ServerInfo`].
#[derive(Debug, Clone, Serialize)]
pub struct MachineInfo {
    pub id: String,
    pub name: String,
    #[serde(rename = "secretKey")]
    pub secret_key: String,
    pub scopes: Vec<String>,
}

impl From<&Machine> for MachineInfo {
    fn from(m: &Machine) -> Self {
        Self {
            id: m.id.clone(),
            name: m.name.clone(),
            secret_key: m.secret_key.clone(),
            scopes: m.scopes.clone(),
        }
    }
}

pub(crate) fn server_info(state: &State) -> ServerInfo {
    ServerInfo {
        url: state.url.clone(),
        secret_key: state.instance_key.clone(),
        machines: read(&state.machines)
            .all()
            .iter()
            .map(|m| MachineInfo::from(&**m))
            .collect(),
        kid: read(&state.keys).current.0.clone(),
        instance_id: state.instance_id.clone(),
    }
}

/// A server running on the current tokio runtime. Dropping it also shuts it down.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    info: ServerInfo,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> &str {
        &self.info.url
    }

    /// The start-up state: URL, instance key, seeded machines, kid.
    pub fn info(&self) -> &ServerInfo {
        &self.info
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period) and waits.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Binds and starts serving. Returns once the socket accepts connections; RSA keys are generated in the
/// background (JWKS and JWT minting wait for them).
pub async fn serve(config: Config) -> io::Result<RunningServer> {
    if !config.host.is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "refusing to bind {}: only loopback addresses are allowed",
                config.host
            ),
        ));
    }
    let listener = TcpListener::bind((config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let url = match addr.ip() {
        IpAddr::V4(ip) => format!("http://{ip}:{}", addr.port()),
        IpAddr::V6(ip) => format!("http://[{ip}]:{}", addr.port()),
    };
    let seed = config.seed.unwrap_or_else(rand::random);
    let (stop, stop_rx) = watch::channel(false);
    let state = Arc::new(State::new(url, seed, stop_rx.clone()));
    let info = server_info(&state);
    let task = tokio::spawn(accept_loop(listener, state, stop_rx, config.shutdown_grace));
    Ok(RunningServer {
        addr,
        info,
        stop,
        task,
    })
}

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    mut stop: watch::Receiver<bool>,
    grace: Duration,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, state.clone(), stop.clone()));
                }
                // Out of file descriptors and the like: back off instead of spinning.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            },
            () = stopped(&mut stop) => break,
        }
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(grace, drain).await.is_err() {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// Lets a handler close its own connection without answering (`reset` and `hang` faults).
#[derive(Clone)]
struct Connection {
    kill: Arc<Notify>,
}

async fn connection(stream: TcpStream, state: Arc<State>, mut stop: watch::Receiver<bool>) {
    let _ = stream.set_nodelay(true);
    let kill = Arc::new(Notify::new());
    let conn_ctx = Connection { kill: kill.clone() };
    let service = service_fn(move |req| {
        let state = state.clone();
        let ctx = conn_ctx.clone();
        async move { Ok::<_, Infallible>(handle(&state, &ctx, req).await) }
    });
    let conn = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        () = kill.notified() => return,
        () = stopped(&mut stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    tokio::select! {
        _ = conn.as_mut() => {}
        () = kill.notified() => {}
    }
}

/// The Clerk routes, each served with and without the `/v1` prefix.
enum Route<'a> {
    Create,
    List,
    Revoke(&'a str),
    Verify,
    Jwks,
    Machines(MachineRoute<'a>),
    WrongMethod,
    Unknown,
}

/// `/machines…`, named after the `clerkClient.machines` methods of `@clerk/backend`.
enum MachineRoute<'a> {
    List,
    Create,
    Get(&'a str),
    Update(&'a str),
    Delete(&'a str),
    GetSecretKey(&'a str),
    RotateSecretKey(&'a str),
    CreateScope(&'a str),
    DeleteScope(&'a str, &'a str),
}

impl<'a> Route<'a> {
    fn classify(method: &Method, path: &'a str) -> Self {
        let path = path
            .strip_prefix("/v1")
            .filter(|p| p.starts_with('/'))
            .unwrap_or(path);
        let segments: Vec<&str> = path.split('/').skip(1).collect();
        let (route, method_ok) = match segments.as_slice() {
            ["m2m_tokens"] if method == Method::GET => (Route::List, true),
            ["m2m_tokens"] => (Route::Create, method == Method::POST),
            ["m2m_tokens", "verify"] => (Route::Verify, method == Method::POST),
            ["m2m_tokens", id, "revoke"] => (Route::Revoke(id), method == Method::POST),
            ["jwks"] => (Route::Jwks, method == Method::GET),
            ["machines", ..] => match MachineRoute::classify(method, &segments[1..]) {
                Some(Some(route)) => (Route::Machines(route), true),
                Some(None) => (Route::WrongMethod, false),
                None => return Route::Unknown,
            },
            _ => return Route::Unknown,
        };
        if method_ok {
            route
        } else {
            Route::WrongMethod
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Route::Create => "create",
            Route::List => "list",
            Route::Revoke(_) => "revoke",
            Route::Verify => "verify",
            Route::Jwks => "jwks",
            Route::Machines(route) => route.name(),
            Route::WrongMethod | Route::Unknown => "unknown",
        }
    }
}

impl<'a> MachineRoute<'a> {
    /// The segments after `machines`: `None` = no such path, `Some(None)` = the path with another method.
    fn classify(method: &Method, rest: &[&'a str]) -> Option<Option<Self>> {
        let m = method.as_str();
        let route = match (rest, m) {
            ([], "GET") => MachineRoute::List,
            ([], "POST") => MachineRoute::Create,
            ([id], "GET") => MachineRoute::Get(id),
            ([id], "PATCH") => MachineRoute::Update(id),
            ([id], "DELETE") => MachineRoute::Delete(id),
            ([id, "secret_key"], "GET") => MachineRoute::GetSecretKey(id),
            ([id, "secret_key", "rotate"], "POST") => MachineRoute::RotateSecretKey(id),
            ([id, "scopes"], "POST") => MachineRoute::CreateScope(id),
            ([id, "scopes", other], "DELETE") => MachineRoute::DeleteScope(id, other),
            ([] | [_] | [_, "secret_key"] | [_, "secret_key", "rotate"] | [_, "scopes"], _)
            | ([_, "scopes", _], _) => return Some(None),
            _ => return None,
        };
        Some(Some(route))
    }

    fn name(&self) -> &'static str {
        match self {
            MachineRoute::List => "machines.list",
            MachineRoute::Create => "machines.create",
            MachineRoute::Get(_) => "machines.get",
            MachineRoute::Update(_) => "machines.update",
            MachineRoute::Delete(_) => "machines.delete",
            MachineRoute::GetSecretKey(_) => "machines.get_secret_key",
            MachineRoute::RotateSecretKey(_) => "machines.rotate_secret_key",
            MachineRoute::CreateScope(_) => "machines.create_scope",
            MachineRoute::DeleteScope(..) => "machines.delete_scope",
        }
    }

    fn handle(
        self,
        state: &State,
        headers: &HeaderMap,
        query: &str,
        body: &[u8],
    ) -> Result<Reply, ApiError> {
        match self {
            MachineRoute::List => machines::list(state, headers, query),
            MachineRoute::Create => machines::create(state, headers, body),
            MachineRoute::Get(id) => machines::get(state, headers, id),
            MachineRoute::Update(id) => machines::update(state, headers, id, body),
            MachineRoute::Delete(id) => machines::delete(state, headers, id),
            MachineRoute::GetSecretKey(id) => machines::secret_key(state, headers, id),
            MachineRoute::RotateSecretKey(id) => {
                machines::rotate_secret_key(state, headers, id, body)
            }
            MachineRoute::CreateScope(id) => machines::create_scope(state, headers, id, body),
            MachineRoute::DeleteScope(id, other) => {
                machines::delete_scope(state, headers, id, other)
            }
        }
    }
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(ApiError::body_invalid(
            "The request body could not be read or is larger than 1 MiB.",
        )),
    }
}

async fn handle(state: &State, conn: &Connection, req: Request<Incoming>) -> Response<Body> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path();
    let is_admin = path == "/__admin" || path.starts_with("/__admin/");
    if parts.method == Method::OPTIONS {
        if !is_admin {
            state.record(LogEntry::new(
                &parts,
                b"",
                "preflight",
                state.clock.now_ms(),
            ));
        }
        return reply::preflight(&parts.headers).into_response(None);
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(e) => return e.into_reply().into_response(None),
    };
    if is_admin {
        return admin::handle(state, &parts.method, path, &body)
            .await
            .into_response(None);
    }
    let route = Route::classify(&parts.method, path);
    state.record(LogEntry::new(
        &parts,
        &body,
        route.name(),
        state.clock.now_ms(),
    ));
    let fault = match route {
        Route::WrongMethod | Route::Unknown => None,
        _ => state.take_fault(route.name()),
    };
    let mut drip = None;
    match &fault {
        Some(FaultKind::Status { status, errors }) => {
            return status_fault(*status, errors.as_ref())
        }
        Some(FaultKind::RateLimit { retry_after }) => return rate_limited(*retry_after),
        Some(FaultKind::Html { status }) => return html_fault(*status),
        Some(FaultKind::InvalidJson) => {
            return Reply::json_bytes(StatusCode::OK, b"{invalid json".to_vec()).into_response(None)
        }
        Some(FaultKind::Json { status, body }) => return json_fault(*status, body),
        Some(FaultKind::Hang) => {
            state.shutting_down().await;
            conn.kill.notify_one();
            return std::future::pending().await;
        }
        Some(FaultKind::Reset) => {
            conn.kill.notify_one();
            return std::future::pending().await;
        }
        Some(FaultKind::Latency { ms }) => tokio::time::sleep(Duration::from_millis(*ms)).await,
        Some(FaultKind::SlowBody { ms }) => drip = Some(Duration::from_millis(*ms)),
        Some(FaultKind::ContentType { .. } | FaultKind::TruncatedJson) | None => {}
    }
    let query = parts.uri.query().unwrap_or("");
    let headers = &parts.headers;
    let result = match route {
        Route::Create => m2m::create(state, headers, &body).await,
        Route::List => m2m::list(state, headers, query),
        Route::Revoke(id) => m2m::revoke(state, headers, id, &body),
        Route::Verify => m2m::verify(state, headers, &body).await,
        Route::Jwks => m2m::jwks(state, headers).await,
        Route::Machines(route) => route.handle(state, headers, query, &body),
        Route::WrongMethod => Err(ApiError::method_not_allowed()),
        Route::Unknown => Err(ApiError::not_found("The requested resource was not found.")),
    };
    let mut reply = result.unwrap_or_else(ApiError::into_reply);
    match fault {
        Some(FaultKind::ContentType { content_type }) => {
            reply.content_type = HeaderValue::from_str(&content_type).ok();
        }
        Some(FaultKind::TruncatedJson) => reply.body = reply.body.slice(..reply.body.len() / 2),
        _ => {}
    }
    reply.into_response(drip)
}

fn status_fault(status: u16, errors: Option<&serde_json::Value>) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = match errors {
        Some(errors) => error_body(errors),
        None => error_body(&serde_json::json!([{
            "code": "internal_clerk_error",
            "message": "Oops, an unexpected error occurred",
            "long_message": "There was an internal error on our servers. We've been notified and are working on fixing it.",
            "meta": {}
        }])),
    };
    Reply::json_bytes(status, body).into_response(None)
}

fn json_fault(status: u16, body: &serde_json::Value) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    Reply::json(status, body).into_response(None)
}

fn rate_limited(retry_after: u64) -> Response<Body> {
    let body = error_body(&serde_json::json!([{
        "code": "too_many_requests",
        "message": "Too many requests",
        "long_message": "Too many requests, please try again later.",
        "meta": {}
    }]));
    Reply::json_bytes(StatusCode::TOO_MANY_REQUESTS, body)
        .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after))
        .into_response(None)
}

fn html_fault(status: u16) -> Response<Body> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head><body><center><h1>{title}</h1></center><hr><center>cloudflare</center></body></html>\n"
    );
    Reply {
        status,
        content_type: Some(HeaderValue::from_static("text/html")),
        headers: Vec::new(),
        body: Bytes::from(page),
    }
    .into_response(None)
}
