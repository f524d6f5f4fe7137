//! A refused form, as a browser without JavaScript submitted it.
//!
//! Without JavaScript an `ActionForm` is a plain form post to its server
//! function. When the server function refuses it, the server renders the page
//! the form was on again (status 422 or 409) with this in the request, so each
//! form field can show what the user typed next to the error, instead of
//! making them type it again.

use crate::error::AppError;

/// The refused action's server-function path and its submitted fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormEcho {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

impl FormEcho {
    /// What was submitted as `field` to `action`, if that action was refused.
    pub fn value(&self, action: &str, field: &str) -> Option<&str> {
        (self.action == action)
            .then(|| self.fields.iter().find(|(name, _)| name == field))
            .flatten()
            .map(|(_, value)| value.as_str())
    }
}

/// The status a page rendered again for a refused form answers with: a
/// conflict stays 409, an outage stays 503, any other refusal is the input's
/// fault (422) — also "not found" for a watch, whose page itself was found.
pub fn refusal_status(error: u16) -> u16 {
    match error {
        409 | 503 => error,
        _ if error >= 500 => AppError::Internal.status_code().as_u16(),
        _ => 422,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_refused_action_gets_its_fields_back() {
        let echo = FormEcho {
            action: "/api/watch_shipment".to_owned(),
            fields: vec![("postal_code".to_owned(), "1010".to_owned())],
        };
        assert_eq!(echo.value("/api/watch_shipment", "postal_code"), Some("1010"));
        assert_eq!(echo.value("/api/report_problem", "postal_code"), None);
        assert_eq!(echo.value("/api/watch_shipment", "tracking_number"), None);
        assert_eq!(refusal_status(404), 422);
        assert_eq!(refusal_status(409), 409);
        assert_eq!(refusal_status(503), 503);
    }
}
