//! `/settings` — what you hear about and how: which status changes, for
//! shipments you own and those you watch, in the app and by email; staff can
//! also hear of every problem reported. A plain form posting to `/settings`,
//! so it works without JavaScript. Browser notifications are a per-browser
//! choice, kept in the browser (`BrowserNotifications`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::notifications::notification_settings;
use crate::components::browser_notifications::BrowserNotificationsChoice;
use crate::domain::ShipmentStatus;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| notification_settings());
    let query = use_query_map();
    let saved = query.with_untracked(|q| q.get("saved").is_some());
    let error = query
        .with_untracked(|q| q.get("error"))
        .map(|field| match field.as_str() {
            "problems" => "Only depot staff can hear of every problem reported.",
            _ => "Those settings could not be saved; check them and try again.",
        });
    view! {
        <Title text="Notification settings" />
        <section class="settings">
            <h1>"Notification settings"</h1>
            {saved.then(|| view! { <p class="success" role="status">"Saved."</p> })}
            {error.map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading your settings…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok((prefs, staff)) => view! {
                            <form method="post" action="/settings" class="stacked-form settings-form">
                                <fieldset>
                                    <legend>"Tell me when a shipment becomes"</legend>
                                    {ShipmentStatus::ALL.into_iter().map(|status| {
                                        let id = format!("status-{}", status.as_str());
                                        view! {
                                            <label class="check">
                                                <input type="checkbox" id=id name="status" value=status.as_str()
                                                    checked=prefs.statuses.contains(&status) />
                                                {status.label()}
                                            </label>
                                        }
                                    }).collect_view()}
                                </fieldset>
                                <fieldset>
                                    <legend>"About"</legend>
                                    <Check name="owned" label="Shipments I own" checked=prefs.owned />
                                    <Check name="watched" label="Shipments I watch" checked=prefs.watched />
                                    {staff.then(|| view! {
                                        <Check name="problems" label="Every problem reported (staff)" checked=prefs.problems />
                                    })}
                                </fieldset>
                                <fieldset>
                                    <legend>"How"</legend>
                                    <Check name="in_app" label="In the app (the bell)" checked=prefs.in_app />
                                    <Check name="email" label="By email" checked=prefs.email />
                                </fieldset>
                                <button type="submit" class="primary">"Save"</button>
                            </form>
                            <BrowserNotificationsChoice />
                        }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{format!("Could not load your settings: {error}")}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Check(name: &'static str, label: &'static str, checked: bool) -> impl IntoView {
    let id = format!("setting-{name}");
    view! {
        <label class="check">
            <input type="checkbox" id=id name=name value="on" checked=checked />
            {label}
        </label>
    }
}
