//! KEP-2535 (`KubeletEnsureSecretPulledImages`): may a pod use an image that is already on the node?
//!
//! Before KEP-2535 any pod could run any image present on its node, so a private image
//! pulled with one tenant's secret was usable by every other pod there. With the gate on,
//! the kubelet keeps records of which credentials pulled each image and, depending on the
//! verification policy, makes a pod without matching credentials pull again (docs/semantics.md
//! 5.1-5.4; kubernetes `pkg/kubelet/images/pullmanager`).
//!
//! This module is the pull manager's state and decisions as a pure value: records live in
//! ordered maps instead of files, and "now" is a [`SimTime`](crate::SimTime) argument.

mod records;

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::reference::Reference;

pub use records::{
    PullCredentials, PullRecords, PullSecretRecord, PullServiceAccountRecord, PulledRecord,
    RuntimeImage, WRITE_RECORD_WHILE_MATCHING_LIMIT, credential_hash,
};

/// `imagePullCredentialsVerificationPolicy` of the kubelet configuration (docs/semantics.md §5.1, 5.2).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub enum VerificationPolicy {
    /// Never verify: any pod may use any image present on the node (the pre-KEP behaviour).
    NeverVerify,
    /// Verify only images the kubelet itself pulled; images loaded by other means are trusted.
    /// The default when the gate is on and the field is empty.
    #[default]
    NeverVerifyPreloadedImages,
    /// Verify every image except those matching `preloadedImagesVerificationAllowlist`.
    NeverVerifyAllowlistedImages,
    /// Verify every image, however it came to the node.
    AlwaysVerify,
}

impl VerificationPolicy {
    /// Every policy, in the order the kubelet documents them.
    pub const ALL: [VerificationPolicy; 4] = [
        VerificationPolicy::NeverVerify,
        VerificationPolicy::NeverVerifyPreloadedImages,
        VerificationPolicy::NeverVerifyAllowlistedImages,
        VerificationPolicy::AlwaysVerify,
    ];

    /// The kubelet configuration spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationPolicy::NeverVerify => "NeverVerify",
            VerificationPolicy::NeverVerifyPreloadedImages => "NeverVerifyPreloadedImages",
            VerificationPolicy::NeverVerifyAllowlistedImages => "NeverVerifyAllowlistedImages",
            VerificationPolicy::AlwaysVerify => "AlwaysVerify",
        }
    }
}

impl fmt::Display for VerificationPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown policy name; the text is the kubelet's (`NewImagePullCredentialVerificationPolicy`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown image pull credential verification policy: {0}")]
pub struct UnknownVerificationPolicy(pub String);

impl FromStr for VerificationPolicy {
    type Err = UnknownVerificationPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VerificationPolicy::ALL
            .into_iter()
            .find(|policy| policy.as_str() == s)
            .ok_or_else(|| UnknownVerificationPolicy(s.to_owned()))
    }
}

/// Why a `preloadedImagesVerificationAllowlist` entry was refused; texts verbatim from
/// `getAllowlistImagePattern` (docs/semantics.md §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowlistError {
    /// The entry has leading or trailing white space.
    #[error("leading/trailing spaces are not allowed: {0}")]
    Spaces(String),
    /// The entry is empty (after removing a trailing `*`).
    #[error("the supplied pattern is too short: {0}")]
    TooShort(String),
    /// A `*` anywhere but in a trailing `/*`.
    #[error("not a valid wildcard pattern, only patterns ending with '/*' are allowed: {0}")]
    BadWildcard(String),
    /// The entry is `/*` alone.
    #[error("at least registry hostname is required")]
    NoHost,
    /// The entry is not an image name (the text after the colon is distribution's error).
    #[error("failed to parse as an image name: {0}")]
    NotAnImageName(String),
    /// The entry carries a tag or a digest, or is not fully qualified (`nginx`).
    #[error("neither tag nor digest is accepted in an image reference: {0}")]
    NotAName(String),
}

/// A validated `preloadedImagesVerificationAllowlist`: exact repository names and `host/path/`
/// prefixes (from entries ending in `/*`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    exact: BTreeSet<String>,
    prefixes: Vec<String>,
}

impl Allowlist {
    /// Validates every entry in order and stops at the first bad one, as the kubelet's
    /// configuration validation does.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Allowlist, AllowlistError> {
        let mut allowlist = Allowlist::default();
        for entry in entries {
            match allowlist_pattern(entry.as_ref())? {
                AllowlistPattern::Exact(name) => {
                    allowlist.exact.insert(name);
                }
                AllowlistPattern::Prefix(prefix) => allowlist.prefixes.push(prefix),
            }
        }
        Ok(allowlist)
    }

    /// Whether `image` (a pod's `container.image`) is allowlisted.
    ///
    /// Current mainline (after kubernetes PR #137629) first normalises the image with
    /// `ParseNormalizedNamed` and compares its `Name()`, so `nginx:1.25` matches the entry
    /// `docker.io/library/nginx`; an unparseable image never matches. Older releases compared
    /// the raw string, so a familiar or tagged image never matched an exact entry; pass
    /// `normalize = false` for that behaviour.
    pub fn matches(&self, image: &str, normalize: bool) -> bool {
        let name = if normalize {
            match Reference::parse_normalized_named(image) {
                Ok(reference) => reference.name(),
                Err(_) => return false,
            }
        } else {
            image.to_owned()
        };
        self.exact.contains(&name)
            || self
                .prefixes
                .iter()
                .any(|prefix| name.starts_with(prefix.as_str()))
    }
}

enum AllowlistPattern {
    Exact(String),
    Prefix(String),
}

/// `getAllowlistImagePattern`, check for check in upstream order.
fn allowlist_pattern(pattern: &str) -> Result<AllowlistPattern, AllowlistError> {
    // Go's strings.TrimSpace and Rust's str::trim agree: both trim Unicode White_Space.
    if pattern != pattern.trim() {
        return Err(AllowlistError::Spaces(pattern.to_owned()));
    }
    let is_wildcard = pattern.ends_with("/*");
    let trimmed = if is_wildcard {
        &pattern[..pattern.len() - 1]
    } else {
        pattern
    };
    if trimmed.is_empty() {
        return Err(AllowlistError::TooShort(pattern.to_owned()));
    }
    if trimmed.contains('*') {
        return Err(AllowlistError::BadWildcard(pattern.to_owned()));
    }
    if is_wildcard {
        if trimmed.len() == 1 {
            return Err(AllowlistError::NoHost);
        }
        return Ok(AllowlistPattern::Prefix(trimmed.to_owned()));
    }
    let reference = Reference::parse_normalized_named(trimmed)
        .map_err(|err| AllowlistError::NotAnImageName(err.to_string()))?;
    if trimmed != reference.name() {
        return Err(AllowlistError::NotAName(pattern.to_owned()));
    }
    Ok(AllowlistPattern::Exact(trimmed.to_owned()))
}

/// The policy with its allowlist: `RequireCredentialVerificationForImage` (docs/semantics.md §5.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CredentialVerification {
    /// The configured policy.
    pub policy: VerificationPolicy,
    /// Used only by [`VerificationPolicy::NeverVerifyAllowlistedImages`].
    pub allowlist: Allowlist,
    /// Normalise images before comparing them with the allowlist (current mainline); see
    /// [`Allowlist::matches`].
    pub allowlist_normalizes: bool,
}

impl CredentialVerification {
    /// A policy with an empty allowlist and mainline matching.
    pub fn new(policy: VerificationPolicy) -> CredentialVerification {
        CredentialVerification {
            policy,
            allowlist: Allowlist::default(),
            allowlist_normalizes: true,
        }
    }

    /// Whether a pod asking for `image` must prove it has credentials for it.
    /// `pulled_by_kubelet` says whether a pulled record or pull intent exists for it.
    pub fn requires_verification(&self, image: &str, pulled_by_kubelet: bool) -> bool {
        match self.policy {
            VerificationPolicy::NeverVerify => false,
            VerificationPolicy::NeverVerifyPreloadedImages => pulled_by_kubelet,
            // Upstream ignores pulled_by_kubelet here: an allowlisted image is never
            // verified, every other image always is.
            VerificationPolicy::NeverVerifyAllowlistedImages => {
                !self.allowlist.matches(image, self.allowlist_normalizes)
            }
            VerificationPolicy::AlwaysVerify => true,
        }
    }
}

#[cfg(test)]
mod tests;
