//! The five reconcilers behind one type: what the host asks of a controller whatever its
//! kind (a sync, its wake-up, a refused creation, a new spec) and the figures it samples
//! for the rollout tally (desired, available, complete).

use pullsim_model::SimTime;

use crate::controllers::{
    ControllerAction, DaemonSet, Deployment, Draw, Job, Pods, ReplicaSet, StatefulSet,
    StatefulSetUpdateStrategy, WorkloadObject, WorkloadSpec,
};
#[cfg(test)]
use crate::controllers::{PodIndex, PodView};

/// One controller's reconciler.
#[derive(Debug)]
pub(crate) enum Reconciler {
    Deployment(Deployment),
    ReplicaSet(ReplicaSet),
    DaemonSet(DaemonSet),
    StatefulSet(StatefulSet),
    Job(Job),
}

/// What a sync's view says about the object's progress (see `RolloutTally`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    /// Pods it should have (a DaemonSet: nodes that should run it).
    pub(crate) desired: u32,
    /// Its status' updated count: pods of the newest template (a DaemonSet: nodes).
    pub(crate) updated: u32,
    /// Of its pods, how many are available.
    pub(crate) available: u32,
    /// Its pods that are active (not finished, not being deleted).
    pub(crate) active: u32,
    /// Its rollout is complete (every desired pod updated and available; a Job finished).
    pub(crate) complete: bool,
    /// It is not done with nothing else to wait for: a rollout not complete, a Job not
    /// finished whose pods finish (`runFor`) or that has none active (between batches, in
    /// its failure back-off, waiting for its deadline). A Job whose pods run forever is
    /// settled once they run.
    pub(crate) wants_pods: bool,
}

impl Reconciler {
    /// The reconciler of a new object, with nothing synced yet.
    pub(crate) fn new(object: &WorkloadObject) -> Reconciler {
        let name = object.name.clone();
        match &object.spec {
            WorkloadSpec::Deployment(spec) => {
                Reconciler::Deployment(Deployment::new(name, spec.clone()))
            }
            WorkloadSpec::ReplicaSet(spec) => Reconciler::ReplicaSet(ReplicaSet::new(
                name,
                spec.template.clone(),
                spec.replicas,
                spec.min_ready,
            )),
            WorkloadSpec::DaemonSet(spec) => {
                Reconciler::DaemonSet(DaemonSet::new(name, spec.clone()))
            }
            WorkloadSpec::StatefulSet(spec) => {
                Reconciler::StatefulSet(StatefulSet::new(name, spec.clone()))
            }
            WorkloadSpec::Job(spec) => Reconciler::Job(Job::new(name, spec.clone())),
        }
    }

    /// Gives it a new spec of its own kind (the caller checked the kind, and that a Job's
    /// spec did not change: it is immutable). A ReplicaSet with a new template is made
    /// again with it: its own pods keep theirs, new ones get the new one, as upstream.
    pub(crate) fn set_spec(&mut self, object: &WorkloadObject) {
        match (self, &object.spec) {
            (Reconciler::Deployment(d), WorkloadSpec::Deployment(spec)) => d.set_spec(spec.clone()),
            (Reconciler::ReplicaSet(rs), WorkloadSpec::ReplicaSet(spec)) => {
                if rs.template().same_as(&spec.template) {
                    rs.set_replicas(spec.replicas);
                    rs.set_min_ready(spec.min_ready);
                } else {
                    *rs = ReplicaSet::new(
                        object.name.clone(),
                        spec.template.clone(),
                        spec.replicas,
                        spec.min_ready,
                    );
                }
            }
            (Reconciler::DaemonSet(ds), WorkloadSpec::DaemonSet(spec)) => ds.set_spec(spec.clone()),
            (Reconciler::StatefulSet(ss), WorkloadSpec::StatefulSet(spec)) => {
                ss.set_spec(spec.clone());
            }
            // A Job's spec does not change once created (checked by the caller); a kind
            // never changes under a reference.
            _ => {}
        }
    }

    /// One sync over the controller's pods.
    #[cfg(test)]
    pub(crate) fn sync(
        &mut self,
        pods: &[PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let index = PodIndex::of(pods);
        self.sync_in(Pods::new(pods, &index), now, draw)
    }

    /// One sync over the controller's pods and their index (the Deployment and ReplicaSet
    /// reconcilers read counts and names from it; the others read the views).
    pub(crate) fn sync_in(
        &mut self,
        pods: Pods<'_>,
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        match self {
            Reconciler::Deployment(d) => d.sync_in(pods, now, draw),
            Reconciler::ReplicaSet(rs) => rs.sync_in(pods, now, draw),
            Reconciler::DaemonSet(ds) => ds.sync(pods.views(), now, draw),
            Reconciler::StatefulSet(ss) => ss.sync(pods.views(), now),
            Reconciler::Job(job) => job.sync(pods.views(), now, draw),
        }
    }

    /// When it wants to sync again with nothing changed.
    pub(crate) fn next_wakeup(&self) -> Option<SimTime> {
        match self {
            Reconciler::Deployment(d) => d.next_wakeup(),
            Reconciler::ReplicaSet(rs) => rs.next_wakeup(),
            Reconciler::DaemonSet(ds) => ds.next_wakeup(),
            Reconciler::StatefulSet(ss) => ss.next_wakeup(),
            Reconciler::Job(job) => job.next_wakeup(),
        }
    }

    /// A creation of the last sync was refused (`Some(error)`) or skipped (`None`); `owner`
    /// is the creation's owner (a Deployment's ReplicaSet). A StatefulSet has fixed names
    /// and no expectations: it only reports the refusal; its next sync simply tries again.
    pub(crate) fn creation_refused(
        &mut self,
        owner: &str,
        pod: &str,
        error: Option<&str>,
    ) -> Vec<ControllerAction> {
        match self {
            Reconciler::Deployment(d) => d.creation_refused(owner, pod, error),
            Reconciler::ReplicaSet(rs) => rs.creation_refused(pod, error),
            Reconciler::DaemonSet(ds) => ds.creation_refused(pod, error),
            Reconciler::StatefulSet(ss) => ss.creation_refused(pod, error),
            Reconciler::Job(job) => job.creation_refused(pod, error),
        }
    }

    /// The progress its last sync saw in `pods` (the same view), for the object `spec`.
    #[cfg(test)]
    pub(crate) fn progress(&self, spec: &WorkloadSpec, pods: &[PodView]) -> Progress {
        let active =
            u32::try_from(pods.iter().filter(|p| p.is_active()).count()).unwrap_or(u32::MAX);
        self.progress_of(spec, active)
    }

    /// The progress its last sync saw, for the object `spec`, with `active` pods.
    pub(crate) fn progress_of(&self, spec: &WorkloadSpec, active: u32) -> Progress {
        let (desired, updated, available, complete) = match self {
            Reconciler::Deployment(d) => {
                let status = d.status();
                let replicas = d.spec().replicas;
                let complete = status.updated == replicas
                    && status.replicas == replicas
                    && status.available == replicas;
                (replicas, status.updated, status.available, complete)
            }
            Reconciler::ReplicaSet(rs) => {
                let status = rs.status();
                let replicas = rs.replicas();
                let complete = status.replicas == replicas && status.available == replicas;
                // Its pods are all its own revision's.
                (replicas, status.replicas, status.available, complete)
            }
            Reconciler::DaemonSet(ds) => {
                let status = ds.status();
                let desired = status.desired;
                let complete =
                    status.updated == desired && status.available == desired && active == desired;
                (desired, status.updated, status.available, complete)
            }
            Reconciler::StatefulSet(ss) => {
                let status = ss.status();
                let replicas = ss.spec().replicas;
                // kubectl's `StatefulSetStatusViewer`: with RollingUpdate (always given a
                // partition by the API server's defaults), done once `replicas` pods are
                // ready and `replicas - partition` run the update revision ("partitioned
                // roll out complete"); with OnDelete it has no verdict, and the rollout
                // is complete once the update revision became the current one.
                let complete = match ss.spec().update_strategy {
                    StatefulSetUpdateStrategy::RollingUpdate { partition } => {
                        status.ready >= replicas
                            && status.updated >= replicas.saturating_sub(partition)
                    }
                    StatefulSetUpdateStrategy::OnDelete => {
                        status.updated == replicas
                            && status.ready == replicas
                            && status.replicas == replicas
                            && status.current_revision == status.update_revision
                    }
                };
                (replicas, status.updated, status.ready, complete)
            }
            Reconciler::Job(job) => {
                let complete = job.outcome().is_some();
                let pods_finish = spec.template().pod.spec.run_for.is_some();
                return Progress {
                    desired: 0,
                    updated: 0,
                    available: 0,
                    active,
                    complete,
                    wants_pods: !complete && (active == 0 || pods_finish),
                };
            }
        };
        Progress {
            desired,
            updated,
            available,
            active,
            complete,
            wants_pods: !complete,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Container, Pod};
    use crate::controllers::{JobSpec, PodPhase, PodTemplate, ReplicaSetSpec, StatefulSetSpec};

    fn object(spec: WorkloadSpec) -> WorkloadObject {
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "web".to_owned(),
            spec,
        }
    }

    fn template(run_for: Option<std::time::Duration>) -> PodTemplate {
        let mut pod = Pod::new("web", vec![Container::new("app", "app:v1")]);
        pod.spec.run_for = run_for;
        PodTemplate::new(pod)
    }

    fn running(name: &str, owner: &str) -> PodView {
        let mut view = PodView::pending(name, owner, owner, SimTime::EPOCH);
        view.phase = PodPhase::Running;
        view.ready_since = Some(SimTime::EPOCH);
        view
    }

    #[test]
    fn a_replica_set_is_complete_once_its_pods_are_available() {
        let object = object(WorkloadSpec::ReplicaSet(ReplicaSetSpec::new(
            2,
            template(None),
        )));
        let mut rs = Reconciler::new(&object);
        let pods = [running("web-a", "web"), running("web-b", "web")];
        rs.sync(&pods[..1], SimTime::EPOCH, &mut |_| 0);
        let progress = rs.progress(&object.spec, &pods[..1]);
        assert_eq!(
            (progress.desired, progress.available, progress.active),
            (2, 1, 1)
        );
        assert!(!progress.complete && progress.wants_pods);
        rs.sync(&pods, SimTime::EPOCH, &mut |_| 0);
        let progress = rs.progress(&object.spec, &pods);
        assert!(progress.complete && !progress.wants_pods);
    }

    #[test]
    fn a_job_is_settled_while_its_endless_pods_run_but_not_while_finishing_ones_do() {
        let pods = [running("web-a", "web")];
        for (run_for, wants) in [
            (None, false),
            (Some(std::time::Duration::from_secs(5)), true),
        ] {
            let object = object(WorkloadSpec::Job(JobSpec::new(template(run_for))));
            let mut job = Reconciler::new(&object);
            job.sync(&pods, SimTime::EPOCH, &mut |_| 0);
            let progress = job.progress(&object.spec, &pods);
            assert_eq!(progress.wants_pods, wants, "{run_for:?}");
            assert_eq!((progress.desired, progress.active), (0, 1));
            assert!(job.creation_refused("web", "web-x", None).is_empty());
        }
    }

    #[test]
    fn a_partitioned_stateful_set_is_complete_once_the_ordinals_from_the_partition_are_updated() {
        let mut object = object(WorkloadSpec::StatefulSet(StatefulSetSpec::new(
            4,
            template(None),
        )));
        let mut ss = Reconciler::new(&object);
        ss.sync(&[], SimTime::EPOCH, &mut |_| 0);
        let Reconciler::StatefulSet(set) = &ss else {
            unreachable!("a StatefulSet's reconciler")
        };
        let old = set.status().update_revision.clone();
        if let WorkloadSpec::StatefulSet(spec) = &mut object.spec {
            spec.template = template(Some(std::time::Duration::from_secs(1)));
            spec.update_strategy = StatefulSetUpdateStrategy::RollingUpdate { partition: 2 };
        }
        ss.set_spec(&object);
        let pod = |ordinal: u32, revision: &str| {
            let mut view = running(&format!("web-{ordinal}"), "web");
            view.revision = revision.to_owned();
            view
        };
        let now = SimTime::from_secs(10);
        let olds = [pod(0, &old), pod(1, &old), pod(2, &old), pod(3, &old)];
        ss.sync(&olds, now, &mut |_| 0);
        let Reconciler::StatefulSet(set) = &ss else {
            unreachable!("a StatefulSet's reconciler")
        };
        let new = set.status().update_revision.clone();
        assert_ne!(new, old);
        let one = [pod(0, &old), pod(1, &old), pod(2, &old), pod(3, &new)];
        ss.sync(&one, now, &mut |_| 0);
        assert!(!ss.progress(&object.spec, &one).complete);
        let two = [pod(0, &old), pod(1, &old), pod(2, &new), pod(3, &new)];
        ss.sync(&two, now, &mut |_| 0);
        // kubectl: "partitioned roll out complete: 2 new pods have been updated...", though
        // the current revision stays the old one while ordinals 0 and 1 run it.
        assert!(ss.progress(&object.spec, &two).complete);
        let mut unready = two.clone();
        unready[0].ready_since = None;
        ss.sync(&unready, now, &mut |_| 0);
        assert!(!ss.progress(&object.spec, &unready).complete);
    }
}
