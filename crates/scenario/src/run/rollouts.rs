//! The transcript's `rollouts` section: per workload object of the run's
//! `Metrics::rollouts`, its state in `kubectl rollout status`'s words, its pods per
//! revision (a Deployment's ReplicaSets), and its figures: rollouts, how long the last one
//! took, the most pods unavailable and surged, the pulls, how long it ran mixed digests,
//! and the conditions at the end. Printed only when there is a workload object, so a run of
//! bare pods keeps its transcript.
//!
//! The status line is kubectl's (pkg/polymorphichelpers/rollout_status.go, the
//! `DeploymentStatusViewer`, `DaemonSetStatusViewer` and `StatefulSetStatusViewer`), worded
//! from the controller's own status figures at the end (`RolloutMetrics::desired`,
//! `updated`, `available`: `spec.replicas`, `updatedReplicas`, `availableReplicas`; a
//! DaemonSet's `desiredNumberScheduled`, `updatedNumberScheduled`, `numberAvailable`,
//! counted in nodes; a StatefulSet's `readyReplicas`) and the pods at the end (`replicas`:
//! every revision's). The object's last spec in the scenario (after every `apply` and
//! `scale` before the end) gives its strategy and partition. A StatefulSet's
//! `rollingUpdate` always has a partition once the API server defaulted it, so kubectl
//! prints the partitioned texts. kubectl has no status viewer for ReplicaSets and Jobs:
//! their line counts ready pods, or gives the Job's conditions.

use std::fmt::Write as _;

use pullsim_model::SimTime;
use pullsim_model::controllers::deployment::PROGRESS_DEADLINE_EXCEEDED;
use pullsim_sim::controllers::{DaemonSetUpdateStrategy, StatefulSetUpdateStrategy};
use pullsim_sim::{Action, Metrics, RolloutMetrics, WorkloadSpec};

use crate::run::format::{aligned, clock, duration};
use crate::scenario::Scenario;
use crate::timeline::Planned;

/// The section and the blank line after it, when the run has workload objects.
pub(crate) fn rollouts(out: &mut String, scenario: &Scenario, metrics: &Metrics, end: SimTime) {
    if metrics.rollouts.is_empty() {
        return;
    }
    out.push_str("rollouts\n");
    for figures in &metrics.rollouts {
        let spec = last_spec(scenario, figures, end);
        let object = if figures.namespace == "default" {
            figures.workload.clone()
        } else {
            format!("{} in namespace {}", figures.workload, figures.namespace)
        };
        let _ = writeln!(out, "  {object}: {}", status(figures, spec.as_ref()));
        revisions(out, figures);
        let _ = writeln!(out, "    {}", summary(figures, metrics));
        if !figures.conditions.is_empty() {
            let _ = writeln!(out, "    conditions {}", figures.conditions.join(", "));
        }
    }
    out.push('\n');
}

/// The object's spec as the scenario leaves it by `end`: its manifest, then every `apply`
/// and `scale` of it before the end, in order.
fn last_spec(scenario: &Scenario, figures: &RolloutMetrics, end: SimTime) -> Option<WorkloadSpec> {
    let named = |object: &pullsim_sim::ObjectRef| {
        object.to_string() == figures.workload && object.namespace == figures.namespace
    };
    let mut spec = scenario
        .workloads
        .iter()
        .filter(|workload| workload.at <= end)
        .filter_map(|workload| workload.object())
        .find(|object| named(&object.object_ref()))
        .map(|object| object.spec.clone());
    for timed in scenario.timeline.iter().filter(|timed| timed.at <= end) {
        match &timed.action {
            Planned::Action(Action::Apply(object)) if named(&object.object_ref()) => {
                spec = Some(object.spec.clone());
            }
            Planned::Action(Action::Scale { workload, replicas }) if named(workload) => {
                match spec.as_mut() {
                    Some(WorkloadSpec::Deployment(spec)) => spec.replicas = *replicas,
                    Some(WorkloadSpec::ReplicaSet(spec)) => spec.replicas = *replicas,
                    Some(WorkloadSpec::StatefulSet(spec)) => spec.replicas = *replicas,
                    _ => {}
                }
            }
            _ => {}
        }
    }
    spec
}

/// All pods of the object at the end, and how many are ready.
fn counts(figures: &RolloutMetrics) -> (u32, u32) {
    let total = figures.revisions.iter().map(|r| r.pods).sum();
    let ready = figures.revisions.iter().map(|r| r.ready).sum();
    (total, ready)
}

/// The object's name without its kind: `web` of `deployment/web`.
fn name_of(figures: &RolloutMetrics) -> &str {
    figures
        .workload
        .split_once('/')
        .map_or(figures.workload.as_str(), |(_, name)| name)
}

/// `kubectl rollout status`' line for the object.
fn status(figures: &RolloutMetrics, spec: Option<&WorkloadSpec>) -> String {
    let name = name_of(figures);
    let (total, ready) = counts(figures);
    let (desired, updated, available) = (figures.desired, figures.updated, figures.available);
    match spec {
        Some(WorkloadSpec::Deployment(_)) => {
            let timed_out = figures
                .conditions
                .iter()
                .any(|c| c.contains(&format!("({PROGRESS_DEADLINE_EXCEEDED})")));
            if timed_out {
                return format!("error: deployment \"{name}\" exceeded its progress deadline");
            }
            let waiting = |what: String| {
                format!("Waiting for deployment \"{name}\" rollout to finish: {what}...")
            };
            if updated < desired {
                waiting(format!(
                    "{updated} out of {desired} new replicas have been updated"
                ))
            } else if total > updated {
                waiting(format!(
                    "{} old replicas are pending termination",
                    total - updated
                ))
            } else if available < updated {
                waiting(format!(
                    "{available} of {updated} updated replicas are available"
                ))
            } else {
                format!("deployment \"{name}\" successfully rolled out")
            }
        }
        Some(WorkloadSpec::DaemonSet(spec)) => {
            if matches!(spec.update_strategy, DaemonSetUpdateStrategy::OnDelete) {
                return "error: rollout status is only available for RollingUpdate strategy type"
                    .to_owned();
            }
            // `desiredNumberScheduled` counts nodes (a node surging holds two pods).
            let waiting = |what: String| {
                format!("Waiting for daemon set \"{name}\" rollout to finish: {what}...")
            };
            if updated < desired {
                waiting(format!(
                    "{updated} out of {desired} new pods have been updated"
                ))
            } else if available < desired {
                waiting(format!(
                    "{available} of {desired} updated pods are available"
                ))
            } else {
                format!("daemon set \"{name}\" successfully rolled out")
            }
        }
        Some(WorkloadSpec::StatefulSet(spec)) => {
            let StatefulSetUpdateStrategy::RollingUpdate { partition } = spec.update_strategy
            else {
                return "error: rollout status is only available for RollingUpdate strategy type"
                    .to_owned();
            };
            // `available` is the StatefulSet's `readyReplicas`.
            let wanted = desired.saturating_sub(partition);
            if available < desired {
                format!("Waiting for {} pods to be ready...", desired - available)
            } else if updated < wanted {
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {wanted} new pods have been updated..."
                )
            } else {
                format!("partitioned roll out complete: {updated} new pods have been updated...")
            }
        }
        Some(WorkloadSpec::ReplicaSet(spec)) => {
            format!("{ready} of {} pods ready", spec.replicas)
        }
        Some(WorkloadSpec::Job(_)) => {
            if figures.complete {
                "finished".to_owned()
            } else {
                format!("{total} pods active, {ready} ready")
            }
        }
        None => format!("{ready} of {total} pods ready"),
    }
}

/// The pods of each revision: a table of revision, name, pods and ready pods.
fn revisions(out: &mut String, figures: &RolloutMetrics) {
    if figures.revisions.is_empty() {
        return;
    }
    let header = ["REVISION", "NAME", "PODS", "READY"]
        .map(str::to_owned)
        .to_vec();
    let rows = figures.revisions.iter().map(|r| {
        vec![
            r.revision.to_string(),
            r.name.clone(),
            r.pods.to_string(),
            r.ready.to_string(),
        ]
    });
    let cells: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    for line in aligned(&cells, &[false, false, true, true]) {
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
}

/// `1 rollout, started at 00:01:00.000, complete after 3m20s; at most 2 unavailable and 3
/// surged; 10 pulls; mixed for 2m0s`.
fn summary(figures: &RolloutMetrics, metrics: &Metrics) -> String {
    let mut text = match figures.rollouts {
        0 => format!("created at {}", clock(figures.started)),
        1 => format!("1 rollout, started at {}", clock(figures.started)),
        many => format!(
            "{many} rollouts, the last started at {}",
            clock(figures.started)
        ),
    };
    match figures.duration.filter(|_| figures.complete) {
        Some(length) => {
            let _ = write!(text, ", complete after {}", duration(length));
        }
        None => text.push_str(", not complete"),
    }
    let _ = write!(
        text,
        "; at most {} unavailable and {} surged; {} {}",
        figures.max_unavailable,
        figures.max_surge,
        figures.pulls,
        if figures.pulls == 1 { "pull" } else { "pulls" }
    );
    if let Some(drift) = metrics
        .workloads
        .iter()
        .find(|drift| drift.workload == figures.workload)
    {
        let _ = write!(text, "; mixed for {}", duration(drift.mixed_duration));
    }
    text
}

/// A run's figures with only these rollout figures: the rollout judges' and this
/// section's tests.
#[cfg(test)]
pub(crate) fn metrics_with(rollouts: Vec<RolloutMetrics>) -> Metrics {
    Metrics {
        requests: 0,
        bytes_served: 0,
        registry: Vec::new(),
        sources: Vec::new(),
        content_hits: 0,
        fetched: 0,
        pulls_started: 0,
        pulls_succeeded: 0,
        pulls_failed: 0,
        pulls_avoided: 0,
        peak_requests_per_second: None,
        pods_in_backoff: Vec::new(),
        requests_per_minute: Vec::new(),
        pods_by_state: Vec::new(),
        workloads: Vec::new(),
        running_times: Vec::new(),
        rollouts,
        pods: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pullsim_sim::RevisionPods;

    use super::*;

    /// A scenario with a Deployment `web` of 10 replicas, a StatefulSet `db` of 3 and a
    /// DaemonSet `agent`, scaled to 4 at 5m when `scaled`.
    fn scenario(scaled: bool) -> Scenario {
        let template = |app: &str| {
            format!(
                "      selector: {{matchLabels: {{app: {app}}}}}\n      template:\n        metadata: {{labels: {{app: {app}}}}}\n        spec:\n          containers: [{{name: app, image: registry.example.com/app:v1}}]\n"
            )
        };
        let mut text = format!(
            "name: t\ndescription: d\nregistries:\n  - host: registry.example.com\n    images: [{{repository: app, tag: v1}}]\nnodes:\n  - pool: workers\n    count: 2\nrun: {{for: 10m}}\nworkloads:\n  - apiVersion: apps/v1\n    kind: Deployment\n    metadata: {{name: web}}\n    spec:\n      replicas: 10\n{}  - apiVersion: apps/v1\n    kind: StatefulSet\n    metadata: {{name: db}}\n    spec:\n      replicas: 3\n      serviceName: db\n{}  - apiVersion: apps/v1\n    kind: DaemonSet\n    metadata: {{name: agent}}\n    spec:\n{}",
            template("web"),
            template("db"),
            template("agent")
        );
        if scaled {
            text.push_str("timeline:\n  - {at: 5m, scale: {workload: deploy/web, replicas: 4}}\n");
        }
        Scenario::parse("t.yaml", &text).expect("a valid scenario")
    }

    /// Figures of `workload` with `pods` (pods, ready) per revision: the status counts as
    /// the controller gives them (`desired` the scenario's replicas, a DaemonSet's the pods).
    fn figures(workload: &str, pods: &[(u32, u32)], complete: bool) -> RolloutMetrics {
        let total: u32 = pods.iter().map(|(pods, _)| pods).sum();
        let desired = match workload {
            "deployment/web" => 10,
            "statefulset/db" => 3,
            _ => total,
        };
        RolloutMetrics {
            workload: workload.to_owned(),
            namespace: "default".to_owned(),
            rollouts: 1,
            started: SimTime::from_secs(60),
            duration: complete.then_some(Duration::from_secs(200)),
            complete,
            max_unavailable: 2,
            max_surge: 3,
            revisions: pods
                .iter()
                .enumerate()
                .map(|(index, (pods, ready))| RevisionPods {
                    revision: u32::try_from(index).unwrap_or(0) + 1,
                    name: format!(
                        "{}-rev{}",
                        workload.split('/').nth(1).unwrap_or(""),
                        index + 1
                    ),
                    pods: *pods,
                    ready: *ready,
                })
                .collect(),
            pulls: 10,
            conditions: Vec::new(),
            desired,
            updated: pods.last().map_or(0, |(pods, _)| *pods),
            available: pods.iter().map(|(_, ready)| ready).sum(),
        }
    }

    fn status_of(scaled: bool, figures: &RolloutMetrics) -> String {
        let scenario = scenario(scaled);
        status(
            figures,
            last_spec(&scenario, figures, SimTime::from_secs(600)).as_ref(),
        )
    }

    #[test]
    fn a_deployments_status_is_kubectls_first_unmet_step() {
        let web = |pods: &[(u32, u32)], complete| figures("deployment/web", pods, complete);
        assert_eq!(
            status_of(false, &web(&[(8, 8), (3, 0)], false)),
            "Waiting for deployment \"web\" rollout to finish: 3 out of 10 new replicas have been updated..."
        );
        assert_eq!(
            status_of(false, &web(&[(2, 2), (10, 10)], false)),
            "Waiting for deployment \"web\" rollout to finish: 2 old replicas are pending termination..."
        );
        assert_eq!(
            status_of(false, &web(&[(0, 0), (10, 7)], false)),
            "Waiting for deployment \"web\" rollout to finish: 7 of 10 updated replicas are available..."
        );
        assert_eq!(
            status_of(false, &web(&[(0, 0), (10, 10)], true)),
            "deployment \"web\" successfully rolled out"
        );
        // Scaled to 4 before the end: 4 updated replicas are all it wants.
        let scaled = RolloutMetrics {
            desired: 4,
            ..web(&[(0, 0), (4, 4)], true)
        };
        assert_eq!(
            status_of(true, &scaled),
            "deployment \"web\" successfully rolled out"
        );
        let stalled = RolloutMetrics {
            conditions: vec!["Progressing=False (ProgressDeadlineExceeded)".to_owned()],
            ..web(&[(8, 8), (3, 0)], false)
        };
        assert_eq!(
            status_of(false, &stalled),
            "error: deployment \"web\" exceeded its progress deadline"
        );
    }

    #[test]
    fn statefulset_and_daemonset_statuses_are_kubectls() {
        let db = |pods: &[(u32, u32)], complete| figures("statefulset/db", pods, complete);
        assert_eq!(
            status_of(false, &db(&[(2, 2), (1, 0)], false)),
            "Waiting for 1 pods to be ready..."
        );
        assert_eq!(
            status_of(false, &db(&[(2, 2), (1, 1)], false)),
            "Waiting for partitioned roll out to finish: 1 out of 3 new pods have been updated..."
        );
        assert_eq!(
            status_of(false, &db(&[(0, 0), (3, 3)], true)),
            "partitioned roll out complete: 3 new pods have been updated..."
        );
        let agent = |pods: &[(u32, u32)], complete| figures("daemonset/agent", pods, complete);
        assert_eq!(
            status_of(false, &agent(&[(1, 1), (1, 0)], false)),
            "Waiting for daemon set \"agent\" rollout to finish: 1 out of 2 new pods have been updated..."
        );
        assert_eq!(
            status_of(false, &agent(&[(0, 0), (2, 1)], false)),
            "Waiting for daemon set \"agent\" rollout to finish: 1 of 2 updated pods are available..."
        );
        assert_eq!(
            status_of(false, &agent(&[(0, 0), (2, 2)], true)),
            "daemon set \"agent\" successfully rolled out"
        );
        // Mid-surge on 4 nodes: 5 pods, one node with both; kubectl's N counts nodes.
        let surging = RolloutMetrics {
            desired: 4,
            updated: 1,
            available: 4,
            ..agent(&[(4, 4), (1, 0)], false)
        };
        assert_eq!(
            status_of(false, &surging),
            "Waiting for daemon set \"agent\" rollout to finish: 1 out of 4 new pods have been updated..."
        );
    }

    #[test]
    fn the_section_shows_each_objects_status_revisions_and_figures() {
        let scenario = scenario(false);
        let mut stalled = figures("deployment/web", &[(8, 8), (3, 0)], false);
        stalled.conditions = vec![
            "Available=True (MinimumReplicasAvailable)".to_owned(),
            "Progressing=True (ReplicaSetUpdated)".to_owned(),
        ];
        let metrics = metrics_with(vec![stalled]);
        let mut out = String::new();
        rollouts(&mut out, &scenario, &metrics, SimTime::from_secs(600));
        assert_eq!(
            out,
            "\
rollouts
  deployment/web: Waiting for deployment \"web\" rollout to finish: 3 out of 10 new replicas have been updated...
    REVISION  NAME      PODS  READY
    1         web-rev1     8      8
    2         web-rev2     3      0
    1 rollout, started at 00:01:00.000, not complete; at most 2 unavailable and 3 surged; 10 pulls
    conditions Available=True (MinimumReplicasAvailable), Progressing=True (ReplicaSetUpdated)

"
        );
        let mut none = String::new();
        rollouts(
            &mut none,
            &scenario,
            &metrics_with(Vec::new()),
            SimTime::from_secs(600),
        );
        assert_eq!(none, "");
    }
}
