//! Clerk's error shape: `{"errors":[{code,message,long_message,meta}],"clerk_trace_id"}`.

use hyper::StatusCode;
use serde::Serialize;

use crate::ids;
use crate::reply::Reply;

/// One Clerk error response.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub long_message: String,
    pub param_name: Option<String>,
}

#[derive(Serialize)]
struct ErrorEntry<'a> {
    code: &'a str,
    message: &'a str,
    long_message: &'a str,
    meta: Meta<'a>,
}

#[derive(Serialize)]
struct Meta<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    param_name: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorBody<'a, E: Serialize + ?Sized> {
    errors: &'a E,
    clerk_trace_id: String,
}

/// Serialises any `errors` array (ours or one given to a fault) with a fresh trace id.
pub(crate) fn error_body<E: Serialize + ?Sized>(errors: &E) -> Vec<u8> {
    serde_json::to_vec(&ErrorBody {
        errors,
        clerk_trace_id: ids::trace_id(),
    })
    .unwrap_or_else(|_| b"{\"errors\":[]}".to_vec())
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: &str, long_message: String) -> Self {
        Self {
            status,
            code,
            message: message.to_owned(),
            long_message,
            param_name: None,
        }
    }

    fn param(mut self, name: &str) -> Self {
        self.param_name = Some(name.to_owned());
        self
    }

    pub(crate) fn machine_secret_key_invalid() -> Self {
        let msg = "The provided Machine Secret Key is invalid. Make sure that your Machine Secret Key is correct.";
        Self::new(
            StatusCode::UNAUTHORIZED,
            "machine_secret_key_invalid",
            msg,
            msg.to_owned(),
        )
    }

    pub(crate) fn clerk_key_invalid() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "clerk_key_invalid",
            "The provided Clerk Secret Key is invalid.",
            "The provided Clerk Secret Key is invalid. Make sure that your Clerk Secret Key is correct.".to_owned(),
        )
    }

    pub(crate) fn not_found(long_message: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "resource_not_found",
            "not found",
            long_message.to_owned(),
        )
    }

    pub(crate) fn forbidden(long_message: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "resource_forbidden",
            "forbidden",
            long_message.to_owned(),
        )
    }

    /// 409, e.g. a machine scope that exists already.
    pub(crate) fn conflict(long_message: &str) -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "duplicate_record",
            "duplicate record",
            long_message.to_owned(),
        )
    }

    /// A parameter error (`form_param_*`) as 422, the status the machines routes document for invalid
    /// parameters; any other error is left as it is (a malformed body stays 400 `request_body_invalid`).
    pub(crate) fn unprocessable(mut self) -> Self {
        if self.code.starts_with("form_param_") {
            self.status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        self
    }

    pub(crate) fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "method not allowed",
            "This HTTP method is not allowed on this resource.".to_owned(),
        )
    }

    pub(crate) fn body_invalid(long_message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "request_body_invalid",
            "Request body invalid",
            long_message.to_owned(),
        )
    }

    pub(crate) fn param_missing(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_missing",
            "is missing",
            format!("{name} is missing"),
        )
        .param(name)
    }

    pub(crate) fn param_unknown(name: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_unknown",
            "is unknown",
            format!("{name} is not a valid parameter for this request."),
        )
        .param(name)
    }

    /// Wrong type or pattern.
    pub(crate) fn param_format(name: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_format_invalid",
            "is invalid",
            format!("{name} must be {expected}"),
        )
        .param(name)
    }

    /// Right type, value out of range.
    pub(crate) fn param_value(name: &str, expected: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "form_param_value_invalid",
            "is invalid",
            format!("{name} must be {expected}"),
        )
        .param(name)
    }

    pub(crate) fn internal(long_message: &str) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_clerk_error",
            "Oops, an unexpected error occurred",
            long_message.to_owned(),
        )
    }

    pub(crate) fn into_reply(self) -> Reply {
        let entry = ErrorEntry {
            code: self.code,
            message: &self.message,
            long_message: &self.long_message,
            meta: Meta {
                param_name: self.param_name.as_deref(),
            },
        };
        Reply::json_bytes(self.status, error_body(&[entry]))
    }
}
