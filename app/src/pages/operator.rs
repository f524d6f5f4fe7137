//! `/operator` — the console for operators and admins: every shipment with
//! the dashboard's filters and paging, bulk status updates of selected rows
//! (each row's transition checked and reported), registering a shipment, and
//! the queue of open problems with a resolve action. Problems reported
//! anywhere appear here live.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::account::current_account;
use crate::api::actions::{open_problems, ResolveProblem};
use crate::api::shipments::{CreateShipment, PostStatusBulk};
use crate::components::filters::shipments_for_url;
use crate::components::form_feedback::{field_error, form_error, form_success, max_chars};
use crate::components::reload::reload_when;
use crate::domain::{
    format_timestamp, BulkOutcome, EventKind, Problem, ShipmentList, ShipmentQuery, ShipmentStatus,
};
use crate::error::AppError;
use crate::live::LiveFeed;
use crate::pages::dashboard::ShipmentListView;
use crate::pages::forbidden::{refusal, Audience};

#[component]
pub fn OperatorPage() -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    let (query, shipments) = shipments_for_url();
    let problems = Resource::new(|| (), |_| open_problems());
    view! {
        <Title text="Operator console" />
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipments…"</p> }>
            {move || Suspend::new(async move {
                if let Some(refusal) = refusal(Audience::Staff, account).await {
                    return refusal;
                }
                let query = query.get_untracked().unwrap_or_default();
                let list = shipments.await;
                let problems = problems.await;
                view! {
                    <Console query list problems>
                        <ImportForm />
                    </Console>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// The console's part that lives in the browser (an island); `children` is
/// the import form, plain server-rendered HTML.
// An island in the `console` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-console"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-console")), component)]
fn Console(
    query: ShipmentQuery,
    list: Result<ShipmentList, AppError>,
    problems: Result<Vec<Problem>, AppError>,
    children: Children,
) -> impl IntoView {
    let selection = RwSignal::new(BTreeSet::<String>::new());
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <section class="console" data-hydrated=move || hydrated.get().to_string()>
            <h1>"Operator console"</h1>
            {match list {
                Ok(list) => view! {
                    <div class="console-grid">
                        <div class="console-main">
                            <BulkStatusForm selection />
                            <ShipmentListView base="/operator" query list selection />
                        </div>
                        <aside class="console-side">
                            <ProblemQueue problems />
                            <CreateShipmentForm />
                            {children()}
                        </aside>
                    </div>
                }.into_any(),
                Err(error) => view! {
                    <p class="error" role="alert">{format!("Could not load shipments: {error}")}</p>
                }.into_any(),
            }}
        </section>
    }
}

/// One status for the selected rows; the outcome is reported per row.
#[component]
fn BulkStatusForm(selection: RwSignal<BTreeSet<String>>) -> impl IntoView {
    let action = ServerAction::<PostStatusBulk>::new();
    let result = action.value();
    let status = RwSignal::new(ShipmentStatus::InTransit.as_str().to_owned());
    let location = RwSignal::new(String::new());
    let note = RwSignal::new(String::new());
    let count = move || selection.with(BTreeSet::len);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = |s: RwSignal<String>| Some(s.get_untracked()).filter(|t| !t.trim().is_empty());
        action.dispatch(PostStatusBulk {
            tracking_numbers: selection.get_untracked().into_iter().collect(),
            status: status.get_untracked(),
            location: text(location),
            note: text(note),
        });
    };
    Effect::new(move |_| {
        if let Some(Ok(outcomes)) = result.get() {
            // Keep only the rows that were refused selected, to fix and retry.
            selection.set(
                outcomes
                    .iter()
                    .filter(|o| matches!(o, BulkOutcome::Refused { .. }))
                    .map(|o| o.tracking_number().to_owned())
                    .collect(),
            );
        }
    });
    view! {
        <section class="bulk" aria-labelledby="bulk-heading">
            <h2 id="bulk-heading">"Update selected shipments"</h2>
            <form class="inline-fields" on:submit=submit>
                <div class="field">
                    <label for="bulk-status">"New status"</label>
                    <select id="bulk-status" on:change=move |ev| status.set(event_target_value(&ev)) prop:value=move || status.get()>
                        {ShipmentStatus::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="bulk-location">"Location"</label>
                    <input id="bulk-location" type="text" autocomplete="off" bind:value=location />
                </div>
                <div class="field">
                    <label for="bulk-note">"Note"</label>
                    <input id="bulk-note" type="text" autocomplete="off" bind:value=note />
                </div>
                <button type="submit" class="primary" disabled=move || count() == 0 || action.pending().get()>
                    {move || match count() { 0 => "Select shipments below".to_owned(), 1 => "Update 1 shipment".to_owned(), n => format!("Update {n} shipments") }}
                </button>
            </form>
            <p class="aside js-only">"Each shipment's change is checked on its own; refused ones stay selected."</p>
            {form_error(result, &[])}
            {move || result.with(|r| match r {
                Some(Ok(outcomes)) => {
                    let done = outcomes.iter().filter(|o| matches!(o, BulkOutcome::Recorded { .. })).count();
                    Some(view! {
                        <div class="bulk-outcome" role="status">
                            <p>{format!("{done} of {} updated.", outcomes.len())}</p>
                            <ul>
                                {outcomes.iter().map(|o| {
                                    let (class, text) = match o {
                                        BulkOutcome::Recorded { .. } => ("ok", "updated".to_owned()),
                                        BulkOutcome::Refused { error, .. } => ("refused", error.clone()),
                                    };
                                    let number = o.tracking_number().to_owned();
                                    let shown = number.clone();
                                    view! { <li class=class data-tracking-number=number>
                                        <strong>{shown}</strong>": "{text}
                                    </li> }
                                }).collect_view()}
                            </ul>
                        </div>
                    })
                }
                _ => None,
            })}
        </section>
    }
    .into_any()
}

/// Open problems, oldest first, as the page was rendered; fetched again when
/// one is reported or resolved.
#[component]
fn ProblemQueue(problems: Result<Vec<Problem>, AppError>) -> impl IntoView {
    let problems = RwSignal::new(problems);
    let resolve = ServerAction::<ResolveProblem>::new();
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    let changes = RwSignal::new(0u32);
    Effect::new(move |_| {
        let mut problem_events = 0;
        let now_seen = feed.drain(seen.get_value(), |frame| {
            if matches!(
                frame.event.kind,
                EventKind::ProblemReported | EventKind::ProblemResolved
            ) {
                problem_events += 1;
            }
        });
        seen.set_value(now_seen);
        if problem_events > 0 {
            changes.update(|n| *n += 1);
        }
    });
    reload_when(
        problems,
        move || {
            changes.track();
            resolve.version().track();
        },
        open_problems,
    );
    view! {
        <section class="problem-queue" aria-labelledby="problems-heading">
            <h2 id="problems-heading">"Open problems"</h2>
            {form_error(resolve.value(), &[])}
            {move || match problems.get() {
                Ok(list) if list.is_empty() => view! { <p class="aside">"No open problems."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="problem-list">
                        {list.into_iter().map(|p| view! { <ProblemItem problem=p resolve /> }).collect_view()}
                    </ul>
                }.into_any(),
                Err(error) => view! { <p class="error" role="alert">{format!("Could not load problems: {error}")}</p> }.into_any(),
            }}
        </section>
    }
    .into_any()
}

#[component]
fn ProblemItem(problem: Problem, resolve: ServerAction<ResolveProblem>) -> impl IntoView {
    let field_id = format!("resolution-{}", problem.id);
    view! {
        <li data-problem-id=problem.id>
            <p><a href=format!("/shipments/{}", problem.tracking_number)>{problem.tracking_number.clone()}</a>": "{problem.description}</p>
            <p class="meta">{format!("{} · {}", problem.reported_by, format_timestamp(problem.reported_at))}</p>
            <ActionForm action=resolve attr:class="inline-fields">
                <input type="hidden" name="problem_id" value=problem.id />
                <div class="field">
                    <label for=field_id.clone()>"Resolution"</label>
                    <input id=field_id type="text" name="resolution" required autocomplete="off"
                        maxlength=max_chars("resolution") />
                </div>
                <button type="submit">"Resolve"</button>
            </ActionForm>
        </li>
    }
}

/// Uploads a CSV of status updates (a plain multipart form: it works
/// without JavaScript); the answer is the import's report page.
#[component]
fn ImportForm() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let error = query.with_untracked(|q| q.get("import_error")).map(|code| match code.as_str() {
        "size" => "That file is larger than 2 MB; split it and import the parts.",
        "empty" => "Choose a CSV file to import.",
        _ => "That file is not a status CSV: its first row must name the columns tracking_number and status (and optionally location, note, occurred_at).",
    });
    view! {
        <section class="import" aria-labelledby="import-heading">
            <h2 id="import-heading">"Import status updates"</h2>
            <p class="aside">"A CSV with a header row: tracking_number, status, and optionally location, note, occurred_at. "
                "Importing the same file again changes nothing."</p>
            {error.map(|text| view! { <p class="error" role="alert">{text}</p> })}
            <form method="post" action="/operator/imports" enctype="multipart/form-data" class="stacked-form">
                <label for="import-file">"CSV file"</label>
                <input id="import-file" name="file" type="file" accept=".csv,text/csv" required />
                <button type="submit" class="primary">"Import"</button>
            </form>
        </section>
    }
}

/// Registers a shipment for a customer.
#[component]
fn CreateShipmentForm() -> impl IntoView {
    let action = ServerAction::<CreateShipment>::new();
    let result = action.value();
    const FIELDS: &[&str] = &[
        "tracking_number",
        "owner_email",
        "origin",
        "destination",
        "destination_postal_code",
        "carrier",
        "eta",
    ];
    let field = move |name: &'static str, label: &'static str, kind: &'static str, required: bool| {
        let id = format!("new-{name}");
        view! {
            <label for=id.clone()>{label}</label>
            <input id=id name=name type=kind required=required autocomplete="off" maxlength=max_chars(name) />
            {field_error(result, name)}
        }
    };
    view! {
        <section class="create-shipment" aria-labelledby="create-heading">
            <h2 id="create-heading">"Register a shipment"</h2>
            <ActionForm action attr:class="stacked-form">
                {field("tracking_number", "Tracking number", "text", true)}
                {field("owner_email", "Customer's email", "email", true)}
                {field("origin", "From", "text", true)}
                {field("destination", "To", "text", true)}
                {field("destination_postal_code", "Destination postal code", "text", true)}
                {field("carrier", "Carrier", "text", true)}
                {field("eta", "Expected delivery (optional)", "date", false)}
                <button type="submit" class="primary">"Register shipment"</button>
            </ActionForm>
            {form_error(result, FIELDS)}
            {form_success(result, |s| format!("Registered {}.", s.tracking_number))}
        </section>
    }
    .into_any()
}
