//! `/api/v1/session`: sign in, who am I, sign out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;

use app::domain::Account;
use app::domain::{CurrentUser, Viewer};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::accounts;
use app::ssr::web::{AppState, BrowserSession};

use crate::routes::support::extract::ApiJson;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    /// As registered; anything up to 254 bytes is checked.
    email: String,
    password: String,
}

/// `POST /api/v1/session`: sign in; the response sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials, security(),
    responses((status = 200, body = Account), (status = 401, body = ProblemDetails),
              (status = 429, description = "too many failed attempts", body = ProblemDetails),
              (status = 503, description = "busy: try again shortly", body = ProblemDetails)))]
pub async fn sign_in(
    State(state): State<AppState>,
    session: BrowserSession,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let signed_in = session.sign_in(&state, &body.email, body.password).await?;
    Ok(signed_in.answer(Json(Account::from(signed_in.user.clone()))))
}

/// `GET /api/v1/session`: who is signed in.
#[utoipa::path(get, path = "/api/v1/session", tag = "session",
    responses((status = 200, body = Account), (status = 401, body = ProblemDetails)))]
pub async fn whoami(user: CurrentUser) -> Json<Account> {
    Json(Account::from(user))
}

/// `DELETE /api/v1/session`: sign out; the session is deleted server-side.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session",
    responses((status = 204), (status = 401, body = ProblemDetails)))]
pub async fn sign_out(
    State(state): State<AppState>,
    _user: CurrentUser,
    session: BrowserSession,
) -> Result<StatusCode, AppError> {
    session.end(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/sessions`: sign out everywhere — every session of your
/// account ends, in every browser (API tokens are revoked separately).
#[utoipa::path(delete, path = "/api/v1/sessions", tag = "session",
    responses((status = 204), (status = 401, body = ProblemDetails)))]
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<StatusCode, AppError> {
    accounts::sign_out_everywhere(&state.pool, &viewer, None).await?;
    Ok(StatusCode::NO_CONTENT)
}
