//! `requests`: how many requests a registry answered, and how many body bytes they
//! carried, among those its filter counts; every exchange in the trace, the
//! digest-pinning webhook's included.

use std::fmt::Write as _;

use pullsim_model::ByteSize;

use super::request_filter::{RequestFilter, request_filter};
use super::wording::bounds_text;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, number, size};
use crate::references::Known;
use crate::run::judge::{Evidence, Judged, Story, size as size_text};

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "requests",
    docs: r"| `requests: {filter}` | `registry` | `count` (bounds), `bytes` (bounds of sizes); at least one | requests the registry answered; the filter's fields all optional: `method` (`GET`, `HEAD`, `POST`, `PUT`, `PATCH` or `DELETE`, in any case), `kind` (`ping`, `manifest`, `blob`, `token`), `status`, `repository`, `node` (a node's name, or `admission` for the digest-pinning webhook), `from`, `until` |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// Requests a registry answered, filtered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests {
    /// The registry's host.
    pub registry: String,
    /// Which requests count.
    pub filter: RequestFilter,
    /// How many, when asserted.
    pub count: Option<Bounds<u64>>,
    /// How many body bytes they carried, when asserted.
    pub bytes: Option<Bounds<ByteSize>>,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let count = reading
        .fields
        .get("count")
        .map(|n| bounds(n, diagnostics, number::<u64>));
    let bytes = reading
        .fields
        .get("bytes")
        .map(|n| bounds(n, diagnostics, size));
    let filter = request_filter(reading.value, known, diagnostics);
    if count.is_none() && bytes.is_none() {
        diagnostics.error(reading.position(), "requests needs count, bytes or both");
    }
    let registry = reading.registry.take();
    Some(Check::Requests(Requests {
        registry: reading.need(registry, "registry", diagnostics)?,
        filter: filter?,
        count: count.map_or(Some(None), |bounds| bounds.map(Some))?,
        bytes: bytes.map_or(Some(None), |bounds| bounds.map(Some))?,
    }))
}

impl Requests {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let Requests {
            registry,
            filter,
            count,
            bytes,
        } = self;
        let (requests, body_bytes) = requests(evidence.story, registry, filter);
        let mut expected = format!("requests {}", filter.text());
        let mut passed = true;
        if let Some(count) = count {
            let _ = write!(
                expected,
                " count {}",
                bounds_text(count, |n: u64| n.to_string())
            );
            passed &= count.contains(requests);
        }
        if let Some(bytes) = bytes {
            let _ = write!(
                expected,
                " bytes {}",
                bounds_text(bytes, |b| size_text(b.bytes()))
            );
            passed &= bytes.contains(ByteSize(body_bytes));
        }
        Judged {
            subject: format!("registry {registry}"),
            expected,
            actual: format!("{requests} requests, {}", size_text(body_bytes)),
            passed,
        }
    }
}

/// How many of the registry's requests the filter counts, and their body bytes.
fn requests(story: &Story, registry: &str, filter: &RequestFilter) -> (u64, u64) {
    let mut count = 0;
    let mut bytes = 0;
    for record in &story.records {
        if let Some(body) = filter.counted(registry, &record.entry, record.at_ns) {
            count += 1;
            bytes += body;
        }
    }
    (count, bytes)
}
