//! Building the app (used by `main` and by the integration tests) and
//! serving it until a shutdown signal. `build_app` is two steps: `start`
//! (the state, and the background work of `crate::workers`) and `router`
//! (the doors of `crate::routes` and the middleware of `crate::middleware`,
//! outermost last).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::Router;
use sqlx::PgPool;
use tower_http::trace::TraceLayer;

use app::shell;
use app::ssr::auth::session::{self, SessionConfig, SessionStore};
use app::ssr::auth::signing::SigningKey;
use app::ssr::stream::{log, Hub};
use app::ssr::web::AppState;

use crate::config::{AppConfig, ServeArgs};
use crate::middleware::{
    api_limit, caching, client, latency, outage, refused_forms, same_origin, security_headers,
};
use crate::routes::{api_v1, assets, forms, pages, probes, streams};
use crate::workers::{self, Workers};

/// A running app: its router, and the hub to shut down.
pub struct RunningApp {
    pub router: Router,
    pub hub: Arc<Hub>,
}

/// The app's state with its background work running, then its whole HTTP
/// surface. Creates the session table if needed.
pub async fn build_app(pool: PgPool, config: AppConfig) -> anyhow::Result<RunningApp> {
    let (state, sessions) = start(pool, &config).await?;
    let hub = Arc::clone(&state.hub);
    let router = router(state, sessions, &config.session);
    Ok(RunningApp { router, hub })
}

/// What every request can reach (`AppState`), once its background work
/// (`crate::workers`) is running: the metrics recorder, the session store,
/// the stream's hub at the log's head, the link-signing key.
async fn start(pool: PgPool, config: &AppConfig) -> anyhow::Result<(AppState, SessionStore)> {
    crate::metrics::install();
    let sessions = session::store(&pool)
        .await
        .context("preparing the session store")?;
    let head = log::head(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading the event log head: {e}"))?;
    let hub = Hub::new(config.stream_buffer, head);
    hub.set_max_streams_per_user(config.stream.max_per_user);
    let signing_key = SigningKey::load(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading the link-signing key: {e}"))?;
    workers::start(Workers {
        pool: &pool,
        hub: &hub,
        sessions: &sessions,
        signing_key: &signing_key,
        auth_recheck: config.auth_recheck,
        session_lifetime: config.session.lifetime,
        public_origin: &config.public_origin,
        email: config.email.clone(),
        webhooks: config.webhooks.clone(),
    })?;
    let state = AppState {
        signing_key,
        pool,
        leptos_options: config.leptos_options.clone(),
        login_limits: config.login_limits.clone(),
        trusted_proxies: config.trusted_proxies.clone(),
        hash_turns: Default::default(),
        session_lifetime: config.session.lifetime,
        metrics_token: config.metrics_token.as_deref().map(Arc::from),
        public_origin: config.public_origin.clone(),
        hub,
        stream: config.stream.clone(),
        webhooks: config.webhooks.clone(),
        api_limits: config.api_limits,
    };
    Ok((state, sessions))
}

/// Every door (`crate::routes`) and the middleware around them
/// (`crate::middleware`), outermost last.
fn router(state: AppState, sessions: SessionStore, session: &SessionConfig) -> Router {
    let site_root = Path::new(state.leptos_options.site_root.as_ref()).to_owned();
    let router = Router::new()
        .merge(probes::router())
        .merge(forms::router())
        .merge(api_v1::router().route_layer(from_fn_with_state(state.clone(), api_limit::limit)))
        .merge(pages::router(&state))
        .merge(assets::router(
            &site_root,
            state.leptos_options.site_pkg_dir.as_ref(),
        ))
        .route_layer(from_fn(latency::track_latency))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(caching::compression())
        // Outside the compression layer, a stream's body does not carry an
        // encoder's inline state (~5 KiB per open stream, measured), and no
        // compressor holds its frames back: it joins below every other layer.
        .merge(streams::router().route_layer(from_fn_with_state(state.clone(), api_limit::limit)))
        .layer(caching::private_by_default())
        .layer(from_fn_with_state(state.clone(), security_headers::apply))
        .layer(from_fn_with_state(state.clone(), same_origin::same_origin))
        .layer(session::layer(sessions, session))
        .layer(from_fn(outage::session_store_failures))
        .layer(from_fn_with_state(state.clone(), client::resolve_client))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    let without_js = router.clone();
    router.layer(from_fn(move |request, next| {
        refused_forms::render_refused_forms(without_js.clone(), request, next)
    }))
}

pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let pool = args.database.connect_and_migrate().await?;
    let RunningApp { router, hub } = build_app(pool.clone(), args.config()?).await?;
    let listener = tokio::net::TcpListener::bind(args.addr).await.with_context(|| {
        format!(
            "listening on {} (is another server using it? set SHIPWATCH_ADDR)",
            args.addr
        )
    })?;
    let url = format!("http://{}", listener.local_addr()?);
    serve_metrics(&args.metrics_addr).await;
    tracing::info!(%url, "Shipwatch is serving");
    println!("Shipwatch is running at {url}  (Ctrl-C to stop)");
    let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(());
    };
    // Once no new connection can reach this instance: end every stream
    // cleanly, so clients resume on another instance (through the proxy).
    let stopped_accepting = move || hub.shut_down();
    let server = crate::serving::serve(listener, router, shutdown, stopped_accepting);
    tokio::pin!(server);
    tokio::select! {
        () = &mut server => {}
        () = async {
            let _ = stopping_rx.await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; exiting anyway"),
    }
    pool.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `/metrics` on its own address, in the background. A second
/// instance on the same machine (a rolling restart) finds the address taken:
/// it says so and serves the app without it.
async fn serve_metrics(addr: &str) {
    if addr.eq_ignore_ascii_case("off") || addr.is_empty() {
        return;
    }
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::warn!(%addr, %error, "metrics not served: cannot listen on SHIPWATCH_METRICS_ADDR");
            return;
        }
    };
    tracing::info!(%addr, "metrics at /metrics");
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, crate::metrics::router()).await {
            tracing::warn!(%error, "metrics listener stopped");
        }
    });
}

/// How long in-flight requests get to finish after a shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

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
