//! `/operator/imports/{id}` — what a CSV import did: how many rows were
//! applied and refused, each refused row with why, and the whole report to
//! download as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::imports::read_import_report;
use crate::domain::format_timestamp;
use crate::domain::import::ImportReport;

#[component]
pub fn ImportReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let report = Resource::new(id, read_import_report);
    view! {
        <Title text="Import report" />
        <section class="import-report">
            <p><a href="/operator">"← Console"</a></p>
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the report…"</p> }>
                {move || Suspend::new(async move {
                    match report.await {
                        Ok(report) => view! { <Report report /> }.into_any(),
                        Err(error) => view! {
                            <h1>"Import report"</h1>
                            <p class="error" role="alert">{error.to_string()}</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Report(report: ImportReport) -> impl IntoView {
    let refused: Vec<_> = report.rows.iter().filter(|r| !r.applied).cloned().collect();
    view! {
        <h1>{format!("Import of {}", report.file_name.clone().unwrap_or_else(|| "a CSV file".into()))}</h1>
        <p class="summary" role="status">
            {format!("{} applied, {} refused · {}", report.applied, report.refused, format_timestamp(report.created_at))}
        </p>
        <p><a href=format!("/api/v1/status-imports/{}?format=csv", report.id) download=format!("import-{}-report.csv", report.id)>
            "Download the report (CSV)"</a></p>
        {if refused.is_empty() {
            view! { <p>"Every row was applied."</p> }.into_any()
        } else {
            view! {
                <h2>"Refused rows"</h2>
                <div class="table-wrap">
                    <table class="shipments">
                        <caption>"Rows that changed nothing, and why"</caption>
                        <thead><tr><th scope="col">"Line"</th><th scope="col">"Tracking number"</th>
                            <th scope="col">"Status"</th><th scope="col">"Why"</th></tr></thead>
                        <tbody>
                            {refused.into_iter().map(|row| view! {
                                <tr><td>{row.line}</td><td>{row.tracking_number}</td><td>{row.status}</td>
                                    <td>{row.reason.unwrap_or_default()}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
