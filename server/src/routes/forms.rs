//! The HTML form endpoints behind `/login`, `/register` and the sign-out
//! button. They work without JavaScript: each answers with a redirect (303),
//! carrying any error back to the form in the query string.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tower_sessions::Session;

use app::domain::input;
use app::error::AppError;
use app::ssr::actions::accounts;
use app::ssr::auth::session;
use app::ssr::web::AppState;

use super::extract::ClientIp;
use super::guards::urlencode;

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    session: Session,
    Form(form): Form<SignInForm>,
) -> Response {
    let result = accounts::sign_in(
        &state.pool,
        &state.login_limits,
        &form.email,
        form.password,
        client,
    )
    .await;
    let outcome = match result {
        Ok(user) => session::sign_in(&session, user.id).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => Redirect::to(safe_next(form.next.as_deref())).into_response(),
        Err(error) => {
            let mut url = format!(
                "/login?error={}&email={}",
                urlencode(&error.to_string()),
                urlencode(&form.email)
            );
            if let Some(next) = form.next.filter(|n| !n.is_empty()) {
                url.push_str(&format!("&next={}", urlencode(&next)));
            }
            Redirect::to(&url).into_response()
        }
    }
}

#[derive(Deserialize)]
pub struct RegisterForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn register(State(state): State<AppState>, Form(form): Form<RegisterForm>) -> Response {
    let RegisterForm { email, password } = form;
    let registered = match (
        input::email("email", &email),
        input::new_password("password", password),
    ) {
        (Ok(parsed_email), Ok(password)) => accounts::register(&state.pool, &parsed_email, password).await,
        (Err(error), _) | (_, Err(error)) => Err(error.into()),
    };
    match registered {
        Ok(user) => {
            Redirect::to(&format!("/login?registered=1&email={}", urlencode(&user.email))).into_response()
        }
        Err(AppError::Validation { field, message }) => Redirect::to(&format!(
            "/register?field={}&error={}&email={}",
            urlencode(&field),
            urlencode(&message),
            urlencode(&email)
        ))
        .into_response(),
        Err(other) => {
            Redirect::to(&format!("/register?error={}", urlencode(&other.to_string()))).into_response()
        }
    }
}

pub async fn sign_out(session: Session) -> Response {
    match session::sign_out(&session).await {
        Ok(()) => Redirect::to("/login?signed_out=1").into_response(),
        Err(error) => error.into_response(),
    }
}

/// Only same-site paths: `//evil.example` or `https://…` would be an open redirect.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.starts_with("/\\") => path,
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_follows_local_paths() {
        assert_eq!(safe_next(Some("/shipments/SW1")), "/shipments/SW1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
