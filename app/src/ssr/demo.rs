//! The demo data of the README: an operator, alice with 60 shipments and bob
//! with 40, spread over every status with histories that follow the transition
//! table. Deterministic and idempotent: seeding twice leaves the same 100
//! shipments, each with the history it got the first time.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::{Email, EventKind, NewPassword, Role, ShipmentStatus};
use crate::ssr::auth::password::hash_password;
use crate::ssr::db::events::{self, NewEvent};

use ShipmentStatus::*;

pub const DEMO_PASSWORD: &str = "demo-password";
pub const OPERATOR_EMAIL: &str = "ops@example.com";
pub const DEMO_CUSTOMERS: [(&str, usize); 2] = [("alice@example.com", 60), ("bob@example.com", 40)];

/// What a seeding run changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub users_created: usize,
    pub shipments_created: usize,
}

const PLACES: [(&str, &str); 12] = [
    ("Rotterdam", "3011 AA"),
    ("Hamburg", "20095"),
    ("Lyon", "69001"),
    ("Milan", "20121"),
    ("Leeds", "LS1 4AP"),
    ("Antwerp", "2000"),
    ("Vienna", "1010"),
    ("Copenhagen", "1050"),
    ("Porto", "4000-322"),
    ("Kraków", "31-001"),
    ("Dublin", "D02 X285"),
    ("Bordeaux", "33000"),
];
const HUBS: [&str; 5] = [
    "Venlo hub",
    "Leipzig hub",
    "Paris CDG hub",
    "Liège hub",
    "Cologne hub",
];
const CARRIERS: [&str; 5] = ["DHL", "UPS", "PostNL", "DPD", "GLS"];

/// Seeds the demo accounts and shipments, creating only what is missing.
pub async fn seed_demo(pool: &PgPool) -> anyhow::Result<SeedReport> {
    let password_hash =
        hash_password(NewPassword::parse(DEMO_PASSWORD.into()).context("demo password rules")?).await?;
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    // Two concurrent seeders would otherwise race on the same rows.
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtext('shipwatch seed-demo'))")
        .execute(&mut *tx)
        .await?;

    let mut report = SeedReport {
        users_created: 0,
        shipments_created: 0,
    };
    let (operator_id, created) = ensure_user(&mut tx, OPERATOR_EMAIL, &password_hash, Role::Operator).await?;
    report.users_created += usize::from(created);

    let mut number = 0usize;
    for (email, count) in DEMO_CUSTOMERS {
        let (owner_id, created) = ensure_user(&mut tx, email, &password_hash, Role::Customer).await?;
        report.users_created += usize::from(created);
        for _ in 0..count {
            number += 1;
            let plan = DemoShipment::plan(number, now);
            if plan.insert(&mut tx, owner_id, operator_id).await? {
                report.shipments_created += 1;
            }
        }
    }
    tx.commit().await?;
    // Number its events now, as a running server would on their commit, so
    // the stream's head covers the demo as soon as it is seeded.
    crate::ssr::stream::log::sequence(&mut *pool.acquire().await?).await?;
    Ok(report)
}

async fn ensure_user(
    conn: &mut PgConnection,
    email: &str,
    password_hash: &str,
    role: Role,
) -> anyhow::Result<(i64, bool)> {
    let email = Email::parse(email).context("demo email")?;
    let inserted = sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3)
         ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
        email.as_str(),
        password_hash,
        role as Role,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = inserted {
        return Ok((id, true));
    }
    let id = sqlx::query_scalar!("SELECT id FROM users WHERE lower(email) = $1", email.as_str())
        .fetch_one(&mut *conn)
        .await?;
    Ok((id, false))
}

/// One status event of a demo history: (status, location, note, occurred_at).
type HistoryEntry = (
    ShipmentStatus,
    Option<String>,
    Option<&'static str>,
    DateTime<Utc>,
);

/// One demo shipment and the history that leads to its status.
#[derive(Debug, Clone)]
struct DemoShipment {
    tracking_number: String,
    origin: &'static str,
    destination: &'static str,
    postal_code: &'static str,
    carrier: &'static str,
    created_at: DateTime<Utc>,
    eta: Option<chrono::NaiveDate>,
    /// Oldest first, starting at pending.
    history: Vec<HistoryEntry>,
}

impl DemoShipment {
    fn plan(number: usize, now: DateTime<Utc>) -> Self {
        // A small deterministic mix so the list does not look generated.
        let mix = number.wrapping_mul(2_654_435_761) % 1_000_003;
        let target = ShipmentStatus::ALL[number % ShipmentStatus::ALL.len()];
        let origin_index = mix % PLACES.len();
        let (origin, _) = PLACES[origin_index];
        // Any place but the origin.
        let destination = PLACES[(origin_index + 1 + (mix / 13) % (PLACES.len() - 1)) % PLACES.len()];
        let carrier = CARRIERS[mix % CARRIERS.len()];

        let path = path_to(target);
        // Every fifth shipment has been quiet for three days (the "no update for
        // 48 h" case); the rest moved within the last day.
        let last_age = if number.is_multiple_of(5) {
            Duration::hours(72 + (mix % 24) as i64)
        } else {
            Duration::minutes(20 + (mix % 1_300) as i64)
        };
        let step = Duration::hours(6 + (mix % 10) as i64);
        let steps = i32::try_from(path.len()).unwrap_or(1) - 1;
        let created_at = now - last_age - step * steps;

        let history = path
            .iter()
            .enumerate()
            .map(|(i, status)| {
                let at = created_at + step * i32::try_from(i).unwrap_or(0);
                let (location, note) = describe(*status, origin, destination.0, HUBS[(mix + i) % HUBS.len()]);
                (*status, location, note, at)
            })
            .collect();
        let eta = (!target.is_final()).then(|| (created_at + Duration::days(4)).date_naive());
        Self {
            tracking_number: format!(
                "SW{:010}",
                4_200_000_000u64 + (mix as u64) * 1_000 + number as u64
            ),
            origin,
            destination: destination.0,
            postal_code: destination.1,
            carrier,
            created_at,
            eta,
            history,
        }
    }

    /// Inserts the shipment and its history unless it exists; true if inserted.
    async fn insert(&self, conn: &mut PgConnection, owner_id: i64, operator_id: i64) -> anyhow::Result<bool> {
        let Some((last_status, last_location, _, last_at)) = self.history.last().cloned() else {
            anyhow::bail!("demo shipment {} has no history", self.tracking_number);
        };
        let last_known_location = self
            .history
            .iter()
            .rev()
            .find_map(|(_, location, _, _)| location.clone());
        let inserted = sqlx::query_scalar!(
            r#"INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code,
                                      carrier, status, last_location, eta, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
               ON CONFLICT (tracking_number) DO NOTHING
               RETURNING id"#,
            self.tracking_number,
            owner_id,
            self.origin,
            self.destination,
            self.postal_code,
            self.carrier,
            last_status as ShipmentStatus,
            last_location.or(last_known_location),
            self.eta as _,
            self.created_at as _,
            last_at as _,
        )
        .fetch_optional(&mut *conn)
        .await?;
        let Some(shipment_id) = inserted else {
            return Ok(false);
        };

        for (status, location, note, at) in &self.history {
            events::append(
                &mut *conn,
                NewEvent {
                    shipment_id,
                    kind: EventKind::Status,
                    status: Some(*status),
                    location: location.as_deref(),
                    note: *note,
                    occurred_at: Some(*at),
                    recorded_at: Some(*at),
                    actor_id: Some(operator_id),
                },
            )
            .await?;
        }
        Ok(true)
    }
}

/// A realistic legal path from `pending` to `target`.
fn path_to(target: ShipmentStatus) -> Vec<ShipmentStatus> {
    let moving = [Pending, InfoReceived, PickedUp, InTransit, InTransit];
    let mut path: Vec<ShipmentStatus> = match target {
        Pending => vec![Pending],
        InfoReceived => vec![Pending, InfoReceived],
        PickedUp => vec![Pending, InfoReceived, PickedUp],
        InTransit => moving.to_vec(),
        Cancelled => vec![Pending, Cancelled],
        _ => moving.to_vec(),
    };
    match target {
        OutForDelivery => path.push(OutForDelivery),
        Delivered => path.extend([OutForDelivery, Delivered]),
        AttemptFailed => path.extend([OutForDelivery, AttemptFailed]),
        AvailableForPickup => path.push(AvailableForPickup),
        Exception => path.push(Exception),
        ReturningToSender => path.push(ReturningToSender),
        Returned => path.extend([ReturningToSender, Returned]),
        Lost => path.extend([Exception, Lost]),
        _ => {}
    }
    path
}

fn describe(
    status: ShipmentStatus,
    origin: &str,
    destination: &str,
    hub: &str,
) -> (Option<String>, Option<&'static str>) {
    match status {
        Pending => (None, Some("Shipment created")),
        InfoReceived => (None, Some("Label printed, awaiting parcel")),
        PickedUp => (Some(origin.to_owned()), Some("Picked up from sender")),
        InTransit => (Some(hub.to_owned()), Some("Sorted at hub")),
        OutForDelivery => (Some(destination.to_owned()), Some("With the driver")),
        Delivered => (Some(destination.to_owned()), Some("Handed to recipient")),
        AttemptFailed => (Some(destination.to_owned()), Some("Nobody home; card left")),
        AvailableForPickup => (
            Some(format!("{destination} pickup point")),
            Some("Ready for collection"),
        ),
        Exception => (Some(hub.to_owned()), Some("Damaged label, held for inspection")),
        ReturningToSender => (Some(hub.to_owned()), Some("Refused by recipient")),
        Returned => (Some(origin.to_owned()), Some("Returned to sender")),
        Lost => (Some(hub.to_owned()), Some("Declared lost after search")),
        Cancelled => (None, Some("Cancelled by sender")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_history_follows_the_transition_table() {
        let now = Utc::now();
        for number in 1..=100 {
            let plan = DemoShipment::plan(number, now);
            assert_eq!(plan.history.first().map(|h| h.0), Some(Pending));
            for pair in plan.history.windows(2) {
                assert!(
                    pair[0].0.can_transition_to(pair[1].0),
                    "{} {:?}",
                    plan.tracking_number,
                    pair
                );
                assert!(pair[0].3 < pair[1].3, "history is in time order");
            }
            assert_ne!(plan.origin, plan.destination, "{}", plan.tracking_number);
        }
    }

    #[test]
    fn demo_covers_every_status_for_both_customers() {
        let now = Utc::now();
        let final_status = |n| DemoShipment::plan(n, now).history.last().map(|h| h.0);
        for status in ShipmentStatus::ALL {
            assert!(
                (1..=60).any(|n| final_status(n) == Some(status)),
                "alice lacks {status}"
            );
            assert!(
                (61..=100).any(|n| final_status(n) == Some(status)),
                "bob lacks {status}"
            );
        }
    }

    #[test]
    fn tracking_numbers_are_unique_and_valid() {
        let now = Utc::now();
        let numbers: std::collections::HashSet<_> = (1..=100)
            .map(|n| DemoShipment::plan(n, now).tracking_number)
            .collect();
        assert_eq!(numbers.len(), 100);
        for n in &numbers {
            assert!(crate::domain::TrackingNumber::parse(n).is_ok(), "{n}");
        }
    }
}
