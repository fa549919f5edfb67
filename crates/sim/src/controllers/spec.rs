//! The workload specs the controllers reconcile, reduced to the fields their arithmetic
//! reads (docs/semantics.md §10): a Deployment's replicas and strategy, a DaemonSet's update
//! strategy and the nodes it should run on, a StatefulSet's pod management policy and
//! partition, a Job's completions, parallelism, back-off limit and deadline. The pod template
//! is the simulator's [`Pod`](crate::api::Pod) with the template annotations a rollout
//! restart sets ([`PodTemplate`]). Defaults are the `apps/v1` and `batch/v1` ones, from
//! `pullsim_model::controllers`.

use std::collections::BTreeSet;
use std::time::Duration;

use pullsim_model::controllers::{IntOrPercent, daemon_set, deployment, job};

use super::PodTemplate;

/// `spec.strategy` of a Deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentStrategy {
    /// `RollingUpdate` with `maxSurge` and `maxUnavailable`.
    RollingUpdate {
        /// `rollingUpdate.maxSurge`.
        max_surge: IntOrPercent,
        /// `rollingUpdate.maxUnavailable`.
        max_unavailable: IntOrPercent,
    },
    /// `Recreate`: every old pod goes before a new one is made.
    Recreate,
}

impl Default for DeploymentStrategy {
    /// `RollingUpdate` with 25% and 25%.
    fn default() -> Self {
        DeploymentStrategy::RollingUpdate {
            max_surge: deployment::DEFAULT_MAX_SURGE,
            max_unavailable: deployment::DEFAULT_MAX_UNAVAILABLE,
        }
    }
}

/// A Deployment's `spec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentSpec {
    /// `replicas`.
    pub replicas: u32,
    /// `strategy`.
    pub strategy: DeploymentStrategy,
    /// `minReadySeconds`.
    pub min_ready: Duration,
    /// `progressDeadlineSeconds`; `None` is "no deadline" (`MaxInt32`).
    pub progress_deadline: Option<Duration>,
    /// `revisionHistoryLimit`.
    pub revision_history_limit: u32,
    /// `template`.
    pub template: PodTemplate,
}

impl DeploymentSpec {
    /// A spec with `replicas` of `template` and every other field defaulted.
    pub fn new(replicas: u32, template: PodTemplate) -> Self {
        DeploymentSpec {
            replicas,
            strategy: DeploymentStrategy::default(),
            min_ready: Duration::ZERO,
            progress_deadline: Some(deployment::DEFAULT_PROGRESS_DEADLINE),
            revision_history_limit: deployment::DEFAULT_REVISION_HISTORY_LIMIT,
            template,
        }
    }
}

/// A ReplicaSet's `spec` (one created on its own, not by a Deployment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetSpec {
    /// `replicas`.
    pub replicas: u32,
    /// `minReadySeconds`.
    pub min_ready: Duration,
    /// `template`.
    pub template: PodTemplate,
}

impl ReplicaSetSpec {
    /// A spec with `replicas` of `template`.
    pub fn new(replicas: u32, template: PodTemplate) -> Self {
        ReplicaSetSpec {
            replicas,
            min_ready: Duration::ZERO,
            template,
        }
    }
}

/// `spec.updateStrategy` of a DaemonSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DaemonSetUpdateStrategy {
    /// `RollingUpdate` with `maxUnavailable` and `maxSurge`.
    RollingUpdate {
        /// `rollingUpdate.maxUnavailable`.
        max_unavailable: IntOrPercent,
        /// `rollingUpdate.maxSurge`.
        max_surge: IntOrPercent,
    },
    /// `OnDelete`: a pod gets the new template only once someone deletes the old one.
    OnDelete,
}

impl Default for DaemonSetUpdateStrategy {
    /// `RollingUpdate` with `maxUnavailable: 1` and `maxSurge: 0`.
    fn default() -> Self {
        DaemonSetUpdateStrategy::RollingUpdate {
            max_unavailable: daemon_set::DEFAULT_MAX_UNAVAILABLE,
            max_surge: daemon_set::DEFAULT_MAX_SURGE,
        }
    }
}

/// A DaemonSet's `spec`, with the nodes it should run on already chosen (the simulator
/// matches `nodeSelector` against its nodes and updates the set as the timeline adds nodes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaemonSetSpec {
    /// `updateStrategy`.
    pub update_strategy: DaemonSetUpdateStrategy,
    /// `minReadySeconds`.
    pub min_ready: Duration,
    /// The nodes that should run one of its pods.
    pub nodes: BTreeSet<String>,
    /// `template`.
    pub template: PodTemplate,
}

impl DaemonSetSpec {
    /// A spec of `template` on `nodes`, defaults elsewhere.
    pub fn new(nodes: BTreeSet<String>, template: PodTemplate) -> Self {
        DaemonSetSpec {
            update_strategy: DaemonSetUpdateStrategy::default(),
            min_ready: Duration::ZERO,
            nodes,
            template,
        }
    }
}

/// `spec.podManagementPolicy` of a StatefulSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PodManagementPolicy {
    /// `OrderedReady` (the default): ordinal n+1 waits until n is Running and Ready; scale
    /// down goes from the highest ordinal, one at a time.
    #[default]
    OrderedReady,
    /// `Parallel`: every pod is created or deleted at once.
    Parallel,
}

/// `spec.updateStrategy` of a StatefulSet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatefulSetUpdateStrategy {
    /// `RollingUpdate`: from the highest ordinal down to `partition`, one pod at a time.
    RollingUpdate {
        /// `rollingUpdate.partition`: ordinals below it keep the current revision.
        partition: u32,
    },
    /// `OnDelete`.
    OnDelete,
}

impl Default for StatefulSetUpdateStrategy {
    /// `RollingUpdate` with partition 0.
    fn default() -> Self {
        StatefulSetUpdateStrategy::RollingUpdate { partition: 0 }
    }
}

/// A StatefulSet's `spec`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatefulSetSpec {
    /// `replicas`.
    pub replicas: u32,
    /// `podManagementPolicy`.
    pub pod_management_policy: PodManagementPolicy,
    /// `updateStrategy`.
    pub update_strategy: StatefulSetUpdateStrategy,
    /// `template`.
    pub template: PodTemplate,
}

impl StatefulSetSpec {
    /// A spec with `replicas` of `template`, defaults elsewhere.
    pub fn new(replicas: u32, template: PodTemplate) -> Self {
        StatefulSetSpec {
            replicas,
            pod_management_policy: PodManagementPolicy::default(),
            update_strategy: StatefulSetUpdateStrategy::default(),
            template,
        }
    }
}

/// A Job's `spec` (non-indexed completion mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobSpec {
    /// `completions`; `None` is a work-queue Job (any success ends it).
    pub completions: Option<u32>,
    /// `parallelism`.
    pub parallelism: u32,
    /// `backoffLimit`.
    pub backoff_limit: u32,
    /// `activeDeadlineSeconds`.
    pub active_deadline: Option<Duration>,
    /// The cap of the pod failure back-off (`MAX_POD_FAILURE_BACKOFF`, or the legacy 6
    /// minutes for older releases).
    pub max_pod_failure_backoff: Duration,
    /// `template`.
    pub template: PodTemplate,
}

impl JobSpec {
    /// A Job of `template` with every field defaulted (one completion, as `kubectl create
    /// job` writes it).
    pub fn new(template: PodTemplate) -> Self {
        JobSpec {
            completions: Some(1),
            parallelism: job::DEFAULT_PARALLELISM,
            backoff_limit: job::DEFAULT_BACKOFF_LIMIT,
            active_deadline: None,
            max_pod_failure_backoff: job::MAX_POD_FAILURE_BACKOFF,
            template,
        }
    }
}
