//! The JSON API (`/api/v1`, described at `/api/openapi.json`): a door to the
//! core. Each handler parses its request into `domain::input` and calls one
//! action of `app::ssr::actions`; errors are `application/problem+json`.

mod actions;
mod admin;
mod events;
mod imports;
mod notifications;
pub mod openapi;
mod openapi_live;
mod session;
mod shipments;
mod users;
mod webhooks;

use axum::routing::{delete, get, post, put};
use axum::Router;

use app::ssr::web::AppState;

/// `/api/v1/…` and `/api/openapi.json`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi::document))
        .nest("/api/v1", v1())
}

fn v1() -> Router<AppState> {
    Router::new()
        .route("/users", post(users::register).get(admin::list_users))
        .route(
            "/session",
            post(session::sign_in)
                .delete(session::sign_out)
                .get(session::whoami),
        )
        .route("/users/{email}/role", put(admin::change_role))
        .route("/users/{email}/sessions", delete(admin::end_sessions))
        .route("/sessions", delete(session::sign_out_everywhere))
        .route("/shipments", get(shipments::list).post(shipments::create))
        .route("/shipments/{tracking_number}", get(shipments::detail))
        .route(
            "/shipments/{tracking_number}/events",
            post(shipments::post_status),
        )
        .route("/shipments/{tracking_number}/reopen", post(shipments::reopen))
        .route(
            "/shipments/{tracking_number}/instructions",
            put(actions::set_instructions),
        )
        .route(
            "/shipments/{tracking_number}/problems",
            post(actions::report_problem),
        )
        .route("/status-updates", post(shipments::post_status_bulk))
        .route("/status-imports", post(imports::create))
        .route("/status-imports/{id}", get(imports::report))
        .route("/events", get(events::long_poll))
        .route("/watches", post(actions::watch))
        .route("/watches/{tracking_number}", delete(actions::unwatch))
        .route("/problems", get(actions::open_problems))
        .route("/problems/{id}/resolution", post(actions::resolve_problem))
        .route("/tokens", get(admin::list_tokens).post(admin::issue_token))
        .route("/tokens/{id}", delete(admin::revoke_token))
        .route("/notifications", get(notifications::inbox))
        .route("/notifications/read", post(notifications::mark_read))
        .route(
            "/notification-preferences",
            get(notifications::preferences).put(notifications::set_preferences),
        )
        .route("/webhooks", get(webhooks::list).post(webhooks::register))
        .route(
            "/webhooks/{id}",
            get(webhooks::get).put(webhooks::change).delete(webhooks::delete),
        )
        .route("/webhooks/{id}/enabled", put(webhooks::set_enabled))
        .route("/webhooks/{id}/secret", post(webhooks::rotate_secret))
        .route("/webhooks/{id}/replay", post(webhooks::replay))
        .route("/webhooks/{id}/test", post(webhooks::send_test))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
}
