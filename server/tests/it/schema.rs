use app::domain::ShipmentStatus;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

#[sqlx::test(migrations = false)]
async fn migrations_apply_on_an_empty_database(pool: PgPool) {
    app::ssr::db::migrate(&pool).await.expect("migrations apply");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(applied as usize, app::ssr::db::MIGRATOR.iter().count());
    // Running them again is a no-op, as at every server start.
    app::ssr::db::migrate(&pool).await.expect("second run");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_database_transition_table_equals_the_rust_one(pool: PgPool) {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT from_status::text, to_status::text FROM shipment_status_transitions")
            .fetch_all(&pool)
            .await
            .expect("rows");
    let in_db: std::collections::HashSet<(String, String)> = rows.into_iter().collect();
    for from in ShipmentStatus::ALL {
        for to in ShipmentStatus::ALL {
            let pair = (from.as_str().to_owned(), to.as_str().to_owned());
            assert_eq!(
                in_db.contains(&pair),
                from.can_transition_to(to),
                "{from} -> {to}"
            );
        }
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn emails_are_unique_regardless_of_case(pool: PgPool) {
    let insert = |email: &'static str| {
        sqlx::query("INSERT INTO users (email, password_hash) VALUES (lower($1), 'x')")
            .bind(email)
            .execute(&pool)
    };
    insert("Carol@Example.com").await.expect("first");
    let error = insert("carol@example.COM").await.expect_err("duplicate");
    assert!(error.as_database_error().is_some_and(|e| e.is_unique_violation()));
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_event_log_refuses_updates_and_deletes(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    for sql in [
        "UPDATE shipment_events SET note = 'edited'",
        // Numbered once, by the sequencer, and never renumbered.
        "UPDATE shipment_events SET stream_position = stream_position + 1000",
        "DELETE FROM shipment_events",
    ] {
        let error = sqlx::query(sql).execute(&pool).await.expect_err(sql);
        assert!(error.to_string().contains("append-only"), "{error}");
    }
}

/// A fleet starting at once on a new database: every instance runs the
/// migrations, one applies them (PostgreSQL advisory lock) while the others
/// wait, then find nothing left to do. None fails, none applies one twice.
#[sqlx::test(migrations = false)]
async fn instances_starting_together_migrate_once(options: PgPoolOptions, connect: PgConnectOptions) {
    let mut pools = Vec::new();
    for _ in 0..4 {
        pools.push(options.clone().connect_with(connect.clone()).await.expect("pool"));
    }
    let results = futures::future::join_all(pools.iter().map(app::ssr::db::migrate)).await;
    for result in &results {
        assert!(result.is_ok(), "every instance starts: {result:?}");
    }
    let applied: Vec<(i64, i64)> =
        sqlx::query_as("SELECT version, count(*) FROM _sqlx_migrations GROUP BY version ORDER BY version")
            .fetch_all(&pools[0])
            .await
            .expect("applied");
    assert_eq!(
        applied.len(),
        app::ssr::db::MIGRATOR.iter().count(),
        "every migration applied"
    );
    assert!(
        applied.iter().all(|(_, times)| *times == 1),
        "each once: {applied:?}"
    );
}

/// The embedded database asks for a password: the server's URL carries the
/// secret generated with the cluster (kept 0600 in its data directory), and
/// a local account connecting without it is refused.
#[tokio::test]
async fn the_embedded_database_refuses_connections_without_its_secret() {
    use std::os::unix::fs::PermissionsExt as _;
    let (url, _throwaway) = crate::outage::throwaway_cluster("auth-test").await;
    let base = std::path::PathBuf::from(format!("../target/auth-test-{}", std::process::id()));
    let secret = std::fs::read_to_string(base.join("postgres.secret")).expect("secret");
    let mode = std::fs::metadata(base.join("postgres.secret"))
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "only we can read the secret");
    assert!(
        url.contains(&format!(":{}@", secret.trim())),
        "the URL carries the secret"
    );
    let with_secret = sqlx::PgPool::connect(&url)
        .await
        .expect("connect with the secret");
    with_secret.close().await;
    let without = url.replacen(&format!(":{}@", secret.trim()), "@", 1);
    assert!(
        sqlx::PgPool::connect(&without).await.is_err(),
        "no password, no connection"
    );
    let wrong = url.replacen(secret.trim(), "0123456789abcdef0123456789abcdef", 1);
    assert!(
        sqlx::PgPool::connect(&wrong).await.is_err(),
        "a wrong one neither"
    );
}
