//! Why a sign-in or registration form was refused, as it travels in the
//! redirect back to the form: a code (`?error=credentials`), which the page
//! turns back into our own words. Free text in a URL could say anything: a
//! link could make the sign-in page tell people to call a number.

use super::{EmailError, PasswordError};
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormRefusal {
    Credentials,
    /// Too many attempts; how long to wait travels as `retry` (seconds).
    Throttled,
    Unavailable,
    Email(EmailError),
    EmailTaken,
    Password(PasswordError),
    /// Anything else: nothing internal is shown.
    Failed,
}

/// What registration says about an address already in use (also the
/// conflict `actions::accounts` refuses it with, 409).
pub const EMAIL_TAKEN: &str = "an account with this email address already exists";

const EMAIL_ERRORS: [EmailError; 3] = [EmailError::Empty, EmailError::TooLong, EmailError::Shape];
const PASSWORD_ERRORS: [PasswordError; 2] = [PasswordError::TooShort, PasswordError::TooLong];

impl FormRefusal {
    /// The refusal an error from signing in or registering amounts to.
    pub fn of(error: &AppError) -> Self {
        match error {
            AppError::BadCredentials => Self::Credentials,
            AppError::TooManyRequests { .. } => Self::Throttled,
            AppError::Unavailable => Self::Unavailable,
            AppError::Conflict(message) if message == EMAIL_TAKEN => Self::EmailTaken,
            AppError::Validation { field, message } => {
                let matches = |text: String| &text == message;
                match field.as_str() {
                    "email" => EMAIL_ERRORS
                        .into_iter()
                        .find(|e| matches(e.to_string()))
                        .map_or(Self::Email(EmailError::Shape), Self::Email),
                    "password" => PASSWORD_ERRORS
                        .into_iter()
                        .find(|e| matches(e.to_string()))
                        .map_or(Self::Password(PasswordError::TooLong), Self::Password),
                    _ => Self::Failed,
                }
            }
            _ => Self::Failed,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Credentials => "credentials",
            Self::Throttled => "throttled",
            Self::Unavailable => "unavailable",
            Self::Email(EmailError::Empty) => "email-empty",
            Self::Email(EmailError::TooLong) => "email-too-long",
            Self::Email(EmailError::Shape) => "email-shape",
            Self::EmailTaken => "email-taken",
            Self::Password(PasswordError::TooShort) => "password-too-short",
            Self::Password(PasswordError::TooLong) => "password-too-long",
            Self::Failed => "failed",
        }
    }

    /// The refusal a code names; an unknown code is [`FormRefusal::Failed`].
    pub fn from_code(code: &str) -> Self {
        [
            Self::Credentials,
            Self::Throttled,
            Self::Unavailable,
            Self::EmailTaken,
            Self::Failed,
        ]
        .into_iter()
        .chain(EMAIL_ERRORS.map(Self::Email))
        .chain(PASSWORD_ERRORS.map(Self::Password))
        .find(|refusal| refusal.code() == code)
        .unwrap_or(Self::Failed)
    }

    /// The field the message belongs under, if any.
    pub fn field(self) -> Option<&'static str> {
        match self {
            Self::Email(_) | Self::EmailTaken => Some("email"),
            Self::Password(_) => Some("password"),
            _ => None,
        }
    }

    /// Our words for it; `retry_after_secs` (from the URL, a number only)
    /// says how long a throttled visitor waits.
    pub fn message(self, retry_after_secs: Option<u64>) -> String {
        match self {
            Self::Credentials => AppError::BadCredentials.to_string(),
            Self::Throttled => AppError::TooManyRequests {
                retry_after_secs: retry_after_secs.unwrap_or(60).min(24 * 3600),
            }
            .to_string(),
            Self::Unavailable => "Shipwatch is briefly unavailable; try again shortly".to_owned(),
            Self::Email(error) => error.to_string(),
            Self::EmailTaken => EMAIL_TAKEN.to_owned(),
            Self::Password(error) => error.to_string(),
            Self::Failed => "that did not work; please try again".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_survives_its_code_and_unknown_text_is_not_shown() {
        for error in [
            AppError::BadCredentials,
            AppError::TooManyRequests {
                retry_after_secs: 120,
            },
            AppError::Unavailable,
            AppError::Conflict(EMAIL_TAKEN.to_owned()),
            AppError::validation("email", EmailError::TooLong),
            AppError::validation("password", PasswordError::TooShort),
            AppError::Internal,
        ] {
            let refusal = FormRefusal::of(&error);
            assert_eq!(FormRefusal::from_code(refusal.code()), refusal, "{error}");
        }
        let spoof = FormRefusal::from_code("Your account is suspended. Call +1 555 0100");
        assert_eq!(spoof, FormRefusal::Failed);
        assert!(!spoof.message(None).contains("555"));
        assert_eq!(
            FormRefusal::Throttled.message(Some(120)),
            "too many attempts; try again in 2 minutes"
        );
    }
}
