//! HTTP routes that are not Leptos pages, and the middleware around them.

pub mod api_v1;
pub mod assets;
pub mod csv;
pub mod device_cookie;
pub mod events;
pub mod extract;
pub mod forms;
pub mod guards;
pub mod health;
pub mod imports;
pub mod metrics;
pub mod notification_forms;
pub mod outage;
pub mod refused_forms;
pub mod security_headers;
pub mod track;
pub mod unsubscribe;
