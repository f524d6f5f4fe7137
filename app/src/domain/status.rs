//! The shipment lifecycle: every status a shipment can be in and the legal moves
//! between them. Server and browser share this table, so the operator form only
//! offers what the server will accept.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a shipment is in its journey.
///
/// The database has a `shipment_status` enum with the same labels; the write
/// path re-checks the transition with a compare-and-set (see `ssr::db::status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "shipment_status", rename_all = "snake_case")
)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ShipmentStatus {
    Pending,
    InfoReceived,
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    AttemptFailed,
    AvailableForPickup,
    Exception,
    ReturningToSender,
    Returned,
    Lost,
    Cancelled,
}

use ShipmentStatus::*;

impl ShipmentStatus {
    /// Every status, in lifecycle order (main path first, then side states).
    pub const ALL: [ShipmentStatus; 13] = [
        Pending,
        InfoReceived,
        PickedUp,
        InTransit,
        OutForDelivery,
        Delivered,
        AttemptFailed,
        AvailableForPickup,
        Exception,
        ReturningToSender,
        Returned,
        Lost,
        Cancelled,
    ];

    /// The label used in URLs, JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Pending => "pending",
            InfoReceived => "info_received",
            PickedUp => "picked_up",
            InTransit => "in_transit",
            OutForDelivery => "out_for_delivery",
            Delivered => "delivered",
            AttemptFailed => "attempt_failed",
            AvailableForPickup => "available_for_pickup",
            Exception => "exception",
            ReturningToSender => "returning_to_sender",
            Returned => "returned",
            Lost => "lost",
            Cancelled => "cancelled",
        }
    }

    /// The words a person reads on a badge.
    pub fn label(self) -> &'static str {
        match self {
            Pending => "Pending",
            InfoReceived => "Info received",
            PickedUp => "Picked up",
            InTransit => "In transit",
            OutForDelivery => "Out for delivery",
            Delivered => "Delivered",
            AttemptFailed => "Delivery attempt failed",
            AvailableForPickup => "Available for pickup",
            Exception => "Exception",
            ReturningToSender => "Returning to sender",
            Returned => "Returned",
            Lost => "Lost",
            Cancelled => "Cancelled",
        }
    }

    /// Final statuses end the journey; only an admin may reopen one, with a reason.
    pub fn is_final(self) -> bool {
        matches!(self, Delivered | Returned | Lost | Cancelled)
    }

    /// Statuses that ask a person to look at the shipment.
    pub fn needs_attention(self) -> bool {
        matches!(self, Exception | AttemptFailed)
    }

    /// Whether an ordinary status event may move a shipment from `self` to `to`.
    ///
    /// This is the transition table of the product specification, written once.
    /// Reopening a final status is not an ordinary event and is refused here.
    pub fn can_transition_to(self, to: ShipmentStatus) -> bool {
        match self {
            Pending => matches!(to, InfoReceived | PickedUp | InTransit | Cancelled),
            InfoReceived => matches!(to, PickedUp | InTransit | Exception | Cancelled),
            PickedUp | InTransit => matches!(
                to,
                InTransit | OutForDelivery | AvailableForPickup | Exception | ReturningToSender | Delivered
            ),
            OutForDelivery => matches!(to, Delivered | AttemptFailed | AvailableForPickup | Exception),
            AttemptFailed => matches!(
                to,
                OutForDelivery | AvailableForPickup | ReturningToSender | Delivered
            ),
            AvailableForPickup => matches!(to, Delivered | ReturningToSender),
            Exception => !to.is_final() || to == Lost,
            ReturningToSender => to == Returned,
            Delivered | Returned | Lost | Cancelled => false,
        }
    }

    /// Whether an admin may reopen a shipment from `self` to `to`: only a
    /// final status can be reopened, and only to one where the journey goes on.
    pub fn can_reopen_to(self, to: ShipmentStatus) -> bool {
        self.is_final() && !to.is_final()
    }

    /// The statuses an operator may choose next, in lifecycle order.
    pub fn next_statuses(self) -> Vec<ShipmentStatus> {
        Self::ALL
            .into_iter()
            .filter(|to| self.can_transition_to(*to))
            .collect()
    }

    /// Checks a move, returning an error that names both states when it is illegal.
    pub fn transition_to(self, to: ShipmentStatus) -> Result<ShipmentStatus, IllegalTransition> {
        if self.can_transition_to(to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

impl fmt::Display for ShipmentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status label that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a shipment status; expected one of: pending, info_received, picked_up, in_transit, out_for_delivery, delivered, attempt_failed, available_for_pickup, exception, returning_to_sender, returned, lost, cancelled")]
pub struct UnknownStatus(pub String);

impl FromStr for ShipmentStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == s.trim())
            .ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

/// A move the transition table does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{} cannot change from `{from}` to `{to}`", if from.is_final() { "a final shipment" } else { "a shipment" })]
pub struct IllegalTransition {
    pub from: ShipmentStatus,
    pub to: ShipmentStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The specification's table, spelled out pair by pair as data so the test does
    /// not share code with the implementation.
    const ALLOWED: &[(&str, &[&str])] = &[
        (
            "pending",
            &["info_received", "picked_up", "in_transit", "cancelled"],
        ),
        (
            "info_received",
            &["picked_up", "in_transit", "exception", "cancelled"],
        ),
        (
            "picked_up",
            &[
                "in_transit",
                "out_for_delivery",
                "available_for_pickup",
                "exception",
                "returning_to_sender",
                "delivered",
            ],
        ),
        (
            "in_transit",
            &[
                "in_transit",
                "out_for_delivery",
                "available_for_pickup",
                "exception",
                "returning_to_sender",
                "delivered",
            ],
        ),
        (
            "out_for_delivery",
            &["delivered", "attempt_failed", "available_for_pickup", "exception"],
        ),
        (
            "attempt_failed",
            &[
                "out_for_delivery",
                "available_for_pickup",
                "returning_to_sender",
                "delivered",
            ],
        ),
        ("available_for_pickup", &["delivered", "returning_to_sender"]),
        (
            "exception",
            &[
                "pending",
                "info_received",
                "picked_up",
                "in_transit",
                "out_for_delivery",
                "attempt_failed",
                "available_for_pickup",
                "exception",
                "returning_to_sender",
                "lost",
            ],
        ),
        ("returning_to_sender", &["returned"]),
        ("delivered", &[]),
        ("returned", &[]),
        ("lost", &[]),
        ("cancelled", &[]),
    ];

    #[test]
    fn every_from_to_pair_matches_the_specification() {
        assert_eq!(ALLOWED.len(), ShipmentStatus::ALL.len());
        let mut checked = 0;
        for (from, allowed) in ALLOWED {
            let from: ShipmentStatus = from.parse().expect("status in table");
            for to in ShipmentStatus::ALL {
                let expected = allowed.contains(&to.as_str());
                assert_eq!(
                    from.can_transition_to(to),
                    expected,
                    "{from} -> {to} should be {}",
                    if expected { "allowed" } else { "refused" }
                );
                checked += 1;
            }
        }
        assert_eq!(checked, 13 * 13);
    }

    #[test]
    fn final_statuses_have_no_next_status() {
        for status in ShipmentStatus::ALL {
            assert_eq!(status.is_final(), status.next_statuses().is_empty(), "{status}");
        }
    }

    #[test]
    fn illegal_transition_message_names_both_states() {
        let err = ShipmentStatus::Delivered
            .transition_to(ShipmentStatus::InTransit)
            .expect_err("delivered is final");
        let message = err.to_string();
        assert!(
            message.contains("delivered") && message.contains("in_transit"),
            "{message}"
        );
    }

    #[test]
    fn labels_round_trip_through_parse_and_serde() {
        for status in ShipmentStatus::ALL {
            assert_eq!(status.as_str().parse::<ShipmentStatus>(), Ok(status));
            let json = serde_json::to_string(&status).expect("serialize");
            assert_eq!(json, format!("\"{}\"", status.as_str()));
            assert_eq!(serde_json::from_str::<ShipmentStatus>(&json).ok(), Some(status));
        }
        assert!("shipped".parse::<ShipmentStatus>().is_err());
    }
}
