//! The account forms behind `/login`, `/register` and the sign-out button.
//! They work without JavaScript: each answers with a redirect (303),
//! carrying any error back to the form in the query string. Signing in and
//! out are `app::ssr::web::BrowserSession`'s steps, shared with the API.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use app::domain::{input, FormRefusal, Viewer};
use app::error::AppError;
use app::ssr::actions::accounts;
use app::ssr::web::{AppState, BrowserSession};

use crate::routes::support::extract::ClientIp;
use crate::routes::support::url::urlencode;

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
    session: BrowserSession,
    Form(form): Form<SignInForm>,
) -> Response {
    match session.sign_in(&state, &form.email, form.password).await {
        Ok(signed_in) => signed_in.answer(Redirect::to(safe_next(form.next.as_deref()))),
        Err(error) => {
            let mut url = format!(
                "/login?{}&email={}",
                refusal_query(&error),
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

pub async fn register(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    Form(form): Form<RegisterForm>,
) -> Response {
    let RegisterForm { email, password } = form;
    let registered = match (
        input::email("email", &email),
        input::new_password("password", password),
    ) {
        (Ok(parsed_email), Ok(password)) => {
            let origin = accounts::Origin {
                client,
                device: None,
                hash_turns: &state.hash_turns,
            };
            accounts::register(&state.pool, &state.login_limits, &parsed_email, password, origin).await
        }
        (Err(error), _) | (_, Err(error)) => Err(error.into()),
    };
    match registered {
        Ok(user) => {
            Redirect::to(&format!("/login?registered=1&email={}", urlencode(&user.email))).into_response()
        }
        Err(error) => Redirect::to(&format!(
            "/register?{}&email={}",
            refusal_query(&error),
            urlencode(&email)
        ))
        .into_response(),
    }
}

/// Signs this browser out; with `everywhere=1` in the form, every browser
/// of the account. Any body is accepted (a bare POST signs out here only).
pub async fn sign_out(
    State(state): State<AppState>,
    viewer: Result<Viewer, AppError>,
    session: BrowserSession,
    body: axum::body::Bytes,
) -> Response {
    let everywhere = form_urlencoded::parse(&body).any(|(name, value)| name == "everywhere" && value == "1");
    let everywhere = match (everywhere, viewer) {
        (true, Ok(viewer)) => accounts::sign_out_everywhere(&state.pool, &viewer, None)
            .await
            .map(|_| ()),
        _ => Ok(()),
    };
    let outcome = match everywhere {
        Ok(()) => session.end(&state).await,
        Err(error) => Err(error),
    };
    match outcome {
        Ok(()) => Redirect::to("/login?signed_out=1").into_response(),
        Err(error) => error.into_response(),
    }
}

/// `error=<code>` (and `retry=<seconds>` when throttled) for the redirect
/// back to the form: codes, never text (`app::domain::FormRefusal`).
fn refusal_query(error: &AppError) -> String {
    let code = FormRefusal::of(error).code();
    match error {
        AppError::TooManyRequests { retry_after_secs } => format!("error={code}&retry={retry_after_secs}"),
        _ => format!("error={code}"),
    }
}

/// Where to go after signing in: a path of ours, or `/`. Anything a browser
/// could read as another site is refused — `//evil.example`, `/\\evil`,
/// `https:…`, `javascript:` — also when hidden behind whitespace or control
/// characters (browsers drop tabs and newlines, so `/\t/evil` is `//evil`)
/// or percent-encoding (`/%09/evil`, `/%2F/evil`), and anything that is not a
/// plain ASCII path with an optional query.
fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if is_own_path(path) && is_own_path(&percent_decoded(path)) => path,
        _ => "/",
    }
}

fn is_own_path(path: &str) -> bool {
    path.len() <= 2048
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic())
        && path.parse::<axum::http::uri::PathAndQuery>().is_ok()
}

/// `%XX` sequences decoded (bytes that are not UTF-8 become U+FFFD, which
/// [`is_own_path`] refuses).
fn percent_decoded(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
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
        assert_eq!(safe_next(Some("/%09/evil.example")), "/");
        assert_eq!(safe_next(Some("/?q=%41")), "/?q=%41");
    }
}
