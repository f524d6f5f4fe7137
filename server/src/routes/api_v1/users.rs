//! `POST /api/v1/users`: registration, over `app::ssr::actions::accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use app::domain::{input, Account};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::accounts;
use app::ssr::web::AppState;

use crate::routes::extract::ApiJson;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Registration {
    email: String,
    password: String,
}

/// `POST /api/v1/users`: register a customer account.
#[utoipa::path(post, path = "/api/v1/users", tag = "session", request_body = Registration, security(),
    responses((status = 201, body = Account), (status = 422, body = ProblemDetails)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Account>), AppError> {
    let email = input::email("email", &body.email)?;
    let password = input::new_password("password", body.password)?;
    let user = accounts::register(&state.pool, &email, password).await?;
    Ok((StatusCode::CREATED, Json(Account::from(user))))
}
