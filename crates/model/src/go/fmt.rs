//! Go's `time.Duration` printing and truncation, which end up in kubelet messages (the
//! `Pulled` event), so pullsim's messages match byte for byte.

use std::fmt;
use std::time::Duration;

/// A Go `time.Duration`: a signed count of nanoseconds.
///
/// The kubelet prints pull durations with `%v` (Go's `Duration.String()`), for example in
/// the `Pulled` event (docs/semantics.md §3.2); this type reproduces that text exactly,
/// including the `µs` unit, trailing-zero trimming and the `1h0m0s` form.
/// Source: golang/go `src/time/time.go` (`Duration.String`, `Duration.Truncate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct GoDuration {
    nanos: i64,
}

impl GoDuration {
    /// One nanosecond.
    pub const NANOSECOND: GoDuration = GoDuration { nanos: 1 };
    /// One microsecond.
    pub const MICROSECOND: GoDuration = GoDuration { nanos: 1_000 };
    /// One millisecond, the unit the kubelet truncates pull durations to.
    pub const MILLISECOND: GoDuration = GoDuration { nanos: 1_000_000 };
    /// One second.
    pub const SECOND: GoDuration = GoDuration {
        nanos: 1_000_000_000,
    };
    /// One minute.
    pub const MINUTE: GoDuration = GoDuration {
        nanos: 60 * 1_000_000_000,
    };
    /// One hour.
    pub const HOUR: GoDuration = GoDuration {
        nanos: 3600 * 1_000_000_000,
    };

    /// The duration of `nanos` nanoseconds (negative values are allowed, as in Go).
    pub const fn from_nanos(nanos: i64) -> GoDuration {
        GoDuration { nanos }
    }

    /// Converts a Rust duration, saturating at Go's maximum (about 292 years) because a
    /// Go `Duration` cannot hold more.
    pub fn from_std(duration: Duration) -> GoDuration {
        GoDuration {
            nanos: i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// The signed nanosecond count.
    pub const fn as_nanos(self) -> i64 {
        self.nanos
    }

    /// Go's `Duration.Truncate(m)`: rounds toward zero to a multiple of `m`; a
    /// non-positive `m` leaves the duration unchanged.
    pub fn truncate(self, m: GoDuration) -> GoDuration {
        if m.nanos <= 0 {
            return self;
        }
        // `%` in Rust, as in Go, keeps the sign of the dividend, so this rounds toward zero.
        GoDuration {
            nanos: self.nanos - self.nanos % m.nanos,
        }
    }
}

impl From<Duration> for GoDuration {
    fn from(duration: Duration) -> GoDuration {
        GoDuration::from_std(duration)
    }
}

/// Go's `Duration.String()`: `0s`, `1ns`, `1.1µs`, `2.2ms`, `3.3s`, `4m5.001s`,
/// `1h0m0s`; sub-second values use the largest unit below a second that keeps the
/// integer part non-zero, and fractions drop their trailing zeros.
impl fmt::Display for GoDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let negative = self.nanos < 0;
        let magnitude = self.nanos.unsigned_abs();
        let mut text = String::new();
        if magnitude == 0 {
            text.push_str("0s");
        } else if magnitude < 1_000_000_000 {
            let (unit, precision) = if magnitude < 1_000 {
                ("ns", 0)
            } else if magnitude < 1_000_000 {
                // Go writes U+00B5 MICRO SIGN here, not U+03BC GREEK SMALL LETTER MU.
                ("\u{b5}s", 3)
            } else {
                ("ms", 6)
            };
            text.push_str(&with_fraction(magnitude, precision));
            text.push_str(unit);
        } else {
            let seconds_total = magnitude / 1_000_000_000;
            let fraction = magnitude % 1_000_000_000;
            let (hours, minutes, seconds) = (
                seconds_total / 3600,
                (seconds_total / 60) % 60,
                seconds_total % 60,
            );
            if hours > 0 {
                text.push_str(&format!("{hours}h"));
            }
            if hours > 0 || minutes > 0 {
                text.push_str(&format!("{minutes}m"));
            }
            text.push_str(&with_fraction(seconds * 1_000_000_000 + fraction, 9));
            text.push('s');
        }
        if negative {
            f.write_str("-")?;
        }
        f.write_str(&text)
    }
}

/// `value` scaled down by `10^precision`, printed with the fraction's trailing zeros (and
/// then the decimal point) removed, as Go's `fmtFrac` does.
fn with_fraction(value: u64, precision: u32) -> String {
    let scale = 10u64.pow(precision);
    let (whole, fraction) = (value / scale, value % scale);
    let digits = format!("{fraction:0width$}", width = precision as usize);
    let digits = digits.trim_end_matches('0');
    if digits.is_empty() {
        whole.to_string()
    } else {
        format!("{whole}.{digits}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NS: i64 = 1;
    const US: i64 = 1_000;
    const MS: i64 = 1_000_000;
    const S: i64 = 1_000_000_000;
    const MIN: i64 = 60 * S;
    const H: i64 = 60 * MIN;

    fn check_string(rows: &[(&str, i64)]) {
        for &(want, nanos) in rows {
            let got = GoDuration::from_nanos(nanos).to_string();
            assert_eq!(got, want, "Duration({nanos}).String()");
            // Go's test also checks that the negation prints with a leading minus.
            if nanos > 0 {
                let negated = GoDuration::from_nanos(-nanos).to_string();
                assert_eq!(negated, format!("-{want}"), "Duration(-{nanos}).String()");
            }
        }
    }

    #[test]
    fn string_matches_go_duration_tests() {
        // golang/go src/time/time_test.go `durationTests`, row for row.
        check_string(&[
            ("0s", 0),
            ("1ns", NS),
            ("1.1µs", 1100 * NS),
            ("2.2ms", 2200 * US),
            ("3.3s", 3300 * MS),
            ("4m5s", 4 * MIN + 5 * S),
            ("4m5.001s", 4 * MIN + 5001 * MS),
            ("5h6m7.001s", 5 * H + 6 * MIN + 7001 * MS),
            ("8m0.000000001s", 8 * MIN + NS),
            ("2562047h47m16.854775807s", i64::MAX),
            ("-2562047h47m16.854775808s", i64::MIN),
        ]);
    }

    #[test]
    fn string_in_kubelet_shapes() {
        // The forms that appear in Pulled events (docs/semantics.md §3.2) and a few boundaries.
        check_string(&[
            ("1.5s", 1500 * MS),
            ("523ms", 523 * MS),
            ("1m2.003s", MIN + 2003 * MS),
            ("1h0m0s", H),
            ("1.234µs", 1234 * NS),
            ("5ns", 5 * NS),
            ("999ns", 999 * NS),
            ("1µs", US),
            ("999.999µs", 999_999 * NS),
            ("1ms", MS),
            ("999.999999ms", S - 1),
            ("1s", S),
            ("59.999s", 59_999 * MS),
            ("1m0s", MIN),
            ("59m59.999s", H - MS),
            ("26h0m0.1s", 26 * H + 100 * MS),
        ]);
    }

    fn check_truncate(rows: &[(i64, i64, i64)]) {
        for &(d, m, want) in rows {
            let got = GoDuration::from_nanos(d).truncate(GoDuration::from_nanos(m));
            assert_eq!(got.as_nanos(), want, "Duration({d}).Truncate({m})");
        }
    }

    #[test]
    fn truncate_matches_go_duration_truncate_tests() {
        // golang/go src/time/time_test.go `durationTruncateTests`, row for row.
        check_truncate(&[
            (0, S, 0),
            (MIN, -7 * S, MIN),
            (MIN, 0, MIN),
            (MIN, 1, MIN),
            (MIN + 10 * S, 10 * S, MIN + 10 * S),
            (2 * MIN + 10 * S, MIN, 2 * MIN),
            (10 * MIN + 10 * S, 3 * MIN, 9 * MIN),
            (MIN + 10 * S, MIN + 10 * S + 1, 0),
            (MIN + 10 * S, H, 0),
            (-MIN, S, -MIN),
            (-10 * MIN, 3 * MIN, -9 * MIN),
            (-10 * MIN, H, 0),
            // The kubelet's use: pull durations truncated to whole milliseconds.
            (1_234_567_891, MS, 1_234 * MS),
        ]);
    }

    #[test]
    fn from_std_saturates_at_go_maximum() {
        assert_eq!(
            GoDuration::from_std(Duration::from_millis(1500)).as_nanos(),
            1500 * MS
        );
        assert_eq!(GoDuration::from_std(Duration::MAX).as_nanos(), i64::MAX);
    }

    proptest! {
        #[test]
        fn truncated_to_milliseconds_prints_at_most_three_decimals(nanos in 0i64..i64::MAX) {
            let text = GoDuration::from_nanos(nanos).truncate(GoDuration::MILLISECOND).to_string();
            if let Some((_, fraction)) = text.split_once('.') {
                let digits = fraction.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                prop_assert!(digits.len() <= 3, "{text}");
            }
        }
    }
}
