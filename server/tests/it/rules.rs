//! Rules written twice — in Rust (live routing, the browser) and in SQL (to
//! filter lists in the database) — checked to agree on every case, as
//! `schema.rs` does for the transition table.

use app::domain::{may_see, needs_attention, CurrentUser, Role, ShipmentStatus, TrackingNumber, Viewer};
use app::ssr::auth::policy;
use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

async fn user(pool: &PgPool, email: &str, role: Role) -> CurrentUser {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, role) VALUES ($1, 'x', $2::text::user_role) RETURNING id",
    )
    .bind(email)
    .bind(role.as_str())
    .fetch_one(pool)
    .await
    .expect("user");
    CurrentUser {
        id,
        email: email.to_owned(),
        role,
    }
}

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
        let owner = user(&pool, &format!("owner-{role}@example.com"), role).await;
        let watcher = user(&pool, &format!("watcher-{role}@example.com"), role).await;
        let stranger = user(&pool, &format!("stranger-{role}@example.com"), role).await;
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

#[sqlx::test(migrator = "app::ssr::db::MIGRATOR")]
async fn sql_and_rust_agree_on_which_shipments_need_attention(pool: PgPool) {
    let owner = user(&pool, "owner@example.com", Role::Customer).await;
    let now: DateTime<Utc> = sqlx::query_scalar("SELECT now()")
        .fetch_one(&pool)
        .await
        .expect("now");
    // Well clear of the 48-hour line on both sides, so the seconds between
    // the two clocks cannot decide a case.
    let ages = [
        Duration::zero(),
        Duration::hours(47),
        Duration::hours(49),
        Duration::days(30),
    ];
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
