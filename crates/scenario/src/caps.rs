//! How long names and texts may be (docs/scenario-format.md, "Limits"), the limits
//! Kubernetes itself applies, so that a 10 MB name is one error at its place rather than a
//! run that copies it into every event, and so that no message quotes it whole.
//!
//! - object names (`metadata.name` of Pods, Secrets, ServiceAccounts): a DNS-1123 subdomain,
//!   at most [`NAME_MAX`] characters;
//! - namespaces and container names: a DNS-1123 label, at most [`LABEL_MAX`];
//! - label and `nodeSelector` values: at most [`LABEL_MAX`]; keys at most
//!   [`LABEL_KEY_MAX`] (a 253-character prefix, `/`, a 63-character name);
//! - image references: at most [`IMAGE_MAX`]. Kubernetes sets no length of its own, so
//!   this is longer than any reference distribution accepts (a 253-character host, `/`, a
//!   repository path of at most 255 (distribution's `NameTotalLengthMax`), `:`, a
//!   128-character tag, `@`, a sha512 digest of 135): a shorter invalid reference is
//!   still the kubelet's `InvalidImageName`.

use pullsim_model::go_text::quote;

use crate::diagnostics::{Diagnostics, Position};

/// An object name (DNS-1123 subdomain).
pub const NAME_MAX: usize = 253;
/// A DNS-1123 label: namespaces, container names, label values.
pub const LABEL_MAX: usize = 63;
/// A label key: an optional DNS subdomain prefix and `/`, then a name.
pub const LABEL_KEY_MAX: usize = NAME_MAX + 1 + LABEL_MAX;
/// An image reference as written in a container or a pre-pulled list.
pub const IMAGE_MAX: usize = 1024;

/// How much of an over-long value a message shows.
const SHOWN_CHARS: usize = 40;

/// Whether `value` (written at `position`) has at most `max` characters; otherwise an
/// error there that says what the value is and its length, showing only its start.
pub(crate) fn within(
    position: Position,
    value: &str,
    what: &str,
    max: usize,
    diagnostics: &mut Diagnostics,
) -> bool {
    let length = value.chars().count();
    if length <= max {
        return true;
    }
    diagnostics.error(
        position,
        format!(
            "{what} {} is {length} characters long (at most {max})",
            shortened(value)
        ),
    );
    false
}

/// `value` quoted, or its first characters quoted and `...` when it is long.
pub(crate) fn shortened(value: &str) -> String {
    if value.chars().count() <= SHOWN_CHARS * 2 {
        return quote(value);
    }
    let start: String = value.chars().take(SHOWN_CHARS).collect();
    format!("{}...", quote(&start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_values_are_shown_by_their_start() {
        assert_eq!(shortened("web"), "\"web\"");
        let long = "a".repeat(1000);
        assert_eq!(shortened(&long), format!("\"{}\"...", "a".repeat(40)));
    }
}
