//! Server functions about the signed-in account.

use leptos::prelude::*;

use crate::domain::Account;
use crate::error::AppError;

/// Who is signed in, or `None` for a visitor.
#[server(endpoint = "current_account")]
pub async fn current_account() -> Result<Option<Account>, AppError> {
    match crate::ssr::web::from_server_fn().await {
        Ok(crate::domain::Viewer::User(user)) => Ok(Some(Account::from(user))),
        Ok(crate::domain::Viewer::System) | Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}
