//! The Kubernetes API objects the simulator takes, reduced to what image pulling reads:
//! Pods (containers and init containers with their image and pull policy, pull secrets,
//! service account, node name or selector), ServiceAccounts with their pull secrets,
//! and workloads (a pod template with replicas). Secrets are the model's
//! [`Secret`](pullsim_model::Secret), as the API server stores them.
//!
//! These are plain typed structs: a scenario file's parser builds them, the simulator
//! never reads YAML itself.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::PullPolicy;

/// The well-known node label of the CPU architecture (`amd64`, `arm64`, `arm`).
pub const LABEL_ARCH: &str = "kubernetes.io/arch";
/// The well-known node label of the operating system.
pub const LABEL_OS: &str = "kubernetes.io/os";
/// The well-known node label holding the node's name.
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
/// The label every simulated node carries with its pool's name.
pub const LABEL_POOL: &str = "pullsim.dev/pool";

/// One container of a pod spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// `name`.
    pub name: String,
    /// `image`, verbatim: events, messages and back-off keys use it as written.
    pub image: String,
    /// `imagePullPolicy`; `None` (empty) is defaulted by the API server when the pod is
    /// created, with the model's rule (docs/semantics.md §2).
    pub image_pull_policy: Option<PullPolicy>,
    /// `readinessProbe.initialDelaySeconds` when the container has a readiness probe: it is
    /// Ready this long after it starts running. `None` (no probe): Ready once running.
    pub readiness_delay: Option<Duration>,
}

impl Container {
    /// A container with an empty pull policy.
    pub fn new(name: impl Into<String>, image: impl Into<String>) -> Container {
        Container {
            name: name.into(),
            image: image.into(),
            image_pull_policy: None,
            readiness_delay: None,
        }
    }

    /// The same container with `policy`.
    #[must_use]
    pub fn with_policy(mut self, policy: PullPolicy) -> Container {
        self.image_pull_policy = Some(policy);
        self
    }
}

/// The parts of a pod's `spec` that image pulling reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodSpec {
    /// `initContainers`, run one after another, each to completion, before `containers`.
    pub init_containers: Vec<Container>,
    /// `containers`.
    pub containers: Vec<Container>,
    /// `imagePullSecrets`: Secret names in the pod's namespace, in order.
    pub image_pull_secrets: Vec<String>,
    /// `serviceAccountName`; `None` means `default`.
    pub service_account_name: Option<String>,
    /// `nodeName`: bind to this node, bypassing scheduling.
    pub node_name: Option<String>,
    /// `nodeSelector`: every pair must be among the node's labels.
    pub node_selector: BTreeMap<String, String>,
    /// `restartPolicy`: what the kubelet does when a container exits.
    pub restart_policy: RestartPolicy,
    /// Not a Kubernetes field: how long each regular container runs before it exits 0
    /// (the scenario's `runFor`). `None`: containers run until the pod is deleted.
    pub run_for: Option<Duration>,
}

/// `spec.restartPolicy` of a pod.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RestartPolicy {
    /// `Always` (the default): an exited container is started again (after the kubelet's
    /// crash back-off), and the pod never finishes.
    #[default]
    Always,
    /// `OnFailure`: a container that exits 0 stays exited; the pod is `Succeeded` once
    /// every container has.
    OnFailure,
    /// `Never`: no container is started again; the pod is `Succeeded` when every container
    /// exited 0, `Failed` otherwise.
    Never,
}

impl RestartPolicy {
    /// The policy as the API spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicy::Always => "Always",
            RestartPolicy::OnFailure => "OnFailure",
            RestartPolicy::Never => "Never",
        }
    }
}

/// A Pod as created through the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `spec`.
    pub spec: PodSpec,
}

impl Pod {
    /// A pod in namespace `default` with these containers and nothing else set.
    pub fn new(name: impl Into<String>, containers: Vec<Container>) -> Pod {
        Pod {
            name: name.into(),
            namespace: "default".to_owned(),
            spec: PodSpec {
                containers,
                ..PodSpec::default()
            },
        }
    }

    /// `namespace/name`, the form the trace prints.
    pub fn key(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// A ServiceAccount: its `imagePullSecrets` are added to pods that name it and have none
/// of their own (the ServiceAccount admission plugin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceAccount {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `imagePullSecrets`, by name, in order.
    pub image_pull_secrets: Vec<String>,
    /// `metadata.annotations` (a credential provider in service-account-token mode sends
    /// the ones its `tokenAttributes` name).
    pub annotations: BTreeMap<String, String>,
}

/// Replicated pods from one template, placed across the nodes the template's selector
/// matches: replica `i` goes to matching node `i mod n` (nodes in creation order), so the
/// placement is spread evenly and never depends on anything but the world's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The workload's name; replica `i` is the pod `<name>-<i>` and the drift metrics
    /// group by it.
    pub name: String,
    /// The pod template (its own `name` is ignored).
    pub template: Pod,
    /// How many pods.
    pub replicas: u32,
    /// When set, every replica is deleted and created again (a new pod, with a new UID, on
    /// the same node) this often, as pods churn in a long-running cluster; replica `i`'s
    /// first replacement comes `(i + 1) / replicas` of the period after creation, so the
    /// churn is spread evenly.
    pub replace_every: Option<Duration>,
}

/// A container's position in its pod: which list and which index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerRef {
    /// Whether it is an init container.
    pub init: bool,
    /// Its index in its list.
    pub index: u16,
}

impl ContainerRef {
    /// The container in slot `slot` of a pod whose slots hold its `init_total` init
    /// containers first, then its regular containers.
    pub(crate) fn of_slot(slot: usize, init_total: usize) -> ContainerRef {
        if slot < init_total {
            ContainerRef {
                init: true,
                index: slot as u16,
            }
        } else {
            ContainerRef {
                init: false,
                index: (slot - init_total) as u16,
            }
        }
    }

    /// The container in `spec`.
    pub fn in_spec(self, spec: &PodSpec) -> Option<&Container> {
        if self.init {
            spec.init_containers.get(usize::from(self.index))
        } else {
            spec.containers.get(usize::from(self.index))
        }
    }

    /// kubectl's field path of the container's events: `spec.containers{name}` or
    /// `spec.initContainers{name}`.
    pub fn field_path(self, spec: &PodSpec) -> String {
        let name = self.in_spec(spec).map_or("", |c| c.name.as_str());
        if self.init {
            format!("spec.initContainers{{{name}}}")
        } else {
            format!("spec.containers{{{name}}}")
        }
    }
}
