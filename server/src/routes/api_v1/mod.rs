//! The JSON API (`/api/v1`): thin handlers over the same services the UI uses.
//! Errors are `application/problem+json`.

mod session;
mod shipments;
mod users;

use axum::routing::{get, post};
use axum::Router;

use app::ssr::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/users", post(users::register))
        .route(
            "/session",
            post(session::sign_in)
                .delete(session::sign_out)
                .get(session::whoami),
        )
        .route("/shipments", get(shipments::list))
        .route("/shipments/{tracking_number}", get(shipments::detail))
        .route(
            "/shipments/{tracking_number}/events",
            post(shipments::post_status),
        )
}
