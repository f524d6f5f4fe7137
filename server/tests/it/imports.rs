//! Importing status updates from CSV: each row validated and applied as a
//! posted status is, a per-row report, and the same file twice changes
//! nothing.

use serde_json::Value;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// 200 new pending shipments of bob's; their numbers.
async fn pending_shipments(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier)
         SELECT 'SWIMP' || lpad(g::text, 4, '0'), (SELECT id FROM users WHERE email = 'bob@example.com'),
                'Leeds', 'York', 'YO1 7HH', 'DHL'
         FROM generate_series(1, 200) AS g ORDER BY g RETURNING tracking_number",
    )
    .fetch_all(pool)
    .await
    .expect("shipments")
}

/// A file of 200 rows moving each to picked_up, three of them wrong.
fn file(numbers: &[String]) -> String {
    let mut csv = String::from("tracking_number,status,location,note,occurred_at\r\n");
    for (i, number) in numbers.iter().enumerate() {
        let row = match i {
            10 => "SWNOSUCH0001,picked_up,Leeds depot,,\r\n".to_owned(),
            50 => format!("{number},delivered,Leeds depot,,\r\n"),
            120 => format!("{number},picked up-ish,Leeds depot,,\r\n"),
            _ => format!(
                "{number},picked_up,\"Leeds depot, bay 4\",\"scanned \"\"ok\"\"\",2026-12-01T09:00:00Z\r\n"
            ),
        };
        csv.push_str(&row);
    }
    csv
}

async fn statuses(pool: &PgPool) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT tracking_number, status::text FROM shipments WHERE tracking_number LIKE 'SWIMP%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("statuses")
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn an_import_of_200_rows_reports_exactly_the_3_bad_ones_and_a_second_upload_changes_nothing(
    pool: PgPool,
) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers = pending_shipments(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let operator = app.as_user("ops@example.com").await;
    let csv = file(&numbers);
    let upload = |body: String| {
        operator
            .client
            .post(app.url("/api/v1/status-imports"))
            .header("Origin", app.origin())
            .header("Content-Type", "text/csv")
            .body(body)
            .send()
    };

    let response = upload(csv.clone()).await.expect("import");
    assert_eq!(response.status(), 201);
    let report: Value = response.json().await.expect("report");
    assert_eq!(
        (report["applied"].as_u64(), report["refused"].as_u64()),
        (Some(197), Some(3))
    );
    let refused: Vec<(u64, String)> = report["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["applied"] == false)
        .map(|r| {
            (
                r["line"].as_u64().expect("line"),
                r["reason"].as_str().expect("reason").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        refused.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        [12, 52, 122]
    );
    assert!(refused[0].1.contains("not found"), "{}", refused[0].1);
    assert!(refused[1].1.contains("delivered"), "{}", refused[1].1);
    assert!(refused[2].1.contains("picked up-ish"), "{}", refused[2].1);
    let after_first = statuses(&pool).await;
    assert_eq!(after_first.iter().filter(|(_, s)| s == "picked_up").count(), 197);
    let location: String = sqlx::query_scalar(
        "SELECT e.location FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE s.tracking_number = $1 AND e.status = 'picked_up'",
    )
    .bind(&numbers[0])
    .fetch_one(&pool)
    .await
    .expect("event");
    assert_eq!(location, "Leeds depot, bay 4", "quoted cells read whole");

    // The same file again: the first report, nothing applied.
    let again = upload(csv).await.expect("again");
    assert_eq!(again.status(), 200);
    let again: Value = again.json().await.expect("report");
    assert_eq!(again["already_imported"], true);
    assert_eq!(again["id"], report["id"]);
    assert_eq!(statuses(&pool).await, after_first);
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE s.tracking_number LIKE 'SWIMP%' AND e.status = 'picked_up'",
    )
    .fetch_one(&pool)
    .await
    .expect("events");
    assert_eq!(events, 197, "each applied row once");

    // The report downloads as CSV with the same outcomes.
    let id = report["id"].as_i64().expect("id");
    let download = operator
        .get(&format!("/api/v1/status-imports/{id}?format=csv"))
        .await;
    assert_eq!(download.headers()["content-type"], "text/csv; charset=utf-8");
    let text = download.text().await.expect("csv");
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.expect("record"))
        .collect();
    assert_eq!(rows.len(), 200);
    let refused_lines: Vec<&str> = rows
        .iter()
        .filter(|r| &r[3] == "refused")
        .map(|r| r.get(0).expect("line"))
        .collect();
    assert_eq!(refused_lines, ["12", "52", "122"]);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn only_staff_import_and_a_file_that_is_not_a_status_csv_is_refused_whole(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let numbers = pending_shipments(&pool).await;
    let app = TestApp::spawn(pool.clone()).await;
    let post = |who: &TestApp, body: &str| {
        who.client
            .post(app.url("/api/v1/status-imports"))
            .header("Origin", app.origin())
            .header("Content-Type", "text/csv")
            .body(body.to_owned())
            .send()
    };
    let alice = app.as_user("alice@example.com").await;
    let response = post(&alice, &file(&numbers)).await.expect("post");
    assert_eq!(response.status(), 403);
    let operator = app.as_user("ops@example.com").await;
    for bad in [
        "tracking_number,colour\r\nSWIMP0001,red\r\n",
        "",
        "\u{0}\u{1}binary",
    ] {
        let response = post(&operator, bad).await.expect("post");
        assert_eq!(response.status(), 422, "{bad:?}");
    }
    assert!(
        statuses(&pool).await.iter().all(|(_, s)| s == "pending"),
        "nothing applied"
    );

    // The console's upload form (multipart), as a browser without JavaScript posts it.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text(format!("tracking_number,status\r\n{},picked_up\r\n", numbers[0]))
            .file_name("monday.csv")
            .mime_str("text/csv")
            .expect("mime"),
    );
    let response = operator
        .client
        .post(app.url("/operator/imports"))
        .header("Origin", app.origin())
        .multipart(form)
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status(), 303);
    let report_page = response.headers()["location"].to_str().expect("ascii").to_owned();
    assert!(report_page.starts_with("/operator/imports/"), "{report_page}");
    let page = operator.get(&report_page).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains("monday.csv") && html.contains("1 applied"),
        "the report page"
    );
    // Staff only, also for reading a report.
    assert_eq!(
        alice
            .get(&report_page.replace("/operator/imports/", "/api/v1/status-imports/"))
            .await
            .status(),
        403
    );
}
