//! One node's containerd: its content store (blobs and manifests by digest), the fetches
//! in flight with the pulls waiting for them, its CRI image store (`name:tag` and
//! `name@digest` references to images), and its platform matcher, with the decisions that
//! need only that state. `Sim`'s methods in `runtime.rs` and `content.rs` are the glue that
//! touches the world (requests, links, the kubelet's answer) and delegate here.

use std::collections::{BTreeMap, BTreeSet};

use pullsim_model::PlatformMatcher;
use pullsim_model::verification::RuntimeImage;

use crate::cri::{ImageRecord, ImageStatusAnswer, ImageStatusRequest};
use crate::engine::Key;
use crate::trace::DigestId;

/// One node's containerd state.
#[derive(Debug)]
pub(crate) struct Containerd {
    /// The platform an index's child is chosen for.
    pub(crate) matcher: PlatformMatcher,
    /// The content store: blobs and manifests by digest.
    content: BTreeSet<DigestId>,
    /// Content being downloaded, with the pulls waiting for it (the first is the fetcher).
    in_flight: BTreeMap<DigestId, Vec<Key>>,
    /// The CRI image store: `name:tag` and `name@digest` references to images.
    images: BTreeMap<String, ImageRecord>,
}

/// What a pull that needs some content does about it ([`Containerd::need`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContentNeed {
    /// The store holds it: nothing to fetch.
    Present,
    /// Another pull is fetching it: this one waits for that fetch.
    Joined,
    /// Nobody is fetching it: this pull is its fetcher.
    Fetch,
}

impl Containerd {
    /// An empty containerd choosing platforms with `matcher`.
    pub(crate) fn new(matcher: PlatformMatcher) -> Containerd {
        Containerd {
            matcher,
            content: BTreeSet::new(),
            in_flight: BTreeMap::new(),
            images: BTreeMap::new(),
        }
    }

    /// `ImageStatus`: the image the store names so, if any.
    pub(crate) fn image_status(&self, request: ImageStatusRequest<'_>) -> ImageStatusAnswer {
        ImageStatusAnswer {
            image: self.images.get(request.image).copied(),
        }
    }

    /// The content store.
    pub(crate) fn content(&self) -> &BTreeSet<DigestId> {
        &self.content
    }

    /// Whether the content store holds `digest`.
    pub(crate) fn has_content(&self, digest: DigestId) -> bool {
        self.content.contains(&digest)
    }

    /// Pull `pull` needs `digest`: present, joined to the fetch in flight, or to be
    /// fetched by this pull (which becomes the fetch's first waiter).
    pub(crate) fn need(&mut self, digest: DigestId, pull: Key) -> ContentNeed {
        if self.content.contains(&digest) {
            return ContentNeed::Present;
        }
        if let Some(waiters) = self.in_flight.get_mut(&digest) {
            debug_assert!(
                !waiters.contains(&pull),
                "a pull waits for a piece of content once: it asks for each digest once at a time"
            );
            waiters.push(pull);
            return ContentNeed::Joined;
        }
        self.in_flight.insert(digest, vec![pull]);
        ContentNeed::Fetch
    }

    /// The fetcher `fetcher` committed `digest` (its body checked against the digest):
    /// the content is stored, and the pulls that waited for it are returned, the fetcher
    /// first.
    pub(crate) fn commit(&mut self, digest: DigestId, fetcher: Key) -> Vec<Key> {
        let waiters = self.in_flight.remove(&digest).unwrap_or_default();
        debug_assert_eq!(
            waiters.first(),
            Some(&fetcher),
            "a fetch in flight has one fetcher, its first waiter, and only it commits"
        );
        self.content.insert(digest);
        waiters
    }

    /// Fetching `digest` failed for `fetcher`: it stops waiting, and the first pull still
    /// waiting (if any) is returned to fetch the content itself.
    pub(crate) fn fetch_failed(&mut self, digest: DigestId, fetcher: Key) -> Option<Key> {
        let waiters = self.in_flight.remove(&digest).unwrap_or_default();
        let others: Vec<Key> = waiters.into_iter().filter(|w| *w != fetcher).collect();
        let next = others.first().copied();
        if next.is_some() {
            self.in_flight.insert(digest, others);
        }
        next
    }

    /// A pull ended in failure: it waits for no fetch any more (a fetch whose waiters are
    /// all gone is forgotten). Where it was the fetcher and others still wait, the first of
    /// them takes the fetch over, as a containerd pull blocked on the ingest's lock takes
    /// it once the failed writer lets go: those `(digest, next fetcher)` are returned, in
    /// digest order, for the caller to send.
    pub(crate) fn leave(&mut self, pull: Key) -> Vec<(DigestId, Key)> {
        let mut handed_over = Vec::new();
        for (digest, waiters) in &mut self.in_flight {
            let was_fetcher = waiters.first() == Some(&pull);
            waiters.retain(|w| *w != pull);
            if let (true, Some(next)) = (was_fetcher, waiters.first()) {
                handed_over.push((*digest, *next));
            }
        }
        self.in_flight.retain(|_, waiters| !waiters.is_empty());
        handed_over
    }

    /// Every fetch in flight is forgotten (the pulls waiting were cancelled).
    pub(crate) fn forget_fetches(&mut self) {
        self.in_flight.clear();
    }

    /// Whether the store names `image` so, with exactly this record.
    pub(crate) fn names(&self, image: &str, record: &ImageRecord) -> bool {
        self.images.get(image) == Some(record)
    }

    /// Records `image` in the image store, overwriting the record of a name already
    /// there without building a new key. The image's content must be in the store.
    pub(crate) fn record_image(&mut self, image: &str, record: ImageRecord) {
        debug_assert!(
            self.has_content(record.digest)
                && self.has_content(record.manifest)
                && self.has_content(record.image_id),
            "an image is recorded only once its manifests and config are in the content store"
        );
        match self.images.get_mut(image) {
            Some(existing) => *existing = record,
            None => {
                self.images.insert(image.to_owned(), record);
            }
        }
    }

    /// Loads an image that came by other means (pre-pulled): its content, then its names.
    pub(crate) fn load(&mut self, names: &[String], record: ImageRecord, content: &[DigestId]) {
        self.content.extend(content.iter().copied());
        for name in names {
            self.record_image(name, record);
        }
    }

    /// The image store's names and records, in name order.
    pub(crate) fn images(&self) -> impl Iterator<Item = (&str, &ImageRecord)> {
        self.images
            .iter()
            .map(|(name, record)| (name.as_str(), record))
    }

    /// `ListImages`: one entry per image ID with its tags and digests, in image ID order.
    /// `digest_texts` are the texts of the interned digests.
    pub(crate) fn list_images(&self, digest_texts: &[String]) -> Vec<RuntimeImage> {
        let mut by_id: BTreeMap<DigestId, RuntimeImage> = BTreeMap::new();
        for (name, record) in &self.images {
            let entry = by_id
                .entry(record.image_id)
                .or_insert_with(|| RuntimeImage {
                    id: digest_texts[record.image_id.0 as usize].clone(),
                    ..RuntimeImage::default()
                });
            if name.contains('@') {
                entry.repo_digests.push(name.clone());
            } else {
                entry.repo_tags.push(name.clone());
            }
        }
        by_id.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pullsim_model::{Platform, PlatformsVersion};

    fn containerd() -> Containerd {
        let platform = Platform::new("linux", "amd64", "");
        Containerd::new(PlatformsVersion::default().only(&platform))
    }

    fn record(config: u32, top: u32) -> ImageRecord {
        ImageRecord {
            image_id: DigestId(config),
            digest: DigestId(top),
            manifest: DigestId(top),
            size_bytes: 100,
        }
    }

    fn status(containerd: &Containerd, image: &str) -> Option<ImageRecord> {
        containerd.image_status(ImageStatusRequest { image }).image
    }

    #[test]
    fn an_image_is_found_under_each_name_it_was_recorded_by() {
        let mut store = containerd();
        let image = record(1, 2);
        store.load(&[], image, &[DigestId(1), DigestId(2)]);
        store.record_image("registry.example.com/app:v1", image);
        store.record_image("registry.example.com/app@sha256:aa", image);
        assert_eq!(status(&store, "registry.example.com/app:v1"), Some(image));
        assert_eq!(
            status(&store, "registry.example.com/app@sha256:aa"),
            Some(image)
        );
        assert_eq!(status(&store, "registry.example.com/app:v2"), None);
        assert_eq!(status(&store, "registry.example.com/app"), None);
        assert!(store.names("registry.example.com/app:v1", &image));
        assert!(!store.names("registry.example.com/app:v1", &record(1, 3)));
    }

    #[test]
    fn recording_a_name_again_moves_it_to_the_new_image() {
        let mut store = containerd();
        store.load(
            &[],
            record(1, 2),
            &[DigestId(1), DigestId(2), DigestId(3), DigestId(4)],
        );
        store.record_image("app:v1", record(1, 2));
        store.record_image("app:v1", record(3, 4));
        assert_eq!(status(&store, "app:v1"), Some(record(3, 4)));
        assert_eq!(store.images().count(), 1);
    }

    #[test]
    fn list_images_groups_names_by_image_id() {
        let mut store = containerd();
        let texts: Vec<String> = (0..4).map(|i| format!("sha256:{i}")).collect();
        store.load(
            &[
                "app:v1".to_owned(),
                "app@sha256:2".to_owned(),
                "app:latest".to_owned(),
            ],
            record(1, 2),
            &[DigestId(1), DigestId(2)],
        );
        let listed = store.list_images(&texts);
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].id, "sha256:1");
        assert_eq!(listed[0].repo_tags, ["app:latest", "app:v1"]);
        assert_eq!(listed[0].repo_digests, ["app@sha256:2"]);
    }

    #[test]
    fn content_is_present_only_once_committed() {
        let mut store = containerd();
        let blob = DigestId(7);
        assert!(!store.has_content(blob));
        assert_eq!(store.need(blob, 1), ContentNeed::Fetch);
        assert!(!store.has_content(blob), "a fetch in flight is not content");
        assert_eq!(store.commit(blob, 1), [1]);
        assert!(store.has_content(blob));
        assert_eq!(store.need(blob, 2), ContentNeed::Present);
        assert!(store.content().contains(&blob));
    }

    #[test]
    fn two_pulls_of_one_blob_join_one_fetch() {
        let mut store = containerd();
        let blob = DigestId(7);
        assert_eq!(store.need(blob, 1), ContentNeed::Fetch);
        assert_eq!(store.need(blob, 2), ContentNeed::Joined);
        assert_eq!(store.need(blob, 3), ContentNeed::Joined);
        // Another blob is fetched on its own.
        assert_eq!(store.need(DigestId(8), 2), ContentNeed::Fetch);
        assert_eq!(
            store.commit(blob, 1),
            [1, 2, 3],
            "the fetcher first, then the waiters"
        );
        assert_eq!(store.need(blob, 4), ContentNeed::Present);
    }

    #[test]
    fn a_failed_fetch_passes_to_the_next_waiter() {
        let mut store = containerd();
        let blob = DigestId(7);
        store.need(blob, 1);
        store.need(blob, 2);
        store.need(blob, 3);
        assert_eq!(store.fetch_failed(blob, 1), Some(2));
        assert_eq!(store.need(blob, 4), ContentNeed::Joined, "2 fetches it now");
        assert_eq!(store.commit(blob, 2), [2, 3, 4]);
    }

    #[test]
    fn a_failed_fetch_with_no_waiter_is_forgotten() {
        let mut store = containerd();
        let blob = DigestId(7);
        store.need(blob, 1);
        assert_eq!(store.fetch_failed(blob, 1), None);
        assert_eq!(store.need(blob, 2), ContentNeed::Fetch);
    }

    #[test]
    fn a_pull_that_leaves_stops_waiting_everywhere() {
        let mut store = containerd();
        store.need(DigestId(7), 1);
        store.need(DigestId(7), 2);
        store.need(DigestId(8), 2);
        store.leave(2);
        assert_eq!(store.commit(DigestId(7), 1), [1]);
        assert_eq!(
            store.need(DigestId(8), 3),
            ContentNeed::Fetch,
            "a fetch with no waiter left is forgotten"
        );
        store.forget_fetches();
        assert_eq!(store.need(DigestId(8), 4), ContentNeed::Fetch);
    }

    #[test]
    fn a_failed_pull_hands_the_fetches_it_led_to_the_next_waiter() {
        let mut store = containerd();
        // Pull 1 fetches 7 and 9, pull 2 waits for 7, pull 3 for 9; pull 1 also waits for 8.
        store.need(DigestId(7), 1);
        store.need(DigestId(7), 2);
        store.need(DigestId(8), 4);
        store.need(DigestId(8), 1);
        store.need(DigestId(9), 1);
        store.need(DigestId(9), 3);
        assert_eq!(store.leave(1), [(DigestId(7), 2), (DigestId(9), 3)]);
        assert_eq!(store.commit(DigestId(7), 2), [2]);
        assert_eq!(
            store.commit(DigestId(8), 4),
            [4],
            "8 was 4's to fetch all along"
        );
        assert_eq!(store.commit(DigestId(9), 3), [3]);
        assert_eq!(
            store.leave(5),
            [],
            "a pull that waited for nothing hands nothing over"
        );
    }
}
