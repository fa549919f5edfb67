//! `outage`: every request to a registry answers a status (a fault rule limited to the
//! outage's window), or connections are refused, from `at` until `until`; without `until`
//! to the end of the run, which only the run knows (a run may end earlier or later than
//! the file says), so that length is applied when the world is built.

use pullsim_model::SimTime;
use pullsim_registry::FAULT_STATUSES;
use pullsim_sim::{Action, OutageKind};

use super::host::registry;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, number};
use crate::references::Known;
use crate::tree::Node;

/// The `outage` action.
pub(super) const KIND: Kind = Kind {
    key: "outage",
    docs: "| `outage` | `{registry, until, status}` | every request answers `status` (401, 403, 404, 429, 500, 502 or 503; default 503), or with `status: unreachable` connections are refused (about one round trip, then the next host), or with `status: dropped` packets are dropped (every dial waits the host's dial timeout, 30 s unless containerd 2.1+ reads a `dial_timeout`, then `i/o timeout`), from `at` until `until` (default: to the end) |",
    reader: Reader::Action(read),
};

fn read(node: &Node, at: SimTime, known: &Known, diagnostics: &mut Diagnostics) -> Option<Planned> {
    let mut fields = Fields::of(node, "an outage", diagnostics)?;
    let registry = registry(&mut fields, known, diagnostics);
    let until_node = fields.get("until");
    let status_node = fields.get("status");
    fields.finish(diagnostics);
    let until = super::outage_end(until_node, at, diagnostics);
    let failure = match status_node {
        None => Some(OutageKind::Status(503)),
        Some(node) if node.scalar() == Some("unreachable") => Some(OutageKind::Unreachable),
        Some(node) if node.scalar() == Some("dropped") => Some(OutageKind::Dropped),
        Some(node) => number::<u16>(node, diagnostics).and_then(|status| {
            if FAULT_STATUSES.contains(&status) {
                Some(OutageKind::Status(status))
            } else {
                diagnostics.error(
                    node.position,
                    format!("status {status} is not an outage status: want 401, 403, 404, 429, 500, 502, 503, unreachable or dropped"),
                );
                None
            }
        }),
    };
    let (host, until, kind) = (registry?, until?, failure?);
    Some(match until {
        Some(until) => Planned::Action(Action::Outage {
            host,
            duration: until.saturating_since(at),
            kind,
        }),
        None => Planned::OutageToEnd { host, kind },
    })
}

/// An outage from `at` to the run's `end`.
pub(super) fn to_end(host: &str, kind: OutageKind, at: SimTime, end: SimTime) -> Action {
    Action::Outage {
        host: host.to_owned(),
        duration: end.saturating_since(at),
        kind,
    }
}
