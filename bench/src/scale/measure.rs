//! What a page and a feed cost on the scale data set, measured over real HTTP
//! against a release server with warm caches: each request is made a few
//! times to warm up, then `SAMPLES` times, and the percentiles printed.
//!
//! The list figures come from `GET /api/v1/shipments`, which runs the same
//! action (`actions::shipments::list`: one page plus the counts) as the
//! dashboard and console pages' server functions.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use sqlx::PgPool;

use crate::Percentiles;

const WARM_UP: usize = 10;
const SAMPLES: usize = 100;
/// The smoke run (a small data set in the test command) only checks that
/// every request works.
const SMOKE_SAMPLES: usize = 2;
/// Fewer samples when a request is this slow in all.
const BUDGET: Duration = Duration::from_secs(30);

/// Prints the database's size on disk and its biggest tables.
pub async fn sizes(pool: &PgPool) -> anyhow::Result<()> {
    let total: String = sqlx::query_scalar("SELECT pg_size_pretty(pg_database_size(current_database()))")
        .fetch_one(pool)
        .await?;
    println!("database size on disk: {total}");
    let tables: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT relname::text, pg_size_pretty(pg_table_size(oid)), pg_size_pretty(pg_indexes_size(oid))
         FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
         ORDER BY pg_total_relation_size(oid) DESC LIMIT 4",
    )
    .fetch_all(pool)
    .await?;
    for (table, data, indexes) in tables {
        println!("  {table}: {data} rows, {indexes} indexes");
    }
    Ok(())
}

/// Someone the measurements act as.
struct Viewer {
    what: String,
    /// An API token (the REST figures).
    token: String,
    /// A browser signed in with the scale password (the page figures).
    browser: reqwest::Client,
}

pub async fn pages(pool: &PgPool, base: &str, smoke: bool) -> anyhow::Result<()> {
    let samples = if smoke { SMOKE_SAMPLES } else { SAMPLES };
    // A typical customer: a handful of shipments, one of them moved lately
    // (so their replay after a day offline has something to hand out).
    let typical: i64 = sqlx::query_scalar(
        "SELECT s.owner_id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE e.stream_position > (SELECT position FROM event_stream_head) - 20000
           AND (SELECT count(*) FROM shipments o WHERE o.owner_id = s.owner_id) BETWEEN 5 AND 20
         ORDER BY e.stream_position DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await
    .context("finding a typical customer")?;
    let business: i64 =
        sqlx::query_scalar("SELECT owner_id FROM shipments GROUP BY owner_id ORDER BY count(*) DESC LIMIT 1")
            .fetch_one(pool)
            .await?;
    let ten_thousand: i64 = sqlx::query_scalar(
        "SELECT owner_id FROM shipments GROUP BY owner_id ORDER BY abs(count(*) - 10000), owner_id LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let operator: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE role = 'operator' ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await?;
    let owned = |id: i64| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM shipments WHERE owner_id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
    };
    let customer = |id: i64| async move {
        anyhow::Ok(Viewer {
            what: format!("{}-shipment customer", owned(id).await?),
            token: token_for(pool, id).await?,
            browser: signed_in(pool, base, id).await?,
        })
    };
    let typical = customer(typical).await?;
    let big = customer(business).await?;
    let mid = customer(ten_thousand).await?;
    let staff = Viewer {
        what: "operator".to_owned(),
        token: token_for(pool, operator).await?,
        browser: signed_in(pool, base, operator).await?,
    };

    let client = reqwest::Client::new();
    let list = format!("{base}/api/v1/shipments");
    for viewer in [&typical, &mid, &big, &staff] {
        time(
            &client,
            samples,
            viewer,
            &format!("list page 1 + counts ({})", viewer.what),
            &list,
        )
        .await?;
    }
    let attention = format!("{base}/api/v1/shipments?attention=true");
    time(
        &client,
        samples,
        &staff,
        "needs-attention page 1 + counts (operator)",
        &attention,
    )
    .await?;
    let in_transit = format!("{base}/api/v1/shipments?status=in_transit");
    time(
        &client,
        samples,
        &staff,
        "status filter page 1 + counts (operator)",
        &in_transit,
    )
    .await?;

    // Five characters from the middle of a real tracking number.
    let number: String = sqlx::query_scalar(
        "SELECT tracking_number FROM shipments WHERE id = 424242 OR id = 1 ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let part = &number[4..9];
    let search = format!("{base}/api/v1/shipments?q={part}");
    time(
        &client,
        samples,
        &staff,
        &format!("search \"{part}\" (operator)"),
        &search,
    )
    .await?;
    for viewer in [&mid, &big] {
        let what = format!("search \"{part}\" ({})", viewer.what);
        time(&client, samples, viewer, &what, &search).await?;
    }

    // The pages themselves (server-rendered, every resource awaited), as a
    // signed-in browser gets them.
    for (viewer, path) in [(&typical, "/"), (&mid, "/"), (&staff, "/operator")] {
        let what = format!("page {path} ({})", viewer.what);
        time_page(samples, viewer, &what, &format!("{base}{path}")).await?;
    }
    let page = format!("{base}/shipments/{number}");
    time_page(samples, &staff, "page /shipments/<number> (operator)", &page).await?;

    let shipment = format!("{base}/api/v1/shipments/{number}");
    time(
        &client,
        samples,
        &staff,
        "shipment detail with timeline page",
        &shipment,
    )
    .await?;
    let longest: String = sqlx::query_scalar(
        "SELECT s.tracking_number FROM shipments s WHERE s.id = (SELECT shipment_id FROM shipment_events GROUP BY shipment_id ORDER BY count(*) DESC LIMIT 1)",
    )
    .fetch_one(pool)
    .await?;
    let longest = format!("{base}/api/v1/shipments/{longest}");
    time(
        &client,
        samples,
        &staff,
        "shipment detail, the longest history",
        &longest,
    )
    .await?;

    // Page 100 of the operator's list (or the last, in a small data set),
    // reached by following the cursors.
    let mut url = list.clone();
    let mut depth = 1;
    while depth < 100 {
        let page: serde_json::Value = get(&client, &staff, &url).await?.json().await?;
        let Some(next) = page["next_page"].as_str() else {
            break;
        };
        url = format!("{list}?after={next}");
        depth += 1;
    }
    time(
        &client,
        samples,
        &staff,
        &format!("list page {depth} + counts (operator)"),
        &url,
    )
    .await?;

    // Replay: the cursor as of a day ago.
    let day_ago: i64 = sqlx::query_scalar(
        "SELECT COALESCE(max(stream_position), 0) FROM shipment_events WHERE recorded_at < now() - interval '1 day'",
    )
    .fetch_one(pool)
    .await?;
    // The smoke run's small log may hold nothing of theirs from the last day
    // (and the long poll would wait): it replays from the start.
    let from = if smoke { 0 } else { day_ago };
    let replay = format!("{base}/api/v1/events?after={from}");
    for viewer in [&typical, &mid, &big] {
        let what = format!("replay after a day offline ({})", viewer.what);
        time(&client, samples, viewer, &what, &replay).await?;
    }
    let head: i64 = sqlx::query_scalar("SELECT position FROM event_stream_head")
        .fetch_one(pool)
        .await?;
    let recent = format!("{base}/api/v1/events?after={}", head - 50);
    time(
        &client,
        samples,
        &staff,
        "long-poll feed, 50 events behind (operator)",
        &recent,
    )
    .await?;
    Ok(())
}

/// A fresh API token for `user_id`.
async fn token_for(pool: &PgPool, user_id: i64) -> anyhow::Result<String> {
    let (token, hash) = app::ssr::auth::tokens::mint();
    sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, 'scale', $2)")
        .bind(user_id)
        .bind(hash)
        .execute(pool)
        .await?;
    Ok(token)
}

async fn get(client: &reqwest::Client, viewer: &Viewer, url: &str) -> anyhow::Result<reqwest::Response> {
    let response = client.get(url).bearer_auth(&viewer.token).send().await?;
    anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
    Ok(response)
}

/// A cookie-keeping client signed in as `user_id` through the JSON API.
async fn signed_in(pool: &PgPool, base: &str, user_id: i64) -> anyhow::Result<reqwest::Client> {
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    let browser = reqwest::Client::builder().cookie_store(true).build()?;
    let response = browser
        .post(format!("{base}/api/v1/session"))
        .header(reqwest::header::ORIGIN, base)
        .json(&serde_json::json!({ "email": email, "password": super::load::PASSWORD }))
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "signing in as {email}: {}",
        response.status()
    );
    Ok(browser)
}

/// Times a page as `viewer`'s browser gets it (200 and the whole HTML).
async fn time_page(samples: usize, viewer: &Viewer, what: &str, url: &str) -> anyhow::Result<()> {
    let mut times = Vec::with_capacity(samples);
    let mut bytes = 0;
    for i in 0..WARM_UP.min(samples) + samples {
        let started = Instant::now();
        let response = viewer.browser.get(url).send().await?;
        anyhow::ensure!(response.status().is_success(), "{url}: {}", response.status());
        bytes = response.bytes().await?.len();
        if i >= WARM_UP.min(samples) {
            times.push(started.elapsed());
        }
    }
    let times = Percentiles::of(times);
    println!(
        "{what}: p50 {} ms, p99 {} ms ({} samples, {bytes} bytes)",
        times.ms(0.5),
        times.ms(0.99),
        times.samples()
    );
    Ok(())
}

/// Times `url` (response fully read) and prints the percentiles.
async fn time(
    client: &reqwest::Client,
    samples_wanted: usize,
    viewer: &Viewer,
    what: &str,
    url: &str,
) -> anyhow::Result<()> {
    let mut samples: Vec<Duration> = Vec::with_capacity(samples_wanted);
    let mut bytes = 0;
    let began = Instant::now();
    let mut warm_up = WARM_UP.min(samples_wanted);
    for i in 0..warm_up + samples_wanted {
        let started = Instant::now();
        bytes = get(client, viewer, url).await?.bytes().await?.len();
        let took = started.elapsed();
        if i == 0 && took > Duration::from_secs(1) {
            // A slow request warms the cache by itself.
            warm_up = 1;
        }
        if i >= warm_up {
            samples.push(took);
        }
        if !samples.is_empty() && began.elapsed() > BUDGET {
            break;
        }
    }
    let samples = Percentiles::of(samples);
    println!(
        "{what}: p50 {} ms, p99 {} ms ({} samples, {bytes} bytes)",
        samples.ms(0.5),
        samples.ms(0.99),
        samples.samples()
    );
    Ok(())
}
