//! Building the router (used by `main` and by the integration tests) and
//! serving it until a shutdown signal.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::Router;
use clap::Args;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::trace::TraceLayer;
use tower_sessions::ExpiredDeletion as _;

use app::ssr::auth::session::{self, SessionConfig};
use app::ssr::auth::throttle::LoginLimits;
use app::ssr::state::AppState;
use app::{shell, App};

use crate::database::DatabaseArgs;
use crate::routes::{api_v1, forms, guards, health};

/// Options of `server serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SHIPWATCH_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The URL browsers use to reach Shipwatch (default: http://<addr>). Its
    /// origin is the only one allowed to change state with a session cookie.
    #[arg(long, env = "SHIPWATCH_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Send the session cookie over HTTPS only (default: on when the public URL is https).
    #[arg(long, env = "SHIPWATCH_SECURE_COOKIES")]
    pub secure_cookies: Option<bool>,
    /// Sessions unused for this many hours expire.
    #[arg(long, env = "SHIPWATCH_SESSION_IDLE_HOURS", default_value_t = 7 * 24)]
    pub session_idle_hours: u64,
    /// Failed sign-ins allowed per email within the window.
    #[arg(long, env = "SHIPWATCH_LOGIN_LIMIT_PER_EMAIL", default_value_t = 10)]
    pub login_limit_per_email: i64,
    /// Failed sign-ins allowed per client address within the window.
    #[arg(long, env = "SHIPWATCH_LOGIN_LIMIT_PER_CLIENT", default_value_t = 100)]
    pub login_limit_per_client: i64,
    /// The login throttling window, in minutes.
    #[arg(long, env = "SHIPWATCH_LOGIN_WINDOW_MINUTES", default_value_t = 15)]
    pub login_window_minutes: u64,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

impl ServeArgs {
    fn public_origin(&self) -> String {
        let url = self
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr));
        // The origin is scheme://host[:port], without any path.
        match url.find("://") {
            Some(i) => {
                let end = url[i + 3..].find('/').map_or(url.len(), |j| i + 3 + j);
                url[..end].to_owned()
            }
            None => url,
        }
    }

    fn session_config(&self) -> SessionConfig {
        SessionConfig {
            secure: self
                .secure_cookies
                .unwrap_or_else(|| self.public_origin().starts_with("https://")),
            idle_timeout: Duration::from_secs(self.session_idle_hours.saturating_mul(3600)),
        }
    }

    fn login_limits(&self) -> LoginLimits {
        LoginLimits {
            per_email: self.login_limit_per_email,
            per_client: self.login_limit_per_client,
            window: Duration::from_secs(self.login_window_minutes.saturating_mul(60)),
        }
    }
}

/// The whole HTTP surface of Shipwatch. Creates the session table if needed.
pub async fn build_router(
    state: AppState,
    session_config: &SessionConfig,
) -> anyhow::Result<Router> {
    let store = session::store(&state.pool)
        .await
        .context("preparing the session store")?;
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(3600)),
    );
    let routes = generate_route_list(App);
    Ok(Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/login", post(forms::sign_in))
        .route("/register", post(forms::register))
        .route("/logout", post(forms::sign_out))
        .nest("/api/v1", api_v1::router())
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn(guards::pages_require_sign_in))
        .layer(from_fn_with_state(state.clone(), guards::same_origin))
        .layer(session::layer(store, session_config))
        .layer(TraceLayer::new_for_http())
        .with_state(state))
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

pub async fn serve(args: &ServeArgs) -> anyhow::Result<()> {
    let pool = args.database.connect_and_migrate().await?;
    let state = AppState {
        pool,
        leptos_options: leptos_options(args.addr)?,
        login_limits: args.login_limits(),
        public_origin: args.public_origin(),
    };
    let router = build_router(state, &args.session_config()).await?;
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| {
            format!(
                "listening on {} (is another server using it? set SHIPWATCH_ADDR)",
                args.addr
            )
        })?;
    let url = format!("http://{}", listener.local_addr()?);
    tracing::info!(%url, "Shipwatch is serving");
    println!("Shipwatch is running at {url}  (Ctrl-C to stop)");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
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
