//! The JSON document of a run: the same story as the transcript, in full, for programs.
//! Keys come from derived structs, so their order is fixed; times are integer
//! nanoseconds since the start of the run (`*_ns`); digests are whole; every record of
//! the trace is there, registry exchanges included.

use serde::Serialize;

use pullsim_model::SimTime;
use pullsim_sim::Metrics;

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
    /// The simulator's figures, as [`pullsim_sim::Metrics`] serialises them.
    metrics: &'a Metrics,
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
        metrics: &outcome.metrics,
        records: &outcome.story.records,
    };
    pretty(&document)
}

/// The document's `metrics` alone, pretty-printed with a final newline (`--format
/// metrics`: a fleet's full document runs to hundreds of megabytes, its metrics do not).
pub(crate) fn render_metrics(outcome: &Outcome) -> String {
    pretty(outcome.metrics())
}

fn pretty(value: &impl Serialize) -> String {
    // Serialising plain structs of strings and integers cannot fail; an error would be a
    // bug, reported in the document rather than by a panic.
    let mut text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|error| format!("{{\"error\": {:?}}}", error.to_string()));
    text.push('\n');
    text
}
