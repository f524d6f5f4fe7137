//! The app's pages (Leptos, rendered on the server and hydrated), behind the
//! sign-in guard, and the fallback that renders "not found" in the shell.

use std::sync::OnceLock;

use axum::middleware::from_fn_with_state;
use axum::Router;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};

use app::ssr::web::AppState;
use app::{shell, App};

use crate::middleware::sign_in::pages_require_sign_in;

pub fn router(state: &AppState) -> Router<AppState> {
    Router::new()
        .leptos_routes(state, page_routes(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn_with_state(state.clone(), pages_require_sign_in))
}

/// The app's page routes, listed once per process.
///
/// Listing them renders every page once with its data held back, and Leptos
/// holds resources back process-wide while it does (`SuppressResourceLoad`):
/// a page another app in this process began rendering meanwhile would wait
/// for its data forever (leptos-rs/leptos#4773). Listing once, before the
/// first app can serve, closes that window for every later app.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}
