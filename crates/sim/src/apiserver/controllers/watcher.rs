//! The controllers as watchers of the API server: each change of a pod a controller owns
//! updates that pod's view in place and queues the controller's sync; a node added gives
//! every DaemonSet whose template selects it the new node set and a sync. Nothing here
//! writes an API object: the sync runs later, from the event loop (ARCHITECTURE's
//! invariant that a watcher only reacts after the change is delivered).

use pullsim_model::controllers::job::SYNC_BATCH_PERIOD;
use pullsim_model::controllers::replica_set::MIN_READY_REQUEUE_SLACK;

use crate::apiserver::watch::ApiChange;
use crate::controllers::{PodView, WorkloadSpec};
use crate::engine::Event;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId};

use super::ControllerId;

impl Sim {
    /// Delivers one change to the controllers.
    pub(crate) fn controllers_watch(&mut self, change: ApiChange) {
        match change {
            ApiChange::PodCreated { pod, .. } => self.pod_added(pod),
            ApiChange::PodBound { pod, node } => {
                let name = self.nodes[node.0 as usize].name.clone();
                self.pod_changed(pod, |view| {
                    view.node.get_or_insert(name);
                });
            }
            ApiChange::PodReady { pod } => {
                self.pod_status_changed(pod);
                self.requeue_for_availability(pod);
            }
            ApiChange::PodRunning { pod }
            | ApiChange::PodUnready { pod }
            | ApiChange::PodSucceeded { pod } => {
                self.pod_status_changed(pod);
            }
            ApiChange::PodDeleted { pod } => self.pod_removed(pod),
            ApiChange::NodeAdded { node } => self.node_added(node),
        }
    }

    /// A controller's pod was stored: its view joins the controller's list.
    fn pod_added(&mut self, pod: PodId) {
        let Some(&owner) = self.api.controllers.owners.get(&pod) else {
            return;
        };
        let name = self.pod_name(pod).to_string();
        let controller = self.api.controllers.get_mut(owner.controller);
        let revision = &controller.revisions[owner.revision as usize];
        let view = PodView::pending(name, &revision.owner, &revision.name, self.now);
        let slot = controller.pods.push(pod, view);
        if let Some(record) = self.api.controllers.owners.get_mut(&pod) {
            record.slot = slot;
        }
        self.queue_controller_sync(owner.controller, false);
    }

    /// A controller's pod changed: its view is updated and its controller will sync.
    fn pod_changed(&mut self, pod: PodId, update: impl FnOnce(&mut PodView)) {
        let Some(&owner) = self.api.controllers.owners.get(&pod) else {
            return;
        };
        let controller = self.api.controllers.get_mut(owner.controller);
        controller.pods.update(owner.slot, update);
        self.queue_controller_sync(owner.controller, false);
    }

    /// A controller's pod's phase or readiness changed: its view takes the new ones.
    fn pod_status_changed(&mut self, pod: PodId) {
        let phase = self.pod_phase(pod);
        let ready_since = self.pod_ready_since(pod);
        self.pod_changed(pod, |view| {
            view.phase = phase;
            view.ready_since = ready_since;
        });
    }

    /// A controller's pod turned ready: with `minReadySeconds` above 0 the ReplicaSet and
    /// DaemonSet controllers' `updatePod` re-add the object `minReadySeconds` + 1 s later
    /// (`enqueueRSAfter`, `enqueueDaemonSetAfter`; "Add a second to avoid milliseconds skew
    /// in AddAfter"), the sync that sees the pod available whatever else happens.
    fn requeue_for_availability(&mut self, pod: PodId) {
        let Some(&owner) = self.api.controllers.owners.get(&pod) else {
            return;
        };
        let min_ready = self
            .api
            .controllers
            .get(owner.controller)
            .object
            .spec
            .min_ready();
        if !min_ready.is_zero() {
            let at = self.now + min_ready + MIN_READY_REQUEUE_SLACK;
            self.requeue_controller(owner.controller, at);
        }
    }

    /// A controller's pod was deleted: its view leaves the list.
    fn pod_removed(&mut self, pod: PodId) {
        let Some(owner) = self.api.controllers.owners.remove(&pod) else {
            return;
        };
        let controller = self.api.controllers.get_mut(owner.controller);
        if let Some(moved) = controller.pods.remove(owner.slot)
            && let Some(record) = self.api.controllers.owners.get_mut(&moved)
        {
            record.slot = owner.slot;
        }
        self.queue_controller_sync(owner.controller, false);
    }

    /// A node joined: each DaemonSet whose template's `nodeSelector` it matches now wants a
    /// pod there.
    fn node_added(&mut self, node: NodeId) {
        let node = &self.nodes[node.0 as usize];
        let mut selected = Vec::new();
        for id in &self.api.controllers.daemon_sets {
            let controller = self.api.controllers.get(*id);
            if controller.deleted {
                continue;
            }
            let spec = &controller.object.spec.template().pod.spec;
            let matches = match &spec.node_name {
                Some(name) => *name == node.name,
                None => spec
                    .node_selector
                    .iter()
                    .all(|(key, value)| node.labels.get(key) == Some(value)),
            };
            if matches {
                selected.push(*id);
            }
        }
        let name = node.name.clone();
        for id in selected {
            let controller = self.api.controllers.get_mut(id);
            if let WorkloadSpec::DaemonSet(spec) = &mut controller.object.spec {
                spec.nodes.insert(name.clone());
            }
            controller.reconciler.set_spec(&controller.object);
            self.queue_controller_sync(id, true);
        }
    }

    /// Queues one sync of a controller, unless one is queued: now for a spec change
    /// (`immediate`) and for most pod changes, one `SYNC_BATCH_PERIOD` later for a Job's
    /// pod changes (upstream's `syncJobBatchPeriod`, which batches them).
    pub(crate) fn queue_controller_sync(&mut self, id: ControllerId, immediate: bool) {
        let controller = self.api.controllers.get_mut(id);
        if controller.sync_queued || controller.deleted {
            return;
        }
        controller.sync_queued = true;
        let batched = !immediate && matches!(controller.object.spec, WorkloadSpec::Job(_));
        let at = if batched {
            self.now + SYNC_BATCH_PERIOD
        } else {
            self.now
        };
        self.queue.push(at, Event::ControllerSync(id));
    }
}
