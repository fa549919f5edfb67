//! The scheduler's side of a pod: placement on the matching node with the fewest pods,
//! binding, and the nodes a spec can go to.

use std::sync::Arc;
use std::time::Duration;

use crate::api::PodSpec;
use crate::apiserver::watch::ApiChange;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent};

impl Sim {
    /// Places a pod: on its `nodeName`, or on the matching node with the best score: the
    /// `ImageLocality` score plus the free-slots score (`image_locality.rs`), so without the
    /// pod's images anywhere the node with the fewest pods, the first in creation order on
    /// ties. A pod no node matches waits until nodes are added.
    pub(crate) fn schedule_pod(&mut self, pod: PodId) {
        let spec = Arc::clone(&self.api.pods[pod.0 as usize].spec);
        let any_node = spec.node_name.is_none() && spec.node_selector.is_empty();
        let fast = if any_node && self.nodes.len() > 1 {
            self.best_of_all_nodes(&spec)
        } else {
            None
        };
        let chosen = match fast {
            Some(chosen) => {
                debug_assert_eq!(
                    chosen,
                    {
                        let candidates = self.matching_nodes(&spec);
                        self.best_node(&spec, &candidates)
                    },
                    "the least-loaded holder or other node is the node scoring every node picks"
                );
                chosen
            }
            None => {
                let candidates = self.matching_nodes(&spec);
                self.best_node(&spec, &candidates)
            }
        };
        match chosen {
            Some(node) => self.bind(pod, node),
            None => {
                self.api.unschedulable.push(pod);
                self.record(TraceEvent::PodUnschedulable { pod });
            }
        }
    }

    /// Binds a pod to a node; its kubelet syncs it at once.
    pub(crate) fn bind(&mut self, pod: PodId, node: NodeId) {
        let record = &mut self.api.pods[pod.0 as usize];
        debug_assert!(
            record.node.is_none() && !record.state.deleted,
            "a pod is bound once, while it exists: binding only moves forward"
        );
        record.node = Some(node);
        let before = self.nodes[node.0 as usize].kubelet.pod_count;
        self.nodes[node.0 as usize].kubelet.pod_count += 1;
        self.node_load_changed(node, Some(before));
        self.publish(ApiChange::PodBound { pod, node });
        if self.keeps_events() {
            self.record(TraceEvent::PodScheduled { pod, node });
        }
        if self.nodes[node.0 as usize].kubelet.up {
            self.requeue(pod, Duration::ZERO);
        }
    }

    /// Nodes whose labels satisfy the spec (its `nodeName`, or every selector pair).
    pub(crate) fn matching_nodes(&self, spec: &PodSpec) -> Vec<NodeId> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| match &spec.node_name {
                Some(name) => &node.name == name,
                None => spec
                    .node_selector
                    .iter()
                    .all(|(key, value)| node.labels.get(key) == Some(value)),
            })
            .map(|(index, _)| NodeId(index as u32))
            .collect()
    }
}
