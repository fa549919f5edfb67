//! `secret`: create a Secret, or replace the one with its namespace and name (a rotation).
//! The value is a Secret manifest, read as `secrets:` reads one.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::objects::read_secret;
use crate::references::Known;
use crate::tree::Node;

/// The `secret` action.
pub(super) const KIND: Kind = Kind {
    key: "secret",
    docs: "| `secret` | a Secret manifest | create the Secret, or replace the one with its namespace and name (a rotation) |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    _known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    read_secret(node, diagnostics).map(|secret| Planned::Action(Action::PutSecret(secret)))
}
