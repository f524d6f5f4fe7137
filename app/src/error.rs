//! The one error type users see, shared by server functions and the REST API.
//!
//! Every message is written for the person reading it. Internal causes (database
//! errors, I/O) are logged on the server and become [`AppError::Internal`], whose
//! text reveals nothing about the system.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

use crate::domain::{FieldError, IllegalTransition};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("sign in to continue")]
    Unauthorized,
    /// Sign-in failed. One message for unknown email and wrong password, so the
    /// response does not reveal which accounts exist.
    #[error("the email address or password is not right")]
    BadCredentials,
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("{0} was not found")]
    NotFound(String),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    /// The account already has this many live streams open.
    #[error("this account already has {limit} live connections open; close some tabs or other browsers")]
    TooManyStreams { limit: usize },
    /// Too many attempts; the client may retry after this many seconds.
    #[error("too many attempts; {}", when_to_retry(*retry_after_secs))]
    TooManyRequests { retry_after_secs: u64 },
    #[error("something went wrong on our side; please try again in a moment")]
    Internal,
    /// The database cannot be reached (restarting, say): nothing was done,
    /// and the same request should work again shortly.
    #[error("Shipwatch is briefly unavailable; nothing was changed. Try again shortly")]
    Unavailable,
    /// The request could not reach the server function or its reply was unreadable.
    #[error("could not reach Shipwatch: {0}")]
    Transport(String),
}

/// "try again in a few seconds" / "in 1 minute" / "in 14 minutes".
fn when_to_retry(secs: u64) -> String {
    match secs.div_ceil(60) {
        _ if secs < 30 => "try again in a few seconds".to_owned(),
        1 => "try again in a minute".to_owned(),
        minutes => format!("try again in {minutes} minutes"),
    }
}

impl AppError {
    pub fn validation(field: impl Into<String>, message: impl ToString) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl From<IllegalTransition> for AppError {
    fn from(value: IllegalTransition) -> Self {
        Self::Conflict(value.to_string())
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        Self::Validation {
            field: error.field.to_owned(),
            message: error.message,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Argument decoding failures are the caller's fault and name no internals.
            ServerFnErrorErr::Args(message) => Self::validation("request", message),
            ServerFnErrorErr::Request(message) | ServerFnErrorErr::Response(message) => {
                Self::Transport(message)
            }
            _ => Self::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
pub use problem_json::{problem_response, FieldProblem, ProblemDetails};
#[cfg(feature = "ssr")]
pub use ssr_conversions::UNAVAILABLE_RETRY_AFTER_SECS;

#[cfg(feature = "ssr")]
mod problem_json {
    //! RFC 9457 problem details: how every error leaves the server over HTTP
    //! (REST handlers, stored idempotent replies), and their OpenAPI schema.

    use super::AppError;
    use axum::http::{header, HeaderValue, StatusCode};
    use axum::response::{IntoResponse, Response};
    use serde::Serialize;

    /// An error as `application/problem+json` (RFC 9457). `problem_body`
    /// builds it; this type documents it in the OpenAPI schema.
    #[derive(Serialize, utoipa::ToSchema)]
    pub struct ProblemDetails {
        #[serde(rename = "type")]
        pub kind: String,
        pub title: String,
        pub status: u16,
        /// A message for a person; never internal details.
        pub detail: String,
        /// Per-field errors, for invalid input.
        pub errors: Option<Vec<FieldProblem>>,
    }

    /// One invalid field of a request.
    #[derive(Serialize, utoipa::ToSchema)]
    pub struct FieldProblem {
        pub field: String,
        pub message: String,
    }

    /// A problem+json response from a status and a body built by
    /// [`AppError::problem_body`] (now, or earlier and stored).
    pub fn problem_response(status: StatusCode, body: &serde_json::Value) -> Response {
        let mut response = (status, body.to_string()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }

    impl AppError {
        /// A short, stable title per kind of problem.
        fn title(&self) -> &'static str {
            match self {
                AppError::Unauthorized | AppError::BadCredentials => "Unauthorized",
                AppError::Forbidden => "Forbidden",
                AppError::NotFound(_) => "Not found",
                AppError::Validation { .. } => "Invalid input",
                AppError::Conflict(_) => "Conflict",
                AppError::TooManyRequests { .. } | AppError::TooManyStreams { .. } => "Too many requests",
                AppError::Internal => "Internal error",
                AppError::Unavailable => "Service unavailable",
                AppError::Transport(_) => "Bad request",
            }
        }
    }

    impl AppError {
        /// The problem details document (RFC 9457) this error is sent as.
        pub fn problem_body(&self) -> serde_json::Value {
            let mut body = serde_json::json!({
                "type": "about:blank",
                "title": self.title(),
                "status": self.status_code().as_u16(),
                "detail": self.to_string(),
            });
            if let AppError::Validation { field, message } = self {
                body["errors"] = serde_json::json!([{ "field": field, "message": message }]);
            }
            body
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let mut response = problem_response(self.status_code(), &self.problem_body());
            if let Some(seconds) = self.retry_after_secs() {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr_conversions {
    use super::AppError;

    impl From<sqlx::Error> for AppError {
        fn from(error: sqlx::Error) -> Self {
            if database_unreachable(&error) {
                tracing::warn!(%error, "database unavailable");
                AppError::Unavailable
            } else {
                tracing::error!(%error, "database error");
                AppError::Internal
            }
        }
    }

    /// Errors that mean the database could not be asked (it is down,
    /// restarting, refusing connections, or the pool waited too long for
    /// one), rather than that the question was wrong. A statement cut off by
    /// a crash is rolled back by PostgreSQL, so nothing was half-applied.
    fn database_unreachable(error: &sqlx::Error) -> bool {
        match error {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::WorkerCrashed => true,
            // Class 08: connection exception; 57P01-03: shutting down,
            // crashed, starting up; 53300: too many connections.
            sqlx::Error::Database(error) => error.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
            }),
            _ => false,
        }
    }

    impl From<anyhow::Error> for AppError {
        fn from(error: anyhow::Error) -> Self {
            tracing::error!(error = format!("{error:#}"), "internal error");
            AppError::Internal
        }
    }

    impl AppError {
        /// The HTTP status this error is reported with.
        pub fn status_code(&self) -> http::StatusCode {
            use http::StatusCode;
            match self {
                AppError::Unauthorized | AppError::BadCredentials => StatusCode::UNAUTHORIZED,
                AppError::Forbidden => StatusCode::FORBIDDEN,
                AppError::NotFound(_) => StatusCode::NOT_FOUND,
                AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                AppError::Conflict(_) => StatusCode::CONFLICT,
                AppError::TooManyRequests { .. } | AppError::TooManyStreams { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
                AppError::Transport(_) => StatusCode::BAD_REQUEST,
            }
        }

        /// When the client should try again (`Retry-After`), for errors that
        /// pass.
        pub fn retry_after_secs(&self) -> Option<u64> {
            match self {
                AppError::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
                AppError::Unavailable => Some(UNAVAILABLE_RETRY_AFTER_SECS),
                AppError::TooManyStreams { .. } => Some(30),
                _ => None,
            }
        }
    }

    /// How soon to retry while the database is unavailable: a restart takes
    /// a few seconds.
    pub const UNAVAILABLE_RETRY_AFTER_SECS: u64 = 2;

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn an_unreachable_database_is_unavailable_not_internal() {
            assert_eq!(AppError::from(sqlx::Error::PoolTimedOut), AppError::Unavailable);
            let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
            assert_eq!(AppError::from(sqlx::Error::Io(io)), AppError::Unavailable);
            assert_eq!(AppError::from(sqlx::Error::RowNotFound), AppError::Internal);
            assert_eq!(AppError::Unavailable.status_code().as_u16(), 503);
            assert_eq!(AppError::Unavailable.retry_after_secs(), Some(2));
        }
    }
}
