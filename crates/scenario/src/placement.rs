//! Keys of a Pod manifest written at the wrong level.
//!
//! A pasted manifest is read leniently: a key pullsim does not read is ignored, so that
//! `resources` or `ports` paste in. That leniency would also ignore a field that *does* affect
//! pulling when it is indented one level off (`containers:` directly under the pod, or under
//! `metadata`; `image:` directly under `spec`), and the error would then blame the place the
//! field is missing from. Each such key is reported at its own line and column, naming where
//! it belongs; the API server's strict decoding refuses these keys too (`unknown field`).

use pullsim_model::go_text::quote;

use crate::diagnostics::Diagnostics;
use crate::fields::Fields;

/// Where a key belongs in a Pod manifest, when it is one pullsim reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// Directly under the manifest, beside `metadata` and `spec`.
    Manifest,
    /// Under `metadata` (its own fields are read by the object reader, which reports a
    /// missing `name` itself).
    Metadata,
    /// Under `spec`.
    Spec,
    /// In a container of `spec.containers` or `spec.initContainers`.
    Container,
}

impl Level {
    fn describe(self) -> &'static str {
        match self {
            Level::Manifest => "directly under the pod manifest, beside metadata and spec",
            Level::Metadata => "under metadata",
            Level::Spec => "under spec",
            Level::Container => "in a container of spec.containers",
        }
    }

    fn here(self) -> &'static str {
        match self {
            Level::Manifest => "directly under the pod manifest",
            Level::Metadata => "under metadata",
            Level::Spec => "under spec",
            Level::Container => "in a container",
        }
    }
}

/// The keys pullsim reads from a Pod manifest and the level each belongs at.
const PLACES: &[(&str, Level)] = &[
    ("replicas", Level::Manifest),
    ("at", Level::Manifest),
    ("replaceEvery", Level::Manifest),
    ("spec", Level::Manifest),
    ("containers", Level::Spec),
    ("initContainers", Level::Spec),
    ("imagePullSecrets", Level::Spec),
    ("serviceAccountName", Level::Spec),
    ("serviceAccount", Level::Spec),
    ("nodeName", Level::Spec),
    ("nodeSelector", Level::Spec),
    ("image", Level::Container),
    ("imagePullPolicy", Level::Container),
];

/// The keys pullsim reads that belong at another level than `level` (those
/// [`report_misplaced`] reports there).
pub(crate) fn keys_belonging_elsewhere(level: Level) -> impl Iterator<Item = &'static str> {
    PLACES
        .iter()
        .filter(move |(_, belongs)| *belongs != level)
        .map(|(key, _)| *key)
}

/// Reports every key of `fields` (a mapping at `level`) that nobody read and that belongs at
/// another level. Returns whether `containers` was among them, so the reader does not also
/// report the pod as having no containers.
pub(crate) fn report_misplaced(
    fields: &Fields<'_>,
    level: Level,
    diagnostics: &mut Diagnostics,
) -> bool {
    let mut containers = false;
    for &(key, belongs) in PLACES {
        if belongs == level {
            continue;
        }
        let Some(entry) = fields.unread(key) else {
            continue;
        };
        containers |= key == "containers";
        diagnostics.error(
            entry.key_position,
            format!(
                "{} belongs {}, not {} (as written it would be ignored)",
                quote(key),
                belongs.describe(),
                level.here()
            ),
        );
    }
    containers
}
