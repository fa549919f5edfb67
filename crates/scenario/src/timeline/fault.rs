//! `fault`: install a fault rule on a registry, after its other rules. The value is the
//! registry's host and a fault rule as `faults:` takes it, read by the registry crate's own
//! definition.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::host::split_registry;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::references::Known;
use crate::registries::one;
use crate::tree::Node;

/// The `fault` action.
pub(super) const KIND: Kind = Kind {
    key: "fault",
    docs: "| `fault` | `{registry, <fault rule fields>}` | install a fault rule after the others |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let (host, rest) = split_registry(node, known, diagnostics)?;
    Some(Planned::Action(Action::InstallFault {
        host,
        rule: one(&rest, diagnostics)?,
    }))
}
