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
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::trace::TraceLayer;
use tower_sessions::ExpiredDeletion as _;

use std::sync::{Arc, OnceLock};

use sqlx::PgPool;

use app::ssr::auth::session::{self, SessionConfig};
use app::ssr::auth::signing::SigningKey;
use app::ssr::auth::throttle::LoginLimits;
use app::ssr::notify::message::Letterhead;
use app::ssr::notify::sender::{self, EmailSettings};
use app::ssr::stream::{access, listener, log, Hub};
use app::ssr::web::TrustedProxies;
use app::ssr::web::{AppState, StreamSettings};
use app::{shell, App};

use crate::database::DatabaseArgs;
use crate::routes::{
    api_v1, assets, events, extract, forms, guards, health, imports, metrics, notification_forms, outage,
    refused_forms, security_headers, track, unsubscribe,
};

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
    /// Sessions end this many days after signing in, however active.
    #[arg(long, env = "SHIPWATCH_SESSION_MAX_DAYS", default_value_t = 30)]
    pub session_max_days: u64,
    /// Failed sign-ins allowed per email within the window.
    #[arg(long, env = "SHIPWATCH_LOGIN_LIMIT_PER_EMAIL", default_value_t = 10)]
    pub login_limit_per_email: i64,
    /// Failed sign-ins allowed per client address within the window.
    #[arg(long, env = "SHIPWATCH_LOGIN_LIMIT_PER_CLIENT", default_value_t = 100)]
    pub login_limit_per_client: i64,
    /// The login throttling window, in minutes.
    #[arg(long, env = "SHIPWATCH_LOGIN_WINDOW_MINUTES", default_value_t = 15)]
    pub login_window_minutes: u64,
    /// Registrations allowed per client address per hour.
    #[arg(
        long,
        env = "SHIPWATCH_REGISTRATIONS_PER_CLIENT_PER_HOUR",
        default_value_t = 10
    )]
    pub registrations_per_client: i64,
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers are
    /// believed, as comma-separated addresses or CIDR ranges
    /// (`127.0.0.1,10.0.0.0/8`). Empty: the connection's peer is the client.
    #[arg(long, env = "SHIPWATCH_TRUSTED_PROXIES", default_value = "", value_parser = parse_trusted_proxies)]
    pub trusted_proxies: TrustedProxies,
    /// Where Prometheus metrics are served (`/metrics`, no authentication):
    /// keep it loopback or on a private network. `off` disables it.
    #[arg(long, env = "SHIPWATCH_METRICS_ADDR", default_value = "127.0.0.1:9464")]
    pub metrics_addr: String,
    /// A bearer token that may also read `/metrics` on the app's own port
    /// (for a scraper that can only reach that). Unset: 404 there.
    #[arg(long, env = "SHIPWATCH_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Seconds between `: ping` heartbeats on idle live streams.
    #[arg(long, env = "SHIPWATCH_HEARTBEAT_SECS", default_value_t = 15)]
    pub heartbeat_secs: u64,
    /// Seconds a long-poll (`GET /api/v1/events`) waits for news before
    /// answering with none.
    #[arg(long, env = "SHIPWATCH_LONG_POLL_SECS", default_value_t = 25)]
    pub long_poll_secs: u64,
    /// Live streams (and long-polls) one user may have open at once; every
    /// browser shares one stream among its tabs.
    #[arg(long, env = "SHIPWATCH_MAX_STREAMS_PER_USER", default_value_t = 16)]
    pub max_streams_per_user: usize,
    /// Events a live stream may fall behind before it is dropped (and resumes).
    #[arg(long, env = "SHIPWATCH_STREAM_BUFFER", default_value_t = 256)]
    pub stream_buffer: usize,
    /// The longest an open stream goes without its session, token and role
    /// being re-checked. Access changes and expiries are acted on at once
    /// (see `stream::access`); this is only the safety net.
    #[arg(long, env = "SHIPWATCH_AUTH_RECHECK_SECS", default_value_t = 300)]
    pub auth_recheck_secs: u64,
    /// The SMTP server notification emails go through:
    /// `smtp://host:25`, `smtp://user:password@host:587?tls=required`
    /// (STARTTLS) or `smtps://user:password@host:465`. Unset: no emails
    /// (notifications stay in the app).
    #[arg(long, env = "SHIPWATCH_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The sender of notification emails, e.g. `Shipwatch <noreply@example.com>`.
    #[arg(
        long,
        env = "SHIPWATCH_EMAIL_FROM",
        default_value = "Shipwatch <noreply@localhost>"
    )]
    pub email_from: String,
    /// Seconds a person's first notification waits for others to join it in
    /// one email (a bulk update of 50 parcels sends one email).
    #[arg(long, env = "SHIPWATCH_EMAIL_BATCH_SECS", default_value_t = 30)]
    pub email_batch_secs: u64,
    /// Seconds before the first retry of an email that could not be sent;
    /// doubles with each attempt, up to an hour, 12 attempts in all.
    #[arg(long, env = "SHIPWATCH_EMAIL_RETRY_SECS", default_value_t = 10)]
    pub email_retry_secs: u64,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

fn parse_trusted_proxies(list: &str) -> Result<TrustedProxies, String> {
    TrustedProxies::parse(list)
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
            lifetime: Duration::from_secs(self.session_max_days.saturating_mul(24 * 3600)),
        }
    }

    fn config(&self) -> anyhow::Result<AppConfig> {
        Ok(AppConfig {
            leptos_options: leptos_options(self.addr)?,
            login_limits: self.login_limits(),
            trusted_proxies: self.trusted_proxies.clone(),
            metrics_token: self.metrics_token.clone().filter(|t| !t.is_empty()),
            public_origin: self.public_origin(),
            session: self.session_config(),
            stream: StreamSettings {
                heartbeat: Duration::from_secs(self.heartbeat_secs.max(1)),
                max_per_user: self.max_streams_per_user,
                long_poll_timeout: Duration::from_secs(self.long_poll_secs.max(1)),
                ..StreamSettings::default()
            },
            stream_buffer: self.stream_buffer,
            auth_recheck: Duration::from_secs(self.auth_recheck_secs.max(1)),
            email: self.email_settings()?,
        })
    }

    fn email_settings(&self) -> anyhow::Result<Option<EmailSettings>> {
        let Some(smtp_url) = self.smtp_url.clone().filter(|url| !url.trim().is_empty()) else {
            return Ok(None);
        };
        let from = self.email_from.parse().map_err(|_| {
            anyhow::anyhow!(
                "SHIPWATCH_EMAIL_FROM is not an email address like `Shipwatch <noreply@example.com>`"
            )
        })?;
        let mut settings = EmailSettings::new(smtp_url, from);
        settings.batch_window = Duration::from_secs(self.email_batch_secs);
        settings.retry_base = Duration::from_secs(self.email_retry_secs.max(1));
        Ok(Some(settings))
    }

    fn login_limits(&self) -> LoginLimits {
        LoginLimits {
            per_email: self.login_limit_per_email,
            per_client: self.login_limit_per_client,
            window: Duration::from_secs(self.login_window_minutes.saturating_mul(60)),
            registrations_per_client: self.registrations_per_client,
            ..LoginLimits::default()
        }
    }
}

/// Everything the app needs besides its database.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub leptos_options: LeptosOptions,
    pub login_limits: LoginLimits,
    pub trusted_proxies: TrustedProxies,
    pub metrics_token: Option<String>,
    pub public_origin: String,
    pub session: SessionConfig,
    pub stream: StreamSettings,
    pub stream_buffer: usize,
    pub auth_recheck: Duration,
    /// How notification emails go out; `None`: email is off.
    pub email: Option<EmailSettings>,
}

/// A running app: its router, and the hub to shut down.
pub struct RunningApp {
    pub router: Router,
    pub hub: Arc<Hub>,
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

/// Starts the live stream's listener and access checks and builds the whole HTTP
/// surface of Shipwatch. Creates the session table if needed.
pub async fn build_app(pool: PgPool, config: AppConfig) -> anyhow::Result<RunningApp> {
    crate::routes::metrics::install();
    let store = session::store(&pool)
        .await
        .context("preparing the session store")?;
    tokio::spawn(
        store
            .clone()
            .continuously_delete_expired(tokio::time::Duration::from_secs(3600)),
    );
    tokio::spawn(forget_old_idempotency_keys(pool.clone()));
    let head = log::head(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading the event log head: {e}"))?;
    let hub = Hub::new(config.stream_buffer, head);
    hub.set_max_streams_per_user(config.stream.max_per_user);
    tokio::spawn(listener::run(pool.clone(), Arc::clone(&hub)));
    tokio::spawn(access::run(
        pool.clone(),
        Arc::clone(&hub),
        config.auth_recheck,
        config.session.lifetime,
    ));

    let signing_key = SigningKey::load(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("reading the link-signing key: {e}"))?;
    match config.email {
        Some(email) => {
            let transport = sender::transport(&email).map_err(|e| anyhow::anyhow!(e))?;
            let letterhead = Letterhead {
                public_origin: config.public_origin.clone(),
                from: email.from.clone(),
            };
            tracing::info!(from = %email.from, "notification emails on");
            tokio::spawn(sender::run(
                pool.clone(),
                email,
                transport,
                letterhead,
                signing_key.clone(),
            ));
        }
        None => tracing::info!("notification emails off (SHIPWATCH_SMTP_URL is not set)"),
    }

    let state = AppState {
        signing_key,
        pool,
        leptos_options: config.leptos_options,
        login_limits: config.login_limits,
        trusted_proxies: config.trusted_proxies,
        hash_turns: Default::default(),
        session_lifetime: config.session.lifetime,
        metrics_token: config.metrics_token.map(Arc::from),
        public_origin: config.public_origin,
        hub: Arc::clone(&hub),
        stream: config.stream,
    };
    let pages = Router::new()
        .leptos_routes(&state, page_routes(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .route_layer(from_fn_with_state(state.clone(), guards::pages_require_sign_in));
    let bundle = assets::bundle(
        Path::new(state.leptos_options.site_root.as_ref()),
        state.leptos_options.site_pkg_dir.as_ref(),
    );
    let router = Router::new()
        .route("/healthz", get(health::alive))
        .route("/readyz", get(health::ready))
        .route("/metrics", get(metrics::render_for_token))
        .route("/login", post(forms::sign_in))
        .route("/register", post(forms::register))
        .route("/logout", post(forms::sign_out))
        .route("/settings", post(notification_forms::save_preferences))
        .route("/notifications/read", post(notification_forms::mark_read))
        .route("/track", post(track::look_up))
        .route("/operator/imports", post(imports::upload))
        .route("/unsubscribe", get(unsubscribe::confirm).post(unsubscribe::apply))
        .route("/api/openapi.json", get(api_v1::openapi::document))
        .nest(
            "/api/v1",
            api_v1::router().route("/events", get(events::long_poll)),
        )
        .merge(pages)
        .merge(bundle)
        .route_layer(from_fn(metrics::track_latency))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(assets::compression())
        // The live stream is never compressed, and outside the compression
        // layer its body does not carry an encoder's inline state (~5 KiB
        // per open stream, measured): it joins here, below every other layer.
        .merge(
            Router::new()
                .route("/api/events", get(events::stream))
                .route("/api/track/events", get(track::events))
                .route_layer(from_fn(metrics::track_latency)),
        )
        .layer(assets::private_by_default())
        .layer(from_fn_with_state(state.clone(), security_headers::apply))
        .layer(from_fn_with_state(state.clone(), guards::same_origin))
        .layer(session::layer(store, &config.session))
        .layer(from_fn(outage::session_store_failures))
        .layer(from_fn_with_state(state.clone(), extract::resolve_client))
        .layer(TraceLayer::new_for_http())
        .with_state(state);
    let without_js = router.clone();
    let router = router.layer(from_fn(move |request, next| {
        refused_forms::render_refused_forms(without_js.clone(), request, next)
    }));
    Ok(RunningApp { router, hub })
}

/// Leptos settings from the environment (`LEPTOS_SITE_ROOT`, ...), with
/// Leptos's defaults (`target/site`) so the binary runs from the repository
/// root.
pub fn leptos_options(addr: SocketAddr) -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)
        .context("reading Leptos settings from the environment")?
        .leptos_options;
    options.site_addr = addr;
    // scripts/site.sh writes the bundle's hashed file names beside the binary.
    let hash_file = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())));
    options.hash_files = options.hash_files || hash_file.as_ref().is_some_and(|file| file.is_file());
    let bundle = Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let has_bundle = std::fs::read_dir(&bundle).is_ok_and(|mut files| {
        files.any(|f| f.is_ok_and(|f| f.path().extension().is_some_and(|e| e == "wasm")))
    });
    if !has_bundle {
        tracing::warn!(
            bundle = %bundle.display(),
            "browser bundle missing: pages render but stay static; build it with scripts/build (scripts/run does)"
        );
    }
    Ok(options)
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
        if let Err(error) = axum::serve(listener, metrics::router()).await {
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

/// Hourly: idempotency keys are honoured for a day, then forgotten.
async fn forget_old_idempotency_keys(pool: PgPool) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        if let Err(error) = app::ssr::actions::idempotency::forget_old(&pool).await {
            tracing::warn!(%error, "could not clean up old idempotency keys");
        }
    }
}
