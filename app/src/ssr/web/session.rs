//! The browser's session, typed: the one place that decides whom a session
//! cookie signs in, and the sign-in and sign-out steps every door shares.
//!
//! The page guard, the request extractor (API, server functions, the stream)
//! and both sign-in doors (the no-JS form and `POST /api/v1/session`) go
//! through [`BrowserSession`], so a session past its absolute lifetime, or
//! whose account is gone, is signed out everywhere alike: a page redirects to
//! `/login` exactly when its data calls would answer 401.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;

use crate::domain::CurrentUser;
use crate::error::AppError;
use crate::ssr::actions::accounts;
use crate::ssr::auth::client::ClientAddr;
use crate::ssr::auth::devices;
use crate::ssr::auth::session::{self, outlived, session_error, SIGNED_IN_AT_KEY, USER_ID_KEY};
use crate::ssr::db;

use super::state::AppState;

/// The session of the browser a request comes from, with what sign-in needs
/// from that request: the client address and the device cookie.
pub struct BrowserSession {
    session: Session,
    /// The client, for per-client throttles (set by the server's
    /// client-address middleware).
    client: Option<ClientAddr>,
    /// The device token the browser sent (`auth::devices`), if any.
    device: Option<String>,
}

/// Whom a session signs in, checked: within its lifetime, account present.
pub struct SessionUser {
    pub user: CurrentUser,
    /// The session's id (what sign-out-everywhere and the stream's access
    /// checks know it by).
    pub session_id: String,
}

/// A sign-in that just succeeded: the account, and the device cookie the
/// answer must carry so this browser is known to it next time.
pub struct NewSignIn {
    pub user: CurrentUser,
    device_token: String,
    secure: bool,
}

impl FromRequestParts<AppState> for BrowserSession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(|(_, message)| {
                tracing::error!(message, "session layer missing");
                AppError::Internal
            })?;
        Ok(Self {
            session,
            client: parts.extensions.get::<ClientAddr>().copied(),
            device: device_cookie(&parts.headers),
        })
    }
}

impl BrowserSession {
    /// Who is signed in, if anyone. A session past its absolute lifetime
    /// (however active) or whose account was deleted is ended here and
    /// counts as signed out.
    pub async fn current(&self, state: &AppState) -> Result<Option<SessionUser>, AppError> {
        let Some(user_id) = self
            .session
            .get::<i64>(USER_ID_KEY)
            .await
            .map_err(session_error)?
        else {
            return Ok(None);
        };
        let signed_in_at: Option<i64> = self.session.get(SIGNED_IN_AT_KEY).await.map_err(session_error)?;
        if outlived(signed_in_at, state.session_lifetime) {
            self.session.flush().await.map_err(session_error)?;
            return Ok(None);
        }
        let Some(session_id) = self.session.id().map(|id| id.to_string()) else {
            return Ok(None);
        };
        match db::users::find_by_id(&state.pool, user_id).await? {
            Some(user) => Ok(Some(SessionUser { user, session_id })),
            None => {
                self.session.flush().await.map_err(session_error)?;
                Ok(None)
            }
        }
    }

    /// Checks the email and password (throttled, `actions::accounts::sign_in`)
    /// and starts the session under a new id.
    pub async fn sign_in(
        &self,
        state: &AppState,
        email: &str,
        password: String,
    ) -> Result<NewSignIn, AppError> {
        let origin = accounts::Origin {
            client: self.client,
            device: self.device.as_deref(),
            hash_turns: &state.hash_turns,
        };
        let welcome = accounts::sign_in(&state.pool, &state.login_limits, email, password, origin).await?;
        session::sign_in(&state.pool, &self.session, welcome.user.id).await?;
        Ok(NewSignIn {
            user: welcome.user,
            device_token: welcome.device_token,
            secure: state.public_origin.starts_with("https://"),
        })
    }

    /// Signs this browser out: the session is deleted server-side, so the old
    /// cookie is worthless.
    pub async fn end(&self, state: &AppState) -> Result<(), AppError> {
        session::sign_out(&state.pool, &self.session).await
    }
}

impl NewSignIn {
    /// `response` with the device cookie (long-lived, HttpOnly, SameSite=Lax,
    /// Secure behind https).
    pub fn answer(&self, response: impl IntoResponse) -> Response {
        let secure = if self.secure { "; Secure" } else { "" };
        let max_age = devices::LIFETIME_DAYS * 24 * 60 * 60;
        let mut response = response.into_response();
        // The token is base64url: always a valid header value.
        if let Ok(value) = HeaderValue::from_str(&format!(
            "{}={}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}",
            devices::COOKIE,
            self.device_token
        )) {
            response.headers_mut().append(SET_COOKIE, value);
        }
        response
    }
}

/// The device token among the request's cookies.
fn device_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == devices::COOKIE)
        .map(|(_, value)| value.to_owned())
}
