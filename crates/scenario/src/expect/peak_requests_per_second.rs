//! `peakRequestsPerSecond`: the most requests a registry answered in one whole second of
//! virtual time, among the seconds that start within `[from, until)`; the verdict names
//! the second.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use pullsim_model::SimTime;

use super::wording::bounds_text;
use super::{Check, Kind, Reading, time_in_run};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, number};
use crate::references::Known;
use crate::run::judge::{Entry, Evidence, Judged, Story, clock};

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "peakRequestsPerSecond",
    docs: r"| `peakRequestsPerSecond: <bounds>` | `registry` | `from`, `until` (times) | the most requests answered in one whole second; with `from`/`until`, among the seconds that start in `[from, until)` (the verdict names the second: `4 at 00:03:00.000`) |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// The most requests the registry answered in one second of virtual time, among the
/// whole seconds that start within `[from, until)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeakRequestsPerSecond {
    /// The registry's host.
    pub registry: String,
    /// The allowed range.
    pub value: Bounds<u64>,
    /// The window's start, when asserted (seconds starting at or after it count).
    pub from: Option<SimTime>,
    /// The window's end, when asserted (seconds starting before it count).
    pub until: Option<SimTime>,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let value = bounds(reading.value, diagnostics, number::<u64>);
    let from = reading
        .fields
        .get("from")
        .map(|n| time_in_run(n, known, diagnostics));
    let until = reading
        .fields
        .get("until")
        .map(|n| time_in_run(n, known, diagnostics));
    if let (Some(Some(from)), Some(Some(until))) = (from, until)
        && until <= from
    {
        diagnostics.error(reading.position(), "until must be later than from");
        return None;
    }
    let registry = reading.registry.take();
    Some(Check::PeakRequestsPerSecond(PeakRequestsPerSecond {
        registry: reading.need(registry, "registry", diagnostics)?,
        value: value?,
        from: from.map_or(Some(None), |at| at.map(Some))?,
        until: until.map_or(Some(None), |at| at.map(Some))?,
    }))
}

impl PeakRequestsPerSecond {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let PeakRequestsPerSecond {
            registry,
            value,
            from,
            until,
        } = self;
        let peak = peak_per_second(evidence.story, registry, *from, *until);
        let actual = match peak {
            Some((second, count)) => format!("{count} at {}", clock(second)),
            None => "no requests".to_owned(),
        };
        let mut window = String::new();
        if let Some(from) = from {
            let _ = write!(window, " from {}", clock(*from));
        }
        if let Some(until) = until {
            let _ = write!(window, " until {}", clock(*until));
        }
        Judged {
            subject: format!("registry {registry}"),
            expected: format!(
                "peak requests per second {}{window}",
                bounds_text(value, |n: u64| n.to_string())
            ),
            actual,
            passed: value.contains(peak.map_or(0, |(_, count)| count)),
        }
    }
}

/// The busiest whole second of one registry's traffic among the seconds that start in
/// `[from, until)`: when it starts and how many requests it had (the earliest, on a tie).
fn peak_per_second(
    story: &Story,
    registry: &str,
    from: Option<SimTime>,
    until: Option<SimTime>,
) -> Option<(SimTime, u64)> {
    let mut per_second: BTreeMap<u64, u64> = BTreeMap::new();
    let starts_in = |second: u64| {
        let start = SimTime::from_secs(second);
        from.is_none_or(|from| start >= from) && until.is_none_or(|until| start < until)
    };
    for record in &story.records {
        if let Entry::Request { host, .. } = &record.entry
            && host == registry
            && starts_in(record.at_ns.since_epoch().as_secs())
        {
            *per_second
                .entry(record.at_ns.since_epoch().as_secs())
                .or_insert(0) += 1;
        }
    }
    per_second
        .into_iter()
        .fold(
            None,
            |best: Option<(u64, u64)>, (second, count)| match best {
                Some((_, top)) if top >= count => best,
                _ => Some((second, count)),
            },
        )
        .map(|(second, count)| (SimTime::from_secs(second), count))
}
