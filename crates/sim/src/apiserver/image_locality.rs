//! The scheduler's image states and its `ImageLocality` score (docs/semantics.md §10.9):
//! which nodes hold an image under each of its names, and how big it is, as the node
//! statuses report them (containerd's `name:tag` and `name@digest`). The arithmetic is
//! `pullsim_model::image_locality`.
//!
//! The states are built on first use, from every node's image store, and then kept as
//! images are recorded, so a run that never schedules a pod by score pays nothing. With
//! them the cache keeps the nodes ordered by pod count, so a pod that may go to any node and
//! runs one image is placed without visiting every node: the best node is the least loaded
//! holder of its image or the least loaded other node, whichever scores higher. pullsim
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

/// The scheduler's cache: image states by name, and the nodes by pod count.
#[derive(Debug, Default)]
pub(crate) struct ImageStates {
    by_name: BTreeMap<String, ImageState>,
    by_load: BTreeSet<(u32, NodeId)>,
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

    /// A node's pod count changed from `before` (a new node: `None`) to its count now.
    pub(crate) fn node_load_changed(&mut self, node: NodeId, before: Option<u32>) {
        if let Some(states) = &mut self.api.image_states {
            if let Some(before) = before {
                states.by_load.remove(&(before, node));
            }
            let now = self.nodes[node.0 as usize].kubelet.pod_count;
            states.by_load.insert((now, node));
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
                states
                    .by_load
                    .insert((node.kubelet.pod_count, NodeId(index as u32)));
            }
            self.api.image_states = Some(states);
        }
        self.api.image_states.get_or_insert_default()
    }

    /// [`Sim::best_node`] among every node for a pod that runs one image (in one or more
    /// containers), without visiting every node; `None` when the pod runs several images
    /// (the caller then scores every node).
    ///
    /// Every holder of the image scores the same locality, and the free-slots score falls with
    /// the pod count, so the best holder is the least loaded one (the first in creation order
    /// on ties), and so is the best of the other nodes; the better of those two wins, with
    /// the same order as [`Sim::best_node`].
    pub(crate) fn best_of_all_nodes(&mut self, spec: &PodSpec) -> Option<Option<NodeId>> {
        let mut images = spec.init_containers.iter().chain(&spec.containers);
        let first = normalized_image_name(&images.next()?.image).into_owned();
        if !images.all(|container| normalized_image_name(&container.image) == first) {
            return None;
        }
        let containers = spec.init_containers.len() + spec.containers.len();
        let total_nodes = self.nodes.len();
        self.image_states();
        let nodes = &self.nodes;
        let states = self.api.image_states.as_ref()?;
        let holders = states.by_name.get(&first);
        let locality = holders.map_or(0, |state| {
            let size = i64::try_from(state.size).unwrap_or(i64::MAX);
            let scaled = scaled_image_score(size, state.nodes.len(), total_nodes);
            calculate_priority(scaled.saturating_mul(containers as i64), containers)
        });
        let Some(&least_loaded) = states.by_load.first() else {
            return Some(None);
        };
        let (holders, locality) = match holders {
            // No locality to win: the least loaded node of all, the first on ties.
            None => return Some(Some(least_loaded.1)),
            Some(_) if locality == 0 => return Some(Some(least_loaded.1)),
            Some(state) => (&state.nodes, locality),
        };
        let holds = |node: &NodeId| holders.contains(node);
        // A handful of holders are faster to look at directly than to find in the load order.
        const FEW: usize = 64;
        let best_holder = if holders.len() <= FEW {
            holders
                .iter()
                .map(|node| (nodes[node.0 as usize].kubelet.pod_count, *node))
                .min()
        } else {
            states.by_load.iter().copied().find(|(_, node)| holds(node))
        };
        let key = |(pods, node): (u32, NodeId), locality: i64| {
            (
                locality + free_slots_score(pods),
                std::cmp::Reverse(pods),
                std::cmp::Reverse(node.0),
            )
        };
        let Some(holder) = best_holder else {
            return Some(Some(least_loaded.1));
        };
        // No other node scores above the least loaded node's free slots: a holder scoring more
        // than that wins without looking for the best other node.
        if locality + free_slots_score(holder.0) > free_slots_score(least_loaded.0) {
            return Some(Some(holder.1));
        }
        let best_other = if holders.len() >= total_nodes {
            None
        } else {
            states
                .by_load
                .iter()
                .copied()
                .find(|(_, node)| !holds(node))
        };
        let best = match best_other {
            Some(other) if key(other, 0) > key(holder, locality) => other,
            _ => holder,
        };
        Some(Some(best.1))
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
