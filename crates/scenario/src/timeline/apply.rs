//! `apply`: `kubectl apply` of a workload manifest (Deployment, ReplicaSet, DaemonSet,
//! StatefulSet or Job, exactly as `workloads:` takes it, with `runFor` beside its fields):
//! it creates the object, or gives the object of the same kind, namespace and name this
//! spec (a new template starts a rollout). Like `createPod`, the manifest is read once
//! every Secret, ServiceAccount and node is known, by the workloads' own reader, and then
//! becomes the simulator's `Apply` at the action's time.

use pullsim_model::SimTime;
use pullsim_model::go_text::quote;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader, TimedAction};
use crate::diagnostics::Diagnostics;
use crate::tree::Node;
use crate::workloads::{Context, Origin, Pods, read_workload, written_kind};

/// The `apply` action.
pub(super) const KIND: Kind = Kind {
    key: "apply",
    docs: "| `apply` | a Deployment, ReplicaSet, DaemonSet, StatefulSet or Job manifest (with `runFor`, without `at`) | `kubectl apply`: create the object, or give the object of the same kind, namespace and name this spec (a new template starts a rollout) |",
    reader: Reader::Object,
};

/// The kinds `apply` takes.
const KINDS: [&str; 5] = [
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "Job",
];

/// Reads each `apply` manifest written at its time into the simulator's `Apply`.
pub(crate) fn read_applies(
    manifests: &[(SimTime, &Node)],
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Vec<TimedAction> {
    manifests
        .iter()
        .filter_map(|&(at, node)| {
            let object = read_object(node, at, context, diagnostics)?;
            Some(TimedAction {
                at,
                action: Planned::Action(Action::Apply(object)),
                position: node.position,
            })
        })
        .collect()
}

fn read_object(
    node: &Node,
    at: SimTime,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<pullsim_sim::WorkloadObject> {
    match written_kind(node) {
        Some(kind) if KINDS.contains(&kind) => {}
        written => {
            let position = node
                .entries()
                .and_then(|entries| entries.iter().find(|entry| entry.key == "kind"))
                .map_or(node.position, |entry| entry.value.position);
            let found = match written {
                Some("Pod") => "a Pod: createPod creates one".to_owned(),
                Some(kind) => format!("kind {}", quote(kind)),
                None => "no kind".to_owned(),
            };
            diagnostics.error(
                position,
                format!(
                    "apply takes a Deployment, ReplicaSet, DaemonSet, StatefulSet or Job manifest, found {found}"
                ),
            );
            return None;
        }
    }
    match read_workload(node, Origin::Timeline(at), context, diagnostics)?.pods {
        Pods::Object(object) => Some(object),
        Pods::Single { .. } | Pods::Replicated(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::*;
    use crate::Scenario;

    /// A scenario with a Deployment `web` (container `app`) and this timeline.
    fn scenario(timeline: &str) -> Result<Scenario, String> {
        let text = format!(
            "\
name: t
description: d
registries:
  - host: registry.example.com
    images: [{{repository: app, tag: v1}}, {{repository: app, tag: v2}}]
nodes:
  - pool: workers
    count: 2
workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
      replicas: 3
      selector: {{matchLabels: {{app: web}}}}
      template:
        metadata: {{labels: {{app: web}}}}
        spec:
          containers: [{{name: app, image: registry.example.com/app:v1}}]
run: {{for: 10m}}
timeline:
{timeline}"
        );
        Scenario::parse("x.yaml", &text).map_err(|errors| errors.to_string())
    }

    const APPLY_API: &str = "  - at: 1m
    apply:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: api}
      runFor: 2m
      spec:
        selector: {matchLabels: {app: api}}
        template:
          metadata: {labels: {app: api}}
          spec:
            containers: [{name: api, image: registry.example.com/app:v2}]
";

    #[test]
    fn an_apply_creates_an_object_later_actions_may_name_in_time_and_file_order() {
        let timeline = format!(
            "  - {{at: 1m, scale: {{workload: deploy/web, replicas: 1}}}}\n{APPLY_API}  - {{at: 1m, setImage: {{workload: deploy/api, container: api, image: registry.example.com/app:v1}}}}\n  - {{at: 30s, rolloutRestart: deploy/web}}\n"
        );
        let read = scenario(&timeline).expect("valid");
        let kinds: Vec<String> = read
            .timeline
            .iter()
            .map(|timed| match &timed.action {
                Planned::Action(Action::Apply(object)) => format!("apply {}", object.object_ref()),
                Planned::Action(Action::Scale { workload, .. }) => format!("scale {workload}"),
                Planned::Action(Action::SetImage { workload, .. }) => {
                    format!("setImage {workload}")
                }
                Planned::Action(Action::RolloutRestart(workload)) => format!("restart {workload}"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "restart deployment/web",
                "scale deployment/web",
                "apply deployment/api",
                "setImage deployment/api"
            ]
        );
        let Planned::Action(Action::Apply(object)) = &read.timeline[2].action else {
            panic!("not an apply");
        };
        assert_eq!(
            object.object_ref(),
            ObjectRef::new(WorkloadKind::Deployment, "default", "api")
        );
        assert_eq!(
            object.spec.template().pod.spec.run_for,
            Some(std::time::Duration::from_secs(120))
        );
    }

    #[test]
    fn an_action_before_the_apply_does_not_find_the_object() {
        let timeline = format!("  - {{at: 30s, rolloutRestart: deploy/api}}\n{APPLY_API}");
        assert_eq!(
            scenario(&timeline).map(|_| ()),
            Err("x.yaml:22:31: deployments.apps \"api\" not found in namespace \"default\" at 30s (workloads there: deployment/web)".to_owned())
        );
    }

    #[test]
    fn an_apply_of_a_pod_or_of_no_kind_is_refused_at_its_kind() {
        let pod = "  - at: 1m\n    apply: {apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: registry.example.com/app:v1}]}}\n";
        assert_eq!(
            scenario(pod).map(|_| ()),
            Err("x.yaml:23:35: apply takes a Deployment, ReplicaSet, DaemonSet, StatefulSet or Job manifest, found a Pod: createPod creates one".to_owned())
        );
        let none = "  - at: 1m\n    apply: {metadata: {name: p}}\n";
        assert_eq!(
            scenario(none).map(|_| ()),
            Err("x.yaml:23:12: apply takes a Deployment, ReplicaSet, DaemonSet, StatefulSet or Job manifest, found no kind".to_owned())
        );
    }

    #[test]
    fn an_applied_manifest_is_checked_as_a_workload_is() {
        let bad = APPLY_API.replace(
            "{app: api}}\n        template",
            "{app: other}}\n        template",
        );
        let errors = scenario(&bad).map(|_| ()).unwrap_err();
        assert!(errors.contains("x.yaml:"), "{errors}");
        assert!(errors.contains("selector"), "{errors}");
    }
}
