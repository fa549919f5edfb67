//! The pod table as the API server stores it: records (deleted pods stay, so ids never
//! move), the lookups of a pod's name, namespace, UID, node and spec, and deletion.
//!
//! A fleet creates hundreds of thousands of pods, so a record keeps only what cannot be
//! derived: a replica's name is `<workload>-<replica>` and is printed when shown, a
//! namespace is an index into the namespaces seen, and a UID follows from the id (UIDs
//! are issued in creation order, one per stored pod). Everything that shows a pod prints
//! the same text as if the strings were stored.

use std::sync::Arc;

use crate::api::PodSpec;
use crate::apiserver::names::{PodName, PodUid, name_hash, prints_as};
use crate::apiserver::watch::ApiChange;
use crate::engine::Chunked;
use crate::kubelet::PodState;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent, WorkloadId};

/// One pod as stored (deleted pods stay, marked, so ids never move).
#[derive(Debug)]
pub(crate) struct PodRecord {
    /// The name of a pod created on its own; `None` for a workload's replica, whose name
    /// is `<workload>-<replica>`.
    pub(crate) own_name: Option<Box<str>>,
    /// Index into the namespaces seen ([`PodNames`]).
    pub(crate) namespace: u32,
    pub(crate) spec: Arc<PodSpec>,
    pub(crate) node: Option<NodeId>,
    pub(crate) workload: Option<(WorkloadId, u32)>,
    pub(crate) state: PodState,
}

/// The pod records by id, in chunks ([`Chunked`]): a fleet creates pods by the hundred
/// thousand, and one vector copied every record each time it doubled (and held both copies,
/// freshly zeroed pages included, at that moment). Chunks never move.
pub(crate) type PodTable = Chunked<PodRecord>;

impl Sim {
    /// A pod's name as it prints.
    pub(crate) fn pod_name(&self, pod: PodId) -> PodName<'_> {
        let record = &self.api.pods[pod.0 as usize];
        match (&record.own_name, record.workload) {
            (Some(name), _) => PodName::Own(name),
            (None, Some((workload, replica))) => PodName::Replica {
                workload: &self.api.workloads[workload.0 as usize].workload.name,
                replica,
            },
            (None, None) => PodName::Own(""),
        }
    }

    /// A pod's namespace.
    pub(crate) fn pod_namespace(&self, pod: PodId) -> &str {
        self.api
            .pod_names
            .namespace(self.api.pods[pod.0 as usize].namespace)
    }

    /// `namespace/name` of a pod.
    pub fn pod_key(&self, pod: PodId) -> String {
        format!("{}/{}", self.pod_namespace(pod), self.pod_name(pod))
    }

    /// The live pod `namespace/name`, or the last one of that name that was deleted.
    pub fn pod_id(&self, namespace: &str, name: &str) -> Option<PodId> {
        self.live_pod(namespace, name).or_else(|| {
            (0..self.api.pods.len() as u32)
                .map(PodId)
                .rev()
                .find(|pod| {
                    self.pod_namespace(*pod) == namespace && prints_as(self.pod_name(*pod), name)
                })
        })
    }

    /// The live pod `namespace/name`.
    pub(crate) fn live_pod(&self, namespace: &str, name: &str) -> Option<PodId> {
        let namespace = *self.api.pod_names.namespace_ids.get(namespace)?;
        let hash = name_hash(name);
        self.api
            .pod_names
            .candidates(namespace, hash)
            .find(|pod| prints_as(self.pod_name(*pod), name))
    }

    /// A pod's UID.
    pub fn pod_uid(&self, pod: PodId) -> String {
        PodUid::of(pod).as_str().to_owned()
    }

    /// The node a pod was bound to.
    pub fn pod_node(&self, pod: PodId) -> Option<NodeId> {
        self.api.pods[pod.0 as usize].node
    }

    /// A pod's `status.phase` as controllers read it: `Succeeded` or `Failed` once it
    /// finished, `Running` once every regular container ran, `Pending` before.
    pub(crate) fn pod_phase(&self, pod: PodId) -> crate::controllers::PodPhase {
        let state = &self.api.pods[pod.0 as usize].state;
        match state.terminal {
            Some(phase) => phase,
            None if state.running_reported => crate::controllers::PodPhase::Running,
            None => crate::controllers::PodPhase::Pending,
        }
    }

    /// When the pod last became Ready, while it is.
    pub(crate) fn pod_ready_since(&self, pod: PodId) -> Option<pullsim_model::SimTime> {
        self.api.pods[pod.0 as usize].state.ready_since
    }

    /// A pod's spec as admitted (policies defaulted, images pinned, secrets added).
    pub fn pod_spec(&self, pod: PodId) -> &PodSpec {
        &self.api.pods[pod.0 as usize].spec
    }

    /// Deletes a live pod: its worker stops and its containers stop running.
    pub(crate) fn delete(&mut self, pod: PodId) {
        let record = &mut self.api.pods[pod.0 as usize];
        if record.state.deleted {
            return;
        }
        record.state.deleted = true;
        record.state.sync = None;
        // A deleted pod's containers are never read again; their memory goes back.
        record.state.containers = Vec::new();
        record.state.generation = record.state.generation.wrapping_add(1);
        let namespace = record.namespace;
        if let Some(node) = record.node {
            let kubelet = &mut self.nodes[node.0 as usize].kubelet;
            let before = kubelet.pod_count;
            kubelet.pod_count = kubelet.pod_count.saturating_sub(1);
            self.node_load_changed(node, Some(before));
        }
        // The index holds only live pods under their own names, so removing this pod's
        // entry leaves any other pod of the same name alone.
        let hash = name_hash(self.pod_name(pod));
        self.api.pod_names.remove(namespace, hash, pod);
        self.api.unschedulable.retain(|p| *p != pod);
        self.publish(ApiChange::PodDeleted { pod });
        self.record(TraceEvent::PodDeleted { pod });
    }
}
