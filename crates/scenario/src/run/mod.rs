//! Running a scenario: [`run`] maps a [`Scenario`] onto the simulator, runs it to its end,
//! judges every expectation, and returns an [`Outcome`] that prints as a transcript
//! ([`Outcome::text`]) or as JSON ([`Outcome::json`]). The same scenario and seed give
//! byte-identical text and JSON.
//!
//! A run that reaches a limit (virtual time before every pod ran, with `until:
//! allRunning`; the event count; a timeline action the registry refused) is a failed
//! outcome whose message names the seed; the transcript of what happened so far is still
//! there. [`run_metrics`] is the same run for a caller that reads only its figures and
//! verdict: it keeps no trace when no expectation needs one.
//!
//! Module map:
//! - `world`: the scenario as a simulation (what the mapping decides is documented there).
//! - `story`: the trace with names, which everything below reads.
//! - `judge`: expectations and their [`Verdict`]s; `pods`: pod states at a moment and the
//!   final table's rows.
//! - `lines` (what is a line), `fold` (how lines of many objects fold), `repeats` (lines
//!   that keep repeating summarised), `format` (how values are written),
//!   `transcript` (the text layout), `rollouts` (its section on workload objects); `json`
//!   (the document for programs).

mod fold;
mod format;
mod holdings;
mod json;
pub(crate) mod judge;
mod lines;
mod pods;
mod repeats;
mod rollouts;
#[cfg(test)]
pub(crate) use rollouts::metrics_with as rollouts_metrics;
pub mod simulate;
mod story;
mod transcript;
mod world;

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::{Sim, TraceLevel};

use crate::scenario::{Scenario, Stop};

pub use judge::Verdict;
/// The simulator's figures of a run, as [`Outcome::metrics`] gives them.
pub use pullsim_sim::Metrics;

/// How a run is made, beyond what the file says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RunOptions {
    /// Replaces the file's `seed`.
    pub seed: Option<u64>,
    /// Replaces the run's end: `for`'s length, or `allRunning`'s limit.
    pub until: Option<Duration>,
    /// How the transcript shows registry requests.
    pub requests: RequestDetail,
}

/// How the transcript shows registry requests (JSON always has every one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestDetail {
    /// One line per burst of a client's requests to a host, with counts and bytes.
    #[default]
    Summary,
    /// One line per request.
    Full,
}

/// What a run did and whether its expectations hold.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub(crate) scenario: Scenario,
    pub(crate) seed: u64,
    /// The latest the run could go (`for`, or the `allRunning` limit).
    pub(crate) limit: SimTime,
    /// Where it stopped.
    pub(crate) end: SimTime,
    /// With `until: allRunning`, whether every pod ran.
    pub(crate) all_running: Option<bool>,
    pub(crate) events: u64,
    pub(crate) story: story::Story,
    pub(crate) metrics: Metrics,
    pub(crate) rows: Vec<pods::PodRow>,
    pub(crate) verdicts: Vec<Verdict>,
    pub(crate) failure: Option<String>,
    pub(crate) requests: RequestDetail,
}

/// Runs `scenario` and judges its expectations. Never panics; whatever goes wrong in the
/// run is a failed [`Outcome`] that says what and names the seed.
pub fn run(scenario: &Scenario, options: &RunOptions) -> Outcome {
    run_keeping(scenario, options, TraceLevel::Full)
}

/// Runs `scenario` as [`run`] does, for a caller that reads only the figures and the
/// verdict of the [`Outcome`] ([`Outcome::metrics`], [`Outcome::metrics_json`],
/// [`Outcome::passed`], [`Outcome::failure`], [`Outcome::virtual_time`],
/// [`Outcome::events`], [`Outcome::verdicts`]), as `pullsim run --format metrics` does: the
/// trace is kept only when an expectation is judged from it, so a fleet without
/// expectations holds no trace however long it runs (at 5,000 nodes in an hour-long outage,
/// 80 MiB instead of 900). Those readings are the same as [`run`]'s (the metrics are a fold
/// the simulator makes whatever the trace keeps); [`Outcome::text`] and [`Outcome::json`]
/// of a run that kept no trace have no records and no pods.
pub fn run_metrics(scenario: &Scenario, options: &RunOptions) -> Outcome {
    let level = if scenario.expectations.is_empty() {
        TraceLevel::Off
    } else {
        TraceLevel::Full
    };
    run_keeping(scenario, options, level)
}

/// [`run`] keeping the trace at `level`.
fn run_keeping(scenario: &Scenario, options: &RunOptions, level: TraceLevel) -> Outcome {
    let seed = options.seed.unwrap_or(scenario.seed);
    let limit = world::run_end(scenario, options.until);
    let mut sim = world::new_sim(scenario, seed, limit, level);
    let mut all_running = None;
    let failure = match world::build(&mut sim, scenario, limit) {
        Err(error) => Some(format!("the world could not be built: {error}")),
        Ok(()) => match scenario.run.stop {
            Stop::After(_) => sim.run_until(limit).err().map(|e| e.to_string()),
            Stop::AllRunning { .. } => match sim.run_until_all_running(limit) {
                Ok(true) => {
                    all_running = Some(true);
                    None
                }
                Ok(false) => {
                    all_running = Some(false);
                    Some(format!(
                        "not every pod was Running when the run reached its limit of {}; replay with seed {seed}",
                        format::duration(limit.since_epoch())
                    ))
                }
                Err(error) => Some(error.to_string()),
            },
        },
    };
    finish(
        scenario,
        &sim,
        seed,
        limit,
        all_running,
        failure,
        options.requests,
    )
}

fn finish(
    scenario: &Scenario,
    sim: &Sim,
    seed: u64,
    limit: SimTime,
    all_running: Option<bool>,
    failure: Option<String>,
    requests: RequestDetail,
) -> Outcome {
    let story = story::Story::of(sim);
    let metrics = sim.metrics();
    let end = sim.now();
    let verdicts = {
        let evidence = judge::Evidence {
            scenario,
            story: &story,
            metrics: &metrics,
            end,
        };
        scenario
            .expectations
            .iter()
            .map(|expectation| judge::judge(expectation, &evidence))
            .collect()
    };
    let rows = pods::rows(&story, &metrics, end);
    Outcome {
        scenario: scenario.clone(),
        seed,
        limit,
        end,
        all_running,
        events: sim.events_processed(),
        story,
        metrics,
        rows,
        verdicts,
        failure,
        requests,
    }
}

impl Outcome {
    /// The transcript, for people (and snapshots).
    pub fn text(&self) -> String {
        transcript::render_outcome(self)
    }

    /// The same data in full, as a JSON document.
    pub fn json(&self) -> String {
        json::render(self)
    }

    /// The simulator's figures, typed (a sweep or a report reads these, never the JSON).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The JSON document's `metrics` alone (the serialisation of [`Outcome::metrics`]): every
    /// figure without the records.
    pub fn metrics_json(&self) -> String {
        json::render_metrics(self)
    }

    /// Whether the run reached its end without hitting a limit and every expectation holds.
    pub fn passed(&self) -> bool {
        self.failure.is_none() && self.verdicts.iter().all(|verdict| verdict.passed)
    }

    /// The virtual time at which the run stopped.
    pub fn virtual_time(&self) -> SimTime {
        self.end
    }

    /// How many events the simulator processed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// Every expectation's verdict, in file order.
    pub fn verdicts(&self) -> &[Verdict] {
        &self.verdicts
    }

    /// Why the run itself failed (a limit, a world that could not be built), if it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }

    /// How the run was to stop and how it did, in words.
    pub(crate) fn stop_text(&self) -> String {
        let limit = format::duration(self.limit.since_epoch());
        let ended = format::clock(self.end);
        match (self.scenario.run.stop, self.all_running) {
            (Stop::After(_), _) if self.failure.is_some() => {
                format!("for {limit}; stopped at {ended}")
            }
            (Stop::After(_), _) => format!("for {limit}; ended at {ended}"),
            (Stop::AllRunning { .. }, Some(true)) => {
                format!("until every pod is Running (limit {limit}); all Running at {ended}")
            }
            (Stop::AllRunning { .. }, _) => {
                format!("until every pod is Running (limit {limit}); stopped at {ended}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two registry expectations and a state one, over a pod in back-off through an outage.
    const JUDGED: &str = "name: judged
description: a pod retries through an outage and runs after it
registries:
  - host: registry.example.com
    images:
      - {repository: team/web, tag: v1, layers: [4MiB], sized: true}
nodes:
  - {pool: node, count: 2, bandwidth: 100Mbit/s, latency: 5ms}
workloads:
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, replicas: 2, spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}}
timeline:
  - {at: 0s, outage: {registry: registry.example.com, until: 3m, status: 503}}
run: {until: allRunning, limit: 30m}
expect:
  - {registry: registry.example.com, requests: {kind: manifest, method: HEAD, status: 200}, count: 2}
  - {pod: web-0, state: Running}
";

    fn scenario(text: &str) -> Scenario {
        Scenario::parse("judged.yaml", text).unwrap_or_else(|errors| panic!("{errors}"))
    }

    /// What a metrics-only caller reads of an outcome.
    fn readings(outcome: &Outcome) -> (String, bool, Option<&str>, SimTime, u64, Vec<bool>) {
        (
            outcome.metrics_json(),
            outcome.passed(),
            outcome.failure(),
            outcome.virtual_time(),
            outcome.events(),
            outcome.verdicts().iter().map(|v| v.passed).collect(),
        )
    }

    #[test]
    fn a_metrics_run_without_expectations_keeps_no_trace_and_reads_the_same() {
        let text = JUDGED.split("expect:").next().unwrap_or(JUDGED);
        let unjudged = scenario(text);
        let full = run(&unjudged, &RunOptions::default());
        let metrics = run_metrics(&unjudged, &RunOptions::default());
        assert_eq!(readings(&metrics), readings(&full));
        assert!(full.passed() && full.metrics().pulls_failed > 0);
        assert!(!full.story.records.is_empty());
        assert!(metrics.story.records.is_empty() && metrics.story.pods.is_empty());
    }

    #[test]
    fn a_metrics_run_keeps_the_trace_its_expectations_are_judged_from() {
        let judged = scenario(JUDGED);
        let full = run(&judged, &RunOptions::default());
        let metrics = run_metrics(&judged, &RunOptions::default());
        assert_eq!(readings(&metrics), readings(&full));
        assert_eq!(metrics.verdicts().len(), 2);
        assert!(metrics.passed());
        // An expectation that fails fails the same way.
        let failing = scenario(&JUDGED.replace("count: 2}", "count: 3}"));
        let full = run(&failing, &RunOptions::default());
        let metrics = run_metrics(&failing, &RunOptions::default());
        assert!(!metrics.passed());
        assert_eq!(readings(&metrics), readings(&full));
    }
}
