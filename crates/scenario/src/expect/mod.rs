//! `expect:`: assertions on the run's trace and metrics, each about one pod, workload or
//! registry, each written so that it fails when the behaviour it pins is wrong.
//!
//! ```yaml
//! expect:
//!   - {pod: web-0, at: 5m, state: Waiting, reason: ImagePullBackOff}
//!   - pod: web-0
//!     container: app                       # default: the pod's only container
//!     events: [Pulling, Failed, Failed, BackOff, {reason: Pulling, at: 10s}]
//!     order: prefix                        # exact (default), prefix or subsequence
//!   - {pod: web-0, waitingReasons: [ErrImagePull, ImagePullBackOff, ErrImagePull]}
//!   - {workload: web, timeToRunning: {max: 1m}}
//!   - {workload: web, runningPercentiles: {p50: {max: 10s}, p99: {max: 1m}}}
//!   - {pod: app, credentialsTried: [secret/wrong, secret/right, node as alice]}
//!   - {workload: web, distinctDigests: 2, mixedFor: {min: 1m}}
//!   - {registry: registry.example.com, requests: {method: HEAD, kind: manifest}, count: 1, bytes: 0B}
//!   - {registry: registry.example.com, peakRequestsPerSecond: {min: 150}}
//!   - {registry: registry.example.com, peakRequestsPerSecond: {max: 20}, from: 5m, until: 10m}
//!   - {workload: deployment/web, rollout: {complete: true, within: 5m, maxUnavailable: {max: 2}}}
//!   - {workload: deployment/web, namespace: team-a, revisions: {1: 8, 2: 3}}
//!   - {pluginCalls: ecr-credential-provider, node: node-0, execs: 1, cacheHits: {min: 2}}
//! ```
//!
//! Values that name something of Kubernetes (states, waiting reasons, event reasons) are
//! checked against pullsim-model's lists here, so a misspelling fails the file, not the run.
//!
//! This module is the table of contents: [`KINDS`], the kinds in the order of the docs'
//! table, and the reading of what every expectation may write besides its assertion (its
//! subject: `pod`, `container`, `workload`, `registry`). Each kind is one file holding its
//! type, its reader, its judge (a `Judged` from the run's
//! `Evidence`) and its row of the table in
//! docs/scenario-format.md ([`Kind::docs`], checked against that file by a test):
//! - `state`: [`StateAt`]; `events`: [`Events`]; `waiting_reasons`: [`WaitingReasons`];
//!   `time_to_running`: [`TimeToRunning`]; `running_percentiles`: [`RunningPercentiles`];
//!   `credentials_tried`: [`CredentialsTried`];
//!   `distinct_digests`: [`DistinctDigests`]; `requests`: [`Requests`];
//!   `peak_requests_per_second`: [`PeakRequestsPerSecond`]; `rollout`: [`Rollout`];
//!   `revisions`: [`Revisions`]; `plugin_calls`: [`PluginCalls`].
//! - Shared by several: `order` ([`Order`], how a list matches), `request_filter`
//!   ([`RequestFilter`]), `wording` (how verdicts write bounds and subjects),
//!   `workload_object` ([`RolloutSubject`], the workload object `rollout` and `revisions`
//!   are about, and its figures in the run's `Metrics::rollouts`).

mod credentials_tried;
mod distinct_digests;
mod events;
mod order;
mod peak_requests_per_second;
mod plugin_calls;
mod request_filter;
mod requests;
mod revisions;
mod rollout;
mod running_percentiles;
mod state;
mod time_to_running;
mod waiting_reasons;
mod wording;
mod workload_object;

use pullsim_model::SimTime;

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, list, text, time};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged};
use crate::tree::Node;

pub use credentials_tried::{CredentialRef, CredentialsTried};
pub use distinct_digests::DistinctDigests;
pub use events::{EVENT_REASONS, Events, ExpectedEvent};
pub use order::Order;
pub use peak_requests_per_second::PeakRequestsPerSecond;
pub use plugin_calls::PluginCalls;
pub use request_filter::{RequestFilter, RequestKind};
pub use requests::Requests;
pub use revisions::Revisions;
pub use rollout::{ConditionMatch, Rollout};
pub use running_percentiles::RunningPercentiles;
pub use state::{State, StateAt};
pub use time_to_running::TimeToRunning;
pub use waiting_reasons::{WAITING_REASONS, WaitingReasons};
pub use workload_object::RolloutSubject;

/// One assertion and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// What must hold.
    pub check: Check,
    /// Where it is written, for the report of a failure.
    pub position: Position,
}

/// What an expectation asserts: one variant per kind, each holding its kind's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `state`: a container's (or the pod's) state at a time.
    State(StateAt),
    /// `events`: the events recorded against a container, in order.
    Events(Events),
    /// `waitingReasons`: the waiting reasons a container went through.
    WaitingReasons(WaitingReasons),
    /// `timeToRunning`: time from creation to Running.
    TimeToRunning(TimeToRunning),
    /// `runningPercentiles`: a workload's time to Running as percentiles.
    RunningPercentiles(RunningPercentiles),
    /// `credentialsTried`: the credentials the kubelet tried for an image.
    CredentialsTried(CredentialsTried),
    /// `distinctDigests`: how many digests a workload ran at once, and for how long.
    DistinctDigests(DistinctDigests),
    /// `requests`: requests a registry answered, filtered.
    Requests(Requests),
    /// `peakRequestsPerSecond`: the busiest second of a registry.
    PeakRequestsPerSecond(PeakRequestsPerSecond),
    /// `rollout`: a workload object's last rollout.
    Rollout(Rollout),
    /// `revisions`: a workload object's pods per revision at the end.
    Revisions(Revisions),
    /// `pluginCalls`: a credential-provider plugin's execs and cache hits.
    PluginCalls(PluginCalls),
}

impl Check {
    /// Judges the assertion against the run.
    pub(crate) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        match self {
            Check::State(check) => check.judge(evidence),
            Check::Events(check) => check.judge(evidence),
            Check::WaitingReasons(check) => check.judge(evidence),
            Check::TimeToRunning(check) => check.judge(evidence),
            Check::RunningPercentiles(check) => check.judge(evidence),
            Check::CredentialsTried(check) => check.judge(evidence),
            Check::DistinctDigests(check) => check.judge(evidence),
            Check::Requests(check) => check.judge(evidence),
            Check::PeakRequestsPerSecond(check) => check.judge(evidence),
            Check::Rollout(check) => check.judge(evidence),
            Check::Revisions(check) => check.judge(evidence),
            Check::PluginCalls(check) => check.judge(evidence),
        }
    }
}

/// One kind of expectation: the key that writes it and how it is read.
#[derive(Clone, Copy)]
pub struct Kind {
    /// The key that writes it (`state`, `events`, ...).
    pub key: &'static str,
    /// Its row of the table in docs/scenario-format.md's `expect` section.
    pub docs: &'static str,
    /// Whether its subject may be a pod or a workload, so a `workload` naming a pod is
    /// accepted.
    pod_or_workload: bool,
    /// Whether its `workload` is a workload object as kubectl names it (`deployment/web`,
    /// with `namespace`), read by the kind and checked once the whole scenario is read.
    workload_object: bool,
    /// Reads the assertion; `None` after reporting what is wrong.
    read: Reader,
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kind")
            .field("key", &self.key)
            .field("docs", &self.docs)
            .finish_non_exhaustive()
    }
}

/// A kind's reader: its value and its own fields from `reading`, the subject checked.
type Reader = fn(&mut Reading<'_>, &Known, &mut Diagnostics) -> Option<Check>;

/// The kinds, in the order of the docs' table (and of "needs exactly one of").
pub const KINDS: [Kind; 12] = [
    state::KIND,
    events::KIND,
    waiting_reasons::KIND,
    time_to_running::KIND,
    running_percentiles::KIND,
    credentials_tried::KIND,
    distinct_digests::KIND,
    requests::KIND,
    peak_requests_per_second::KIND,
    rollout::KIND,
    revisions::KIND,
    plugin_calls::KIND,
];

/// One expectation being read, once its kind is known: the kind's value, the mapping's
/// other fields, and the subject the common fields named.
pub(crate) struct Reading<'a> {
    /// The kind's key, for "needs a" messages.
    key: &'static str,
    /// Where the expectation starts.
    position: Position,
    /// The value written under the kind's key.
    pub(crate) value: &'a Node,
    /// The expectation's fields, for the kind's own.
    pub(crate) fields: Fields<'a>,
    /// `pod`, when written.
    pub(crate) pod: Option<String>,
    pod_node: Option<&'a Node>,
    /// The namespace of the pod `pod` names, when it exists.
    pub(crate) pod_namespace: Option<String>,
    /// `workload`, when written.
    pub(crate) workload: Option<String>,
    /// Where `workload` is written.
    pub(crate) workload_position: Option<Position>,
    /// `registry`, when written and known.
    pub(crate) registry: Option<String>,
    /// `container`, when written.
    pub(crate) container: Option<String>,
    container_node: Option<&'a Node>,
}

impl Reading<'_> {
    /// Checks the container of the pod: the one named, or, when `needs_one`, that the pod
    /// has only one when none is named (events, reasons and credentials are about one).
    pub(crate) fn check_container(
        &self,
        needs_one: bool,
        known: &Known,
        diagnostics: &mut Diagnostics,
    ) {
        if let (Some(name), Some(at)) = (&self.pod, self.pod_node)
            && (needs_one || self.container.is_some())
        {
            let at = self
                .container_node
                .map_or(at.position, |node| node.position);
            known.container(name, self.container.as_deref(), at, diagnostics);
        }
    }

    /// `subject`, or an error that the kind needs a `name` (`pod`, `workload`, ...).
    pub(crate) fn need(
        &self,
        subject: Option<String>,
        name: &str,
        diagnostics: &mut Diagnostics,
    ) -> Option<String> {
        if subject.is_none() {
            diagnostics.error(self.position, format!("{} needs a {name}", self.key));
        }
        subject
    }

    /// Where the expectation starts, for errors about it as a whole.
    pub(crate) fn position(&self) -> Position {
        self.position
    }
}

/// Reads `expect:`.
pub(crate) fn read_expectations(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Vec<Expectation> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| read_expectation(item, known, diagnostics))
        .collect()
}

/// Reads one expectation: its subject, then the one kind written, by that kind's reader.
fn read_expectation(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Expectation> {
    let mut fields = Fields::of(node, "an expectation", diagnostics)?;
    let position = fields.position();
    let pod_node = fields.get("pod");
    let pod = pod_node.and_then(|n| text(n, diagnostics));
    let workload_node = fields.get("workload");
    let workload = workload_node.and_then(|n| text(n, diagnostics));
    let registry = fields.get("registry").and_then(|n| {
        let host = text(n, diagnostics)?;
        known
            .registry(&host, n.position, diagnostics)
            .then_some(host)
    });
    let container_node = fields.get("container");
    let container = container_node.and_then(|n| text(n, diagnostics));
    // The pod must exist, and so must the container when one is named (each kind checks
    // whether it needs one).
    let pod_namespace = match (&pod, pod_node) {
        (Some(name), Some(at)) => known
            .pod(name, at.position, diagnostics)
            .map(|(namespace, _)| namespace.clone()),
        _ => None,
    };
    if let (Some(name), Some(at)) = (&workload, workload_node) {
        if pod.is_some() {
            diagnostics.error(at.position, "name a pod or a workload, not both");
        } else if KINDS
            .iter()
            .any(|kind| kind.workload_object && fields_has(node, kind.key))
        {
            // A workload object, checked with the timeline's (`check_scenario_workloads`).
        } else if name.contains('/') && fields_has(node, distinct_digests::KIND.key) {
            // `distinctDigests` of a workload object, checked with the timeline's too.
        } else if KINDS
            .iter()
            .any(|kind| kind.pod_or_workload && fields_has(node, kind.key))
        {
            known.pod_or_workload(name, at.position, diagnostics);
        } else {
            known.workload(name, at.position, diagnostics);
        }
    }
    let written: Vec<(&Kind, &Node)> = KINDS
        .iter()
        .filter_map(|kind| fields.get(kind.key).map(|value| (kind, value)))
        .collect();
    let [(kind, value)] = written.as_slice() else {
        fields.finish(diagnostics);
        let keys: Vec<&str> = KINDS.iter().map(|kind| kind.key).collect();
        diagnostics.error(
            position,
            format!("an expectation needs exactly one of {}", keys.join(", ")),
        );
        return None;
    };
    let mut reading = Reading {
        key: kind.key,
        position,
        value,
        fields,
        pod,
        pod_node,
        pod_namespace,
        workload,
        workload_position: workload_node.map(|node| node.position),
        registry,
        container,
        container_node,
    };
    let check = (kind.read)(&mut reading, known, diagnostics)?;
    reading.fields.finish(diagnostics);
    Some(Expectation { check, position })
}

/// Whether the expectation's mapping has `key`.
fn fields_has(node: &Node, key: &str) -> bool {
    node.entries()
        .is_some_and(|entries| entries.iter().any(|entry| entry.key == key))
}

/// A time that must fall within the run.
pub(crate) fn time_in_run(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<SimTime> {
    let at = time(node, diagnostics)?;
    known.within_run(at, node.position, diagnostics);
    Some(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/scenario-format.md, whose `expect` table lists the kinds.
    const FORMAT: &str = include_str!("../../../../docs/scenario-format.md");

    /// The rows of the table in the `expect` section.
    fn table_rows() -> Vec<&'static str> {
        let section = FORMAT
            .split_once("\n## `expect`\n")
            .map(|(_, rest)| rest)
            .expect("docs/scenario-format.md has an `expect` section");
        let section = section.split("\n## ").next().unwrap_or(section);
        section
            .lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .skip(2)
            .collect()
    }

    #[test]
    fn every_kind_is_a_row_of_the_docs_table_in_order() {
        let rows = table_rows();
        let documented: Vec<&str> = KINDS.iter().map(|kind| kind.docs).collect();
        assert_eq!(rows, documented, "docs/scenario-format.md's expect table");
    }

    #[test]
    fn each_kinds_row_starts_with_its_key() {
        for kind in KINDS {
            assert!(
                kind.docs.starts_with(&format!("| `{}: ", kind.key)),
                "{} has the row {}",
                kind.key,
                kind.docs
            );
        }
    }

    #[test]
    fn the_docs_table_is_found_and_a_changed_row_is_not_in_it() {
        let rows = table_rows();
        assert_eq!(rows.len(), KINDS.len());
        let changed = KINDS[0].docs.replace("Pending", "Pendin");
        assert!(!rows.contains(&changed.as_str()));
    }

    #[test]
    fn keys_are_distinct() {
        let mut keys: Vec<&str> = KINDS.iter().map(|kind| kind.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), KINDS.len());
    }
}
