//! The registry a timeline action is about: its `registry` field read and checked against
//! the described hosts, alone or split off a mapping whose other keys belong to a registry
//! crate type (an image spec, a fault rule).

use pullsim_model::go_text::quote;

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::references::Known;
use crate::tree::{Node, Value};

/// Reads the required `registry` field: a described host.
pub(super) fn registry(
    fields: &mut Fields<'_>,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let registry = fields.require("registry", diagnostics)?;
    let host = text(registry, diagnostics)?;
    known
        .registry(&host, registry.position, diagnostics)
        .then_some(host)
}

/// Reads `registry`, `repository` and `tag`, the fields every tag action has, in that
/// order.
pub(super) fn tag_fields(
    fields: &mut Fields<'_>,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> (Option<String>, Option<String>, Option<String>) {
    let registry = registry(fields, known, diagnostics);
    let repository = fields
        .require("repository", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let tag = fields
        .require("tag", diagnostics)
        .and_then(|n| text(n, diagnostics));
    (registry, repository, tag)
}

/// Splits `registry` off a mapping whose other keys belong to a registry type.
pub(super) fn split_registry(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<(String, Node)> {
    let Value::Mapping(entries) = &node.value else {
        diagnostics.error(
            node.position,
            format!(
                "expected a mapping with a registry, found {}",
                node.describe()
            ),
        );
        return None;
    };
    let Some(registry) = entries.iter().find(|entry| entry.key == "registry") else {
        diagnostics.error(
            node.position,
            format!("missing field {}", quote("registry")),
        );
        return None;
    };
    let position = registry.value.position;
    let registry = text(&registry.value, diagnostics)?;
    if !known.registry(&registry, position, diagnostics) {
        return None;
    }
    let rest = Node {
        position: node.position,
        value: Value::Mapping(
            entries
                .iter()
                .filter(|entry| entry.key != "registry")
                .cloned()
                .collect(),
        ),
    };
    Some((registry, rest))
}
