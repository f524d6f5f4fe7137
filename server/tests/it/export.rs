//! CSV export of the shipment list: the same filters and visibility as the
//! list, every matching row (not one page), a file a spreadsheet opens.

use reqwest::header::ACCEPT;
use sqlx::PgPool;

use crate::helpers::TestApp;

/// The records of a CSV body, header first.
fn records(body: &str) -> Vec<Vec<String>> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.expect("a valid CSV record").iter().map(str::to_owned).collect())
        .collect()
}

async fn csv_of(app: &TestApp, path: &str) -> (reqwest::StatusCode, String, String) {
    let response = app
        .client
        .get(app.url(path))
        .header(ACCEPT, "text/csv")
        .send()
        .await
        .expect("export");
    let status = response.status();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.expect("body"))
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_customer_exports_exactly_their_filtered_shipments(pool: PgPool) {
    let app = TestApp::seeded(pool.clone()).await;
    let alice = app.as_user("alice@example.com").await;
    // One of hers with a value a spreadsheet would run as a formula.
    sqlx::query(
        "UPDATE shipments SET origin = '=HYPERLINK(\"http://evil.example\", \"x\"), Leeds'
         WHERE id = (SELECT s.id FROM shipments s JOIN users u ON u.id = s.owner_id
                     WHERE u.email = 'alice@example.com' AND s.status = 'in_transit' ORDER BY s.id LIMIT 1)",
    )
    .execute(&pool)
    .await
    .expect("origin");

    let (status, kind, body) = csv_of(&alice, "/api/v1/shipments?status=in_transit").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    let rows = records(&body);
    assert_eq!(
        rows[0],
        [
            "tracking_number",
            "status",
            "origin",
            "destination",
            "carrier",
            "eta",
            "last_location",
            "updated_at"
        ]
    );
    let expected: Vec<String> = sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s JOIN users u ON u.id = s.owner_id
         WHERE u.email = 'alice@example.com' AND s.status = 'in_transit'
         ORDER BY s.updated_at DESC, s.tracking_number DESC",
    )
    .fetch_all(&pool)
    .await
    .expect("hers");
    assert!(!expected.is_empty());
    let exported: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(exported, expected, "hers, in transit, newest first, each once");
    assert!(rows[1..].iter().all(|r| r[1] == "in_transit"));
    let formula = rows[1..]
        .iter()
        .find(|r| r[2].contains("HYPERLINK"))
        .expect("the odd origin");
    assert!(formula[2].starts_with("'="), "defused: {}", formula[2]);

    // The same through `format=csv` (what the page's download link uses),
    // and the JSON list is unchanged without it.
    let (status, _, same) = csv_of(&alice, "/api/v1/shipments?status=in_transit&format=csv").await;
    assert_eq!((status.as_u16(), records(&same).len()), (200, rows.len()));
    let json = alice.get_json("/api/v1/shipments?status=in_transit").await;
    assert!(json["shipments"].is_array());

    // Nobody else's shipments, and nothing signed out.
    let bobs: Vec<String> = crate::helpers::tracking_numbers_of(&pool, "bob@example.com").await;
    let (_, _, all) = csv_of(&alice, "/api/v1/shipments").await;
    let all = records(&all);
    assert!(all[1..].iter().all(|r| !bobs.contains(&r[0])));
    assert_eq!(all.len() - 1, 60, "every one of her 60, not one page of 50");
    let anonymous = TestApp {
        client: TestApp::browser(),
        ..app.clone()
    };
    let (status, _, _) = csv_of(&anonymous, "/api/v1/shipments").await;
    assert_eq!(status, 401);
    let (status, _, _) = csv_of(&alice, "/api/v1/shipments?format=xml").await;
    assert_eq!(status, 422);
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn staff_export_every_shipment_across_export_pages(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    // More than one export page (1,000 rows).
    sqlx::query(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, updated_at)
         SELECT 'SWEXP' || lpad(g::text, 5, '0'), (SELECT id FROM users WHERE email = 'bob@example.com'),
                'Leeds', 'York', 'YO1 7HH', 'DHL', now() - make_interval(secs => g)
         FROM generate_series(1, 2400) AS g",
    )
    .execute(&pool)
    .await
    .expect("shipments");
    let app = TestApp::spawn(pool.clone()).await;
    let operator = app.as_user("ops@example.com").await;
    let (status, _, body) = csv_of(&operator, "/api/v1/shipments").await;
    assert_eq!(status, 200);
    let rows = records(&body);
    let mut numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers.len(), 2500);
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), 2500, "each once");
    let (_, _, pending) = csv_of(&operator, "/api/v1/shipments?status=pending&q=SWEXP").await;
    assert_eq!(records(&pending).len() - 1, 2400);
}
