//! `scale`: `kubectl scale`: a Deployment's, ReplicaSet's or StatefulSet's `replicas`. Those
//! are the workloads with a scale subresource; for a DaemonSet or a Job the API server
//! answers `the server could not find the requested resource` (its 404 for a missing
//! subresource). A negative count is refused as kubectl refuses `--replicas`
//! (pkg/cmd/scale/scale.go).

use pullsim_model::SimTime;
use pullsim_sim::{Action, WorkloadKind};

use super::workload_ref::{Accepts, workload_fields};
use super::{Kind, Planned, Reader};
use crate::ceilings::PODS_MAX;
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, integer};
use crate::references::Known;
use crate::tree::Node;

/// The `scale` action.
pub(super) const KIND: Kind = Kind {
    key: "scale",
    docs: "| `scale` | `{workload, namespace, replicas}` | `kubectl scale`: the workload's `replicas` becomes `replicas` (≥ 0); deployments, replicasets and statefulsets only |",
    reader: Reader::Action(read),
};

/// What `kubectl scale` takes.
const ACCEPTS: Accepts = Accepts {
    action: "scale",
    kinds: &[
        WorkloadKind::Deployment,
        WorkloadKind::ReplicaSet,
        WorkloadKind::StatefulSet,
    ],
    refusal: "has no scale subresource: the server could not find the requested resource",
};

/// kubectl's refusal of a negative `--replicas`.
const NEGATIVE: &str =
    "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0";

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "a scaling", diagnostics)?;
    let workload = workload_fields(&mut fields, &ACCEPTS, diagnostics);
    let replicas = fields.require("replicas", diagnostics).and_then(|n| {
        let count = integer(n, diagnostics)?;
        if count < 0 {
            diagnostics.error(n.position, NEGATIVE);
            return None;
        }
        if count.unsigned_abs() > PODS_MAX {
            diagnostics.error(
                n.position,
                format!(
                    "replicas: {count} is more pods than pullsim simulates ({PODS_MAX}; see \"Limits\" in docs/scenario-format.md)"
                ),
            );
            return None;
        }
        u32::try_from(count).ok()
    });
    fields.finish(diagnostics);
    Some(Planned::Action(Action::Scale {
        workload: workload?,
        replicas: replicas?,
    }))
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::super::workload_ref::read_text;
    use super::*;

    #[test]
    fn a_scaling_names_the_workload_and_the_count() {
        assert_eq!(
            read_text("- {at: 1m, scale: {workload: deployments.apps/web, replicas: 0}}\n"),
            Ok(vec![Planned::Action(Action::Scale {
                workload: ObjectRef::new(WorkloadKind::Deployment, "default", "web"),
                replicas: 0,
            })])
        );
    }

    #[test]
    fn counts_and_kinds_kubectl_refuses_are_errors_at_their_place() {
        assert_eq!(
            read_text("- {at: 1m, scale: {workload: sts/db, replicas: -1}}\n"),
            Err(vec![
                "1:48: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".to_owned()
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, scale: {workload: sts/db, replicas: 600000}}\n"),
            Err(vec![
                "1:48: replicas: 600000 is more pods than pullsim simulates (500000; see \"Limits\" in docs/scenario-format.md)".to_owned()
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, scale: {workload: ds/agent, replicas: 2}}\n"),
            Err(vec![
                "1:30: daemonsets.apps \"agent\" has no scale subresource: the server could not find the requested resource (scale takes deployments, replicasets and statefulsets)".to_owned()
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, scale: {workload: rs/web}}\n"),
            Err(vec!["1:19: missing field \"replicas\"".to_owned()])
        );
    }
}
