//! `intstr.IntOrString` as a rollout field holds it (`maxSurge: 3` or `maxSurge: 25%`), and
//! apimachinery's `GetScaledValueFromIntOrPercent` (docs/semantics.md §10.1): a number is
//! itself; a percentage is that share of a total, rounded up or down as the caller asks.
//! A string without a trailing `%` is an error, as it is there.

use std::fmt;

/// A whole number or a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntOrPercent {
    /// A count (`3`).
    Int(i64),
    /// A percentage of a total (`25%`).
    Percent(i64),
}

/// Why a string is not a percentage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntOrPercentError {
    /// The string does not end in `%`.
    NotAPercentage(String),
    /// What comes before the `%` is not a decimal number.
    NotANumber(String),
}

impl fmt::Display for IntOrPercentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercentError::NotAPercentage(_) => {
                f.write_str("invalid type: string is not a percentage")
            }
            IntOrPercentError::NotANumber(text) => {
                write!(
                    f,
                    "invalid value {text:?}: the part before '%' is not a number"
                )
            }
        }
    }
}

impl std::error::Error for IntOrPercentError {}

impl IntOrPercent {
    /// A string value as `getIntOrPercentValueSafely` reads it: digits (an optional sign,
    /// as Go's `strconv.Atoi` takes) followed by `%`.
    pub fn parse_string(text: &str) -> Result<IntOrPercent, IntOrPercentError> {
        let Some(number) = text.strip_suffix('%') else {
            return Err(IntOrPercentError::NotAPercentage(text.to_owned()));
        };
        let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(IntOrPercentError::NotANumber(text.to_owned()));
        }
        number
            .parse::<i64>()
            .map(IntOrPercent::Percent)
            .map_err(|_| IntOrPercentError::NotANumber(text.to_owned()))
    }

    /// The value scaled to `total`: a count as it is, a percentage as
    /// `ceil(p * total / 100)` when `round_up`, else `floor(p * total / 100)`. Upstream
    /// computes in `float64`; for the values a cluster has (products far below 2^53) the
    /// exact integer rounding here is the same number.
    pub fn scaled(self, total: u32, round_up: bool) -> i64 {
        match self {
            IntOrPercent::Int(value) => value,
            IntOrPercent::Percent(percent) => {
                let product = i128::from(percent) * i128::from(total);
                let quotient = if round_up {
                    product.div_euclid(100) + i128::from(product.rem_euclid(100) != 0)
                } else {
                    product.div_euclid(100)
                };
                i64::try_from(quotient).unwrap_or(if quotient < 0 { i64::MIN } else { i64::MAX })
            }
        }
    }

    /// Whether the value is zero before scaling (validation's `getIntOrPercentValue == 0`).
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Int(0) | IntOrPercent::Percent(0))
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Int(value) => write!(f, "{value}"),
            IntOrPercent::Percent(percent) => write!(f, "{percent}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_as_asked_and_counts_stay() {
        let quarter = IntOrPercent::Percent(25);
        assert_eq!(quarter.scaled(10, true), 3);
        assert_eq!(quarter.scaled(10, false), 2);
        assert_eq!(quarter.scaled(4, true), 1);
        assert_eq!(quarter.scaled(4, false), 1);
        assert_eq!(quarter.scaled(1, false), 0);
        assert_eq!(quarter.scaled(0, true), 0);
        assert_eq!(IntOrPercent::Percent(100).scaled(7, false), 7);
        assert_eq!(IntOrPercent::Int(3).scaled(100, false), 3);
    }

    #[test]
    fn the_exact_rounding_equals_go_float_rounding_over_a_range() {
        for percent in 0..=100i64 {
            for total in 0..=2_000u32 {
                let float = percent as f64 * f64::from(total) / 100.0;
                let p = IntOrPercent::Percent(percent);
                assert_eq!(
                    p.scaled(total, true),
                    float.ceil() as i64,
                    "{percent}% of {total}"
                );
                assert_eq!(
                    p.scaled(total, false),
                    float.floor() as i64,
                    "{percent}% of {total}"
                );
            }
        }
    }

    #[test]
    fn strings_must_be_percentages() {
        assert_eq!(
            IntOrPercent::parse_string("25%"),
            Ok(IntOrPercent::Percent(25))
        );
        assert_eq!(
            IntOrPercent::parse_string("0%"),
            Ok(IntOrPercent::Percent(0))
        );
        assert_eq!(
            IntOrPercent::parse_string("25").map_err(|e| e.to_string()),
            Err("invalid type: string is not a percentage".to_owned())
        );
        assert!(matches!(
            IntOrPercent::parse_string("20Percent%"),
            Err(IntOrPercentError::NotANumber(_))
        ));
        assert!(matches!(
            IntOrPercent::parse_string("%"),
            Err(IntOrPercentError::NotANumber(_))
        ));
        assert_eq!(IntOrPercent::Percent(25).to_string(), "25%");
        assert!(IntOrPercent::Percent(0).is_zero() && IntOrPercent::Int(0).is_zero());
        assert!(!IntOrPercent::Int(1).is_zero());
    }
}
