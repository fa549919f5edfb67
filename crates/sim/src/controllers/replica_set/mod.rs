//! The ReplicaSet controller as a pure reconciler (`pkg/controller/replicaset/replica_set.go`,
//! `syncReplicaSet` and `manageReplicas`; docs/semantics.md §10.3): it keeps `replicas`
//! active pods of its template, creating at most 500 a sync in slow-start batches of 1, 2, 4,
//! ... (`<name>-<5 characters>`) and deleting the extra ones in the victim order of
//! [`super::victims`], and reports how many of its pods are ready and available.
//! A Deployment holds one of these per ReplicaSet and changes only its `replicas`.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::controllers::replica_set::per_sync;

use super::pod_control::{self, Draw};
use super::pod_view::earliest;
use super::{
    ControllerAction, Expectations, ObjectRef, PodIndex, PodTemplate, PodView, Pods, WorkloadKind,
    victims,
};

/// `status` of a ReplicaSet: counts of its active pods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplicaSetStatus {
    /// `replicas`: active pods.
    pub replicas: u32,
    /// `readyReplicas`.
    pub ready: u32,
    /// `availableReplicas`: ready for `minReadySeconds`.
    pub available: u32,
}

/// One ReplicaSet's controller state.
#[derive(Debug, Clone)]
pub struct ReplicaSet {
    object: ObjectRef,
    template: PodTemplate,
    replicas: u32,
    min_ready: Duration,
    expectations: Expectations,
    status: ReplicaSetStatus,
    wakeup: Option<SimTime>,
}

impl ReplicaSet {
    /// A ReplicaSet `namespace/name` keeping `replicas` pods of `template`.
    pub fn new(
        name: impl Into<String>,
        template: PodTemplate,
        replicas: u32,
        min_ready: Duration,
    ) -> Self {
        let object = ObjectRef::new(
            WorkloadKind::ReplicaSet,
            template.pod.namespace.clone(),
            name,
        );
        ReplicaSet {
            object,
            template,
            replicas,
            min_ready,
            expectations: Expectations::default(),
            status: ReplicaSetStatus::default(),
            wakeup: None,
        }
    }

    /// The ReplicaSet as events name it.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// `metadata.name`.
    pub fn name(&self) -> &str {
        &self.object.name
    }

    /// `spec.template`.
    pub fn template(&self) -> &PodTemplate {
        &self.template
    }

    /// `spec.replicas`.
    pub fn replicas(&self) -> u32 {
        self.replicas
    }

    /// Sets `spec.replicas` (a Deployment's scaling, `kubectl scale`).
    pub fn set_replicas(&mut self, replicas: u32) {
        self.replicas = replicas;
    }

    /// Sets `spec.minReadySeconds` (a Deployment copies its own).
    pub fn set_min_ready(&mut self, min_ready: Duration) {
        self.min_ready = min_ready;
    }

    /// The status of the last sync or refresh.
    pub fn status(&self) -> ReplicaSetStatus {
        self.status
    }

    /// When this ReplicaSet wants to sync again with nothing changed in its view: a ready
    /// pod becoming available, or outstanding expectations timing out.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        earliest(self.wakeup, self.expectations.timeout_at())
    }

    /// Recomputes the status from `pods` (pods of other owners are ignored) without acting.
    pub fn refresh(&mut self, pods: &[PodView], now: SimTime) -> ReplicaSetStatus {
        let index = PodIndex::of(pods);
        self.refresh_in(Pods::new(pods, &index), now)
    }

    /// [`ReplicaSet::refresh`] from the pods' index: the owner's counts, and a pass over
    /// its pods only when availability depends on their ready times (`minReadySeconds`).
    pub fn refresh_in(&mut self, pods: Pods<'_>, now: SimTime) -> ReplicaSetStatus {
        let tally = pods.owner(&self.object.name);
        if self.min_ready.is_zero()
            && let Some((replicas, ready, available)) = tally.status_without_min_ready(now)
        {
            self.status = ReplicaSetStatus {
                replicas,
                ready,
                available,
            };
            self.wakeup = None;
            return self.status;
        }
        let mut status = ReplicaSetStatus::default();
        let mut wakeup = None;
        for pod in owned_active(pods.views(), &self.object.name) {
            status.replicas += 1;
            if pod.is_ready() {
                status.ready += 1;
            }
            if pod.is_available(self.min_ready, now) {
                status.available += 1;
            } else if let Some(at) = pod.available_at(self.min_ready) {
                wakeup = earliest(wakeup, Some(at));
            }
        }
        self.status = status;
        self.wakeup = wakeup;
        status
    }

    /// One sync over `pods` (the owner's pods and, for a Deployment's ReplicaSet, its
    /// siblings', which rank deletion victims) at `now`: the creations or deletions that bring
    /// its active pods to `replicas`, then the status. `draw` names new pods.
    pub fn sync(
        &mut self,
        pods: &[PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let index = PodIndex::of(pods);
        self.sync_in(Pods::new(pods, &index), now, draw)
    }

    /// [`ReplicaSet::sync`] with the pods' index, which the simulator keeps from the watch:
    /// a sync that creates or changes nothing costs the same at any pod count.
    pub fn sync_in(
        &mut self,
        pods: Pods<'_>,
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let mut actions = Vec::new();
        if self.expectations.satisfied_in(pods, now) {
            actions = self.manage(pods, now, draw);
        }
        self.refresh_in(pods, now);
        actions
    }

    /// A creation of the last sync did not happen: the API server refused it with `error`
    /// (`Some`: a `FailedCreate` event, as `PodControl` records for each refused call), or
    /// skipped it because an earlier batch had a refusal (`None`: no event). Either way it is
    /// no longer expected.
    pub fn creation_refused(&mut self, name: &str, error: Option<&str>) -> Vec<ControllerAction> {
        pod_control::refused(&mut self.expectations, &self.object, name, error)
    }

    /// `manageReplicas`.
    fn manage(&mut self, pods: Pods<'_>, now: SimTime, draw: Draw<'_>) -> Vec<ControllerAction> {
        let have = pods.owner(&self.object.name).active;
        let mut actions = Vec::new();
        if have < self.replicas {
            // Names of every pod in the view are taken, and those drawn in this sync: the
            // expectations, empty when a sync creates, are those names.
            let count = per_sync(self.replicas - have);
            let name = self.object.name.clone();
            let base = format!("{name}-");
            let expectations = &mut self.expectations;
            debug_assert!(
                expectations.timeout_at().is_none(),
                "a sync creates only when nothing is outstanding"
            );
            let made = pod_control::creations(&self.object, &self.template, &name, count, || {
                let claim = |n: &str| !pods.contains(n) && expectations.expect_creation(n, now);
                (pod_control::generated_name(&base, claim, &mut *draw), None)
            });
            actions.extend(made.into_iter().map(ControllerAction::CreatePod));
        } else if have > self.replicas {
            let active = pods.active_slots_of(&self.object.name);
            let count = per_sync(have - self.replicas) as usize;
            let victims = victims::first_victims(&active, pods, now, count);
            self.expectations
                .expect([], victims.iter().map(|p| p.name.clone()), now);
            actions.extend(victims.iter().map(|p| {
                ControllerAction::DeletePod(pod_control::deletion(&self.object, &p.name))
            }));
        }
        actions
    }
}

/// The active pods of `owner` in `pods`.
pub(crate) fn owned_active<'p>(
    pods: &'p [PodView],
    owner: &'p str,
) -> impl Iterator<Item = &'p PodView> + 'p {
    pods.iter()
        .filter(move |p| p.owner == owner && p.is_active())
}

#[cfg(test)]
mod tests;
