//! Probes for load balancers, orchestrators and scrapers: liveness,
//! readiness, and `/metrics` on the app's port (for the configured token
//! only; `crate::metrics` says why).

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use app::ssr::web::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(alive))
        .route("/readyz", get(ready))
        .route("/metrics", get(crate::metrics::render_for_token))
}

/// `/healthz`: the process is up and serving HTTP.
pub async fn alive() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// `/readyz`: the database answers within two seconds and the live stream's
/// LISTEN connection is up (without it, clients would miss events).
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if !state.hub.listener_connected() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "live stream listener reconnecting\n",
        );
    }
    let probe = sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&state.pool);
    match tokio::time::timeout(Duration::from_secs(2), probe).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready\n"),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness probe: database error");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
        Err(_) => {
            tracing::warn!("readiness probe: database timed out");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n")
        }
    }
}
