//! The end of a run, node by node: which digest of each image every node holds, grouped
//! as the rest of the transcript is, so a fleet that converged is one row per image and a
//! fleet that did not shows each digest with the nodes that hold it.
//!
//! Read from the simulator's image stores when the story is made. A store names an image
//! by tag and by digest; a digest name is shown only when no tag on that node names the
//! same image (a pod that pulled `app@sha256:...`).

use std::collections::BTreeMap;

use pullsim_sim::Sim;

/// One image at one digest, and the nodes that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holding {
    /// The name in the store (`registry.example.com/app:v1`).
    pub(crate) image: String,
    /// The top-level digest it was pulled or loaded by.
    pub(crate) digest: String,
    /// The nodes, in creation order.
    pub(crate) nodes: Vec<String>,
}

/// Every node's images, grouped by image and digest, in image then digest order.
pub(crate) fn holdings(sim: &Sim) -> Vec<Holding> {
    let mut grouped: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for (node, images) in sim.node_images() {
        let tagged: Vec<_> = images
            .iter()
            .filter(|(name, _)| !name.contains('@'))
            .map(|(_, digest)| *digest)
            .collect();
        for (name, digest) in &images {
            if name.contains('@') && tagged.contains(digest) {
                continue;
            }
            grouped
                .entry(((*name).to_owned(), sim.digest(*digest).to_string()))
                .or_default()
                .push(sim.node_name(node).to_owned());
        }
    }
    grouped
        .into_iter()
        .map(|((image, digest), nodes)| Holding {
            image,
            digest,
            nodes,
        })
        .collect()
}
