//! Rules written twice — in Rust (live routing, the browser) and in SQL (to
//! filter lists in the database) — checked to agree on every case, as
//! `schema.rs` does for the transition table.

use app::domain::{may_see, needs_attention, Role, ShipmentStatus, TrackingNumber, Viewer};
use app::ssr::auth::policy;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::helpers::new_user;

async fn shipment(
    pool: &PgPool,
    number: &str,
    owner: i64,
    status: ShipmentStatus,
    updated_at: DateTime<Utc>,
) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, status, updated_at)
         VALUES ($1, $2, 'Leeds', 'York', 'YO1', 'Carrier', $3::text::shipment_status, $4) RETURNING id",
    )
    .bind(number)
    .bind(owner)
    .bind(status.as_str())
    .bind(updated_at)
    .fetch_one(pool)
    .await
    .expect("shipment")
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sql_and_rust_agree_on_who_may_see_a_shipment_in_every_case(pool: PgPool) {
    let mut cases = 0;
    for role in Role::ALL {
        let owner = new_user(&pool, &format!("owner-{role}@example.com"), role).await;
        let watcher = new_user(&pool, &format!("watcher-{role}@example.com"), role).await;
        let stranger = new_user(&pool, &format!("stranger-{role}@example.com"), role).await;
        for (index, status) in ShipmentStatus::ALL.into_iter().enumerate() {
            let number = format!("RULE{}{index:02}", role.as_str().to_uppercase());
            let id = shipment(&pool, &number, owner.id, status, Utc::now()).await;
            sqlx::query("INSERT INTO shipment_watchers (shipment_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(watcher.id)
                .execute(&pool)
                .await
                .expect("watch");
            let number = TrackingNumber::parse(&number).expect("valid");
            for viewer in [&owner, &watcher, &stranger] {
                let in_sql: bool = sqlx::query_scalar("SELECT shipment_visible_to($1, $2, $3, $4)")
                    .bind(id)
                    .bind(owner.id)
                    .bind(viewer.id)
                    .bind(viewer.role.is_staff())
                    .fetch_one(&pool)
                    .await
                    .expect("sql rule");
                let in_rust = may_see(viewer.id, viewer.role, owner.id, &[watcher.id]);
                assert_eq!(in_sql, in_rust, "{} on {number} ({status})", viewer.email);
                // The policy the actions ask gives the same answer.
                let by_policy =
                    policy::visible_shipment_id(&pool, &Viewer::User(viewer.clone()), &number).await;
                assert_eq!(by_policy.is_ok(), in_rust, "policy: {} on {number}", viewer.email);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, Role::ALL.len() * 3 * ShipmentStatus::ALL.len());
}

/// Ages of a last update well clear of the 48-hour line on both sides, so the
/// seconds between two clocks cannot decide a case.
fn ages_around_the_attention_line() -> [Duration; 4] {
    [
        Duration::zero(),
        Duration::hours(47),
        Duration::hours(49),
        Duration::days(30),
    ]
}

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sql_and_rust_agree_on_which_shipments_need_attention(pool: PgPool) {
    let owner = new_user(&pool, "owner@example.com", Role::Customer).await;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&pool)
        .await
        .expect("now");
    let ages = ages_around_the_attention_line();
    for status in ShipmentStatus::ALL {
        for (index, age) in ages.iter().enumerate() {
            let number = format!("AGE{}{index}", status.as_str().replace('_', "").to_uppercase());
            let updated_at = now - *age;
            let id = shipment(&pool, &number, owner.id, status, updated_at).await;
            let (in_sql, checked_at): (bool, DateTime<Utc>) = sqlx::query_as(
                "SELECT shipment_needs_attention(status, updated_at), now() FROM shipments WHERE id = $1",
            )
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("sql rule");
            let in_rust = needs_attention(status, updated_at, checked_at);
            assert_eq!(in_sql, in_rust, "{status} updated {}h ago", age.num_hours());
        }
    }
}

/// The set form of the visibility rule (`shipments_visible_to`, which lists
/// and counts read) gives, for every viewer, exactly the shipments the
/// per-row form admits — each once, also when a watcher owns it too.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn the_set_and_row_forms_of_visibility_agree_for_every_viewer(pool: PgPool) {
    let owner = new_user(&pool, "owner@example.com", Role::Customer).await;
    let watcher = new_user(&pool, "watcher@example.com", Role::Customer).await;
    let stranger = new_user(&pool, "stranger@example.com", Role::Customer).await;
    let operator = new_user(&pool, "ops@example.com", Role::Operator).await;
    let admin = new_user(&pool, "admin@example.com", Role::Admin).await;
    for (index, status) in ShipmentStatus::ALL.into_iter().enumerate() {
        let id = shipment(&pool, &format!("SET{index:03}"), owner.id, status, Utc::now()).await;
        // Every other one watched; the first also by its own owner.
        let watchers = match index {
            0 => vec![watcher.id, owner.id],
            i if i % 2 == 0 => vec![watcher.id],
            _ => vec![],
        };
        for who in watchers {
            sqlx::query("INSERT INTO shipment_watchers (shipment_id, user_id) VALUES ($1, $2)")
                .bind(id)
                .bind(who)
                .execute(&pool)
                .await
                .expect("watch");
        }
    }
    shipment(
        &pool,
        "SETWATCHERS",
        watcher.id,
        ShipmentStatus::InTransit,
        Utc::now(),
    )
    .await;
    for viewer in [&owner, &watcher, &stranger, &operator, &admin] {
        let staff = viewer.role.is_staff();
        let as_set: Vec<i64> = sqlx::query_scalar("SELECT id FROM shipments_visible_to($1, $2) ORDER BY id")
            .bind(viewer.id)
            .bind(staff)
            .fetch_all(&pool)
            .await
            .expect("set form");
        let by_row: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM shipments WHERE shipment_visible_to(id, owner_id, $1, $2) ORDER BY id",
        )
        .bind(viewer.id)
        .bind(staff)
        .fetch_all(&pool)
        .await
        .expect("row form");
        assert_eq!(as_set, by_row, "{}", viewer.email);
    }
    let seen = |id: i64| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM shipments_visible_to($1, false)")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(seen(owner.id).await, ShipmentStatus::ALL.len() as i64);
    assert_eq!(
        seen(watcher.id).await,
        1 + ShipmentStatus::ALL.len().div_ceil(2) as i64
    );
    assert_eq!(seen(stranger.id).await, 0);
}

/// The staff's counts come from tallies the writers keep, and their attention
/// count from `shipments_needing_attention()`: both must equal counting every
/// row with the row rule, after inserts, a status change and a reopening.
#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn tallies_and_the_attention_count_equal_counting_every_row(pool: PgPool) {
    let owner = new_user(&pool, "owner@example.com", Role::Customer).await;
    for status in ShipmentStatus::ALL {
        for (index, age) in ages_around_the_attention_line().iter().enumerate() {
            let number = format!("TALLY{}{index}", status.as_str().replace('_', "").to_uppercase());
            shipment(&pool, &number, owner.id, status, Utc::now() - *age).await;
        }
    }
    let agree = |when: &'static str| {
        let pool = pool.clone();
        async move {
            let tallied: Vec<(String, i64)> = sqlx::query_as(
                "SELECT status::text, sum(shipments)::bigint FROM shipment_status_tallies
                 GROUP BY status HAVING sum(shipments) <> 0 ORDER BY 1",
            )
            .fetch_all(&pool)
            .await
            .expect("tallies");
            let counted: Vec<(String, i64)> =
                sqlx::query_as("SELECT status::text, count(*) FROM shipments GROUP BY status ORDER BY 1")
                    .fetch_all(&pool)
                    .await
                    .expect("count");
            assert_eq!(tallied, counted, "{when}");
            let (fast, by_row): (i64, i64) = sqlx::query_as(
                "SELECT shipments_needing_attention(),
                        (SELECT count(*) FROM shipments WHERE shipment_needs_attention(status, updated_at))",
            )
            .fetch_one(&pool)
            .await
            .expect("attention");
            assert_eq!(fast, by_row, "{when}");
            by_row
        }
    };
    let attention = agree("after inserts").await;
    // Problem statuses, and every ongoing one that is 49 hours or 30 days old.
    assert_eq!(attention, 2 * 4 + 7 * 2);

    sqlx::query(
        "UPDATE shipments SET status = 'delivered', updated_at = now() WHERE status = 'out_for_delivery'",
    )
    .execute(&pool)
    .await
    .expect("deliver");
    agree("after a status change by hand").await;
    let admin = new_user(&pool, "admin@example.com", Role::Admin).await;
    let mut tx = pool.begin().await.expect("tx");
    sqlx::query(
        "INSERT INTO shipment_reopenings (shipment_id, to_status, reason, reopened_by)
         SELECT id, 'in_transit', 'found in the depot', $1 FROM shipments WHERE tracking_number = 'TALLYDELIVERED0'",
    )
    .bind(admin.id)
    .execute(&mut *tx)
    .await
    .expect("reopening");
    sqlx::query("UPDATE shipments SET status = 'in_transit' WHERE tracking_number = 'TALLYDELIVERED0'")
        .execute(&mut *tx)
        .await
        .expect("reopen");
    tx.commit().await.expect("commit");
    agree("after a reopening").await;
}
