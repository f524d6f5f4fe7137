//! The list of shipments: one row per shipment, newest change first, updated
//! live from the tab's stream with a brief highlight and a spoken announcement.

use leptos::prelude::*;

use crate::components::status_badge::StatusBadge;
use crate::domain::{format_timestamp, ShipmentSummary};
use crate::live::LiveFeed;

#[component]
pub fn ShipmentTable(shipments: Vec<ShipmentSummary>) -> impl IntoView {
    let rows = RwSignal::new(shipments);
    let highlighted = RwSignal::new(None::<String>);
    let announcement = RwSignal::new(String::new());

    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value(), |frame| {
            let changed = frame.shipment.clone();
            let number = changed.tracking_number.to_string();
            rows.update(|rows| {
                rows.retain(|row| row.tracking_number != changed.tracking_number);
                rows.insert(0, changed.clone());
            });
            announcement.set(format!("{number} is now {}", changed.status.label()));
            highlighted.set(Some(number));
        });
        seen.set_value(now_seen);
    });
    // The highlight fades after a few seconds (browser only).
    Effect::new(move |_| {
        if highlighted.get().is_some() {
            set_timeout(move || highlighted.set(None), std::time::Duration::from_secs(3));
        }
    });

    view! {
        <p class="visually-hidden" aria-live="polite">{move || announcement.get()}</p>
        <div class="table-wrap">
            <table class="shipments">
                <caption>{move || format!("{} shipments, most recently updated first", rows.with(Vec::len))}</caption>
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
                <tbody>
                    <For
                        each=move || rows.get()
                        key=|s| (s.tracking_number.clone(), s.status, s.updated_at)
                        let:shipment
                    >
                        <ShipmentRow shipment highlighted />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ShipmentRow(shipment: ShipmentSummary, highlighted: RwSignal<Option<String>>) -> impl IntoView {
    let number = shipment.tracking_number.to_string();
    let eta = shipment
        .eta
        .map(|d| d.format("%a %d %b").to_string())
        .unwrap_or_else(|| "—".to_owned());
    let updated = format_timestamp(shipment.updated_at);
    let location = shipment.last_location.clone().unwrap_or_default();
    let row_number = number.clone();
    let class = move || {
        if highlighted.with(|h| h.as_deref() == Some(row_number.as_str())) {
            "changed"
        } else {
            ""
        }
    };
    view! {
        <tr data-tracking-number=number.clone() class=class>
            <th scope="row" class="tracking-number">
                <a href=format!("/shipments/{number}")>{number.clone()}</a>
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
