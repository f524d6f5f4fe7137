//! `/` — the shipments the visitor can see.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::shipments::list_shipments;
use crate::components::shipment_table::ShipmentTable;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let shipments = Resource::new(|| (), |_| list_shipments());
    // Set once the browser has taken over the server-rendered page; end-to-end
    // tests wait for it, and CSS can hide controls that need JavaScript.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Title text="Shipments" />
        <section class="dashboard" data-hydrated=move || hydrated.get().to_string()>
            <h1>"Your shipments"</h1>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipments…"</p> }>
                {move || Suspend::new(async move {
                    match shipments.await {
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty-state">
                                <h2>"No shipments yet"</h2>
                                <p>"Shipments sent to you appear here as soon as the carrier registers them, "
                                   "and every change shows up the moment it happens."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! { <ShipmentTable shipments=list /> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{format!("Could not load shipments: {error}")}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
