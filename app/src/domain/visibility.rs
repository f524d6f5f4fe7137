//! Who may see a shipment, how much of it they are shown, and which
//! shipments need attention. Visibility and attention are also stated in SQL
//! (`shipment_visible_to`, `shipment_needs_attention`, used to filter lists);
//! an integration test runs both versions over every case and asserts they
//! agree.

use chrono::{DateTime, Duration, Utc};

use super::{EventKind, Problem, Role, ShipmentEvent, ShipmentStatus};

/// A shipment with no update for this long needs attention (unless its journey
/// has ended).
pub const STALE_AFTER_HOURS: i64 = 48;

/// Staff see every shipment; a customer sees the shipments they own and those
/// they watch. Routing of live events asks this with ids already in memory.
pub fn may_see(viewer_id: i64, role: Role, owner_id: i64, watchers: &[i64]) -> bool {
    role.is_staff() || owner_id == viewer_id || watchers.contains(&viewer_id)
}

/// How much of a shipment someone who may see it is shown — the one rule of
/// least privilege, applied to pages, the API, the stream and replay alike.
///
/// * Staff see everything, with the email of whoever did what.
/// * The owner sees their shipment, their delivery instructions and its
///   postcode (to share it), and who did what only as a role ("Depot
///   operator"), never an email.
/// * A watcher sees status, time, location and operators' notes: not the
///   delivery instructions, not the postcode, not what was written in a
///   problem report, and no emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Staff,
    Owner,
    Watcher,
}

impl Audience {
    pub const ALL: [Audience; 3] = [Audience::Staff, Audience::Owner, Audience::Watcher];

    /// The audience of a viewer who may see a shipment owned by `owner_id`.
    pub fn of(viewer_id: i64, role: Role, owner_id: i64) -> Self {
        Self::new(role.is_staff(), viewer_id == owner_id)
    }

    /// The audience of a viewer who may see the shipment: staff, its owner,
    /// or (otherwise) one of its watchers.
    pub fn new(is_staff: bool, owns: bool) -> Self {
        match (is_staff, owns) {
            (true, _) => Audience::Staff,
            (false, true) => Audience::Owner,
            (false, false) => Audience::Watcher,
        }
    }

    /// Open problems are between the owner and the depot.
    pub fn sees_problems(self) -> bool {
        self != Audience::Watcher
    }

    pub fn sees_instructions(self) -> bool {
        self != Audience::Watcher
    }

    pub fn sees_postcode(self) -> bool {
        self != Audience::Watcher
    }

    /// Whoever did something (`email` of an account with `role`; `None`: the
    /// system), as this audience is shown it.
    pub fn actor(self, email: &str, role: Option<Role>) -> String {
        match (self, role) {
            (_, None) => "Shipwatch".to_owned(),
            (Audience::Staff, Some(_)) => email.to_owned(),
            (_, Some(role)) if role.is_staff() => "Depot operator".to_owned(),
            (_, Some(_)) => "Customer".to_owned(),
        }
    }

    /// A timeline entry as this audience is shown it (`event.actor` holds
    /// the actor's email, or "system").
    pub fn event(self, mut event: ShipmentEvent, actor_role: Option<Role>) -> ShipmentEvent {
        event.actor = self.actor(&event.actor, actor_role);
        let private_note = matches!(
            event.kind,
            EventKind::InstructionsSet | EventKind::ProblemReported | EventKind::ProblemResolved
        );
        if self == Audience::Watcher && private_note {
            event.note = None;
        }
        event
    }

    /// An open problem as this audience is shown it (`problem.reported_by`
    /// holds the reporter's email).
    pub fn problem(self, mut problem: Problem, reporter_role: Role) -> Problem {
        problem.reported_by = self.actor(&problem.reported_by, Some(reporter_role));
        problem
    }
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
    fn only_staff_see_emails_and_watchers_see_no_private_notes() {
        let event = |kind| ShipmentEvent {
            id: 1,
            tracking_number: crate::domain::TrackingNumber::parse("SW10000001").expect("number"),
            kind,
            status: None,
            location: Some("Leeds depot".into()),
            note: Some("leave it with the neighbour at no. 5".into()),
            occurred_at: Utc::now(),
            actor: "someone@example.com".into(),
        };
        let operator = Some(Role::Operator);
        let staff = Audience::Staff.event(event(EventKind::InstructionsSet), Some(Role::Customer));
        assert_eq!(staff.actor, "someone@example.com");
        let owner = Audience::Owner.event(event(EventKind::InstructionsSet), Some(Role::Customer));
        assert_eq!((owner.actor.as_str(), owner.note.is_some()), ("Customer", true));
        for kind in [
            EventKind::InstructionsSet,
            EventKind::ProblemReported,
            EventKind::ProblemResolved,
        ] {
            let watcher = Audience::Watcher.event(event(kind), operator);
            assert_eq!((watcher.actor.as_str(), watcher.note), ("Depot operator", None));
        }
        let status = Audience::Watcher.event(event(EventKind::Status), operator);
        assert!(status.note.is_some(), "operators' status notes are public");
        assert_eq!(
            Audience::Watcher.event(event(EventKind::Status), None).actor,
            "Shipwatch"
        );
        assert_eq!(Audience::of(7, Role::Customer, 7), Audience::Owner);
        assert_eq!(Audience::of(7, Role::Customer, 8), Audience::Watcher);
        assert_eq!(Audience::of(7, Role::Admin, 8), Audience::Staff);
    }

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
