//! `timeToRunning`: time from creation to Running, for a pod or for every pod of a
//! workload, replacements included; a pod deleted before it ran is skipped, one still
//! waiting at the end fails.

use std::fmt::Write as _;
use std::time::Duration;

use super::wording::bounds_text;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, duration};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged, duration as duration_text, name_ranges};
use crate::scenario::Scenario;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "timeToRunning",
    docs: r"| `timeToRunning: <bounds of durations>` | `pod` or `workload` | | from creation to Running, for the pod or each pod of the workload |",
    pod_or_workload: true,
    workload_object: false,
    read,
};

/// Time from creation to Running, for a pod or for every pod of a workload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeToRunning {
    /// A pod's or a workload's name.
    pub subject: String,
    /// The allowed range.
    pub within: Bounds<Duration>,
}

fn read(reading: &mut Reading<'_>, _: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let subject = reading.pod.take().or(reading.workload.take());
    let within = bounds(reading.value, diagnostics, duration);
    Some(Check::TimeToRunning(TimeToRunning {
        subject: reading.need(subject, "pod or workload", diagnostics)?,
        within: within?,
    }))
}

/// The pods an expectation about `subject` covers: a replicated workload's pods, or the
/// pods of that name.
fn pod_names(scenario: &Scenario, subject: &str) -> Vec<String> {
    scenario
        .workloads
        .iter()
        .find(|w| w.name() == subject && w.is_replicated())
        .map_or_else(
            || vec![subject.to_owned()],
            crate::workloads::Workload::pod_names,
        )
}

impl TimeToRunning {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let TimeToRunning { subject, within } = self;
        let names = pod_names(evidence.scenario, subject);
        let is_workload = evidence
            .scenario
            .workloads
            .iter()
            .any(|w| w.name() == subject && w.is_replicated());
        let mut times: Vec<(String, Duration)> = Vec::new();
        let mut never: Vec<String> = Vec::new();
        for (index, info) in evidence.story.pods.iter().enumerate() {
            if !names.contains(&info.pod) {
                continue;
            }
            let Some(figures) = evidence.metrics.pods.get(index) else {
                continue;
            };
            match figures.time_to_running {
                Some(time) => times.push((info.pod.clone(), time)),
                None if figures.deleted => {}
                None => never.push(info.pod.clone()),
            }
        }
        let outside: Vec<&(String, Duration)> =
            times.iter().filter(|(_, t)| !within.contains(*t)).collect();
        let passed = never.is_empty() && outside.is_empty() && !(times.is_empty());
        let mut actual = match (
            times.iter().map(|(_, t)| *t).min(),
            times.iter().map(|(_, t)| *t).max(),
        ) {
            (Some(min), Some(max)) if times.len() == 1 || min == max => duration_text(min),
            (Some(min), Some(max)) => format!(
                "{}..{} over {} pods",
                duration_text(min),
                duration_text(max),
                times.len()
            ),
            _ => "never Running".to_owned(),
        };
        if !outside.is_empty() {
            let listed: Vec<String> = outside
                .iter()
                .take(5)
                .map(|(pod, t)| format!("{pod} {}", duration_text(*t)))
                .collect();
            let _ = write!(actual, "; outside: {}", listed.join(", "));
            if outside.len() > 5 {
                let _ = write!(actual, " and {} more", outside.len() - 5);
            }
        }
        if !never.is_empty() && !times.is_empty() {
            let listed = name_ranges(never.iter().map(String::as_str));
            let _ = write!(actual, "; never Running: {listed}");
        }
        Judged {
            subject: format!("{} {subject}", if is_workload { "workload" } else { "pod" }),
            expected: format!("time to Running {}", bounds_text(within, duration_text)),
            actual,
            passed,
        }
    }
}
