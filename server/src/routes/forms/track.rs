//! `POST /track`: the public tracking page's lookup form (no account), over
//! `app::ssr::actions::public_tracking`. Its live stream is
//! `routes::streams::public_shipment`.

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

use app::domain::input::WatchProof;
use app::error::AppError;
use app::ssr::actions::public_tracking;
use app::ssr::web::AppState;

use crate::routes::support::extract::ClientIp;
use crate::routes::support::url::urlencode;

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
