//! Why a registry operation from outside the protocol (reading or loading a catalog,
//! pushing a synthetic build, moving or deleting a tag) was refused. Protocol requests
//! never fail this way: they get a status and an error envelope instead.

use pullsim_model::{Digest, DocumentError};

/// A refused registry operation. Messages are lowercase sentences naming the offending value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The repository name does not match the distribution name grammar.
    #[error("invalid repository name {0:?}: want lowercase path components such as demo/hello")]
    InvalidRepository(String),
    /// The tag does not match `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    #[error(
        "invalid tag {0:?}: want up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
    )]
    InvalidTag(String),
    /// An image spec without platforms.
    #[error("an image needs at least one platform")]
    NoPlatforms,
    /// An image spec without layers.
    #[error("an image needs at least one layer")]
    NoLayers,
    /// A platform without an OS or architecture.
    #[error("platform {0:?} needs an os and an architecture")]
    IncompletePlatform(String),
    /// The same platform (after normalisation) twice in one spec.
    #[error("platform {0} is listed twice")]
    DuplicatePlatform(String),
    /// A layer larger than the builder makes.
    #[error("layer of {0} bytes is larger than the 2GiB the builder makes")]
    LayerTooLarge(u64),
    /// The repository has no such tag (or it was deleted).
    #[error("tag {repository}:{tag} does not exist")]
    TagUnknown {
        /// The repository.
        repository: String,
        /// The tag.
        tag: String,
    },
    /// No manifest with this digest is in the repository.
    #[error("manifest {digest} is not in repository {repository}")]
    ManifestUnknown {
        /// The repository.
        repository: String,
        /// The digest asked for.
        digest: Digest,
    },
    /// A manifest installed from outside the protocol failed a push's checks.
    #[error("manifest refused: {0}")]
    ManifestRefused(String),
    /// No content is stored under this digest.
    #[error("no content is stored under {0}")]
    ContentUnknown(Digest),
    /// An access rule whose repository pattern is empty.
    #[error("access rule {0} has an empty repository pattern")]
    EmptyPattern(usize),
    /// An account name that Basic authentication cannot carry.
    #[error("account name {0:?} is empty or contains ':'")]
    InvalidAccount(String),
}

/// Why a catalog could not be read or loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    /// The text is not a valid catalog (serde's message names unknown fields and expected
    /// values), with where.
    #[error(transparent)]
    Parse(DocumentError),
    /// An image spec was refused.
    #[error("image {index} ({repository}:{tag}): {source}")]
    Image {
        /// Its position in `images`, from 0.
        index: usize,
        /// Its repository.
        repository: String,
        /// Its tag.
        tag: String,
        /// Why.
        source: RegistryError,
    },
    /// An account or access rule was refused.
    #[error("{0}")]
    Rules(RegistryError),
}
