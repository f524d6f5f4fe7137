//! `/` — the shipments the visitor can see: counts per status, filters,
//! search, pages, live rows; customers can also watch someone else's shipment.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::current_account;
use crate::api::actions::WatchShipment;
use crate::components::filters::{follow_counts, shipments_for_url, Pager, ShipmentFilters};
use crate::components::form_feedback::{echoed, field_error, form_error, max_chars, refused};
use crate::components::shipment_table::ShipmentTable;
use crate::domain::{needs_attention, ShipmentList, ShipmentQuery, ShipmentSummary, Standing};
use crate::error::AppError;
use leptos::server_fn::ServerFn as _;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let (query, shipments) = shipments_for_url();
    let account = Resource::new(|| (), |_| current_account());
    view! {
        <Title text="Shipments" />
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipments…"</p> }>
            {move || Suspend::new(async move {
                let staff = matches!(account.await, Ok(Some(a)) if a.role.is_staff());
                let query = query.get_untracked().unwrap_or_default();
                let list = shipments.await;
                view! { <Dashboard staff query list /> }
            })}
        </Suspense>
    }
}

/// The page's part that lives in the browser (an island: the rest of the
/// page is server-rendered HTML whose code never ships).
// An island in the `dashboard` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-dashboard"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-dashboard")), component)]
fn Dashboard(staff: bool, query: ShipmentQuery, list: Result<ShipmentList, AppError>) -> impl IntoView {
    // Set once the browser has taken over the server-rendered page; end-to-end
    // tests wait for it, and CSS can hide controls that need JavaScript.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // A shipment the user starts watching joins the list at once.
    let watched = RwSignal::new(None::<ShipmentSummary>);
    view! {
        <section class="dashboard" data-hydrated=move || hydrated.get().to_string()>
            <div class="page-heading">
                <h1>{if staff { "All shipments" } else { "Your shipments" }}</h1>
                {(!staff).then(|| view! { <WatchForm watched /> })}
            </div>
            {match list {
                Ok(list) => view! { <ShipmentListView base="/" query list watched /> }.into_any(),
                Err(error) => view! {
                    <p class="error" role="alert">{format!("Could not load shipments: {error}")}</p>
                    <p><a href="/">"Show all shipments"</a></p>
                }.into_any(),
            }}
        </section>
    }
}

/// Filters, the live table (or an empty state that says why), and the pager.
/// Shared with the operator console.
#[component]
pub fn ShipmentListView(
    base: &'static str,
    query: ShipmentQuery,
    list: ShipmentList,
    #[prop(optional)] watched: Option<RwSignal<Option<ShipmentSummary>>>,
    #[prop(optional)] selection: Option<crate::components::shipment_table::Selection>,
) -> impl IntoView {
    let rows = RwSignal::new(list.shipments.clone());
    let tally = follow_counts(&list);
    if let Some(watched) = watched {
        Effect::new(move |_| {
            if let Some(added) = watched.get() {
                // Newly visible, unless already listed (watching twice is
                // harmless; one watched before but not on this page would
                // be counted again, until the next load).
                if rows.with_untracked(|rows| rows.iter().all(|r| r.tracking_number != added.tracking_number))
                {
                    tally.update(|t| {
                        t.add(Standing {
                            status: added.status,
                            needs_attention: needs_attention(
                                added.status,
                                added.updated_at,
                                crate::live::now(),
                            ),
                        })
                    });
                }
                rows.update(|rows| {
                    rows.retain(|r| r.tracking_number != added.tracking_number);
                    rows.insert(0, added);
                });
            }
        });
    }
    let filtered = query.is_filtered();
    let empty = move || rows.with(Vec::is_empty);
    let next_page = list.next_page.clone();
    view! {
        <ShipmentFilters base query=query.clone() tally />
        <Show when=empty fallback=|| ()>
            <div class="empty-state">
                {if filtered {
                    view! {
                        <h2>"No shipments match these filters"</h2>
                        <p><a href=base>"Clear the filters"</a>" to see every shipment."</p>
                    }.into_any()
                } else {
                    view! {
                        <h2>"No shipments yet"</h2>
                        <p>"Shipments sent to you appear here as soon as the carrier registers them, "
                           "and every change shows up the moment it happens. To follow someone else's "
                           "parcel, use “Watch a shipment”."</p>
                    }.into_any()
                }}
            </div>
        </Show>
        <div hidden=empty>
            {match selection {
                Some(selection) => view! { <ShipmentTable rows query=query.clone() selection /> }.into_any(),
                None => view! { <ShipmentTable rows query=query.clone() /> }.into_any(),
            }}
        </div>
        <div class="list-foot">
            <Pager base query=query.clone() next_page />
            <DownloadCsv query />
        </div>
    }
    .into_any()
}

/// A link that downloads every shipment matching the current filters (not
/// only this page) as CSV.
#[component]
fn DownloadCsv(query: ShipmentQuery) -> impl IntoView {
    let filters = query.to_query_string(None);
    let href = if filters.is_empty() {
        "/api/v1/shipments?format=csv".to_owned()
    } else {
        format!("/api/v1/shipments{filters}&format=csv")
    };
    view! {
        <p class="download"><a href=href download="shipments.csv">"Download these shipments (CSV)"</a></p>
    }
}

/// "Watch a shipment": tracking number + destination postal code.
#[component]
fn WatchForm(watched: RwSignal<Option<ShipmentSummary>>) -> impl IntoView {
    let action = ServerAction::<WatchShipment>::new();
    let result = action.value();
    Effect::new(move |_| {
        if let Some(Ok(summary)) = result.get() {
            watched.set(Some(summary));
        }
    });
    view! {
        <details class="watch" open=refused(result)()>
            <summary>"Watch a shipment"</summary>
            <ActionForm action attr:class="inline-fields" attr:aria-label="Watch a shipment">
                <div class="field">
                    <label for="watch-number">"Tracking number"</label>
                    <input id="watch-number" name="tracking_number" type="text" required autocomplete="off"
                        value=echoed(WatchShipment::PATH, "tracking_number") />
                    {field_error(result, "tracking_number")}
                </div>
                <div class="field">
                    <label for="watch-postcode">"Destination postal code"</label>
                    <input id="watch-postcode" name="postal_code" type="text" required autocomplete="off"
                        maxlength=max_chars("postal_code") value=echoed(WatchShipment::PATH, "postal_code") />
                    {field_error(result, "postal_code")}
                </div>
                <button type="submit" class="primary">"Watch"</button>
            </ActionForm>
            {form_error(result, &["tracking_number", "postal_code"])}
            {move || result.with(|r| match r {
                Some(Ok(s)) => Some(view! {
                    <p class="success" role="status">{format!("You are now watching {}.", s.tracking_number)}</p>
                }),
                _ => None,
            })}
        </details>
    }
}
