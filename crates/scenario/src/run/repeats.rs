//! Repeats, so a pod that retries for an hour does not fill the transcript: after one
//! object's first [`REPEATS_SHOWN`] lines that say the same thing (same type, reason,
//! container and text, durations ignored), the rest of that object's identical lines
//! become one summary line, at the time of the first one left out:
//! `… 6 more times, 1m0s, 2m30s, 5m0s ×4 apart, the last at 00:38:00.060`. The gaps are
//! between consecutive occurrences; beyond a few different gaps only their range is
//! given. Repeats are collapsed before lines of different objects fold (`fold.rs`), and
//! the summary lines of many pods fold like any other lines.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::SimTime;

use crate::run::format::{clock, duration, mask_durations};
use crate::run::lines::Line;

/// How many identical lines of one object are shown before the rest are summarised.
pub(crate) const REPEATS_SHOWN: usize = 3;

/// Beyond this many different gaps, a summary gives their range instead of the list.
const GAPS_LISTED: usize = 5;

type Key = (
    &'static str,
    String,
    Option<String>,
    &'static str,
    String,
    String,
);

fn key(line: &Line) -> Key {
    (
        line.object_kind,
        line.object_name.clone(),
        line.container.clone(),
        line.line_type,
        line.reason.clone(),
        mask_durations(&line.text),
    )
}

/// Collapses each object's repeated lines (time-ordered in, time-ordered out).
pub(crate) fn collapse(lines: Vec<Line>) -> Vec<Line> {
    let mut times: BTreeMap<Key, Vec<SimTime>> = BTreeMap::new();
    for line in &lines {
        if !line.object_name.is_empty() {
            times.entry(key(line)).or_default().push(line.at);
        }
    }
    let mut seen: BTreeMap<Key, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        if line.object_name.is_empty() {
            out.push(line);
            continue;
        }
        let key = key(&line);
        let count = seen.entry(key.clone()).or_insert(0);
        *count += 1;
        match (*count).cmp(&(REPEATS_SHOWN + 1)) {
            std::cmp::Ordering::Less => out.push(line),
            std::cmp::Ordering::Equal => {
                let all = times.get(&key).map_or(&[][..], Vec::as_slice);
                out.push(summary(line, &all[REPEATS_SHOWN - 1..]));
            }
            std::cmp::Ordering::Greater => {}
        }
    }
    out
}

/// The summary of the occurrences after `from[0]` (the last one shown).
fn summary(line: Line, from: &[SimTime]) -> Line {
    let gaps: Vec<Duration> = from
        .windows(2)
        .map(|pair| pair[1].saturating_since(pair[0]))
        .collect();
    let last = from.last().copied().unwrap_or(line.at);
    let more = gaps.len();
    let times = if more == 1 { "time" } else { "times" };
    let text = if more == 1 {
        format!("… 1 more time, {} later", gap_list(&gaps))
    } else {
        format!(
            "… {more} more {times}, {} apart, the last at {}",
            gap_list(&gaps),
            clock(last)
        )
    };
    Line {
        text,
        node: None,
        summary: true,
        ..line
    }
}

/// `10s, 20s ×2, 40s`: runs of equal gaps (to the millisecond) with counts; beyond
/// [`GAPS_LISTED`] runs, `10s..15s`.
fn gap_list(gaps: &[Duration]) -> String {
    let shown: Vec<String> = gaps.iter().map(|gap| duration(*gap)).collect();
    let mut runs: Vec<(String, usize)> = Vec::new();
    for gap in shown {
        match runs.last_mut() {
            Some((last, count)) if *last == gap => *count += 1,
            _ => runs.push((gap, 1)),
        }
    }
    if runs.len() > GAPS_LISTED {
        let min = gaps.iter().min().copied().unwrap_or_default();
        let max = gaps.iter().max().copied().unwrap_or_default();
        return format!("{}..{}", duration(min), duration(max));
    }
    runs.into_iter()
        .map(|(gap, count)| {
            if count == 1 {
                gap
            } else {
                format!("{gap} ×{count}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(millis: u64, pod: &str, reason: &str) -> Line {
        Line {
            at: SimTime::from_millis(millis),
            object_kind: "pod",
            object_name: pod.to_owned(),
            container: None,
            line_type: "Normal",
            reason: reason.to_owned(),
            text: "Pulling image \"a\"".to_owned(),
            node: None,
            summary: false,
        }
    }

    #[test]
    fn an_objects_repeats_become_one_summary_with_their_gaps() {
        let mut lines: Vec<Line> = [0, 10, 30, 70, 150, 310, 610, 910]
            .iter()
            .map(|secs| line(secs * 1000, "missing", "Pulling"))
            .collect();
        lines.push(line(5_000, "other", "Pulling"));
        lines.sort_by_key(|l| l.at);
        let out = collapse(lines);
        let texts: Vec<String> = out
            .iter()
            .map(|l| format!("{} {} {}", l.at, l.object_name, l.text))
            .collect();
        assert_eq!(
            texts,
            [
                "00:00:00 missing Pulling image \"a\"",
                "00:00:05 other Pulling image \"a\"",
                "00:00:10 missing Pulling image \"a\"",
                "00:00:30 missing Pulling image \"a\"",
                "00:01:10 missing … 5 more times, 40s, 1m20s, 2m40s, 5m0s ×2 apart, the last at 00:15:10.000",
            ]
        );
        assert!(out[4].summary);
    }

    #[test]
    fn many_different_gaps_are_given_as_a_range() {
        let lines: Vec<Line> = [
            0, 10_500, 22_000, 33_100, 45_900, 57_000, 68_200, 80_000, 93_000,
        ]
        .iter()
        .map(|millis| line(*millis, "p", "BackOff"))
        .collect();
        let out = collapse(lines);
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[3].text,
            "… 6 more times, 11.1s..13s apart, the last at 00:01:33.000"
        );
        let one_more: Vec<Line> = [0, 1, 2, 7]
            .iter()
            .map(|secs| line(secs * 1000, "p", "Pulling"))
            .collect();
        assert_eq!(collapse(one_more)[3].text, "… 1 more time, 5s later");
    }
}
