//! Responses: a plain value type the handlers return, turned into a hyper response in one place.

use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full, StreamBody};
use hyper::body::Frame;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{HeaderMap, Response, StatusCode};
use serde::Serialize;

/// The body type of every response.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// Exactly `application/json`: `@clerk/backend` parses JSON only for this exact string.
pub(crate) const JSON: &str = "application/json";

#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: StatusCode,
    /// `None` for bodiless responses (204).
    pub content_type: Option<HeaderValue>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

impl Reply {
    pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type: Some(HeaderValue::from_static(JSON)),
            headers: Vec::new(),
            body: Bytes::from(body),
        }
    }

    pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Self {
        match serde_json::to_vec(value) {
            Ok(body) => Self::json_bytes(status, body),
            Err(_) => Self::json_bytes(
                StatusCode::INTERNAL_SERVER_ERROR,
                b"{\"errors\":[]}".to_vec(),
            ),
        }
    }

    pub(crate) fn no_content() -> Self {
        Self {
            status: StatusCode::NO_CONTENT,
            content_type: None,
            headers: Vec::new(),
            body: Bytes::new(),
        }
    }

    pub(crate) fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// Builds the hyper response. With `drip`, the headers go out at once and the body is sent in small
    /// pieces spread over that duration (the `slow_body` fault).
    pub(crate) fn into_response(self, drip: Option<Duration>) -> Response<Body> {
        let len = self.body.len();
        let body: Body = match drip {
            _ if len == 0 => Empty::new().boxed_unsync(),
            None => Full::new(self.body).boxed_unsync(),
            Some(total) => dripping(self.body, total),
        };
        let mut response = Response::new(body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        if let Some(ct) = self.content_type {
            headers.insert(header::CONTENT_TYPE, ct);
        }
        if self.status != StatusCode::NO_CONTENT {
            headers.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        add_cors(headers);
        response
    }
}

const DRIP_PIECES: usize = 10;

fn dripping(body: Bytes, total: Duration) -> Body {
    let piece = body.len().div_ceil(DRIP_PIECES).max(1);
    let pause = total / DRIP_PIECES as u32;
    let chunks: Vec<Bytes> = (0..body.len())
        .step_by(piece)
        .map(|start| body.slice(start..(start + piece).min(body.len())))
        .collect();
    let stream = futures_util::stream::unfold(
        (chunks.into_iter(), true),
        move |(mut it, first)| async move {
            let chunk = it.next()?;
            if !first {
                tokio::time::sleep(pause).await;
            }
            Some((Ok::<_, Infallible>(Frame::data(chunk)), (it, false)))
        },
    );
    BodyExt::boxed_unsync(StreamBody::new(stream))
}

/// CORS for browser tests running on another loopback origin.
pub(crate) fn add_cors(headers: &mut HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("retry-after, cf-ray"),
    );
}

/// Answer to an `OPTIONS` preflight: 204 with the allowed methods and headers.
pub(crate) fn preflight(request_headers: &HeaderMap) -> Reply {
    let allow_headers = request_headers
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_static("authorization, content-type, clerk-api-version, user-agent")
        });
    Reply::no_content()
        .with_header(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
        )
        .with_header(header::ACCESS_CONTROL_ALLOW_HEADERS, allow_headers)
        .with_header(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        )
}
