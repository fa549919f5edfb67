//! The controllers' part of the metrics: pulls started for their pods, and each workload
//! object's rollout figures at the end ([`RolloutMetrics`]), pods counted per revision from
//! the controller's own pod list.

use crate::rollouts::{RevisionPods, RolloutMetrics};
use crate::sim::Sim;
use crate::trace::PodId;

impl Sim {
    /// The kubelet started a pull for `pod`: its controller counts it.
    pub(crate) fn controller_pull(&mut self, pod: PodId) {
        let table = &mut self.api.controllers;
        if let Some(owner) = table.owners.get(&pod) {
            let controller = owner.controller;
            table.get_mut(controller).tally.pulls += 1;
        }
    }

    /// Every workload object's rollout figures now, in the order they were first applied
    /// (objects deleted since are left out).
    pub(crate) fn rollout_metrics(&self) -> Vec<RolloutMetrics> {
        let table = &self.api.controllers;
        let mut out = Vec::new();
        for controller in table.table.iter().filter(|c| !c.deleted) {
            let mut revisions: Vec<RevisionPods> = controller
                .revisions
                .iter()
                .enumerate()
                .map(|(index, revision)| RevisionPods {
                    revision: index as u32 + 1,
                    name: revision.name.clone(),
                    pods: 0,
                    ready: 0,
                })
                .collect();
            for (pod, view) in controller.pods.pods().iter().zip(controller.pods.views()) {
                if !view.is_active() {
                    continue;
                }
                let Some(owner) = table.owners.get(pod) else {
                    continue;
                };
                if let Some(entry) = revisions.get_mut(owner.revision as usize) {
                    entry.pods += 1;
                    entry.ready += u32::from(view.is_ready());
                }
            }
            let object = &table.objects[controller.object_id.0 as usize];
            out.push(controller.tally.metrics(
                object.to_string(),
                object.namespace.clone(),
                revisions,
            ));
        }
        out
    }
}
