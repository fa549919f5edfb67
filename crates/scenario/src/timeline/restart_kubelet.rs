//! `restartKubelet`: restart one node's kubelet, back after `downtime`: image back-off is
//! forgotten, KEP-2535 records are kept. The value is the node's name, or
//! `{node, downtime}`; that the node exists is checked once the whole scenario is read.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, duration, text};
use crate::references::Known;
use crate::tree::Node;

/// The `restartKubelet` action.
pub(super) const KIND: Kind = Kind {
    key: "restartKubelet",
    docs: "| `restartKubelet` | a node name, or `{node, downtime}` | restart its kubelet, back after `downtime` (default `0s`): image back-off is forgotten, KEP-2535 records are kept |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    if node.entries().is_none() {
        return text(node, diagnostics).map(|node| {
            Planned::Action(Action::RestartKubelet {
                node,
                downtime: Duration::ZERO,
            })
        });
    }
    let mut fields = Fields::of(node, "a kubelet restart", diagnostics)?;
    let name = fields
        .require("node", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let downtime = fields
        .get("downtime")
        .map_or(Some(Duration::ZERO), |n| duration(n, diagnostics));
    fields.finish(diagnostics);
    Some(Planned::Action(Action::RestartKubelet {
        node: name?,
        downtime: downtime?,
    }))
}
