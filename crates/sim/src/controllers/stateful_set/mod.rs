//! The StatefulSet controller as a pure reconciler
//! (`pkg/controller/statefulset/stateful_set_control.go`, `updateStatefulSet`;
//! docs/semantics.md §10.7). Pods are `<set>-<ordinal>`; each carries the revision it was
//! made from (`controller-revision-hash`, `<set>-<hash>` of the template).
//!
//! - For ordinals `0..replicas` in order: a finished pod is deleted and made again; a
//!   missing pod is created, from the current revision below `partition` and the update
//!   revision from it on. With `OrderedReady` the pass stops after a creation and at the
//!   first pod that is terminating or not Running and Ready, so ordinal n+1 waits for n.
//! - Ordinals at or past `replicas` are deleted from the highest: one at a time, and only
//!   once every wanted pod is healthy, with `OrderedReady`; all at once with `Parallel`.
//! - RollingUpdate: from the highest ordinal down to `partition`, the first pod not at the
//!   update revision is deleted (the next sync makes it again at the new one), and the pass
//!   stops at the first unhealthy pod, so one pod is replaced at a time. OnDelete only gives
//!   pods made again (after someone deleted them) the update revision.
//! - Once every pod is at the update revision and ready, it becomes the current revision.
//!
//! Names are fixed, so there are no expectations: the caller's view must be the API
//! server's current one (a creation of a name still present would be refused).

use std::collections::BTreeMap;

use pullsim_model::SimTime;
use pullsim_model::controllers::stateful_set as rules;

use super::{
    ControllerAction, ControllerEvent, ObjectRef, PodCreation, PodDeletion, PodManagementPolicy,
    PodTemplate, PodView, StatefulSetSpec, StatefulSetUpdateStrategy, WorkloadKind,
};

/// `status` of a StatefulSet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatefulSetStatus {
    /// `replicas`: pods that exist (not finished).
    pub replicas: u32,
    /// `readyReplicas`.
    pub ready: u32,
    /// `currentReplicas`: pods at the current revision.
    pub current: u32,
    /// `updatedReplicas`: pods at the update revision.
    pub updated: u32,
    /// `currentRevision`.
    pub current_revision: String,
    /// `updateRevision`.
    pub update_revision: String,
}

/// One StatefulSet's controller state.
#[derive(Debug, Clone)]
pub struct StatefulSet {
    object: ObjectRef,
    spec: StatefulSetSpec,
    templates: BTreeMap<String, PodTemplate>,
    current_revision: Option<String>,
    status: StatefulSetStatus,
}

impl StatefulSet {
    /// The StatefulSet `name` (in its template's namespace) with `spec`.
    pub fn new(name: impl Into<String>, spec: StatefulSetSpec) -> Self {
        let object = ObjectRef::new(
            WorkloadKind::StatefulSet,
            spec.template.pod.namespace.clone(),
            name,
        );
        StatefulSet {
            object,
            spec,
            templates: BTreeMap::new(),
            current_revision: None,
            status: StatefulSetStatus::default(),
        }
    }

    /// The StatefulSet as events name it.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// Its spec.
    pub fn spec(&self) -> &StatefulSetSpec {
        &self.spec
    }

    /// Replaces the spec; the next sync acts on it.
    pub fn set_spec(&mut self, spec: StatefulSetSpec) {
        self.spec = spec;
    }

    /// The status of the last sync.
    pub fn status(&self) -> &StatefulSetStatus {
        &self.status
    }

    /// A StatefulSet has no timers of its own (no `minReadySeconds` modelled).
    pub fn next_wakeup(&self) -> Option<SimTime> {
        None
    }

    /// A creation of the last sync did not happen: refused (`Some(error)`), a Warning
    /// `FailedCreate` `create Pod <pod> in StatefulSet <set> failed error: <error>`
    /// (`recordPodEvent`); skipped, nothing. Names are fixed and there are no expectations:
    /// the next sync (the work queue's rate-limited re-add) simply tries again.
    pub fn creation_refused(&self, pod: &str, error: Option<&str>) -> Vec<ControllerAction> {
        error
            .map(|error| {
                ControllerAction::Event(ControllerEvent::warning(
                    &self.object,
                    rules::failed_event_reason("create"),
                    rules::failed_event_message("create", pod, &self.object.name, error),
                ))
            })
            .into_iter()
            .collect()
    }

    fn event(&self, verb: &str, pod: &str) -> ControllerEvent {
        ControllerEvent::normal(
            &self.object,
            rules::event_reason(verb),
            rules::event_message(verb, pod, &self.object.name),
        )
    }

    fn deletion(&self, pod: &str) -> ControllerAction {
        ControllerAction::DeletePod(PodDeletion {
            owner: self.object.clone(),
            name: pod.to_owned(),
            on_success: self.event("delete", pod),
        })
    }

    fn creation(&self, ordinal: u32, revision: &str) -> ControllerAction {
        let name = rules::pod_name(&self.object.name, ordinal);
        let template = self.templates.get(revision).unwrap_or(&self.spec.template);
        ControllerAction::CreatePod(PodCreation {
            owner: self.object.clone(),
            on_success: self.event("create", &name),
            name,
            revision: revision.to_owned(),
            template: template.pod.clone(),
            node: None,
            batch: 0,
        })
    }

    /// One sync over the StatefulSet's pods at `now`.
    pub fn sync(&mut self, pods: &[PodView], _now: SimTime) -> Vec<ControllerAction> {
        let update = rules::revision_name(&self.object.name, &self.spec.template.hash(None));
        self.templates
            .entry(update.clone())
            .or_insert_with(|| self.spec.template.clone());
        let current = self
            .current_revision
            .get_or_insert_with(|| update.clone())
            .clone();
        let mut by_ordinal: BTreeMap<u32, &PodView> = BTreeMap::new();
        for pod in pods.iter().filter(|p| p.owner == self.object.name) {
            if let Some(ordinal) = rules::ordinal_of(&self.object.name, &pod.name) {
                by_ordinal.insert(ordinal, pod);
            }
        }
        let actions = self.reconcile(&by_ordinal, &current, &update);
        self.update_status(&by_ordinal, &actions, current, update);
        actions
    }

    fn reconcile(
        &self,
        pods: &BTreeMap<u32, &PodView>,
        current: &str,
        update: &str,
    ) -> Vec<ControllerAction> {
        let monotonic = self.spec.pod_management_policy == PodManagementPolicy::OrderedReady;
        let replicas = self.spec.replicas;
        let partition = match self.spec.update_strategy {
            StatefulSetUpdateStrategy::RollingUpdate { partition } => Some(partition),
            StatefulSetUpdateStrategy::OnDelete => None,
        };
        let revision_for = |ordinal: u32| match partition {
            Some(partition) if ordinal < partition => current,
            _ => update,
        };
        let mut actions = Vec::new();
        let mut all_healthy = true;
        for ordinal in 0..replicas {
            let pod = pods.get(&ordinal);
            if let Some(pod) = pod.filter(|p| p.phase.is_terminal()) {
                actions.push(self.deletion(&pod.name));
            }
            match pod.filter(|p| !p.phase.is_terminal()) {
                None => {
                    actions.push(self.creation(ordinal, revision_for(ordinal)));
                    all_healthy = false;
                    if monotonic {
                        return actions;
                    }
                }
                Some(pod) if pod.deleting || !pod.is_running_and_ready() => {
                    all_healthy = false;
                    if monotonic {
                        return actions;
                    }
                }
                Some(_) => {}
            }
        }
        let condemned: Vec<&PodView> = pods.range(replicas..).rev().map(|(_, p)| *p).collect();
        for pod in condemned {
            if pod.deleting {
                if monotonic {
                    return actions;
                }
                continue;
            }
            if monotonic && !all_healthy {
                return actions;
            }
            actions.push(self.deletion(&pod.name));
            if monotonic {
                return actions;
            }
        }
        let Some(partition) = partition else {
            return actions;
        };
        for ordinal in (partition..replicas).rev() {
            let Some(pod) = pods.get(&ordinal) else {
                return actions;
            };
            if pod.revision != update && !pod.deleting {
                actions.push(self.deletion(&pod.name));
                return actions;
            }
            if !pod.is_running_and_ready() {
                return actions;
            }
        }
        actions
    }

    fn update_status(
        &mut self,
        pods: &BTreeMap<u32, &PodView>,
        actions: &[ControllerAction],
        current: String,
        update: String,
    ) {
        let mut status = StatefulSetStatus::default();
        for pod in pods.values().filter(|p| !p.phase.is_terminal()) {
            status.replicas += 1;
            status.ready += u32::from(pod.is_ready());
            status.current += u32::from(pod.revision == current);
            status.updated += u32::from(pod.revision == update);
        }
        let replicas = self.spec.replicas;
        let mut current = current;
        if actions.is_empty()
            && status.updated == replicas
            && status.ready == replicas
            && status.replicas == replicas
        {
            current.clone_from(&update);
            status.current = status.updated;
            self.current_revision = Some(update.clone());
            let keep = update.clone();
            self.templates.retain(|name, _| *name == keep);
        }
        status.current_revision = current;
        status.update_revision = update;
        self.status = status;
    }
}

#[cfg(test)]
mod tests;
