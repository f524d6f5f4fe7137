//! The harness's data: customers with one shipment each, operators, a writer
//! account, and an API token for every one of them — inserted in bulk with
//! plain SQL (thousands of argon2 hashes and sign-ins are not what we measure;
//! streams and writes authenticate with bearer tokens, as integrations do).

use app::domain::{may_see, Role};
use sqlx::PgPool;

/// Someone who holds a stream.
pub struct Viewer {
    pub id: i64,
    pub operator: bool,
    pub token: String,
}

impl Viewer {
    /// Whether this viewer may see a shipment owned by `owner_id` (the app's
    /// own rule; the harness's shipments have no watchers).
    pub fn sees(&self, owner_id: i64) -> bool {
        let role = if self.operator {
            Role::Operator
        } else {
            Role::Customer
        };
        may_see(self.id, role, owner_id, &[])
    }
}

pub struct Seeded {
    pub viewers: Vec<Viewer>,
    /// The operator account the writers post as (it holds no stream).
    pub writer_token: String,
    /// Tracking numbers the writers change, in turn.
    pub shipments: Vec<String>,
}

/// `customers` customers (one in-transit shipment each), `operators`
/// operators, and at least `min_shipments` shipments in all (extra ones belong
/// to a customer who holds no stream).
pub async fn seed(
    pool: &PgPool,
    customers: usize,
    operators: usize,
    min_shipments: usize,
) -> anyhow::Result<Seeded> {
    let mut emails = Vec::new();
    let mut roles = Vec::new();
    for i in 0..customers {
        emails.push(format!("customer{i}@bench.example"));
        roles.push("customer".to_owned());
    }
    for i in 0..operators {
        emails.push(format!("ops{i}@bench.example"));
        roles.push("operator".to_owned());
    }
    emails.push("writer@bench.example".to_owned());
    roles.push("operator".to_owned());
    emails.push("owner@bench.example".to_owned());
    roles.push("customer".to_owned());
    // An unusable hash: these accounts sign in with tokens only.
    let ids: Vec<i64> = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, role)
         SELECT e, '!', r::user_role FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(e, r, n)
         ORDER BY n RETURNING id",
    )
    .bind(&emails)
    .bind(&roles)
    .fetch_all(pool)
    .await?;
    anyhow::ensure!(ids.len() == emails.len(), "seeding users");

    let mut tokens = Vec::with_capacity(ids.len());
    let mut hashes = Vec::with_capacity(ids.len());
    for _ in &ids {
        let (token, hash) = app::ssr::auth::tokens::mint();
        tokens.push(token);
        hashes.push(hash);
    }
    sqlx::query(
        "INSERT INTO api_tokens (user_id, name, token_hash)
         SELECT u, 'bench', h FROM unnest($1::bigint[], $2::bytea[]) AS t(u, h)",
    )
    .bind(&ids)
    .bind(&hashes)
    .execute(pool)
    .await?;

    let owner = ids[ids.len() - 1];
    let count = customers.max(min_shipments).max(1);
    let numbers: Vec<String> = (0..count).map(|i| format!("BN{i:010}")).collect();
    let owners: Vec<i64> = (0..count)
        .map(|i| if i < customers { ids[i] } else { owner })
        .collect();
    sqlx::query(
        "INSERT INTO shipments (tracking_number, owner_id, origin, destination, destination_postal_code, carrier, status)
         SELECT n, o, 'Rotterdam', 'Lyon', '69001', 'DHL', 'in_transit' FROM unnest($1::text[], $2::bigint[]) AS t(n, o)",
    )
    .bind(&numbers)
    .bind(&owners)
    .execute(pool)
    .await?;

    let viewers = (0..customers + operators)
        .map(|i| Viewer {
            id: ids[i],
            operator: i >= customers,
            token: tokens[i].clone(),
        })
        .collect();
    Ok(Seeded {
        viewers,
        writer_token: tokens[ids.len() - 2].clone(),
        shipments: numbers,
    })
}
