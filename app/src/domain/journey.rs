//! Where a parcel is on its way, as the step tracker at the top of the
//! shipment page shows it: five steps along the main path, and, when the
//! journey left that path (an exception, a failed attempt, a return), a side
//! note on the step where it happened.

use super::ShipmentStatus::{self, *};

/// The main path, in order.
pub const STEPS: [&str; 5] = [
    "Registered",
    "Picked up",
    "In transit",
    "Out for delivery",
    "Delivered",
];

/// The step a status on the main path stands at; `None` for side states.
fn step_of(status: ShipmentStatus) -> Option<usize> {
    match status {
        Pending | InfoReceived => Some(0),
        PickedUp => Some(1),
        InTransit => Some(2),
        OutForDelivery => Some(3),
        Delivered => Some(4),
        AttemptFailed | AvailableForPickup => Some(3),
        Exception | ReturningToSender | Returned | Lost | Cancelled => None,
    }
}

/// How a side note reads: a problem, or only information.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Warning,
    Problem,
}

/// The tracker for one shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Journey {
    /// The last step reached (index into [`STEPS`]).
    pub reached: usize,
    /// Off the main path, or held up on it: what and how it reads.
    pub side: Option<(ShipmentStatus, Tone)>,
}

impl Journey {
    /// `status` is the current one; `earlier` are the shipment's earlier
    /// statuses, newest first (what the timeline shows), used to place a side
    /// state on the step where it happened.
    pub fn of(status: ShipmentStatus, earlier: impl IntoIterator<Item = ShipmentStatus>) -> Self {
        let side = match status {
            AttemptFailed | Exception | Lost => Some((status, Tone::Problem)),
            ReturningToSender | Returned | Cancelled => Some((status, Tone::Warning)),
            AvailableForPickup => Some((status, Tone::Info)),
            _ => None,
        };
        let reached = step_of(status)
            .or_else(|| earlier.into_iter().find_map(step_of))
            .unwrap_or(0);
        Self { reached, side }
    }

    /// Whether step `index` is done, current or still ahead.
    pub fn state_of(&self, index: usize) -> StepState {
        use std::cmp::Ordering::*;
        match index.cmp(&self.reached) {
            Less => StepState::Done,
            Equal if self.reached == STEPS.len() - 1 => StepState::Done,
            Equal => StepState::Current,
            Greater => StepState::Ahead,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Done,
    Current,
    Ahead,
}

impl StepState {
    pub fn as_str(self) -> &'static str {
        match self {
            StepState::Done => "done",
            StepState::Current => "current",
            StepState::Ahead => "ahead",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_main_path_moves_along_the_steps() {
        let at = |s| Journey::of(s, []).reached;
        assert_eq!(
            [
                Pending,
                InfoReceived,
                PickedUp,
                InTransit,
                OutForDelivery,
                Delivered
            ]
            .map(at),
            [0, 0, 1, 2, 3, 4]
        );
        let delivered = Journey::of(Delivered, []);
        assert!(
            (0..5).all(|i| delivered.state_of(i) == StepState::Done),
            "all done once delivered"
        );
        let transit = Journey::of(InTransit, []);
        assert_eq!(
            (0..5).map(|i| transit.state_of(i)).collect::<Vec<_>>(),
            [
                StepState::Done,
                StepState::Done,
                StepState::Current,
                StepState::Ahead,
                StepState::Ahead
            ]
        );
        assert_eq!(transit.side, None);
    }

    #[test]
    fn a_side_state_sits_on_the_step_where_it_happened() {
        let exception = Journey::of(Exception, [InTransit, PickedUp, Pending]);
        assert_eq!(
            (exception.reached, exception.side),
            (2, Some((Exception, Tone::Problem)))
        );
        let returning = Journey::of(ReturningToSender, [Exception, OutForDelivery, InTransit]);
        assert_eq!(returning.reached, 3, "the exception is skipped to find the step");
        assert_eq!(
            Journey::of(AttemptFailed, []).side,
            Some((AttemptFailed, Tone::Problem))
        );
        assert_eq!(Journey::of(AttemptFailed, []).reached, 3);
        assert_eq!(
            Journey::of(Cancelled, []).reached,
            0,
            "nothing known: the first step"
        );
    }
}
