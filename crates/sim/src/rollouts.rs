//! Rollout figures per workload object (Deployment, ReplicaSet, DaemonSet, StatefulSet,
//! Job), as `Metrics::rollouts` reports them and the scenario's rollout expectations judge
//! them.

use std::time::Duration;

use pullsim_model::SimTime;
use serde::Serialize;

/// One workload object's rollout figures at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RolloutMetrics {
    /// The object as kubectl names it: `deployment/web`.
    pub workload: String,
    /// Its namespace.
    pub namespace: String,
    /// Template changes after its creation (`setImage`, `rolloutRestart`, an `apply` with
    /// another template): each starts a rollout.
    pub rollouts: u32,
    /// When the last rollout (or the creation, with none) started.
    #[serde(rename = "started_ns")]
    pub started: SimTime,
    /// From that start until every desired pod ran the newest revision and was available
    /// (for a Job: until it completed or failed); `None` while that has not happened.
    #[serde(rename = "duration_ns", serialize_with = "optional_nanos")]
    pub duration: Option<Duration>,
    /// Whether the last rollout finished (see `duration`).
    pub complete: bool,
    /// The most desired pods that were not available at any moment of the last rollout
    /// (from `started` on: the creation, for an object never rolled out), desired minus
    /// available; for a Job, 0.
    pub max_unavailable: u32,
    /// The most pods above the desired count at any moment of the last rollout (active
    /// pods minus desired; for a Job, 0).
    pub max_surge: u32,
    /// Pods at the end per revision, oldest revision first.
    pub revisions: Vec<RevisionPods>,
    /// Pulls the kubelet started for its pods.
    pub pulls: u64,
    /// The conditions at the end (`Progressing`, `Available`, `Complete`, `Failed`), as
    /// `type=status (reason)`.
    pub conditions: Vec<String>,
    /// The controller's own desired count at its last sync, as `kubectl rollout status`
    /// reads it: `spec.replicas`, or a DaemonSet's `desiredNumberScheduled` (nodes that
    /// should run it, not pods: a node surging holds two); 0 for a Job.
    pub desired: u32,
    /// Its status' updated count at its last sync: `updatedReplicas` (a Deployment's new
    /// ReplicaSet's pods, a StatefulSet's pods at the update revision), a DaemonSet's
    /// `updatedNumberScheduled`, a standalone ReplicaSet's `replicas`; 0 for a Job.
    pub updated: u32,
    /// Its status' available count at its last sync: `availableReplicas` (ready for
    /// `minReadySeconds`), a DaemonSet's `numberAvailable`, a StatefulSet's
    /// `readyReplicas`; 0 for a Job.
    pub available: u32,
}

/// Pods of one revision of a workload at the end of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionPods {
    /// The revision number: 1 for the template it was created with, then 2, 3, ...
    pub revision: u32,
    /// Its name: a Deployment's ReplicaSet (`web-5d4f8c7b9`), a DaemonSet's or
    /// StatefulSet's `controller-revision-hash`, a Job's or ReplicaSet's own name.
    pub name: String,
    /// Its pods that exist at the end (created, not deleted, not finished).
    pub pods: u32,
    /// Of those, how many were ready.
    pub ready: u32,
}

/// An optional duration as its integer count of nanoseconds, or `null`.
fn optional_nanos<S: serde::Serializer>(
    length: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match length {
        Some(length) => {
            serializer.serialize_some(&u64::try_from(length.as_nanos()).unwrap_or(u64::MAX))
        }
        None => serializer.serialize_none(),
    }
}

/// The running figures of one workload object, sampled at every sync of its controller
/// (every change of its pods queues one at the same instant, so a sync sees each change)
/// and folded into a [`RolloutMetrics`] at the end.
#[derive(Debug, Clone, Default)]
pub(crate) struct RolloutTally {
    /// Template changes after creation.
    pub(crate) rollouts: u32,
    /// When the last rollout (or the creation) started.
    pub(crate) started: SimTime,
    /// When it completed, if it has since `started`.
    pub(crate) completed: Option<SimTime>,
    pub(crate) max_unavailable: u32,
    pub(crate) max_surge: u32,
    /// Pulls started for its pods.
    pub(crate) pulls: u64,
    /// The conditions as last set, by type.
    pub(crate) conditions: std::collections::BTreeMap<&'static str, String>,
    /// The status figures of the last sync: desired, updated, available.
    pub(crate) status: [u32; 3],
}

impl RolloutTally {
    /// A tally of an object created at `now`.
    pub(crate) fn new(now: SimTime) -> RolloutTally {
        RolloutTally {
            started: now,
            ..RolloutTally::default()
        }
    }

    /// A template change at `now`: a new rollout starts, and its figures with it.
    pub(crate) fn rollout_started(&mut self, now: SimTime) {
        self.rollouts += 1;
        self.started = now;
        self.completed = None;
        self.max_unavailable = 0;
        self.max_surge = 0;
    }

    /// One sample: `desired` pods wanted, `available` of them available, `active` pods in
    /// all, and whether the rollout is complete. `track_availability` is false for a Job
    /// (its pods are not meant to stay available).
    pub(crate) fn sample(
        &mut self,
        now: SimTime,
        desired: u32,
        available: u32,
        active: u32,
        complete: bool,
        track_availability: bool,
    ) {
        if track_availability {
            self.max_unavailable = self.max_unavailable.max(desired.saturating_sub(available));
            self.max_surge = self.max_surge.max(active.saturating_sub(desired));
        }
        if complete && self.completed.is_none() {
            self.completed = Some(now);
        }
    }

    /// The controller's status figures at a sync (the last one's are reported).
    pub(crate) fn status(&mut self, desired: u32, updated: u32, available: u32) {
        self.status = [desired, updated, available];
    }

    /// A condition set (`type=status (reason)`).
    pub(crate) fn condition(&mut self, condition_type: &'static str, text: String) {
        self.conditions.insert(condition_type, text);
    }

    /// The figures at the end, for `workload` (`deployment/web`) in `namespace`.
    pub(crate) fn metrics(
        &self,
        workload: String,
        namespace: String,
        revisions: Vec<RevisionPods>,
    ) -> RolloutMetrics {
        RolloutMetrics {
            workload,
            namespace,
            rollouts: self.rollouts,
            started: self.started,
            duration: self.completed.map(|at| at.saturating_since(self.started)),
            complete: self.completed.is_some(),
            max_unavailable: self.max_unavailable,
            max_surge: self.max_surge,
            revisions,
            pulls: self.pulls,
            conditions: self.conditions.values().cloned().collect(),
            desired: self.status[0],
            updated: self.status[1],
            available: self.status[2],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rollout_is_timed_from_its_start_to_its_completion() {
        let mut tally = RolloutTally::new(SimTime::from_secs(1));
        tally.sample(SimTime::from_secs(2), 3, 0, 3, false, true);
        tally.sample(SimTime::from_secs(5), 3, 3, 3, true, true);
        tally.rollout_started(SimTime::from_secs(10));
        tally.sample(SimTime::from_secs(11), 3, 2, 4, false, true);
        tally.sample(SimTime::from_secs(12), 3, 3, 3, true, true);
        tally.sample(SimTime::from_secs(20), 3, 3, 3, true, true);
        tally.status(3, 3, 2);
        tally.condition(
            "Progressing",
            "Progressing=True (NewReplicaSetAvailable)".to_owned(),
        );
        let metrics = tally.metrics("deployment/web".to_owned(), "default".to_owned(), vec![]);
        assert_eq!(metrics.rollouts, 1);
        assert_eq!(metrics.started, SimTime::from_secs(10));
        assert_eq!(metrics.duration, Some(Duration::from_secs(2)));
        assert!(metrics.complete);
        // The creation's unavailability belongs to the creation, not to the rollout.
        assert_eq!((metrics.max_unavailable, metrics.max_surge), (1, 1));
        assert_eq!(
            metrics.conditions,
            ["Progressing=True (NewReplicaSetAvailable)"]
        );
        assert_eq!(
            (metrics.desired, metrics.updated, metrics.available),
            (3, 3, 2)
        );
        let mut job = RolloutTally::new(SimTime::EPOCH);
        job.sample(SimTime::from_secs(3), 0, 0, 2, false, false);
        assert_eq!(
            (job.max_unavailable, job.max_surge, job.completed),
            (0, 0, None)
        );
    }
}
