//! The public tracking page's doors: `POST /track` (the lookup form, no
//! account) and `GET /api/track/events?token=` (its live stream, authorised
//! by the short-lived token the page carries, not by a session). Both adapt
//! transport to `app::ssr::actions::public_tracking`.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::domain::input::WatchProof;
use app::error::AppError;
use app::ssr::actions::public_tracking;
use app::ssr::web::AppState;

use super::extract::{ApiQuery, ClientIp};
use super::guards::urlencode;

/// The most form fields read.
const MAX_FIELDS: usize = 8;

/// `POST /track`: `tracking_number`, `postal_code`. Found: 303 to the
/// shareable link. Not: 303 back to the form with why and the number typed —
/// never the postcode, which stays out of URLs (and so out of logs and
/// browser history).
pub async fn look_up(State(state): State<AppState>, ClientIp(client): ClientIp, body: Bytes) -> Response {
    let mut number = String::new();
    let mut postcode = String::new();
    for (name, value) in form_urlencoded::parse(&body).take(MAX_FIELDS) {
        match &*name {
            "tracking_number" => number = value.chars().take(64).collect(),
            "postal_code" => postcode = value.chars().take(64).collect(),
            _ => {}
        }
    }
    let result = match WatchProof::parse(&number, &postcode) {
        Ok(proof) => public_tracking::look_up(&state.pool, &state.signing_key, &proof, client).await,
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(link) => Redirect::to(&format!("/track/{link}")).into_response(),
        Err(error) => {
            let code = match &error {
                AppError::NotFound(_) => "not-found",
                AppError::TooManyRequests { .. } => "throttled",
                AppError::Unavailable => "unavailable",
                AppError::Validation { field, .. } if field == "postal_code" => "postcode",
                AppError::Validation { .. } => "number",
                _ => "failed",
            };
            let mut url = format!("/track?error={code}");
            if let AppError::TooManyRequests { retry_after_secs } = &error {
                url.push_str(&format!("&retry={retry_after_secs}"));
            }
            url.push_str(&format!("&number={}", urlencode(&number)));
            Redirect::to(&url).into_response()
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StreamParams {
    #[serde(default)]
    token: String,
}

/// `GET /api/track/events?token=`: the shipment's status changes as Server-
/// Sent Events (`event: update`), until the token expires; then the stream
/// ends and the page fetches a new token.
pub async fn events(
    State(state): State<AppState>,
    ApiQuery(params): ApiQuery<StreamParams>,
) -> Result<Response, AppError> {
    let (shipment_id, expires) = public_tracking::stream_scope(&state.signing_key, &params.token)?;
    let mut subscription = state.hub.public.subscribe(shipment_id)?;
    let heartbeat = state.stream.heartbeat;
    let left = u64::try_from(expires - chrono::Utc::now().timestamp()).unwrap_or(0);
    let until = tokio::time::Instant::now() + Duration::from_secs(left);
    let mut shutdown = state.hub.shutdown_receiver();
    let events = async_stream::stream! {
        yield Ok::<Bytes, Infallible>(Bytes::from_static(b"retry: 2000\n\n"));
        loop {
            tokio::select! {
                frame = subscription.receiver.recv() => match frame {
                    Ok(frame) => yield Ok(frame),
                    // Fell behind, or the feed closed: end; the page reloads
                    // what it shows and reconnects.
                    Err(_) => break,
                },
                () = tokio::time::sleep(heartbeat) => yield Ok(Bytes::from_static(b": ping\n\n")),
                () = tokio::time::sleep_until(until) => break,
                _ = shutdown.changed() => break,
            }
        }
    };
    Ok(super::events::sse_response(events))
}
