//! The browser entry point: Leptos's island script calls `hydrate`, then
//! hydrates each island on the page (the `#[island]` components of `app`,
//! exported by it); everything else on a page is server-rendered HTML.

// Leptos view types nest deeply; the operator console needs more than the default 128.
#![recursion_limit = "256"]

// Linked for its islands' exports, which nothing here names.
extern crate app;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
