//! `/shipments/{tracking_number}` — one shipment and its timeline, newest
//! first. A shipment the visitor may not see is a 404, like one that does not
//! exist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::shipments::get_shipment;
use crate::components::status_badge::StatusBadge;
use crate::domain::{format_timestamp, EventKind, ShipmentDetail, ShipmentEvent};
use crate::error::AppError;

#[component]
pub fn ShipmentPage() -> impl IntoView {
    let params = use_params_map();
    let tracking_number = move || params.with(|p| p.get("tracking_number").unwrap_or_default());
    let detail = Resource::new(tracking_number, get_shipment);

    view! {
        <Title text=move || format!("Shipment {}", tracking_number()) />
        <p class="aside"><a href="/">"← All shipments"</a></p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipment…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <ShipmentView detail /> }.into_any(),
                    Err(AppError::NotFound(_)) => view! {
                        <section class="empty-state">
                            <h1>"Shipment not found"</h1>
                            <p>"There is no shipment with this tracking number among yours. "
                               "Check the number, or " <a href="/">"go to your shipments"</a>"."</p>
                        </section>
                    }.into_any(),
                    Err(error) => view! {
                        <p class="error" role="alert">{format!("Could not load the shipment: {error}")}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ShipmentView(detail: ShipmentDetail) -> impl IntoView {
    let shipment = detail.shipment;
    let events = detail
        .timeline
        .into_iter()
        .map(|event| view! { <TimelineEntry event /> })
        .collect_view();
    view! {
        <section class="shipment">
            <h1>
                <span class="tracking-number">{shipment.tracking_number.to_string()}</span>
                " "
                <StatusBadge status=shipment.status />
            </h1>
            <dl class="facts">
                <dt>"Route"</dt>
                <dd>{format!("{} → {}", shipment.origin, shipment.destination)}</dd>
                <dt>"Carrier"</dt>
                <dd>{shipment.carrier}</dd>
                <dt>"ETA"</dt>
                <dd>{shipment.eta.map(|d| d.format("%a %d %b %Y").to_string()).unwrap_or_else(|| "—".into())}</dd>
                <dt>"Last update"</dt>
                <dd>{format_timestamp(shipment.updated_at)}</dd>
            </dl>
            <h2>"Timeline"</h2>
            <ol class="timeline">{events}</ol>
        </section>
    }
}

#[component]
fn TimelineEntry(event: ShipmentEvent) -> impl IntoView {
    let what = match (event.kind, event.status) {
        (EventKind::Status, Some(status)) => view! { <StatusBadge status /> }.into_any(),
        (EventKind::ProblemReported, _) => view! { <strong>"Problem reported"</strong> }.into_any(),
        (EventKind::ProblemResolved, _) => view! { <strong>"Problem resolved"</strong> }.into_any(),
        (EventKind::InstructionsSet, _) => {
            view! { <strong>"Delivery instructions"</strong> }.into_any()
        }
        (EventKind::Status, None) => view! { <strong>"Status"</strong> }.into_any(),
    };
    view! {
        <li>
            <div class="what">{what} {event.location.map(|l| view! { <span class="location">{l}</span> })}</div>
            {event.note.map(|n| view! { <p class="note">{n}</p> })}
            <p class="meta">
                <time datetime=event.occurred_at.to_rfc3339()>{format_timestamp(event.occurred_at)}</time>
                " · " {event.actor}
            </p>
        </li>
    }
}
