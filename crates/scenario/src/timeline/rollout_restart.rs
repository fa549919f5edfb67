//! `rolloutRestart`: `kubectl rollout restart`: the template's
//! `kubectl.kubernetes.io/restartedAt` annotation is set to the action's instant, which
//! makes a new revision. kubectl restarts Deployments, DaemonSets and StatefulSets only
//! (pkg/polymorphichelpers/objectrestarter.go) and refuses the others with
//! `restarting is not supported`. The value is `kind/name`, or `{workload, namespace}`.

use pullsim_model::SimTime;
use pullsim_sim::{Action, WorkloadKind};

use super::workload_ref::{Accepts, workload_value};
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::references::Known;
use crate::tree::Node;

/// The `rolloutRestart` action.
pub(super) const KIND: Kind = Kind {
    key: "rolloutRestart",
    docs: "| `rolloutRestart` | `kind/name`, or `{workload, namespace}` | `kubectl rollout restart`: the template's `kubectl.kubernetes.io/restartedAt` annotation is set to the action's time, a new revision; deployments, daemonsets and statefulsets only |",
    reader: Reader::Action(read),
};

/// What `kubectl rollout restart` takes.
const ACCEPTS: Accepts = Accepts {
    action: "rolloutRestart",
    kinds: &[
        WorkloadKind::Deployment,
        WorkloadKind::DaemonSet,
        WorkloadKind::StatefulSet,
    ],
    refusal: "restarting is not supported",
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    workload_value(node, &ACCEPTS, diagnostics)
        .map(|object| Planned::Action(Action::RolloutRestart(object)))
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::super::workload_ref::read_text;
    use super::*;

    #[test]
    fn a_restart_names_the_workload_alone_or_with_its_namespace() {
        assert_eq!(
            read_text(
                "- {at: 1m, rolloutRestart: ds/agent}\n- {at: 2m, rolloutRestart: {workload: sts/db, namespace: data}}\n"
            ),
            Ok(vec![
                Planned::Action(Action::RolloutRestart(ObjectRef::new(
                    WorkloadKind::DaemonSet,
                    "default",
                    "agent"
                ))),
                Planned::Action(Action::RolloutRestart(ObjectRef::new(
                    WorkloadKind::StatefulSet,
                    "data",
                    "db"
                ))),
            ])
        );
    }

    #[test]
    fn kinds_kubectl_does_not_restart_are_refused_in_its_words() {
        assert_eq!(
            read_text("- {at: 1m, rolloutRestart: job/migrate}\n"),
            Err(vec![
                "1:28: jobs.batch \"migrate\" restarting is not supported (rolloutRestart takes deployments, daemonsets and statefulsets)".to_owned()
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, rolloutRestart: {workload: rs/web, namespce: a}}\n"),
            Err(vec![
                "1:39: replicasets.apps \"web\" restarting is not supported (rolloutRestart takes deployments, daemonsets and statefulsets)".to_owned(),
                "1:47: unknown field \"namespce\" (did you mean \"namespace\"?)".to_owned(),
            ])
        );
    }
}
