//! Folding, so a long run stays readable: a 200-node outage tells its story in a few
//! hundred lines, not tens of thousands.
//!
//! The rule: lines about different objects of one kind (pods, or nodes) fold into one
//! when they say the same thing (same type, reason, container and text, with durations
//! in the text ignored) within [`FOLD_WINDOW`] of the first of them. The folded line
//! stands at the first one's time and names the objects as ranges with a count
//! (`pod/fleet-{0..199} ×200`); a node named in the text becomes a range too; when the
//! texts differed in their durations, the first text is shown and marked
//! `(durations vary)`. An object appears at most once in a folded line, so one pod's own
//! repeated lines are never merged with each other. Timeline lines never fold.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use pullsim_model::SimTime;

use crate::run::format::{mask_durations, name_ranges};
use crate::run::lines::Line;

/// How far apart the lines one folded line stands for may be.
pub(crate) const FOLD_WINDOW: Duration = Duration::from_secs(10);

/// A line ready to print: its object column already composed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Folded {
    pub(crate) at: SimTime,
    pub(crate) object: String,
    pub(crate) line_type: &'static str,
    pub(crate) reason: String,
    pub(crate) text: String,
}

#[derive(Debug)]
struct Group {
    first: Line,
    names: BTreeSet<String>,
    order: Vec<String>,
    nodes: Vec<String>,
    texts_differ: bool,
}

type Key = (&'static str, Option<String>, &'static str, String, String);

/// Folds time-ordered lines.
pub(crate) fn fold(lines: Vec<Line>) -> Vec<Folded> {
    let mut groups: Vec<Group> = Vec::new();
    // Per key, the groups still within their window, oldest first.
    let mut open: BTreeMap<Key, Vec<usize>> = BTreeMap::new();
    for line in lines {
        let foldable = !line.object_name.is_empty() && line.object_kind != "timeline";
        let key: Key = (
            line.object_kind,
            line.container.clone(),
            line.line_type,
            line.reason.clone(),
            mask_durations(&line.text),
        );
        if foldable {
            let candidates = open.entry(key).or_default();
            candidates.retain(|&index| {
                line.at.saturating_since(groups[index].first.at) <= FOLD_WINDOW
            });
            let joined = candidates
                .iter()
                .copied()
                .find(|&index| !groups[index].names.contains(&line.object_name));
            if let Some(index) = joined {
                let group = &mut groups[index];
                group.names.insert(line.object_name.clone());
                group.order.push(line.object_name.clone());
                group.nodes.extend(line.node.clone());
                group.texts_differ |= line.text != group.first.text;
                continue;
            }
            candidates.push(groups.len());
        }
        groups.push(Group {
            names: BTreeSet::from([line.object_name.clone()]),
            order: vec![line.object_name.clone()],
            nodes: line.node.clone().into_iter().collect(),
            texts_differ: false,
            first: line,
        });
    }
    groups.into_iter().map(render).collect()
}

fn render(group: Group) -> Folded {
    let line = group.first;
    let count = group.order.len();
    let mut object = if line.object_name.is_empty() {
        line.object_kind.to_owned()
    } else if count == 1 {
        format!("{}/{}", line.object_kind, line.object_name)
    } else {
        format!(
            "{}/{}",
            line.object_kind,
            name_ranges(group.order.iter().map(String::as_str))
        )
    };
    if let Some(container) = &line.container {
        object.push(':');
        object.push_str(container);
    }
    if count > 1 {
        object.push_str(&format!(" ×{count}"));
    }
    let nodes = match group.nodes.len() {
        0 => String::new(),
        1 => group.nodes[0].clone(),
        _ => name_ranges(group.nodes.iter().map(String::as_str)),
    };
    let mut text = line.text.replace("{node}", &nodes);
    if group.texts_differ {
        text.push_str(" (durations vary)");
    }
    Folded {
        at: line.at,
        object,
        line_type: line.line_type,
        reason: line.reason,
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
        let folded = fold(lines);
        let shown: Vec<(String, String, String)> = folded
            .iter()
            .map(|f| (f.at.to_string(), f.object.clone(), f.text.clone()))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "00:00:00".to_owned(),
                    "pod/web-{0..4} ×5".to_owned(),
                    "Pulling image \"a\"".to_owned()
                ),
                (
                    "00:00:03".to_owned(),
                    "pod/web-0".to_owned(),
                    "Pulling image \"a\"".to_owned()
                ),
                (
                    "00:00:30".to_owned(),
                    "pod/web-5".to_owned(),
                    "Pulling image \"a\"".to_owned()
                ),
                (
                    "00:00:30".to_owned(),
                    "pod/web-{6,7} ×2".to_owned(),
                    "in 1.5s (durations vary)".to_owned()
                ),
            ]
        );
    }

    #[test]
    fn different_texts_and_timeline_lines_never_fold() {
        let mut timeline = line(0, "", "Timeline", "push");
        timeline.object_kind = "timeline";
        let lines = vec![
            timeline.clone(),
            timeline,
            line(0, "a-0", "Failed", "status 503"),
            line(0, "a-1", "Failed", "status 429"),
        ];
        assert_eq!(fold(lines).len(), 4);
    }
}
