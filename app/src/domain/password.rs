//! Rules for a new password, shared by the registration form and the server.

use std::fmt;

/// A password that meets the length rules (10–128 characters).
///
/// Its `Debug` never shows the text, so it cannot leak through logs.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least 10 characters")]
    TooShort,
    #[error("use at most 128 characters")]
    TooLong,
}

impl NewPassword {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(input: String) -> Result<Self, PasswordError> {
        let chars = input.chars().count();
        if chars < Self::MIN_CHARS {
            Err(PasswordError::TooShort)
        } else if chars > Self::MAX_CHARS {
            Err(PasswordError::TooLong)
        } else {
            Ok(Self(input))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_counted_in_characters_not_bytes() {
        assert_eq!(NewPassword::parse("ü".repeat(9)), Err(PasswordError::TooShort));
        assert!(NewPassword::parse("ü".repeat(10)).is_ok());
        assert_eq!(NewPassword::parse("x".repeat(129)), Err(PasswordError::TooLong));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let password = NewPassword::parse("correct horse battery".into()).expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }
}
