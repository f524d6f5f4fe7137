//! The scale data set, generated in memory: customers with a realistic skew,
//! shipments spread over two years, status histories that walk the app's own
//! transition table (`ShipmentStatus::can_transition_to`), and watchers.
//!
//! Deterministic (a fixed-seed generator), so two runs load the same data and
//! their figures compare.

use app::domain::ShipmentStatus;

/// How big a data set to make.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub customers: usize,
    pub shipments: usize,
    pub events: usize,
}

/// Business accounts and how many shipments each owns (the "10,000+" ones);
/// scaled down with the data set so a small smoke run keeps the shape.
const BUSINESS_SHARES: [f64; 6] = [0.040, 0.020, 0.015, 0.012, 0.010, 0.010];
/// Shipments with a very long history (a parcel re-scanned at every hub for
/// months), and how long.
const LONG_HISTORIES: usize = 10;
const LONG_HISTORY: usize = 10_000;
/// Share of shipments watched by someone other than the owner.
const WATCHED_SHARE: f64 = 0.05;
/// Operators on staff.
pub const OPERATORS: usize = 10;
const STATUSES: usize = ShipmentStatus::ALL.len();
/// Two years, in seconds.
const SPAN_SECS: i64 = 2 * 365 * 24 * 3600;
/// Journeys older than this have ended (delivered, returned, lost, cancelled).
const ENDED_AFTER_SECS: i64 = 21 * 24 * 3600;

pub const LOCATIONS: [&str; 24] = [
    "Rotterdam",
    "Lyon",
    "Hamburg",
    "Milan",
    "Madrid",
    "Warsaw",
    "Vienna",
    "Prague",
    "Antwerp",
    "Leipzig",
    "Dublin",
    "Lisbon",
    "Copenhagen",
    "Oslo",
    "Zurich",
    "Brussels",
    "Munich",
    "Paris",
    "Barcelona",
    "Turin",
    "Gdansk",
    "Bratislava",
    "Ljubljana",
    "Porto",
];
pub const CARRIERS: [&str; 5] = ["DHL", "UPS", "DPD", "GLS", "PostNL"];

pub struct Shipment {
    pub owner: u32,
    pub created_at: i64,
    pub origin: u8,
    pub destination: u8,
    pub carrier: u8,
    pub postal_code: u32,
}

/// One status event; `occurred_at` in seconds since the epoch.
#[derive(Clone, Copy)]
pub struct Event {
    pub occurred_at: i64,
    pub shipment: u32,
    pub status: ShipmentStatus,
    pub location: u8,
}

pub struct Dataset {
    /// Shipment `i` has id `i + 1`; ids follow creation time.
    pub shipments: Vec<Shipment>,
    /// In commit order (by time): event `i` has id and stream position `i + 1`.
    pub events: Vec<Event>,
    /// (shipment index, watcher customer id).
    pub watchers: Vec<(u32, u32)>,
    /// Customer ids of the business accounts, largest first.
    pub business: Vec<u32>,
}

/// SplitMix64: small, fast and good enough to spread test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

/// Customer ids run from 1 to `customers`; the business accounts are the
/// first few.
pub fn generate(size: Size, now: i64) -> Dataset {
    let mut rng = Rng::new(0x5EED_5417);
    let owners = owners(size, &mut rng);
    let mut created: Vec<i64> = (0..size.shipments)
        .map(|_| now - (rng.unit() * SPAN_SECS as f64) as i64)
        .collect();
    created.sort_unstable();
    let shipments: Vec<Shipment> = created
        .iter()
        .zip(&owners)
        .map(|(&created_at, &owner)| Shipment {
            owner,
            created_at,
            origin: rng.below(LOCATIONS.len()) as u8,
            destination: rng.below(LOCATIONS.len()) as u8,
            carrier: rng.below(CARRIERS.len()) as u8,
            postal_code: 10_000 + rng.below(89_999) as u32,
        })
        .collect();

    // The longest histories go to the oldest shipments, which had time for them.
    let long_histories: Vec<u32> = (0..LONG_HISTORIES.min(size.shipments / 100))
        .map(|i| (i * 7) as u32)
        .collect();
    let lengths = history_lengths(size, &long_histories, &mut rng);
    let walker = Walker::new();
    let mut events = Vec::with_capacity(size.events + size.shipments);
    for (index, (shipment, &length)) in shipments.iter().zip(&lengths).enumerate() {
        walker.walk(index as u32, shipment, length, now, &mut rng, &mut events);
    }
    // Commit order is time order (a stable sort: a shipment's own events
    // keep their order when they share a second).
    events.sort_by_key(|e| e.occurred_at);

    let watched = (size.shipments as f64 * WATCHED_SHARE) as usize;
    let mut watchers = Vec::with_capacity(watched);
    let mut seen = std::collections::HashSet::with_capacity(watched);
    while watchers.len() < watched {
        let shipment = rng.below(size.shipments) as u32;
        let watcher = 1 + rng.below(size.customers) as u32;
        if watcher != shipments[shipment as usize].owner && seen.insert((shipment, watcher)) {
            watchers.push((shipment, watcher));
        }
    }
    let business = (1..=business_count(size) as u32).collect();
    Dataset {
        shipments,
        events,
        watchers,
        business,
    }
}

fn business_count(size: Size) -> usize {
    BUSINESS_SHARES.len().min(size.customers / 10)
}

/// The owner of every shipment, in a random order: a few business accounts
/// with thousands, everyone else 1–20 (most at the low end).
fn owners(size: Size, rng: &mut Rng) -> Vec<u32> {
    let business = business_count(size);
    let mut counts: Vec<usize> = Vec::with_capacity(size.customers);
    for share in &BUSINESS_SHARES[..business] {
        counts.push((share * size.shipments as f64) as usize);
    }
    for _ in business..size.customers {
        counts.push(1 + (19.0 * rng.unit().powf(1.6)) as usize);
    }
    let mut total: usize = counts.iter().sum();
    while total < size.shipments {
        let i = business + rng.below(size.customers - business);
        if counts[i] < 20 {
            counts[i] += 1;
            total += 1;
        }
    }
    while total > size.shipments {
        let i = business + rng.below(size.customers - business);
        if counts[i] > 1 {
            counts[i] -= 1;
            total -= 1;
        }
    }
    let mut owners: Vec<u32> = counts
        .iter()
        .enumerate()
        .flat_map(|(i, &n)| std::iter::repeat_n(i as u32 + 1, n))
        .collect();
    shuffle(&mut owners, rng);
    owners
}

fn shuffle<T>(items: &mut [T], rng: &mut Rng) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Events per shipment: 3–30 (most short), the long tail at `LONG_HISTORY`,
/// adjusted so the total is `size.events`.
fn history_lengths(size: Size, long: &[u32], rng: &mut Rng) -> Vec<usize> {
    let mut lengths: Vec<usize> = (0..size.shipments)
        .map(|_| 3 + (27.0 * rng.unit().powf(2.6)) as usize)
        .collect();
    // At full size ten shipments with 10,000 events; proportionally fewer in
    // a smaller data set, so the rest keep their 3–30.
    let long_length = LONG_HISTORY.min(size.events / (4 * LONG_HISTORIES.max(1)));
    for &i in long {
        lengths[i as usize] = long_length;
    }
    let mut total: usize = lengths.iter().sum();
    while total < size.events {
        let i = rng.below(size.shipments);
        if lengths[i] < 30 {
            lengths[i] += 1;
            total += 1;
        }
    }
    while total > size.events {
        let i = rng.below(size.shipments);
        if (4..=30).contains(&lengths[i]) {
            lengths[i] -= 1;
            total -= 1;
        }
    }
    lengths
}

/// Random walks through the app's transition table.
struct Walker {
    /// `open[k][s]`: from `s`, a walk of `k` more steps can stay in journeys
    /// that have not ended (so a final status can still come after), for k < 4;
    /// longer walks behave like k = 3 (in transit can repeat).
    open: [[bool; STATUSES]; 4],
}

impl Walker {
    fn new() -> Self {
        let mut open = [[false; STATUSES]; 4];
        for s in ShipmentStatus::ALL {
            open[0][index(s)] = !s.is_final();
        }
        for k in 1..4 {
            for s in ShipmentStatus::ALL {
                open[k][index(s)] = !s.is_final()
                    && ShipmentStatus::ALL
                        .into_iter()
                        .any(|to| s.can_transition_to(to) && open[k - 1][index(to)]);
            }
        }
        Self { open }
    }

    fn can_continue(&self, status: ShipmentStatus, steps: usize) -> bool {
        self.open[steps.min(3)][index(status)]
    }

    /// Appends `length` events (fewer if the journey must end early) for one
    /// shipment, ending in a final status if it is old enough to have ended.
    fn walk(
        &self,
        shipment: u32,
        from: &Shipment,
        length: usize,
        now: i64,
        rng: &mut Rng,
        out: &mut Vec<Event>,
    ) {
        let age = now - from.created_at;
        // A journey takes a few hours per step (long histories: their whole
        // age); one that would run past now is cut there, still going.
        let span = if length > 100 {
            age - 3600
        } else {
            ((length - 1) as f64 * (2.0 + 12.0 * rng.unit()) * 3600.0) as i64
        }
        .max(0);
        let ended = length <= 100
            && from.created_at + span < now - 12 * 3600
            && (age > ENDED_AFTER_SECS || rng.unit() < 0.6);
        let gap = span / (length.max(2) as i64 - 1);
        let mut status = ShipmentStatus::Pending;
        let mut at = from.created_at;
        let mut location = from.origin;
        out.push(Event {
            occurred_at: at,
            shipment,
            status,
            location,
        });
        for step in 1..length {
            let remaining = length - 1 - step;
            let last = remaining == 0;
            let candidates: Vec<(ShipmentStatus, f64)> = ShipmentStatus::ALL
                .into_iter()
                .filter(|to| status.can_transition_to(*to))
                .filter_map(|to| {
                    let weight = if last && ended {
                        final_weight(to)
                    } else if to.is_final() {
                        if last {
                            0.5 * final_weight(to)
                        } else {
                            0.0
                        }
                    } else if self.can_continue(to, remaining.saturating_sub(1)) {
                        // One step before the end of a journey that ends: most
                        // parcels are then one step from delivered (or returned).
                        let ending = ended && remaining == 1;
                        let ends_well = to.can_transition_to(ShipmentStatus::Delivered)
                            || to.can_transition_to(ShipmentStatus::Returned);
                        middle_weight(to, remaining, ending) * if ending && !ends_well { 0.05 } else { 1.0 }
                    } else {
                        0.0
                    };
                    (weight > 0.0).then_some((to, weight))
                })
                .collect();
            let Some(next) = pick(&candidates, rng) else { break };
            at += gap + (rng.unit() * 600.0) as i64;
            if at > now {
                break;
            }
            status = next;
            if status == ShipmentStatus::InTransit {
                location = rng.below(LOCATIONS.len()) as u8;
            } else if status == ShipmentStatus::OutForDelivery || status == ShipmentStatus::Delivered {
                location = from.destination;
            }
            out.push(Event {
                occurred_at: at,
                shipment,
                status,
                location,
            });
            if status.is_final() {
                break;
            }
        }
    }
}

fn index(status: ShipmentStatus) -> usize {
    ShipmentStatus::ALL
        .iter()
        .position(|s| *s == status)
        .unwrap_or_default()
}

/// Most journeys go forward; detours are rarer, and in transit repeats while
/// there are many steps left.
fn middle_weight(to: ShipmentStatus, remaining: usize, ending: bool) -> f64 {
    use ShipmentStatus::*;
    match to {
        Pending => 0.1,
        InfoReceived | PickedUp => 3.0,
        InTransit => 6.0,
        OutForDelivery => {
            if remaining <= 3 {
                4.0
            } else {
                0.3
            }
        }
        AttemptFailed => 0.5,
        AvailableForPickup => 0.4,
        Exception => 0.3,
        ReturningToSender => {
            if ending {
                0.3
            } else {
                0.02
            }
        }
        _ => 0.0,
    }
}

fn final_weight(to: ShipmentStatus) -> f64 {
    use ShipmentStatus::*;
    match to {
        Delivered => 90.0,
        Returned => 50.0,
        Cancelled => 2.0,
        Lost => 1.0,
        _ => 0.0,
    }
}

fn pick(candidates: &[(ShipmentStatus, f64)], rng: &mut Rng) -> Option<ShipmentStatus> {
    let total: f64 = candidates.iter().map(|(_, w)| w).sum();
    let mut point = rng.unit() * total;
    for (status, weight) in candidates {
        if point < *weight {
            return Some(*status);
        }
        point -= weight;
    }
    candidates.last().map(|(s, _)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_history_follows_the_transition_table_and_the_shape_holds() {
        let size = Size {
            customers: 1_000,
            shipments: 10_000,
            events: 100_000,
        };
        let now = 1_800_000_000;
        let data = generate(size, now);
        assert_eq!(data.shipments.len(), 10_000);
        let mut last: Vec<Option<ShipmentStatus>> = vec![None; size.shipments];
        for event in &data.events {
            let previous = &mut last[event.shipment as usize];
            match previous {
                None => assert_eq!(event.status, ShipmentStatus::Pending),
                Some(from) => assert!(
                    from.can_transition_to(event.status),
                    "{from:?} -> {:?}",
                    event.status
                ),
            }
            *previous = Some(event.status);
            assert!(event.occurred_at <= now);
        }
        // Within 2 % of the asked-for size (journeys that must end early are shorter).
        assert!(data.events.len() > 98_000, "{} events", data.events.len());
        for status in ShipmentStatus::ALL {
            assert!(last.contains(&Some(status)), "no shipment ends {status:?}");
        }
        assert_eq!(data.watchers.len(), 500);
        assert!(data
            .watchers
            .iter()
            .all(|(s, w)| data.shipments[*s as usize].owner != *w));
    }
}
