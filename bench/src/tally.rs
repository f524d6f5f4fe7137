//! Who should have received what, and what each stream did receive: lost,
//! duplicated and misrouted deliveries, and the latencies.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::load::SentWrite;
use crate::seed::Viewer;
use crate::streams::Arrivals;
use crate::Percentiles;

/// Every committed position in a range, with its shipment's owner.
pub async fn expected(pool: &sqlx::PgPool, after: i64, up_to: i64) -> anyhow::Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT e.stream_position, s.owner_id FROM shipment_events e JOIN shipments s ON s.id = e.shipment_id
         WHERE e.stream_position > $1 AND e.stream_position <= $2 ORDER BY 1",
    )
    .bind(after)
    .bind(up_to)
    .fetch_all(pool)
    .await?)
}

/// How many deliveries the viewers are owed.
pub fn owed(viewers: &[Viewer], expected: &[(i64, i64)]) -> usize {
    viewers
        .iter()
        .map(|v| expected.iter().filter(|(_, owner)| v.sees(*owner)).count())
        .sum()
}

/// Waits until `wanted` deliveries arrived, or 30 s.
pub async fn wait_for(arrivals: &Arrivals, wanted: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let delivered: usize = arrivals
            .iter()
            .map(|a| a.lock().map(|a| a.len()).unwrap_or(0))
            .sum();
        if delivered >= wanted || Instant::now() > deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// When the write of each position was sent (positions read from the log).
pub async fn sent_at(pool: &sqlx::PgPool, sent: &[SentWrite]) -> anyhow::Result<HashMap<i64, Instant>> {
    let ids: Vec<i64> = sent.iter().map(|(id, _, _)| *id).collect();
    let positions: HashMap<i64, i64> =
        sqlx::query_as::<_, (i64, i64)>("SELECT id, stream_position FROM shipment_events WHERE id = ANY($1)")
            .bind(&ids)
            .fetch_all(pool)
            .await?
            .into_iter()
            .collect();
    Ok(sent
        .iter()
        .filter_map(|(id, before, _)| Some((*positions.get(id)?, *before)))
        .collect())
}

pub struct Tally {
    pub lost: usize,
    pub duplicated: usize,
    pub delivered: usize,
    /// From sending the POST to the frame's arrival.
    pub to_client: Percentiles,
    /// From a bare LISTEN client hearing the NOTIFY to the frame's arrival.
    pub server_share: Percentiles,
    /// From sending the POST to a bare LISTEN client hearing it (the floor).
    pub to_notify: Percentiles,
}

/// Checks every stream against what it was owed. A delivery to a stream that
/// may not see it is an error, not a statistic.
pub fn tally(
    viewers: &[Viewer],
    arrivals: &Arrivals,
    expected: &[(i64, i64)],
    sent_at: &HashMap<i64, Instant>,
    notified: &HashMap<i64, Instant>,
) -> anyhow::Result<Tally> {
    let (mut to_client, mut server_share) = (Vec::new(), Vec::new());
    let (mut lost, mut duplicated, mut delivered) = (0usize, 0usize, 0usize);
    let to_notify = expected
        .iter()
        .filter_map(|(position, _)| {
            Some(
                notified
                    .get(position)?
                    .saturating_duration_since(*sent_at.get(position)?),
            )
        })
        .collect();
    for (viewer, received) in viewers.iter().zip(arrivals.iter()) {
        let received = received.lock().map(|r| r.clone()).unwrap_or_default();
        for (position, owner) in expected {
            let got = received.get(position);
            if !viewer.sees(*owner) {
                anyhow::ensure!(
                    got.is_none(),
                    "a stream received position {position}, which it may not see"
                );
                continue;
            }
            let Some((arrived, times)) = got else {
                lost += 1;
                continue;
            };
            delivered += *times as usize;
            duplicated += (*times as usize).saturating_sub(1);
            if let Some(sent) = sent_at.get(position) {
                to_client.push(arrived.saturating_duration_since(*sent));
            }
            if let Some(heard) = notified.get(position) {
                server_share.push(arrived.saturating_duration_since(*heard));
            }
        }
    }
    Ok(Tally {
        lost,
        duplicated,
        delivered,
        to_client: Percentiles::of(to_client),
        server_share: Percentiles::of(server_share),
        to_notify: Percentiles::of(to_notify),
    })
}
