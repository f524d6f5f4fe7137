//! The bell in the header: how many notifications are unread, live. The
//! count is the server's (`notify::inbox`), rendered with the page; the live
//! stream only says when to ask again — a change that reached this browser
//! may have made a notification, committed with it before the stream saw it.
//! Bursts are coalesced into one request.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::notifications::unread_notifications;
use crate::components::browser_notifications::notify_if_hidden;
use crate::domain::{ShipmentStatus, UNREAD_CAP};
use crate::live::LiveFeed;

/// How long a burst of changes may take before the count is fetched again.
const COALESCE: Duration = Duration::from_millis(300);

#[island]
pub fn Bell(
    /// The count when the page was rendered.
    initial: i64,
) -> impl IntoView {
    let count = RwSignal::new(initial);
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(None::<usize>);
    let pending = StoredValue::new(false);
    // The newest change that arrived (number, status, place, event id), for
    // a system notification; worded only if one is shown.
    let latest = StoredValue::new(None::<(String, Option<ShipmentStatus>, Option<String>, i64)>);
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value().unwrap_or(usize::MAX), |frame| {
            let event = &frame.event;
            latest.set_value(Some((
                event.tracking_number.to_string(),
                event.status,
                event.location.clone(),
                event.id,
            )));
        });
        // The first run only notes where the feed is: the rendered count
        // already includes everything before it.
        let changed = seen.get_value().is_some_and(|before| now_seen > before);
        seen.set_value(Some(now_seen));
        if changed && !pending.get_value() {
            pending.set_value(true);
            set_timeout(
                move || {
                    leptos::task::spawn_local(async move {
                        if let Ok(Some(unread)) = unread_notifications().await {
                            // A new notification (by this person's own
                            // preferences): tell the system too, if asked.
                            if unread > count.get_untracked() {
                                if let Some((number, status, place, id)) = latest.get_value() {
                                    let what = status.map_or("Updated", ShipmentStatus::label);
                                    notify_if_hidden(
                                        &format!("{number}: {what}"),
                                        place.as_deref().unwrap_or(""),
                                        &format!("{number}-{id}"),
                                    );
                                }
                            }
                            count.set(unread);
                        }
                        pending.set_value(false);
                    });
                },
                COALESCE,
            );
        }
    });
    let shown = move || {
        let n = count.get();
        if n >= UNREAD_CAP {
            format!("{}+", UNREAD_CAP - 1)
        } else {
            n.to_string()
        }
    };
    let label = move || match count.get() {
        0 => "Notifications, none unread".to_owned(),
        _ => format!("Notifications, {} unread", shown()),
    };
    view! {
        <a href="/notifications" class="bell" aria-label=label data-unread=move || count.get().to_string()>
            <span aria-hidden="true">"🔔"</span>
            <span class="bell-count" aria-hidden="true" hidden=move || count.get() == 0>{shown}</span>
        </a>
    }
}
