use sqlx::PgPool;

/// Everything a user could notice about the demo data.
async fn snapshot(pool: &PgPool) -> Vec<(String, String, String, String, i64)> {
    sqlx::query_as(
        "SELECT s.tracking_number, u.email, s.status::text, s.updated_at::text,
                (SELECT count(*) FROM shipment_events e WHERE e.shipment_id = s.id)
         FROM shipments s JOIN users u ON u.id = s.owner_id
         ORDER BY s.tracking_number",
    )
    .fetch_all(pool)
    .await
    .expect("snapshot")
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn seeding_twice_leaves_exactly_the_same_100_shipments(pool: PgPool) {
    let first = app::ssr::demo::seed_demo(&pool).await.expect("first seed");
    assert_eq!((first.users_created, first.shipments_created), (3, 100));
    let before = snapshot(&pool).await;

    let second = app::ssr::demo::seed_demo(&pool).await.expect("second seed");
    assert_eq!((second.users_created, second.shipments_created), (0, 0));
    assert_eq!(snapshot(&pool).await, before);

    let per_owner: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.email, count(*) FROM shipments s JOIN users u ON u.id = s.owner_id GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("owners");
    assert_eq!(
        per_owner,
        vec![("alice@example.com".into(), 60), ("bob@example.com".into(), 40)]
    );

    let statuses: i64 = sqlx::query_scalar("SELECT count(DISTINCT status) FROM shipments")
        .fetch_one(&pool)
        .await
        .expect("statuses");
    assert_eq!(statuses, 13, "every status is represented");
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn demo_accounts_have_their_roles_and_the_demo_password(pool: PgPool) {
    app::ssr::demo::seed_demo(&pool).await.expect("seed");
    let users: Vec<(String, String, String)> =
        sqlx::query_as("SELECT email, role::text, password_hash FROM users ORDER BY email")
            .fetch_all(&pool)
            .await
            .expect("users");
    let roles: Vec<_> = users.iter().map(|(e, r, _)| (e.as_str(), r.as_str())).collect();
    assert_eq!(
        roles,
        vec![
            ("alice@example.com", "customer"),
            ("bob@example.com", "customer"),
            ("ops@example.com", "operator")
        ]
    );
    for (_, _, hash) in users {
        assert!(
            app::ssr::auth::password::verify_password(crate::helpers::DEMO_PASSWORD.into(), hash)
                .await
                .expect("verify")
        );
    }
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn concurrent_seeders_do_not_duplicate_anything(pool: PgPool) {
    let (a, b) = tokio::join!(app::ssr::demo::seed_demo(&pool), app::ssr::demo::seed_demo(&pool));
    let created = a.expect("a").shipments_created + b.expect("b").shipments_created;
    assert_eq!(created, 100);
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM shipments")
        .fetch_one(&pool)
        .await
        .expect("count");
    assert_eq!(count, 100);
}
