//! Shipwatch's application: the domain shared by server and browser, the Leptos
//! pages and components, server functions, and (with the `ssr` feature) the
//! server-only database and auth code.

// Leptos view types nest deeply; the operator console needs more than the default 128.
#![recursion_limit = "256"]

pub mod api;
pub mod bundles;
pub mod components;
pub mod csp;
pub mod domain;
pub mod error;
pub mod live;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::components::header::Header;
use crate::pages::{
    admin::AdminPage,
    dashboard::DashboardPage,
    import_report::ImportReportPage,
    login::LoginPage,
    not_found::NotFoundPage,
    notifications::NotificationsPage,
    operator::OperatorPage,
    register::RegisterPage,
    settings::SettingsPage,
    shipment::ShipmentPage,
    track::{TrackFormPage, TrackPage},
};

/// Sets the HTTP status of the page being rendered on the server (a page that
/// says "not found" answers 404); nothing in the browser.
pub(crate) fn respond_with(status: u16) {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
        );
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                // The bundle's files carry a hash of their content in their
                // names (cached for a year); these read the names from the
                // hash files the build wrote beside the server binary.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options=with_page_bundle(options) islands=true />
                <live::EarlyStart />
                <csp::PagePolicy />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// `options` naming the browser bundle of the page being rendered (see
/// [`bundles`]).
fn with_page_bundle(options: LeptosOptions) -> LeptosOptions {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        let bundle = bundles::for_path(parts.uri.path());
        let mut options = options;
        options.hash_file = bundles::hash_file(&options.hash_file, bundle).into();
        return options;
    }
    options
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    live::LiveFeed::provide();
    view! {
        <Title formatter=|page: String| {
            if page.is_empty() { "Shipwatch".to_owned() } else { format!("{page} · Shipwatch") }
        } />
        <Router>
            <Header />
            <main id="main">
                <Routes fallback=NotFoundPage>
                    // Rendered whole before sending (data in the HTML itself, so it
                    // works without JavaScript), and one task per page: two
                    // suspended blocks streamed in order sometimes never finished
                    // (a resource read after its owner was disposed, under load).
                    <Route path=path!("/") view=DashboardPage ssr=SsrMode::Async />
                    // Rendered whole before sending, so a visitor without the
                    // role gets status 403 (see `pages::forbidden`).
                    <Route path=path!("/operator") view=OperatorPage ssr=SsrMode::Async />
                    <Route path=path!("/operator/imports/:id") view=ImportReportPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/track") view=TrackFormPage ssr=SsrMode::InOrder />
                    // Rendered whole before sending, so an expired link can answer 404.
                    <Route path=path!("/track/:link") view=TrackPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::InOrder />
                    <Route path=path!("/register") view=RegisterPage ssr=SsrMode::InOrder />
                    // Rendered whole before sending, so a hidden shipment can answer 404.
                    <Route path=path!("/shipments/:tracking_number") view=ShipmentPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
