//! `/shipments/{tracking_number}` — where the parcel is (a step tracker, the
//! latest event and the ETA), then its timeline, newest first, updated live;
//! details and forms after. Staff also get a form to post the next status. A
//! shipment the visitor may not see is a 404, like one that does not exist.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::actions::{ReportProblem, SetInstructions, UnwatchShipment};
use crate::api::shipments::{get_shipment, PostStatus, ReopenShipment};
use crate::components::form_feedback::{echoed, field_error, form_error, form_success, max_chars, refused};
use crate::components::status_badge::StatusBadge;
use crate::domain::journey::{Journey, StepState, Tone, STEPS};
use crate::domain::{format_timestamp, EventKind, Problem, ShipmentDetail, ShipmentEvent, ShipmentStatus};
use crate::error::AppError;
use crate::live::LiveFeed;
use leptos::server_fn::ServerFn as _;

#[component]
pub fn ShipmentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let tracking_number = move || params.with(|p| p.get("tracking_number").unwrap_or_default());
    // An older page of the timeline (`?before=`, from the "Older events" link).
    let before = move || query.with(|q| q.get("before"));
    let detail = Resource::new(
        move || (tracking_number(), before()),
        |(number, before)| get_shipment(number, before),
    );

    view! {
        <Title text=move || format!("Shipment {}", tracking_number()) />
        <p class="aside"><a href="/">"← All shipments"</a></p>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading shipment…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => {
                        let newest_page = before().is_none();
                        view! { <ShipmentView detail newest_page /> }.into_any()
                    }
                    Err(AppError::NotFound(_)) => view! {
                        <section class="empty-state">
                            <h1>"Shipment not found"</h1>
                            <p>"There is no shipment with this tracking number among yours. "
                               "Check the number, or " <a href="/">"go to your shipments"</a>"."</p>
                        </section>
                    }.into_any(),
                    Err(error) => view! {
                        <p class="error" role="alert">{format!("Could not load the shipment: {error}")}</p>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The shipment and one page of its timeline. Live events update the summary
/// and, on the newest page, join the top of the timeline.
// An island in the `shipment` browser bundle only (see `crate::bundles`).
#[cfg_attr(any(not(feature = "bundle"), feature = "bundle-shipment"), island)]
#[cfg_attr(all(feature = "bundle", not(feature = "bundle-shipment")), component)]
fn ShipmentView(detail: ShipmentDetail, newest_page: bool) -> impl IntoView {
    let rights = detail.rights;
    let is_staff = rights.is_staff;
    let instructions = detail.delivery_instructions.clone();
    let problems = detail.open_problems.clone();
    let detail_postcode = detail.destination_postal_code.clone();
    let summary = RwSignal::new(detail.shipment);
    let timeline = RwSignal::new(detail.timeline);
    let feed = LiveFeed::expect();
    feed.connect();
    let seen = StoredValue::new(0usize);
    Effect::new(move |_| {
        let now_seen = feed.drain(seen.get_value(), |frame| {
            if summary.with_untracked(|s| s.tracking_number == frame.shipment.tracking_number) {
                summary.set(frame.shipment.clone());
                if newest_page {
                    timeline.update(|t| {
                        if !t.iter().any(|e| e.id == frame.event.id) {
                            t.insert(0, frame.event.clone());
                        }
                    });
                }
            }
        });
        seen.set_value(now_seen);
    });

    let number = summary.with_untracked(|s| s.tracking_number.to_string());
    let older_href = detail
        .older_events
        .as_ref()
        .map(|cursor| format!("/shipments/{number}?before={cursor}"));
    let newest_href = (!newest_page).then(|| format!("/shipments/{number}"));
    // Where the parcel is, from the status and (for a side state) the
    // statuses before it on the timeline; follows live changes.
    let journey = Memo::new(move |_| {
        let status = summary.with(|s| s.status);
        timeline.with(|events| Journey::of(status, events.iter().filter_map(|e| e.status)))
    });
    let latest = move || timeline.with(|events| events.iter().find(|e| e.kind == EventKind::Status).cloned());
    view! {
        <section class="shipment">
            <h1>
                <span class="tracking-number">{number.clone()}</span>
                " "
                {move || view! { <StatusBadge status=summary.get().status /> }}
            </h1>
            <div class="where-now">
                <JourneyTracker journey />
                <div class="latest" aria-live="polite">
                    {move || latest().map(|event| view! {
                        <p class="latest-event">
                            <span class="label">"Latest: "</span>
                            <strong>{event.status.map(|s| s.label()).unwrap_or("Update")}</strong>
                            {event.location.map(|l| view! { " · " <span class="location">{l}</span> })}
                            " · "
                            <time datetime=crate::domain::format_machine_time(event.occurred_at)>{format_timestamp(event.occurred_at)}</time>
                        </p>
                    })}
                    <p class="eta"><span class="label">"Expected: "</span>
                        <strong>{move || summary.with(|s| s.eta.map(|d| crate::domain::format_day(d, true)).unwrap_or_else(|| "not known yet".into()))}</strong>
                    </p>
                </div>
            </div>
            <h2>{if newest_page { "Timeline" } else { "Timeline (older events)" }}</h2>
            {newest_href.clone().map(|href| view! { <p class="aside"><a href=href>"← Newest events"</a></p> })}
            <ol class="timeline">
                <For each=move || timeline.get() key=|e| e.id let:event>
                    <TimelineEntry event />
                </For>
            </ol>
            {(older_href.is_some() || newest_href.is_some()).then(|| view! {
                <nav class="pager" aria-label="Timeline pages">
                    {newest_href.map(|href| view! { <a href=href>"← Newest events"</a> })}
                    {older_href.map(|href| view! { <a href=href rel="next">"Older events →"</a> })}
                </nav>
            })}
            <h2>"Details"</h2>
            <dl class="facts">
                <dt>"Route"</dt>
                <dd>{move || summary.with(|s| format!("{} → {}", s.origin, s.destination))}</dd>
                <dt>"Carrier"</dt>
                <dd>{move || summary.with(|s| s.carrier.clone())}</dd>
                <dt>"ETA"</dt>
                <dd>{move || summary.with(|s| s.eta.map(|d| crate::domain::format_day(d, true)).unwrap_or_else(|| "—".into()))}</dd>
                {detail_postcode.map(|code| view! {
                    <dt>"Postal code"</dt>
                    <dd>{code}" "<span class="aside">"(share it with the tracking number to let someone watch)"</span></dd>
                })}
                <dt>"Last update"</dt>
                <dd>{move || summary.with(|s| format_timestamp(s.updated_at))}</dd>
            </dl>
            {(rights.watches && !rights.owns).then(|| view! { <UnwatchForm number=number.clone() /> })}
            <InstructionsSection number=number.clone() owns=rights.owns instructions />
            {is_staff.then(|| view! { <PostStatusForm number=number.clone() summary is_admin=rights.is_admin /> })}
            <ProblemsSection number=number.clone() problems />
        </section>
    }
}

/// The five steps of the main path, the reached one marked, and a side
/// state (exception, failed attempt, return) shown on the step where it
/// happened.
#[component]
fn JourneyTracker(journey: Memo<Journey>) -> impl IntoView {
    view! {
        <ol class="journey" aria-label="Where the parcel is">
            {STEPS.iter().enumerate().map(|(index, label)| {
                let state = move || journey.with(|j| j.state_of(index));
                let side = move || journey.with(|j| j.side.filter(|_| j.reached == index));
                view! {
                    <li class=move || format!("step step-{}", state().as_str())
                        aria-current=move || (state() == StepState::Current).then_some("step")>
                        <span class="step-dot" aria-hidden="true"></span>
                        <span class="step-label">{*label}</span>
                        {move || side().map(|(status, tone)| view! {
                            <span class=format!("step-side tone-{}", match tone {
                                Tone::Info => "info",
                                Tone::Warning => "warn",
                                Tone::Problem => "bad",
                            })>{status.label()}</span>
                        })}
                        <span class="visually-hidden">{move || match state() {
                            StepState::Done => " (done)",
                            StepState::Current => " (now)",
                            StepState::Ahead => " (to come)",
                        }}</span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The operator's form: offers only the statuses the lifecycle allows next.
/// When the journey has ended, an admin gets the reopen form instead.
#[component]
fn PostStatusForm(
    number: String,
    summary: RwSignal<crate::domain::ShipmentSummary>,
    is_admin: bool,
) -> impl IntoView {
    let action = ServerAction::<PostStatus>::new();
    let result = action.value();
    view! {
        <section class="operator-form" aria-labelledby="post-status-heading">
            <h2 id="post-status-heading">"Post a status"</h2>
            {move || {
                let next = summary.with(|s| s.status.next_statuses());
                if next.is_empty() && is_admin {
                    view! { <ReopenForm number=number.clone() /> }.into_any()
                } else if next.is_empty() {
                    view! { <p class="aside">"This shipment's journey has ended; there is no next status. Only an admin can reopen it."</p> }.into_any()
                } else {
                    let number = number.clone();
                    view! {
                        <ActionForm action attr:class="stacked-form">
                            <input type="hidden" name="tracking_number" value=number />
                            <label for="post-status">"New status"</label>
                            <select id="post-status" name="status" required>
                                {next.into_iter().map(|s| view! {
                                    <option value=s.as_str() selected=echoed(PostStatus::PATH, "status").as_deref() == Some(s.as_str())>
                                        {s.label()}
                                    </option>
                                }).collect_view()}
                            </select>
                            {field_error(result, "status")}
                            <label for="post-location">"Location"</label>
                            <input id="post-location" name="location" type="text" autocomplete="off"
                                maxlength=max_chars("location") value=echoed(PostStatus::PATH, "location") />
                            {field_error(result, "location")}
                            <label for="post-note">"Note"</label>
                            <input id="post-note" name="note" type="text" autocomplete="off"
                                maxlength=max_chars("note") value=echoed(PostStatus::PATH, "note") />
                            {field_error(result, "note")}
                            <button type="submit" class="primary">"Post status"</button>
                        </ActionForm>
                    }.into_any()
                }
            }}
            {form_error(result, &["status", "location", "note"])}
        </section>
    }
}

/// An admin moving a final shipment back into its journey, with a reason
/// that goes on the timeline.
#[component]
fn ReopenForm(number: String) -> impl IntoView {
    let action = ServerAction::<ReopenShipment>::new();
    let result = action.value();
    let open = ShipmentStatus::ALL.into_iter().filter(|s| !s.is_final());
    view! {
        <p class="aside">"This shipment's journey has ended. As an admin you can reopen it; the reason is recorded on its timeline."</p>
        <ActionForm action attr:class="stacked-form">
            <input type="hidden" name="tracking_number" value=number />
            <label for="reopen-status">"Reopen as"</label>
            <select id="reopen-status" name="status" required>
                {open.map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
            </select>
            <label for="reopen-reason">"Reason"</label>
            <textarea id="reopen-reason" name="reason" rows="2" required maxlength=max_chars("reason")></textarea>
            {field_error(result, "reason")}
            <button type="submit" class="primary">"Reopen shipment"</button>
        </ActionForm>
        {form_error(result, &["reason"])}
    }
}

#[component]
fn TimelineEntry(event: ShipmentEvent) -> impl IntoView {
    let what = match (event.kind, event.status) {
        (EventKind::Status, Some(status)) => view! { <StatusBadge status /> }.into_any(),
        (EventKind::ProblemReported, _) => view! { <strong>"Problem reported"</strong> }.into_any(),
        (EventKind::ProblemResolved, _) => view! { <strong>"Problem resolved"</strong> }.into_any(),
        (EventKind::InstructionsSet, _) => view! { <strong>"Delivery instructions"</strong> }.into_any(),
        (EventKind::Status, None) => view! { <strong>"Status"</strong> }.into_any(),
    };
    view! {
        <li>
            <div class="what">{what} {event.location.map(|l| view! { <span class="location">{l}</span> })}</div>
            {event.note.map(|n| view! { <p class="note">{n}</p> })}
            <p class="meta">
                <time datetime=crate::domain::format_machine_time(event.occurred_at)>{format_timestamp(event.occurred_at)}</time>
                " · " {event.actor}
            </p>
        </li>
    }
}

/// "You are watching this shipment" with a button to stop.
#[component]
fn UnwatchForm(number: String) -> impl IntoView {
    let number = StoredValue::new(number);
    let action = ServerAction::<UnwatchShipment>::new();
    let result = action.value();
    view! {
        <section class="watching" aria-label="Watching">
            <Show
                when=move || !matches!(result.get(), Some(Ok(())))
                fallback=|| view! {
                    <p class="success" role="status">"You stopped watching this shipment. "
                        <a href="/">"Back to your shipments"</a></p>
                }
            >
                <ActionForm action attr:class="inline-form">
                    <input type="hidden" name="tracking_number" value=number.get_value() />
                    <span>"You are watching this shipment. "</span>
                    <button type="submit" class="link-button">"Stop watching"</button>
                </ActionForm>
            </Show>
            {form_error(result, &[])}
        </section>
    }
}

/// Delivery instructions: the owner can edit them; others read them.
#[component]
fn InstructionsSection(number: String, owns: bool, instructions: Option<String>) -> impl IntoView {
    if !owns {
        return instructions
            .map(|text| {
                view! {
                    <section class="instructions" aria-labelledby="instructions-heading">
                        <h2 id="instructions-heading">"Delivery instructions"</h2>
                        <p>{text}</p>
                    </section>
                }
            })
            .into_any();
    }
    let action = ServerAction::<SetInstructions>::new();
    let result = action.value();
    view! {
        <section class="instructions" aria-labelledby="instructions-heading">
            <h2 id="instructions-heading">"Delivery instructions"</h2>
            <ActionForm action attr:class="stacked-form">
                <input type="hidden" name="tracking_number" value=number />
                <label for="instructions-text">"Instructions for the driver"</label>
                <textarea id="instructions-text" name="instructions" rows="2" maxlength=max_chars("instructions")
                    placeholder="e.g. Leave with the neighbour at number 12">
                    {echoed(SetInstructions::PATH, "instructions").or(instructions).unwrap_or_default()}
                </textarea>
                {field_error(result, "instructions")}
                <button type="submit">"Save instructions"</button>
            </ActionForm>
            {form_error(result, &["instructions"])}
            {form_success(result, |_| "Instructions saved.".to_owned())}
        </section>
    }
    .into_any()
}

/// Open problems, and a form to report one (anyone who can see the shipment).
#[component]
fn ProblemsSection(number: String, problems: Vec<Problem>) -> impl IntoView {
    let action = ServerAction::<ReportProblem>::new();
    let result = action.value();
    let reported = RwSignal::new(problems);
    Effect::new(move |_| {
        if let Some(Ok(problem)) = result.get() {
            reported.update(|p| {
                if !p.iter().any(|q| q.id == problem.id) {
                    p.push(problem);
                }
            });
        }
    });
    view! {
        <section class="problems" aria-labelledby="problems-heading">
            <h2 id="problems-heading">"Problems"</h2>
            <Show when=move || reported.with(|p| !p.is_empty()) fallback=|| view! { <p class="aside">"No open problems."</p> }>
                <ul class="problem-list">
                    <For each=move || reported.get() key=|p| p.id let:problem>
                        <li>
                            <p>{problem.description}</p>
                            <p class="meta">{format!("Reported by {} · {}", problem.reported_by, format_timestamp(problem.reported_at))}</p>
                        </li>
                    </For>
                </ul>
            </Show>
            <details open=refused(result)()>
                <summary>"Report a problem"</summary>
                <ActionForm action attr:class="stacked-form">
                    <input type="hidden" name="tracking_number" value=number />
                    <label for="problem-description">"What is wrong?"</label>
                    <textarea id="problem-description" name="description" rows="3" required maxlength=max_chars("description")>
                        {echoed(ReportProblem::PATH, "description")}
                    </textarea>
                    {field_error(result, "description")}
                    <button type="submit">"Report problem"</button>
                </ActionForm>
                {form_error(result, &["description"])}
                {form_success(result, |_| "Thank you: the problem was reported to our operators.".to_owned())}
            </details>
        </section>
    }
}
