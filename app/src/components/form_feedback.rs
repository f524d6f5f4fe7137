//! Field-level and form-level messages for forms driven by server actions:
//! a validation error appears under the field it names, anything else at the
//! top of the form as an alert. And the bounds every form field states,
//! from the domain's rules.

use leptos::prelude::*;

use crate::domain::input::FieldRule;
use crate::error::AppError;

/// The `maxlength` of the form field `name`: its domain rule's (so the
/// browser stops where the server would refuse).
pub fn max_chars(name: &str) -> Option<String> {
    FieldRule::of(name)
        .and_then(FieldRule::max_chars)
        .map(|max| max.to_string())
}

/// The `minlength` of the form field `name`, where its rule has one.
pub fn min_chars(name: &str) -> Option<String> {
    FieldRule::of(name)
        .map(FieldRule::min_chars)
        .filter(|min| *min > 1)
        .map(|min| min.to_string())
}

/// The message for `field`, if the last submission failed validation there.
pub fn field_error<S, T>(result: S, field: &'static str) -> impl IntoView
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    move || {
        result.with(|r| match r {
            Some(Err(AppError::Validation { field: f, message })) if f == field => {
                Some(view! { <p class="field-error" role="alert">{message.clone()}</p> })
            }
            _ => None,
        })
    }
}

/// The message of a failed submission not tied to one of `fields`.
pub fn form_error<S, T>(result: S, fields: &'static [&'static str]) -> impl IntoView
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    move || {
        result.with(|r| match r {
            Some(Err(AppError::Validation { field, .. })) if fields.contains(&field.as_str()) => None,
            Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }),
            _ => None,
        })
    }
}

/// What the user submitted as `field` to the server function at `action`,
/// when that submission was refused and the page is rendered again for a
/// browser without JavaScript (`ssr::web::FormEcho`); otherwise nothing.
pub fn echoed(action: &str, field: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().and_then(|parts| {
            parts
                .extensions
                .get::<crate::ssr::web::FormEcho>()
                .and_then(|echo| echo.value(action, field).map(str::to_owned))
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (action, field);
        None
    }
}

/// Whether the last submission failed. Read once, when the page is rendered
/// (`open=refused(result)()`): a form inside `<details>` rendered again after
/// a refusal without JavaScript is open to show why; with JavaScript the user
/// opens and closes it, and a later success must not fold it away.
pub fn refused<S, T>(result: S) -> impl Fn() -> bool + Send + Sync + 'static
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    move || result.with(|r| matches!(r, Some(Err(_))))
}

/// A confirmation once the last submission succeeded.
pub fn form_success<S, T>(result: S, message: impl Fn(&T) -> String + Send + Sync + 'static) -> impl IntoView
where
    S: With<Value = Option<Result<T, AppError>>> + Copy + Send + Sync + 'static,
{
    move || {
        result.with(|r| match r {
            Some(Ok(value)) => Some(view! { <p class="success" role="status">{message(value)}</p> }),
            _ => None,
        })
    }
}
