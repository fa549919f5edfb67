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
use crate::sim::{Node, Sim};
use crate::trace::NodeId;

/// One image name as the scheduler's cache holds it (`ImageStateSummary`).
#[derive(Debug, Default)]
struct ImageState {
    /// The size last reported for it.
    size: u64,
    /// The nodes that hold it.
    nodes: BTreeSet<NodeId>,
    /// Its holders by pod count, kept once a placement asked for the least loaded of many
    /// holders (finding it in the load order of every node read every less loaded node
    /// without the image first, and asked whether each held it).
    kept: Option<HoldersByLoad>,
}

/// An image's holders as the load order needs them: whether each node holds it, and how
/// many holders have each pod count (so the lowest count with a holder is known at once).
#[derive(Debug, Default)]
struct HoldersByLoad {
    held: Vec<bool>,
    at_load: Vec<u32>,
}

impl HoldersByLoad {
    fn add(&mut self, node: NodeId, pods: u32) {
        let at = node.0 as usize;
        if self.held.len() <= at {
            self.held.resize(at + 1, false);
        }
        self.held[at] = true;
        self.moved(None, pods);
    }

    /// A holder's pod count went from `before` to `now`.
    fn moved(&mut self, before: Option<u32>, now: u32) {
        if let Some(before) = before {
            self.at_load[before as usize] -= 1;
        }
        let at = now as usize;
        if self.at_load.len() <= at {
            self.at_load.resize(at + 1, 0);
        }
        self.at_load[at] += 1;
    }

    fn holds(&self, node: NodeId) -> bool {
        self.held.get(node.0 as usize).copied().unwrap_or(false)
    }
}

/// The scheduler's cache: image states by name, and the nodes by pod count.
#[derive(Debug, Default)]
pub(crate) struct ImageStates {
    by_name: BTreeMap<String, usize>,
    states: Vec<ImageState>,
    by_load: BTreeSet<(u32, NodeId)>,
    /// Per node, the states it holds whose holders are kept by load.
    kept_by_node: Vec<Vec<usize>>,
}

impl ImageStates {
    /// `node`, with `pods` pods, holds `name` of `size` bytes.
    fn record(&mut self, node: NodeId, pods: u32, name: &str, size: u64) {
        let index = match self.by_name.get(name) {
            Some(index) => *index,
            None => {
                self.states.push(ImageState::default());
                self.by_name.insert(name.to_owned(), self.states.len() - 1);
                self.states.len() - 1
            }
        };
        let state = &mut self.states[index];
        state.size = size;
        if state.nodes.insert(node)
            && let Some(kept) = &mut state.kept
        {
            kept.add(node, pods);
            Self::kept_for(&mut self.kept_by_node, node).push(index);
        }
    }

    fn kept_for(kept: &mut Vec<Vec<usize>>, node: NodeId) -> &mut Vec<usize> {
        let at = node.0 as usize;
        if kept.len() <= at {
            kept.resize_with(at + 1, Vec::new);
        }
        &mut kept[at]
    }

    /// The state of `name`.
    fn get(&self, name: &str) -> Option<&ImageState> {
        self.by_name.get(name).map(|index| &self.states[*index])
    }

    /// `node`'s pod count went from `before` to `now`.
    fn load_changed(&mut self, node: NodeId, before: Option<u32>, now: u32) {
        if let Some(before) = before {
            self.by_load.remove(&(before, node));
        }
        self.by_load.insert((now, node));
        let Some(kept) = self.kept_by_node.get(node.0 as usize) else {
            return;
        };
        for index in kept {
            if let Some(holders) = &mut self.states[*index].kept {
                holders.moved(before, now);
            }
        }
    }

    /// The least loaded holder of the state at `index` (the first in creation order on
    /// ties), its holders kept by load from now on: the first node in the load order, from
    /// the lowest pod count a holder has, that holds it.
    fn least_loaded_holder(&mut self, index: usize, nodes: &[Node]) -> Option<(u32, NodeId)> {
        let state = &mut self.states[index];
        let kept = state.kept.get_or_insert_with(|| {
            let mut kept = HoldersByLoad::default();
            for node in &state.nodes {
                kept.add(*node, nodes[node.0 as usize].kubelet.pod_count);
                Self::kept_for(&mut self.kept_by_node, *node).push(index);
            }
            kept
        });
        let lowest = kept.at_load.iter().position(|count| *count > 0)? as u32;
        self.by_load
            .range((lowest, NodeId(0))..)
            .copied()
            .find(|(_, node)| kept.holds(*node))
    }
}

impl Sim {
    /// A node's image store now names an image of `size` bytes `name`.
    pub(crate) fn image_recorded(&mut self, node: NodeId, name: &str, size: u64) {
        if let Some(states) = &mut self.api.image_states {
            let pods = self.nodes[node.0 as usize].kubelet.pod_count;
            states.record(node, pods, name, size);
        }
    }

    /// A node's pod count changed from `before` (a new node: `None`) to its count now.
    pub(crate) fn node_load_changed(&mut self, node: NodeId, before: Option<u32>) {
        if let Some(states) = &mut self.api.image_states {
            let now = self.nodes[node.0 as usize].kubelet.pod_count;
            states.load_changed(node, before, now);
        }
    }

    /// The image states, built from every node's store the first time they are asked for.
    fn image_states(&mut self) -> &ImageStates {
        if self.api.image_states.is_none() {
            let mut states = ImageStates::default();
            for (index, node) in self.nodes.iter().enumerate() {
                for (name, record) in node.containerd.images() {
                    let pods = node.kubelet.pod_count;
                    states.record(NodeId(index as u32), pods, name, record.size_bytes);
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
        let states = self.api.image_states.as_mut()?;
        let held = states.by_name.get(&first).copied();
        // A handful of holders are faster to look at directly than to keep by load.
        const FEW: usize = 64;
        let least_loaded_holder = match held {
            Some(index) if states.states[index].nodes.len() > FEW => {
                states.least_loaded_holder(index, nodes)
            }
            _ => None,
        };
        let holders = held.map(|index| &states.states[index]);
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
        let best_holder = if holders.len() <= FEW {
            holders
                .iter()
                .map(|node| (nodes[node.0 as usize].kubelet.pod_count, *node))
                .min()
        } else {
            least_loaded_holder
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
            if let Some(state) = states.get(name.as_ref()) {
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
        states.record(NodeId(2), 0, "registry.example.com/app:v1", 10);
        states.record(NodeId(0), 0, "registry.example.com/app:v1", 12);
        states.record(NodeId(2), 0, "registry.example.com/app:v1", 12);
        let state = states.get("registry.example.com/app:v1").expect("recorded");
        assert_eq!(state.size, 12);
        assert_eq!(
            state.nodes.iter().copied().collect::<Vec<_>>(),
            [NodeId(0), NodeId(2)]
        );
    }

    #[test]
    fn holders_kept_by_load_follow_every_load_change() {
        let mut sim = Sim::new(crate::SimConfig::default());
        sim.add_node_pool(crate::NodePool::new("node", 4))
            .expect("valid pool");
        sim.image_states();
        let name = "registry.example.com/app:v1";
        for node in [1, 2, 3] {
            sim.image_recorded(NodeId(node), name, 10);
        }
        let load = |sim: &mut Sim, node: u32, pods: u32| {
            let before = sim.nodes[node as usize].kubelet.pod_count;
            sim.nodes[node as usize].kubelet.pod_count = pods;
            sim.node_load_changed(NodeId(node), Some(before));
        };
        load(&mut sim, 1, 3);
        load(&mut sim, 2, 1);
        let least = |sim: &mut Sim| {
            let Sim { nodes, api, .. } = sim;
            let states = api.image_states.as_mut().expect("built");
            let index = states.by_name[name];
            states.least_loaded_holder(index, nodes)
        };
        // Kept from the first question on: node 3 (no pods) first, then as loads change.
        assert_eq!(least(&mut sim), Some((0, NodeId(3))));
        load(&mut sim, 3, 2);
        assert_eq!(least(&mut sim), Some((1, NodeId(2))));
        load(&mut sim, 1, 0);
        assert_eq!(least(&mut sim), Some((0, NodeId(1))));
        // A holder recorded later joins at its load; node 0 holds nothing.
        load(&mut sim, 0, 0);
        sim.image_recorded(NodeId(0), name, 10);
        assert_eq!(least(&mut sim), Some((0, NodeId(0))));
        let states = sim.api.image_states.as_ref().expect("built");
        let kept = states.states[states.by_name[name]].kept.as_ref();
        let mut expected = [0; 4];
        for node in &sim.nodes {
            expected[node.kubelet.pod_count as usize] += 1;
        }
        assert_eq!(kept.map(|k| k.at_load.as_slice()), Some(&expected[..]));
    }
}
