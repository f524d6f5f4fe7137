//! `/track` and `/track/{link}` — the public tracking page: no account,
//! only a tracking number and the destination postcode. It shows the status,
//! the ETA and the status changes with place and time, live while open (a
//! stream authorised by a short-lived token, not a session). The lookup is a
//! plain form posting to `/track`, which answers with a shareable link that
//! does not carry the postcode.

use leptos::prelude::*;

use crate::components::form_feedback::max_chars;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::tracking::tracking_page;
use crate::components::status_badge::StatusBadge;
use crate::domain::tracking::{PublicEvent, PublicTracking};
use crate::domain::{format_day, format_machine_time, format_timestamp};

#[component]
pub fn TrackFormPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with_untracked(|q| q.get(key)).filter(|v| !v.is_empty());
    let error = param("error").map(|code| match code.as_str() {
        "not-found" => {
            "No shipment has this tracking number with this postal code. Check both and try again.".to_owned()
        }
        "throttled" => {
            let minutes = param("retry")
                .and_then(|s| s.parse::<u64>().ok())
                .map_or(15, |s| s.div_ceil(60));
            format!("Too many lookups from here; try again in {minutes} minutes.")
        }
        "unavailable" => "Shipwatch is briefly unavailable; try again shortly.".to_owned(),
        "postcode" => "Enter the destination postal code as on the parcel.".to_owned(),
        "number" => "A tracking number is 6 to 32 letters and digits.".to_owned(),
        _ => "That did not work; try again.".to_owned(),
    });
    let number = param("number").unwrap_or_default();
    view! {
        <Title text="Track a shipment" />
        <section class="auth-card track-form">
            <h1>"Track a shipment"</h1>
            <p>"No account needed: the tracking number and the destination postal code are enough."</p>
            {error.clone().map(|text| view! { <p class="error" role="alert" id="track-error">{text}</p> })}
            <form method="post" action="/track" class="stacked-form">
                <label for="track-number">"Tracking number"</label>
                <input id="track-number" name="tracking_number" type="text" required autocomplete="off" value=number />
                <label for="track-postcode">"Destination postal code"</label>
                <input id="track-postcode" name="postal_code" type="text" required autocomplete="postal-code"
                    maxlength=max_chars("postal_code") />
                <button type="submit" class="primary">"Track"</button>
            </form>
            <p class="aside">"Have an account? " <a href="/login">"Sign in"</a>" to watch shipments and hear when they change."</p>
        </section>
    }
}

#[component]
pub fn TrackPage() -> impl IntoView {
    let params = use_params_map();
    let link = move || params.with(|p| p.get("link").unwrap_or_default());
    let data = Resource::new(link, tracking_page);
    view! {
        <Title text="Tracking" />
        <section class="shipment public-tracking">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(tracking) => view! { <PublicView tracking link=link() /> }.into_any(),
                        Err(error) => view! {
                            <h1>"Tracking"</h1>
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/track">"Look a shipment up"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// What the public page shows, as signals its live stream updates.
#[derive(Clone, Copy)]
struct Shown {
    status: RwSignal<crate::domain::ShipmentStatus>,
    eta: RwSignal<Option<chrono::NaiveDate>>,
    timeline: RwSignal<Vec<PublicEvent>>,
    live: RwSignal<bool>,
}

// An island in the `tracking` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-tracking"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-tracking")), component)]
fn PublicView(tracking: PublicTracking, link: String) -> impl IntoView {
    let number = tracking.tracking_number.to_string();
    let shown = Shown {
        status: RwSignal::new(tracking.status),
        eta: RwSignal::new(tracking.eta),
        timeline: RwSignal::new(tracking.timeline),
        live: RwSignal::new(false),
    };
    #[cfg(feature = "hydrate")]
    browser::follow(link.clone(), tracking.stream_token, shown);
    #[cfg(not(feature = "hydrate"))]
    let _ = (&link, tracking.stream_token);
    view! {
        <h1>
            <span class="tracking-number">{number.clone()}</span>
            " "
            {move || view! { <StatusBadge status=shown.status.get() /> }}
            <span class="public-live" role="status">{move || if shown.live.get() { "Live" } else { "" }}</span>
        </h1>
        <p class="eta"><span class="label">"Expected: "</span>
            <strong>{move || shown.eta.get().map(|d| format_day(d, true)).unwrap_or_else(|| "not known yet".into())}</strong>
        </p>
        <h2>"Timeline"</h2>
        <ol class="timeline">
            <For each=move || shown.timeline.get() key=|e| (e.occurred_at, e.status.as_str()) let:event>
                <PublicEntry event />
            </For>
        </ol>
        <p class="aside">"Is this parcel yours or on its way to you? "
            <a href="/login">"Sign in to watch this"</a>" and hear when it changes."</p>
        <p class="aside">"Share this page: its link shows the shipment without the postal code."</p>
    }
}

#[component]
fn PublicEntry(event: PublicEvent) -> impl IntoView {
    view! {
        <li>
            <div class="what"><StatusBadge status=event.status /> {event.location.map(|l| view! { <span class="location">{l}</span> })}</div>
            <p class="meta"><time datetime=format_machine_time(event.occurred_at)>{format_timestamp(event.occurred_at)}</time></p>
        </li>
    }
}

/// The page's live stream, in the browser: an `EventSource` on the public
/// feed with the page's short-lived token. When it ends (the token ran out,
/// the server restarted), the page reads itself again — which also brings a
/// fresh token — and reconnects, so nothing that happened meanwhile is missed.
#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast as _;

    use super::Shown;
    use crate::api::tracking::tracking_page;
    use crate::domain::tracking::PublicUpdate;

    pub fn follow(link: String, token: String, shown: Shown) {
        Effect::new(move |_| connect(link.clone(), token.clone(), shown));
    }

    fn connect(link: String, token: String, shown: Shown) {
        let Shown {
            status,
            eta,
            timeline,
            live,
        } = shown;
        let url = format!("/api/track/events?token={}", js_sys::encode_uri_component(&token));
        let Ok(source) = web_sys::EventSource::new(&url) else {
            return;
        };
        let on_open = Closure::<dyn FnMut()>::new(move || live.set(true));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_update =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |message: web_sys::MessageEvent| {
                let Some(data) = message.data().as_string() else {
                    return;
                };
                let Ok(update) = serde_json::from_str::<PublicUpdate>(&data) else {
                    return;
                };
                status.set(update.status);
                eta.set(update.eta);
                timeline.update(|t| {
                    if !t.contains(&update.event) {
                        t.insert(0, update.event);
                    }
                });
            });
        let _ = source.add_event_listener_with_callback("update", on_update.as_ref().unchecked_ref());
        on_update.forget();
        let closing = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            // Ended or broken: read the page again (a fresh token), then
            // reconnect; the browser's own retry would reuse a stale token.
            closing.close();
            live.set(false);
            let link = link.clone();
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        if let Ok(fresh) = tracking_page(link.clone()).await {
                            status.set(fresh.status);
                            eta.set(fresh.eta);
                            timeline.set(fresh.timeline);
                            connect(link, fresh.stream_token, shown);
                        }
                    });
                },
                std::time::Duration::from_secs(2),
            );
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
    }
}
