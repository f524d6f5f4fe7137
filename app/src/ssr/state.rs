//! What every request handler and server function can reach.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::PgPool;

use crate::ssr::auth::throttle::LoginLimits;

/// Shared by the axum router and provided to server functions as context.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub pool: PgPool,
    pub leptos_options: LeptosOptions,
    pub login_limits: LoginLimits,
    /// The origin browsers use to reach us (`http://127.0.0.1:3000`); requests
    /// that change state with a cookie must come from it.
    pub public_origin: String,
}

impl AppState {
    /// The state of the current server function call.
    pub fn from_context() -> Result<Self, crate::error::AppError> {
        leptos::prelude::use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the server function context");
            crate::error::AppError::Internal
        })
    }
}
