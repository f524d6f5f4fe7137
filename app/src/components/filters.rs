//! The filters above a shipment list (counts per status as links, search,
//! status, "needs attention") and the pager below it. Plain links and a GET
//! form, so they work without JavaScript and every filtered view has a URL.

use leptos::prelude::*;

use crate::api::shipments::list_shipments;
use crate::domain::{ShipmentList, ShipmentQuery, ShipmentStatus, Tally};
use crate::error::AppError;
use crate::live::LiveFeed;

/// Counts per status (each a link that filters), then the search form. The
/// counts move with the live stream (see [`follow_counts`]).
#[component]
pub fn ShipmentFilters(base: &'static str, query: ShipmentQuery, tally: RwSignal<Tally>) -> impl IntoView {
    let link = move |q: ShipmentQuery| format!("{base}{}", q.to_query_string(None));
    let current = |active: bool| if active { Some("page") } else { None };
    let unfiltered = !query.is_filtered();
    let all = ShipmentQuery::default();
    let attention = ShipmentQuery::needing_attention();
    let status_filter = query.clone();
    view! {
        <nav class="status-counts" aria-label="Shipments by status">
            <a href=link(all) aria-current=current(unfiltered)>
                "All " <span class="count">{move || tally.with(|t| t.total)}</span>
            </a>
            <a href=link(attention) class="attention" aria-current=current(query.attention() && query.status().is_none())>
                "Needs attention " <span class="count">{move || tally.with(|t| t.needs_attention)}</span>
            </a>
            <For
                each=move || tally.with(|t| t.counts.clone())
                key=|c| (c.status, c.count)
                let:c
            >
                <a href=link(ShipmentQuery::in_status(c.status))
                    aria-current=current(status_filter.status() == Some(c.status) && !status_filter.attention() && status_filter.search().is_none())>
                    {c.status.label()} " " <span class="count">{c.count}</span>
                </a>
            </For>
        </nav>
        <form method="get" action=base class="filters" role="search" aria-label="Filter shipments">
            <div class="field">
                <label for="filter-q">"Tracking number"</label>
                <input id="filter-q" name="q" type="search" autocomplete="off" placeholder="e.g. SW1000"
                    value=query.search().unwrap_or_default().to_owned() />
            </div>
            <div class="field">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status">
                    <option value="" selected=query.status().is_none()>"Any status"</option>
                    {ShipmentStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=query.status() == Some(*s)>{s.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field checkbox">
                <input id="filter-attention" name="attention" type="checkbox" value="1" checked=query.attention() />
                <label for="filter-attention">"Needs attention"</label>
            </div>
            <button type="submit">"Apply filters"</button>
            {(!unfiltered).then(|| view! { <a class="clear" href=base>"Clear filters"</a> })}
        </form>
    }
}

/// The counts of `list`, following the live stream: each status event after
/// the position the counts were read at (`as_of`) moves its shipment from one
/// count to another, or adds it. Frames at or before `as_of`, and those of
/// the events counted before they had a position, are already in them, so a
/// list fetched after navigating is not counted twice.
pub fn follow_counts(list: &ShipmentList) -> RwSignal<Tally> {
    let tally = RwSignal::new(list.tally());
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    let through = StoredValue::new(list.as_of);
    let counted_unnumbered = StoredValue::new(list.counted_unnumbered.clone());
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value(), |frame| {
            if frame.position <= through.get_value() {
                return;
            }
            through.set_value(frame.position);
            if counted_unnumbered.with_value(|ids| ids.contains(&frame.event.id)) {
                return;
            }
            if let Some(change) = &frame.counts {
                tally.update(|t| t.apply(change));
            }
        });
        seen.set_value(now_seen);
    });
    tally
}

/// "First page" / "Next page" links under a list.
#[component]
pub fn Pager(base: &'static str, query: ShipmentQuery, next_page: Option<String>) -> impl IntoView {
    let first = query
        .after()
        .is_some()
        .then(|| format!("{base}{}", query.to_query_string(None)));
    let next = next_page.map(|after| format!("{base}{}", query.to_query_string(Some(&after))));
    (first.is_some() || next.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label="Pages">
                {first.map(|href| view! { <a href=href>"← First page"</a> })}
                {next.map(|href| view! { <a href=href rel="next">"Next page →"</a> })}
            </nav>
        }
    })
}

/// The current URL's filters, or why they are not valid.
pub type UrlQuery = Memo<Result<ShipmentQuery, String>>;
/// A page of shipments, or why it could not be loaded.
pub type ListResult = Result<ShipmentList, AppError>;

/// The filters of the current URL and the page of shipments they select (the
/// dashboard and the console). A malformed URL loads nothing and says why.
pub fn shipments_for_url() -> (UrlQuery, Resource<ListResult>) {
    let query = query_from_url();
    let shipments = Resource::new(
        move || query.get(),
        |query| async move {
            match query {
                Ok(query) => list_shipments(query).await,
                Err(message) => Err(AppError::validation("filters", message)),
            }
        },
    );
    (query, shipments)
}

/// The filters of the current URL, or why they are not valid.
fn query_from_url() -> UrlQuery {
    let params = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        params.with(|p| ShipmentQuery::from_params(|name| p.get_str(name)).map_err(|e| e.message))
    })
}
