use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path the app does not know.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    crate::respond_with(404);
    view! {
        <Title text="Not found" />
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to your shipments"</a>"."</p>
        </section>
    }
}
