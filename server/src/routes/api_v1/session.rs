//! `/api/v1/session`: sign in, who am I, sign out.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use serde::Deserialize;
use tower_sessions::Session;

use app::domain::Account;
use app::domain::{CurrentUser, Viewer};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::accounts;
use app::ssr::auth::session;
use app::ssr::web::AppState;

use crate::routes::device_cookie::{with_device_cookie, DeviceCookie};
use crate::routes::extract::{ApiJson, ClientIp};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Credentials {
    /// As registered; anything up to 254 bytes is checked.
    #[schema(max_length = 254)]
    email: String,
    #[schema(max_length = 128)]
    password: String,
}

/// `POST /api/v1/session`: sign in; the response sets the session cookie.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = Credentials, security(),
    responses((status = 200, body = Account), (status = 401, body = ProblemDetails),
              (status = 429, description = "too many failed attempts", body = ProblemDetails),
              (status = 503, description = "busy: try again shortly", body = ProblemDetails)))]
pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    DeviceCookie(device): DeviceCookie,
    session: Session,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Response, AppError> {
    let origin = accounts::Origin {
        client,
        device: device.as_deref(),
        hash_turns: &state.hash_turns,
    };
    let welcome = accounts::sign_in(
        &state.pool,
        &state.login_limits,
        &body.email,
        body.password,
        origin,
    )
    .await?;
    session::sign_in(&state.pool, &session, welcome.user.id).await?;
    Ok(with_device_cookie(
        Json(Account::from(welcome.user)),
        &welcome.device_token,
        &state.public_origin,
    ))
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
    session: Session,
) -> Result<StatusCode, AppError> {
    session::sign_out(&state.pool, &session).await?;
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
