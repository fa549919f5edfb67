//! `addNodes`: add nodes to a described pool, numbered after its existing nodes.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, number, text};
use crate::references::Known;
use crate::tree::Node;

/// The `addNodes` action.
pub(super) const KIND: Kind = Kind {
    key: "addNodes",
    docs: "| `addNodes` | `{pool, count}` | add nodes to a pool (`count` default 1), numbered after the existing ones |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "nodes to add", diagnostics)?;
    let pool = fields.require("pool", diagnostics).and_then(|n| {
        let pool = text(n, diagnostics)?;
        known.pool(&pool, n.position, diagnostics).then_some(pool)
    });
    let count = fields
        .get("count")
        .map_or(Some(1), |n| number::<u32>(n, diagnostics));
    fields.finish(diagnostics);
    Some(Planned::Action(Action::AddNodes {
        pool: pool?,
        count: count?,
    }))
}
