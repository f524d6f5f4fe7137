//! The browser side of the live stream, shared by the page and the connection
//! indicator through context.
//!
//! All tabs of a browser share one stream: each tab talks to a SharedWorker
//! (`public/live-worker.js`) that holds the only `EventSource`, so eight tabs
//! are one connection, and closing any tab loses nothing. Where SharedWorker is
//! missing (Chrome on Android), the tab opens its own `EventSource`.
//!
//! Events land in a bounded inbox with a running count; a page remembers how
//! many it has applied and applies the rest, so two events arriving in one
//! tick are both seen. Nothing here runs on the server or without JavaScript.

use std::collections::VecDeque;

use leptos::prelude::*;

use crate::domain::StreamEvent;

/// The current time, in the browser too (`Utc::now` panics in wasm without
/// chrono's `wasmbind` feature, which would rebuild the server's dependencies).
pub fn now() -> chrono::DateTime<chrono::Utc> {
    #[cfg(feature = "hydrate")]
    {
        chrono::DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::Utc::now()
    }
}

/// What the indicator shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// No page on screen asked for live updates (or JavaScript is off).
    Idle,
    Live,
    Reconnecting,
    /// The stream failed for good; retrying with backoff.
    Offline,
    /// The session ended: no stream until the user signs in again.
    SignedOut,
}

impl Connection {
    pub fn label(self) -> &'static str {
        match self {
            Connection::Idle => "",
            Connection::Live => "Live",
            Connection::Reconnecting => "Reconnecting…",
            Connection::Offline => "Offline",
            Connection::SignedOut => "Signed out",
        }
    }
}

/// How many recent events the inbox keeps for pages that were busy.
const INBOX: usize = 500;

#[derive(Clone, Copy)]
pub struct LiveFeed {
    pub connection: RwSignal<Connection>,
    /// (events received so far, the most recent ones).
    inbox: RwSignal<(usize, VecDeque<StreamEvent>)>,
    started: StoredValue<bool>,
    /// The newest position received: where a replacement connection resumes.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    last_position: StoredValue<Option<i64>>,
}

impl LiveFeed {
    pub fn provide() -> Self {
        let feed = Self {
            connection: RwSignal::new(Connection::Idle),
            inbox: RwSignal::new((0, VecDeque::new())),
            started: StoredValue::new(false),
            last_position: StoredValue::new(None),
        };
        provide_context(feed);
        feed
    }

    pub fn expect() -> Self {
        expect_context::<Self>()
    }

    /// Opens the tab's stream on first use (browser only).
    pub fn connect(&self) {
        if self.started.get_value() {
            return;
        }
        self.started.set_value(true);
        #[cfg(feature = "hydrate")]
        browser::open(*self, 0);
    }

    /// Calls `apply` for every event after the first `seen`, returning the new
    /// count. Call from an effect: it tracks the inbox.
    pub fn drain(&self, seen: usize, mut apply: impl FnMut(&StreamEvent)) -> usize {
        self.inbox.with(|(total, recent)| {
            let missed = total.saturating_sub(seen);
            let skip = recent.len().saturating_sub(missed);
            for event in recent.iter().skip(skip) {
                apply(event);
            }
            *total
        })
    }

    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fn push(&self, event: StreamEvent) {
        self.last_position.set_value(Some(event.position));
        self.inbox.update(|(total, recent)| {
            *total += 1;
            recent.push_back(event);
            if recent.len() > INBOX {
                recent.pop_front();
            }
        });
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::time::Duration;

    use serde::Deserialize;
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast as _, JsValue};
    use web_sys::{EventSource, MessageEvent, SharedWorker, WorkerOptions};

    use super::{Connection, LiveFeed};
    use crate::api::account::current_account;
    use leptos::prelude::*;

    /// A message from the shared worker (see `public/live-worker.js`).
    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum FromWorker {
        State { state: String },
        Shipment { data: String },
        Reset,
    }

    /// Joins the browser's shared stream, or opens this tab's own.
    pub fn open(feed: LiveFeed, failures: u32) {
        let has_shared_worker =
            js_sys::Reflect::has(&window(), &JsValue::from_str("SharedWorker")).unwrap_or(false);
        if has_shared_worker {
            leptos::task::spawn_local(async move {
                let account = match current_account().await {
                    Ok(Some(account)) => account.email,
                    Ok(None) => return feed.connection.set(Connection::SignedOut),
                    Err(_) => String::new(),
                };
                if join_shared(feed, &account).is_err() {
                    open_own(feed, failures);
                }
            });
        } else {
            open_own(feed, failures);
        }
    }

    fn join_shared(feed: LiveFeed, account: &str) -> Result<(), JsValue> {
        let options = WorkerOptions::new();
        options.set_name("shipwatch-live");
        let worker = SharedWorker::new_with_worker_options("/live-worker.js", &options)?;
        let port = worker.port();
        feed.connection.set(Connection::Reconnecting);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            let Some(text) = message.data().as_string() else {
                return;
            };
            match serde_json::from_str::<FromWorker>(&text) {
                Ok(FromWorker::State { state }) => feed.connection.set(match state.as_str() {
                    "live" => Connection::Live,
                    "offline" => Connection::Offline,
                    "signed_out" => Connection::SignedOut,
                    _ => Connection::Reconnecting,
                }),
                Ok(FromWorker::Shipment { data }) => {
                    if let Ok(event) = serde_json::from_str(&data) {
                        feed.push(event);
                    }
                }
                Ok(FromWorker::Reset) => {
                    let _ = window().location().reload();
                }
                Err(_) => {}
            }
        });
        port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        port.start();
        port.post_message(&JsValue::from_str(&format!("hello {account}")))?;
        // Tell the worker when this tab goes away, so it stops writing to it.
        let leaving = port.clone();
        let on_pagehide = Closure::<dyn FnMut()>::new(move || {
            let _ = leaving.post_message(&JsValue::from_str("bye"));
        });
        window().add_event_listener_with_callback("pagehide", on_pagehide.as_ref().unchecked_ref())?;
        on_pagehide.forget();
        Ok(())
    }

    /// This tab's own stream. The browser itself reconnects after a dropped
    /// connection (sending Last-Event-ID); if it gives up (an error status),
    /// we ask whether we are still signed in and, if so, open a new stream
    /// from our last position after a growing delay.
    fn open_own(feed: LiveFeed, failures: u32) {
        let url = match feed.last_position.get_value() {
            Some(position) => format!("/api/events?after={position}"),
            None => "/api/events".to_owned(),
        };
        let Ok(source) = EventSource::new(&url) else {
            feed.connection.set(Connection::Offline);
            return;
        };
        if failures == 0 {
            feed.connection.set(Connection::Reconnecting);
        }

        let on_open = Closure::<dyn FnMut()>::new(move || feed.connection.set(Connection::Live));
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();

        let watched = source.clone();
        let on_error = Closure::<dyn FnMut()>::new(move || {
            if watched.ready_state() != EventSource::CLOSED {
                feed.connection.set(Connection::Reconnecting);
                return;
            }
            watched.close();
            leptos::task::spawn_local(async move {
                match current_account().await {
                    Ok(None) => feed.connection.set(Connection::SignedOut),
                    _ => {
                        feed.connection.set(Connection::Offline);
                        let delay = Duration::from_secs(u64::from(2u32.saturating_pow(failures.min(4))));
                        set_timeout(move || open_own(feed, failures + 1), delay);
                    }
                }
            });
        });
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();

        let on_shipment = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            if let Some(data) = message.data().as_string() {
                if let Ok(event) = serde_json::from_str(&data) {
                    feed.push(event);
                }
            }
        });
        let _ = source.add_event_listener_with_callback("shipment", on_shipment.as_ref().unchecked_ref());
        on_shipment.forget();

        // A reset means our cursor is unusable: reload to refetch current state.
        let on_reset = Closure::<dyn FnMut()>::new(move || {
            let _ = window().location().reload();
        });
        let _ = source.add_event_listener_with_callback("reset", on_reset.as_ref().unchecked_ref());
        on_reset.forget();
    }
}

/// The Live / Reconnecting… / Offline / Signed out badge in the header.
#[component]
pub fn ConnectionIndicator() -> impl IntoView {
    let feed = LiveFeed::expect();
    let state = feed.connection;
    view! {
        <span
            class=move || format!("connection connection-{:?}", state.get()).to_lowercase()
            role="status"
            hidden=move || state.get() == Connection::Idle
        >
            {move || state.get().label()}
        </span>
    }
}
