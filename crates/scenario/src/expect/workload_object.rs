//! The workload object a `rollout` or `revisions` expectation is about: `workload` as
//! kubectl names it (`deployment/web`, `deploy/web`, `sts/db`), `namespace` beside it
//! (default `default`), and its figures in the run's `Metrics::rollouts`. That the scenario
//! creates the object is checked once the whole scenario is read, with the timeline's
//! workload actions.

use pullsim_sim::{ObjectRef, RolloutMetrics};

use super::Reading;
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::text;
use crate::run::judge::Evidence;
use crate::timeline::{ALL_KINDS, Accepts, object_named};

/// What a rollout expectation may name: any workload kind.
const ACCEPTS: Accepts = Accepts {
    action: "a rollout expectation",
    kinds: &ALL_KINDS,
    refusal: "is not a workload object",
};

/// The workload object an expectation is about, and where it is named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutSubject {
    /// The object.
    pub object: ObjectRef,
    /// Where `workload` is written.
    pub position: Position,
}

impl RolloutSubject {
    /// The drift group an expectation's `workload` names, with the object when it is one:
    /// `kind/name` is a workload object, whose pods form the group named as kubectl names
    /// the object; a plain name is a Pod entry's. `None` after reporting what is wrong;
    /// `Some((None, None))` when no `workload` is written.
    pub(super) fn read_group(
        reading: &mut Reading<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Option<(Option<String>, Option<RolloutSubject>)> {
        if reading.workload.as_deref().is_some_and(|w| w.contains('/')) {
            let subject = RolloutSubject::read(reading, diagnostics)?;
            Some((Some(subject.object.to_string()), Some(subject)))
        } else {
            Some((reading.workload.take(), None))
        }
    }

    /// `workload` and `namespace` of the expectation being read; `None` after reporting
    /// what is wrong.
    pub(super) fn read(
        reading: &mut Reading<'_>,
        diagnostics: &mut Diagnostics,
    ) -> Option<RolloutSubject> {
        let namespace = reading
            .fields
            .get("namespace")
            .map_or(Some("default".to_owned()), |n| text(n, diagnostics));
        let workload = reading.workload.take();
        let written = reading.need(workload, "workload", diagnostics)?;
        let position = reading.workload_position.unwrap_or(reading.position());
        let object = object_named(&written, &namespace?, &ACCEPTS, position, diagnostics)?;
        Some(RolloutSubject { object, position })
    }

    /// `workload deployment/web`, with `in namespace team-a` outside `default`.
    pub(super) fn subject(&self) -> String {
        if self.object.namespace == "default" {
            format!("workload {}", self.object)
        } else {
            format!(
                "workload {} in namespace {}",
                self.object, self.object.namespace
            )
        }
    }

    /// Its figures at the end of the run, if the run has them.
    pub(super) fn figures<'a>(&self, evidence: &Evidence<'a>) -> Option<&'a RolloutMetrics> {
        let name = self.object.to_string();
        evidence
            .metrics
            .rollouts
            .iter()
            .find(|figures| figures.workload == name && figures.namespace == self.object.namespace)
    }
}

/// Reads one expectation written as YAML, or its errors as `line:column: message`.
#[cfg(test)]
pub(super) fn read_text(yaml: &str) -> Result<super::Check, Vec<String>> {
    let mut diagnostics = Diagnostics::default();
    let known = crate::references::Known::default();
    let read = crate::tree::parse_document(yaml, &mut diagnostics)
        .map(|root| super::read_expectations(&root, &known, &mut diagnostics))
        .unwrap_or_default();
    match diagnostics.finish("f.yaml") {
        None => Ok(read
            .into_iter()
            .next()
            .expect("one expectation when there are no errors")
            .check),
        Some(errors) => Err(errors
            .errors
            .iter()
            .map(|error| format!("{}: {}", error.position, error.message))
            .collect()),
    }
}

/// Judges `check` against a run whose only figures are `rollouts`: `(passed, subject,
/// expected, actual)`.
#[cfg(test)]
pub(super) fn judge_with(
    check: &super::Check,
    rollouts: Vec<RolloutMetrics>,
) -> (bool, String, String, String) {
    use pullsim_model::SimTime;

    let scenario = crate::Scenario::parse("t.yaml", "name: t\ndescription: d\nrun: {for: 10m}\n")
        .expect("a minimal scenario");
    let metrics = crate::run::rollouts_metrics(rollouts);
    let story = crate::run::judge::Story::default();
    let evidence = Evidence {
        scenario: &scenario,
        story: &story,
        metrics: &metrics,
        end: SimTime::from_secs(600),
    };
    let judged = check.judge(&evidence);
    (
        judged.passed,
        judged.subject,
        judged.expected,
        judged.actual,
    )
}

/// A Deployment's figures: `web` in `default`, revisions 1 and 2 with these pods.
#[cfg(test)]
pub(super) fn figures(pods: [u32; 2]) -> RolloutMetrics {
    use std::time::Duration;

    use pullsim_model::SimTime;
    use pullsim_sim::RevisionPods;

    RolloutMetrics {
        workload: "deployment/web".to_owned(),
        namespace: "default".to_owned(),
        rollouts: 1,
        started: SimTime::from_secs(60),
        duration: Some(Duration::from_secs(200)),
        complete: true,
        max_unavailable: 2,
        max_surge: 3,
        revisions: vec![
            RevisionPods {
                revision: 1,
                name: "web-5d4f8c7b9".to_owned(),
                pods: pods[0],
                ready: pods[0],
            },
            RevisionPods {
                revision: 2,
                name: "web-6b7c9d8f5".to_owned(),
                pods: pods[1],
                ready: pods[1],
            },
        ],
        pulls: 10,
        conditions: vec![
            "Available=True (MinimumReplicasAvailable)".to_owned(),
            "Progressing=True (NewReplicaSetAvailable)".to_owned(),
        ],
        desired: 10,
        updated: pods[1],
        available: pods[0] + pods[1],
    }
}
