//! The bell in the header: how many notifications are unread, live. The
//! count is the server's (`notify::inbox`); the live stream only says when to
//! ask again — a change that reached this browser may have made a
//! notification, committed with it before the stream saw it. Bursts are
//! coalesced into one request.

use std::time::Duration;

use leptos::prelude::*;

use crate::api::notifications::unread_notifications;
use crate::domain::UNREAD_CAP;
use crate::live::LiveFeed;

/// How long a burst of changes may take before the count is fetched again.
const COALESCE: Duration = Duration::from_millis(300);

#[component]
pub fn Bell() -> impl IntoView {
    let refresh = RwSignal::new(0u32);
    let unread = Resource::new(move || refresh.get(), |_| unread_notifications());
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(None::<usize>);
    let pending = StoredValue::new(false);
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value().unwrap_or(usize::MAX), |_| ());
        // The first run only notes where the feed is: the count rendered
        // with the page already includes everything before it.
        let changed = seen.get_value().is_some_and(|before| now_seen > before);
        seen.set_value(Some(now_seen));
        if changed && !pending.get_value() {
            pending.set_value(true);
            set_timeout(
                move || {
                    pending.set_value(false);
                    refresh.update(|n| *n += 1);
                },
                COALESCE,
            );
        }
    });
    view! {
        <Transition fallback=|| view! { <a href="/notifications" class="bell" aria-label="Notifications">"🔔"</a> }>
            {move || Suspend::new(async move {
                let count = unread.await.unwrap_or(0);
                let shown = if count >= UNREAD_CAP { format!("{}+", UNREAD_CAP - 1) } else { count.to_string() };
                let label = match count {
                    0 => "Notifications, none unread".to_owned(),
                    _ => format!("Notifications, {shown} unread"),
                };
                view! {
                    <a href="/notifications" class="bell" aria-label=label data-unread=count.to_string()>
                        <span aria-hidden="true">"🔔"</span>
                        {(count > 0).then(|| view! { <span class="bell-count" aria-hidden="true">{shown}</span> })}
                    </a>
                }
            })}
        </Transition>
    }
}
