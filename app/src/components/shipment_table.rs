//! The list of shipments: one row per shipment, newest change first.

use leptos::prelude::*;

use crate::components::status_badge::StatusBadge;
use crate::domain::{format_timestamp, ShipmentSummary};

#[component]
pub fn ShipmentTable(shipments: Vec<ShipmentSummary>) -> impl IntoView {
    let count = shipments.len();
    let rows = shipments
        .into_iter()
        .map(|shipment| view! { <ShipmentRow shipment /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="shipments">
                <caption>{format!("{count} shipments, most recently updated first")}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Tracking number"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Route"</th>
                        <th scope="col">"Carrier"</th>
                        <th scope="col">"ETA"</th>
                        <th scope="col">"Last update"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn ShipmentRow(shipment: ShipmentSummary) -> impl IntoView {
    let eta = shipment
        .eta
        .map(|d| d.format("%a %d %b").to_string())
        .unwrap_or_else(|| "—".to_owned());
    let updated = format_timestamp(shipment.updated_at);
    let location = shipment.last_location.clone().unwrap_or_default();
    view! {
        <tr data-tracking-number=shipment.tracking_number.to_string()>
            <th scope="row" class="tracking-number">
                <a href=format!("/shipments/{}", shipment.tracking_number)>{shipment.tracking_number.to_string()}</a>
            </th>
            <td data-label="Status"><StatusBadge status=shipment.status /></td>
            <td data-label="Route">
                {shipment.origin}
                <span class="arrow" aria-label="to">" → "</span>
                {shipment.destination}
            </td>
            <td data-label="Carrier">{shipment.carrier}</td>
            <td data-label="ETA" class="eta">{eta}</td>
            <td data-label="Last update">
                <time datetime=shipment.updated_at.to_rfc3339()>{updated}</time>
                <span class="location">{location}</span>
            </td>
        </tr>
    }
}
