//! Sizes, durations and link speeds as people write them in catalogs and scenario files
//! (`20MiB`, `500B`, `1m30s`, `100Mbit/s`), parsed exactly and printed back in the same
//! form, so a file that pullsim writes reads the same as one a person wrote.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::go::fmt::GoDuration;

/// Why a size or duration text was refused. Messages quote the text as Go's `%q` would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// Not a number followed by a known unit.
    #[error("invalid size {0}: want a number and a unit such as 500B, 4KiB, 20MiB or 1.5GiB")]
    Size(String),
    /// A fraction that does not come to a whole number of bytes (`0.3B`).
    #[error("invalid size {0}: not a whole number of bytes")]
    FractionalBytes(String),
    /// Larger than 2^64 - 1 bytes.
    #[error("invalid size {0}: too large")]
    SizeTooLarge(String),
    /// Not a Go-style duration such as `250ms`, `2s` or `1m30s`.
    #[error(
        "invalid duration {0}: want a sequence of numbers with units such as 250ms, 2s or 1m30s"
    )]
    Duration(String),
    /// Not a number followed by a known rate unit.
    #[error(
        "invalid bandwidth {0}: want a number and a unit such as 100Mbit/s, 1Gbit/s or 50MiB/s"
    )]
    Bandwidth(String),
    /// A rate of zero, or one that does not come to a whole number of bits per second.
    #[error("invalid bandwidth {0}: want a whole number of bits per second above zero")]
    BandwidthNotPositive(String),
}

/// The units a size may carry: binary (`KiB` = 1024) and decimal (`kB` = 1000), matched
/// without regard to case so `4kib` and `4KB` work too.
const SIZE_UNITS: &[(&str, u64)] = &[
    ("b", 1),
    ("kib", 1 << 10),
    ("mib", 1 << 20),
    ("gib", 1 << 30),
    ("tib", 1 << 40),
    ("kb", 1_000),
    ("mb", 1_000_000),
    ("gb", 1_000_000_000),
    ("tb", 1_000_000_000_000),
];

/// A number of bytes, written for people: parses `500B`, `500`, `4KiB`, `20 MiB`,
/// `1.5GiB`, `3MB`; prints the largest binary unit that divides it exactly (`4KiB`,
/// `1536KiB`, `1500B`). Serialises as that text and deserialises from text or a plain
/// integer count of bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses a size text (see the type's documentation).
    pub fn parse(text: &str) -> Result<ByteSize, UnitError> {
        let invalid = || UnitError::Size(crate::go::text::quote(text));
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let unit = unit.trim().to_ascii_lowercase();
        let multiplier = if unit.is_empty() {
            1
        } else {
            SIZE_UNITS
                .iter()
                .find(|(name, _)| *name == unit)
                .map(|&(_, multiplier)| multiplier)
                .ok_or_else(invalid)?
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        if fraction.contains('.') || fraction.len() > 18 {
            return Err(invalid());
        }
        let digits = format!("{whole}{fraction}");
        let mantissa: u128 = digits.parse().map_err(|_| invalid())?;
        let scale = 10u128.pow(u32::try_from(fraction.len()).map_err(|_| invalid())?);
        let scaled = mantissa
            .checked_mul(u128::from(multiplier))
            .ok_or_else(|| UnitError::SizeTooLarge(crate::go::text::quote(text)))?;
        if scaled % scale != 0 {
            return Err(UnitError::FractionalBytes(crate::go::text::quote(text)));
        }
        u64::try_from(scaled / scale)
            .map(ByteSize)
            .map_err(|_| UnitError::SizeTooLarge(crate::go::text::quote(text)))
    }

    /// The count of bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const BINARY: &[(&str, u64)] = &[
            ("TiB", 1 << 40),
            ("GiB", 1 << 30),
            ("MiB", 1 << 20),
            ("KiB", 1 << 10),
        ];
        for &(name, multiplier) in BINARY {
            if self.0 != 0 && self.0.is_multiple_of(multiplier) {
                return write!(f, "{}{name}", self.0 / multiplier);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl FromStr for ByteSize {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<ByteSize, UnitError> {
        ByteSize::parse(text)
    }
}

impl From<u64> for ByteSize {
    fn from(bytes: u64) -> ByteSize {
        ByteSize(bytes)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The shapes a size may take in a file: text with a unit, or a plain byte count.
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeForm {
    Count(u64),
    Text(String),
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ByteSize, D::Error> {
        match SizeForm::deserialize(deserializer)? {
            SizeForm::Count(bytes) => Ok(ByteSize(bytes)),
            SizeForm::Text(text) => ByteSize::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// The units a bandwidth may carry, in bits per second: decimal bit rates (`Mbit/s`, also
/// written `Mbps`), and byte rates in binary (`MiB/s`) or decimal (`MB/s`) multiples.
/// Bit units match without regard to case; byte units need the capital `B`, because
/// `mb/s` could mean either.
const BIT_RATE_UNITS: &[(&str, u64)] = &[
    ("bit/s", 1),
    ("kbit/s", 1_000),
    ("mbit/s", 1_000_000),
    ("gbit/s", 1_000_000_000),
    ("tbit/s", 1_000_000_000_000),
    ("bps", 1),
    ("kbps", 1_000),
    ("mbps", 1_000_000),
    ("gbps", 1_000_000_000),
];
const BYTE_RATE_UNITS: &[(&str, u64)] = &[
    ("B/s", 8),
    ("KiB/s", 8 << 10),
    ("MiB/s", 8 << 20),
    ("GiB/s", 8 << 30),
    ("kB/s", 8_000),
    ("KB/s", 8_000),
    ("MB/s", 8_000_000),
    ("GB/s", 8_000_000_000),
];

/// The speed of a network link, kept exactly in bits per second: parses `100Mbit/s`,
/// `1Gbit/s`, `250kbps`, `50MiB/s`, `12.5MB/s`; prints the largest decimal bit unit
/// that divides it exactly (`100Mbit/s`), else the largest binary byte unit (`50MiB/s`),
/// else `bit/s`. Serialises as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bandwidth {
    bits_per_second: u64,
}

impl Bandwidth {
    /// 1 Gbit/s, a common default for a node's link.
    pub const GIGABIT_PER_SECOND: Bandwidth = Bandwidth {
        bits_per_second: 1_000_000_000,
    };

    /// A bandwidth of `bits_per_second`, which must be above zero.
    pub fn from_bits_per_second(bits_per_second: u64) -> Option<Bandwidth> {
        (bits_per_second > 0).then_some(Bandwidth { bits_per_second })
    }

    /// Parses a bandwidth text (see the type's documentation).
    pub fn parse(text: &str) -> Result<Bandwidth, UnitError> {
        let invalid = || UnitError::Bandwidth(crate::go::text::quote(text));
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, unit) = trimmed.split_at(split);
        let unit = unit.trim();
        let lower = unit.to_ascii_lowercase();
        let multiplier = BIT_RATE_UNITS
            .iter()
            .find(|(name, _)| *name == lower)
            .or_else(|| BYTE_RATE_UNITS.iter().find(|(name, _)| *name == unit))
            .map(|&(_, multiplier)| multiplier)
            .ok_or_else(invalid)?;
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.len() > 18 {
            return Err(invalid());
        }
        let digits = format!("{whole}{fraction}");
        let mantissa: u128 = digits.parse().map_err(|_| invalid())?;
        let scale = 10u128.pow(u32::try_from(fraction.len()).map_err(|_| invalid())?);
        let not_positive = || UnitError::BandwidthNotPositive(crate::go::text::quote(text));
        let scaled = mantissa
            .checked_mul(u128::from(multiplier))
            .ok_or_else(invalid)?;
        if scaled % scale != 0 {
            return Err(not_positive());
        }
        let bits_per_second = u64::try_from(scaled / scale).map_err(|_| invalid())?;
        Bandwidth::from_bits_per_second(bits_per_second).ok_or_else(not_positive)
    }

    /// The speed in bits per second.
    pub fn bits_per_second(self) -> u64 {
        self.bits_per_second
    }

    /// How long `bytes` take to cross the link at this speed, rounded up to the next
    /// nanosecond so that a transfer never finishes early.
    pub fn transfer_time(self, bytes: u64) -> Duration {
        let bits = u128::from(bytes) * 8 * 1_000_000_000;
        let rate = u128::from(self.bits_per_second);
        let nanos = bits.div_ceil(rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

impl fmt::Display for Bandwidth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const BITS: &[(&str, u64)] = &[
            ("Tbit/s", 1_000_000_000_000),
            ("Gbit/s", 1_000_000_000),
            ("Mbit/s", 1_000_000),
            ("kbit/s", 1_000),
        ];
        const BYTES: &[(&str, u64)] = &[("GiB/s", 8 << 30), ("MiB/s", 8 << 20), ("KiB/s", 8 << 10)];
        let bits = self.bits_per_second;
        for &(name, multiplier) in BITS.iter().chain(BYTES) {
            if bits.is_multiple_of(multiplier) {
                return write!(f, "{}{name}", bits / multiplier);
            }
        }
        write!(f, "{bits}bit/s")
    }
}

impl FromStr for Bandwidth {
    type Err = UnitError;
    fn from_str(text: &str) -> Result<Bandwidth, UnitError> {
        Bandwidth::parse(text)
    }
}

impl Serialize for Bandwidth {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bandwidth, D::Error> {
        let text = String::deserialize(deserializer)?;
        Bandwidth::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Parses a duration as Go's `time.ParseDuration` does for non-negative values: one or
/// more decimal numbers, each with a unit of `ns`, `us` (or `µs`), `ms`, `s`, `m` or `h`
/// (`250ms`, `1.5s`, `1m30s`); a bare `0` is zero. Precision is kept to the nanosecond.
pub fn parse_duration(text: &str) -> Result<Duration, UnitError> {
    let invalid = || UnitError::Duration(crate::go::text::quote(text));
    let trimmed = text.trim();
    if trimmed == "0" {
        return Ok(Duration::ZERO);
    }
    let mut rest = trimmed;
    let mut total_ns: u128 = 0;
    if rest.is_empty() {
        return Err(invalid());
    }
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(invalid)?;
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let unit_ns: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(invalid()),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
            return Err(invalid());
        }
        let whole: u128 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| invalid())?
        };
        let mut part_ns = whole.checked_mul(unit_ns).ok_or_else(invalid)?;
        // Digits past the nanosecond are dropped, as Go does.
        let mut place = unit_ns;
        for digit in fraction.bytes() {
            place /= 10;
            part_ns += u128::from(digit - b'0') * place;
        }
        total_ns = total_ns.checked_add(part_ns).ok_or_else(invalid)?;
        rest = next;
    }
    let nanos = u64::try_from(total_ns).map_err(|_| invalid())?;
    Ok(Duration::from_nanos(nanos))
}

/// Prints a duration as Go's `Duration.String()` does (`1m30s`, `250ms`), the inverse of
/// [`parse_duration`].
pub fn format_duration(duration: Duration) -> String {
    GoDuration::from_std(duration).to_string()
}

/// `#[serde(with = "pullsim_model::units::duration_text")]` for a [`Duration`] written as
/// Go duration text (`2s`); a plain integer is read as whole seconds.
pub mod duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the duration as Go duration text.
    pub fn serialize<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&super::format_duration(*duration))
    }

    /// Reads Go duration text, or an integer number of seconds.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        match DurationForm::deserialize(deserializer)? {
            DurationForm::Seconds(seconds) => Ok(Duration::from_secs(seconds)),
            DurationForm::Text(text) => {
                super::parse_duration(&text).map_err(serde::de::Error::custom)
            }
        }
    }

    /// The two shapes a duration may take in a file.
    #[derive(Deserialize)]
    #[serde(untagged)]
    pub(super) enum DurationForm {
        Seconds(u64),
        Text(String),
    }
}

/// [`duration_text`] for an `Option<Duration>` (absent or `null` is `None`); use with
/// `#[serde(default, with = ...)]`.
pub mod option_duration_text {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    use super::duration_text::DurationForm;

    /// Writes the duration as Go duration text, or `null`.
    pub fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => serializer.collect_str(&super::format_duration(*duration)),
            None => serializer.serialize_none(),
        }
    }

    /// Reads Go duration text, an integer number of seconds, or `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        match Option::<DurationForm>::deserialize(deserializer)? {
            None => Ok(None),
            Some(DurationForm::Seconds(seconds)) => Ok(Some(Duration::from_secs(seconds))),
            Some(DurationForm::Text(text)) => super::parse_duration(&text)
                .map(Some)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_sizes(rows: &[(&str, Option<u64>)]) {
        for &(text, want) in rows {
            let got = ByteSize::parse(text).ok().map(ByteSize::bytes);
            assert_eq!(got, want, "ByteSize::parse({text:?})");
        }
    }

    #[test]
    fn sizes_parse_with_units() {
        check_sizes(&[
            ("500B", Some(500)),
            ("500", Some(500)),
            ("4KiB", Some(4096)),
            ("4 KiB", Some(4096)),
            ("4kib", Some(4096)),
            ("20MiB", Some(20 << 20)),
            ("1.5GiB", Some(3 << 29)),
            ("3MB", Some(3_000_000)),
            ("2kB", Some(2000)),
            ("0B", Some(0)),
            ("0.5B", None),
            ("", None),
            ("KiB", None),
            ("4XB", None),
            ("-4KiB", None),
            ("1.2.3KiB", None),
            ("99999999999TiB", None),
        ]);
    }

    #[test]
    fn sizes_print_in_the_largest_exact_binary_unit_and_round_trip() {
        for (bytes, text) in [
            (0, "0B"),
            (500, "500B"),
            (4096, "4KiB"),
            (1536 << 10, "1536KiB"),
            (20 << 20, "20MiB"),
            (1 << 40, "1TiB"),
        ] {
            assert_eq!(ByteSize(bytes).to_string(), text);
            assert_eq!(ByteSize::parse(text), Ok(ByteSize(bytes)));
        }
    }

    #[test]
    fn sizes_deserialize_from_text_or_integers() {
        let sizes: Vec<ByteSize> = serde_json::from_str(r#"["4KiB", 12, "1MiB"]"#).unwrap();
        assert_eq!(sizes, vec![ByteSize(4096), ByteSize(12), ByteSize(1 << 20)]);
        let err = serde_json::from_str::<ByteSize>(r#""4 parsecs""#).unwrap_err();
        assert!(
            err.to_string().contains("invalid size \"4 parsecs\""),
            "{err}"
        );
    }

    fn check_durations(rows: &[(&str, Option<Duration>)]) {
        for &(text, want) in rows {
            assert_eq!(parse_duration(text).ok(), want, "parse_duration({text:?})");
        }
    }

    #[test]
    fn durations_parse_like_go() {
        check_durations(&[
            ("0", Some(Duration::ZERO)),
            ("2s", Some(Duration::from_secs(2))),
            ("250ms", Some(Duration::from_millis(250))),
            ("1m30s", Some(Duration::from_secs(90))),
            ("1.5s", Some(Duration::from_millis(1500))),
            ("1h", Some(Duration::from_secs(3600))),
            ("3us", Some(Duration::from_micros(3))),
            ("3µs", Some(Duration::from_micros(3))),
            ("7ns", Some(Duration::from_nanos(7))),
            (".5s", Some(Duration::from_millis(500))),
            ("", None),
            ("2", None),
            ("s", None),
            ("2x", None),
            ("-2s", None),
            ("1..5s", None),
        ]);
    }

    #[test]
    fn durations_round_trip_through_go_text() {
        for text in ["2s", "250ms", "1m30s", "1h0m0s", "1.5s"] {
            let parsed = parse_duration(text).unwrap();
            assert_eq!(format_duration(parsed), text);
        }
    }

    fn check_bandwidths(rows: &[(&str, Result<u64, &str>)]) {
        for &(text, ref want) in rows {
            let got = Bandwidth::parse(text)
                .map(Bandwidth::bits_per_second)
                .map_err(|err| err.to_string());
            assert_eq!(
                got,
                want.map_err(str::to_owned),
                "Bandwidth::parse({text:?})"
            );
        }
    }

    #[test]
    fn bandwidths_parse_bit_and_byte_rates() {
        let invalid = "invalid bandwidth \"{}\": want a number and a unit such as 100Mbit/s, 1Gbit/s or 50MiB/s";
        let bad = |text: &str| invalid.replace("{}", text);
        let (fast, slow, none, b_lower) = (bad("fast"), bad("100"), bad("100Mb"), bad("5mb/s"));
        check_bandwidths(&[
            ("100Mbit/s", Ok(100_000_000)),
            ("1Gbit/s", Ok(1_000_000_000)),
            ("1gbit/s", Ok(1_000_000_000)),
            ("250kbps", Ok(250_000)),
            ("2.5 Gbps", Ok(2_500_000_000)),
            ("50MiB/s", Ok(50 * (8 << 20))),
            ("12.5MB/s", Ok(100_000_000)),
            ("1B/s", Ok(8)),
            ("fast", Err(&fast)),
            ("100", Err(&slow)),
            ("100Mb", Err(&none)),
            ("5mb/s", Err(&b_lower)),
            (
                "0Mbit/s",
                Err(
                    "invalid bandwidth \"0Mbit/s\": want a whole number of bits per second above zero",
                ),
            ),
            (
                "0.5bit/s",
                Err(
                    "invalid bandwidth \"0.5bit/s\": want a whole number of bits per second above zero",
                ),
            ),
        ]);
    }

    #[test]
    fn bandwidths_print_exactly_and_round_trip() {
        for (text, printed) in [
            ("100Mbit/s", "100Mbit/s"),
            ("1000Mbit/s", "1Gbit/s"),
            ("50MiB/s", "50MiB/s"),
            ("12.5MB/s", "100Mbit/s"),
            ("3bit/s", "3bit/s"),
            ("1B/s", "8bit/s"),
        ] {
            let parsed = Bandwidth::parse(text).unwrap();
            assert_eq!(parsed.to_string(), printed);
            assert_eq!(Bandwidth::parse(printed), Ok(parsed));
        }
    }

    #[test]
    fn transfer_time_rounds_up_to_the_nanosecond() {
        let link = Bandwidth::parse("100Mbit/s").unwrap();
        assert_eq!(link.transfer_time(12_500_000), Duration::from_secs(1));
        assert_eq!(link.transfer_time(1), Duration::from_nanos(80));
        let odd = Bandwidth::parse("3bit/s").unwrap();
        assert_eq!(odd.transfer_time(1), Duration::from_nanos(2_666_666_667));
        assert_eq!(odd.transfer_time(0), Duration::ZERO);
    }
}
