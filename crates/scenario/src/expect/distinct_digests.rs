//! `distinctDigests`: the most image digests one container of a workload ran at the same
//! moment (the simulator's drift metric; a single pod runs one at most), and with
//! `mixedFor`, how long more than one ran at once.

use std::fmt::Write as _;
use std::time::Duration;

use super::wording::bounds_text;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, duration, number};
use crate::references::Known;
use crate::run::judge::{Entry, Evidence, Judged, duration as duration_text};

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "distinctDigests",
    docs: r"| `distinctDigests: <bounds>` | `workload` (a Pod entry's name, or a workload object as `kind/name`) | `mixedFor` (bounds of durations), `namespace` (an object's, default `default`) | how many image digests the workload's pods ran, and how long more than one ran at once |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// How many distinct image digests a workload's pods ran over the run, and for how long
/// more than one ran at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DistinctDigests {
    /// The workload: a Pod entry's name, or a workload object as its drift group is named
    /// (`deployment/web`).
    pub workload: String,
    /// The workload object, when `workload` names one (`kind/name`).
    pub object: Option<super::RolloutSubject>,
    /// How many digests.
    pub count: Bounds<u64>,
    /// How long the workload ran mixed versions, when asserted.
    pub mixed_for: Option<Bounds<Duration>>,
}

fn read(reading: &mut Reading<'_>, _: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let mixed_for = reading
        .fields
        .get("mixedFor")
        .map(|n| bounds(n, diagnostics, duration));
    let count = bounds(reading.value, diagnostics, number::<u64>);
    let (workload, object) = super::RolloutSubject::read_group(reading, diagnostics)?;
    Some(Check::DistinctDigests(DistinctDigests {
        workload: reading.need(workload, "workload", diagnostics)?,
        object,
        count: count?,
        mixed_for: mixed_for.map_or(Some(None), |bounds| bounds.map(Some))?,
    }))
}

impl DistinctDigests {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let DistinctDigests {
            workload,
            count,
            mixed_for,
            ..
        } = self;
        let (distinct, mixed) = drift(evidence, workload);
        let mut expected = format!(
            "distinct digests {}",
            bounds_text(count, |n: u64| n.to_string())
        );
        if let Some(mixed_for) = mixed_for {
            let _ = write!(
                expected,
                ", mixed for {}",
                bounds_text(mixed_for, duration_text)
            );
        }
        let passed =
            count.contains(distinct) && mixed_for.is_none_or(|bounds| bounds.contains(mixed));
        Judged {
            subject: format!("workload {workload}"),
            expected,
            actual: format!("{distinct}, mixed for {}", duration_text(mixed)),
            passed,
        }
    }
}

/// The most digests one container of the workload ran at once, and how long more than one
/// did. A workload of one pod runs one pod at a time, so at most one digest at once.
fn drift(evidence: &Evidence<'_>, workload: &str) -> (u64, Duration) {
    if let Some(figures) = evidence
        .metrics
        .workloads
        .iter()
        .find(|w| w.workload == workload)
    {
        return (
            u64::from(figures.max_distinct_digests),
            figures.mixed_duration,
        );
    }
    let ran =
        evidence.story.records.iter().any(
            |record| matches!(&record.entry, Entry::PodRunning { pod, .. } if pod == workload),
        );
    (u64::from(ran), Duration::ZERO)
}
