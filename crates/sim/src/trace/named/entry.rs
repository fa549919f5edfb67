//! [`Entry`]: every trace record in its named form (names, never ids), as the transcript,
//! the JSON document and the expectations read it. How each is built from its
//! [`crate::trace::TraceEvent`] and written as lines is in [`super`].

use serde::Serialize;

use crate::trace::{Credential, Instance, State};

/// What happened, with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// A pod passed admission.
    PodCreated {
        pod: String,
        instance: Instance,
        namespace: String,
        workload: Option<String>,
    },
    /// Admission refused a pod.
    PodRejected {
        pod: String,
        message: String,
        /// The pod's key as admission saw it (`namespace/name`), for the trace line only.
        #[serde(skip)]
        key: String,
    },
    /// An admission plugin changed a pod.
    Admitted {
        pod: String,
        instance: Instance,
        plugin: String,
        change: String,
    },
    /// A pod was bound to a node.
    Scheduled {
        pod: String,
        instance: Instance,
        node: String,
    },
    /// No node matches the pod.
    Unschedulable { pod: String, instance: Instance },
    /// A pod was deleted.
    PodDeleted { pod: String, instance: Instance },
    /// A Kubernetes event.
    Event {
        pod: String,
        instance: Instance,
        /// The container's name, or `None` for a pod-level event.
        container: Option<String>,
        /// The container's field path (`spec.containers{web}`), for the trace line only.
        #[serde(skip)]
        field_path: Option<String>,
        event_type: String,
        reason: String,
        message: String,
    },
    /// A container's state in the pod status changed.
    Status {
        pod: String,
        instance: Instance,
        container: String,
        init: bool,
        state: State,
    },
    /// Every regular container of the pod runs.
    PodRunning { pod: String, instance: Instance },
    /// Every regular container of the pod exited 0 and none restarts.
    PodSucceeded { pod: String, instance: Instance },
    /// The image was already on the node.
    PullAvoided {
        pod: String,
        instance: Instance,
        node: String,
    },
    /// The kubelet handed a pull to its puller.
    PullQueued {
        pod: String,
        instance: Instance,
        node: String,
        image: String,
    },
    /// One credential (or none) tried for a pull.
    CredentialAttempt {
        pod: String,
        instance: Instance,
        container: String,
        node: String,
        credential: Credential,
        username: String,
        /// `None` when the runtime pulled with it; the error text otherwise.
        error: Option<String>,
    },
    /// A pull resolved an index to the child for its node's platform.
    PlatformChosen {
        pod: String,
        instance: Instance,
        node: String,
        /// `linux/arm64/v8`.
        platform: String,
        /// The child's manifest digest.
        manifest: String,
    },
    /// A pull ended.
    PullFinished {
        pod: String,
        instance: Instance,
        node: String,
        image: String,
        pull_ns: u64,
        total_ns: u64,
        succeeded: bool,
        content_hits: u32,
        fetched: u32,
    },
    /// One registry request and its response.
    Request {
        host: String,
        /// A node's name, or `admission` for the digest-pinning webhook.
        client: String,
        method: String,
        target: String,
        /// `ping`, `manifest`, `blob`, `token` or `other`.
        request_kind: String,
        status: u16,
        bytes: u64,
    },
    /// A timeline action took effect.
    Timeline { what: String },
    /// A node's kubelet restarted.
    KubeletRestarted { node: String },
    /// A workload controller's event.
    ControllerEvent {
        /// `replicaset/web-5d4f8c7b9`, as `kubectl get events` names it.
        object: String,
        namespace: String,
        event_type: String,
        reason: String,
        message: String,
    },
    /// A Deployment created a ReplicaSet.
    ReplicaSetCreated {
        replica_set: String,
        namespace: String,
        revision: u64,
    },
    /// A Deployment resized a ReplicaSet.
    ReplicaSetScaled {
        replica_set: String,
        namespace: String,
        from: u32,
        to: u32,
    },
    /// A Deployment deleted a ReplicaSet.
    ReplicaSetDeleted {
        replica_set: String,
        namespace: String,
    },
    /// A workload controller set a condition.
    ConditionSet {
        /// `deployment/web`.
        object: String,
        namespace: String,
        condition_type: String,
        /// `True` or `False`.
        status: String,
        reason: String,
        message: String,
    },
    /// A credential provider's cache answered a lookup.
    PluginCacheHit {
        pod: String,
        instance: Instance,
        node: String,
        provider: String,
        image: String,
        /// The cache key that held the answer.
        key: String,
    },
    /// A credential provider's plugin was exec'd.
    PluginExecStarted {
        pod: String,
        instance: Instance,
        node: String,
        provider: String,
        image: String,
    },
    /// A lookup waits for an exec in flight (singleflight).
    PluginExecJoined {
        pod: String,
        instance: Instance,
        node: String,
        provider: String,
        image: String,
    },
    /// A plugin's exec answered.
    PluginExecFinished {
        node: String,
        provider: String,
        image: String,
        /// How long the exec took, in nanoseconds.
        duration_ns: u64,
        /// The cache key the answer is stored under; `None`: not cached.
        cache_key: Option<String>,
        /// How long it is cached, in nanoseconds.
        cached_for_ns: Option<u64>,
    },
    /// A credential provider gave nothing because of an error (the kubelet's log line).
    PluginFailed {
        node: String,
        provider: String,
        image: String,
        message: String,
    },
}
