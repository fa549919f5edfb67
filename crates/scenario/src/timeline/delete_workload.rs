//! `deleteWorkload`: `kubectl delete`: the workload object goes, and its pods with it
//! (background cascading deletion). Every workload kind; the value is `kind/name`, or
//! `{workload, namespace}`.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::workload_ref::{ALL_KINDS, Accepts, workload_value};
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::references::Known;
use crate::tree::Node;

/// The `deleteWorkload` action.
pub(super) const KIND: Kind = Kind {
    key: "deleteWorkload",
    docs: "| `deleteWorkload` | `kind/name`, or `{workload, namespace}` | `kubectl delete`: the workload object goes, and its pods with it |",
    reader: Reader::Action(read),
};

/// What `deleteWorkload` takes: every workload kind.
const ACCEPTS: Accepts = Accepts {
    action: "deleteWorkload",
    kinds: &ALL_KINDS,
    refusal: "is not a workload object",
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    workload_value(node, &ACCEPTS, diagnostics)
        .map(|object| Planned::Action(Action::DeleteWorkload(object)))
}

#[cfg(test)]
mod tests {
    use pullsim_sim::{ObjectRef, WorkloadKind};

    use super::super::workload_ref::read_text;
    use super::*;

    #[test]
    fn a_deletion_takes_any_workload_kind() {
        assert_eq!(
            read_text(
                "- {at: 1m, deleteWorkload: job.batch/migrate}\n- {at: 2m, deleteWorkload: {workload: rs/web, namespace: a}}\n"
            ),
            Ok(vec![
                Planned::Action(Action::DeleteWorkload(ObjectRef::new(
                    WorkloadKind::Job,
                    "default",
                    "migrate"
                ))),
                Planned::Action(Action::DeleteWorkload(ObjectRef::new(
                    WorkloadKind::ReplicaSet,
                    "a",
                    "web"
                ))),
            ])
        );
    }

    #[test]
    fn a_pod_or_an_unknown_type_is_refused() {
        assert_eq!(
            read_text(
                "- {at: 1m, deleteWorkload: pod/web-0}\n- {at: 2m, deleteWorkload: {namespace: a}}\n"
            ),
            Err(vec![
                "1:28: \"pod/web-0\": pods are not workload objects; deletePod deletes a pod"
                    .to_owned(),
                "2:28: missing field \"workload\"".to_owned(),
            ])
        );
        assert_eq!(
            read_text("- {at: 1m, deleteWorkload: cronjob/nightly}\n"),
            Err(vec![
                "1:28: the server doesn't have a resource type \"cronjob\"".to_owned()
            ])
        );
    }
}
