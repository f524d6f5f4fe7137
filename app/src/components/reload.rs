//! Data an island came with from the server, read again when something says
//! it changed (an action it dispatched, a live event). The first run only
//! starts tracking: the page was rendered with the current data.

use std::future::Future;

use leptos::prelude::*;

/// Sets `value` to a fresh `load()` each time `changed` (which reads the
/// signals to follow) reports a change.
pub fn reload_when<T, Fut>(
    value: RwSignal<T>,
    changed: impl Fn() + 'static,
    load: impl Fn() -> Fut + Copy + 'static,
) where
    T: Send + Sync + 'static,
    Fut: Future<Output = T> + 'static,
{
    Effect::new(move |first: Option<()>| {
        changed();
        if first.is_some() {
            leptos::task::spawn_local(async move { value.set(load().await) });
        }
    });
}
