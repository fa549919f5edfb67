//! What the harness asks of a puller under test, and what it reads back.
//!
//! Every puller (skopeo, ctr, podman, oras-py, any `--cmd`) is an adapter behind one
//! trait: it is told to pull one reference for one platform, with or without credentials,
//! into a store of the case's own, and afterwards it reports what that store holds. The
//! cases judge only that report, the exit status and the registry's request log, so a new
//! puller needs nothing but an adapter.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use pullsim_model::{Digest, Platform};
use pullsim_registry::AuthMode;

use crate::programs::Outcome;

/// A tag or a digest: how the image is named in the reference given to the puller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageRef {
    /// `repository:tag`.
    Tag(String),
    /// `repository@digest`.
    Digest(Digest),
}

/// A user name and password for the registry.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Credentials({}:***)", self.username)
    }
}

/// One pull the harness asks for.
#[derive(Debug, Clone)]
pub struct PullJob {
    /// `127.0.0.1:<port>`.
    pub registry: String,
    /// The repository, e.g. `basics/oci-manifest-by-tag`.
    pub repository: String,
    /// The tag or digest.
    pub image: ImageRef,
    /// The platform to pick from an index.
    pub platform: Platform,
    /// Credentials to give the puller, when the case has any.
    pub credentials: Option<Credentials>,
    /// The challenge the registry answers with, for pullers that must be configured for
    /// it as their users would (oras-py needs its auth backend named).
    pub challenge: AuthMode,
    /// The case's own folder; every pull of one case shares it, so a puller's store (an
    /// OCI layout, podman's storage) lives here and sees earlier pulls of the case.
    pub folder: PathBuf,
    /// A name for this case's store where the puller needs one outside `folder` (the
    /// containerd namespace): the case's id.
    pub store: String,
    /// A name for this pull within the case (`pull-1`, `pull-2`), the tag an OCI layout
    /// records it under.
    pub label: String,
}

impl PullJob {
    /// The full reference: `127.0.0.1:5000/repo:tag` or `127.0.0.1:5000/repo@sha256:...`.
    pub fn reference(&self) -> String {
        match &self.image {
            ImageRef::Tag(tag) => format!("{}/{}:{tag}", self.registry, self.repository),
            ImageRef::Digest(digest) => {
                format!("{}/{}@{digest}", self.registry, self.repository)
            }
        }
    }

    /// The tag, or `""` when pulling by digest.
    pub fn tag(&self) -> &str {
        match &self.image {
            ImageRef::Tag(tag) => tag,
            ImageRef::Digest(_) => "",
        }
    }

    /// The digest as text, or `""` when pulling by tag.
    pub fn digest(&self) -> String {
        match &self.image {
            ImageRef::Tag(_) => String::new(),
            ImageRef::Digest(digest) => digest.to_string(),
        }
    }
}

/// What a puller's store holds after a case, as its adapter can tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    /// The manifest or index digests the puller recorded for the pulled reference (an OCI
    /// layout's `index.json` entry, containerd's image target, podman's image digests, the
    /// digests `--read-result` printed). Empty when it recorded no image.
    pub images: Vec<Digest>,
    /// Every piece of content it kept, by the digest it is stored under, with the sha256
    /// of the stored bytes when the adapter can read them (`None`: present, unreadable).
    pub content: BTreeMap<Digest, Option<Digest>>,
    /// Whether `content` is the puller's whole store. When it is not (a `--cmd` puller
    /// that only prints a digest), an absent layer proves nothing.
    pub content_known: bool,
    /// For recorded images whose manifest the adapter could read: the config and layer
    /// digests it references, in order. A puller that converts formats (skopeo writing a
    /// Docker image into an OCI layout) records a new manifest over the same blobs.
    pub references: BTreeMap<Digest, Vec<Digest>>,
}

impl Stored {
    /// Whether `digest` is in the store.
    pub fn has(&self, digest: &Digest) -> bool {
        self.content.contains_key(digest)
    }

    /// Stored content whose bytes do not hash to the digest it is stored under.
    pub fn mismatched(&self) -> Vec<(&Digest, &Digest)> {
        self.content
            .iter()
            .filter_map(|(name, actual)| {
                actual
                    .as_ref()
                    .filter(|actual| *actual != name && name.algorithm() == actual.algorithm())
                    .map(|actual| (name, actual))
            })
            .collect()
    }
}

/// What a case needs from a puller beyond pulling a public tag for linux/amd64. An
/// adapter that cannot do one of these says so, and the case is skipped with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Being given a user name and password.
    Credentials,
    /// Being told a platform other than linux/amd64.
    Platform,
}

/// A puller under test.
pub trait Puller: Send + Sync + fmt::Debug {
    /// Its name in reports (`skopeo`, `ctr`, or the `--name` of a `--cmd`).
    fn name(&self) -> &str;

    /// Its version as the program reports it, when it can.
    fn version(&self) -> Option<String>;

    /// Why it cannot do `capability`, or `None` when it can.
    fn lacks(&self, capability: Capability) -> Option<String> {
        let _ = capability;
        None
    }

    /// Runs one pull, killing the puller after `limit`.
    ///
    /// # Errors
    ///
    /// When the puller cannot be started at all (not when it fails to pull).
    fn pull(&self, job: &PullJob, limit: Duration) -> anyhow::Result<Outcome>;

    /// Reads back what the case's store holds after `job`.
    ///
    /// # Errors
    ///
    /// When the store cannot be read (a harness problem, reported as an error).
    fn stored(&self, job: &PullJob) -> anyhow::Result<Stored>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_the_tag_or_the_digest() {
        let digest = Digest::sha256_of(b"x");
        let mut job = PullJob {
            registry: "127.0.0.1:5000".into(),
            repository: "basics/app".into(),
            image: ImageRef::Tag("v1".into()),
            platform: Platform::new("linux", "amd64", ""),
            credentials: Some(Credentials {
                username: "alice".into(),
                password: "wonderland".into(),
            }),
            challenge: AuthMode::Basic,
            folder: PathBuf::from("/tmp/x"),
            store: "case".into(),
            label: "pull-1".into(),
        };
        assert_eq!(job.reference(), "127.0.0.1:5000/basics/app:v1");
        assert_eq!((job.tag(), job.digest()), ("v1", String::new()));
        assert!(!format!("{job:?}").contains("wonderland"));
        job.image = ImageRef::Digest(digest.clone());
        assert_eq!(
            job.reference(),
            format!("127.0.0.1:5000/basics/app@{digest}")
        );
        assert_eq!((job.tag(), job.digest()), ("", digest.to_string()));
    }

    #[test]
    fn mismatched_content_is_listed() {
        let right = Digest::sha256_of(b"right");
        let wrong = Digest::sha256_of(b"wrong");
        let stored = Stored {
            images: vec![],
            content: BTreeMap::from([
                (right.clone(), Some(right.clone())),
                (wrong.clone(), Some(right.clone())),
                (Digest::sha256_of(b"unread"), None),
            ]),
            content_known: true,
            references: BTreeMap::new(),
        };
        assert_eq!(stored.mismatched(), vec![(&wrong, &right)]);
    }
}
