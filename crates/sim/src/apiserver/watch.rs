//! The API server's watch: the typed changes it publishes about pods and nodes
//! ([`ApiChange`]) and the outbox they wait in until the watchers drain it.
//!
//! Every change is published whatever the trace level (a record the trace does not keep
//! is often not even built), so a watcher behaves the same in a fleet run with the trace
//! off as in a scenario with it kept. Watchers: the metrics recorder (pod lifecycle) and
//! the workload controllers (`apiserver/controllers/watcher.rs`), both fed by
//! `Sim::deliver_changes`.

use pullsim_model::SimTime;

use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent, WorkloadId};

/// One change the API server publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApiChange {
    /// A pod was admitted and stored (a workload's replica names its workload).
    PodCreated {
        pod: PodId,
        workload: Option<WorkloadId>,
    },
    /// The scheduler bound a pod to a node.
    PodBound { pod: PodId, node: NodeId },
    /// Every regular container of a pod runs (reported once per pod). With no readiness
    /// probes in the model, this is also the moment the pod is ready.
    PodRunning { pod: PodId },
    /// Every regular container of a running pod is Ready (reported once per pod; with no
    /// readiness probe, at the same instant as `PodRunning`).
    PodReady { pod: PodId },
    /// Every container of a pod exited 0 and none will start again (`restartPolicy`
    /// `OnFailure` or `Never`): the pod's phase is `Succeeded`.
    PodSucceeded { pod: PodId },
    /// A container of a pod exited non-zero and will not start again: the pod's phase is
    /// `Failed`.
    PodFailed { pod: PodId },
    /// A pod was deleted; its containers stopped at once (so this is also its
    /// termination).
    PodDeleted { pod: PodId },
    /// A node joined the cluster.
    NodeAdded { node: NodeId },
}

impl ApiChange {
    /// The change a trace record reports, for folding a kept trace as if watched live.
    /// Bindings map from `PodScheduled`, which a trace keeps only above
    /// `TraceLevel::Off`; nodes added have no record.
    pub(crate) fn of_record(event: &TraceEvent) -> Option<ApiChange> {
        match *event {
            TraceEvent::PodCreated { pod, workload } => {
                Some(ApiChange::PodCreated { pod, workload })
            }
            TraceEvent::PodScheduled { pod, node } => Some(ApiChange::PodBound { pod, node }),
            TraceEvent::PodRunning { pod } => Some(ApiChange::PodRunning { pod }),
            TraceEvent::PodDeleted { pod } => Some(ApiChange::PodDeleted { pod }),
            _ => None,
        }
    }
}

/// Changes published and not yet drained, in publication order, each with its instant.
#[derive(Debug, Default)]
pub(crate) struct Outbox {
    changes: Vec<(SimTime, ApiChange)>,
}

impl Outbox {
    /// Publishes a change at `now`.
    pub(crate) fn publish(&mut self, now: SimTime, change: ApiChange) {
        debug_assert!(
            self.changes.last().is_none_or(|(at, _)| *at <= now),
            "changes are published in time order: the clock never goes back"
        );
        self.changes.push((now, change));
    }

    /// Takes every change published so far, oldest first.
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, (SimTime, ApiChange)> {
        self.changes.drain(..)
    }
}

impl Sim {
    /// Publishes a change now and delivers it to the watchers at once, so each sees it
    /// in order with the trace records around it.
    pub(crate) fn publish(&mut self, change: ApiChange) {
        self.api.outbox.publish(self.now, change);
        self.deliver_changes();
    }

    /// Drains the outbox into every watcher, oldest change first: the metrics, then the
    /// workload controllers (skipped while no object was applied), which only update their
    /// views and queue syncs.
    pub(crate) fn deliver_changes(&mut self) {
        let Sim { api, metrics, .. } = self;
        if api.controllers.is_empty() {
            for (at, change) in api.outbox.drain() {
                metrics.observe_change(at, &change);
            }
            return;
        }
        let mut delivering = std::mem::take(&mut api.controllers.delivering);
        for (at, change) in api.outbox.drain() {
            metrics.observe_change(at, &change);
            delivering.push(change);
        }
        for change in delivering.drain(..) {
            self.controllers_watch(change);
        }
        self.api.controllers.delivering = delivering;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_in_publication_order_and_empties() {
        let mut outbox = Outbox::default();
        let t = SimTime::from_secs(3);
        outbox.publish(t, ApiChange::NodeAdded { node: NodeId(0) });
        outbox.publish(t, ApiChange::PodRunning { pod: PodId(7) });
        let drained: Vec<_> = outbox.drain().collect();
        assert_eq!(
            drained,
            [
                (t, ApiChange::NodeAdded { node: NodeId(0) }),
                (t, ApiChange::PodRunning { pod: PodId(7) }),
            ]
        );
        assert_eq!(outbox.drain().count(), 0);
    }

    #[test]
    fn lifecycle_records_map_to_their_changes() {
        let pod = PodId(1);
        assert_eq!(
            ApiChange::of_record(&TraceEvent::PodDeleted { pod }),
            Some(ApiChange::PodDeleted { pod })
        );
        assert_eq!(
            ApiChange::of_record(&TraceEvent::PodUnschedulable { pod }),
            None
        );
    }
}
