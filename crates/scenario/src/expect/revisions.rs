//! `revisions`: a workload object's pods per revision at the end of the run (a
//! Deployment's ReplicaSets, a DaemonSet's or StatefulSet's controller revisions), as the
//! run's `Metrics::rollouts` reports them: `{1: 8, 2: 3}` is 8 pods of the template it was
//! created with and 3 of the first change. A revision not listed must have no pods, so
//! `{2: 10}` says the rollout replaced every old pod.

use std::fmt::Write as _;

use pullsim_model::go_text::quote;

use super::wording::bounds_text;
use super::workload_object::RolloutSubject;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, number};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged};

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "revisions",
    docs: r"| `revisions: {<revision>: <bounds>, ...}` | `workload` (`kind/name`) | `namespace` (default `default`) | the workload object's pods per revision at the end (1: the template it was created with, 2: the first change, ...); a revision not listed has no pods |",
    pod_or_workload: false,
    workload_object: true,
    read,
};

/// A workload object's pods per revision at the end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revisions {
    /// The object.
    pub subject: RolloutSubject,
    /// Each listed revision and its pods, in revision order.
    pub pods: Vec<(u32, Bounds<u32>)>,
}

fn read(reading: &mut Reading<'_>, _: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let subject = RolloutSubject::read(reading, diagnostics);
    let Some(entries) = reading.value.entries() else {
        diagnostics.error(
            reading.value.position,
            format!(
                "expected pods per revision (a mapping such as {{1: 8, 2: 3}}), found {}",
                reading.value.describe()
            ),
        );
        return None;
    };
    if entries.is_empty() {
        diagnostics.error(
            reading.value.position,
            "revisions needs at least one revision",
        );
        return None;
    }
    let mut pods: Vec<(u32, Bounds<u32>)> = Vec::new();
    let mut complete = true;
    for entry in entries {
        let revision = entry
            .key
            .parse::<u32>()
            .ok()
            .filter(|revision| *revision >= 1 && !entry.key.starts_with('+'));
        let Some(revision) = revision else {
            diagnostics.error(
                entry.key_position,
                format!(
                    "expected a revision number (1, 2, ...), found {}",
                    quote(&entry.key)
                ),
            );
            complete = false;
            continue;
        };
        if pods.iter().any(|(seen, _)| *seen == revision) {
            diagnostics.error(
                entry.key_position,
                format!("revision {revision} is listed twice"),
            );
            complete = false;
            continue;
        }
        match bounds(&entry.value, diagnostics, number::<u32>) {
            Some(count) => pods.push((revision, count)),
            None => complete = false,
        }
    }
    pods.sort_by_key(|(revision, _)| *revision);
    let subject = subject?;
    complete.then_some(Check::Revisions(Revisions { subject, pods }))
}

impl Revisions {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let subject = self.subject.subject();
        let mut expected = String::from("pods per revision ");
        for (index, (revision, count)) in self.pods.iter().enumerate() {
            if index > 0 {
                expected.push_str(", ");
            }
            let _ = write!(
                expected,
                "{revision}: {}",
                bounds_text(count, |n: u32| n.to_string())
            );
        }
        expected.push_str(", no other revision with pods");
        let Some(figures) = self.subject.figures(evidence) else {
            return Judged {
                subject,
                expected,
                actual: "no rollout figures (the run has no such object)".to_owned(),
                passed: false,
            };
        };
        let pods_of = |revision: u32| {
            figures
                .revisions
                .iter()
                .filter(|r| r.revision == revision)
                .map(|r| r.pods)
                .sum::<u32>()
        };
        let listed_hold = self
            .pods
            .iter()
            .all(|(revision, count)| count.contains(pods_of(*revision)));
        let others_empty = figures.revisions.iter().all(|r| {
            r.pods == 0
                || self
                    .pods
                    .iter()
                    .any(|(revision, _)| *revision == r.revision)
        });
        let actual = if figures.revisions.is_empty() {
            "no revisions".to_owned()
        } else {
            figures
                .revisions
                .iter()
                .map(|r| format!("{}: {} ({}, {} ready)", r.revision, r.pods, r.name, r.ready))
                .collect::<Vec<_>>()
                .join(", ")
        };
        Judged {
            subject,
            expected,
            actual,
            passed: listed_hold && others_empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::workload_object::{figures, judge_with, read_text};
    use super::*;

    #[test]
    fn pods_per_revision_are_read_in_revision_order() {
        let Ok(Check::Revisions(read)) =
            read_text("- {workload: deployment/web, revisions: {2: 3, 1: {min: 7}}}\n")
        else {
            panic!("not revisions");
        };
        assert_eq!(
            read.pods,
            vec![
                (
                    1,
                    Bounds {
                        min: Some(7),
                        max: None
                    }
                ),
                (2, Bounds::exactly(3)),
            ]
        );
        assert_eq!(read.subject.object.to_string(), "deployment/web");
    }

    #[test]
    fn mistakes_are_errors_at_their_place() {
        let cases: [(&str, &[&str]); 5] = [
            (
                "- {workload: deployment/web, revisions: 3}\n",
                &["1:41: expected pods per revision (a mapping such as {1: 8, 2: 3}), found \"3\""],
            ),
            (
                "- {workload: deployment/web, revisions: {}}\n",
                &["1:41: revisions needs at least one revision"],
            ),
            (
                "- {workload: deployment/web, revisions: {0: 1, new: 2}}\n",
                &[
                    "1:42: expected a revision number (1, 2, ...), found \"0\"",
                    "1:48: expected a revision number (1, 2, ...), found \"new\"",
                ],
            ),
            (
                "- {workload: deployment/web, revisions: {1: 1, 01: 2}}\n",
                &["1:48: revision 1 is listed twice"],
            ),
            (
                "- {workload: deploymnt/web, revisions: {1: -1}}\n",
                &[
                    "1:14: the server doesn't have a resource type \"deploymnt\" (did you mean deployment?)",
                    "1:44: -1 is out of range (expected a whole number from 0 to 4294967295)",
                ],
            ),
        ];
        for (yaml, want) in cases {
            assert_eq!(
                read_text(yaml).map(|_| ()),
                Err(want.iter().map(|s| (*s).to_owned()).collect()),
                "{yaml}"
            );
        }
    }

    #[test]
    fn listed_revisions_must_match_and_others_be_empty() {
        for (yaml, passes) in [
            ("{1: 8, 2: 3}", true),
            ("{1: 8, 2: {min: 1}}", true),
            ("{2: 3}", false),
            ("{1: 8, 2: 4}", false),
            ("{1: 8, 2: 3, 3: 0}", true),
            ("{1: 8, 2: 3, 3: 1}", false),
        ] {
            let check = read_text(&format!(
                "- {{workload: deployment/web, revisions: {yaml}}}\n"
            ))
            .expect("valid");
            assert_eq!(
                judge_with(&check, vec![figures([8, 3])]).0,
                passes,
                "{yaml}"
            );
        }
        let check = read_text("- {workload: deployment/web, revisions: {2: 10}}\n").expect("valid");
        let (passed, _, expected, actual) = judge_with(&check, vec![figures([0, 10])]);
        assert!(passed);
        assert_eq!(
            expected,
            "pods per revision 2: 10, no other revision with pods"
        );
        assert_eq!(
            actual,
            "1: 0 (web-5d4f8c7b9, 0 ready), 2: 10 (web-6b7c9d8f5, 10 ready)"
        );
    }
}
