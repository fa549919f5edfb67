//! The `Range` header on blob GETs (RFC 9110 14): which bytes to send.
//!
//! One range `bytes=a-b`, `bytes=a-` or `bytes=-n` is served as 206 with `Content-Range`,
//! an end past the blob clamped to its last byte; a range that starts past the end (or
//! `-0`, or any range of an empty blob) is 416 with `Content-Range: bytes */<size>`.
//! Several ranges are answered with the whole body and 200 (RFC 9110 lets a server ignore
//! `Range`; pullers never ask for several, and multipart answers help nobody). A header
//! that is not a byte range (another unit, no numbers, `b < a`) is ignored the same way,
//! as RFC 9110 14.2 allows.

/// What to send for a blob of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeAnswer {
    /// The whole blob, 200.
    Whole,
    /// Bytes `start..=end`, 206.
    Part { start: u64, end: u64 },
    /// 416.
    Unsatisfiable,
}

/// Reads `header` (the value of `Range`) for a blob of `size` bytes.
pub(crate) fn answer(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(spec) = header.and_then(|h| {
        let h = h.trim();
        h.get(..6)
            .filter(|unit| unit.eq_ignore_ascii_case("bytes="))
            .map(|_| &h[6..])
    }) else {
        return RangeAnswer::Whole;
    };
    if spec.contains(',') {
        return RangeAnswer::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Whole;
    };
    let number = |text: &str| -> Option<u64> {
        let text = text.trim();
        if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        text.parse().ok()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-n: the last n bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Part {
                    start: size.saturating_sub(suffix),
                    end: size - 1,
                }
            }
        }
        // bytes=a- and bytes=a-b.
        (false, Some(start), end) => {
            if !last.trim().is_empty() && end.is_none() {
                return RangeAnswer::Whole;
            }
            if end.is_some_and(|end| end < start) {
                return RangeAnswer::Whole;
            }
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            let end = end.map_or(size - 1, |end| end.min(size - 1));
            RangeAnswer::Part { start, end }
        }
        _ => RangeAnswer::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::RangeAnswer::*;
    use super::*;

    fn check(size: u64, rows: &[(Option<&str>, RangeAnswer)]) {
        for &(header, want) in rows {
            assert_eq!(answer(header, size), want, "{header:?} of {size}");
        }
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        check(
            100,
            &[
                (None, Whole),
                (Some("bytes=0-9"), Part { start: 0, end: 9 }),
                (Some("bytes=10-"), Part { start: 10, end: 99 }),
                (Some("bytes=-10"), Part { start: 90, end: 99 }),
                (Some("bytes=-500"), Part { start: 0, end: 99 }),
                (Some("bytes=90-500"), Part { start: 90, end: 99 }),
                (Some("bytes=99-99"), Part { start: 99, end: 99 }),
                (Some("Bytes= 5-6"), Part { start: 5, end: 6 }),
                (Some("bytes=100-"), Unsatisfiable),
                (Some("bytes=100-200"), Unsatisfiable),
                (Some("bytes=-0"), Unsatisfiable),
                (Some("bytes=0-1,5-6"), Whole),
                (Some("bytes=9-2"), Whole),
                (Some("items=0-1"), Whole),
                (Some("bytes=a-b"), Whole),
                (Some("bytes=1-x"), Whole),
                (Some("bytes=-"), Whole),
                (Some("bytes"), Whole),
                (Some("bytes=99999999999999999999999-"), Whole),
            ],
        );
        check(
            0,
            &[
                (Some("bytes=0-"), Unsatisfiable),
                (Some("bytes=-1"), Unsatisfiable),
            ],
        );
    }
}
