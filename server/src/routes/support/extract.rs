//! Request extractors shared by the REST and form handlers.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use app::error::AppError;
use app::ssr::web::ClientAddr;

/// The client a request comes from (for per-client throttles), as resolved
/// by `crate::middleware::client::resolve_client`.
pub struct ClientIp(pub Option<ClientAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(parts.extensions.get::<ClientAddr>().copied()))
    }
}

/// `Path<T>` whose rejection (a number out of range, say) is a problem+json
/// validation error (422), like every other input error.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Self(value))
            .map_err(|rejection| AppError::validation("path", rejection.body_text()))
    }
}

/// `Query<T>` whose rejection (a parameter given twice, say) is a
/// problem+json validation error (422).
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(value)| Self(value))
            .map_err(|rejection| AppError::validation("query", rejection.body_text()))
    }
}

/// `Json<T>` whose rejection is a problem+json validation error.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(rejection: JsonRejection) -> AppError {
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with `Content-Type: application/json`".to_owned()
        }
        JsonRejection::JsonSyntaxError(_) => "the body is not valid JSON".to_owned(),
        // serde's message names the field and what was expected, nothing internal.
        JsonRejection::JsonDataError(error) => error.body_text(),
        other => other.body_text(),
    };
    AppError::validation("body", message)
}
