//! The content store and the repositories: bytes addressed by digest, shared as
//! [`Bytes`] so a response never copies them, which repository links which content
//! (as distribution links blobs and manifests per repository), and mutable tags with
//! their history.
//!
//! Content is keyed by its sha256 digest. sha384 and sha512 digests in requests are
//! accepted: they are computed lazily, the first time a request uses one, for the
//! content stored since the last time, so a registry that never sees them never pays.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use pullsim_model::{Digest, DigestAlgorithm, SimTime};
use serde::{Deserialize, Serialize};

use crate::api::media::ManifestKind;

/// One stored document or blob.
#[derive(Debug, Clone)]
pub(crate) struct Content {
    pub(crate) bytes: Bytes,
    /// Set for sized content (see [`crate::ImageSpec::sized`]): the declared length of a
    /// blob whose bytes were never made; `bytes` is then empty.
    pub(crate) declared_bytes: Option<u64>,
    /// Set for manifests: their kind and what they reference.
    pub(crate) manifest: Option<ManifestFacts>,
}

/// What the registry needs to know about a stored manifest.
#[derive(Debug, Clone, Default)]
pub(crate) struct ManifestFacts {
    pub(crate) kind: Option<ManifestKind>,
    /// For an index or list: each child's `(os, architecture)` and digest, in order.
    pub(crate) children: Vec<(String, String, Digest)>,
}

impl ManifestFacts {
    /// The kind, defaulting to an OCI image manifest for documents of unknown type.
    pub(crate) fn kind(&self) -> ManifestKind {
        self.kind.unwrap_or(ManifestKind::OciManifest)
    }
}

/// One span of a tag's history: it pointed at `digest` from `from` until `until` (open
/// while it still does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagEvent {
    /// The target.
    pub digest: Digest,
    /// When the tag started pointing at it.
    pub from: SimTime,
    /// When it stopped (moved or deleted); `None` while it still points there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<SimTime>,
}

/// A tag: where it points now (`None` once deleted) and every span before.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tag {
    pub(crate) current: Option<Digest>,
    pub(crate) history: Vec<TagEvent>,
}

impl Tag {
    /// Points the tag at `digest` from `now`, closing the open span. Pointing it where it
    /// already points changes nothing.
    pub(crate) fn point(&mut self, digest: Digest, now: SimTime) {
        if self.current.as_ref() == Some(&digest) {
            return;
        }
        self.close(now);
        self.current = Some(digest.clone());
        self.history.push(TagEvent {
            digest,
            from: now,
            until: None,
        });
    }

    /// Deletes the tag at `now`, closing its span; whether it pointed anywhere.
    pub(crate) fn delete(&mut self, now: SimTime) -> bool {
        let was = self.current.take().is_some();
        self.close(now);
        was
    }

    fn close(&mut self, now: SimTime) {
        if let Some(open) = self
            .history
            .last_mut()
            .filter(|event| event.until.is_none())
        {
            open.until = Some(now);
        }
    }
}

/// One repository: the content linked into it and its tags.
#[derive(Debug, Clone, Default)]
pub(crate) struct Repository {
    pub(crate) blobs: BTreeSet<Digest>,
    pub(crate) manifests: BTreeSet<Digest>,
    pub(crate) tags: BTreeMap<String, Tag>,
}

impl Repository {
    /// The tags that point somewhere, in order.
    pub(crate) fn live_tags(&self) -> impl Iterator<Item = (&String, &Digest)> {
        self.tags
            .iter()
            .filter_map(|(name, tag)| tag.current.as_ref().map(|digest| (name, digest)))
    }
}

/// All content and all repositories.
#[derive(Debug, Clone, Default)]
pub(crate) struct Store {
    content: BTreeMap<Digest, Content>,
    /// sha384 and sha512 digests of content, to its sha256 digest.
    aliases: BTreeMap<Digest, Digest>,
    /// Content stored since the aliases were last brought up to date.
    unaliased: Vec<Digest>,
    pub(crate) repositories: BTreeMap<String, Repository>,
}

impl Store {
    /// Stores `bytes` under `digest` (its sha256), keeping what is there if present.
    pub(crate) fn put(&mut self, digest: Digest, bytes: Bytes, manifest: Option<ManifestFacts>) {
        if let Some(existing) = self.content.get_mut(&digest) {
            if existing.manifest.is_none() {
                existing.manifest = manifest;
            }
            return;
        }
        self.unaliased.push(digest.clone());
        self.content.insert(
            digest,
            Content {
                bytes,
                declared_bytes: None,
                manifest,
            },
        );
    }

    /// Stores a sized blob: its digest and declared length, no bytes. It gets no sha384 or
    /// sha512 alias, because those would have to be computed over bytes that do not exist.
    pub(crate) fn put_declared(&mut self, digest: Digest, size_bytes: u64) {
        self.content.entry(digest).or_insert(Content {
            bytes: Bytes::new(),
            declared_bytes: Some(size_bytes),
            manifest: None,
        });
    }

    /// Replaces the bytes stored under `digest`, keeping what the store knows about them
    /// (a manifest's kind and children); whether anything was stored there.
    pub(crate) fn replace_bytes(&mut self, digest: &Digest, bytes: Bytes) -> bool {
        match self.content.get_mut(digest) {
            Some(content) => {
                content.bytes = bytes;
                true
            }
            None => false,
        }
    }

    /// Records that `alias` (a sha384 or sha512 digest) names the content `canonical`.
    pub(crate) fn alias(&mut self, alias: Digest, canonical: Digest) {
        if alias != canonical {
            self.aliases.insert(alias, canonical);
        }
    }

    /// The sha256 digest of the content `digest` names, if it is stored.
    pub(crate) fn resolve(&mut self, digest: &Digest) -> Option<Digest> {
        if digest.algorithm() == DigestAlgorithm::Sha256 {
            return self.content.contains_key(digest).then(|| digest.clone());
        }
        if !self.aliases.contains_key(digest) && !self.unaliased.is_empty() {
            for canonical in std::mem::take(&mut self.unaliased) {
                if let Some(content) = self
                    .content
                    .get(&canonical)
                    .filter(|content| content.declared_bytes.is_none())
                {
                    for algorithm in [DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
                        let alias = Digest::of_bytes(algorithm, &content.bytes);
                        self.aliases.insert(alias, canonical.clone());
                    }
                }
            }
        }
        self.aliases.get(digest).cloned()
    }

    /// The content under a sha256 digest.
    pub(crate) fn get(&self, digest: &Digest) -> Option<&Content> {
        self.content.get(digest)
    }

    /// The repository, created empty if new.
    pub(crate) fn repository_mut(&mut self, name: &str) -> &mut Repository {
        self.repositories.entry(name.to_owned()).or_default()
    }

    /// The repository, if it exists.
    pub(crate) fn repository(&self, name: &str) -> Option<&Repository> {
        self.repositories.get(name)
    }

    /// Forgets all content and repositories.
    pub(crate) fn clear(&mut self) {
        *self = Store::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_keep_their_history() {
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let mut tag = Tag::default();
        tag.point(a.clone(), SimTime::from_secs(1));
        tag.point(a.clone(), SimTime::from_secs(2));
        tag.point(b.clone(), SimTime::from_secs(3));
        assert!(tag.delete(SimTime::from_secs(4)));
        assert!(!tag.delete(SimTime::from_secs(5)));
        tag.point(a.clone(), SimTime::from_secs(6));
        let spans: Vec<_> = tag
            .history
            .iter()
            .map(|e| {
                (
                    e.digest.clone(),
                    e.from.since_epoch().as_secs(),
                    e.until.map(|t| t.since_epoch().as_secs()),
                )
            })
            .collect();
        assert_eq!(
            spans,
            vec![
                (a.clone(), 1, Some(3)),
                (b, 3, Some(4)),
                (a.clone(), 6, None)
            ]
        );
        assert_eq!(tag.current, Some(a));
    }

    #[test]
    fn sha512_digests_resolve_lazily() {
        let mut store = Store::default();
        let sha256 = Digest::sha256_of(b"hello");
        store.put(sha256.clone(), Bytes::from_static(b"hello"), None);
        let sha512 = Digest::of_bytes(DigestAlgorithm::Sha512, b"hello");
        assert_eq!(store.resolve(&sha512), Some(sha256.clone()));
        assert_eq!(store.resolve(&sha256), Some(sha256));
        let other = Digest::of_bytes(DigestAlgorithm::Sha512, b"other");
        assert_eq!(store.resolve(&other), None);
    }
}
