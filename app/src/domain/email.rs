//! Email addresses as account names.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A plausible email address, trimmed and lower-cased.
///
/// Lower-casing makes `Alice@Example.com` and `alice@example.com` the same account
/// (the database also has a unique index on `lower(email)`). Deliverability is
/// not checked here; only the shape a person could mistype.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

/// Why an email address was refused; the message is safe to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("enter an email address")]
    Empty,
    #[error("an email address is at most 254 characters")]
    TooLong,
    #[error("enter an email address like name@example.com")]
    Shape,
}

impl Email {
    pub const MAX_LEN: usize = 254;
    /// What [`Email::parse`] accepts, as a JSON Schema pattern (the API
    /// document states it; `server/tests/it/rules.rs` checks the two agree).
    pub const PATTERN: &'static str =
        r"^[^@\s\x00-\x1f\x7f-\x9f]{1,64}@[^@\s\x00-\x1f\x7f-\x9f.]+(\.[^@\s\x00-\x1f\x7f-\x9f.]+)+$";

    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let email = input.trim().to_lowercase();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.len() > Self::MAX_LEN {
            return Err(EmailError::TooLong);
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(EmailError::Shape);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let no_space = !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || local.len() > 64 || !domain_ok || !no_space {
            return Err(EmailError::Shape);
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Email> for String {
    fn from(value: Email) -> Self {
        value.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lower_cased() {
        assert_eq!(
            Email::parse("  Alice@Example.COM ").map(String::from),
            Ok("alice@example.com".into())
        );
    }

    #[test]
    fn malformed_addresses_are_refused_with_a_reason() {
        assert_eq!(Email::parse(""), Err(EmailError::Empty));
        for bad in [
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "a@b@example.com",
            "alice@.example.com",
            "alice@example..com",
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError::Shape), "{bad}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailError::TooLong));
    }
}
