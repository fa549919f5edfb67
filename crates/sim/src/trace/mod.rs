//! The typed trace: every API event, admission decision, status change, pull and registry
//! exchange, in the order the simulation produced them, stamped with virtual time.
//!
//! Records name pods, nodes, hosts and digests by id (interned in the simulation), so
//! recording costs no string copies on the hot path; [`crate::Sim::render_trace`] prints
//! them with names, one stable line per record, which is what determinism tests compare.
//!
//! The folder: this file holds the records ([`TraceEvent`], with ids); `named/` their one
//! human form ([`Entry`], made by [`crate::Sim::named_entry`]) and, side by side, each
//! record's trace text and its transcript [`Line`]; `names` the named form's values
//! ([`Instance`], [`State`], [`Credential`]); `line` the transcript line and what it needs
//! from the story around it ([`LineContext`]); `format` and `failure` the pure wording
//! both texts share (short digests, sizes, durations, a registry's part in a failed pull);
//! `render` the trace text of a whole run. A new record is a variant here, its three arms
//! in `named/`, and its emitter.

mod failure;
mod format;
mod line;
mod named;
mod names;
mod render;

pub use failure::registry_failure;
pub use format::{duration, short_digests, size};
pub use line::{Line, LineContext, client_object};
pub use named::Entry;
pub use names::{Credential, Instance, State};

use std::fmt;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::WaitingReason;
use pullsim_model::credentials::CredentialSource;
use pullsim_model::pull::EventType;

/// A pod, by its position in the simulation's pod table (a re-created pod gets a new id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PodId(pub u32);

/// A node, by creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// A registry host, by the order it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub u16);

/// A digest, interned by the simulation ([`crate::Sim::digest`] gives it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DigestId(pub u32);

/// A workload, by the order it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkloadId(pub u32);

/// A workload object named by a trace record (a Deployment, one of its ReplicaSets, a
/// DaemonSet, ...), interned by the simulation the first time a record names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectId(pub u32);

/// Why a container is waiting.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WaitReason {
    /// No start attempt has finished yet (the kubelet's default reason).
    ContainerCreating,
    /// A regular container whose pod's init containers have not all completed.
    PodInitializing,
    /// The image manager's reason (`ErrImagePull`, `ImagePullBackOff`, ...).
    Pull(WaitingReason),
    /// A container that exited waits out the crash-loop back-off before it starts again.
    CrashLoopBackOff,
    /// An error the kubelet returned as is (a bad pull secret, a KEP-2535 record error):
    /// its text is the reason.
    Other(String),
}

impl fmt::Display for WaitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WaitReason::ContainerCreating => f.write_str("ContainerCreating"),
            WaitReason::PodInitializing => f.write_str("PodInitializing"),
            WaitReason::CrashLoopBackOff => f.write_str("CrashLoopBackOff"),
            WaitReason::Pull(reason) => f.write_str(reason.as_str()),
            WaitReason::Other(text) => f.write_str(text),
        }
    }
}

/// A container's state as the pod status shows it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ContainerState {
    /// `waiting` with a reason and a message.
    Waiting {
        /// `state.waiting.reason`.
        reason: WaitReason,
        /// `state.waiting.message` (empty for the default reasons), shared: pods waiting
        /// for the same reason show the same text.
        message: std::sync::Arc<str>,
    },
    /// `running`, from the image with this ID (config digest), resolved from this
    /// top-level digest (index or manifest).
    Running {
        /// The image ID.
        image_id: DigestId,
        /// The digest the image was pulled or loaded by.
        digest: DigestId,
    },
    /// An init container that ran to completion.
    Completed,
}

/// What kind of registry endpoint a request hit (serialised as [`RequestKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestKind {
    /// `/v2/<name>/manifests/<reference>`.
    Manifest,
    /// `/v2/<name>/blobs/<digest>`.
    Blob,
    /// The token endpoint.
    Token,
    /// The API version check, `/v2/`.
    Ping,
    /// Anything else.
    Other,
}

impl RequestKind {
    /// The kind of a request target.
    pub fn of_target(target: &str) -> RequestKind {
        let path = target.split('?').next().unwrap_or(target);
        if path.contains("/manifests/") {
            RequestKind::Manifest
        } else if path.contains("/blobs/") {
            RequestKind::Blob
        } else if path.ends_with("/token") || path == "/token" {
            RequestKind::Token
        } else if path == "/v2/" || path == "/v2" {
            RequestKind::Ping
        } else {
            RequestKind::Other
        }
    }

    /// The kind's name in transcripts and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Manifest => "manifest",
            RequestKind::Blob => "blob",
            RequestKind::Token => "token",
            RequestKind::Ping => "ping",
            RequestKind::Other => "other",
        }
    }
}

/// How one credential attempt of a pull ended (docs/semantics.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The runtime pulled the image with it.
    Pulled,
    /// The runtime failed with this error text.
    Failed(String),
}

/// One record of the trace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceEvent {
    /// A pod passed admission and was stored.
    PodCreated {
        /// The pod.
        pod: PodId,
        /// Its workload, when it is a replica.
        workload: Option<WorkloadId>,
    },
    /// Admission refused a pod; it was never stored.
    PodRejected {
        /// `namespace/name`.
        pod: String,
        /// The API server's error text.
        message: String,
    },
    /// An admission plugin changed a pod.
    Admitted {
        /// The pod.
        pod: PodId,
        /// The plugin (`ServiceAccount`, `AlwaysPullImages`, `DigestPinning`).
        plugin: &'static str,
        /// What it did.
        change: String,
    },
    /// A pod was bound to a node.
    PodScheduled {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
    },
    /// No node matches the pod's selector; it stays pending until one does.
    PodUnschedulable {
        /// The pod.
        pod: PodId,
    },
    /// A pod was deleted.
    PodDeleted {
        /// The pod.
        pod: PodId,
    },
    /// A Kubernetes event recorded against a pod (`container` is `None` for pod-level
    /// events such as `FailedToRetrieveImagePullSecret`).
    Event {
        /// The pod.
        pod: PodId,
        /// The container's field path (`spec.containers{web}`), when about one.
        container: Option<String>,
        /// `Normal` or `Warning`.
        event_type: EventType,
        /// The reason, as kubectl shows it.
        reason: String,
        /// The message, verbatim.
        message: String,
    },
    /// A container's state in the pod status changed.
    ContainerStatus {
        /// The pod.
        pod: PodId,
        /// Which container.
        container: crate::api::ContainerRef,
        /// Its new state.
        state: ContainerState,
    },
    /// Every regular container of the pod is running.
    PodRunning {
        /// The pod.
        pod: PodId,
    },
    /// Every regular container of the pod exited 0 and none restarts: phase `Succeeded`.
    PodSucceeded {
        /// The pod.
        pod: PodId,
    },
    /// `EnsureImageExists` used the image already on the node.
    PullAvoided {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
    },
    /// The kubelet submitted a pull to its puller.
    PullQueued {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The image as written.
        image: String,
    },
    /// The kubelet tried one credential (or none: `source` is `None`, an anonymous pull)
    /// for a pull.
    CredentialAttempt {
        /// The pod.
        pod: PodId,
        /// The container whose image is pulled.
        container: crate::api::ContainerRef,
        /// The node.
        node: NodeId,
        /// Where the credential came from: a pod pull Secret (with its name) or a node
        /// config file; `None` for an anonymous pull. Prints as `pod-secret[0]`,
        /// `node-config[0]`.
        source: Option<CredentialSource>,
        /// The user name tried (empty for anonymous).
        username: String,
        /// How it ended.
        outcome: AttemptOutcome,
    },
    /// A pull that succeeded resolved an index (or Docker manifest list) to the child
    /// for the node's platform; recorded just before its `PullFinished`.
    PlatformChosen {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The chosen child's platform, as containerd prints it (`linux/arm64/v8`).
        platform: String,
        /// The chosen child's manifest.
        manifest: DigestId,
    },
    /// A pull the kubelet started has ended.
    PullFinished {
        /// The pod.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The image as written.
        image: String,
        /// From dequeue (or a parallel slot) to the end.
        pull_duration: Duration,
        /// From submission to the end, queueing included.
        total_duration: Duration,
        /// Whether it succeeded.
        succeeded: bool,
        /// Blobs and manifests that were already in the node's content store.
        content_hits: u32,
        /// Blobs and manifests downloaded.
        fetched: u32,
    },
    /// One registry request and its response (kept at [`crate::TraceLevel::Full`] only).
    Registry {
        /// The registry host.
        host: HostId,
        /// Who sent it (a node's name or `admission`).
        client: NodeOrAdmission,
        /// The method.
        method: &'static str,
        /// The request target.
        target: String,
        /// What it hit.
        kind: RequestKind,
        /// The status answered.
        status: u16,
        /// Body bytes delivered.
        body_bytes: u64,
    },
    /// A timeline action took effect.
    Timeline {
        /// What happened, in words.
        what: String,
    },
    /// A node's kubelet restarted (back-off state lost, KEP-2535 records kept).
    KubeletRestarted {
        /// The node.
        node: NodeId,
    },
    /// A credential provider's cache answered a pod's credential lookup (no exec).
    PluginCacheHit {
        /// The pod whose lookup it answered.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The provider's name.
        provider: String,
        /// The image asked about (`ParseImageName(image).repo`).
        image: String,
        /// The cache key that held the answer.
        key: String,
    },
    /// The kubelet exec'd a credential provider's plugin for a pod's lookup.
    PluginExecStarted {
        /// The pod whose lookup started it.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The provider's name.
        provider: String,
        /// The image in the request.
        image: String,
    },
    /// A pod's lookup waits for an exec in flight with the same singleflight key.
    PluginExecJoined {
        /// The pod that waits.
        pod: PodId,
        /// The node.
        node: NodeId,
        /// The provider's name.
        provider: String,
        /// The image.
        image: String,
    },
    /// A plugin's exec answered.
    PluginExecFinished {
        /// The node.
        node: NodeId,
        /// The provider's name.
        provider: String,
        /// The image in the request.
        image: String,
        /// How long the exec took.
        duration: Duration,
        /// The cache key the answer was stored under and for how long; `None` when it
        /// was not cached.
        cached: Option<(String, Duration)>,
    },
    /// A credential provider gave no credentials because of an error, logged in the
    /// kubelet's words (an exec that failed or timed out, a missing service account).
    PluginFailed {
        /// The node.
        node: NodeId,
        /// The provider's name.
        provider: String,
        /// The image the provider was asked about.
        image: String,
        /// The kubelet's log message.
        message: String,
    },
    /// A Kubernetes event a workload controller recorded against an object (`kubectl get
    /// events`: type, reason, object `replicaset/web-5d4f8c7b9`, message).
    ControllerEvent {
        /// The object.
        object: ObjectId,
        /// `Normal` or `Warning`.
        event_type: EventType,
        /// The reason (`SuccessfulCreate`, `ScalingReplicaSet`, ...).
        reason: &'static str,
        /// The message, word for word.
        message: String,
    },
    /// A Deployment created a ReplicaSet for a new template.
    ReplicaSetCreated {
        /// The ReplicaSet.
        replica_set: ObjectId,
        /// Its `deployment.kubernetes.io/revision`.
        revision: u64,
    },
    /// A Deployment resized a ReplicaSet (`spec.replicas`).
    ReplicaSetScaled {
        /// The ReplicaSet.
        replica_set: ObjectId,
        /// The size before.
        from: u32,
        /// The size after.
        to: u32,
    },
    /// A Deployment deleted an old ReplicaSet past its `revisionHistoryLimit`.
    ReplicaSetDeleted {
        /// The ReplicaSet.
        replica_set: ObjectId,
    },
    /// A workload controller set a condition of its object's status.
    ConditionSet {
        /// The object.
        object: ObjectId,
        /// `type` (`Progressing`, `Available`, `Complete`, `Failed`).
        condition_type: &'static str,
        /// `status` is `"True"`.
        status: bool,
        /// `reason`.
        reason: &'static str,
        /// `message`, word for word.
        message: String,
    },
}

/// Who sent a registry request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeOrAdmission {
    /// A node's containerd.
    Node(NodeId),
    /// The digest-pinning admission webhook.
    Admission,
}

/// One trace record: when, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRecord {
    /// The virtual time.
    pub time: SimTime,
    /// What happened.
    pub event: TraceEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_kinds_by_path() {
        let kind = RequestKind::of_target;
        assert_eq!(kind("/v2/"), RequestKind::Ping);
        assert_eq!(kind("/v2?x=1"), RequestKind::Ping);
        assert_eq!(kind("/v2/a/manifests/1"), RequestKind::Manifest);
        assert_eq!(kind("/v2/a/blobs/sha256:00"), RequestKind::Blob);
        assert_eq!(kind("/token?scope=x"), RequestKind::Token);
        assert_eq!(kind("/v2/_catalog"), RequestKind::Other);
        assert_eq!(RequestKind::Ping.as_str(), "ping");
    }
}
