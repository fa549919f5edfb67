//! A stable text rendering of the trace: one line per record, virtual time first, names
//! instead of ids, digests in full. Determinism tests compare it byte for byte. Each line
//! is printed from the record's named form ([`Sim::named_entry`]), the same form the
//! scenario transcript and JSON are built from.

use std::fmt::Write as _;
use std::time::Duration;

use crate::Sim;
use crate::trace::{Credential, Entry, Instance, PodId, State, TraceRecord};

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
        self.write_entry(&mut line, &self.named_entry(&record.event));
        line
    }

    /// The line of a named record, after its time.
    fn write_entry(&self, line: &mut String, entry: &Entry) {
        let pod = |instance: &Instance| format!("pod/{}", self.pod_key(PodId(instance.0)));
        let _ = match entry {
            Entry::PodCreated { instance, .. } => write!(
                line,
                "{} created uid={}",
                pod(instance),
                self.pod_uid(PodId(instance.0))
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
                let source = match credential {
                    Credential::Secret { index, .. } => format!("pod-secret[{index}]"),
                    Credential::Node { index } => format!("node-config[{index}]"),
                    Credential::Anonymous => "anonymous".to_owned(),
                };
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
        };
    }
}
