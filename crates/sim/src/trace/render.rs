//! A stable text rendering of the trace: one line per record, virtual time first, names
//! instead of ids, digests in full. Determinism tests compare it byte for byte; the
//! scenario transcript (a later, friendlier format) is built from the same records.

use std::fmt::Write as _;

use crate::Sim;
use crate::trace::{AttemptOutcome, ContainerState, NodeOrAdmission, TraceEvent, TraceRecord};

impl Sim {
    /// Every kept record, one line each.
    pub fn render_trace(&self) -> String {
        let mut out = String::new();
        for record in &self.trace {
            out.push_str(&self.render_record(record));
            out.push('\n');
        }
        out
    }

    /// One record as a line.
    pub fn render_record(&self, record: &TraceRecord) -> String {
        let mut line = format!("{} ", record.time);
        let pod = |id| format!("pod/{}", self.pod_key(id));
        let _ = match &record.event {
            TraceEvent::PodCreated { pod: id, .. } => {
                write!(line, "{} created uid={}", pod(*id), self.pod_uid(*id))
            }
            TraceEvent::PodRejected { pod, message } => {
                write!(line, "pod/{pod} rejected: {message}")
            }
            TraceEvent::Admitted {
                pod: id,
                plugin,
                change,
            } => {
                write!(line, "{} admission {plugin}: {change}", pod(*id))
            }
            TraceEvent::PodScheduled { pod: id, node } => {
                write!(line, "{} scheduled on {}", pod(*id), self.node_name(*node))
            }
            TraceEvent::PodUnschedulable { pod: id } => {
                write!(line, "{} unschedulable", pod(*id))
            }
            TraceEvent::PodDeleted { pod: id } => write!(line, "{} deleted", pod(*id)),
            TraceEvent::Event {
                pod: id,
                container,
                event_type,
                reason,
                message,
            } => write!(
                line,
                "{}{} {event_type} {reason} {message}",
                pod(*id),
                container
                    .as_deref()
                    .map(|c| format!(" {c}"))
                    .unwrap_or_default()
            ),
            TraceEvent::ContainerStatus {
                pod: id,
                container,
                state,
            } => {
                let name = container
                    .in_spec(self.pod_spec(*id))
                    .map_or("", |c| c.name.as_str());
                let state = match state {
                    ContainerState::Waiting { reason, message } if message.is_empty() => {
                        format!("Waiting {reason}")
                    }
                    ContainerState::Waiting { reason, message } => {
                        format!("Waiting {reason}: {message}")
                    }
                    ContainerState::Running { image_id, digest } => format!(
                        "Running image={} digest={}",
                        self.digest(*image_id),
                        self.digest(*digest)
                    ),
                    ContainerState::Completed => "Completed".to_owned(),
                };
                write!(line, "{} container {name} {state}", pod(*id))
            }
            TraceEvent::PodRunning { pod: id } => write!(line, "{} running", pod(*id)),
            TraceEvent::PullAvoided { pod: id, .. } => {
                write!(line, "{} image already present", pod(*id))
            }
            TraceEvent::PullQueued {
                pod: id,
                node,
                image,
            } => write!(
                line,
                "{} pull queued on {}: {image}",
                pod(*id),
                self.node_name(*node)
            ),
            TraceEvent::CredentialAttempt {
                pod: id,
                source,
                username,
                outcome,
                ..
            } => {
                let outcome = match outcome {
                    AttemptOutcome::Pulled => "pulled".to_owned(),
                    AttemptOutcome::Failed(text) => format!("failed: {text}"),
                };
                let source = source
                    .as_ref()
                    .map_or_else(|| "anonymous".to_owned(), ToString::to_string);
                write!(
                    line,
                    "{} credential {source} user={username:?} {outcome}",
                    pod(*id)
                )
            }
            TraceEvent::PlatformChosen {
                pod: id,
                platform,
                manifest,
                ..
            } => write!(
                line,
                "{} platform {platform} {}",
                pod(*id),
                self.digest_text(*manifest)
            ),
            TraceEvent::PullFinished {
                pod: id,
                image,
                pull_duration,
                total_duration,
                succeeded,
                content_hits,
                fetched,
                ..
            } => write!(
                line,
                "{} pull {} {image} in {pull_duration:?} ({total_duration:?} total) hits={content_hits} fetched={fetched}",
                pod(*id),
                if *succeeded { "done" } else { "failed" }
            ),
            TraceEvent::Registry {
                host,
                client,
                method,
                target,
                status,
                body_bytes,
                ..
            } => {
                let client = match client {
                    NodeOrAdmission::Node(node) => self.node_name(*node),
                    NodeOrAdmission::Admission => "admission",
                };
                write!(
                    line,
                    "registry/{} {client} {method} {target} -> {status} ({body_bytes} bytes)",
                    self.host_name(*host)
                )
            }
            TraceEvent::Timeline { what } => write!(line, "timeline {what}"),
            TraceEvent::KubeletRestarted { node } => {
                write!(line, "node/{} kubelet restarted", self.node_name(*node))
            }
        };
        line
    }
}
