//! Answers the simulation computes once and reuses, because they are pure functions of
//! their inputs: what the kubelet and containerd make of an image string, and the keyring
//! (and its lookups) of a pod's pull secrets on a pool's nodes. A fleet asks the same
//! questions millions of times; the kubelet would compute them again each time, with the
//! same result.
//!
//! The keyring memo is keyed by the pool, the namespace and the secret names, and
//! invalidated by a counter that every Secret change bumps, so a rotated secret is seen at
//! the next pull exactly as without the memo.
//!
//! A downloaded body is hashed once per digest and distinct content: a later body equal
//! to one that hashed to the digest hashes to it too.

use std::collections::BTreeMap;
use std::sync::Arc;

use bytes::Bytes;
use pullsim_model::credentials::{BasicDockerKeyring, TrackedCredential, make_pull_keyring};
use pullsim_model::{
    Digest, Reference, Secret, apply_default_image_tag, parse_docker_ref, parse_image_name,
};

use crate::trace::{DigestId, RequestKind};

/// The credentials to try for one repository, or the error decoding a pull secret.
pub(crate) type Credentials = Arc<Result<Vec<TrackedCredential>, String>>;

/// An image string by when the memo first saw it: the same string has the same key for the
/// whole run and different strings never share one, so the kubelet keys its back-off by it
/// instead of by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ImageKey(pub(crate) u32);

/// What one image string means to the kubelet and to containerd.
#[derive(Debug)]
pub(crate) struct ImageInfo {
    /// The string's key.
    pub(crate) key: ImageKey,
    /// `applyDefaultImageTag`: the string handed to the runtime, or the parse error's text.
    pub(crate) tagged: Result<String, String>,
    /// `ParseImageName(image).repo`, the keyring's lookup key.
    pub(crate) repo: Option<String>,
    /// `ParseDockerRef(tagged)` as a string: the name the CRI image store is searched by.
    pub(crate) store_name: Option<String>,
    /// `ParseDockerRef(image)`, as containerd parses the string it is asked to pull, with
    /// the texts a pull of it needs, or the text of containerd's parse failure.
    pub(crate) pull_target: Result<Arc<PullTarget>, String>,
}

/// A reference containerd pulls, with the texts every pull of it would otherwise print
/// again: a fleet pulls the same few references hundreds of thousands of times.
#[derive(Debug)]
pub(crate) struct PullTarget {
    pub(crate) reference: Reference,
    /// `Name()`, the part before the tag and digest.
    pub(crate) name: String,
    /// The `name:tag` the image store knows the image by, for a tagged reference.
    pub(crate) tag_name: Option<String>,
    /// The target of the resolving request: `/v2/<path>/manifests/<digest, tag or latest>`.
    pub(crate) resolve_target: String,
    /// The reference as containerd prints it, quoted as Go's `%q` (every failed pull's
    /// text names it).
    pub(crate) quoted_ref: String,
    /// The shape of `resolve_target`.
    pub(crate) resolve_shape: TargetShape,
    /// The shape of every fetch target, `/v2/<path>/manifests/<digest>` then
    /// `/v2/<path>/blobs/<digest>`, whatever the digest ([`PullTarget::fetch_shape`]).
    fetch_shapes: [TargetShape; 2],
}

/// What a request target's text decides about the request: its kind in the trace and
/// whether containerd sends its manifest `Accept` list (the target holds `/manifests/`).
/// Worked out once per reference for the requests of its pulls: the substring searches
/// cost more than the rest of building a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetShape {
    pub(crate) kind: RequestKind,
    pub(crate) manifest_accept: bool,
}

impl TargetShape {
    /// The shape of `target`, searched.
    pub(crate) fn of(target: &str) -> TargetShape {
        TargetShape {
            kind: RequestKind::of_target(target),
            manifest_accept: target.contains("/manifests/"),
        }
    }
}

impl PullTarget {
    fn new(reference: Reference) -> PullTarget {
        let name = reference.name();
        let tag_name = reference.tag().map(|tag| format!("{name}:{tag}"));
        let lookup = match (reference.digest(), reference.tag()) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.to_owned(),
            (None, None) => "latest".to_owned(),
        };
        let resolve_target = format!("/v2/{}/manifests/{lookup}", reference.path());
        let quoted_ref = pullsim_model::go_text::quote(reference.as_str());
        let fetch_shapes = ["manifests", "blobs"]
            .map(|kind| TargetShape::of(&format!("/v2/{}/{kind}/x", reference.path())));
        PullTarget {
            resolve_shape: TargetShape::of(&resolve_target),
            fetch_shapes,
            quoted_ref,
            reference,
            name,
            tag_name,
            resolve_target,
        }
    }

    /// The shape of the target `/v2/<path>/manifests/<digest>` (`manifest`) or
    /// `/v2/<path>/blobs/<digest>`. A digest's text (`algorithm:hex`) is never empty and
    /// holds no `/` and no `?`, so it is one last piece of the path: neither
    /// `/manifests/` nor `/blobs/` can reach into it, and a path holding either of them has
    /// its kind from them. The shape is therefore the same for every digest, and is worked
    /// out once with a stand-in for it.
    pub(crate) fn fetch_shape(&self, manifest: bool) -> TargetShape {
        self.fetch_shapes[usize::from(!manifest)]
    }

    /// The reference as containerd prints it.
    pub(crate) fn ref_text(&self) -> &str {
        self.reference.as_str()
    }

    /// The repository path requests name.
    pub(crate) fn repository(&self) -> &str {
        self.reference.path()
    }

    /// The name the CRI image store is searched by before recording a tagged reference
    /// (the whole reference), or `None` for a reference without a tag.
    pub(crate) fn store_name(&self) -> Option<&str> {
        self.reference
            .tag()
            .is_some()
            .then(|| self.reference.as_str())
    }
}

/// Keyring ids, with the secrets version each was built at, by secret names.
type KeyringsByNames = BTreeMap<Vec<String>, (u64, u64)>;

/// The memo tables.
#[derive(Debug, Default)]
pub(crate) struct Memo {
    images: BTreeMap<String, Arc<ImageInfo>>,
    /// Keyring ids (and the secrets version they were built at) by pool, namespace and
    /// secret names, nested so that a lookup borrows its key instead of building one:
    /// every pull asks.
    keyrings: BTreeMap<usize, BTreeMap<String, KeyringsByNames>>,
    /// Lookups by keyring id, then repository.
    lookups: BTreeMap<u64, BTreeMap<String, Credentials>>,
    keyrings_built: u64,
    built: BTreeMap<u64, Result<pullsim_model::credentials::PullKeyring, String>>,
    /// A body already found to hash to each digest: nodes fetch the same manifests over
    /// and over, and comparing bytes is far cheaper than hashing them again.
    verified_bodies: BTreeMap<DigestId, Bytes>,
}

impl Memo {
    /// What `image` means.
    pub(crate) fn image(&mut self, image: &str) -> Arc<ImageInfo> {
        if let Some(info) = self.images.get(image) {
            return Arc::clone(info);
        }
        let tagged = apply_default_image_tag(image).map_err(|err| err.to_string());
        let store_name = tagged
            .as_ref()
            .ok()
            .and_then(|tagged| parse_docker_ref(tagged).ok())
            .map(|reference| reference.to_string());
        let pull_target = match parse_docker_ref(image) {
            Ok(reference) => Ok(Arc::new(PullTarget::new(reference))),
            Err(err) => Err(format!(
                "failed to parse image reference {}: {err}",
                pullsim_model::go_text::quote(image)
            )),
        };
        let info = Arc::new(ImageInfo {
            key: ImageKey(self.images.len() as u32),
            pull_target,
            repo: parse_image_name(image).ok().map(|name| name.repo),
            tagged,
            store_name,
        });
        self.images.insert(image.to_owned(), Arc::clone(&info));
        info
    }

    /// Whether `body` hashes to `expected`, the digest behind `id`, as containerd checks
    /// what it downloaded. A body equal to one that already did is not hashed again.
    pub(crate) fn body_matches(&mut self, id: DigestId, expected: &Digest, body: &Bytes) -> bool {
        if self
            .verified_bodies
            .get(&id)
            .is_some_and(|verified| verified == body)
        {
            return true;
        }
        let intact = Digest::of_bytes(expected.algorithm(), body) == *expected;
        if intact {
            self.verified_bodies.insert(id, body.clone());
        }
        intact
    }

    /// The credentials the kubelet tries for `repo`, from the pod's pull secrets (fetched
    /// by `fetch`) and the pool's node keyring (`node`), or the secret-decoding error.
    /// `secrets_version` changes whenever any Secret does.
    pub(crate) fn credentials(
        &mut self,
        key: (usize, &str, &[String]),
        secrets_version: u64,
        repo: &str,
        fetch: impl FnOnce() -> Vec<Option<Secret>>,
        node: impl FnOnce() -> BasicDockerKeyring,
    ) -> Credentials {
        let (pool, namespace, names) = key;
        let known = self
            .keyrings
            .get(&pool)
            .and_then(|by_namespace| by_namespace.get(namespace))
            .and_then(|by_names| by_names.get(names));
        let id = match known {
            Some((version, id)) if *version == secrets_version => *id,
            _ => {
                self.keyrings_built += 1;
                let id = self.keyrings_built;
                let built = make_pull_keyring(&fetch(), node()).map_err(|err| err.to_string());
                self.built.insert(id, built);
                let replaced = self
                    .keyrings
                    .entry(pool)
                    .or_default()
                    .entry(namespace.to_owned())
                    .or_default()
                    .insert(names.to_vec(), (secrets_version, id));
                if let Some((_, old)) = replaced {
                    self.built.remove(&old);
                    self.lookups.remove(&old);
                }
                id
            }
        };
        if let Some(found) = self.lookups.get(&id).and_then(|by_repo| by_repo.get(repo)) {
            return Arc::clone(found);
        }
        let result = match self.built.get(&id) {
            Some(Ok(keyring)) => Ok(keyring.lookup(repo)),
            Some(Err(text)) => Err(text.clone()),
            None => Ok(Vec::new()),
        };
        let result = Arc::new(result);
        self.lookups
            .entry(id)
            .or_default()
            .insert(repo.to_owned(), Arc::clone(&result));
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fetch_shapes_are_those_of_the_targets_searched() {
        let digest = "sha256:".to_owned() + &"ab".repeat(32);
        for image in [
            "registry.example/app:v1",
            "registry.example/blobs/app",
            "registry.example/manifests/blobs@",
            "localhost:5000/team/token:1",
        ] {
            let image = if image.ends_with('@') {
                format!("{image}{digest}")
            } else {
                image.to_owned()
            };
            let target = PullTarget::new(parse_docker_ref(&image).unwrap());
            assert_eq!(
                target.resolve_shape,
                TargetShape::of(&target.resolve_target)
            );
            for (manifest, kind) in [(true, "manifests"), (false, "blobs")] {
                let fetch = format!("/v2/{}/{kind}/{digest}", target.repository());
                assert_eq!(
                    target.fetch_shape(manifest),
                    TargetShape::of(&fetch),
                    "{image} {kind}"
                );
            }
        }
        let blob_of_manifests_repo =
            PullTarget::new(parse_docker_ref("registry.example/manifests/app:v1").unwrap());
        assert_eq!(
            blob_of_manifests_repo.fetch_shape(false),
            TargetShape {
                kind: RequestKind::Manifest,
                manifest_accept: true
            }
        );
    }
}
