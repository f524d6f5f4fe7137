//! The settings of `server serve` (flags and environment variables, which
//! docs/operations.md lists) and what they become: the app's configuration.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use leptos::prelude::*;

use app::ssr::auth::api_limit::ApiLimits;
use app::ssr::auth::session::SessionConfig;
use app::ssr::auth::throttle::LoginLimits;
use app::ssr::notify::sender::EmailSettings;
use app::ssr::web::StreamSettings;
use app::ssr::web::TrustedProxies;
use app::ssr::webhooks::target::AddressPolicy;
use app::ssr::webhooks::WebhookSettings;

use crate::database::DatabaseArgs;

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
    /// Webhooks may go to plain `http://` URLs (receivers on this host, tests);
    /// otherwise only `https://`.
    #[arg(long, env = "SHIPWATCH_WEBHOOK_ALLOW_HTTP", default_value_t = false)]
    pub webhook_allow_http: bool,
    /// Webhooks may go to loopback and private addresses (receivers on this
    /// host or network); otherwise they are refused, at registration and at
    /// every connection.
    #[arg(long, env = "SHIPWATCH_WEBHOOK_ALLOW_PRIVATE", default_value_t = false)]
    pub webhook_allow_private: bool,
    /// API requests per minute for one API token or one signed-in session
    /// (a live stream counts once, when it opens), across all instances.
    #[arg(long, env = "SHIPWATCH_API_RATE_LIMIT", default_value_t = 600)]
    pub api_rate_limit: u32,
    /// API requests per minute from one address without a token or session.
    #[arg(long, env = "SHIPWATCH_API_RATE_LIMIT_ANONYMOUS", default_value_t = 120)]
    pub api_rate_limit_anonymous: u32,
    /// Whether this instance delivers webhooks (`false`: it only serves;
    /// the other instances deliver, as any of them may).
    #[arg(long, env = "SHIPWATCH_WEBHOOK_DELIVERER", default_value_t = true, action = clap::ArgAction::Set)]
    pub webhook_deliverer: bool,
    /// Hours an endpoint may fail before it is switched off.
    #[arg(long, env = "SHIPWATCH_WEBHOOK_DISABLE_AFTER_HOURS", default_value_t = 24)]
    pub webhook_disable_after_hours: u64,
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

    pub fn config(&self) -> anyhow::Result<AppConfig> {
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
            api_limits: ApiLimits {
                per_client: self.api_rate_limit.max(1),
                anonymous: self.api_rate_limit_anonymous.max(1),
                ..ApiLimits::default()
            },
            webhooks: WebhookSettings {
                policy: AddressPolicy {
                    allow_http: self.webhook_allow_http,
                    allow_private: self.webhook_allow_private,
                },
                disable_after: Duration::from_secs(self.webhook_disable_after_hours.saturating_mul(3600)),
                deliverer: self.webhook_deliverer,
                ..WebhookSettings::default()
            },
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
    pub webhooks: WebhookSettings,
    pub api_limits: ApiLimits,
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
