//! `push`: build an image and point its tag at it (`Registry::push_build`). The value is
//! the registry's host and an image spec as `images:` takes it, read by the registry
//! crate's own definition and checked as its builder checks it.

use pullsim_model::SimTime;
use pullsim_registry::ImageSpec;
use pullsim_sim::Action;

use super::host::split_registry;
use super::{Kind, Planned, Reader};
use crate::diagnostics::Diagnostics;
use crate::references::Known;
use crate::registries::one;
use crate::tree::Node;

/// The `push` action.
pub(super) const KIND: Kind = Kind {
    key: "push",
    docs: "| `push` | `{registry, <image spec fields>}` | build an image and point its tag at it (a new build moves the tag) |",
    reader: Reader::Action(read),
};

fn read(
    node: &Node,
    _at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let (host, rest) = split_registry(node, known, diagnostics)?;
    let image: ImageSpec = one(&rest, diagnostics)?;
    if let Err(error) = image.check() {
        diagnostics.error(
            node.position,
            format!("image {}:{}: {error}", image.repository, image.tag),
        );
        return None;
    }
    Some(Planned::Action(Action::PushBuild { host, image }))
}
