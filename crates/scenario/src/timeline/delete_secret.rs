//! `deleteSecret`: delete a Secret by name and namespace (`default` unless written). That
//! the Secret exists is checked once the whole scenario is read.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::Node;

/// The `deleteSecret` action.
pub(super) const KIND: Kind = Kind {
    key: "deleteSecret",
    docs: "| `deleteSecret` | `{name, namespace}` | delete a Secret (namespace default `default`) |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "a secret to delete", diagnostics)?;
    let name = fields
        .require("name", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let namespace = fields
        .get("namespace")
        .and_then(|n| text(n, diagnostics))
        .unwrap_or_else(|| "default".to_owned());
    fields.finish(diagnostics);
    Some(Planned::Action(Action::DeleteSecret {
        namespace,
        name: name?,
    }))
}
