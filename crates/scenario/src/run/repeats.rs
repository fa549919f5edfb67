//! Repeats, so a pod that retries for an hour (or 200 pods that do) do not fill the
//! transcript. After folding (`fold.rs`), the groups of one family (or one lone object)
//! that say the same thing (same type, reason, container and text, durations ignored) are
//! shown [`REPEATS_SHOWN`] times; the rest, when there are at least two, become one
//! summary line, at the time of the first one left out:
//!
//! - for one object, with the gaps between its occurrences (the back-off story):
//!   `… 6 more times, 1m0s, 2m30s, 5m0s ×4 apart, the last at 00:38:00.060`; beyond a few
//!   different gaps only their range is given;
//! - for many, with the objects: `… 57 more times, the last at 00:13:49.040`, the object
//!   column naming every pod the summarised lines were about.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::run::fold::Group;
use crate::run::format::{clock, duration};

/// How many groups that say the same thing are shown before the rest are summarised.
pub(crate) const REPEATS_SHOWN: usize = 3;

/// Beyond this many different gaps, a summary gives their range instead of the list.
const GAPS_LISTED: usize = 5;

/// Collapses repeated groups (time-ordered in, time-ordered out).
pub(crate) fn collapse(groups: Vec<Group>) -> Vec<Group> {
    let mut by_key: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (index, group) in groups.iter().enumerate() {
        if group.object_kind != "timeline" {
            by_key.entry(group.key()).or_default().push(index);
        }
    }
    // For each group: shown as is, replaced by a summary of these later ones, or dropped.
    let mut fate: Vec<Option<Vec<usize>>> = vec![Some(Vec::new()); groups.len()];
    for indices in by_key.values() {
        // A summary standing for a single line would hide that line and save nothing.
        if indices.len() <= REPEATS_SHOWN + 1 {
            continue;
        }
        fate[indices[REPEATS_SHOWN]] = Some(indices[REPEATS_SHOWN - 1..].to_vec());
        for &index in &indices[REPEATS_SHOWN + 1..] {
            fate[index] = None;
        }
    }
    groups
        .iter()
        .zip(fate)
        .filter_map(|(group, fate)| match fate {
            None => None,
            Some(from) if from.is_empty() => Some(group.clone()),
            Some(from) => {
                let repeats: Vec<&Group> = from.iter().map(|&index| &groups[index]).collect();
                Some(summary(&repeats))
            }
        })
        .collect()
}

/// The summary of `repeats[1..]` (at least two groups); `repeats[0]` is the last group
/// shown.
fn summary(repeats: &[&Group]) -> Group {
    let first = repeats[1];
    let more = repeats.len() - 1;
    // The last line any repeated group stands for (a folded group spreads over time).
    let last = repeats[1..]
        .iter()
        .map(|group| group.last)
        .max()
        .unwrap_or(first.at);
    let lone = repeats
        .iter()
        .all(|group| group.names.len() == 1 && group.names[0] == repeats[0].names[0]);
    // `collapse` summarises two or more lines, never one.
    let text = if lone {
        let gaps: Vec<Duration> = repeats
            .windows(2)
            .map(|pair| pair[1].at.saturating_since(pair[0].at))
            .collect();
        format!(
            "… {more} more times, {} apart, the last at {}",
            gap_list(&gaps),
            clock(last)
        )
    } else {
        format!("… {more} more times, the last at {}", clock(last))
    };
    let mut names: Vec<String> = repeats[1..]
        .iter()
        .flat_map(|group| group.names.iter().cloned())
        .collect();
    names.sort();
    names.dedup();
    Group {
        at: first.at,
        // The summary's text already says when the last repeat came.
        last: first.at,
        names,
        nodes: Vec::new(),
        text,
        texts_differ: false,
        ..first.clone()
    }
}

/// `10s, 20s ×2, 40s`: runs of equal gaps (to the millisecond) with counts; beyond
/// [`GAPS_LISTED`] runs, `10s..15s`.
fn gap_list(gaps: &[Duration]) -> String {
    let mut runs: Vec<(String, usize)> = Vec::new();
    for gap in gaps {
        let gap = duration(*gap);
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
    use crate::run::fold::{fold, render};
    use crate::run::lines::Line;
    use pullsim_model::SimTime;

    fn at(amount: u64, millis: bool) -> SimTime {
        if millis {
            SimTime::from_millis(amount)
        } else {
            SimTime::from_secs(amount)
        }
    }

    fn line(time: SimTime, pod: &str, reason: &str) -> Line {
        Line {
            at: time,
            object_kind: "pod",
            object_name: pod.to_owned(),
            container: None,
            line_type: "Normal",
            reason: reason.to_owned(),
            text: "Pulling image \"a\"".to_owned(),
            node: None,
        }
    }

    fn printed(lines: Vec<Line>) -> Vec<String> {
        collapse(fold(lines))
            .iter()
            .map(render)
            .map(|f| format!("{} {} {}", f.at, f.object, f.text))
            .collect()
    }

    #[test]
    fn an_objects_repeats_become_one_summary_with_their_gaps() {
        let mut lines: Vec<Line> = [0, 10, 30, 70, 150, 310, 610, 910]
            .iter()
            .map(|secs| line(at(*secs, false), "missing", "Pulling"))
            .collect();
        lines.push(line(at(5, false), "other", "Pulling"));
        lines.sort_by_key(|l| l.at);
        assert_eq!(
            printed(lines),
            [
                "00:00:00 pod/missing Pulling image \"a\"",
                "00:00:05 pod/other Pulling image \"a\"",
                "00:00:10 pod/missing Pulling image \"a\"",
                "00:00:30 pod/missing Pulling image \"a\"",
                "00:01:10 pod/missing … 5 more times, 40s, 1m20s, 2m40s, 5m0s ×2 apart, the last at 00:15:10.000",
            ]
        );
    }

    #[test]
    fn many_different_gaps_are_given_as_a_range() {
        let lines: Vec<Line> = [
            0, 10_500, 22_000, 33_100, 45_900, 57_000, 68_200, 80_000, 93_000,
        ]
        .iter()
        .map(|millis| line(at(*millis, true), "p", "BackOff"))
        .collect();
        let out = printed(lines);
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[3],
            "00:00:33.100 pod/p … 6 more times, 11.1s..13s apart, the last at 00:01:33.000"
        );
        let one_more: Vec<Line> = [0, 1, 2, 7]
            .iter()
            .map(|secs| line(at(*secs, false), "p", "Pulling"))
            .collect();
        assert_eq!(
            printed(one_more)[3],
            "00:00:07 pod/p Pulling image \"a\"",
            "one more line is printed, not summarised"
        );
    }

    #[test]
    fn a_familys_repeats_become_one_summary_naming_every_pod() {
        let mut lines = Vec::new();
        for wave in 0..6u64 {
            for pod in 0..4u64 {
                // The waves drift apart: pods 0-1 and 2-3 fall into different groups.
                let time = wave * 100 + if pod < 2 { 0 } else { 20 };
                lines.push(line(at(time, false), &format!("fleet-{pod}"), "Pulling"));
            }
        }
        lines.sort_by_key(|l| l.at);
        assert_eq!(
            printed(lines),
            [
                "00:00:00 pod/fleet-{0,1} ×2 Pulling image \"a\"",
                "00:00:20 pod/fleet-{2,3} ×2 Pulling image \"a\"",
                "00:01:40 pod/fleet-{0,1} ×2 Pulling image \"a\"",
                "00:02:00 pod/fleet-{0..3} ×4 … 9 more times, the last at 00:08:40.000",
            ]
        );
    }
}
