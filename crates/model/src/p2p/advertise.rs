//! Which keys a node's Spegel advertises or withdraws on each containerd event.
//!
//! Source: spegel `pkg/oci/containerd/containerd.go` (`Subscribe` on `/images/create`,
//! `/images/delete`, and from v0.3.0 `/content/create`), `pkg/routing/sync.go`.

use super::version::SpegelVersion;

/// A key in the DHT: a content digest, or an image reference (tag) that resolves to a digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AdvertKey {
    /// `sha256:...`: a blob, config or manifest in the node's content store.
    Digest(String),
    /// A full reference (`docker.io/library/nginx:1.25`): the node has the image.
    Tag(String),
}

/// A containerd event on a node, as Spegel sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEvent<'a> {
    /// `/content/create`: one blob committed to the content store (mid-pull).
    BlobCommitted(&'a str),
    /// `/images/create`: the image record exists (after the whole pull), with its content.
    ImageCreated {
        /// The image's reference.
        tag: &'a str,
        /// Every digest of the image (manifests, config, layers).
        digests: &'a [String],
    },
    /// `/images/delete`: the image record is gone (its content may still be on disk).
    ImageDeleted(&'a str),
    /// containerd's garbage collector removed a blob from the content store.
    ContentRemoved(&'a str),
}

/// The keys that become advertised on `event`, in order.
///
/// v0.3+ advertises a blob on its commit and the tag (and the image's digests, already
/// advertised, so no change) on image creation; earlier releases ignore content events and
/// advertise the tag and every digest together on image creation.
pub fn advertised_on(version: SpegelVersion, event: ContentEvent<'_>) -> Vec<AdvertKey> {
    match event {
        ContentEvent::BlobCommitted(digest) => match version {
            SpegelVersion::PerBlob => vec![AdvertKey::Digest(digest.to_owned())],
            SpegelVersion::AfterImage => Vec::new(),
        },
        ContentEvent::ImageCreated { tag, digests } => {
            let mut keys = vec![AdvertKey::Tag(tag.to_owned())];
            keys.extend(digests.iter().map(|d| AdvertKey::Digest(d.clone())));
            keys
        }
        ContentEvent::ImageDeleted(_) | ContentEvent::ContentRemoved(_) => Vec::new(),
    }
}

/// The keys withdrawn on `event`: the tag when the image is deleted; a digest only once
/// containerd has removed the content itself (a deleted image's blobs stay until GC).
pub fn withdrawn_on(event: ContentEvent<'_>) -> Vec<AdvertKey> {
    match event {
        ContentEvent::ImageDeleted(tag) => vec![AdvertKey::Tag(tag.to_owned())],
        ContentEvent::ContentRemoved(digest) => vec![AdvertKey::Digest(digest.to_owned())],
        ContentEvent::BlobCommitted(_) | ContentEvent::ImageCreated { .. } => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LAYER: &str = "sha256:1111";

    #[test]
    fn per_blob_advertises_a_layer_mid_pull() {
        assert_eq!(
            advertised_on(SpegelVersion::PerBlob, ContentEvent::BlobCommitted(LAYER)),
            vec![AdvertKey::Digest(LAYER.to_owned())]
        );
    }

    #[test]
    fn after_image_waits_for_the_whole_image() {
        assert!(
            advertised_on(
                SpegelVersion::AfterImage,
                ContentEvent::BlobCommitted(LAYER)
            )
            .is_empty()
        );
        let digests = vec![LAYER.to_owned(), "sha256:2222".to_owned()];
        let created = ContentEvent::ImageCreated {
            tag: "docker.io/library/web:1",
            digests: &digests,
        };
        assert_eq!(
            advertised_on(SpegelVersion::AfterImage, created),
            vec![
                AdvertKey::Tag("docker.io/library/web:1".to_owned()),
                AdvertKey::Digest(LAYER.to_owned()),
                AdvertKey::Digest("sha256:2222".to_owned()),
            ]
        );
    }

    #[test]
    fn image_delete_withdraws_the_tag_not_the_content() {
        assert_eq!(
            withdrawn_on(ContentEvent::ImageDeleted("docker.io/library/web:1")),
            vec![AdvertKey::Tag("docker.io/library/web:1".to_owned())]
        );
        assert_eq!(
            withdrawn_on(ContentEvent::ContentRemoved(LAYER)),
            vec![AdvertKey::Digest(LAYER.to_owned())]
        );
        assert!(withdrawn_on(ContentEvent::BlobCommitted(LAYER)).is_empty());
    }
}
