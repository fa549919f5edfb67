//! Folding, so a long run stays readable: a 200-node outage tells its story in a couple of
//! hundred lines, not tens of thousands. Two steps, then printing:
//!
//! 1. [`fold`]: lines about different numbered objects of one family (the pods `fleet-0`,
//!    `fleet-1`, ... of a workload, the nodes of a pool) become one [`Group`] when they say
//!    the same thing (same type, reason, container and text, durations in the text
//!    ignored) within [`FOLD_WINDOW`] of the first of them. An object appears at most once
//!    in a group, so one pod's own repeated lines stay apart. Objects without a number
//!    (`web`, `never-absent`) and the timeline never fold.
//! 2. `repeats.rs`: a family's (or a lone object's) groups that keep saying the same thing
//!    are shown three times, then summarised in one line.
//!
//! A printed group stands at its first line's time and names its objects as ranges with
//! a count (`pod/fleet-{0..199} ×200`; beyond a few spans, `fleet-{1,5,…,182}`); a node
//! named in the text becomes a range too; when the texts differed in their durations, the
//! first text is shown and marked `(figures vary)`; when the lines came over a stretch of
//! time, the text ends with `(spread over 4.885s)`, so jitter stays visible.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pullsim_model::SimTime;

use crate::run::format::{duration, mask_durations, name_ranges};
use crate::run::lines::Line;

/// How far apart the lines one group stands for may be.
pub(crate) const FOLD_WINDOW: Duration = Duration::from_secs(10);

/// Beyond this many spans, a range shows its first two and its last.
const SPANS_SHOWN: usize = 4;

/// Lines that say the same thing about one or more objects of a family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Group {
    /// The first line's time.
    pub(crate) at: SimTime,
    /// The last line's time (the same as `at` for one line).
    pub(crate) last: SimTime,
    pub(crate) object_kind: &'static str,
    /// The family (`fleet` of `fleet-12`), or the object's own name when it has no number.
    pub(crate) family: String,
    /// The objects, in the order their lines came.
    pub(crate) names: Vec<String>,
    /// Nodes named by the lines, folded into the text's `{node}`.
    pub(crate) nodes: Vec<String>,
    pub(crate) container: Option<String>,
    pub(crate) line_type: &'static str,
    pub(crate) reason: String,
    /// The first line's text.
    pub(crate) text: String,
    /// Whether the lines' texts differed (in their durations).
    pub(crate) texts_differ: bool,
}

impl Group {
    /// What makes two groups say the same thing (times aside).
    pub(crate) fn key(&self) -> (&'static str, &str, Option<&str>, &'static str, &str, String) {
        (
            self.object_kind,
            &self.family,
            self.container.as_deref(),
            self.line_type,
            &self.reason,
            mask_durations(&self.text),
        )
    }
}

/// A line ready to print: its object column composed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folded {
    pub(crate) at: SimTime,
    pub(crate) object: String,
    pub(crate) line_type: &'static str,
    pub(crate) reason: String,
    pub(crate) text: String,
}

/// The family of a numbered name (`fleet` of `fleet-12`), or `None` for a name without a
/// number.
fn family(name: &str) -> Option<&str> {
    let (prefix, number) = name.rsplit_once('-')?;
    (!number.is_empty() && number.bytes().all(|b| b.is_ascii_digit())).then_some(prefix)
}

type Key = (
    &'static str,
    String,
    Option<String>,
    &'static str,
    String,
    String,
);

/// Folds time-ordered lines into groups (in the order of their first lines).
pub(crate) fn fold(lines: Vec<Line>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut members: Vec<BTreeSet<String>> = Vec::new();
    // Per key, the groups still within their window, oldest first.
    let mut open: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for line in lines {
        let numbered = family(&line.object_name).filter(|_| line.object_kind != "timeline");
        let family_name = numbered.unwrap_or(&line.object_name).to_owned();
        if numbered.is_some() {
            let key: Key = (
                line.object_kind,
                family_name.clone(),
                line.container.clone(),
                line.line_type,
                line.reason.clone(),
                mask_durations(&line.text),
            );
            let candidates = open.entry(key).or_default();
            candidates.retain(|&index| line.at.saturating_since(groups[index].at) <= FOLD_WINDOW);
            let joined = candidates
                .iter()
                .copied()
                .find(|&index| !members[index].contains(&line.object_name));
            if let Some(index) = joined {
                let group = &mut groups[index];
                members[index].insert(line.object_name.clone());
                group.names.push(line.object_name);
                group.nodes.extend(line.node);
                group.texts_differ |= line.text != group.text;
                group.last = group.last.max(line.at);
                continue;
            }
            candidates.push(groups.len());
        }
        members.push(BTreeSet::from([line.object_name.clone()]));
        groups.push(Group {
            at: line.at,
            last: line.at,
            object_kind: line.object_kind,
            family: family_name,
            names: vec![line.object_name],
            nodes: line.node.into_iter().collect(),
            container: line.container,
            line_type: line.line_type,
            reason: line.reason,
            text: line.text,
            texts_differ: false,
        });
    }
    groups
}

/// Names as ranges, at most [`SPANS_SHOWN`] spans: `fleet-{0..199}`, `fleet-{1,5,…,182}`.
pub(crate) fn short_ranges<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let full = name_ranges(names);
    let Some((prefix, inner)) = full
        .strip_suffix('}')
        .and_then(|rest| rest.split_once('{'))
        .filter(|(prefix, _)| !prefix.contains(", "))
    else {
        return full;
    };
    let spans: Vec<&str> = inner.split(',').collect();
    if spans.len() <= SPANS_SHOWN {
        return full;
    }
    format!(
        "{prefix}{{{},{},…,{}}}",
        spans[0],
        spans[1],
        spans[spans.len() - 1]
    )
}

/// A group as a printed line.
pub(crate) fn render(group: &Group) -> Folded {
    let count = group.names.iter().collect::<BTreeSet<_>>().len();
    let mut object = if group.names.iter().all(String::is_empty) {
        group.object_kind.to_owned()
    } else if count == 1 {
        format!("{}/{}", group.object_kind, group.names[0])
    } else {
        format!(
            "{}/{}",
            group.object_kind,
            short_ranges(group.names.iter().map(String::as_str))
        )
    };
    if let Some(container) = &group.container {
        object.push(':');
        object.push_str(container);
    }
    if count > 1 {
        object.push_str(&format!(" ×{count}"));
    }
    let nodes = match group.nodes.len() {
        0 => String::new(),
        1 => group.nodes[0].clone(),
        _ => short_ranges(group.nodes.iter().map(String::as_str)),
    };
    let mut text = group.text.replace("{node}", &nodes);
    if group.texts_differ {
        text.push_str(" (figures vary)");
    }
    // A folded line stands at its first member's time; say how far its members spread, so
    // the pod worker's jitter is not hidden behind one timestamp.
    let spread = group.last.saturating_since(group.at);
    if spread >= Duration::from_millis(1) {
        text.push_str(&format!(" (spread over {})", duration(spread)));
    }
    Folded {
        at: group.at,
        object,
        line_type: group.line_type,
        reason: group.reason.clone(),
        text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(secs: u64, pod: &str, reason: &str, text: &str) -> Line {
        Line {
            at: SimTime::from_secs(secs),
            object_kind: "pod",
            object_name: pod.to_owned(),
            container: None,
            line_type: "Normal",
            reason: reason.to_owned(),
            text: text.to_owned(),
            node: None,
        }
    }

    fn printed(lines: Vec<Line>) -> Vec<(String, String, String)> {
        fold(lines)
            .iter()
            .map(render)
            .map(|f| (f.at.to_string(), f.object, f.text))
            .collect()
    }

    #[test]
    fn same_lines_of_many_pods_fold_within_the_window() {
        let mut lines: Vec<Line> = (0..5)
            .map(|i| line(i, &format!("web-{i}"), "Pulling", "Pulling image \"a\""))
            .collect();
        lines.push(line(3, "web-0", "Pulling", "Pulling image \"a\""));
        lines.push(line(30, "web-5", "Pulling", "Pulling image \"a\""));
        lines.push(line(30, "web-6", "Pulled", "in 1.5s"));
        lines.push(line(31, "web-7", "Pulled", "in 2s"));
        lines.sort_by_key(|l| l.at);
        let owned = |a: &str, b: &str, c: &str| (a.to_owned(), b.to_owned(), c.to_owned());
        assert_eq!(
            printed(lines),
            [
                owned(
                    "00:00:00",
                    "pod/web-{0..4} ×5",
                    "Pulling image \"a\" (spread over 4s)"
                ),
                owned("00:00:03", "pod/web-0", "Pulling image \"a\""),
                owned("00:00:30", "pod/web-5", "Pulling image \"a\""),
                owned(
                    "00:00:30",
                    "pod/web-{6,7} ×2",
                    "in 1.5s (figures vary) (spread over 1s)"
                ),
            ]
        );
    }

    #[test]
    fn different_texts_families_and_timeline_lines_never_fold() {
        let mut timeline = line(0, "", "Timeline", "push");
        timeline.object_kind = "timeline";
        let lines = vec![
            timeline.clone(),
            timeline,
            line(0, "a-0", "Failed", "status 503"),
            line(0, "a-1", "Failed", "status 429"),
            line(0, "b-0", "Failed", "status 429"),
            line(0, "web", "Pulled", "present"),
            line(0, "api", "Pulled", "present"),
        ];
        assert_eq!(fold(lines).len(), 7);
    }

    #[test]
    fn long_ranges_show_their_ends() {
        let names = ["f-1", "f-5", "f-6", "f-20", "f-22", "f-182"];
        assert_eq!(short_ranges(names), "f-{1,5,…,182}");
        assert_eq!(short_ranges(["f-0", "f-1", "f-2", "f-7"]), "f-{0..2,7}");
        assert_eq!(short_ranges(["web", "api-0"]), "api-0, web");
    }
}
