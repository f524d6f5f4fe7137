//! Tracking numbers as people type them and carriers print them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A normalised tracking number: 6–32 ASCII letters and digits, upper case.
///
/// Spaces and hyphens are dropped on parse because people paste numbers such as
/// `1Z 999-AA1`; everything else that is not alphanumeric is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TrackingNumber(String);

/// Why a tracking number was refused; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingNumberError {
    #[error("enter a tracking number")]
    Empty,
    #[error("a tracking number has 6 to 32 letters and digits")]
    Length,
    #[error("a tracking number has only letters and digits (found `{0}`)")]
    Character(char),
}

impl TrackingNumber {
    pub const MIN_LEN: usize = 6;
    pub const MAX_LEN: usize = 32;
    /// What [`TrackingNumber::parse`] accepts, as a JSON Schema pattern: 6 to
    /// 32 letters and digits, with spaces or hyphens anywhere between (which
    /// it drops).
    pub const PATTERN: &'static str = r"^[ -]*([A-Za-z0-9][ -]*){6,32}$";

    pub fn parse(input: &str) -> Result<Self, TrackingNumberError> {
        let mut normalised = String::with_capacity(input.len());
        for c in input.trim().chars() {
            match c {
                ' ' | '-' => {}
                c if c.is_ascii_alphanumeric() => normalised.push(c.to_ascii_uppercase()),
                other => return Err(TrackingNumberError::Character(other)),
            }
        }
        if normalised.is_empty() {
            return Err(TrackingNumberError::Empty);
        }
        if !(Self::MIN_LEN..=Self::MAX_LEN).contains(&normalised.len()) {
            return Err(TrackingNumberError::Length);
        }
        Ok(Self(normalised))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TrackingNumber {
    type Error = TrackingNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TrackingNumber> for String {
    fn from(value: TrackingNumber) -> Self {
        value.0
    }
}

impl AsRef<str> for TrackingNumber {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_numbers_with_spaces_and_hyphens_are_normalised() {
        assert_eq!(
            TrackingNumber::parse(" 1z 999-aa1 ").map(String::from),
            Ok("1Z999AA1".into())
        );
    }

    #[test]
    fn empty_short_long_and_odd_characters_are_refused() {
        assert_eq!(TrackingNumber::parse("  "), Err(TrackingNumberError::Empty));
        assert_eq!(TrackingNumber::parse("AB12"), Err(TrackingNumberError::Length));
        assert_eq!(
            TrackingNumber::parse(&"A".repeat(33)),
            Err(TrackingNumberError::Length)
        );
        assert_eq!(
            TrackingNumber::parse("SW12345'67"),
            Err(TrackingNumberError::Character('\''))
        );
        assert_eq!(
            TrackingNumber::parse("SW1234ü567"),
            Err(TrackingNumberError::Character('ü'))
        );
    }

    #[test]
    fn deserialising_goes_through_parse() {
        let ok: TrackingNumber = serde_json::from_str("\"sw0000000001\"").expect("valid");
        assert_eq!(ok.as_str(), "SW0000000001");
        assert!(serde_json::from_str::<TrackingNumber>("\"x\"").is_err());
    }
}
