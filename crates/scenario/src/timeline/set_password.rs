//! `setPassword`: a registry account gets a new password (someone rotates it by hand); the
//! old one is refused from then on with the 401 of a wrong password. For an account with
//! `rotateEvery` the new password is the base of each period's.

use pullsim_model::SimTime;
use pullsim_sim::Action;

use super::host::registry;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::Node;

/// The `setPassword` action.
pub(super) const KIND: Kind = Kind {
    key: "setPassword",
    docs: "| `setPassword` | `{registry, account, password}` | the account's password becomes `password` (an account that did not exist is created): the old one is refused from then on; for an account with `rotateEvery`, the base of each period's password |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let mut fields = Fields::of(node, "a password change", diagnostics)?;
    let host = registry(&mut fields, known, diagnostics);
    let account = fields.require("account", diagnostics).and_then(|node| {
        let user = text(node, diagnostics)?;
        if user.is_empty() || user.contains(':') {
            diagnostics.error(
                node.position,
                "an account's name must be non-empty and have no ':'",
            );
            return None;
        }
        Some(user)
    });
    let password = fields
        .require("password", diagnostics)
        .and_then(|node| text(node, diagnostics));
    fields.finish(diagnostics);
    Some(Planned::Action(Action::SetPassword {
        host: host?,
        user: account?,
        password: password?,
    }))
}
