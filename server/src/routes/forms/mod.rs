//! The HTML forms that are not server functions, each working without
//! JavaScript and answering with a redirect (303) or a page: sign-in,
//! registration and sign-out, notification settings and marking read, the
//! public tracking lookup, the console's CSV upload, and unsubscribing from
//! an email's link. Forms on server functions are Leptos's, with
//! `crate::middleware::refused_forms` showing their refusals.

mod account;
mod imports;
mod notifications;
mod track;
mod unsubscribe;

use axum::routing::{get, post};
use axum::Router;

use app::ssr::web::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(account::sign_in))
        .route("/register", post(account::register))
        .route("/logout", post(account::sign_out))
        .route("/settings", post(notifications::save_preferences))
        .route("/notifications/read", post(notifications::mark_read))
        .route("/track", post(track::look_up))
        .route("/operator/imports", post(imports::upload))
        .route("/unsubscribe", get(unsubscribe::confirm).post(unsubscribe::apply))
}
