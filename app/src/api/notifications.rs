//! Server functions for the bell, the notifications list and the settings
//! page. Thin, over `ssr::actions::notifications`. Changes go through the
//! HTML forms (`/settings`, `/notifications/read`), which work without
//! JavaScript.

use leptos::prelude::*;

use crate::domain::{Inbox, NotificationPreferences};
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::{api::as_viewer, ssr::actions::notifications};

/// The signed-in person's preferences, and whether they are staff (who may
/// also hear of every problem reported).
#[server(endpoint = "notification_settings")]
pub async fn notification_settings() -> Result<(NotificationPreferences, bool), AppError> {
    as_viewer(|state, viewer| async move {
        let preferences = notifications::preferences(&state.pool, &viewer).await?;
        Ok((preferences, viewer.is_staff()))
    })
    .await
}

/// The newest notifications and the unread count.
#[server(endpoint = "my_notifications")]
pub async fn my_notifications() -> Result<Inbox, AppError> {
    as_viewer(|state, viewer| async move { notifications::inbox(&state.pool, &viewer).await }).await
}

/// The bell's number; `None` for a visitor (every page's header asks, the
/// sign-in page too, so being signed out is not an error here).
#[server(endpoint = "unread_notifications")]
pub async fn unread_notifications() -> Result<Option<i64>, AppError> {
    match crate::ssr::web::from_server_fn().await {
        Ok(viewer @ crate::domain::Viewer::User(_)) => {
            let state = crate::ssr::web::AppState::from_context()?;
            Ok(Some(notifications::unread(&state.pool, &viewer).await?))
        }
        Ok(crate::domain::Viewer::System) | Err(AppError::Unauthorized) => Ok(None),
        Err(other) => Err(other),
    }
}
