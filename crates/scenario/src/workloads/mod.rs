//! `workloads:`: real manifests as `kubectl get -o yaml` prints them: bare Pods (`v1`),
//! Deployments, ReplicaSets, DaemonSets and StatefulSets (`apps/v1`) and Jobs (`batch/v1`),
//! each created at a time.
//!
//! ```yaml
//! workloads:
//!   - apiVersion: v1
//!     kind: Pod
//!     metadata: {name: web, namespace: team-a}
//!     replicas: 3                # pods web-0, web-1, web-2; without it, one pod "web"
//!     at: 30s                    # created 30 s into the run; default 0s
//!     replaceEvery: 10m          # optional churn: each pod deleted and created again
//!     spec:
//!       containers: [{name: app, image: registry.example.com/team/app:v1}]
//!   - apiVersion: apps/v1
//!     kind: Deployment
//!     metadata: {name: api}
//!     at: 1m                     # scenario additions beside the manifest's fields
//!     runFor: 5m                 # each regular container exits 0 after 5 minutes
//!     spec:
//!       replicas: 4
//!       selector: {matchLabels: {app: api}}
//!       strategy: {rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
//!       template:
//!         metadata: {labels: {app: api}}
//!         spec:
//!           containers:
//!             - name: api
//!               image: registry.example.com/team/api:v2
//!               readinessProbe: {initialDelaySeconds: 5, httpGet: {path: /healthz, port: 80}}
//! ```
//!
//! One file per kind: `pod.rs` (a bare Pod, and the pod spec every template holds),
//! `template.rs` (a pod template and the selector that must match its labels),
//! `deployment.rs`, `replica_set.rs`, `daemon_set.rs`, `stateful_set.rs`, `job.rs`, and
//! `validation.rs` (the API server's field errors, word for word). A workload object is
//! read into the simulator's own [`WorkloadObject`]; [`Workload`] adds only when it is
//! created and where it is written.
//!
//! Only what the simulation uses is read; every other field of a real manifest is ignored
//! (`status`, `managedFields`, `resources`, `volumes`, probes other than readiness, ...), so
//! a manifest pastes in. An unknown field close to one that is read (`imagePulPolicy`,
//! `replica`) is an error, since ignoring it would change the result. What is read is
//! validated as the API server validates it (pkg/apis/apps/validation,
//! pkg/apis/batch/validation, pkg/apis/core/validation), with its messages.

mod daemon_set;
mod deployment;
mod job;
mod pod;
mod replica_set;
mod stateful_set;
mod template;
mod validation;

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::{NodePool, Pod, Workload as SimWorkload, WorkloadKind, WorkloadObject};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, duration, list, time};
use crate::objects::read_name_and_namespace;
use crate::references::Known;
use crate::tree::Node;

pub(crate) use pod::read_pod;

/// A manifest as the simulator takes it, and when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// When the pods (or the object) are created.
    pub at: SimTime,
    /// The pod, the replicated workload, or the workload object.
    pub pods: Pods,
    /// Where the manifest is.
    pub position: Position,
    /// The `manifests:` file it was read from (as its errors name it); `None` when it is
    /// written in the scenario file.
    pub file: Option<String>,
}

/// What a manifest creates: one pod, replicas of it, or a workload object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pods {
    /// A Pod without `replicas`: one pod, named as the manifest, placed by the scheduler.
    Single {
        /// The pod.
        pod: Pod,
        /// `replaceEvery`: the pod is deleted and created again (a new pod of the same
        /// name) this often, until the run ends.
        replace_every: Option<Duration>,
    },
    /// A Pod with `replicas`: the simulator's workload, pods `name-0` ... `name-(n-1)`,
    /// whose template is the manifest (named as it).
    Replicated(SimWorkload),
    /// A Deployment, ReplicaSet, DaemonSet, StatefulSet or Job: the simulator's controllers
    /// create its pods.
    Object(WorkloadObject),
}

impl Workload {
    /// `metadata.name`: the pod's name, the prefix of its replicas' names, or the object's
    /// name.
    pub fn name(&self) -> &str {
        match &self.pods {
            Pods::Object(object) => &object.name,
            _ => &self.pod().name,
        }
    }

    /// `metadata.namespace`, `default` when absent.
    pub fn namespace(&self) -> &str {
        match &self.pods {
            Pods::Object(object) => &object.namespace,
            _ => &self.pod().namespace,
        }
    }

    /// The pod, the replicas' template, or the object's pod template.
    pub fn pod(&self) -> &Pod {
        match &self.pods {
            Pods::Single { pod, .. } => pod,
            Pods::Replicated(workload) => &workload.template,
            Pods::Object(object) => &object.spec.template().pod,
        }
    }

    /// The workload object, when the manifest is one.
    pub fn object(&self) -> Option<&WorkloadObject> {
        match &self.pods {
            Pods::Object(object) => Some(object),
            _ => None,
        }
    }

    /// Whether this is a Pod with `replicas` written.
    pub fn is_replicated(&self) -> bool {
        matches!(self.pods, Pods::Replicated(_))
    }

    /// `replaceEvery`, if written.
    pub fn replace_every(&self) -> Option<Duration> {
        match &self.pods {
            Pods::Single { replace_every, .. } => *replace_every,
            Pods::Replicated(workload) => workload.replace_every,
            Pods::Object(_) => None,
        }
    }

    /// The names of the pods this manifest creates, when the file fixes them: a Pod's, or a
    /// replicated Pod's. A workload object's pods are named by its controller as it runs
    /// (random suffixes, or a StatefulSet's ordinals as it scales), so none are listed.
    pub fn pod_names(&self) -> Vec<String> {
        match &self.pods {
            Pods::Single { pod, .. } => vec![pod.name.clone()],
            Pods::Replicated(workload) => (0..workload.replicas)
                .map(|index| format!("{}-{index}", workload.name))
                .collect(),
            Pods::Object(_) => Vec::new(),
        }
    }

    /// The names of its init containers then its containers.
    pub fn container_names(&self) -> impl Iterator<Item = &str> {
        let spec = &self.pod().spec;
        spec.init_containers
            .iter()
            .chain(&spec.containers)
            .map(|container| container.name.as_str())
    }
}

/// What a manifest's references are checked against.
pub(crate) struct Context<'a> {
    /// Names described elsewhere in the scenario.
    pub(crate) known: &'a Known,
    /// The node pools, for `nodeSelector`.
    pub(crate) pools: &'a [NodePool],
}

/// Where a manifest is written, which decides the scenario additions it may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// An item of `workloads:`: `at` and `runFor` (and a Pod's `replicas` and
    /// `replaceEvery`) beside the manifest's own fields.
    Workloads,
    /// A timeline action at this time: `at` is the action's; `runFor` (and a Pod's
    /// `replicas` and `replaceEvery`) may be written.
    Timeline(SimTime),
    /// A document of a `manifests:` file: plain Kubernetes, nothing added; the file's entry
    /// gives the time and `runFor`.
    File {
        /// The entry's `at`.
        at: SimTime,
        /// The entry's `runFor`.
        run_for: Option<Duration>,
    },
}

/// The kinds a workload manifest may be, as `kind:` spells them, and their API versions.
pub(crate) const WORKLOAD_KINDS: [(&str, &str); 6] = [
    ("Pod", "v1"),
    ("Deployment", "apps/v1"),
    ("ReplicaSet", "apps/v1"),
    ("DaemonSet", "apps/v1"),
    ("StatefulSet", "apps/v1"),
    ("Job", "batch/v1"),
];

/// The kinds listed for an error.
pub(crate) const WORKLOAD_KINDS_LISTED: &str =
    "Pod, Deployment, ReplicaSet, DaemonSet, StatefulSet or Job";

/// The `kind:` a manifest writes, if it is text.
pub(crate) fn written_kind(node: &Node) -> Option<&str> {
    node.entries()?
        .iter()
        .find(|entry| entry.key == "kind")
        .and_then(|entry| entry.value.scalar())
}

/// Reads `workloads:`.
pub(crate) fn read_workloads(
    node: &Node,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Vec<Workload> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| read_workload(item, Origin::Workloads, context, diagnostics))
        .collect()
}

/// Reads one workload manifest of any kind; without `kind`, a Pod. A kind that is not a
/// workload is reported and the manifest read as a Pod, so its other mistakes show too.
pub(crate) fn read_workload(
    node: &Node,
    origin: Origin,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Workload> {
    let kind = match written_kind(node) {
        Some("Deployment") => WorkloadKind::Deployment,
        Some("ReplicaSet") => WorkloadKind::ReplicaSet,
        Some("DaemonSet") => WorkloadKind::DaemonSet,
        Some("StatefulSet") => WorkloadKind::StatefulSet,
        Some("Job") => WorkloadKind::Job,
        Some("Pod") | None => return read_pod(node, origin, "Pod", context, diagnostics),
        Some(_) => {
            return read_pod(node, origin, WORKLOAD_KINDS_LISTED, context, diagnostics);
        }
    };
    read_object(node, kind, origin, context, diagnostics)
}

/// What every workload object's top level holds besides its `spec`.
pub(crate) struct Header {
    /// `metadata.name`.
    pub(crate) name: Option<String>,
    /// `metadata.namespace`.
    pub(crate) namespace: String,
    /// When it is created.
    pub(crate) at: Option<SimTime>,
    /// `runFor`, for its template.
    pub(crate) run_for: Option<Option<Duration>>,
}

fn read_object(
    node: &Node,
    kind: WorkloadKind,
    origin: Origin,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Workload> {
    let what = format!("a {} manifest", kind.as_str());
    let mut fields = Fields::of(node, &what, diagnostics)?;
    let header = read_header(&mut fields, kind, origin, context, diagnostics);
    let spec_node = fields.require("spec", diagnostics);
    fields.finish_extended_manifest(&["status"], diagnostics);
    let namespace = header.namespace.clone();
    let name = header.name.as_deref().unwrap_or_default();
    let spec = spec_node.and_then(|spec| {
        let run_for = header.run_for.flatten();
        let read = match kind {
            WorkloadKind::Deployment => deployment::read,
            WorkloadKind::ReplicaSet => replica_set::read,
            WorkloadKind::DaemonSet => daemon_set::read,
            WorkloadKind::StatefulSet => stateful_set::read,
            WorkloadKind::Job => job::read,
        };
        read(spec, name, &namespace, run_for, context, diagnostics)
    });
    let (name, at, _) = (header.name?, header.at?, header.run_for?);
    Some(Workload {
        at,
        pods: Pods::Object(WorkloadObject {
            namespace,
            name,
            spec: spec?,
        }),
        position: node.position,
        file: None,
    })
}

/// `apiVersion`, `kind`, `metadata` and the scenario additions `at` and `runFor`.
fn read_header(
    fields: &mut Fields<'_>,
    kind: WorkloadKind,
    origin: Origin,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Header {
    let (_, version) = WORKLOAD_KINDS
        .iter()
        .find(|(name, _)| *name == kind.as_str())
        .copied()
        .unwrap_or(("", "v1"));
    match fields.get("apiVersion") {
        Some(written) if written.scalar() != Some(version) => diagnostics.error(
            written.position,
            format!(
                "unsupported apiVersion {} for {} (expected {version})",
                written.describe(),
                kind.as_str()
            ),
        ),
        _ => {}
    }
    fields.get("kind");
    let metadata = fields
        .require("metadata", diagnostics)
        .and_then(|metadata| Fields::of(metadata, "metadata", diagnostics));
    let (name, namespace) = match metadata {
        Some(mut metadata) => {
            let read = read_name_and_namespace(&mut metadata, diagnostics);
            metadata.finish_manifest(diagnostics);
            read
        }
        None => (None, "default".to_owned()),
    };
    let (at, run_for) = read_additions(fields, origin, context, diagnostics);
    Header {
        name,
        namespace,
        at,
        run_for,
    }
}

/// The scenario's `at` and `runFor` beside a manifest's fields, as `origin` allows them:
/// the creation time, and the containers' `runFor` (`None` in the outer option when it was
/// written wrong).
pub(crate) fn read_additions(
    fields: &mut Fields<'_>,
    origin: Origin,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> (Option<SimTime>, Option<Option<Duration>>) {
    match origin {
        Origin::File { at, run_for } => (Some(at), Some(run_for)),
        Origin::Workloads | Origin::Timeline(_) => {
            let at = match (fields.get("at"), origin) {
                (Some(node), Origin::Timeline(_)) => {
                    diagnostics.error(
                        node.position,
                        "a pod created by the timeline takes its time from the action's \"at\"",
                    );
                    None
                }
                (Some(node), _) => time(node, diagnostics).inspect(|&at| {
                    context.known.within_run(at, node.position, diagnostics);
                }),
                (None, Origin::Timeline(at)) => Some(at),
                (None, _) => Some(SimTime::EPOCH),
            };
            let run_for = match fields.get("runFor") {
                None => Some(None),
                Some(node) => read_run_for(node, diagnostics).map(Some),
            };
            (at, run_for)
        }
    }
}

/// `runFor: <duration>`, longer than zero.
pub(crate) fn read_run_for(node: &Node, diagnostics: &mut Diagnostics) -> Option<Duration> {
    duration(node, diagnostics).filter(|length| {
        let positive = !length.is_zero();
        if !positive {
            diagnostics.error(node.position, "runFor must be longer than 0s");
        }
        positive
    })
}

/// The API server's resource name of a kind, as its "already exists" errors print it
/// (`deployments.apps`).
pub(crate) fn resource_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployments.apps",
        WorkloadKind::ReplicaSet => "replicasets.apps",
        WorkloadKind::DaemonSet => "daemonsets.apps",
        WorkloadKind::StatefulSet => "statefulsets.apps",
        WorkloadKind::Job => "jobs.batch",
    }
}
