//! `/shipments/{tracking_number}` — one shipment and its timeline, newest
//! first, updated live. Staff also get a form to post the next status. A
//! shipment the visitor may not see is a 404, like one that does not exist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::account::current_account;
use crate::api::shipments::{get_shipment, PostStatus};
use crate::components::status_badge::StatusBadge;
use crate::domain::{format_timestamp, EventKind, ShipmentDetail, ShipmentEvent};
use crate::error::AppError;
use crate::live::LiveFeed;

#[component]
pub fn ShipmentPage() -> impl IntoView {
    let params = use_params_map();
    let tracking_number = move || params.with(|p| p.get("tracking_number").unwrap_or_default());
    let detail = Resource::new(tracking_number, get_shipment);
    let account = Resource::new(|| (), |_| current_account());

    view! {
        <Title text=move || format!("Shipment {}", tracking_number()) />
        <p class="aside"><a href="/">"← All shipments"</a></p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipment…"</p> }>
            {move || Suspend::new(async move {
                let is_staff = matches!(account.await, Ok(Some(a)) if a.role.is_staff());
                match detail.await {
                    Ok(detail) => view! { <ShipmentView detail is_staff /> }.into_any(),
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
fn ShipmentView(detail: ShipmentDetail, is_staff: bool) -> impl IntoView {
    let summary = RwSignal::new(detail.shipment);
    let timeline = RwSignal::new(detail.timeline);
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value(), |frame| {
            if summary.with_untracked(|s| s.tracking_number == frame.shipment.tracking_number) {
                summary.set(frame.shipment.clone());
                timeline.update(|t| {
                    if !t.iter().any(|e| e.id == frame.event.id) {
                        t.insert(0, frame.event.clone());
                    }
                });
            }
        });
        seen.set_value(now_seen);
    });

    let number = summary.with_untracked(|s| s.tracking_number.to_string());
    view! {
        <section class="shipment">
            <h1>
                <span class="tracking-number">{number.clone()}</span>
                " "
                {move || view! { <StatusBadge status=summary.get().status /> }}
            </h1>
            <dl class="facts">
                <dt>"Route"</dt>
                <dd>{move || summary.with(|s| format!("{} → {}", s.origin, s.destination))}</dd>
                <dt>"Carrier"</dt>
                <dd>{move || summary.with(|s| s.carrier.clone())}</dd>
                <dt>"ETA"</dt>
                <dd>{move || summary.with(|s| s.eta.map(|d| d.format("%a %d %b %Y").to_string()).unwrap_or_else(|| "—".into()))}</dd>
                <dt>"Last update"</dt>
                <dd>{move || summary.with(|s| format_timestamp(s.updated_at))}</dd>
            </dl>
            {is_staff.then(|| view! { <PostStatusForm number=number.clone() summary /> })}
            <h2>"Timeline"</h2>
            <ol class="timeline">
                <For each=move || timeline.get() key=|e| e.id let:event>
                    <TimelineEntry event />
                </For>
            </ol>
        </section>
    }
}

/// The operator's form: offers only the statuses the lifecycle allows next.
#[component]
fn PostStatusForm(number: String, summary: RwSignal<crate::domain::ShipmentSummary>) -> impl IntoView {
    let action = ServerAction::<PostStatus>::new();
    let error = move || match action.value().get() {
        Some(Err(error)) => Some(error.to_string()),
        _ => None,
    };
    view! {
        <section class="operator-form" aria-labelledby="post-status-heading">
            <h2 id="post-status-heading">"Post a status"</h2>
            {move || {
                let next = summary.with(|s| s.status.next_statuses());
                if next.is_empty() {
                    view! { <p class="aside">"This shipment's journey has ended; there is no next status."</p> }.into_any()
                } else {
                    let number = number.clone();
                    view! {
                        <ActionForm action attr:class="stacked-form">
                            <input type="hidden" name="tracking_number" value=number />
                            <label for="post-status">"New status"</label>
                            <select id="post-status" name="status" required>
                                {next.into_iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                            </select>
                            <label for="post-location">"Location"</label>
                            <input id="post-location" name="location" type="text" autocomplete="off" />
                            <label for="post-note">"Note"</label>
                            <input id="post-note" name="note" type="text" autocomplete="off" />
                            <button type="submit" class="primary">"Post status"</button>
                        </ActionForm>
                    }.into_any()
                }
            }}
            {move || error().map(|text| view! { <p class="error" role="alert">{text}</p> })}
        </section>
    }
}

#[component]
fn TimelineEntry(event: ShipmentEvent) -> impl IntoView {
    let what = match (event.kind, event.status) {
        (EventKind::Status, Some(status)) => view! { <StatusBadge status /> }.into_any(),
        (EventKind::ProblemReported, _) => view! { <strong>"Problem reported"</strong> }.into_any(),
        (EventKind::ProblemResolved, _) => view! { <strong>"Problem resolved"</strong> }.into_any(),
        (EventKind::InstructionsSet, _) => view! { <strong>"Delivery instructions"</strong> }.into_any(),
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
