//! `deleteTag`: delete a tag (`Registry::delete_tag`).

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::host::tag_fields;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::Fields;
use crate::references::Known;
use crate::tree::Node;

/// The `deleteTag` action.
pub(super) const KIND: Kind = Kind {
    key: "deleteTag",
    docs: "| `deleteTag` | `{registry, repository, tag}` | delete the tag |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "a tag", diagnostics)?;
    let (registry, repository, tag) = tag_fields(&mut fields, known, diagnostics);
    fields.finish(diagnostics);
    Some(Planned::Action(Action::DeleteTag {
        host: registry?,
        repository: repository?,
        tag: tag?,
    }))
}
