//! Who may see a shipment, and which shipments need attention: the two rules
//! that the database also states in SQL (`shipment_visible_to`,
//! `shipment_needs_attention`, used to filter lists). An integration test runs
//! both versions over every case and asserts they agree.

use chrono::{DateTime, Duration, Utc};

use super::{Role, ShipmentStatus};

/// A shipment with no update for this long needs attention (unless its journey
/// has ended).
pub const STALE_AFTER_HOURS: i64 = 48;

/// Staff see every shipment; a customer sees the shipments they own and those
/// they watch. Routing of live events asks this with ids already in memory.
pub fn may_see(viewer_id: i64, role: Role, owner_id: i64, watchers: &[i64]) -> bool {
    role.is_staff() || owner_id == viewer_id || watchers.contains(&viewer_id)
}

/// Exception, failed attempt, or no update for 48 hours on a journey that has
/// not ended.
pub fn needs_attention(status: ShipmentStatus, updated_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status.needs_attention() || (!status.is_final() && now - updated_at > Duration::hours(STALE_AFTER_HOURS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_means_trouble_or_silence_on_an_open_journey() {
        let now = Utc::now();
        let old = now - Duration::hours(49);
        assert!(needs_attention(ShipmentStatus::Exception, now, now));
        assert!(needs_attention(ShipmentStatus::AttemptFailed, now, now));
        assert!(needs_attention(ShipmentStatus::InTransit, old, now));
        assert!(!needs_attention(ShipmentStatus::InTransit, now, now));
        assert!(!needs_attention(ShipmentStatus::Delivered, old, now));
    }

    #[test]
    fn customers_see_their_own_and_watched_shipments_staff_see_all() {
        assert!(may_see(1, Role::Customer, 1, &[]));
        assert!(may_see(2, Role::Customer, 1, &[2]));
        assert!(!may_see(3, Role::Customer, 1, &[2]));
        assert!(may_see(3, Role::Operator, 1, &[]));
        assert!(may_see(3, Role::Admin, 1, &[]));
    }
}
