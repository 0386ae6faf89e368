//! The one error type of the core, and the stable `kind`/`code` table the JS layer lifts into classes.
//!
//! | variant | JS class | `code` |
//! |---|---|---|
//! | [`Error::Api`] | `ClerkAPIResponseError` | `api_response_error` |
//! | [`Error::Verification`] | `MachineTokenVerificationError` | `token-invalid`, `token-verification-failed`, `secret-key-invalid`, `unexpected-error` |
//! | [`Error::InvalidArgument`] | `TypeError` | (none) |
//! | [`Error::Configuration`] | `ClerkConfigurationError` | `configuration-invalid` |
//!
//! No variant ever holds a secret key or a raw token: messages are built from fixed text, status codes,
//! parameter names and server-provided error JSON only.

use std::fmt;

/// Every failure the core reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The Backend API answered with a non-2xx status, an undecodable body, or could not be reached.
    Api(ApiResponseError),
    /// A machine token failed verification (reference §4.6).
    Verification(VerificationError),
    /// A caller passed a bad argument; raised before any request is made.
    InvalidArgument {
        /// Human-readable explanation naming the parameter, e.g. `subject must be a non-empty string`.
        message: String,
    },
    /// The client configuration cannot work (bad `apiUrl`, insecure transport for a secret, …).
    Configuration {
        /// Human-readable explanation; never contains a secret.
        message: String,
    },
    /// The caller's `AbortSignal` fired. The JS layer rethrows the signal's own reason.
    Aborted,
}

impl Error {
    /// The JS class this error becomes (the `kind` property).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api(_) => "ClerkAPIResponseError",
            Error::Verification(_) => "MachineTokenVerificationError",
            Error::InvalidArgument { .. } => "TypeError",
            Error::Configuration { .. } => "ClerkConfigurationError",
            Error::Aborted => "AbortError",
        }
    }

    /// The stable machine-readable code (the `code` property).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Api(_) => "api_response_error",
            Error::Verification(e) => e.code.as_str(),
            Error::InvalidArgument { .. } => "invalid-argument",
            Error::Configuration { .. } => "configuration-invalid",
            Error::Aborted => "aborted",
        }
    }

    /// Shorthand for [`Error::InvalidArgument`].
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::InvalidArgument {
            message: message.into(),
        }
    }

    /// Shorthand for [`Error::Configuration`].
    pub fn configuration(message: impl Into<String>) -> Self {
        Error::Configuration {
            message: message.into(),
        }
    }
}

impl Error {
    /// The message, as `Display` writes it (without `core::fmt`, for the wasm binding).
    pub fn message(&self) -> &str {
        match self {
            Error::Api(e) => &e.message,
            Error::Verification(e) => &e.message,
            Error::InvalidArgument { message } | Error::Configuration { message } => message,
            Error::Aborted => "The operation was aborted.",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

impl From<ApiResponseError> for Error {
    fn from(e: ApiResponseError) -> Self {
        Error::Api(e)
    }
}

impl From<VerificationError> for Error {
    fn from(e: VerificationError) -> Self {
        Error::Verification(e)
    }
}

/// A Backend API failure: `ClerkAPIResponseError` in JS (reference §1.7).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiResponseError {
    /// HTTP status; `None` when no response arrived or its body could not be decoded.
    pub status: Option<u16>,
    /// The HTTP status text as received (may be empty).
    pub status_text: String,
    /// The error message: the status text, or a meaningful fallback when that is empty (docs/compat.md).
    pub message: String,
    /// Entries of the body's `errors[]`, or one `unexpected_error` entry for network/decoding failures.
    pub errors: Vec<ApiError>,
    /// `clerk_trace_id` from the body, else the `cf-ray` header, else empty.
    pub clerk_trace_id: String,
    /// Whole seconds from a numeric `Retry-After` header on a non-2xx response.
    pub retry_after: Option<u32>,
    /// No response arrived (the runtime's fetch failed): a binding attaches the runtime's error as `cause`.
    pub network_failure: bool,
}

impl fmt::Display for ApiResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// One entry of a Backend API `errors[]` array (`ClerkAPIError` in JS).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiError {
    /// Machine-readable error code, e.g. `machine_secret_key_invalid`.
    pub code: String,
    /// Short message.
    pub message: String,
    /// Long message, when the server sent one.
    pub long_message: Option<String>,
    /// Structured metadata; `None` for synthesised `unexpected_error` entries (they are plain objects upstream).
    pub meta: Option<ApiErrorMeta>,
}

/// The `meta` fields the reference keeps (§1.7); every other key is dropped.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ApiErrorMeta {
    /// `param_name`
    pub param_name: Option<String>,
    /// `session_id`
    pub session_id: Option<String>,
    /// `email_addresses`
    pub email_addresses: Option<Vec<String>>,
    /// `identifiers`
    pub identifiers: Option<Vec<String>>,
    /// `zxcvbn`, kept as raw JSON
    pub zxcvbn: Option<serde_json::Value>,
    /// `plan`, kept as raw JSON
    pub plan: Option<serde_json::Value>,
    /// `is_plan_upgrade_possible`
    pub is_plan_upgrade_possible: Option<bool>,
    /// `seats_quantity_to_add`
    pub seats_quantity_to_add: Option<f64>,
    /// `seats_quantity`
    pub seats_quantity: Option<f64>,
}

/// The `code` of a `MachineTokenVerificationError` (reference §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationErrorCode {
    /// `token-invalid`
    TokenInvalid,
    /// `token-verification-failed`
    TokenVerificationFailed,
    /// `secret-key-invalid`
    SecretKeyInvalid,
    /// `unexpected-error`
    UnexpectedError,
}

impl VerificationErrorCode {
    /// The code string, verbatim from the reference.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationErrorCode::TokenInvalid => "token-invalid",
            VerificationErrorCode::TokenVerificationFailed => "token-verification-failed",
            VerificationErrorCode::SecretKeyInvalid => "secret-key-invalid",
            VerificationErrorCode::UnexpectedError => "unexpected-error",
        }
    }
}

/// A verification failure: `MachineTokenVerificationError` in JS.
#[derive(Debug, Clone, PartialEq)]
pub struct VerificationError {
    /// The reference code.
    pub code: VerificationErrorCode,
    /// The exact reference message (§4.6).
    pub message: String,
    /// A finer-grained kebab-case reason beyond the reference (e.g. `expired`, `unknown-kid`).
    pub reason: &'static str,
    /// The reference's `action` hint, when it has one.
    pub action: Option<&'static str>,
    /// HTTP status for opaque-token failures mapped from the Backend API; `None` on the JWT path.
    pub status: Option<u16>,
}

impl VerificationError {
    /// A new error with no action and no status.
    pub fn new(
        code: VerificationErrorCode,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            message: message.into(),
            reason,
            action: None,
            status: None,
        }
    }

    /// `<message> (code=<code>, status=<status or n/a>)`, the reference's `getFullMessage()`.
    pub fn full_message(&self) -> String {
        let mut status = itoa::Buffer::new();
        let status = self.status.map_or("n/a", |s| status.format(u64::from(s)));
        [
            self.message.as_str(),
            " (code=",
            self.code.as_str(),
            ", status=",
            status,
            ")",
        ]
        .concat()
    }
}

impl fmt::Display for VerificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_message_matches_reference_format() {
        let mut e = VerificationError::new(
            VerificationErrorCode::TokenInvalid,
            "not-found",
            "Machine token not found",
        );
        e.status = Some(404);
        assert_eq!(
            e.full_message(),
            "Machine token not found (code=token-invalid, status=404)"
        );
        e.status = None;
        assert_eq!(
            e.full_message(),
            "Machine token not found (code=token-invalid, status=n/a)"
        );
    }

    #[test]
    fn kind_and_code_table_is_stable() {
        let api = Error::Api(ApiResponseError::default());
        assert_eq!(
            (api.kind(), api.code()),
            ("ClerkAPIResponseError", "api_response_error")
        );
        let v = Error::Verification(VerificationError::new(
            VerificationErrorCode::SecretKeyInvalid,
            "x",
            "m",
        ));
        assert_eq!(
            (v.kind(), v.code()),
            ("MachineTokenVerificationError", "secret-key-invalid")
        );
        assert_eq!(Error::invalid_argument("subject").kind(), "TypeError");
    }
}
