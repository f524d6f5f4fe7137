//! What proved who a request is. A live stream keeps it, and the stream's
//! access checks re-check it when it changes or expires (sign-out, expiry, revocation).

use crate::domain::CurrentUser;

/// The kind of credential and its identity in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A browser session (its id in `tower_sessions.session`).
    Session(String),
    /// An API token (its row id in `api_tokens`).
    Token(i64),
}

/// A signed-in user and what proved it.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub user: CurrentUser,
    pub credential: Credential,
}

/// The token of an `Authorization: Bearer …` header, if the header is one.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_at_checked(7)?;
    scheme
        .eq_ignore_ascii_case("bearer ")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_tokens_are_read_case_insensitively_and_blank_is_none() {
        assert_eq!(bearer_token("Bearer swt_abc"), Some("swt_abc"));
        assert_eq!(bearer_token("bearer swt_abc "), Some("swt_abc"));
        assert_eq!(bearer_token("Bearer  "), None);
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bear"), None);
    }
}
