//! Which child of an index a successful pull used, as a trace record of its own, so a
//! transcript can say once per pull which platform's manifest each node chose
//! (`linux/arm64/v8 → sha256:…`).
//!
//! The choice itself is containerd's, made by the model's platform matcher when the index
//! arrives (`content.rs`); the image record keeps both the top-level digest and the image
//! manifest it resolved to, so the child and its platform are read back here from the
//! parsed index. A pull of an image manifest (no index) records nothing.

use crate::containerd::manifest::Manifest;
use crate::cri::ImageRecord;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent};

impl Sim {
    /// Records `PlatformChosen` for a pull that ended with `outcome`, when it resolved an
    /// index and the trace keeps events.
    pub(crate) fn record_platform_choice(
        &mut self,
        pod: PodId,
        node: NodeId,
        outcome: &Result<(ImageRecord, Option<usize>), String>,
    ) {
        let Ok((image, _)) = outcome else {
            return;
        };
        if image.manifest == image.digest || !self.keeps_events() {
            return;
        }
        let parsed = self
            .manifests
            .get(image.digest.0 as usize)
            .and_then(Option::as_ref);
        let Some(Manifest::Index { children }) = parsed.map(AsRef::as_ref) else {
            return;
        };
        let Some(platform) = children
            .iter()
            .find(|(_, child, _)| *child == image.manifest)
            .map(|(platform, _, _)| {
                platform
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), ToString::to_string)
            })
        else {
            return;
        };
        self.record(TraceEvent::PlatformChosen {
            pod,
            node,
            platform,
            manifest: image.manifest,
        });
    }
}
