//! The limits every run is held to.

use std::time::Duration;

/// Limits a run is held to; hitting one is an error naming the seed, so the run can be
/// replayed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// No event after this much virtual time is processed.
    pub time_max: Duration,
    /// No more than this many events are processed.
    pub events_max: u64,
}

impl Default for Limits {
    /// 24 virtual hours and 100 million events.
    fn default() -> Self {
        Limits {
            time_max: Duration::from_secs(24 * 3600),
            events_max: 100_000_000,
        }
    }
}
