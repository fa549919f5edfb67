//! Virtual time: the core never reads a clock, it is handed a `SimTime`.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// An instant on a simulation's virtual clock, counted in nanoseconds since the
/// scenario's epoch. Every rule in this crate that depends on "now" takes one of these
/// as an argument, so the same inputs always give the same answer.
/// Serialized as the integer count of nanoseconds, so JSON output is exact.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct SimTime {
    since_epoch_ns: u64,
}

impl SimTime {
    /// The scenario's epoch.
    pub const EPOCH: SimTime = SimTime { since_epoch_ns: 0 };

    /// The instant `since_epoch` after the epoch (saturating at about 584 years).
    pub fn from_duration(since_epoch: Duration) -> SimTime {
        SimTime {
            since_epoch_ns: u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX),
        }
    }

    /// The instant `secs` seconds after the epoch.
    pub fn from_secs(secs: u64) -> SimTime {
        SimTime::from_duration(Duration::from_secs(secs))
    }

    /// The instant `millis` milliseconds after the epoch.
    pub fn from_millis(millis: u64) -> SimTime {
        SimTime::from_duration(Duration::from_millis(millis))
    }

    /// How long after the epoch this instant is.
    pub fn since_epoch(self) -> Duration {
        Duration::from_nanos(self.since_epoch_ns)
    }

    /// `self - earlier`, or zero when `earlier` is later than `self`.
    pub fn saturating_since(self, earlier: SimTime) -> Duration {
        Duration::from_nanos(self.since_epoch_ns.saturating_sub(earlier.since_epoch_ns))
    }
}

impl Add<Duration> for SimTime {
    type Output = SimTime;
    fn add(self, rhs: Duration) -> SimTime {
        let rhs_ns = u64::try_from(rhs.as_nanos()).unwrap_or(u64::MAX);
        SimTime {
            since_epoch_ns: self.since_epoch_ns.saturating_add(rhs_ns),
        }
    }
}

impl Sub<SimTime> for SimTime {
    type Output = Duration;
    /// The signed difference clamped at zero; use [`SimTime::saturating_since`] to say so.
    fn sub(self, rhs: SimTime) -> Duration {
        self.saturating_since(rhs)
    }
}

/// Prints as `HH:MM:SS` with milliseconds when they are not zero (`00:01:05.250`),
/// the form transcripts use.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total_ms = self.since_epoch_ns / 1_000_000;
        let (hours, rem_ms) = (total_ms / 3_600_000, total_ms % 3_600_000);
        let (minutes, rem_ms) = (rem_ms / 60_000, rem_ms % 60_000);
        let (seconds, millis) = (rem_ms / 1000, rem_ms % 1000);
        write!(f, "{hours:02}:{minutes:02}:{seconds:02}")?;
        if millis != 0 {
            write!(f, ".{millis:03}")?;
        }
        Ok(())
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for seconds since the Unix epoch (proleptic Gregorian, UTC): Go's
/// `time.Format(time.RFC3339)` of a UTC time in whole seconds. The registry's token
/// `issued_at` and a rollout restart's `restartedAt` annotation print instants this way.
pub fn rfc3339(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let rem = unix_seconds % 86_400;
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_747_200 + 3661), "2026-11-27T03:41:01Z");
    }

    #[test]
    fn display_is_clock_like() {
        assert_eq!(SimTime::EPOCH.to_string(), "00:00:00");
        assert_eq!(SimTime::from_millis(65_250).to_string(), "00:01:05.250");
        assert_eq!(SimTime::from_secs(3 * 3600 + 7).to_string(), "03:00:07");
    }

    #[test]
    fn arithmetic_saturates() {
        let t = SimTime::from_secs(10);
        assert_eq!(t + Duration::from_secs(5), SimTime::from_secs(15));
        assert_eq!(SimTime::from_secs(3) - t, Duration::ZERO);
        assert_eq!(t - SimTime::from_secs(3), Duration::from_secs(7));
        assert_eq!(
            SimTime::from_duration(Duration::MAX).since_epoch(),
            Duration::from_nanos(u64::MAX)
        );
    }
}
