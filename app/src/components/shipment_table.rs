//! The list of shipments: one row per shipment, newest change first, updated
//! live from the tab's stream with a brief highlight and a spoken announcement.

use leptos::prelude::*;

use crate::components::status_badge::StatusBadge;
use crate::domain::{format_timestamp, ShipmentQuery, ShipmentSummary};
use crate::live::LiveFeed;

/// Rows the user selected for a bulk action (the operator console).
pub type Selection = RwSignal<std::collections::BTreeSet<String>>;

#[component]
pub fn ShipmentTable(
    /// The rows, owned by the page so it can add one (after a watch, say).
    rows: RwSignal<Vec<ShipmentSummary>>,
    /// The list's filters: a changed shipment that no longer matches leaves it,
    /// one that newly matches joins it (on the first page).
    query: ShipmentQuery,
    /// Set: each row gets a checkbox.
    #[prop(optional)]
    selection: Option<Selection>,
) -> impl IntoView {
    let highlighted = RwSignal::new(None::<String>);
    let announcement = RwSignal::new(String::new());

    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    let first_page = query.after().is_none();
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value(), |frame| {
            let changed = frame.shipment.clone();
            let number = changed.tracking_number.to_string();
            let belongs = query.matches(&changed, crate::live::now());
            let mut shown = false;
            rows.update(|rows| {
                let position = rows
                    .iter()
                    .position(|row| row.tracking_number == changed.tracking_number);
                if let Some(position) = position {
                    rows.remove(position);
                }
                if belongs && (first_page || position.is_some()) {
                    rows.insert(0, changed.clone());
                    shown = true;
                }
            });
            if shown {
                announcement.set(format!("{number} is now {}", changed.status.label()));
                highlighted.set(Some(number));
            }
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
                <caption>{move || format!("{} shipments on this page, most recently updated first", rows.with(Vec::len))}</caption>
                <thead>
                    <tr>
                        {selection.map(|_| view! { <th scope="col"><span class="visually-hidden">"Select"</span></th> })}
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
                        <ShipmentRow shipment highlighted selection />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn ShipmentRow(
    shipment: ShipmentSummary,
    highlighted: RwSignal<Option<String>>,
    selection: Option<Selection>,
) -> impl IntoView {
    let number = shipment.tracking_number.to_string();
    let eta = shipment
        .eta
        .map(|d| crate::domain::format_day(d, false))
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
            {selection.map(|selection| {
                let key = number.clone();
                let checked_key = number.clone();
                view! {
                    <td class="select">
                        <input type="checkbox" aria-label=format!("Select {number}")
                            prop:checked=move || selection.with(|s| s.contains(&checked_key))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                selection.update(|s| { if on { s.insert(key.clone()); } else { s.remove(&key); } });
                            } />
                    </td>
                }
            })}
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
                <time datetime=crate::domain::format_machine_time(shipment.updated_at)>{updated}</time>
                <span class="location">{location}</span>
            </td>
        </tr>
    }
}
