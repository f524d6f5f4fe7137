//! Server functions about the signed-in account.

use leptos::prelude::*;

use crate::domain::Account;
use crate::error::AppError;

/// Who is signed in, or `None` for a visitor.
#[server(endpoint = "current_account")]
pub async fn current_account() -> Result<Option<Account>, AppError> {
    match crate::ssr::auth::current_user::from_server_fn().await {
        Ok(user) => Ok(Some(Account {
            email: user.email,
            role: user.role,
        })),
        Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}
