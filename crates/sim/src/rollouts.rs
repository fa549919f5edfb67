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
    /// The most desired pods that were not available at any moment after creation
    /// (desired minus available; for a Job, 0).
    pub max_unavailable: u32,
    /// The most pods above the desired count at any moment (active pods minus desired).
    pub max_surge: u32,
    /// Pods at the end per revision, oldest revision first.
    pub revisions: Vec<RevisionPods>,
    /// Pulls the kubelet started for its pods.
    pub pulls: u64,
    /// The conditions at the end (`Progressing`, `Available`, `Complete`, `Failed`), as
    /// `type=status (reason)`.
    pub conditions: Vec<String>,
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
