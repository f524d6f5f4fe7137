//! System notifications from the browser, by choice of this browser only:
//! when a change that made an in-app notification arrives while the tab is
//! hidden, the operating system shows it. The choice is kept in the
//! browser's storage (it is about this device, not the account); the
//! permission is the browser's own.

use leptos::prelude::*;

/// Where the choice is kept.
#[cfg(feature = "hydrate")]
const STORAGE_KEY: &str = "shipwatch.systemNotifications";

/// Shows a system notification for a change, if this browser opted in, the
/// permission is granted and the page is not on screen. `tag` replaces an
/// earlier notification with the same tag (several tabs, one notification).
pub fn notify_if_hidden(title: &str, body: &str, tag: &str) {
    #[cfg(feature = "hydrate")]
    {
        let Some(window) = web_sys::window() else { return };
        let hidden = window
            .document()
            .is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
        let opted_in = window
            .local_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
            .is_some_and(|v| v == "on");
        if !hidden
            || !opted_in
            || web_sys::Notification::permission() != web_sys::NotificationPermission::Granted
        {
            return;
        }
        let options = web_sys::NotificationOptions::new();
        options.set_body(body);
        options.set_tag(tag);
        let _ = web_sys::Notification::new_with_options(title, &options);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (title, body, tag);
}

/// The opt-in on the settings page. Without JavaScript it cannot work, and
/// says so.
// An island in the `settings` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-settings"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-settings")), component)]
pub fn BrowserNotificationsChoice() -> impl IntoView {
    let enabled = RwSignal::new(false);
    let ready = RwSignal::new(false);
    let message = RwSignal::new(None::<&'static str>);
    Effect::new(move |_| {
        ready.set(true);
        #[cfg(feature = "hydrate")]
        {
            let stored = web_sys::window()
                .and_then(|w| w.local_storage().ok().flatten())
                .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
            enabled.set(
                stored.as_deref() == Some("on")
                    && web_sys::Notification::permission() == web_sys::NotificationPermission::Granted,
            );
        }
    });
    let toggle = move |_| {
        let wanted = !enabled.get_untracked();
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let store = |value: &str| {
                if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
                    let _ = storage.set_item(STORAGE_KEY, value);
                }
            };
            if !wanted {
                store("off");
                enabled.set(false);
                message.set(Some("System notifications are off in this browser."));
                return;
            }
            let granted = match web_sys::Notification::request_permission() {
                Ok(promise) => granted(promise).await,
                Err(_) => false,
            };
            if granted {
                store("on");
                enabled.set(true);
                message.set(Some("This browser will show a system notification when something changes while Shipwatch is in the background."));
            } else {
                store("off");
                enabled.set(false);
                message.set(Some("The browser blocked notifications for Shipwatch; allow them in its site settings, then try again."));
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = wanted;
    };
    view! {
        <fieldset class="browser-notifications">
            <legend>"This browser"</legend>
            <label class="check">
                <input type="checkbox" prop:checked=move || enabled.get() disabled=move || !ready.get() on:change=toggle />
                "Show a system notification when something changes while Shipwatch is in the background"
            </label>
            <noscript><p class="aside">"Needs JavaScript."</p></noscript>
            {move || message.get().map(|text| view! { <p class="aside" role="status">{text}</p> })}
        </fieldset>
    }
}

/// Awaits a permission request's promise: true when granted.
#[cfg(feature = "hydrate")]
async fn granted(promise: js_sys::Promise) -> bool {
    wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .ok()
        .and_then(|value| value.as_string())
        .is_some_and(|answer| answer == "granted")
}
