//! The story of a run: the simulator's trace with every id replaced by its name (pods,
//! containers, nodes, hosts, digests in full), plus the pods that took part and what the
//! nodes hold at the end. The
//! transcript, the JSON document and the expectations all read this, so they can never
//! tell different stories, and none of them needs the simulator afterwards.

use serde::Serialize;

use pullsim_model::SimTime;
use pullsim_model::credentials::CredentialSource;
use pullsim_sim::{
    AttemptOutcome, ContainerRef, ContainerState, NodeOrAdmission, PodId, Sim, TraceEvent,
    TraceRecord,
};

use crate::run::holdings::{Holding, holdings};

/// One record of the story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Record {
    /// Virtual time, in nanoseconds since the start of the run.
    pub(crate) at_ns: SimTime,
    /// What happened.
    #[serde(flatten)]
    pub(crate) entry: Entry,
}

/// A pod instance: a re-created pod has the same name and a new `instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub(crate) struct Instance(pub(crate) u32);

/// What happened, with names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Entry {
    /// A pod passed admission.
    PodCreated {
        pod: String,
        instance: Instance,
        namespace: String,
        workload: Option<String>,
    },
    /// Admission refused a pod.
    PodRejected { pod: String, message: String },
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
}

/// A container's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum State {
    /// Waiting, with a reason and message.
    Waiting { reason: String, message: String },
    /// Running an image.
    Running {
        /// The image ID (config digest).
        image_id: String,
        /// The digest it was pulled or loaded by.
        digest: String,
    },
    /// An init container that finished.
    Completed,
}

/// Where a credential came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub(crate) enum Credential {
    /// A pod pull Secret.
    Secret { name: String, index: usize },
    /// A node docker config file.
    Node { index: usize },
    /// None at all.
    Anonymous,
}

impl Credential {
    /// `secret/<name>`, `node` or `anonymous`, as expectations write it.
    pub(crate) fn label(&self) -> String {
        match self {
            Credential::Secret { name, .. } => format!("secret/{name}"),
            Credential::Node { .. } => "node".to_owned(),
            Credential::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// One pod instance that existed during the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PodInfo {
    /// Its name.
    pub(crate) pod: String,
    /// Its namespace.
    pub(crate) namespace: String,
    /// The simulator's deterministic UID.
    pub(crate) uid: String,
    /// Its node, once bound.
    pub(crate) node: Option<String>,
    /// Its workload, when a replica.
    pub(crate) workload: Option<String>,
    /// Init containers, then containers, by name.
    pub(crate) init_containers: Vec<String>,
    /// Regular containers, by name.
    pub(crate) containers: Vec<String>,
    /// The images as admitted (after pinning), init containers first.
    pub(crate) images: Vec<String>,
}

/// The story of a run.
#[derive(Debug, Clone, Default)]
pub(crate) struct Story {
    /// Every record, in the order the simulation made them.
    pub(crate) records: Vec<Record>,
    /// Every pod instance, by instance number.
    pub(crate) pods: Vec<PodInfo>,
    /// What the nodes' image stores hold when the story is made.
    pub(crate) holdings: Vec<Holding>,
}

impl Story {
    /// The story of what `sim` has simulated so far.
    pub(crate) fn of(sim: &Sim) -> Story {
        let mut pods: Vec<PodInfo> = Vec::new();
        let mut records = Vec::with_capacity(sim.trace().len());
        for record in sim.trace() {
            if let TraceEvent::PodCreated { pod, workload } = record.event {
                while pods.len() <= pod.0 as usize {
                    let id = PodId(pods.len() as u32);
                    let workload = (id == pod).then_some(workload).flatten();
                    pods.push(pod_info(sim, id, workload.map(|w| sim.workload_name(w))));
                }
            }
            records.push(Record {
                at_ns: record.time,
                entry: entry(sim, record),
            });
        }
        Story {
            records,
            pods,
            holdings: holdings(sim),
        }
    }

    /// The pod instance's name.
    pub(crate) fn pod(&self, instance: Instance) -> Option<&PodInfo> {
        self.pods.get(instance.0 as usize)
    }
}

fn pod_info(sim: &Sim, id: PodId, workload: Option<&str>) -> PodInfo {
    let key = sim.pod_key(id);
    let (namespace, name) = key.split_once('/').unwrap_or(("default", key.as_str()));
    let spec = sim.pod_spec(id);
    let workload = workload.map(str::to_owned);
    PodInfo {
        pod: name.to_owned(),
        namespace: namespace.to_owned(),
        uid: sim.pod_uid(id),
        node: sim.pod_node(id).map(|node| sim.node_name(node).to_owned()),
        workload,
        init_containers: spec
            .init_containers
            .iter()
            .map(|c| c.name.clone())
            .collect(),
        containers: spec.containers.iter().map(|c| c.name.clone()).collect(),
        images: spec
            .init_containers
            .iter()
            .chain(&spec.containers)
            .map(|c| c.image.clone())
            .collect(),
    }
}

fn name(sim: &Sim, pod: PodId) -> (String, Instance) {
    let key = sim.pod_key(pod);
    let name = key.split_once('/').map_or(key.as_str(), |(_, n)| n);
    (name.to_owned(), Instance(pod.0))
}

fn container_name(sim: &Sim, pod: PodId, container: ContainerRef) -> String {
    container
        .in_spec(sim.pod_spec(pod))
        .map_or_else(String::new, |c| c.name.clone())
}

/// `spec.containers{web}` -> `web`.
fn field_path_name(path: &str) -> String {
    path.split_once('{')
        .map_or(path, |(_, rest)| rest.trim_end_matches('}'))
        .to_owned()
}

fn entry(sim: &Sim, record: &TraceRecord) -> Entry {
    let node = |id| sim.node_name(id).to_owned();
    match &record.event {
        TraceEvent::PodCreated { pod, workload } => {
            let (name, instance) = name(sim, *pod);
            let key = sim.pod_key(*pod);
            Entry::PodCreated {
                pod: name,
                instance,
                namespace: key.split_once('/').map_or("", |(ns, _)| ns).to_owned(),
                workload: workload.map(|w| sim.workload_name(w).to_owned()),
            }
        }
        TraceEvent::PodRejected { pod, message } => Entry::PodRejected {
            pod: pod
                .split_once('/')
                .map_or(pod.as_str(), |(_, n)| n)
                .to_owned(),
            message: message.clone(),
        },
        TraceEvent::Admitted {
            pod,
            plugin,
            change,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::Admitted {
                pod,
                instance,
                plugin: (*plugin).to_owned(),
                change: change.clone(),
            }
        }
        TraceEvent::PodScheduled { pod, node: id } => {
            let (pod, instance) = name(sim, *pod);
            Entry::Scheduled {
                pod,
                instance,
                node: node(*id),
            }
        }
        TraceEvent::PodUnschedulable { pod } => {
            let (pod, instance) = name(sim, *pod);
            Entry::Unschedulable { pod, instance }
        }
        TraceEvent::PodDeleted { pod } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PodDeleted { pod, instance }
        }
        TraceEvent::Event {
            pod,
            container,
            event_type,
            reason,
            message,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::Event {
                pod,
                instance,
                container: container.as_deref().map(field_path_name),
                event_type: event_type.as_str().to_owned(),
                reason: reason.clone(),
                message: message.clone(),
            }
        }
        TraceEvent::ContainerStatus {
            pod,
            container,
            state,
        } => {
            let container_name = container_name(sim, *pod, *container);
            let (name, instance) = name(sim, *pod);
            Entry::Status {
                pod: name,
                instance,
                container: container_name,
                init: container.init,
                state: match state {
                    ContainerState::Waiting { reason, message } => State::Waiting {
                        reason: reason.to_string(),
                        message: message.clone(),
                    },
                    ContainerState::Running { image_id, digest } => State::Running {
                        image_id: sim.digest(*image_id).to_string(),
                        digest: sim.digest(*digest).to_string(),
                    },
                    ContainerState::Completed => State::Completed,
                },
            }
        }
        TraceEvent::PodRunning { pod } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PodRunning { pod, instance }
        }
        TraceEvent::PullAvoided { pod, node: id } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PullAvoided {
                pod,
                instance,
                node: node(*id),
            }
        }
        TraceEvent::PullQueued {
            pod,
            node: id,
            image,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PullQueued {
                pod,
                instance,
                node: node(*id),
                image: image.clone(),
            }
        }
        TraceEvent::CredentialAttempt {
            pod,
            container,
            node: id,
            source,
            username,
            outcome,
        } => {
            let container_name = container_name(sim, *pod, *container);
            let (pod, instance) = name(sim, *pod);
            Entry::CredentialAttempt {
                pod,
                instance,
                container: container_name,
                node: node(*id),
                credential: match source {
                    Some(CredentialSource::PodSecret { index, name, .. }) => Credential::Secret {
                        name: name.clone(),
                        index: *index,
                    },
                    Some(CredentialSource::NodeConfig { index }) => {
                        Credential::Node { index: *index }
                    }
                    None => Credential::Anonymous,
                },
                username: username.clone(),
                error: match outcome {
                    AttemptOutcome::Pulled => None,
                    AttemptOutcome::Failed(text) => Some(text.clone()),
                },
            }
        }
        TraceEvent::PlatformChosen {
            pod,
            node: id,
            platform,
            manifest,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PlatformChosen {
                pod,
                instance,
                node: node(*id),
                platform: platform.clone(),
                manifest: sim.digest(*manifest).to_string(),
            }
        }
        TraceEvent::PullFinished {
            pod,
            node: id,
            image,
            pull_duration,
            total_duration,
            succeeded,
            content_hits,
            fetched,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PullFinished {
                pod,
                instance,
                node: node(*id),
                image: image.clone(),
                pull_ns: u64::try_from(pull_duration.as_nanos()).unwrap_or(u64::MAX),
                total_ns: u64::try_from(total_duration.as_nanos()).unwrap_or(u64::MAX),
                succeeded: *succeeded,
                content_hits: *content_hits,
                fetched: *fetched,
            }
        }
        TraceEvent::Registry {
            host,
            client,
            method,
            target,
            kind,
            status,
            body_bytes,
        } => Entry::Request {
            host: sim.host_name(*host).to_owned(),
            client: match client {
                NodeOrAdmission::Node(id) => node(*id),
                NodeOrAdmission::Admission => pullsim_sim::ADMISSION_CLIENT.to_owned(),
            },
            method: (*method).to_owned(),
            request_kind: request_kind(*kind, target).to_owned(),
            target: target.clone(),
            status: *status,
            bytes: *body_bytes,
        },
        TraceEvent::Timeline { what } => Entry::Timeline { what: what.clone() },
        TraceEvent::KubeletRestarted { node: id } => Entry::KubeletRestarted { node: node(*id) },
    }
}

/// The simulator's kind of a request, with the API check (`/v2/`) told apart from other
/// paths, as expectations name it.
fn request_kind(kind: pullsim_sim::RequestKind, target: &str) -> &'static str {
    let path = target.split('?').next().unwrap_or(target);
    match kind {
        pullsim_sim::RequestKind::Other if path == "/v2/" || path == "/v2" => "ping",
        other => other.as_str(),
    }
}

/// The repository a request is about: the name in `/v2/<name>/manifests/...` or
/// `/v2/<name>/blobs/...`, or the scope of a token request.
pub(crate) fn request_repository(target: &str) -> Option<String> {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(rest) = path.strip_prefix("/v2/") {
        for marker in ["/manifests/", "/blobs/"] {
            if let Some(index) = rest.rfind(marker) {
                return Some(rest[..index].to_owned());
            }
        }
        return None;
    }
    query
        .split('&')
        .filter_map(|pair| pair.strip_prefix("scope="))
        .map(percent_decode)
        .find_map(|scope| {
            let rest = scope.strip_prefix("repository:")?;
            let name = rest.rsplit_once(':').map_or(rest, |(name, _)| name);
            Some(name.to_owned())
        })
}

/// Decodes `%XX` escapes (token scopes escape `:` and `/`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[index], bytes.get(index + 1), bytes.get(index + 2)) {
            (b'%', Some(&high), Some(&low)) if hex(high).is_some() && hex(low).is_some() => {
                let value = hex(high).unwrap_or(0) * 16 + hex(low).unwrap_or(0);
                out.push(value as u8);
                index += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                index += 1;
            }
            (byte, _, _) => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_of_request_targets() {
        let check = |target: &str, expected: Option<&str>| {
            assert_eq!(request_repository(target).as_deref(), expected, "{target}");
        };
        check("/v2/team/web/manifests/v1", Some("team/web"));
        check("/v2/library/nginx/blobs/sha256:abc", Some("library/nginx"));
        check("/v2/", None);
        check(
            "/token?scope=repository%3Aprivate%2Fapp%3Apull&service=pullsim",
            Some("private/app"),
        );
        check("/token?service=pullsim", None);
    }

    #[test]
    fn field_paths_name_their_container() {
        assert_eq!(field_path_name("spec.containers{web}"), "web");
        assert_eq!(field_path_name("spec.initContainers{setup}"), "setup");
    }
}
