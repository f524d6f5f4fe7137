use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use app::domain::Account;
use app::error::AppError;
use app::ssr::auth::accounts;
use app::ssr::state::AppState;

use crate::routes::extract::ApiJson;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Registration {
    email: String,
    password: String,
}

/// `POST /api/v1/users`: register a customer account.
#[utoipa::path(post, path = "/api/v1/users", tag = "session", request_body = Registration, security(),
    responses((status = 201, body = Account), (status = 422, body = super::openapi::ProblemDetails)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Account>), AppError> {
    let user = accounts::register(&state.pool, &body.email, body.password).await?;
    Ok((
        StatusCode::CREATED,
        Json(Account {
            email: user.email,
            role: user.role,
        }),
    ))
}
