//! The device cookie (`app::ssr::auth::devices`) on the wire: read from the
//! sign-in request, set on the successful answer. Long-lived, HttpOnly,
//! SameSite=Lax, Secure when the public origin is https.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use app::ssr::auth::devices;

/// The device token the browser sent, if any.
pub struct DeviceCookie(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for DeviceCookie {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == devices::COOKIE)
            .map(|(_, value)| value.to_owned());
        Ok(Self(token))
    }
}

/// `response` with the cookie that makes this browser known to the account.
pub fn with_device_cookie(response: impl IntoResponse, token: &str, public_origin: &str) -> Response {
    let secure = if public_origin.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let max_age = devices::LIFETIME_DAYS * 24 * 60 * 60;
    let mut response = response.into_response();
    // The token is base64url: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&format!(
        "{}={token}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
        devices::COOKIE
    )) {
        response.headers_mut().append(SET_COOKIE, value);
    }
    response
}
