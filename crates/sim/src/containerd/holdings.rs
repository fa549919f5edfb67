//! What each node's CRI image store holds: the images a transcript summarises at the end
//! of a run (which digest each node has of each image).

use crate::sim::Sim;
use crate::trace::{DigestId, NodeId};

impl Sim {
    /// Every node, in creation order, with its image store's names and the top-level digest
    /// each names (the digest it was pulled or loaded by), in name order. A store names an
    /// image by tag (`registry.example.com/app:v1`) and by digest (`...app@sha256:...`).
    pub fn node_images(&self) -> Vec<(NodeId, Vec<(&str, DigestId)>)> {
        self.nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                let images = node
                    .containerd
                    .images()
                    .map(|(name, record)| (name, record.digest))
                    .collect();
                (NodeId(index as u32), images)
            })
            .collect()
    }
}
