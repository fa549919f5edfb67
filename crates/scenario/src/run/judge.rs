//! The seam between the run and the expectations: the [`Evidence`] a kind's judge reads
//! (the story, the metrics, the end), the names of the run it may use (re-exported here,
//! so the kinds in `crate::expect` need nothing else of the runner), and the [`Verdict`]
//! each expectation gets. Each kind's judging is in its own file, `crate::expect::<kind>`.

use pullsim_model::SimTime;
use pullsim_sim::Metrics;
use serde::Serialize;

use crate::scenario::Scenario;
use crate::{Expectation, Position};

pub(crate) use crate::run::format::{clock, duration, name_ranges, size};
pub(crate) use crate::run::pods::{Seen, instance_at, seen};
pub(crate) use crate::run::story::{Credential, Entry, State as Shown, Story, request_repository};

/// The judgement of one expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Where the expectation is written.
    pub line: u32,
    /// Its column.
    pub column: u32,
    /// What it is about: `pod web-0`, `workload web`, `registry registry.example.com`.
    pub subject: String,
    /// What it expected, in words.
    pub expected: String,
    /// What happened, concretely.
    pub actual: String,
    /// Whether it holds.
    pub passed: bool,
}

/// What judging needs besides the expectation.
pub(crate) struct Evidence<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) story: &'a Story,
    pub(crate) metrics: &'a Metrics,
    /// When the run ended.
    pub(crate) end: SimTime,
}

/// What a kind's judge finds: a [`Verdict`] without the place it is written.
pub(crate) struct Judged {
    /// What it is about.
    pub(crate) subject: String,
    /// What it expected, in words.
    pub(crate) expected: String,
    /// What happened, concretely.
    pub(crate) actual: String,
    /// Whether it holds.
    pub(crate) passed: bool,
}

/// Judges one expectation.
pub(crate) fn judge(expectation: &Expectation, evidence: &Evidence<'_>) -> Verdict {
    let Position { line, column } = expectation.position;
    let Judged {
        subject,
        expected,
        actual,
        passed,
    } = expectation.check.judge(evidence);
    Verdict {
        line,
        column,
        subject,
        expected,
        actual,
        passed,
    }
}
