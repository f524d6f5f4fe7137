//! `/notifications` — what changed on the shipments you follow, newest
//! first, with "mark read" and "mark all read" (plain forms, so they work
//! without JavaScript).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::notifications::my_notifications;
use crate::components::status_badge::StatusBadge;
use crate::domain::{format_machine_time, format_timestamp, EventKind, Notification};

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let inbox = Resource::new(|| (), |_| my_notifications());
    view! {
        <Title text="Notifications" />
        <section class="notifications">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading notifications…"</p> }>
                {move || Suspend::new(async move {
                    match inbox.await {
                        Ok(inbox) => view! {
                            <div class="page-heading">
                                <h1>"Notifications"</h1>
                                {(inbox.unread > 0).then(|| view! {
                                    <form method="post" action="/notifications/read" class="inline-form">
                                        <button type="submit" class="link-button">"Mark all read"</button>
                                    </form>
                                })}
                                <a href="/settings">"Notification settings"</a>
                            </div>
                            {if inbox.items.is_empty() {
                                view! {
                                    <p class="empty">"Nothing yet. When a shipment you own or watch changes, "
                                        "you will see it here (choose which changes in "
                                        <a href="/settings">"your settings"</a>")."</p>
                                }.into_any()
                            } else {
                                view! {
                                    <ol class="notification-list">
                                        {inbox.items.into_iter().map(|n| view! { <NotificationEntry n /> }).collect_view()}
                                    </ol>
                                }.into_any()
                            }}
                        }.into_any(),
                        Err(error) => view! {
                            <h1>"Notifications"</h1>
                            <p class="error" role="alert">{format!("Could not load notifications: {error}")}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn NotificationEntry(n: Notification) -> impl IntoView {
    let number = n.event.tracking_number.as_str().to_owned();
    let what = match (n.event.kind, n.event.status) {
        (EventKind::Status, Some(status)) => view! { <StatusBadge status /> }.into_any(),
        (EventKind::ProblemReported, _) => view! { <strong>"Problem reported"</strong> }.into_any(),
        _ => view! { <strong>"Updated"</strong> }.into_any(),
    };
    view! {
        <li class=if n.read { "read" } else { "unread" }>
            <div class="what">
                <a href=format!("/shipments/{number}")>{number.clone()}</a>
                " " {what}
                {n.event.location.map(|l| view! { <span class="location">{l}</span> })}
            </div>
            {n.event.note.map(|note| view! { <p class="note">{note}</p> })}
            <p class="meta">
                <time datetime=format_machine_time(n.event.occurred_at)>{format_timestamp(n.event.occurred_at)}</time>
                {(!n.read).then(|| view! {
                    " · "
                    <form method="post" action="/notifications/read" class="inline-form">
                        <input type="hidden" name="id" value=n.id.to_string() />
                        <button type="submit" class="link-button">"Mark read"</button>
                    </form>
                })}
            </p>
        </li>
    }
}
