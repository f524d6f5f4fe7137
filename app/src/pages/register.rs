//! `/register` — create a customer account; works without JavaScript.

use leptos::prelude::*;

use crate::components::form_feedback::{max_chars, min_chars};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::domain::FormRefusal;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key)).filter(|v| !v.is_empty());
    // The refusal comes as a code; the words are ours (`FormRefusal`).
    let refusal = param("error").map(|code| FormRefusal::from_code(&code));
    let retry = param("retry").and_then(|secs| secs.parse().ok());
    let email = param("email").unwrap_or_default();
    // Field errors sit under their field; anything else above the form.
    let under = |field: &str| {
        refusal
            .filter(|r| r.field() == Some(field))
            .map(|r| r.message(retry))
    };
    let email_error = under("email");
    let password_error = under("password");
    let form_error = refusal.filter(|r| r.field().is_none()).map(|r| r.message(retry));

    view! {
        <Title text="Create an account" />
        <section class="auth-card">
            <h1>"Create an account"</h1>
            {form_error.map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <form method="post" action="/register" class="stacked-form">
                <label for="register-email">"Email"</label>
                <input
                    id="register-email"
                    name="email"
                    type="email"
                    autocomplete="username"
                    required
                    maxlength=max_chars("email")
                    value=email
                    aria-invalid=email_error.as_ref().map(|_| "true")
                    aria-describedby=email_error.as_ref().map(|_| "register-email-error")
                />
                {email_error.map(|text| view! { <p class="field-error" id="register-email-error">{text}</p> })}
                <label for="register-password">"Password"</label>
                <input
                    id="register-password"
                    name="password"
                    type="password"
                    autocomplete="new-password"
                    required
                    minlength=min_chars("password")
                    maxlength=max_chars("password")
                    aria-invalid=password_error.as_ref().map(|_| "true")
                    aria-describedby="register-password-hint"
                />
                <p class="hint" id="register-password-hint">"10 to 128 characters."</p>
                {password_error.map(|text| view! { <p class="field-error" role="alert">{text}</p> })}
                <button type="submit" class="primary">"Create account"</button>
            </form>
            <p class="aside">"Already have an account? " <a href="/login">"Sign in"</a></p>
        </section>
    }
}
