//! A shipment status as a coloured badge.

use leptos::prelude::*;

use crate::domain::ShipmentStatus;

#[component]
pub fn StatusBadge(status: ShipmentStatus) -> impl IntoView {
    view! { <span class=format!("badge badge-{}", status.as_str())>{status.label()}</span> }
}
