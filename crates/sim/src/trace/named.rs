//! The trace named: each [`TraceEvent`] with its ids replaced by names (pods by name and
//! instance, containers, nodes, hosts, digests in full), as the transcript, the JSON document
//! and the expectations read it. [`Sim::named_entry`] is the only place ids become names;
//! the trace's own text ([`Sim::render_record`]) is printed from the named form too.

use serde::Serialize;

use pullsim_model::credentials::CredentialSource;

use crate::Sim;
use crate::api::ContainerRef;
use crate::trace::{
    AttemptOutcome, ContainerState, NodeOrAdmission, PodId, RequestKind, TraceEvent,
};

/// A pod instance: a re-created pod has the same name and a new `instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Instance(pub u32);

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
pub enum State {
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
pub enum Credential {
    /// A pod pull Secret.
    Secret { name: String, index: usize },
    /// A node docker config file.
    Node { index: usize },
    /// None at all.
    Anonymous,
}

impl Credential {
    /// `secret/<name>`, `node` or `anonymous`, as expectations write it.
    pub fn label(&self) -> String {
        match self {
            Credential::Secret { name, .. } => format!("secret/{name}"),
            Credential::Node { .. } => "node".to_owned(),
            Credential::Anonymous => "anonymous".to_owned(),
        }
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

impl Sim {
    /// The record's event with every id replaced by its name: the one place the trace is
    /// named, for the transcript, the JSON, the expectations and [`Sim::render_record`].
    pub fn named_entry(&self, event: &TraceEvent) -> Entry {
        named_entry(self, event)
    }
}

fn named_entry(sim: &Sim, event: &TraceEvent) -> Entry {
    let node = |id| sim.node_name(id).to_owned();
    match event {
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
            key: pod.clone(),
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
                field_path: container.clone(),
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
                NodeOrAdmission::Admission => crate::ADMISSION_CLIENT.to_owned(),
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
fn request_kind(kind: RequestKind, target: &str) -> &'static str {
    let path = target.split('?').next().unwrap_or(target);
    match kind {
        RequestKind::Other if path == "/v2/" || path == "/v2" => "ping",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_name_their_container() {
        assert_eq!(field_path_name("spec.containers{web}"), "web");
        assert_eq!(field_path_name("spec.initContainers{setup}"), "setup");
    }

    #[test]
    fn the_api_check_is_a_ping() {
        assert_eq!(request_kind(RequestKind::Other, "/v2/"), "ping");
        assert_eq!(request_kind(RequestKind::Other, "/v2?x=1"), "ping");
        assert_eq!(request_kind(RequestKind::Other, "/token"), "other");
        assert_eq!(
            request_kind(RequestKind::Manifest, "/v2/a/manifests/1"),
            "manifest"
        );
    }
}
