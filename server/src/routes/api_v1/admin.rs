//! `/api/v1` endpoints for admins: roles and API tokens. Thin, over
//! `app::ssr::actions::admin`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;

use app::domain::{input, IssuedToken, Role, TokenInfo, UserInfo, Viewer};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::admin;
use app::ssr::web::AppState;

use crate::routes::support::extract::{ApiJson, ApiPath};

/// Every account (admins).
#[utoipa::path(get, path = "/api/v1/users", tag = "admin",
    responses((status = 200, body = Vec<UserInfo>), (status = 403, body = ProblemDetails)))]
pub async fn list_users(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<UserInfo>>, AppError> {
    Ok(Json(admin::list_users(&state.pool, &viewer).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RoleChange {
    role: Role,
}

/// Changes an account's role (admins; not your own).
#[utoipa::path(put, path = "/api/v1/users/{email}/role", tag = "admin",
    params(("email" = String, Path)), request_body = RoleChange,
    responses((status = 204), (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn change_role(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> Result<StatusCode, AppError> {
    let email = input::email("email", &email)?;
    admin::change_role(&state.pool, &viewer, &email, body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of an account, in every browser (admins).
#[utoipa::path(delete, path = "/api/v1/users/{email}/sessions", tag = "admin",
    params(("email" = String, Path)),
    responses((status = 204), (status = 401, body = ProblemDetails), (status = 403, body = ProblemDetails),
              (status = 404, body = ProblemDetails), (status = 422, body = ProblemDetails)))]
pub async fn end_sessions(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(email): Path<String>,
) -> Result<StatusCode, AppError> {
    let email = input::email("email", &email)?;
    app::ssr::actions::accounts::sign_out_everywhere(&state.pool, &viewer, Some(&email)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every API token, newest first; never the secrets (admins).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "admin",
    responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = ProblemDetails)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Vec<TokenInfo>>, AppError> {
    Ok(Json(admin::list_tokens(&state.pool, &viewer, None).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The account the token acts as.
    email: String,
    /// What it is for ("scanner at depot 3").
    name: String,
    /// Days until it stops working by itself (1 to 3650); absent: until revoked.
    #[serde(default, deserialize_with = "input::whole_number")]
    expires_in_days: Option<u32>,
}

/// Issues a token; the response is the only time its secret is shown (admins).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "admin", request_body = TokenRequest,
    responses((status = 201, body = IssuedToken), (status = 403, body = ProblemDetails),
              (status = 404, description = "no account has this email address", body = ProblemDetails),
              (status = 422, body = ProblemDetails)))]
pub async fn issue_token(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), AppError> {
    let email = input::email("email", &body.email)?;
    let name = input::token_name(&body.name)?;
    let lifetime = input::token_days(body.expires_in_days)?;
    let issued = admin::issue_token(&state.pool, &viewer, &email, &name, lifetime).await?;
    Ok((StatusCode::CREATED, Json(issued)))
}

/// Revokes a token: its next request and its open stream get 401 (admins).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "admin", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ProblemDetails), (status = 404, body = ProblemDetails)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    ApiPath(id): ApiPath<i64>,
) -> Result<StatusCode, AppError> {
    admin::revoke_token(&state.pool, &viewer, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
