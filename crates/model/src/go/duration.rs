//! Go's `time.ParseDuration`, signed, with its error texts, because the kubelet reads
//! `metav1.Duration` fields (`defaultCacheDuration`, a plugin's `cacheDuration`) with it and
//! prints its errors.
//!
//! Source: golang/go `src/time/format.go` (`ParseDuration`, `leadingInt`, `leadingFraction`,
//! `unitMap`). [`crate::units::parse_duration`] is the scenario format's non-negative reader
//! with pullsim's own messages; this one is Go's.

use thiserror::Error;

use super::fmt::GoDuration;
use super::text::quote;

/// Why Go refused a duration; the texts are Go's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GoDurationError {
    /// Empty, no digits, or out of range.
    #[error("time: invalid duration {}", quote(.0))]
    Invalid(String),
    /// A number without a unit (`5`).
    #[error("time: missing unit in duration {}", quote(.0))]
    MissingUnit(String),
    /// A unit Go does not know (`5x`).
    #[error("time: unknown unit {} in duration {}", quote(.unit), quote(.text))]
    UnknownUnit {
        /// The unit as written.
        unit: String,
        /// The whole duration text.
        text: String,
    },
}

fn unit_nanos(unit: &str) -> Option<u64> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

/// `time.ParseDuration(text)`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, `0` alone without a unit.
pub fn parse_go_duration(text: &str) -> Result<GoDuration, GoDurationError> {
    let invalid = || GoDurationError::Invalid(text.to_owned());
    let mut rest = text;
    let mut negative = false;
    if let Some(first) = rest.chars().next()
        && (first == '-' || first == '+')
    {
        negative = first == '-';
        rest = &rest[1..];
    }
    if rest == "0" {
        return Ok(GoDuration::from_nanos(0));
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while !rest.is_empty() {
        // The next character must be [0-9.].
        if !rest.starts_with(|c: char| c == '.' || c.is_ascii_digit()) {
            return Err(invalid());
        }
        let whole_end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (whole_text, after) = rest.split_at(whole_end);
        let whole: u64 = if whole_text.is_empty() {
            0
        } else {
            whole_text.parse().map_err(|_| invalid())?
        };
        let (fraction_text, after) = match after.strip_prefix('.') {
            Some(after) => {
                let end = after
                    .find(|c: char| !c.is_ascii_digit())
                    .unwrap_or(after.len());
                after.split_at(end)
            }
            None => ("", after),
        };
        if whole_text.is_empty() && fraction_text.is_empty() {
            // No digits at all (`.s`).
            return Err(invalid());
        }
        let unit_end = after
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        if unit.is_empty() {
            return Err(GoDurationError::MissingUnit(text.to_owned()));
        }
        let Some(scale) = unit_nanos(unit) else {
            return Err(GoDurationError::UnknownUnit {
                unit: unit.to_owned(),
                text: text.to_owned(),
            });
        };
        if whole > (1u64 << 63) / scale {
            return Err(invalid());
        }
        let mut value = whole * scale;
        if !fraction_text.is_empty() {
            // Go keeps the fraction as an integer and its scale, dropping digits past what an
            // int64 holds, then adds `int64(float64(f) * (float64(unit) / scale))`.
            let (mut f, mut f_scale) = (0u64, 1f64);
            let mut overflow = false;
            for digit in fraction_text.bytes() {
                if overflow {
                    continue;
                }
                if f > (i64::MAX as u64) / 10 {
                    overflow = true;
                    continue;
                }
                let next = f * 10 + u64::from(digit - b'0');
                if next > 1u64 << 63 {
                    overflow = true;
                    continue;
                }
                f = next;
                f_scale *= 10.0;
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "Go converts float64 to int64 the same way"
            )]
            let extra = (f as f64 * (scale as f64 / f_scale)) as u64;
            value = value.checked_add(extra).ok_or_else(invalid)?;
            if value > 1u64 << 63 {
                return Err(invalid());
            }
        }
        total = total.checked_add(value).ok_or_else(invalid)?;
        if total > 1u64 << 63 {
            return Err(invalid());
        }
        rest = next;
    }
    if negative {
        Ok(GoDuration::from_nanos(0i64.wrapping_sub_unsigned(total)))
    } else {
        i64::try_from(total)
            .map(GoDuration::from_nanos)
            .map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(text: &str) -> Result<i64, String> {
        parse_go_duration(text)
            .map(GoDuration::as_nanos)
            .map_err(|e| e.to_string())
    }

    /// Rows from golang/go `time_test.go` (`parseDurationTests`, `parseDurationErrorTests`).
    #[test]
    fn go_parse_duration_table() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("5s", 5_000_000_000),
            ("30s", 30_000_000_000),
            ("1478s", 1_478_000_000_000),
            ("-5s", -5_000_000_000),
            ("+5s", 5_000_000_000),
            ("-0", 0),
            ("+0", 0),
            ("5.0s", 5_000_000_000),
            ("5.6s", 5_600_000_000),
            ("5.s", 5_000_000_000),
            (".5s", 500_000_000),
            ("1.0s", 1_000_000_000),
            ("1.004s", 1_004_000_000),
            ("100.00100s", 100_001_000_000),
            ("10ns", 10),
            ("11us", 11_000),
            ("12\u{b5}s", 12_000),
            ("12\u{3bc}s", 12_000),
            ("13ms", 13_000_000),
            ("14s", 14_000_000_000),
            ("15m", 900_000_000_000),
            ("16h", 57_600_000_000_000),
            ("3h30m", 12_600_000_000_000),
            ("10.5s4m", 250_500_000_000),
            ("-2m3.4s", -123_400_000_000),
            ("1h2m3s4ms5us6ns", 3_723_004_005_006),
            ("39h9m14.425s", 140_954_425_000_000),
            ("52763797000ns", 52_763_797_000),
            ("0.3333333333333333333h", 1_200_000_000_000),
            ("9007199254740993ns", 9_007_199_254_740_993),
            ("9223372036854775807ns", i64::MAX),
            ("-9223372036854775808ns", i64::MIN),
            ("12h", 43_200_000_000_000),
            ("1m30s", 90_000_000_000),
        ];
        for (text, want) in ok {
            assert_eq!(ns(text), Ok(*want), "{text}");
        }
        let bad: &[(&str, &str)] = &[
            ("", r#"time: invalid duration """#),
            ("3", r#"time: missing unit in duration "3""#),
            ("-", r#"time: invalid duration "-""#),
            ("s", r#"time: invalid duration "s""#),
            (".", r#"time: invalid duration ".""#),
            ("-.", r#"time: invalid duration "-.""#),
            (".s", r#"time: invalid duration ".s""#),
            ("+.s", r#"time: invalid duration "+.s""#),
            ("1d", r#"time: unknown unit "d" in duration "1d""#),
            ("3000000h", r#"time: invalid duration "3000000h""#),
            (
                "9223372036854775808ns",
                r#"time: invalid duration "9223372036854775808ns""#,
            ),
            ("10m 5s", r#"time: unknown unit "m " in duration "10m 5s""#),
        ];
        for (text, want) in bad {
            assert_eq!(ns(text), Err((*want).to_owned()), "{text:?}");
        }
    }
}
