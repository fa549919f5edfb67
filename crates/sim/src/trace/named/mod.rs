//! The trace named, and its human forms side by side: each [`TraceEvent`] with its ids
//! replaced by names (pods by name and instance, containers, nodes, hosts, digests in full),
//! as the transcript, the JSON document and the expectations read it; the record's line in
//! the trace's own text ([`Sim::render_record`]); and its line in the scenario transcript
//! ([`Entry::transcript_line`]). [`Sim::named_entry`] is the only place ids become names,
//! and this file the only place a record's words are chosen: a new record's named form and
//! both its lines are three arms here, its variant one in [`entry`] (a family of records
//! may keep its three arms in a file of its own, as `controllers` and `plugins` do).

use std::fmt::Write as _;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::credentials::CredentialSource;

use crate::Sim;

mod controllers;
mod entry;
mod plugins;

use crate::trace::line::{Line, LineContext, client_object};
use crate::trace::names::{container_name, field_path_name, name};
use crate::trace::{
    AttemptOutcome, ContainerState, Credential, Instance, NodeOrAdmission, PodId, State,
    TraceEvent, duration, registry_failure, short_digests, size,
};
pub use entry::Entry;

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
                        message: message.to_string(),
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
        TraceEvent::PodSucceeded { pod } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PodSucceeded { pod, instance }
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
                    Some(CredentialSource::Plugin { provider, .. }) => Credential::Plugin {
                        provider: provider.clone(),
                    },
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
            request_kind: kind.as_str().to_owned(),
            target: target.clone(),
            status: *status,
            bytes: *body_bytes,
        },
        TraceEvent::Timeline { what } => Entry::Timeline { what: what.clone() },
        TraceEvent::KubeletRestarted { node: id } => Entry::KubeletRestarted { node: node(*id) },
        TraceEvent::ControllerEvent { .. }
        | TraceEvent::ReplicaSetCreated { .. }
        | TraceEvent::ReplicaSetScaled { .. }
        | TraceEvent::ReplicaSetDeleted { .. }
        | TraceEvent::ConditionSet { .. } => controllers::named(sim, event),
        TraceEvent::PluginCacheHit { .. }
        | TraceEvent::PluginExecStarted { .. }
        | TraceEvent::PluginExecJoined { .. }
        | TraceEvent::PluginExecFinished { .. }
        | TraceEvent::PluginFailed { .. } => plugins::named(sim, event),
    }
}

impl Entry {
    /// The record's line in the trace's text ([`Sim::render_record`]), after its time.
    pub(crate) fn write_trace_line(&self, sim: &Sim, line: &mut String) {
        let pod = |instance: &Instance| format!("pod/{}", sim.pod_key(PodId(instance.0)));
        let _ = match self {
            Entry::PodCreated { instance, .. } => write!(
                line,
                "{} created uid={}",
                pod(instance),
                sim.pod_uid(PodId(instance.0))
            ),
            Entry::PodRejected { key, message, .. } => {
                write!(line, "pod/{key} rejected: {message}")
            }
            Entry::Admitted {
                instance,
                plugin,
                change,
                ..
            } => write!(line, "{} admission {plugin}: {change}", pod(instance)),
            Entry::Scheduled { instance, node, .. } => {
                write!(line, "{} scheduled on {node}", pod(instance))
            }
            Entry::Unschedulable { instance, .. } => {
                write!(line, "{} unschedulable", pod(instance))
            }
            Entry::PodDeleted { instance, .. } => write!(line, "{} deleted", pod(instance)),
            Entry::Event {
                instance,
                field_path,
                event_type,
                reason,
                message,
                ..
            } => write!(
                line,
                "{}{} {event_type} {reason} {message}",
                pod(instance),
                field_path
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            ),
            Entry::Status {
                instance,
                container,
                state,
                ..
            } => {
                let state = match state {
                    State::Waiting { reason, message } if message.is_empty() => {
                        format!("Waiting {reason}")
                    }
                    State::Waiting { reason, message } => format!("Waiting {reason}: {message}"),
                    State::Running { image_id, digest } => {
                        format!("Running image={image_id} digest={digest}")
                    }
                    State::Completed => "Completed".to_owned(),
                };
                write!(line, "{} container {container} {state}", pod(instance))
            }
            Entry::PodRunning { instance, .. } => write!(line, "{} running", pod(instance)),
            Entry::PodSucceeded { instance, .. } => write!(line, "{} succeeded", pod(instance)),
            Entry::PullAvoided { instance, .. } => {
                write!(line, "{} image already present", pod(instance))
            }
            Entry::PullQueued {
                instance,
                node,
                image,
                ..
            } => write!(line, "{} pull queued on {node}: {image}", pod(instance)),
            Entry::CredentialAttempt {
                instance,
                credential,
                username,
                error,
                ..
            } => {
                let source = credential.source();
                let outcome = match error {
                    None => "pulled".to_owned(),
                    Some(text) => format!("failed: {text}"),
                };
                write!(
                    line,
                    "{} credential {source} user={username:?} {outcome}",
                    pod(instance)
                )
            }
            Entry::PlatformChosen {
                instance,
                platform,
                manifest,
                ..
            } => write!(line, "{} platform {platform} {manifest}", pod(instance)),
            Entry::PullFinished {
                instance,
                image,
                pull_ns,
                total_ns,
                succeeded,
                content_hits,
                fetched,
                ..
            } => write!(
                line,
                "{} pull {} {image} in {:?} ({:?} total) hits={content_hits} fetched={fetched}",
                pod(instance),
                if *succeeded { "done" } else { "failed" },
                Duration::from_nanos(*pull_ns),
                Duration::from_nanos(*total_ns),
            ),
            Entry::Request {
                host,
                client,
                method,
                target,
                status,
                bytes,
                ..
            } => write!(
                line,
                "registry/{host} {client} {method} {target} -> {status} ({bytes} bytes)"
            ),
            Entry::Timeline { what } => write!(line, "timeline {what}"),
            Entry::KubeletRestarted { node } => write!(line, "node/{node} kubelet restarted"),
            Entry::ControllerEvent { .. }
            | Entry::ReplicaSetCreated { .. }
            | Entry::ReplicaSetScaled { .. }
            | Entry::ReplicaSetDeleted { .. }
            | Entry::ConditionSet { .. } => controllers::write_trace_line(self, line),
            Entry::PluginCacheHit { .. }
            | Entry::PluginExecStarted { .. }
            | Entry::PluginExecJoined { .. }
            | Entry::PluginExecFinished { .. }
            | Entry::PluginFailed { .. } => plugins::write_trace_line(self, sim, line),
        };
    }

    /// The record's line in the scenario transcript, before folding; `None` for pull
    /// bookkeeping the events already tell (queued, avoided, finished) and for an
    /// anonymous attempt that pulled (its `Pulled` event tells it). Each status change
    /// gives its line; the transcript drops a waiting reason that repeats and holds a lone
    /// container's Running back for the pod's Running line (what `context` then tells).
    /// A registry request gives its own line (`--requests`); by default the transcript
    /// sums requests into bursts instead.
    pub fn transcript_line(&self, at: SimTime, context: &impl LineContext) -> Option<Line> {
        let pod_line = |pod: &str| Line::new(at, "pod", pod);
        Some(match self {
            Entry::PodCreated {
                pod,
                namespace,
                workload,
                ..
            } => {
                let mut parts: Vec<String> = Vec::new();
                if let Some(workload) = workload {
                    parts.push(format!("replica of workload {workload}"));
                }
                if namespace != "default" {
                    parts.push(format!("in namespace {namespace}"));
                }
                pod_line(pod).with("pod", "Created", parts.join(" "))
            }
            Entry::PodRejected { pod, message, .. } => {
                pod_line(pod).with("pod", "Rejected", message.clone())
            }
            Entry::Admitted {
                pod,
                plugin,
                change,
                ..
            } => pod_line(pod).with(
                "pod",
                "Admitted",
                format!("{plugin}: {}", short_digests(change)),
            ),
            Entry::Scheduled { pod, node, .. } => pod_line(pod)
                .with("pod", "Scheduled", "on {node}".to_owned())
                .on(node),
            Entry::Unschedulable { pod, .. } => pod_line(pod).with(
                "pod",
                "Unschedulable",
                "no node matches its nodeName or nodeSelector".to_owned(),
            ),
            Entry::PodDeleted { pod, .. } => pod_line(pod).with("pod", "Deleted", String::new()),
            Entry::Event {
                pod,
                instance,
                container,
                event_type,
                reason,
                message,
                ..
            } => {
                let line_type = if event_type == "Warning" {
                    "Warning"
                } else {
                    "Normal"
                };
                pod_line(pod)
                    .in_container(context.several_containers(*instance), container.as_deref())
                    .with(line_type, reason, message.clone())
            }
            Entry::Status {
                pod,
                instance,
                container,
                state,
                ..
            } => {
                let line = pod_line(pod)
                    .in_container(context.several_containers(*instance), Some(container));
                match state {
                    State::Waiting { reason, .. } => line.with("status", "Waiting", reason.clone()),
                    State::Running { digest, .. } => {
                        line.with("status", "Running", short_digests(digest))
                    }
                    State::Completed => line.with("status", "Completed", String::new()),
                }
            }
            Entry::PodRunning { pod, instance } => {
                let after = context
                    .created(*instance)
                    .map(|since| duration(at.saturating_since(since)))
                    .unwrap_or_default();
                let text = match context.running_digest(*instance) {
                    Some(digest) => format!("{digest} after {after}"),
                    None => format!("every container, after {after}"),
                };
                pod_line(pod).with("status", "Running", text)
            }
            Entry::PodSucceeded { pod, instance } => {
                let after = context
                    .created(*instance)
                    .map(|since| duration(at.saturating_since(since)))
                    .unwrap_or_default();
                pod_line(pod).with("status", "Succeeded", format!("after {after}"))
            }
            Entry::CredentialAttempt {
                pod,
                instance,
                container,
                credential,
                username,
                error,
                ..
            } => {
                if *credential == Credential::Anonymous && error.is_none() {
                    return None;
                }
                let who = match credential {
                    Credential::Anonymous => credential.label(),
                    _ => format!("{} as {username}", credential.label()),
                };
                let line = pod_line(pod)
                    .in_container(context.several_containers(*instance), Some(container));
                // A registry that answered 503 or refused the connection is not the
                // credential's failure: say what failed, and with which credential.
                match error.as_deref().and_then(registry_failure) {
                    Some(failure) => line.with("pull", "Registry", format!("{failure} ({who})")),
                    None => {
                        let outcome = if error.is_some() { "failed" } else { "pulled" };
                        line.with("auth", "Credential", format!("{who}: {outcome}"))
                    }
                }
            }
            Entry::PlatformChosen {
                pod,
                node,
                platform,
                manifest,
                ..
            } => pod_line(pod)
                .with(
                    "pull",
                    "Platform",
                    short_digests(&format!("{platform} → {manifest} on {{node}}")),
                )
                .on(node),
            Entry::Request {
                host,
                client,
                method,
                target,
                status,
                bytes,
                ..
            } => {
                let (kind, name) = client_object(client);
                let mut text = format!("{method} {} {status}", short_digests(target));
                if *bytes > 0 {
                    text.push_str(&format!(" {}", size(*bytes)));
                }
                Line::new(at, kind, name).with("request", host, text)
            }
            Entry::Timeline { what } => timeline_line(at, what),
            Entry::KubeletRestarted { node } => Line::new(at, "node", node).with(
                "node",
                "Restarted",
                "kubelet restarted: image back-off forgotten".to_owned(),
            ),
            Entry::ControllerEvent { .. }
            | Entry::ReplicaSetCreated { .. }
            | Entry::ReplicaSetScaled { .. }
            | Entry::ReplicaSetDeleted { .. }
            | Entry::ConditionSet { .. } => controllers::transcript_line(self, at)?,
            Entry::PluginCacheHit { .. }
            | Entry::PluginExecStarted { .. }
            | Entry::PluginExecJoined { .. }
            | Entry::PluginExecFinished { .. }
            | Entry::PluginFailed { .. } => plugins::transcript_line(self, at)?,
            Entry::PullAvoided { .. } | Entry::PullQueued { .. } | Entry::PullFinished { .. } => {
                return None;
            }
        })
    }
}

/// A timeline record, under the registry it is about when it names one.
fn timeline_line(at: SimTime, what: &str) -> Line {
    let what = short_digests(what);
    match what.split_once(": ") {
        Some((host, rest)) if !host.contains(' ') => {
            Line::new(at, "registry", host).with("action", "Timeline", rest.to_owned())
        }
        _ => Line::new(at, "timeline", "").with("action", "Timeline", what),
    }
}

#[cfg(test)]
mod tests;
