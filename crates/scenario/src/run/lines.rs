//! The story as transcript lines, before folding: one [`Line`] per thing a reader needs
//! to follow the story, each with an object, a type column, a reason column and a text.
//! Each record's own line is written next to its named form
//! ([`pullsim_sim::trace::Entry::transcript_line`]); this file is the state machine that
//! reads the story in order around it (repeated waiting reasons, a lone container's
//! Running told on the pod's, time since creation) and sums requests into bursts.
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
use pullsim_sim::trace::{LineContext, client_object};

pub(crate) use pullsim_sim::trace::Line;

use crate::run::RequestDetail;
use crate::run::format::{short_digests, size};
use crate::run::story::{Entry, Instance, State, Story};

/// A pause that ends a burst of requests from one client to one host. Retries of the
/// kubelet come 10 s apart at least, so a burst is one pull (with containerd's own retries).
pub(crate) const BURST_GAP: Duration = Duration::from_secs(5);

/// What the records so far tell the next record's line.
struct Context<'a> {
    story: &'a Story,
    /// The last waiting reason shown, per container.
    last_reason: BTreeMap<(Instance, String), String>,
    /// A lone container's Running digest, held back for the pod's Running line.
    running_digest: BTreeMap<Instance, String>,
    created: BTreeMap<Instance, SimTime>,
}

impl LineContext for Context<'_> {
    fn several_containers(&self, instance: Instance) -> bool {
        self.story
            .pod(instance)
            .is_some_and(|pod| pod.init_containers.len() + pod.containers.len() > 1)
    }

    fn created(&self, instance: Instance) -> Option<SimTime> {
        self.created.get(&instance).copied()
    }

    fn running_digest(&self, instance: Instance) -> Option<&str> {
        self.running_digest.get(&instance).map(String::as_str)
    }
}

impl Context<'_> {
    /// Takes in what the record tells later lines; `false` when the record's own line is
    /// not shown (a waiting reason that repeats, a lone container's Running).
    fn shows(&mut self, at: SimTime, entry: &Entry) -> bool {
        match entry {
            Entry::PodCreated { instance, .. } => {
                self.created.insert(*instance, at);
            }
            Entry::Status {
                instance,
                container,
                init,
                state,
                ..
            } => {
                let key = (*instance, container.clone());
                match state {
                    State::Waiting { reason, .. } => {
                        if self.last_reason.get(&key) == Some(reason) {
                            return false;
                        }
                        self.last_reason.insert(key, reason.clone());
                    }
                    State::Running { digest, .. } => {
                        self.last_reason.remove(&key);
                        if !self.several_containers(*instance) && !init {
                            self.running_digest.insert(*instance, short_digests(digest));
                            return false;
                        }
                    }
                    State::Completed => {
                        self.last_reason.remove(&key);
                    }
                }
            }
            // Requests are summed into bursts, or listed after the other lines.
            Entry::Request { .. } => return false,
            _ => {}
        }
        true
    }
}

/// Every line of the story, in time order (records keep their order within an instant).
pub(crate) fn lines(story: &Story, requests: RequestDetail) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    let mut context = Context {
        story,
        last_reason: BTreeMap::new(),
        running_digest: BTreeMap::new(),
        created: BTreeMap::new(),
    };
    for record in &story.records {
        if context.shows(record.at_ns, &record.entry) {
            out.extend(record.entry.transcript_line(record.at_ns, &context));
        }
    }
    match requests {
        RequestDetail::Summary => out.extend(request_bursts(story)),
        RequestDetail::Full => out.extend(request_lines(story, &context)),
    }
    // A stable sort keeps each source's order within an instant.
    out.sort_by_key(|line| line.at);
    out
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

/// Every request on its own line.
fn request_lines(story: &Story, context: &Context<'_>) -> Vec<Line> {
    story
        .records
        .iter()
        .filter(|record| matches!(record.entry, Entry::Request { .. }))
        .filter_map(|record| record.entry.transcript_line(record.at_ns, context))
        .collect()
}
