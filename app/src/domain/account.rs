//! Accounts as people see them: who is signed in, and the admin's view of
//! accounts and API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Role;

/// Who is signed in, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Account {
    pub email: String,
    pub role: Role,
}

impl From<super::CurrentUser> for Account {
    fn from(user: super::CurrentUser) -> Self {
        Account {
            email: user.email,
            role: user.role,
        }
    }
}

/// An account as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// An API token as listed: never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenInfo {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it stops working by itself (`None`: when revoked).
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly issued token: the only time the secret is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct IssuedToken {
    pub id: i64,
    pub token: String,
}
