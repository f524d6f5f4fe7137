//! The browser side of the live stream, shared by every island of the page
//! (the live table, the bell, the connection indicator).
//!
//! All tabs of a browser share one stream: each tab talks to a SharedWorker
//! (`public/live-worker.js`) that holds the only `EventSource`, so eight tabs
//! are one connection, and closing any tab loses nothing. Where SharedWorker is
//! missing (Chrome on Android), the tab runs the same script as its own
//! dedicated Worker: the stream, its resume and its reconnect policy live in
//! that one script either way. Tab and worker speak `protocol`.
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
    /// The newest position this tab has taken in: the page's render position
    /// to begin with, when it carried one. Frames at or before it are ones
    /// the page already shows (the worker re-sends them when it restarts the
    /// stream for another tab that needs older frames).
    through: StoredValue<Option<i64>>,
}

impl LiveFeed {
    fn new() -> Self {
        Self {
            connection: RwSignal::new(Connection::Idle),
            inbox: RwSignal::new((0, VecDeque::new())),
            started: StoredValue::new(false),
            through: StoredValue::new(None),
        }
    }

    /// Gives the page being rendered its feed (server side).
    pub fn provide() -> Self {
        let feed = Self::new();
        provide_context(feed);
        feed
    }

    /// The page's feed. In the browser each island is hydrated on its own,
    /// without its parents' context, so the feed is one value per tab; on
    /// the server, the request's (see [`LiveFeed::provide`]).
    pub fn expect() -> Self {
        #[cfg(feature = "hydrate")]
        {
            thread_local!(static TAB: LiveFeed = LiveFeed::new());
            TAB.with(|feed| *feed)
        }
        #[cfg(not(feature = "hydrate"))]
        expect_context::<Self>()
    }

    /// Opens the tab's stream on first use (browser only).
    pub fn connect(&self) {
        if self.started.get_value() {
            return;
        }
        self.started.set_value(true);
        #[cfg(feature = "hydrate")]
        browser::open(*self);
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
        if self
            .through
            .get_value()
            .is_some_and(|through| event.position <= through)
        {
            return;
        }
        self.through.set_value(Some(event.position));
        self.inbox.update(|(total, recent)| {
            *total += 1;
            recent.push_back(event);
            if recent.len() > INBOX {
                recent.pop_front();
            }
        });
    }
}

/// The messages between a tab and the live worker, version 1: JSON strings
/// with `v` and a `type` tag (see the top of `public/live-worker.js`, the
/// other side). Anything else is dropped.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
mod protocol {
    use serde::{Deserialize, Serialize};

    pub const VERSION: u32 = 1;

    /// What a tab tells the worker.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum ToWorker<'a> {
        /// Start sending to this tab, for this account (what the worker sent
        /// in the last seconds first). The early start's hello also carries
        /// `after`, the page's render position (see `public/live-worker.js`).
        Hello { account: &'a str },
        /// This tab is going away.
        Bye,
    }

    /// What the worker tells a tab.
    #[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum FromWorker {
        State {
            state: WorkerState,
        },
        /// One `event: shipment` frame's data, and the account whose stream
        /// it came from.
        Shipment {
            account: String,
            data: String,
        },
        /// The stream's cursor was unusable: refetch.
        Reset,
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum WorkerState {
        Live,
        Reconnecting,
        Offline,
        SignedOut,
    }

    #[derive(Serialize)]
    struct Outgoing<'a> {
        v: u32,
        #[serde(flatten)]
        message: &'a ToWorker<'a>,
    }

    #[derive(Deserialize)]
    struct Incoming {
        v: u32,
        #[serde(flatten)]
        message: FromWorker,
    }

    pub fn encode(message: &ToWorker<'_>) -> String {
        serde_json::to_string(&Outgoing { v: VERSION, message }).unwrap_or_default()
    }

    /// A worker message of this version, or `None`.
    pub fn decode(text: &str) -> Option<FromWorker> {
        serde_json::from_str::<Incoming>(text)
            .ok()
            .filter(|incoming| incoming.v == VERSION)
            .map(|incoming| incoming.message)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn messages_carry_the_version_and_a_type_tag() {
            assert_eq!(
                encode(&ToWorker::Hello {
                    account: "alice@example.com"
                }),
                r#"{"v":1,"type":"hello","account":"alice@example.com"}"#
            );
            assert_eq!(encode(&ToWorker::Bye), r#"{"v":1,"type":"bye"}"#);
            assert_eq!(
                decode(r#"{"v":1,"type":"state","state":"signed_out"}"#),
                Some(FromWorker::State {
                    state: WorkerState::SignedOut
                })
            );
            assert_eq!(
                decode(r#"{"v":1,"type":"shipment","account":"alice@example.com","data":"{}"}"#),
                Some(FromWorker::Shipment {
                    account: "alice@example.com".to_owned(),
                    data: "{}".to_owned()
                })
            );
            assert_eq!(decode(r#"{"v":1,"type":"reset"}"#), Some(FromWorker::Reset));
        }

        #[test]
        fn other_versions_and_unknown_messages_are_dropped() {
            assert_eq!(decode(r#"{"v":2,"type":"reset"}"#), None);
            assert_eq!(decode(r#"{"type":"reset"}"#), None);
            assert_eq!(decode(r#"{"v":1,"type":"state","state":"sleepy"}"#), None);
            assert_eq!(decode("hello alice"), None);
        }
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast as _, JsValue};
    use web_sys::MessageEvent;

    use super::protocol::{self, FromWorker, ToWorker, WorkerState};
    use super::{Connection, LiveFeed};
    use crate::api::account::current_account;
    use leptos::prelude::*;

    /// Takes this tab's messages from the browser's shared stream, which the
    /// page's own script (`live-start.js`, `window.shipwatchLive`) joins: on
    /// a signed-in page it has already, from the page's render position;
    /// otherwise (a page rendered without a session, whose islands still ask
    /// for the stream) it joins now, for whoever is signed in.
    pub fn open(feed: LiveFeed) {
        feed.connection.set(Connection::Reconnecting);
        let Ok(live) = js_sys::Reflect::get(&window(), &JsValue::from_str("shipwatchLive")) else {
            return feed.connection.set(Connection::Offline);
        };
        let state = js_sys::Reflect::get(&live, &JsValue::from_str("state"))
            .ok()
            .and_then(|state| state.as_string());
        match state.as_deref() {
            None => feed.connection.set(Connection::Offline),
            Some("idle") => leptos::task::spawn_local(async move {
                let account = match current_account().await {
                    Ok(Some(account)) => account.email,
                    Ok(None) => return feed.connection.set(Connection::SignedOut),
                    Err(_) => String::new(),
                };
                if join(&live, &account).is_err() || listen(feed, &live).is_err() {
                    feed.connection.set(Connection::Offline);
                }
            }),
            Some(_) => {
                if listen(feed, &live).is_err() {
                    feed.connection.set(Connection::Offline);
                }
            }
        }
    }

    /// `shipwatchLive.join(hello, bye)`, for `account`, without a render
    /// position: the worker replays its last seconds to this tab.
    fn join(live: &JsValue, account: &str) -> Result<(), JsValue> {
        let join: js_sys::Function = js_sys::Reflect::get(live, &JsValue::from_str("join"))?.dyn_into()?;
        let hello = JsValue::from_str(&protocol::encode(&ToWorker::Hello { account }));
        let bye = JsValue::from_str(&protocol::encode(&ToWorker::Bye));
        match join.call2(live, &hello, &bye)?.as_bool() {
            Some(true) => Ok(()),
            _ => Err(JsValue::from_str("could not join the stream")),
        }
    }

    /// Hands the worker's messages to `feed`, skipping what the page was
    /// rendered with.
    fn listen(feed: LiveFeed, live: &JsValue) -> Result<(), JsValue> {
        let listen: js_sys::Function =
            js_sys::Reflect::get(live, &JsValue::from_str("listen"))?.dyn_into()?;
        let rendered_at = js_sys::Reflect::get(live, &JsValue::from_str("after"))?.as_f64();
        let account = js_sys::Reflect::get(live, &JsValue::from_str("account"))?
            .as_string()
            .unwrap_or_default();
        feed.through
            .set_value(rendered_at.map(|position| position as i64));
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            receive(feed, &account, &message)
        });
        listen.call1(live, on_message.as_ref())?;
        on_message.forget();
        Ok(())
    }

    /// One message from the worker, for a tab of `account`.
    fn receive(feed: LiveFeed, account: &str, message: &MessageEvent) {
        let Some(text) = message.data().as_string() else {
            return;
        };
        match protocol::decode(&text) {
            Some(FromWorker::State { state }) => feed.connection.set(match state {
                WorkerState::Live => Connection::Live,
                WorkerState::Reconnecting => Connection::Reconnecting,
                WorkerState::Offline => Connection::Offline,
                WorkerState::SignedOut => Connection::SignedOut,
            }),
            Some(FromWorker::Shipment { account: of, data }) => {
                // The worker sends a tab only its own account's frames; a
                // frame of another one would mean the tab shows someone
                // else's data, so it is checked here too.
                if of != account {
                    return feed.connection.set(Connection::SignedOut);
                }
                if let Ok(event) = serde_json::from_str(&data) {
                    feed.push(event);
                }
            }
            Some(FromWorker::Reset) => {
                let _ = window().location().reload();
            }
            None => leptos::logging::warn!("live: ignoring an unknown message from the worker"),
        }
    }
}

/// In the `<head>` of every page: the small inline script through which the
/// tab joins the live stream (`src/live-start.js`). On a signed-in page it
/// joins at once, while the bundle downloads, so the page is live as soon as
/// it hydrates, from the position the request arrived at
/// (`SignedIn::rendered_at`), so nothing committed between the page's data
/// and the stream is lost. Renders nothing in the browser (the head is not
/// hydrated).
#[component]
pub fn EarlyStart() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let signed_in = use_context::<http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::ssr::web::SignedIn>().cloned());
        // The worker names an account by its email (`hello`), as the
        // bundle's own way of joining does.
        let (account, after) = signed_in
            .map(|signed_in| (signed_in.email, signed_in.rendered_at))
            .unzip();
        view! {
            <script
                nonce=leptos::nonce::use_nonce()
                data-account=account
                data-after=after
                inner_html=include_str!("live-start.js")
            ></script>
        }
    }
    #[cfg(not(feature = "ssr"))]
    {}
}

/// The Live / Reconnecting… / Offline / Signed out badge in the header.
#[island]
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(position: i64) -> StreamEvent {
        serde_json::from_value(serde_json::json!({
            "position": position,
            "event": {
                "id": position,
                "tracking_number": "SW5194587007",
                "kind": "status",
                "status": "in_transit",
                "location": null,
                "note": null,
                "occurred_at": "2026-12-01T10:00:00Z",
                "actor": "system",
            },
            "shipment": {
                "tracking_number": "SW5194587007",
                "status": "in_transit",
                "origin": "Leeds",
                "destination": "York",
                "carrier": "Parcelway",
                "eta": null,
                "last_location": null,
                "updated_at": "2026-12-01T10:00:00Z",
            },
        }))
        .expect("a frame")
    }

    #[test]
    fn a_tab_takes_each_position_once_and_nothing_from_before_its_render() {
        let owner = Owner::new();
        owner.set();
        let feed = LiveFeed::provide();
        // Rendered at 5; the worker restarts the stream from 3 for another
        // tab, and re-sends what this tab already took.
        feed.through.set_value(Some(5));
        for position in [4, 5, 6, 7, 3, 4, 5, 6, 7, 8] {
            feed.push(frame(position));
        }
        let mut applied = Vec::new();
        let seen = feed.drain(0, |event| applied.push(event.position));
        assert_eq!(applied, [6, 7, 8]);
        assert_eq!(seen, 3);
    }
}
