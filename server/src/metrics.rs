//! `/metrics` in Prometheus text format (metrics + metrics-exporter-prometheus).
//! Aggregate counts only: nothing about any user or shipment.
//!
//! Not public: served on its own listen address (`SHIPWATCH_METRICS_ADDR`,
//! loopback-only by default, [`router`]), and on the app's port only to
//! a scraper that presents `SHIPWATCH_METRICS_TOKEN` as a bearer token
//! ([`render_for_token`]; 404 when no token is configured).

use std::sync::OnceLock;

use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use app::ssr::auth::credential::bearer_token;
use app::ssr::web::AppState;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (tests build many routers).
pub fn install() {
    HANDLE.get_or_init(|| {
        let latency_buckets = [
            0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
        ];
        let installed = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &latency_buckets)
            .and_then(|builder| builder.install_recorder());
        match installed {
            Ok(handle) => {
                describe();
                Some(handle)
            }
            Err(error) => {
                tracing::warn!(%error, "metrics recorder not installed");
                None
            }
        }
    });
}

fn describe() {
    metrics::describe_gauge!(
        "shipwatch_open_streams",
        "Live streams currently open on this process"
    );
    metrics::describe_counter!("shipwatch_events_sent_total", "Live events handed to streams");
    metrics::describe_counter!(
        "shipwatch_replayed_events_total",
        "Events replayed from the log on resume"
    );
    metrics::describe_counter!(
        "shipwatch_lag_disconnects_total",
        "Streams dropped for falling a buffer behind"
    );
    metrics::describe_gauge!(
        "shipwatch_listener_up",
        "1 while the LISTEN connection is up (live changes arrive), 0 while it reconnects"
    );
    metrics::describe_counter!(
        "shipwatch_listener_reconnects_total",
        "Times the LISTEN connection was re-established"
    );
    metrics::describe_histogram!(
        "shipwatch_notify_to_send_seconds",
        "From a NOTIFY arriving to its event being queued on every stream"
    );
    metrics::describe_counter!(
        "shipwatch_event_announcements_failed_total",
        "Committed events whose announcement (NOTIFY after the commit) failed; numbered at the next announcement or listener reconnect"
    );
    metrics::describe_counter!("shipwatch_login_failures_total", "Failed sign-in attempts");
    metrics::describe_histogram!(
        "shipwatch_http_request_duration_seconds",
        "HTTP request latency by method, route and status class (streams: time to headers)"
    );
}

/// The metrics listener's routes (`SHIPWATCH_METRICS_ADDR`): `/metrics` only.
pub fn router() -> Router {
    Router::new().route("/metrics", get(render))
}

/// `/metrics` on the app's port: for the configured bearer token only.
pub async fn render_for_token(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(expected) = state.metrics_token.as_deref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token);
    match presented {
        Some(token) if same_secret(token.as_bytes(), expected.as_bytes()) => render().await.into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            [("www-authenticate", "Bearer")],
            "metrics need the bearer token configured in SHIPWATCH_METRICS_TOKEN\n",
        )
            .into_response(),
    }
}

/// Compares without stopping at the first differing byte, so the time taken
/// does not tell a guesser how much of the token was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

pub async fn render() -> impl IntoResponse {
    let body = HANDLE
        .get()
        .and_then(Option::as_ref)
        .map(PrometheusHandle::render)
        .unwrap_or_default();
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
