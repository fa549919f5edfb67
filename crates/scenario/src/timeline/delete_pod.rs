//! `deletePod`: delete a pod, or every pod of a workload, by name. The pods a name stands
//! for are known once every workload is read (the timeline's own `createPod`s included),
//! so the name is kept and turned into the simulator's deletions when the world is built.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::text;
use crate::references::Known;
use crate::tree::Node;
use crate::workloads::Workload;

/// The `deletePod` action.
pub(super) const KIND: Kind = Kind {
    key: "deletePod",
    docs: "| `deletePod` | a pod's or a workload's name | delete the pod, or every pod of the workload |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    text(node, diagnostics).map(|pod| Planned::DeletePod { pod })
}

/// The deletions `name` stands for: each pod of the workload of that name, or the pod of
/// that name.
pub(super) fn deletions(workloads: &[Workload], name: &str) -> Vec<Action> {
    let delete = |namespace: &str, name: String| Action::DeletePod {
        namespace: namespace.to_owned(),
        name,
    };
    if let Some(workload) = workloads.iter().find(|w| w.name() == name) {
        return workload
            .pod_names()
            .into_iter()
            .map(|pod| delete(workload.namespace(), pod))
            .collect();
    }
    workloads
        .iter()
        .find(|w| w.pod_names().iter().any(|pod| pod == name))
        .map(|w| vec![delete(w.namespace(), name.to_owned())])
        .unwrap_or_default()
}
