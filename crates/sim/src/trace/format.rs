//! How trace text writes values, one fixed form each, so transcripts and snapshots stay
//! stable: digests as `sha256:` and 12 hex digits, sizes in binary units with one decimal,
//! durations as Go prints them (to the millisecond). Pure string functions; the scenario's
//! transcript uses the same ones.

use std::time::Duration;

use pullsim_model::units::format_duration;

/// A duration as Go prints it, truncated to the millisecond (`1m2.345s`, `250ms`, `0s`).
pub fn duration(length: Duration) -> String {
    let millis = u64::try_from(length.as_millis()).unwrap_or(u64::MAX);
    format_duration(Duration::from_millis(millis))
}

/// The short form of every digest in `text`: `sha256:` and the first 12 hex digits
/// (`sha512:` likewise).
pub fn short_digests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(found) = next_digest(rest) {
        let (before, digest_start) = rest.split_at(found.start);
        out.push_str(before);
        out.push_str(&digest_start[..found.algorithm_len + 1 + 12]);
        rest = &digest_start[found.algorithm_len + 1 + found.hex_len..];
    }
    out.push_str(rest);
    out
}

struct FoundDigest {
    start: usize,
    algorithm_len: usize,
    hex_len: usize,
}

fn next_digest(text: &str) -> Option<FoundDigest> {
    let mut search_from = 0;
    while search_from < text.len() {
        let (offset, algorithm_len) = ["sha256:", "sha512:"]
            .iter()
            .filter_map(|prefix| {
                text[search_from..]
                    .find(prefix)
                    .map(|at| (search_from + at, prefix.len() - 1))
            })
            .min()?;
        let hex_start = offset + algorithm_len + 1;
        let hex_len = text[hex_start..]
            .bytes()
            .take_while(u8::is_ascii_hexdigit)
            .count();
        if hex_len > 12 {
            return Some(FoundDigest {
                start: offset,
                algorithm_len,
                hex_len,
            });
        }
        search_from = hex_start;
    }
    None
}

/// A size in bytes as people read it: `512 B`, `1.5 KiB`, `30.0 MiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("TiB", 1 << 40),
        ("GiB", 1 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
    ];
    for (unit, scale) in UNITS {
        if bytes >= scale {
            // Tenths, rounded half up, in integers so no float formatting is involved.
            let tenths = (u128::from(bytes) * 10 + u128::from(scale) / 2) / u128::from(scale);
            return format!("{}.{} {unit}", tenths / 10, tenths % 10);
        }
    }
    format!("{bytes} B")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_human() {
        let check = |bytes: u64, expected: &str| assert_eq!(size(bytes), expected, "{bytes}");
        check(0, "0 B");
        check(1023, "1023 B");
        check(1024, "1.0 KiB");
        check(1536, "1.5 KiB");
        check(30 << 20, "30.0 MiB");
        check((2 << 30) + (1 << 29), "2.5 GiB");
    }

    #[test]
    fn digests_are_shortened_where_they_appear() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(
            short_digests(&format!("image@{digest} and {digest}.")),
            "image@sha256:abababababab and sha256:abababababab."
        );
        assert_eq!(short_digests("sha256:abc"), "sha256:abc");
    }

    #[test]
    fn durations_are_truncated_to_the_millisecond() {
        assert_eq!(duration(Duration::from_nanos(1_234_567_891)), "1.234s");
        assert_eq!(duration(Duration::from_secs(62)), "1m2s");
        assert_eq!(duration(Duration::ZERO), "0s");
    }
}
