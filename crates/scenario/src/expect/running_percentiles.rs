//! `runningPercentiles`: a workload's time to Running as percentiles over its pods (the
//! simulator's `Metrics::running_times`: nearest rank, pods deleted before they ran left
//! out). Each of `p50`, `p90`, `p99` and `max` is bounds of durations; a percentile of a
//! workload none of whose pods ran fails.

use std::time::Duration;

use super::wording::bounds_text;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, Fields, bounds, duration};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged, duration as duration_text};
use pullsim_sim::RunningTimes;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "runningPercentiles",
    docs: r"| `runningPercentiles: {p50, p90, p99, max: <bounds of durations>}` | `workload` (a Pod entry's name, or a workload object as `kind/name`) | `namespace` (an object's) | time from creation to Running as nearest-rank percentiles over the workload's pods |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// Bounds on a workload's time-to-Running percentiles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningPercentiles {
    /// The workload as its drift group is named (`web`, `deployment/web`).
    pub workload: String,
    /// The workload object, when `workload` names one.
    pub object: Option<super::RolloutSubject>,
    /// Per percentile written (`p50`, `p90`, `p99`, `max`, in that order), its bounds.
    pub within: Vec<(&'static str, Bounds<Duration>)>,
}

fn read(reading: &mut Reading<'_>, _: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let mut fields = Fields::of(reading.value, "percentiles", diagnostics)?;
    let position = fields.position();
    let mut within = Vec::new();
    let mut readable = true;
    for name in pullsim_sim::PERCENTILES {
        if let Some(node) = fields.get(name) {
            match bounds(node, diagnostics, duration) {
                Some(range) => within.push((name, range)),
                None => readable = false,
            }
        }
    }
    fields.finish(diagnostics);
    if within.is_empty() && readable {
        diagnostics.error(position, "runningPercentiles needs p50, p90, p99 or max");
        return None;
    }
    let (workload, object) = super::RolloutSubject::read_group(reading, diagnostics)?;
    let workload = reading.need(workload, "workload", diagnostics)?;
    readable.then_some(Check::RunningPercentiles(RunningPercentiles {
        workload,
        object,
        within,
    }))
}

impl RunningPercentiles {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let figures = figures(evidence, &self.workload);
        let expected = self
            .within
            .iter()
            .map(|(name, range)| format!("{name} {}", bounds_text(range, duration_text)))
            .collect::<Vec<_>>()
            .join(", ");
        let (passed, actual) = match figures {
            None => (false, "no pod of it in the run".to_owned()),
            Some(figures) => {
                let figures = &figures;
                let passed = self.within.iter().all(|(name, range)| {
                    figures
                        .by_name(name)
                        .flatten()
                        .is_some_and(|time| range.contains(time))
                });
                let shown = self
                    .within
                    .iter()
                    .map(|(name, _)| {
                        let value = figures.by_name(name).flatten();
                        format!("{name} {}", value.map_or("none".to_owned(), duration_text))
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                (
                    passed,
                    format!(
                        "{shown} ({} of {} pods Running)",
                        figures.running, figures.pods
                    ),
                )
            }
        };
        Judged {
            subject: format!("workload {}", self.workload),
            expected: format!("time to Running {expected}"),
            actual,
            passed,
        }
    }
}

/// The workload's figures; a Pod entry that is not replicated has no drift group, and its
/// figures are made from the pods of its name (replacements included).
fn figures(evidence: &Evidence<'_>, workload: &str) -> Option<RunningTimes> {
    if let Some(times) = evidence
        .metrics
        .running_times
        .iter()
        .find(|times| times.workload == workload)
    {
        return Some(times.clone());
    }
    let times: Vec<Option<Duration>> = evidence
        .story
        .pods
        .iter()
        .zip(&evidence.metrics.pods)
        .filter(|(info, figures)| {
            info.pod == workload && !(figures.deleted && figures.time_to_running.is_none())
        })
        .map(|(_, figures)| figures.time_to_running)
        .collect();
    (!times.is_empty()).then(|| RunningTimes::of(workload.to_owned(), times))
}
