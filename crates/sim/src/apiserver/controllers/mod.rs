//! The host of the workload objects (docs/semantics.md §10): the API server's table of
//! controllers, one per Deployment, ReplicaSet, DaemonSet, StatefulSet or Job applied.
//! Each entry holds its pure reconciler ([`Reconciler`], from `crate::controllers`), the
//! object as last applied, the pods it owns as the reconciler sees them ([`PodList`], kept
//! from the watch: a change costs the change, never a scan of the pod table), its template
//! revisions, its wake-up, the work queue's delayed re-add of it (after a failed sync, or
//! `minReadySeconds` after a pod turned ready), whether a sync is queued, and its rollout
//! tally.
//!
//! The folder, one concept a file:
//! - `reconciler`: the enum over the five reconcilers and what the host asks of each;
//! - `pod_list`: a controller's pods and their views, updated in place;
//! - `watcher`: changes of the watch delivered to the controllers (a view updated, a sync
//!   queued; nothing written while a change is delivered);
//! - `figures`: pulls of their pods and the rollout figures at the end;
//! - `sync`: the controller sync and wake-up events, and the actions carried out;
//! - `objects`: the timeline's workload actions (apply, set image, rollout restart,
//!   scale, delete).

mod figures;
mod objects;
mod pod_list;
mod reconciler;
mod sync;
mod watcher;

use std::collections::BTreeMap;
use std::sync::Arc;

use pullsim_model::SimTime;

use crate::api::{Pod, PodSpec};
use crate::controllers::{ObjectRef, WorkloadObject};
use crate::rollouts::RolloutTally;
use crate::trace::{ObjectId, PodId, WorkloadId};

pub(crate) use pod_list::PodList;
pub(crate) use reconciler::Reconciler;

/// A controller, by the order its object was first applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ControllerId(pub(crate) u32);

/// The owner of a controller's pod, kept beside the pod table ([`ControllerTable::owners`])
/// so that the table's records, a fleet's hundreds of thousands, stay as small as without
/// controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PodOwner {
    /// The controller that created it.
    pub(crate) controller: ControllerId,
    /// Index into the controller's [`Revision`]s.
    pub(crate) revision: u32,
    /// Its position in the controller's [`PodList`] while it exists.
    pub(crate) slot: u32,
}

/// The owners of live controller pods by pod id: a column indexed by id (ids are dense,
/// in creation order), grown only as far as the last controller pod, so a lookup at each
/// change of the watch is one load rather than a walk down a tree of every live pod.
#[derive(Debug, Default)]
pub(crate) struct PodOwners {
    by_pod: Vec<Option<PodOwner>>,
}

impl PodOwners {
    /// The owner of `pod`, if a controller created it and it is live.
    pub(crate) fn get(&self, pod: &PodId) -> Option<&PodOwner> {
        self.by_pod.get(pod.0 as usize)?.as_ref()
    }

    /// The owner of `pod`, to change it.
    pub(crate) fn get_mut(&mut self, pod: &PodId) -> Option<&mut PodOwner> {
        self.by_pod.get_mut(pod.0 as usize)?.as_mut()
    }

    /// Records the owner of a controller's new pod.
    pub(crate) fn insert(&mut self, pod: PodId, owner: PodOwner) {
        let at = pod.0 as usize;
        if self.by_pod.len() <= at {
            self.by_pod.resize(at + 1, None);
        }
        self.by_pod[at] = Some(owner);
    }

    /// Forgets a deleted pod's owner, returning it.
    pub(crate) fn remove(&mut self, pod: &PodId) -> Option<PodOwner> {
        self.by_pod.get_mut(pod.0 as usize)?.take()
    }
}

/// One template revision of a controller: who owns its pods (a Deployment's ReplicaSet, or
/// the object itself), its name, and the spec its pods are admitted from, shared by all.
#[derive(Debug)]
pub(crate) struct Revision {
    /// `PodView::owner` of its pods.
    pub(crate) owner: String,
    /// `PodView::revision` of its pods.
    pub(crate) name: String,
    /// The template it was made from.
    pub(crate) template: Arc<Pod>,
    /// The template's spec with pull policies defaulted.
    pub(crate) spec: Arc<PodSpec>,
}

/// One workload object's controller.
#[derive(Debug)]
pub(crate) struct Controller {
    /// The object as last applied (its spec is the source of every change).
    pub(crate) object: WorkloadObject,
    /// Its reference (`deployment/web`), interned for trace records.
    pub(crate) object_id: ObjectId,
    /// The drift group its pods belong to (named `deployment/web`).
    pub(crate) workload: WorkloadId,
    pub(crate) reconciler: Reconciler,
    pub(crate) pods: PodList,
    pub(crate) revisions: Vec<Revision>,
    /// The wake-up event in the queue, if any (a popped one at another instant is stale).
    pub(crate) wakeup: Option<SimTime>,
    /// The work queue's delayed re-add (`AddAfter`, `AddRateLimited`): the earliest one
    /// waiting, as upstream's delaying queue keeps only the earliest per object.
    pub(crate) requeue: Option<SimTime>,
    /// Syncs in a row that returned an error (the rate limiter's count; `Forget` resets it).
    pub(crate) failures: u32,
    /// A sync event is in the queue.
    pub(crate) sync_queued: bool,
    /// `kubectl delete` removed it.
    pub(crate) deleted: bool,
    /// It wants pods it has not created yet (a Job between batches, a rollout not done).
    pub(crate) unsettled: bool,
    /// Its rollout figures.
    pub(crate) tally: RolloutTally,
}

impl Controller {
    /// The revision called `name` owned by `owner` made from `template`, added with
    /// `spec` when new (a ReplicaSet given a new template keeps its name: a new revision).
    pub(crate) fn revision_index(
        &mut self,
        owner: &str,
        name: &str,
        template: &Arc<Pod>,
        spec: impl FnOnce() -> Arc<PodSpec>,
    ) -> u32 {
        if let Some(index) = self.revisions.iter().rposition(|r| {
            r.name == name
                && r.owner == owner
                && (Arc::ptr_eq(&r.template, template) || r.template == *template)
        }) {
            return index as u32;
        }
        self.revisions.push(Revision {
            owner: owner.to_owned(),
            name: name.to_owned(),
            template: Arc::clone(template),
            spec: spec(),
        });
        (self.revisions.len() - 1) as u32
    }
}

/// The API server's controllers and the object names trace records carry by id.
#[derive(Debug, Default)]
pub(crate) struct ControllerTable {
    pub(crate) table: Vec<Controller>,
    /// Live objects (not deleted) by reference.
    pub(crate) by_ref: BTreeMap<ObjectRef, ControllerId>,
    /// Every object a trace record named, by id.
    pub(crate) objects: Vec<ObjectRef>,
    object_ids: BTreeMap<ObjectRef, ObjectId>,
    /// The owner of every live pod a controller created.
    pub(crate) owners: PodOwners,
    /// DaemonSets, which hear of nodes added.
    pub(crate) daemon_sets: Vec<ControllerId>,
    /// Changes being delivered to the controllers (reused).
    pub(crate) delivering: Vec<crate::apiserver::watch::ApiChange>,
}

impl ControllerTable {
    /// Whether no workload object was ever applied (the watch then skips the controllers).
    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The id of an object's name, interning it.
    pub(crate) fn intern(&mut self, object: &ObjectRef) -> ObjectId {
        if let Some(id) = self.object_ids.get(object) {
            return *id;
        }
        let id = ObjectId(self.objects.len() as u32);
        self.objects.push(object.clone());
        self.object_ids.insert(object.clone(), id);
        id
    }

    /// A controller by id.
    pub(crate) fn get(&self, id: ControllerId) -> &Controller {
        &self.table[id.0 as usize]
    }

    /// A controller by id, to change it.
    pub(crate) fn get_mut(&mut self, id: ControllerId) -> &mut Controller {
        &mut self.table[id.0 as usize]
    }

    /// Whether every controller is settled: no sync queued, nothing it still wants to create.
    pub(crate) fn settled(&self) -> bool {
        self.table
            .iter()
            .all(|c| c.deleted || (!c.sync_queued && !c.unsettled))
    }
}

impl crate::sim::Sim {
    /// The workload object a trace record names.
    pub(crate) fn object_ref(&self, object: ObjectId) -> &ObjectRef {
        &self.api.controllers.objects[object.0 as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::WorkloadKind;

    #[test]
    fn object_names_are_interned_once() {
        let mut table = ControllerTable::default();
        assert!(table.is_empty() && table.settled());
        let web = ObjectRef::new(WorkloadKind::Deployment, "default", "web");
        let rs = ObjectRef::new(WorkloadKind::ReplicaSet, "default", "web-1");
        assert_eq!(table.intern(&web), ObjectId(0));
        assert_eq!(table.intern(&rs), ObjectId(1));
        assert_eq!(table.intern(&web), ObjectId(0));
        assert_eq!(table.objects, [web, rs]);
    }

    #[test]
    fn owners_are_kept_by_pod_id_while_the_pod_lives() {
        let mut owners = PodOwners::default();
        let owner = PodOwner {
            controller: ControllerId(1),
            revision: 0,
            slot: 3,
        };
        assert!(owners.get(&PodId(5)).is_none());
        owners.insert(PodId(5), owner);
        assert_eq!(owners.get(&PodId(5)), Some(&owner));
        assert!(owners.get(&PodId(4)).is_none() && owners.get(&PodId(9)).is_none());
        if let Some(record) = owners.get_mut(&PodId(5)) {
            record.slot = 7;
        }
        assert_eq!(owners.remove(&PodId(5)).map(|o| o.slot), Some(7));
        assert!(owners.remove(&PodId(5)).is_none() && owners.get(&PodId(5)).is_none());
    }
}
