//! How responses travel: compressed when the client asks (never the live
//! stream), the hashed bundle precompressed and cached for a year, everything
//! else private to the browser.

use std::time::Duration;

use reqwest::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use serde_json::json;
use sqlx::PgPool;

use crate::helpers::sse::Sse;
use crate::helpers::{shipments_of, TestApp};

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn a_stream_frame_arrives_at_once_when_the_client_accepts_compression(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;
    let ops = app.as_user("ops@example.com").await;
    let number = shipments_of(&app.pool, "alice@example.com", "in_transit")
        .await
        .remove(0);

    let stream = alice
        .client
        .get(app.url("/api/events"))
        .header(ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .expect("connect");
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()[CONTENT_TYPE], "text/event-stream");
    assert!(
        stream.headers().get(CONTENT_ENCODING).is_none(),
        "the stream is never compressed"
    );
    let mut events = Sse::over(stream);

    let posted = ops
        .post_json(
            &format!("/api/v1/shipments/{number}/events"),
            json!({"status": "in_transit", "location": "Brno"}),
        )
        .await;
    assert_eq!(posted.status(), 201);
    // A compressor would hold the frame back until its buffer fills.
    let frame = events
        .next_named("shipment", Duration::from_secs(3))
        .await
        .expect("the frame arrives within 3 s")
        .data;
    assert!(frame.contains("Brno"), "{frame}");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn pages_and_json_are_compressed_on_request_and_private(pool: PgPool) {
    let app = TestApp::seeded(pool).await;
    let alice = app.as_user("alice@example.com").await;

    let list = alice
        .client
        .get(app.url("/api/v1/shipments"))
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("list");
    assert_eq!(list.status(), 200);
    assert_eq!(list.headers()[CONTENT_ENCODING], "br");
    assert_eq!(list.headers()[CACHE_CONTROL], "private, no-cache");
    assert!(list.headers()[VARY]
        .to_str()
        .expect("vary")
        .contains("accept-encoding"));
    let compressed = list.bytes().await.expect("body").len();

    let page = alice
        .client
        .get(app.url("/"))
        .header(ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(page.headers()[CACHE_CONTROL], "private, no-cache");

    let plain = alice.get("/api/v1/shipments").await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none(), "only when asked");
    let plain = plain.bytes().await.expect("body").len();
    assert!(compressed * 3 < plain, "brotli {compressed} B vs {plain} B plain");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_hashed_bundle_is_served_precompressed_and_immutable(pool: PgPool) {
    let site = std::env::temp_dir().join(format!("shipwatch-site-{}", std::process::id()));
    let pkg = site.join("pkg");
    std::fs::create_dir_all(pkg.join("snippets")).expect("site dir");
    let hashed = "shipwatch.Xk3V0i1mH1pT4Lp1rQ9x8w.wasm";
    std::fs::write(pkg.join(hashed), b"\0asm plain bytes").expect("wasm");
    std::fs::write(pkg.join(format!("{hashed}.br")), b"brotli bytes").expect("wasm.br");
    std::fs::write(pkg.join("snippets/helper.js"), b"export const x = 1;").expect("snippet");
    let site_root = site.to_str().expect("utf-8 path").to_owned();
    let app = TestApp::spawn_configured(pool, |config| {
        config.leptos_options.site_root = site_root.into();
    })
    .await;

    let br = app
        .client
        .get(app.url(&format!("/pkg/{hashed}")))
        .header(ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .expect("wasm");
    assert_eq!(br.status(), 200);
    assert_eq!(br.headers()[CONTENT_ENCODING], "br");
    assert_eq!(br.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
    assert_eq!(br.headers()[CONTENT_TYPE], "application/wasm");
    assert_eq!(&br.bytes().await.expect("body")[..], b"brotli bytes");

    let plain = app.get(&format!("/pkg/{hashed}")).await;
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    assert_eq!(&plain.bytes().await.expect("body")[..], b"\0asm plain bytes");

    let unhashed = app.get("/pkg/snippets/helper.js").await;
    assert_eq!(unhashed.status(), 200);
    assert_eq!(unhashed.headers()[CACHE_CONTROL], "public, no-cache");
    let _ = std::fs::remove_dir_all(&site);
}
