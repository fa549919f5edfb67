//! Image references (`registry/path:tag@digest`) parsed exactly as distribution/reference
//! v0.6.0 parses them for the kubelet and containerd (docs/semantics.md §1).
//!
//! - `grammar`: the regexp grammar of `regexp.go` as a single-pass matcher.
//! - this file: the [`Reference`] value, `Parse` and the errors of `reference.go`.
//! - [`normalize`]: `ParseNormalizedNamed`, `ParseDockerRef` and the familiar forms (`normalize.go`,
//!   `helpers.go`).
//! - [`kubelet`]: the kubelet's wrappers `ParseImageName` and `applyDefaultImageTag`.

use std::fmt;

use crate::digest::{Digest, DigestError};

mod grammar;
pub mod kubelet;
pub mod normalize;

#[cfg(test)]
mod tests;

pub use kubelet::{ImageName, ImageNameError, apply_default_image_tag, parse_image_name};
pub use normalize::parse_docker_ref;

/// The longest path (the name without its domain) v0.6.0 accepts, in bytes
/// (`RepositoryNameTotalLengthMax`).
pub const PATH_LENGTH_MAX: usize = 255;

/// Why a string is not a reference. Display texts are distribution/reference v0.6.0's (and,
/// for digests, go-digest v1.0.0's) error strings, word for word, because users paste them
/// into searches.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferenceError {
    /// The string does not match the reference grammar (`ErrReferenceInvalidFormat`).
    #[error("invalid reference format")]
    InvalidFormat,
    /// The string does not match, but its lowercase form would (`ErrNameContainsUppercase`).
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// The string is empty (`ErrNameEmpty`).
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// The path is longer than [`PATH_LENGTH_MAX`] bytes (`ErrNameTooLong`).
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `ParseNormalizedNamed` found uppercase in the remote name, everything of the
    /// normalized remainder before its first `:` (e.g. `library/NGINX`).
    #[error("invalid reference format: repository name ({remote}) must be lowercase")]
    RemoteNotLowercase {
        /// The offending remote name, as upstream prints it.
        remote: String,
    },
    /// `ParseNormalizedNamed` refuses a bare 64-hex string, which would look like an image ID.
    #[error("invalid repository name ({name}), cannot specify 64-byte hexadecimal strings")]
    Identifier {
        /// The whole input.
        name: String,
    },
    /// The digest matched the grammar but go-digest refused it; upstream returns go-digest's
    /// error unwrapped, so the text is go-digest's.
    #[error(transparent)]
    Digest(#[from] DigestError),
}

/// A parsed image reference: a name (optional domain and a path), an optional tag and an
/// optional digest. Every value came out of a successful parse, so it is always valid.
///
/// It is stored as its `String()` form with offsets, which is also what equality and ordering
/// compare: two references are equal exactly when they print the same.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The `String()` form: `name[:tag][@digest]`.
    repr: String,
    /// Where the name ends in `repr`.
    name_end: usize,
    /// Where the domain ends, when there is one; the path starts one byte later.
    domain_end: Option<usize>,
    /// Where the tag ends; equal to `name_end` when there is no tag.
    tag_end: usize,
    /// The validated digest, also printed at the end of `repr`.
    digest: Option<Digest>,
}

impl Reference {
    /// distribution/reference `Parse`: the reference grammar without any normalization, so
    /// `nginx` is a name with no domain and path `nginx`.
    ///
    /// Checks in upstream's order: empty string, grammar (with the uppercase hint), path length,
    /// then go-digest validation of the digest.
    pub fn parse(s: &str) -> Result<Reference, ReferenceError> {
        Reference::parse_owned(s.to_owned())
    }

    /// [`Reference::parse`] on a string we already own, so normalization allocates once.
    pub(crate) fn parse_owned(repr: String) -> Result<Reference, ReferenceError> {
        if repr.is_empty() {
            return Err(ReferenceError::NameEmpty);
        }
        let Some(found) = grammar::match_reference(&repr) else {
            let lower = crate::go::text::to_lower(&repr);
            if lower != repr && grammar::match_reference(&lower).is_some() {
                return Err(ReferenceError::NameContainsUppercase);
            }
            return Err(ReferenceError::InvalidFormat);
        };
        let path_len = match found.domain_end {
            Some(end) => found.name_end.saturating_sub(end + 1),
            None => found.name_end,
        };
        if path_len > PATH_LENGTH_MAX {
            return Err(ReferenceError::NameTooLong);
        }
        let digest = match found.digest.and_then(|range| repr.get(range)) {
            Some(text) => Some(Digest::parse(text)?),
            None => None,
        };
        let tag_end = found.tag.map_or(found.name_end, |range| range.end);
        Ok(Reference {
            repr,
            name_end: found.name_end,
            domain_end: found.domain_end,
            tag_end,
            digest,
        })
    }

    /// Builds `name[:tag][@digest]` from parts of an already valid reference; the parts keep
    /// their validity, so nothing is re-checked (upstream `WithTag`/`WithDigest` on valid input).
    pub(crate) fn from_parts(
        name: &str,
        domain_end: Option<usize>,
        tag: Option<&str>,
        digest: Option<Digest>,
    ) -> Reference {
        let mut repr = String::with_capacity(name.len() + 80);
        repr.push_str(name);
        if let Some(tag) = tag {
            repr.push(':');
            repr.push_str(tag);
        }
        let tag_end = repr.len();
        if let Some(digest) = &digest {
            repr.push('@');
            repr.push_str(&digest.to_string());
        }
        Reference {
            repr,
            name_end: name.len(),
            domain_end,
            tag_end,
            digest,
        }
    }

    /// `Name()`: the domain, `/` and the path, or just the path when there is no domain.
    pub fn name(&self) -> String {
        self.name_str().to_owned()
    }

    /// The name without allocating.
    pub(crate) fn name_str(&self) -> &str {
        self.repr.get(..self.name_end).unwrap_or_default()
    }

    /// `Domain()`: the registry host and port, or `""` when the name has none (which, after
    /// normalization, happens only for names whose first part cannot be a domain, such as
    /// `my_registry.com/foo`).
    pub fn domain(&self) -> &str {
        self.domain_end
            .and_then(|end| self.repr.get(..end))
            .unwrap_or_default()
    }

    /// `Path()`: the repository path, the name without its domain.
    pub fn path(&self) -> &str {
        let start = self.domain_end.map_or(0, |end| end + 1);
        self.repr.get(start..self.name_end).unwrap_or_default()
    }

    /// `Tag()`, when the reference has a tag.
    pub fn tag(&self) -> Option<&str> {
        if self.tag_end == self.name_end {
            return None;
        }
        self.repr.get(self.name_end + 1..self.tag_end)
    }

    /// `Digest()`, when the reference has a digest.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The `String()` form without allocating.
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// Where the domain ends in the name, for code that rebuilds a reference from this one.
    pub(crate) fn domain_end(&self) -> Option<usize> {
        self.domain_end
    }
}

/// `String()`: `name`, `name:tag`, `name@digest` or `name:tag@digest`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}
