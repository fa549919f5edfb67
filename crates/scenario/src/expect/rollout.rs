//! `rollout`: a workload object's last rollout (or its creation, with none) as the run's
//! `Metrics::rollouts` reports it: whether it completed and how fast, the most pods
//! unavailable and surged at any moment, the pulls its pods caused, how many rollouts the
//! timeline started, and a condition at the end (`ProgressDeadlineExceeded`,
//! `Available=True`).

use std::time::Duration;

use pullsim_model::controllers::{deployment, job};
use pullsim_model::go_text::quote;
use pullsim_sim::RolloutMetrics;

use super::wording::bounds_text;
use super::workload_object::RolloutSubject;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, Fields, boolean, bounds, duration, number, text};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged, clock, duration as duration_text};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "rollout",
    docs: r"| `rollout: {...}` | `workload` (`kind/name`, as kubectl writes it) | `namespace` (default `default`) | the workload object's last rollout (its creation when none): at least one of `complete` (bool), `within` (a duration: complete, at most this long after it started), `maxUnavailable`, `maxSurge` (bounds: the most desired pods unavailable, the most pods above the desired count, at any moment), `pulls` (bounds: pulls its pods started), `rollouts` (bounds: template changes after creation), `condition` (a reason such as `ProgressDeadlineExceeded`, or `Type=Status` such as `Available=True`, held at the end) |",
    pod_or_workload: false,
    workload_object: true,
    read,
};

/// The condition types the controllers set.
const CONDITION_TYPES: [&str; 7] = [
    deployment::PROGRESSING,
    deployment::AVAILABLE,
    "ReplicaFailure",
    job::SUCCESS_CONDITIONS[0],
    job::SUCCESS_CONDITIONS[1],
    job::FAILURE_CONDITIONS[0],
    job::FAILURE_CONDITIONS[1],
];

/// The condition reasons the controllers set.
const CONDITION_REASONS: [&str; 9] = [
    deployment::NEW_REPLICA_SET_CREATED,
    deployment::REPLICA_SET_UPDATED,
    deployment::NEW_REPLICA_SET_AVAILABLE,
    deployment::PROGRESS_DEADLINE_EXCEEDED,
    deployment::MINIMUM_REPLICAS_AVAILABLE,
    deployment::MINIMUM_REPLICAS_UNAVAILABLE,
    job::DEADLINE_EXCEEDED,
    job::BACKOFF_LIMIT_EXCEEDED,
    job::COMPLETIONS_REACHED,
];

/// A workload object's last rollout, as far as asserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// The object.
    pub subject: RolloutSubject,
    /// Whether it completed by the end.
    pub complete: Option<bool>,
    /// Complete, at most this long after it started.
    pub within: Option<Duration>,
    /// The most desired pods unavailable at any moment.
    pub max_unavailable: Option<Bounds<u32>>,
    /// The most pods above the desired count at any moment.
    pub max_surge: Option<Bounds<u32>>,
    /// Pulls its pods started.
    pub pulls: Option<Bounds<u64>>,
    /// Template changes after its creation.
    pub rollouts: Option<Bounds<u32>>,
    /// A condition it holds at the end.
    pub condition: Option<ConditionMatch>,
}

/// A condition an object holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionMatch {
    /// Any condition with this reason (`ProgressDeadlineExceeded`).
    Reason(String),
    /// A condition of this type with this status (`Available=True`).
    Status {
        /// Its type.
        condition: String,
        /// `True`, `False` or `Unknown`.
        status: String,
    },
}

impl ConditionMatch {
    /// Whether `written` (`type=status (reason)`, as `RolloutMetrics::conditions` has it)
    /// is such a condition.
    fn matches(&self, written: &str) -> bool {
        let (type_status, reason) = match written.split_once(" (") {
            Some((type_status, rest)) => (type_status, rest.strip_suffix(')').unwrap_or(rest)),
            None => (written, ""),
        };
        match self {
            ConditionMatch::Reason(wanted) => reason == wanted,
            ConditionMatch::Status { condition, status } => {
                type_status.split_once('=') == Some((condition.as_str(), status.as_str()))
            }
        }
    }

    fn text(&self) -> String {
        match self {
            ConditionMatch::Reason(reason) => format!("a condition with reason {reason}"),
            ConditionMatch::Status { condition, status } => {
                format!("condition {condition}={status}")
            }
        }
    }
}

/// Reads `Type=Status` or a reason, each known.
fn condition(node: &Node, diagnostics: &mut Diagnostics) -> Option<ConditionMatch> {
    let written = text(node, diagnostics)?;
    match written.split_once('=') {
        Some((condition, status)) => {
            let known_type = CONDITION_TYPES.contains(&condition);
            if !known_type {
                diagnostics.error(
                    node.position,
                    unknown_value_message("condition type", condition, &CONDITION_TYPES),
                );
            }
            let statuses = ["True", "False", "Unknown"];
            let known_status = statuses.contains(&status);
            if !known_status {
                diagnostics.error(
                    node.position,
                    unknown_value_message("condition status", status, &statuses),
                );
            }
            (known_type && known_status).then(|| ConditionMatch::Status {
                condition: condition.to_owned(),
                status: status.to_owned(),
            })
        }
        None if CONDITION_REASONS.contains(&written.as_str()) => {
            Some(ConditionMatch::Reason(written))
        }
        None => {
            let mut message =
                unknown_value_message("condition reason", &written, &CONDITION_REASONS);
            if CONDITION_TYPES.contains(&written.as_str()) {
                message = format!(
                    "{} is a condition type: write {}=True or {}=False, or a reason",
                    quote(&written),
                    written,
                    written
                );
            }
            diagnostics.error(node.position, message);
            None
        }
    }
}

fn read(reading: &mut Reading<'_>, _: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let subject = RolloutSubject::read(reading, diagnostics);
    let mut fields = Fields::of(reading.value, "rollout figures", diagnostics)?;
    let position = fields.position();
    let complete_node = fields.get("complete");
    let complete = complete_node.map(|n| boolean(n, diagnostics));
    let within = fields.get("within").map(|n| duration(n, diagnostics));
    let max_unavailable = fields
        .get("maxUnavailable")
        .map(|n| bounds(n, diagnostics, number::<u32>));
    let max_surge = fields
        .get("maxSurge")
        .map(|n| bounds(n, diagnostics, number::<u32>));
    let pulls = fields
        .get("pulls")
        .map(|n| bounds(n, diagnostics, number::<u64>));
    let rollouts = fields
        .get("rollouts")
        .map(|n| bounds(n, diagnostics, number::<u32>));
    let condition = fields.get("condition").map(|n| condition(n, diagnostics));
    fields.finish(diagnostics);
    let nothing = [
        complete.is_none(),
        within.is_none(),
        max_unavailable.is_none(),
        max_surge.is_none(),
        pulls.is_none(),
        rollouts.is_none(),
        condition.is_none(),
    ];
    if nothing.iter().all(|absent| *absent) {
        diagnostics.error(
            position,
            "rollout needs at least one of complete, within, maxUnavailable, maxSurge, pulls, rollouts, condition",
        );
        return None;
    }
    if let (Some(Some(false)), Some(_), Some(node)) = (complete, &within, complete_node) {
        diagnostics.error(
            node.position,
            "within says how fast the rollout completed; it cannot go with complete: false",
        );
        return None;
    }
    Some(Check::Rollout(Rollout {
        subject: subject?,
        complete: optional(complete)?,
        within: optional(within)?,
        max_unavailable: optional(max_unavailable)?,
        max_surge: optional(max_surge)?,
        pulls: optional(pulls)?,
        rollouts: optional(rollouts)?,
        condition: optional(condition)?,
    }))
}

/// A field that may be absent: `Some(None)` when absent, `None` when written wrong.
fn optional<T>(value: Option<Option<T>>) -> Option<Option<T>> {
    value.map_or(Some(None), |value| value.map(Some))
}

impl Rollout {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let subject = self.subject.subject();
        let expected = self.expected();
        let Some(figures) = self.subject.figures(evidence) else {
            return Judged {
                subject,
                expected,
                actual: "no rollout figures (the run has no such object)".to_owned(),
                passed: false,
            };
        };
        let (passed, actual) = self.compare(figures);
        Judged {
            subject,
            expected,
            actual,
            passed,
        }
    }

    /// What is asserted, in words.
    fn expected(&self) -> String {
        let count = |n: u32| n.to_string();
        let mut parts = Vec::new();
        match (self.complete, self.within) {
            (_, Some(within)) => parts.push(format!("complete within {}", duration_text(within))),
            (Some(true), None) => parts.push("complete".to_owned()),
            (Some(false), None) => parts.push("not complete".to_owned()),
            (None, None) => {}
        }
        if let Some(bounds) = &self.max_unavailable {
            parts.push(format!("max unavailable {}", bounds_text(bounds, count)));
        }
        if let Some(bounds) = &self.max_surge {
            parts.push(format!("max surge {}", bounds_text(bounds, count)));
        }
        if let Some(bounds) = &self.pulls {
            parts.push(format!(
                "pulls {}",
                bounds_text(bounds, |n: u64| n.to_string())
            ));
        }
        if let Some(bounds) = &self.rollouts {
            parts.push(format!("rollouts {}", bounds_text(bounds, count)));
        }
        if let Some(condition) = &self.condition {
            parts.push(condition.text());
        }
        parts.join(", ")
    }

    /// Whether `figures` hold every assertion, and what they are, for the same parts.
    fn compare(&self, figures: &RolloutMetrics) -> (bool, String) {
        let mut passed = true;
        let mut parts = Vec::new();
        if self.complete.is_some() || self.within.is_some() {
            let complete_in = figures.duration.filter(|_| figures.complete);
            passed &= match (self.complete, self.within) {
                (_, Some(within)) => complete_in.is_some_and(|length| length <= within),
                (Some(wanted), None) => figures.complete == wanted,
                (None, None) => true,
            };
            parts.push(match complete_in {
                Some(length) => format!(
                    "complete {} after it started at {}",
                    duration_text(length),
                    clock(figures.started)
                ),
                None => format!("not complete (started at {})", clock(figures.started)),
            });
        }
        let mut figure = |bounds: Option<&Bounds<u64>>, value: u64, label: &str| {
            if let Some(bounds) = bounds {
                passed &= bounds.contains(value);
                parts.push(format!("{label} {value}"));
            }
        };
        let widen = |bounds: &Option<Bounds<u32>>| {
            bounds.map(|bounds| Bounds {
                min: bounds.min.map(u64::from),
                max: bounds.max.map(u64::from),
            })
        };
        figure(
            widen(&self.max_unavailable).as_ref(),
            u64::from(figures.max_unavailable),
            "max unavailable",
        );
        figure(
            widen(&self.max_surge).as_ref(),
            u64::from(figures.max_surge),
            "max surge",
        );
        figure(self.pulls.as_ref(), figures.pulls, "pulls");
        figure(
            widen(&self.rollouts).as_ref(),
            u64::from(figures.rollouts),
            "rollouts",
        );
        if let Some(condition) = &self.condition {
            passed &= figures.conditions.iter().any(|c| condition.matches(c));
            parts.push(if figures.conditions.is_empty() {
                "no conditions".to_owned()
            } else {
                format!("conditions {}", figures.conditions.join(", "))
            });
        }
        (passed, parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::super::workload_object::{figures, judge_with, read_text};
    use super::*;
    use crate::diagnostics::Position;

    fn rollout(yaml: &str) -> Rollout {
        match read_text(yaml) {
            Ok(Check::Rollout(rollout)) => rollout,
            other => panic!("not a rollout: {other:?}"),
        }
    }

    #[test]
    fn every_figure_is_read() {
        let read = rollout(
            "- workload: deploy/web\n  namespace: team-a\n  rollout: {complete: true, within: 5m, maxUnavailable: {max: 2}, maxSurge: 3, pulls: {min: 1}, rollouts: 1, condition: Available=True}\n",
        );
        assert_eq!(
            read,
            Rollout {
                subject: RolloutSubject {
                    object: ObjectRef::new(WorkloadKind::Deployment, "team-a", "web"),
                    position: Position::new(1, 13),
                },
                complete: Some(true),
                within: Some(Duration::from_secs(300)),
                max_unavailable: Some(Bounds {
                    min: None,
                    max: Some(2)
                }),
                max_surge: Some(Bounds::exactly(3)),
                pulls: Some(Bounds {
                    min: Some(1),
                    max: None
                }),
                rollouts: Some(Bounds::exactly(1)),
                condition: Some(ConditionMatch::Status {
                    condition: "Available".to_owned(),
                    status: "True".to_owned()
                }),
            }
        );
        let reason = rollout(
            "- {workload: deployment/web, rollout: {condition: ProgressDeadlineExceeded}}\n",
        );
        assert_eq!(
            reason.condition,
            Some(ConditionMatch::Reason(
                "ProgressDeadlineExceeded".to_owned()
            ))
        );
    }

    #[test]
    fn mistakes_are_errors_at_their_place() {
        let cases: [(&str, &[&str]); 8] = [
            (
                "- {workload: deployment/web, rollout: {}}\n",
                &[
                    "1:39: rollout needs at least one of complete, within, maxUnavailable, maxSurge, pulls, rollouts, condition",
                ],
            ),
            (
                "- {workload: deployment/web, rollout: {complete: false, within: 5m}}\n",
                &[
                    "1:50: within says how fast the rollout completed; it cannot go with complete: false",
                ],
            ),
            (
                "- {workload: deployment/web, rollout: {condition: ProgresDeadlineExceeded}}\n",
                &[
                    "1:51: unknown condition reason \"ProgresDeadlineExceeded\" (did you mean ProgressDeadlineExceeded? expected NewReplicaSetCreated, ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, MinimumReplicasAvailable, MinimumReplicasUnavailable, DeadlineExceeded, BackoffLimitExceeded or CompletionsReached)",
                ],
            ),
            (
                "- {workload: deployment/web, rollout: {condition: Available}}\n",
                &[
                    "1:51: \"Available\" is a condition type: write Available=True or Available=False, or a reason",
                ],
            ),
            (
                "- {workload: deployment/web, rollout: {condition: Availabel=Yes}}\n",
                &[
                    "1:51: unknown condition type \"Availabel\" (did you mean Available? expected Progressing, Available, ReplicaFailure, SuccessCriteriaMet, Complete, FailureTarget or Failed)",
                    "1:51: unknown condition status \"Yes\" (expected True, False or Unknown)",
                ],
            ),
            (
                "- {workload: web, rollout: {complete: true}}\n",
                &["1:14: expected a workload as kind/name (deployment/api), found \"web\""],
            ),
            (
                "- {rollout: {complete: true}}\n",
                &["1:3: rollout needs a workload"],
            ),
            (
                "- {workload: deployment/web, rollout: {complete: yes, maxSurg: 1}}\n",
                &[
                    "1:50: expected true or false, found \"yes\"",
                    "1:55: unknown field \"maxSurg\" (did you mean \"maxSurge\"?)",
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
    fn a_complete_fast_rollout_holds_and_a_slow_one_fails() {
        let check = read_text("- {workload: deployment/web, rollout: {within: 5m, maxSurge: {max: 3}, condition: NewReplicaSetAvailable}}\n").expect("valid");
        let (passed, subject, expected, actual) = judge_with(&check, vec![figures([0, 10])]);
        assert!(passed, "{actual}");
        assert_eq!(subject, "workload deployment/web");
        assert_eq!(
            expected,
            "complete within 5m0s, max surge <= 3, a condition with reason NewReplicaSetAvailable"
        );
        assert_eq!(
            actual,
            "complete 3m20s after it started at 00:01:00.000, max surge 3, conditions Available=True (MinimumReplicasAvailable), Progressing=True (NewReplicaSetAvailable)"
        );
        let slow =
            read_text("- {workload: deployment/web, rollout: {within: 3m}}\n").expect("valid");
        assert!(!judge_with(&slow, vec![figures([0, 10])]).0);
    }

    #[test]
    fn each_figure_that_differs_fails_the_expectation() {
        let stalled = RolloutMetrics {
            complete: false,
            duration: None,
            conditions: vec!["Progressing=False (ProgressDeadlineExceeded)".to_owned()],
            ..figures([8, 3])
        };
        for (yaml, passes) in [
            ("{complete: false}", true),
            ("{complete: true}", false),
            ("{maxUnavailable: 2}", true),
            ("{maxUnavailable: 1}", false),
            ("{maxSurge: {min: 4}}", false),
            ("{pulls: 10}", true),
            ("{pulls: 9}", false),
            ("{rollouts: 2}", false),
            ("{condition: ProgressDeadlineExceeded}", true),
            ("{condition: Progressing=False}", true),
            ("{condition: Progressing=True}", false),
            ("{condition: MinimumReplicasAvailable}", false),
        ] {
            let check = read_text(&format!(
                "- {{workload: deployment/web, rollout: {yaml}}}\n"
            ))
            .expect("valid");
            assert_eq!(
                judge_with(&check, vec![stalled.clone()]).0,
                passes,
                "{yaml}"
            );
        }
        let check =
            read_text("- {workload: deployment/web, rollout: {complete: false}}\n").expect("valid");
        let (_, _, _, actual) = judge_with(&check, vec![stalled]);
        assert_eq!(actual, "not complete (started at 00:01:00.000)");
    }

    #[test]
    fn an_object_of_another_namespace_or_kind_has_no_figures() {
        for yaml in [
            "- {workload: deployment/web, namespace: other, rollout: {complete: true}}\n",
            "- {workload: sts/web, rollout: {complete: true}}\n",
        ] {
            let check = read_text(yaml).expect("valid");
            let (passed, _, _, actual) = judge_with(&check, vec![figures([0, 10])]);
            assert!(!passed, "{yaml}");
            assert_eq!(actual, "no rollout figures (the run has no such object)");
        }
    }
}
