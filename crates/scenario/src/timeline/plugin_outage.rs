//! `pluginOutage`: a credential-provider plugin fails every exec that starts from `at`
//! until `until` (default: to the end), exiting with status 1 or hanging until the
//! kubelet's 1-minute timeout; the same as a `failures:` window of the plugin, written on
//! the timeline.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::Node;

/// The `pluginOutage` action.
pub(super) const KIND: Kind = Kind {
    key: "pluginOutage",
    docs: "| `pluginOutage` | `{plugin, until, mode}` | the credential plugin fails every exec that starts from `at` until `until` (default: to the end): `mode: exit` (default) exits with status 1 after its latency, `mode: hang` never answers and is killed at the kubelet's 1-minute timeout |",
    reader: Reader::Action(read),
};

fn read(node: &Node, at: SimTime, known: &Known, diagnostics: &mut Diagnostics) -> Option<Planned> {
    let mut fields = Fields::of(node, "a plugin outage", diagnostics)?;
    let plugin = fields.require("plugin", diagnostics).and_then(|node| {
        let name = text(node, diagnostics)?;
        known
            .plugin(&name, node.position, diagnostics)
            .then_some(name)
    });
    let until_node = fields.get("until");
    let mode_node = fields.get("mode");
    fields.finish(diagnostics);
    let until = super::outage_end(until_node, at, diagnostics);
    let mode = crate::plugins::failure_mode(mode_node, diagnostics);
    let until = until?;
    Some(Planned::Action(Action::PluginOutage {
        plugin: plugin?,
        duration: until.map(|until| until.saturating_since(at)),
        mode: mode?,
    }))
}
