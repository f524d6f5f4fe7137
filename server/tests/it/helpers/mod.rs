//! Starting the real app for a test, a browser-like HTTP client, and
//! (`sse`) a browser-like reader of live streams.

pub mod receiver;
pub mod sse;

use std::net::SocketAddr;
use std::time::Duration;

use app::ssr::auth::api_limit::ApiLimits;
use app::ssr::auth::session::SessionConfig;
use app::ssr::auth::throttle::LoginLimits;
use std::sync::Arc;

use app::ssr::stream::Hub;
use app::ssr::web::StreamSettings;
use app::ssr::webhooks::target::AddressPolicy;
use app::ssr::webhooks::WebhookSettings;
use leptos::config::LeptosOptions;
use reqwest::header::ORIGIN;
use reqwest::redirect::Policy;
use serde_json::Value;
use server::config::AppConfig;
use sqlx::PgPool;

pub use app::ssr::demo::DEMO_PASSWORD;
/// The token tests read `/metrics` on the app's port with.
pub const METRICS_TOKEN: &str = "test-metrics-token";

/// The app serving on a free loopback port until the test ends.
#[derive(Clone)]
pub struct TestApp {
    pub addr: SocketAddr,
    pub pool: PgPool,
    /// Keeps cookies like a browser; sends our Origin on writes.
    pub client: reqwest::Client,
    pub hub: Arc<Hub>,
}

impl TestApp {
    /// The app as the tests serve it ([`TestApp::config`]).
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_configured(pool, |_| ()).await
    }

    /// The app on the demo data (`seed-demo`: ops, alice, bob, 100 shipments).
    pub async fn seeded(pool: PgPool) -> Self {
        app::ssr::demo::seed_demo(&pool).await.expect("seed");
        Self::spawn(pool).await
    }

    /// The app with some of its settings changed by `change`: the one way a
    /// test starts the app.
    pub async fn spawn_configured(pool: PgPool, change: impl FnOnce(&mut AppConfig)) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let mut config = Self::config(addr);
        change(&mut config);
        let running = server::startup::build_app(pool.clone(), config)
            .await
            .expect("app");
        let (router, hub) = (running.router, running.hub);
        tokio::spawn(server::serving::serve(
            listener,
            router,
            std::future::pending(),
            || {},
        ));
        // Streams start once the listener is connected, as /readyz reports.
        for _ in 0..250 {
            if hub.listener_connected() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            addr,
            pool,
            client: Self::browser(),
            hub,
        }
    }

    /// The settings the tests serve the app on `addr` with.
    pub fn config(addr: SocketAddr) -> AppConfig {
        let leptos_options = LeptosOptions::builder()
            .output_name("shipwatch")
            .site_root("target/site")
            .site_addr(addr)
            .build();
        AppConfig {
            leptos_options,
            login_limits: LoginLimits::default(),
            trusted_proxies: Default::default(),
            metrics_token: Some(METRICS_TOKEN.to_owned()),
            public_origin: format!("http://{addr}"),
            session: SessionConfig {
                secure: false,
                idle_timeout: Duration::from_secs(3600),
                lifetime: app::ssr::auth::session::DEFAULT_LIFETIME,
            },
            stream: StreamSettings {
                heartbeat: Duration::from_millis(500),
                ..StreamSettings::default()
            },
            stream_buffer: 64,
            // Only the safety net: far away, so the tests show that access
            // changes reach open streams as events, not by periodic checks.
            auth_recheck: Duration::from_secs(3600),
            email: None,
            // Generous: tests send requests faster than people do; the
            // limits' own test sets its quotas.
            api_limits: ApiLimits {
                per_client: 100_000,
                anonymous: 100_000,
                ..ApiLimits::default()
            },
            // Receivers are local processes (`receiver`), and retries come
            // quickly so an outage test takes a moment, not minutes.
            webhooks: WebhookSettings {
                policy: AddressPolicy {
                    allow_http: true,
                    allow_private: true,
                },
                retry_schedule: vec![Duration::from_millis(100), Duration::from_millis(300)],
                ..WebhookSettings::default()
            },
        }
    }

    /// A fresh client with its own cookie jar that does not follow redirects.
    pub fn browser() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            // A page that never finishes fails its test instead of hanging the suite.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client")
    }

    /// A fresh browser whose connections come from `local` (another loopback
    /// address, such as 127.0.0.2: another client for per-client limits).
    pub fn browser_from(local: &str) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .local_address(local.parse::<std::net::IpAddr>().expect("address"))
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .expect("client")
    }

    /// This app seen from another browser (its own cookies), connecting from `local`.
    pub fn seen_from(&self, local: &str) -> TestApp {
        TestApp {
            client: TestApp::browser_from(local),
            ..self.clone()
        }
    }

    /// `/metrics` as the configured scraper reads it.
    pub async fn metrics(&self) -> reqwest::Response {
        reqwest::Client::new()
            .get(self.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("metrics")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("request")
    }

    /// `GET path` as JSON (any status: the body is what a test looks at).
    pub async fn get_json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("a JSON body")
    }

    /// A same-origin JSON POST, as the app's own pages would send it.
    pub async fn post_json(&self, path: &str, body: Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header(ORIGIN, self.origin())
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// A same-origin JSON request with any method.
    pub async fn send_json(&self, method: reqwest::Method, path: &str, body: Value) -> reqwest::Response {
        self.client
            .request(method, self.url(path))
            .header(ORIGIN, self.origin())
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    /// The same server, seen by another browser signed in as `email`.
    pub async fn as_user(&self, email: &str) -> TestApp {
        let other = TestApp {
            client: TestApp::browser(),
            ..self.clone()
        };
        other.sign_in_ok(email).await;
        other
    }

    /// Signs this app's client in through the JSON API.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/session",
            serde_json::json!({ "email": email, "password": password }),
        )
        .await
    }

    pub async fn sign_in_ok(&self, email: &str) {
        let response = self.sign_in(email, DEMO_PASSWORD).await;
        assert_eq!(response.status(), 200, "sign in as {email}");
    }
}

/// Tracking numbers of a demo customer's shipments.
pub async fn tracking_numbers_of(pool: &PgPool, email: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = $1 ORDER BY s.tracking_number",
    )
    .bind(email)
    .fetch_all(pool)
    .await
    .expect("tracking numbers")
}

/// Tracking numbers of shipments in `status` whose owner's email matches the
/// SQL `LIKE` pattern `owner` (`%` for anyone), oldest first.
pub async fn shipments_of(pool: &PgPool, owner: &str, status: &str) -> Vec<app::domain::TrackingNumber> {
    let numbers: Vec<String> = sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email LIKE $1 AND s.status::text = $2 ORDER BY s.id",
    )
    .bind(owner)
    .bind(status)
    .fetch_all(pool)
    .await
    .expect("numbers");
    numbers
        .iter()
        .map(|n| app::domain::TrackingNumber::parse(n).expect("valid"))
        .collect()
}

/// A new account with `role` and a password nobody can sign in with.
pub async fn new_user(pool: &PgPool, email: &str, role: app::domain::Role) -> app::domain::CurrentUser {
    sqlx::query("INSERT INTO users (email, password_hash, role) VALUES ($1, 'x', $2::text::user_role)")
        .bind(email)
        .bind(role.as_str())
        .execute(pool)
        .await
        .expect("user");
    user(pool, email).await
}

/// The account `email` as it is now.
pub async fn user(pool: &PgPool, email: &str) -> app::domain::CurrentUser {
    let (id, role): (i64, String) = sqlx::query_as("SELECT id, role::text FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(pool)
        .await
        .expect("user");
    app::domain::CurrentUser {
        id,
        email: email.to_owned(),
        role: role.parse().expect("a role"),
    }
}
