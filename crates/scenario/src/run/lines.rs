//! The story as transcript lines, before folding: one [`Line`] per thing a reader needs
//! to follow the story, each with an object, a type column, a reason column and a text.
//!
//! What becomes a line:
//! - Kubernetes events, verbatim: type `Normal`/`Warning`, kubectl's reason and message.
//! - Pods (type `pod`): created (with the workload), admission changes and rejections,
//!   scheduled, unschedulable, deleted.
//! - Container status (type `status`): each change of waiting reason, and Running with
//!   the short digest (for a pod of one container, one line with the time to Running).
//! - Credential attempts (type `auth`): which Secret or node file, which user, pulled or
//!   failed; an anonymous attempt that pulled is left out (the `Pulled` event tells it).
//! - Registry traffic (type `request`): by default one line per burst (a client's
//!   requests to one host with no pause longer than [`BURST_GAP`]) with counts by method,
//!   kind and status and the bytes; with `--requests`, one line per request.
//! - The timeline (type `action`): pushes and tag moves with short digests, outages and
//!   their end, fault rules, Secrets, nodes added, kubelet restarts.
//!
//! Pull bookkeeping the events already tell (queued, avoided, finished) is left to JSON.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::SimTime;

use crate::run::RequestDetail;
use crate::run::format::{duration, short_digests, size};
use crate::run::story::{Credential, Entry, Instance, State, Story};
use pullsim_sim::trace::registry_failure;

/// A pause that ends a burst of requests from one client to one host. Retries of the
/// kubelet come 10 s apart at least, so a burst is one pull (with containerd's own retries).
pub(crate) const BURST_GAP: Duration = Duration::from_secs(5);

/// One transcript line before folding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) at: SimTime,
    /// `pod`, `node`, `registry`, `timeline` or `admission`.
    pub(crate) object_kind: &'static str,
    /// The object's name (empty for the timeline).
    pub(crate) object_name: String,
    /// The container, for events and statuses of a pod with several.
    pub(crate) container: Option<String>,
    /// The type column: `Normal`, `Warning`, or pullsim's own `pod`, `status`, ...
    pub(crate) line_type: &'static str,
    /// The reason column.
    pub(crate) reason: String,
    /// The text; `{node}` stands for [`Line::node`].
    pub(crate) text: String,
    /// A node named in the text, folded into a range when lines fold.
    pub(crate) node: Option<String>,
}

impl Line {
    fn new(at: SimTime, object_kind: &'static str, object_name: &str) -> Line {
        Line {
            at,
            object_kind,
            object_name: object_name.to_owned(),
            container: None,
            line_type: "",
            reason: String::new(),
            text: String::new(),
            node: None,
        }
    }

    fn with(mut self, line_type: &'static str, reason: &str, text: String) -> Line {
        self.line_type = line_type;
        self.reason = reason.to_owned();
        self.text = text;
        self
    }
}

/// Every line of the story, in time order (records keep their order within an instant).
pub(crate) fn lines(story: &Story, requests: RequestDetail) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let several = |instance: Instance| {
        story
            .pod(instance)
            .is_some_and(|pod| pod.init_containers.len() + pod.containers.len() > 1)
    };
    let single_container = |instance: Instance| !several(instance);
    let mut last_reason: BTreeMap<(Instance, String), String> = BTreeMap::new();
    let mut running_digest: BTreeMap<Instance, String> = BTreeMap::new();
    let mut created: BTreeMap<Instance, SimTime> = BTreeMap::new();
    for record in &story.records {
        let at = record.at_ns;
        match &record.entry {
            Entry::PodCreated {
                pod,
                instance,
                namespace,
                workload,
            } => {
                created.insert(*instance, at);
                let mut parts: Vec<String> = Vec::new();
                if let Some(workload) = workload {
                    parts.push(format!("replica of workload {workload}"));
                }
                if namespace != "default" {
                    parts.push(format!("in namespace {namespace}"));
                }
                let text = parts.join(" ");
                out.push(Line::new(at, "pod", pod).with("pod", "Created", text));
            }
            Entry::PodRejected { pod, message, .. } => {
                out.push(Line::new(at, "pod", pod).with("pod", "Rejected", message.clone()));
            }
            Entry::Admitted {
                pod,
                plugin,
                change,
                ..
            } => out.push(Line::new(at, "pod", pod).with(
                "pod",
                "Admitted",
                format!("{plugin}: {}", short_digests(change)),
            )),
            Entry::Scheduled { pod, node, .. } => {
                let mut line =
                    Line::new(at, "pod", pod).with("pod", "Scheduled", "on {node}".to_owned());
                line.node = Some(node.clone());
                out.push(line);
            }
            Entry::Unschedulable { pod, .. } => out.push(Line::new(at, "pod", pod).with(
                "pod",
                "Unschedulable",
                "no node matches its nodeName or nodeSelector".to_owned(),
            )),
            Entry::PodDeleted { pod, .. } => {
                out.push(Line::new(at, "pod", pod).with("pod", "Deleted", String::new()));
            }
            Entry::Event {
                pod,
                instance,
                container,
                event_type,
                reason,
                message,
                ..
            } => {
                let mut line = Line::new(at, "pod", pod);
                if several(*instance) {
                    line.container.clone_from(container);
                }
                let line_type = if event_type == "Warning" {
                    "Warning"
                } else {
                    "Normal"
                };
                out.push(line.with(line_type, reason, message.clone()));
            }
            Entry::Status {
                pod,
                instance,
                container,
                init,
                state,
            } => {
                let key = (*instance, container.clone());
                let mut line = Line::new(at, "pod", pod);
                if several(*instance) {
                    line.container = Some(container.clone());
                }
                match state {
                    State::Waiting { reason, .. } => {
                        if last_reason.get(&key) == Some(reason) {
                            continue;
                        }
                        last_reason.insert(key, reason.clone());
                        out.push(line.with("status", "Waiting", reason.clone()));
                    }
                    State::Running { digest, .. } => {
                        last_reason.remove(&key);
                        if single_container(*instance) && !init {
                            running_digest.insert(*instance, short_digests(digest));
                        } else {
                            out.push(line.with("status", "Running", short_digests(digest)));
                        }
                    }
                    State::Completed => {
                        last_reason.remove(&key);
                        out.push(line.with("status", "Completed", String::new()));
                    }
                }
            }
            Entry::PodRunning { pod, instance } => {
                let after = created
                    .get(instance)
                    .map(|since| duration(at.saturating_since(*since)))
                    .unwrap_or_default();
                let text = match running_digest.get(instance) {
                    Some(digest) => format!("{digest} after {after}"),
                    None => format!("every container, after {after}"),
                };
                out.push(Line::new(at, "pod", pod).with("status", "Running", text));
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
                    continue;
                }
                let who = match credential {
                    Credential::Anonymous => credential.label(),
                    _ => format!("{} as {username}", credential.label()),
                };
                let mut line = Line::new(at, "pod", pod);
                if several(*instance) {
                    line.container = Some(container.clone());
                }
                // A registry that answered 503 or refused the connection is not the
                // credential's failure: say what failed, and with which credential.
                let failure = error.as_deref().and_then(registry_failure);
                out.push(match failure {
                    Some(failure) => line.with("pull", "Registry", format!("{failure} ({who})")),
                    None => {
                        let outcome = if error.is_some() { "failed" } else { "pulled" };
                        line.with("auth", "Credential", format!("{who}: {outcome}"))
                    }
                });
            }
            Entry::PlatformChosen {
                pod,
                node,
                platform,
                manifest,
                ..
            } => {
                let mut line = Line::new(at, "pod", pod).with(
                    "pull",
                    "Platform",
                    short_digests(&format!("{platform} → {manifest} on {{node}}")),
                );
                line.node = Some(node.clone());
                out.push(line);
            }
            Entry::Timeline { what } => out.push(timeline_line(at, what)),
            Entry::KubeletRestarted { node } => out.push(Line::new(at, "node", node).with(
                "node",
                "Restarted",
                "kubelet restarted: image back-off forgotten".to_owned(),
            )),
            Entry::Request { .. }
            | Entry::PullAvoided { .. }
            | Entry::PullQueued { .. }
            | Entry::PullFinished { .. } => {}
        }
    }
    match requests {
        RequestDetail::Summary => out.extend(request_bursts(story)),
        RequestDetail::Full => out.extend(request_lines(story)),
    }
    // A stable sort keeps each source's order within an instant.
    out.sort_by_key(|line| line.at);
    out
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

/// One burst's tally.
#[derive(Debug)]
struct Burst {
    start: SimTime,
    last: SimTime,
    client: String,
    host: String,
    /// `(method, kind, status)` with its count, in the order first seen.
    counts: Vec<((String, String, u16), u64)>,
    bytes: u64,
}

fn request_bursts(story: &Story) -> Vec<Line> {
    let mut open: BTreeMap<(String, String), Burst> = BTreeMap::new();
    let mut done: Vec<Burst> = Vec::new();
    for record in &story.records {
        let Entry::Request {
            host,
            client,
            method,
            request_kind,
            status,
            bytes,
            ..
        } = &record.entry
        else {
            continue;
        };
        let key = (client.clone(), host.clone());
        let at = record.at_ns;
        if let Some(burst) = open.get(&key)
            && at.saturating_since(burst.last) > BURST_GAP
            && let Some(burst) = open.remove(&key)
        {
            done.push(burst);
        }
        let burst = open.entry(key).or_insert_with(|| Burst {
            start: at,
            last: at,
            client: client.clone(),
            host: host.clone(),
            counts: Vec::new(),
            bytes: 0,
        });
        burst.last = at;
        let what = (method.clone(), request_kind.clone(), *status);
        match burst.counts.iter_mut().find(|(seen, _)| *seen == what) {
            Some((_, count)) => *count += 1,
            None => burst.counts.push((what, 1)),
        }
        burst.bytes += bytes;
    }
    done.extend(open.into_values());
    done.sort_by_key(|burst| burst.start);
    done.into_iter()
        .map(|burst| {
            let mut parts: Vec<String> = burst
                .counts
                .iter()
                .map(|((method, kind, status), count)| {
                    if *count == 1 {
                        format!("{method} {kind} {status}")
                    } else {
                        format!("{method} {kind} {status} ×{count}")
                    }
                })
                .collect();
            if burst.bytes > 0 {
                parts.push(size(burst.bytes));
            }
            let (kind, name) = client_object(&burst.client);
            Line::new(burst.start, kind, name).with("request", &burst.host, parts.join(", "))
        })
        .collect()
}

fn request_lines(story: &Story) -> Vec<Line> {
    story
        .records
        .iter()
        .filter_map(|record| match &record.entry {
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
                Some(Line::new(record.at_ns, kind, name).with("request", host, text))
            }
            _ => None,
        })
        .collect()
}

fn client_object(client: &str) -> (&'static str, &str) {
    if client == "admission" {
        ("admission", "digest-pinning")
    } else {
        ("node", client)
    }
}
