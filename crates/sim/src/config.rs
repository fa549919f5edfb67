//! How a simulation is set up: the seed and limits, which kubelet and containerd behaviour
//! to follow where releases differ, how the pod worker's jitter is drawn, how much of the
//! trace to keep, the admission plugins, and the node pools with their links and kubelet
//! settings.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::credentials::NodeConfigCandidate;
use pullsim_model::credentials::provider::CredentialProvider;
use pullsim_model::hosts::{ContainerdVersion, HostsDirectory};
use pullsim_model::kubelet_config::KubeletPullConfig;
use pullsim_model::{CredentialVerification, KubeletBehavior, Platform, PlatformsVersion};

use crate::api::{LABEL_ARCH, LABEL_HOSTNAME, LABEL_OS, LABEL_POOL};
use crate::engine::Limits;

/// The whole simulation's settings.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Seeds the one random stream.
    pub seed: u64,
    /// Virtual time and event count limits.
    pub limits: Limits,
    /// Kubelet strings and rules that differ between releases.
    pub kubelet_behavior: KubeletBehavior,
    /// containerd/platforms rules used to choose from an index.
    pub platforms_version: PlatformsVersion,
    /// How the pod worker's requeue delays are drawn.
    pub worker_jitter: WorkerJitter,
    /// How much of the trace is kept (metrics are always computed).
    pub trace_level: TraceLevel,
    /// containerd's `max_concurrent_downloads` (CRI default 3): layers of one pull fetched at once.
    pub max_concurrent_downloads: usize,
    /// The kubelet's PLEG relist period: a started container is noticed, and the pod synced
    /// again, at the next relist tick (ticks at whole multiples of the period).
    pub pleg_relist: Duration,
    /// Admission plugins of the API server.
    pub admission: AdmissionConfig,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 0,
            limits: Limits::default(),
            kubelet_behavior: KubeletBehavior::default(),
            platforms_version: PlatformsVersion::default(),
            worker_jitter: WorkerJitter::Seeded,
            trace_level: TraceLevel::Full,
            max_concurrent_downloads: 3,
            pleg_relist: Duration::from_secs(1),
            admission: AdmissionConfig::default(),
        }
    }
}

/// The pod worker's requeue delays (docs/semantics.md §3.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerJitter {
    /// `wait.Jitter(10s, 0.5)` after an error and `wait.Jitter(1m, 0.5)` after success,
    /// drawn from the seeded stream: the kubelet's behaviour.
    Seeded,
    /// Fixed delays instead of jittered ones, to reproduce a worked example to the second.
    Fixed {
        /// The delay after a sync that returned an error (the kubelet draws from [10 s, 15 s)).
        error_requeue: Duration,
        /// The delay after a sync that returned nil (the kubelet draws from [60 s, 90 s)).
        resync: Duration,
    },
}

/// How much of the trace to keep. Metrics see every record at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TraceLevel {
    /// Nothing is kept: for benchmarks of large fleets.
    Off,
    /// API events, admission, status changes and pulls; no registry exchanges.
    Events,
    /// Everything, registry exchanges included.
    Full,
}

/// Admission plugins, in the API server's order: the ServiceAccount plugin (always on),
/// `AlwaysPullImages`, then the digest-pinning webhook.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// The `AlwaysPullImages` plugin (docs/semantics.md §5.5).
    pub always_pull_images: bool,
    /// A mutating webhook that pins every image's tag to the digest it points at when the
    /// pod is admitted (as third-party admission controllers do).
    pub digest_pinning: Option<DigestPinning>,
}

/// The digest-pinning webhook's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DigestPinning {
    /// What happens when a tag cannot be resolved (registry down, tag missing, denied).
    pub failure_policy: FailurePolicy,
}

/// A webhook's `failurePolicy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// The pod is rejected (the API default).
    Fail,
    /// The pod is admitted unchanged.
    Ignore,
}

/// A node's network path to one registry host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// Bytes per second shared fairly by the transfers running on it at once; `None` is
    /// unlimited (bodies take no time).
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// The round-trip time of one request: the request reaches the registry after half of
    /// it and the response headers come back after the other half.
    pub latency: Duration,
}

impl Link {
    /// A link of `megabits` per second and `latency` round trip.
    pub fn mbit(megabits: u64, latency: Duration) -> Link {
        Link {
            bandwidth_bytes_per_sec: Some(megabits * 1_000_000 / 8),
            latency,
        }
    }

    /// No latency and no bandwidth limit: every exchange is instantaneous.
    pub const INSTANT: Link = Link {
        bandwidth_bytes_per_sec: None,
        latency: Duration::ZERO,
    };
}

impl Default for Link {
    /// 1 Gbit/s and 10 ms.
    fn default() -> Self {
        Link::mbit(1000, Duration::from_millis(10))
    }
}

/// The kubelet's settings that shape pulling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeletSettings {
    /// `serializeImagePulls`, `maxParallelImagePulls`, `registryPullQPS`, `registryBurst`
    /// as written (defaulted and validated when the node is added).
    pub pull: KubeletPullConfig,
    /// The `KubeletEnsureSecretPulledImages` feature gate.
    pub ensure_secret_pulled_images: bool,
    /// `imagePullCredentialsVerificationPolicy` and its allowlist (used with the gate on).
    pub verification: CredentialVerification,
    /// The providers of the kubelet's `CredentialProviderConfig`
    /// (`--image-credential-provider-config`), in config order; empty without one. Each
    /// must have a plugin ([`crate::Sim::add_credential_plugin`]) when the pool is added.
    pub credential_providers: Vec<CredentialProvider>,
}

/// A pool of identical nodes, named `<pool>-0`, `<pool>-1`, ...
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePool {
    /// The pool's name.
    pub name: String,
    /// How many nodes.
    pub count: u32,
    /// The nodes' platform (containerd's default platform on them).
    pub platform: Platform,
    /// Extra node labels (the arch, os, hostname and pool labels are always set).
    pub labels: BTreeMap<String, String>,
    /// The link to each registry host; hosts not listed use `default_link`.
    pub links: BTreeMap<String, Link>,
    /// The link to any other host.
    pub default_link: Link,
    /// Images on the node before it starts (loaded by other means, not pulled by the
    /// kubelet), as references the registries resolve at that time.
    pub prepulled: Vec<String>,
    /// The node's docker config candidates, in the kubelet's search order.
    pub node_config_files: Vec<NodeConfigCandidate>,
    /// The kubelet's settings.
    pub kubelet: KubeletSettings,
    /// The nodes' containerd: its release and its registry host directory (`config_path`).
    pub containerd: ContainerdSettings,
    /// The address the nodes' requests leave from, as registries that count per address
    /// (the rate limit) see it: nodes of every pool naming the same egress share it (a
    /// NAT gateway). `None`: each node is its own address, its name.
    pub egress: Option<String>,
}

/// A node pool's containerd: the release whose registry-host rules apply, and the
/// `config_path` directory (`/etc/containerd/certs.d`) when one is configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerdSettings {
    /// The containerd release (default 2.0, the behaviour the simulator had before releases
    /// were told apart: `User-Agent: containerd/v2.0.0`, no 5xx retry).
    pub version: ContainerdVersion,
    /// The hosts directory; `None`: no `config_path`, every request goes to the registry.
    pub hosts: Option<HostsDirectory>,
}

impl Default for ContainerdSettings {
    fn default() -> ContainerdSettings {
        ContainerdSettings {
            version: ContainerdVersion::V2_0,
            hosts: None,
        }
    }
}

impl NodePool {
    /// `count` linux/amd64 nodes with default links and kubelet settings.
    pub fn new(name: impl Into<String>, count: u32) -> NodePool {
        NodePool {
            name: name.into(),
            count,
            platform: Platform::new("linux", "amd64", ""),
            labels: BTreeMap::new(),
            links: BTreeMap::new(),
            default_link: Link::default(),
            prepulled: Vec::new(),
            node_config_files: Vec::new(),
            kubelet: KubeletSettings::default(),
            containerd: ContainerdSettings::default(),
            egress: None,
        }
    }

    /// The link to `host`.
    pub fn link_to(&self, host: &str) -> Link {
        self.links.get(host).copied().unwrap_or(self.default_link)
    }

    /// The name of the pool's node number `index` (from 0): `<pool>-<index>`.
    pub fn node_name(&self, index: u32) -> String {
        format!("{}-{index}", self.name)
    }

    /// Every label of the pool's node number `index`, as the node carries it and a
    /// `nodeSelector` is matched against it: the pool's own labels, then the well-known
    /// `kubernetes.io/os`, `kubernetes.io/arch` and `kubernetes.io/hostname` and pullsim's
    /// `pullsim.dev/pool`, which win over a pool label of the same key.
    pub fn node_labels(&self, index: u32) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        let normalized = self.platform.normalize();
        labels.insert(LABEL_OS.to_owned(), normalized.os);
        labels.insert(LABEL_ARCH.to_owned(), normalized.architecture);
        labels.insert(LABEL_HOSTNAME.to_owned(), self.node_name(index));
        labels.insert(LABEL_POOL.to_owned(), self.name.clone());
        labels
    }
}
