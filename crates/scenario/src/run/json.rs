//! The JSON document of a run: the same story as the transcript, in full, for programs.
//! Keys come from derived structs, so their order is fixed; times are integer
//! nanoseconds since the start of the run (`*_ns`); digests are whole; every record of
//! the trace is there, registry exchanges included.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use pullsim_model::SimTime;
use pullsim_sim::PodStates;

use crate::run::Outcome;
use crate::run::judge::Verdict;
use crate::run::pods::PodRow;
use crate::run::story::Record;

#[derive(Serialize)]
struct Document<'a> {
    scenario: Header<'a>,
    passed: bool,
    /// Why the run itself failed (a limit, a world that could not be built), if it did.
    failure: Option<&'a str>,
    /// The run's end, in virtual time.
    end_ns: SimTime,
    /// Events the simulator processed.
    events: u64,
    expectations: &'a [Verdict],
    pods: &'a [PodRow],
    metrics: Metrics<'a>,
    records: &'a [Record],
}

#[derive(Serialize)]
struct Header<'a> {
    name: &'a str,
    description: &'a str,
    seed: u64,
    /// `for` or `all_running`.
    stop: &'static str,
    /// `for`'s length or `allRunning`'s limit (after `--until`).
    limit_ns: SimTime,
}

#[derive(Serialize)]
struct Metrics<'a> {
    requests: u64,
    bytes_served: u64,
    registry: Vec<RegistryCount<'a>>,
    content_hits: u64,
    fetched: u64,
    pulls_started: u64,
    pulls_succeeded: u64,
    pulls_failed: u64,
    pulls_avoided: u64,
    peak_requests_per_second: Option<Peak>,
    /// `[time_ns, pods]` at every change.
    pods_in_backoff: &'a [(SimTime, u32)],
    /// Registry requests in each minute of the run: element `k` counts those from `k`
    /// minutes to `k + 1`; one element per minute that starts before the end.
    requests_per_minute: &'a [u64],
    /// At the start of each of those minutes, the pods in each state (states with none
    /// left out).
    pods_by_state: Vec<StateSample<'a>>,
    workloads: Vec<Drift<'a>>,
}

#[derive(Serialize)]
struct StateSample<'a> {
    at_ns: SimTime,
    pods: StateCounts<'a>,
}

/// A state's name to its count, in the simulator's order of states.
struct StateCounts<'a>(&'a PodStates);

impl Serialize for StateCounts<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let states: Vec<(&str, u32)> = self.0.nonzero().collect();
        let mut map = serializer.serialize_map(Some(states.len()))?;
        for (state, count) in states {
            map.serialize_entry(state, &count)?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct RegistryCount<'a> {
    host: &'a str,
    method: &'a str,
    kind: &'static str,
    status: u16,
    requests: u64,
    bytes: u64,
}

#[derive(Serialize)]
struct Peak {
    second_ns: SimTime,
    requests: u32,
}

#[derive(Serialize)]
struct Drift<'a> {
    workload: &'a str,
    max_distinct_digests: u32,
    mixed_ns: u64,
    /// `[time_ns, distinct digests]` at every change.
    distinct_digests: &'a [(SimTime, u32)],
}

/// The document, pretty-printed with a final newline.
pub(crate) fn render(outcome: &Outcome) -> String {
    let document = Document {
        scenario: Header {
            name: &outcome.scenario.name,
            description: &outcome.scenario.description,
            seed: outcome.seed,
            stop: match outcome.scenario.run.stop {
                crate::Stop::After(_) => "for",
                crate::Stop::AllRunning { .. } => "all_running",
            },
            limit_ns: outcome.limit,
        },
        passed: outcome.passed(),
        failure: outcome.failure.as_deref(),
        end_ns: outcome.end,
        events: outcome.events,
        expectations: &outcome.verdicts,
        pods: &outcome.rows,
        metrics: metrics(outcome),
        records: &outcome.story.records,
    };
    pretty(&document)
}

/// The document's `metrics` alone, pretty-printed with a final newline (`--format
/// metrics`: a fleet's full document runs to hundreds of megabytes, its metrics do not).
pub(crate) fn render_metrics(outcome: &Outcome) -> String {
    pretty(&metrics(outcome))
}

fn pretty(value: &impl Serialize) -> String {
    // Serialising plain structs of strings and integers cannot fail; an error would be a
    // bug, reported in the document rather than by a panic.
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|error| format!("{{\"error\": {:?}}}", error.to_string()));
    text.push('\n');
    text
}

fn metrics(outcome: &Outcome) -> Metrics<'_> {
    let metrics = &outcome.metrics;
    Metrics {
        requests: metrics.requests,
        bytes_served: metrics.bytes_served,
        registry: metrics
            .registry
            .iter()
            .map(|count| RegistryCount {
                host: &count.host,
                method: count.method,
                kind: count.kind.as_str(),
                status: count.status,
                requests: count.requests,
                bytes: count.bytes,
            })
            .collect(),
        content_hits: metrics.content_hits,
        fetched: metrics.fetched,
        pulls_started: metrics.pulls_started,
        pulls_succeeded: metrics.pulls_succeeded,
        pulls_failed: metrics.pulls_failed,
        pulls_avoided: metrics.pulls_avoided,
        peak_requests_per_second: metrics.peak_requests_per_second.map(|peak| Peak {
            second_ns: peak.second,
            requests: peak.requests,
        }),
        pods_in_backoff: &metrics.pods_in_backoff,
        requests_per_minute: &metrics.requests_per_minute,
        pods_by_state: metrics
            .pods_by_state
            .iter()
            .map(|sample| StateSample {
                at_ns: sample.at,
                pods: StateCounts(sample),
            })
            .collect(),
        workloads: metrics
            .workloads
            .iter()
            .map(|drift| Drift {
                workload: &drift.workload,
                max_distinct_digests: drift.max_distinct_digests,
                mixed_ns: u64::try_from(drift.mixed_duration.as_nanos()).unwrap_or(u64::MAX),
                distinct_digests: &drift.distinct_digests,
            })
            .collect(),
    }
}
