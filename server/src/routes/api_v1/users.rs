//! `POST /api/v1/users`: registration, over `app::ssr::actions::accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use app::domain::{input, Account};
use app::error::{AppError, ProblemDetails};
use app::ssr::actions::accounts;
use app::ssr::web::AppState;

use crate::routes::support::extract::{ApiJson, ClientIp};

#[derive(Deserialize, utoipa::ToSchema)]
pub struct Registration {
    email: String,
    /// 10 to 128 characters.
    password: String,
}

/// `POST /api/v1/users`: register a customer account.
#[utoipa::path(post, path = "/api/v1/users", tag = "session", request_body = Registration, security(),
    responses((status = 201, body = Account), (status = 422, body = ProblemDetails),
              (status = 409, description = "an account with this email address already exists", body = ProblemDetails),
              (status = 429, description = "too many registrations from this client or for this email", body = ProblemDetails),
              (status = 503, description = "busy: try again shortly", body = ProblemDetails)))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    ApiJson(body): ApiJson<Registration>,
) -> Result<(StatusCode, Json<Account>), AppError> {
    let email = input::email("email", &body.email)?;
    let password = input::new_password("password", body.password)?;
    let user = accounts::register(
        &state.pool,
        &state.login_limits,
        &email,
        password,
        accounts::Origin {
            client,
            device: None,
            hash_turns: &state.hash_turns,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Account::from(user))))
}
