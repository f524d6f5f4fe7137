//! `shipwatch-bench --scale`: a million shipments and ten million events,
//! loaded with `COPY` into a database of their own (`shipwatch_scale`), then
//! the pages' and the feed's costs measured on it through a release server.
//!
//! `--scale-reuse` measures an existing load again (it takes minutes to make);
//! `--scale-shipments` makes a smaller one of the same shape (the smoke run).

mod dataset;
mod load;
mod measure;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::instances::Instance;

pub use dataset::Size;

/// The database the scale data lives in, next to the configured one.
const DATABASE: &str = "shipwatch_scale";

pub async fn run(
    database: &server::database::DatabaseArgs,
    shipments: usize,
    reuse: bool,
    server_bin: &std::path::Path,
) -> anyhow::Result<()> {
    let size = Size {
        customers: (shipments / 10).max(20),
        shipments,
        events: shipments * 10,
    };
    let url = if reuse {
        let started = Instant::now();
        let url = database.sibling(DATABASE).await?;
        println!(
            "reusing the loaded data set (migrations brought up to date in {:.1?})",
            started.elapsed()
        );
        url
    } else {
        let started = Instant::now();
        let url = database.recreate_sibling(DATABASE).await?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        println!(
            "generating {} customers, {} shipments, about {} events",
            size.customers, size.shipments, size.events
        );
        let data = dataset::generate(size, now);
        println!(
            "  generated {} events, {} watchers in {:.1?}",
            data.events.len(),
            data.watchers.len(),
            started.elapsed()
        );
        load::load(&url, size, &data, now).await?;
        println!("loaded in {:.1?} (generation included)", started.elapsed());
        url
    };
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await?;
    measure::sizes(&pool).await?;
    let server = Instance::start(server_bin, &url).await?;
    let result = measure::pages(&pool, &server.base, shipments < 10_000).await;
    server.stop();
    result
}
