//! `moveTag`: point a tag at what another tag of the repository points at when the move
//! happens (the simulator's `CopyTag`), or at a digest (`MoveTag`).

use pullsim_model::go_text::quote;
use pullsim_model::{Digest, SimTime};
use pullsim_sim::Action;

use super::host::tag_fields;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::Node;

/// The `moveTag` action.
pub(super) const KIND: Kind = Kind {
    key: "moveTag",
    docs: "| `moveTag` | `{registry, repository, tag, to}` | point the tag at what tag `to` of the same repository points at, or at a digest (`to: sha256:...`) |",
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
    let to = fields
        .require("to", diagnostics)
        .and_then(|n| tag_target(n, diagnostics));
    fields.finish(diagnostics);
    let (host, repository, tag) = (registry?, repository?, tag?);
    Some(Planned::Action(match to? {
        TagTarget::Digest(digest) => Action::MoveTag {
            host,
            repository,
            tag,
            digest,
        },
        TagTarget::Tag(from_tag) => Action::CopyTag {
            host,
            repository,
            tag,
            from_tag,
        },
    }))
}

/// The target of a tag move.
enum TagTarget {
    /// Whatever this tag of the same repository points at when the move happens.
    Tag(String),
    /// This manifest.
    Digest(Digest),
}

/// A digest when it has an algorithm (`sha256:...`), else a tag.
fn tag_target(node: &Node, diagnostics: &mut Diagnostics) -> Option<TagTarget> {
    let written = text(node, diagnostics)?;
    if written.contains(':') {
        return Digest::parse(&written)
            .map(TagTarget::Digest)
            .map_err(|error| {
                diagnostics.error(
                    node.position,
                    format!("invalid digest {}: {error}", quote(&written)),
                );
            })
            .ok();
    }
    Some(TagTarget::Tag(written))
}
