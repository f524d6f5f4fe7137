//! `/login` — a plain HTML form posting to `/login`, so it works with or
//! without JavaScript. Errors come back in the query string, as codes.

use leptos::prelude::*;

use crate::components::form_feedback::max_chars;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::FormRefusal;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key)).filter(|v| !v.is_empty());
    // The refusal comes as a code; the words are ours (`FormRefusal`).
    let retry = param("retry").and_then(|secs| secs.parse().ok());
    let error = param("error").map(|code| FormRefusal::from_code(&code).message(retry));
    let notice = if param("registered").is_some() {
        Some("Your account is ready. Sign in to continue.")
    } else if param("signed_out").is_some() {
        Some("You are signed out.")
    } else {
        None
    };
    let email = param("email").unwrap_or_default();
    let next = param("next").unwrap_or_default();

    view! {
        <Title text="Sign in" />
        <section class="auth-card">
            <h1>"Sign in"</h1>
            {notice.map(|text| view! { <p class="notice" role="status">{text}</p> })}
            {error.clone().map(|text| view! { <p class="error" role="alert" id="login-error">{text}</p> })}
            <form method="post" action="/login" class="stacked-form">
                <input type="hidden" name="next" value=next />
                <label for="login-email">"Email"</label>
                <input
                    id="login-email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    maxlength=max_chars("email")
                    value=email
                    aria-describedby=error.as_ref().map(|_| "login-error")
                />
                <label for="login-password">"Password"</label>
                <input
                    id="login-password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    maxlength=max_chars("password")
                />
                <button type="submit" class="primary">"Sign in"</button>
            </form>
            <p class="aside">"New to Shipwatch? " <a href="/register">"Create an account"</a></p>
        </section>
    }
}
