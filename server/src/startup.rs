//! Building the router (used by `main` and by the integration tests) and
//! serving it until a shutdown signal.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::Context as _;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use tower_http::trace::TraceLayer;

use app::ssr::state::AppState;
use app::{shell, App};

use crate::database::DatabaseArgs;
use crate::routes::health;

/// The whole HTTP surface of Shipwatch.
pub fn build_router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Leptos settings from the environment cargo-leptos sets, with our own
/// defaults so the binary also runs on its own from the repository root.
pub fn leptos_options(addr: SocketAddr) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)
        .context("reading Leptos settings from the environment")?
        .leptos_options;
    options.site_addr = addr;
    let bundle = Path::new(options.site_root.as_ref())
        .join(options.site_pkg_dir.as_ref())
        .join(format!("{}.js", options.output_name));
    if !bundle.is_file() {
        tracing::warn!(
            bundle = %bundle.display(),
            "browser bundle missing: pages render but stay static; build it with `cargo leptos build` (scripts/run does)"
        );
    }
    Ok(options)
}

pub async fn serve(addr: SocketAddr, database: &DatabaseArgs) -> anyhow::Result<()> {
    let pool: PgPool = database.connect_and_migrate().await?;
    let state = AppState {
        pool,
        leptos_options: leptos_options(addr)?,
    };
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
        format!("listening on {addr} (is another server using it? set SHIPWATCH_ADDR)")
    })?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, "Shipwatch is serving");
    println!("Shipwatch is running at {url}  (Ctrl-C to stop)");
    axum::serve(listener, build_router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
