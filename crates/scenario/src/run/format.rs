//! How the transcript writes values, one fixed form each, so snapshots stay stable:
//! virtual times as `HH:MM:SS.mmm`, lists of numbered names as ranges (`web-{0..9,12}`),
//! Go durations masked, columns aligned. Digests, sizes and durations are written as the
//! trace writes them ([`pullsim_sim::trace::short_digests`], `size`, `duration`), re-exported
//! here for the transcript's other parts.

use std::collections::BTreeMap;

use pullsim_model::SimTime;

pub(crate) use pullsim_sim::trace::{duration, short_digests, size};

/// `HH:MM:SS.mmm`, always with milliseconds, so every line's time has the same width.
pub(crate) fn clock(time: SimTime) -> String {
    let total_ms = time.since_epoch().as_millis();
    let (hours, rest) = (total_ms / 3_600_000, total_ms % 3_600_000);
    let (minutes, rest) = (rest / 60_000, rest % 60_000);
    let (seconds, millis) = (rest / 1000, rest % 1000);
    format!("{hours:02}:{minutes:02}:{seconds:02}.{millis:03}")
}

/// Names as ranges: `web-{0..2}` for `web-0 web-1 web-2`, `a-{0,3..5}, solo` for a mix.
/// Names that do not end in `-<number>` are listed as they are. The order is by prefix,
/// then number.
pub(crate) fn name_ranges<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut numbered: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    let mut plain: Vec<&str> = Vec::new();
    for name in names {
        match name.rsplit_once('-') {
            Some((prefix, number))
                if !number.is_empty()
                    && number.bytes().all(|b| b.is_ascii_digit())
                    && (number == "0" || !number.starts_with('0')) =>
            {
                if let Ok(number) = number.parse::<u64>() {
                    numbered.entry(prefix).or_default().push(number);
                }
            }
            _ => plain.push(name),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    for (prefix, mut numbers) in numbered {
        numbers.sort_unstable();
        numbers.dedup();
        if numbers.len() == 1 {
            parts.push(format!("{prefix}-{}", numbers[0]));
            continue;
        }
        let mut spans: Vec<String> = Vec::new();
        let mut index = 0;
        while index < numbers.len() {
            let start = numbers[index];
            let mut end = start;
            while index + 1 < numbers.len() && numbers[index + 1] == end + 1 {
                index += 1;
                end += 1;
            }
            spans.push(match end - start {
                0 => start.to_string(),
                1 => format!("{start},{end}"),
                _ => format!("{start}..{end}"),
            });
            index += 1;
        }
        parts.push(format!("{prefix}-{{{}}}", spans.join(",")));
    }
    plain.sort_unstable();
    plain.dedup();
    parts.extend(plain.into_iter().map(str::to_owned));
    parts.join(", ")
}

/// Replaces every Go duration in `text` (`1.234s`, `2m0.5s`, `523ms`) with `…`, so two
/// messages that differ only in how long something took compare equal.
pub(crate) fn mask_durations(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut index = 0;
    let mut copied = 0;
    while index < bytes.len() {
        let boundary = index == 0 || !bytes[index - 1].is_ascii_alphanumeric();
        if boundary
            && bytes[index].is_ascii_digit()
            && let Some(end) = duration_end(bytes, index)
        {
            out.push_str(&text[copied..index]);
            out.push('…');
            index = end;
            copied = end;
            continue;
        }
        index += 1;
    }
    out.push_str(&text[copied..]);
    out
}

/// Where a Go duration starting at `start` ends, if one does: one or more
/// `<number><unit>` parts, ending at something that is not a letter or digit.
fn duration_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut index = start;
    let mut parts = 0;
    loop {
        let digits_start = index;
        while index < bytes.len() && (bytes[index].is_ascii_digit() || bytes[index] == b'.') {
            index += 1;
        }
        if index == digits_start {
            break;
        }
        let unit = ["ns", "us", "µs", "ms", "h", "m", "s"]
            .iter()
            .find(|unit| bytes[index..].starts_with(unit.as_bytes()))?;
        index += unit.len();
        parts += 1;
        if index >= bytes.len() || !bytes[index].is_ascii_digit() {
            break;
        }
    }
    let ends_cleanly = index >= bytes.len() || !bytes[index].is_ascii_alphanumeric();
    (parts > 0 && ends_cleanly).then_some(index)
}

/// Rows as columns two spaces apart, each as wide as its widest cell and right-aligned
/// where `right` says so; a left-aligned last column is not padded, and no line ends in
/// spaces.
pub(crate) fn aligned(rows: &[Vec<String>], right: &[bool]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (column, cell) in row.iter().enumerate() {
                if column > 0 {
                    line.push_str("  ");
                }
                let pad = widths[column].saturating_sub(cell.chars().count());
                let last = column + 1 == row.len();
                if right.get(column).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
            }
            line.trim_end().to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_with_the_last_left_column_unpadded() {
        let rows = |cells: &[&[&str]]| -> Vec<Vec<String>> {
            cells
                .iter()
                .map(|row| row.iter().map(|cell| (*cell).to_owned()).collect())
                .collect()
        };
        assert_eq!(
            aligned(
                &rows(&[&["POD", "STATE", "TO RUNNING"], &["web-10", "Running", "-"]]),
                &[false; 3]
            ),
            ["POD     STATE    TO RUNNING", "web-10  Running  -"]
        );
        assert_eq!(
            aligned(
                &rows(&[
                    &["GET", "blob", "12", "4.0 MiB"],
                    &["HEAD", "manifest", "4", "0 B"]
                ]),
                &[false, false, true, true]
            ),
            ["GET   blob      12  4.0 MiB", "HEAD  manifest   4      0 B"]
        );
    }

    #[test]
    fn clock_has_one_width() {
        assert_eq!(clock(SimTime::EPOCH), "00:00:00.000");
        assert_eq!(clock(SimTime::from_millis(3_723_045)), "01:02:03.045");
    }

    #[test]
    fn names_fold_into_ranges() {
        let check = |names: &[&str], expected: &str| {
            assert_eq!(name_ranges(names.iter().copied()), expected, "{names:?}");
        };
        check(&["web-0", "web-1", "web-2"], "web-{0..2}");
        check(&["web-0", "web-1"], "web-{0,1}");
        check(&["a-3", "a-0", "a-4", "a-5", "solo"], "a-{0,3..5}, solo");
        check(&["fleet-7"], "fleet-7");
        check(&["x-01", "y"], "x-01, y");
    }

    #[test]
    fn durations_are_masked() {
        let check = |text: &str, expected: &str| assert_eq!(mask_durations(text), expected);
        check(
            "Successfully pulled image \"a:v1\" in 1.234s (2m0.5s including waiting). Image size: 30 bytes.",
            "Successfully pulled image \"a:v1\" in … (… including waiting). Image size: 30 bytes.",
        );
        check("523ms", "…");
        check("30MiB v1 sha256:12ab 503", "30MiB v1 sha256:12ab 503");
    }
}
