//! The scheduler's image states and its `ImageLocality` score (docs/semantics.md §10.9):
//! which nodes hold an image under each of its names, and how big it is, as the node
//! statuses report them (containerd's `name:tag` and `name@digest`). The arithmetic is
//! `pullsim_model::image_locality`.
//!
//! The states are built on first use, from every node's image store, and then kept as
//! images are recorded, so a run that never schedules a pod by score pays nothing. pullsim
//! reports images at once (the kubelet's status update every 10 s is not modelled) and lists
//! them all (the node status's cap of 50 images is not modelled).

use std::collections::{BTreeMap, BTreeSet};

use pullsim_model::image_locality::{
    calculate_priority, free_slots_score, normalized_image_name, scaled_image_score,
};

use crate::api::PodSpec;
use crate::sim::Sim;
use crate::trace::NodeId;

/// One image name as the scheduler's cache holds it (`ImageStateSummary`).
#[derive(Debug, Default)]
struct ImageState {
    /// The size last reported for it.
    size: u64,
    /// The nodes that hold it.
    nodes: BTreeSet<NodeId>,
}

/// Image states by name.
#[derive(Debug, Default)]
pub(crate) struct ImageStates {
    by_name: BTreeMap<String, ImageState>,
}

impl ImageStates {
    fn record(&mut self, node: NodeId, name: &str, size: u64) {
        let state = match self.by_name.get_mut(name) {
            Some(state) => state,
            None => self.by_name.entry(name.to_owned()).or_default(),
        };
        state.size = size;
        state.nodes.insert(node);
    }
}

impl Sim {
    /// A node's image store now names an image of `size` bytes `name`.
    pub(crate) fn image_recorded(&mut self, node: NodeId, name: &str, size: u64) {
        if let Some(states) = &mut self.api.image_states {
            states.record(node, name, size);
        }
    }

    /// The image states, built from every node's store the first time they are asked for.
    fn image_states(&mut self) -> &ImageStates {
        if self.api.image_states.is_none() {
            let mut states = ImageStates::default();
            for (index, node) in self.nodes.iter().enumerate() {
                for (name, record) in node.containerd.images() {
                    states.record(NodeId(index as u32), name, record.size_bytes);
                }
            }
            self.api.image_states = Some(states);
        }
        self.api.image_states.get_or_insert_default()
    }

    /// The node the scheduler picks among `candidates` (in creation order) for `spec`: the
    /// highest `ImageLocality` plus free-slots score, then the fewest pods, then the first.
    pub(crate) fn best_node(&mut self, spec: &PodSpec, candidates: &[NodeId]) -> Option<NodeId> {
        if candidates.len() <= 1 {
            return candidates.first().copied();
        }
        let total_nodes = self.nodes.len();
        let containers = spec.init_containers.len() + spec.containers.len();
        // The scaled score of each image, by the nodes that hold it (a sparse sum: most nodes
        // hold none of them).
        let mut sums: BTreeMap<NodeId, i64> = BTreeMap::new();
        let states = self.image_states();
        for container in spec.init_containers.iter().chain(&spec.containers) {
            let name = normalized_image_name(&container.image);
            if let Some(state) = states.by_name.get(name.as_ref()) {
                let size = i64::try_from(state.size).unwrap_or(i64::MAX);
                let scaled = scaled_image_score(size, state.nodes.len(), total_nodes);
                for node in &state.nodes {
                    *sums.entry(*node).or_insert(0) += scaled;
                }
            }
        }
        candidates.iter().copied().max_by_key(|node| {
            let pods = self.nodes[node.0 as usize].kubelet.pod_count;
            let locality = calculate_priority(sums.get(node).copied().unwrap_or(0), containers);
            (
                locality + free_slots_score(pods),
                std::cmp::Reverse(pods),
                std::cmp::Reverse(node.0),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_keep_every_holder_and_the_last_size() {
        let mut states = ImageStates::default();
        states.record(NodeId(2), "registry.example.com/app:v1", 10);
        states.record(NodeId(0), "registry.example.com/app:v1", 12);
        states.record(NodeId(2), "registry.example.com/app:v1", 12);
        let state = &states.by_name["registry.example.com/app:v1"];
        assert_eq!(state.size, 12);
        assert_eq!(
            state.nodes.iter().copied().collect::<Vec<_>>(),
            [NodeId(0), NodeId(2)]
        );
    }
}
