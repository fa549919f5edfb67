//! A controller's sync, run from the event loop: its reconciler is given its pods' views,
//! its progress is sampled for the rollout tally, and its actions are carried out as the
//! wiring contract says (crates/sim/src/controllers, `action.rs`): pods created batch by
//! batch (a refused creation lets the rest of its batch through, skips every later batch
//! of the same owner in this sync, and is reported back with `creation_refused`), events
//! recorded once the API call succeeded, ReplicaSet bookkeeping and conditions recorded.
//! Its wake-up is then scheduled at `next_wakeup()`; a wake-up that is no longer the
//! controller's is ignored when it comes.

use std::sync::Arc;

use crate::apiserver::admission::default_policies;
use crate::controllers::{
    ConditionStatus, ControllerAction, ControllerEvent, EventType, PodCreation, draw_from,
};
use crate::engine::Event;
use crate::sim::Sim;
use crate::trace::{PodId, TraceEvent};

use super::{ControllerId, PodOwner};

impl Sim {
    /// The controller sync event.
    pub(crate) fn controller_sync(&mut self, id: ControllerId) {
        let now = self.now;
        let Sim { api, rng, .. } = self;
        let controller = api.controllers.get_mut(id);
        controller.sync_queued = false;
        if controller.deleted {
            return;
        }
        let views = controller.pods.views();
        let actions = controller.reconciler.sync(views, now, &mut draw_from(rng));
        let progress = controller
            .reconciler
            .progress(&controller.object.spec, views);
        let is_job = matches!(controller.reconciler, super::Reconciler::Job(_));
        controller.tally.sample(
            now,
            progress.desired,
            progress.available,
            progress.active,
            progress.complete,
            !is_job,
        );
        controller.unsettled = progress.wants_pods;
        self.carry_out(id, actions);
        let controller = self.api.controllers.get_mut(id);
        let next = controller.reconciler.next_wakeup().filter(|at| *at > now);
        if next != controller.wakeup {
            controller.wakeup = next;
            if let Some(at) = next {
                self.queue.push(at, Event::ControllerWakeup(id));
            }
        }
    }

    /// The controller wake-up event: a sync, unless the controller wants another instant now.
    pub(crate) fn controller_wakeup(&mut self, id: ControllerId) {
        let controller = self.api.controllers.get_mut(id);
        if controller.wakeup != Some(self.now) || controller.deleted {
            return;
        }
        controller.wakeup = None;
        self.controller_sync(id);
    }

    /// Carries out one sync's actions, in order.
    fn carry_out(&mut self, id: ControllerId, actions: Vec<ControllerAction>) {
        // The owners (a Deployment's ReplicaSets) with a refused creation, and its batch.
        let mut refused: Vec<(String, u32)> = Vec::new();
        let mut follow_up = Vec::new();
        for action in actions {
            match action {
                ControllerAction::CreatePod(creation) => {
                    let skipped = refused.iter().any(|(owner, batch)| {
                        *owner == creation.owner.name && creation.batch > *batch
                    });
                    let error = if skipped {
                        None
                    } else {
                        match self.create_controller_pod(id, &creation) {
                            Ok(_) => {
                                self.record_controller_event(creation.on_success);
                                continue;
                            }
                            Err(error) => {
                                refused.push((creation.owner.name.clone(), creation.batch));
                                Some(error)
                            }
                        }
                    };
                    let controller = self.api.controllers.get_mut(id);
                    follow_up.extend(controller.reconciler.creation_refused(
                        &creation.owner.name,
                        &creation.name,
                        error.as_deref(),
                    ));
                }
                ControllerAction::DeletePod(deletion) => {
                    if let Some(pod) = self.live_pod(&deletion.owner.namespace, &deletion.name) {
                        self.delete(pod);
                        self.record_controller_event(deletion.on_success);
                    }
                }
                ControllerAction::ScaleReplicaSet {
                    replica_set,
                    from,
                    to,
                } => {
                    if self.keeps_events() {
                        let replica_set = self.api.controllers.intern(&replica_set);
                        self.record(TraceEvent::ReplicaSetScaled {
                            replica_set,
                            from,
                            to,
                        });
                    }
                }
                ControllerAction::CreateReplicaSet {
                    replica_set,
                    revision,
                } => {
                    if self.keeps_events() {
                        let replica_set = self.api.controllers.intern(&replica_set);
                        self.record(TraceEvent::ReplicaSetCreated {
                            replica_set,
                            revision,
                        });
                    }
                }
                ControllerAction::DeleteReplicaSet { replica_set } => {
                    if self.keeps_events() {
                        let replica_set = self.api.controllers.intern(&replica_set);
                        self.record(TraceEvent::ReplicaSetDeleted { replica_set });
                    }
                }
                ControllerAction::Event(event) => self.record_controller_event(event),
                ControllerAction::SetCondition { object, condition } => {
                    let status = condition.status == ConditionStatus::True;
                    let text = format!(
                        "{}={} ({})",
                        condition.condition_type,
                        if status { "True" } else { "False" },
                        condition.reason
                    );
                    let controller = self.api.controllers.get_mut(id);
                    controller.tally.condition(condition.condition_type, text);
                    if self.keeps_events() {
                        let object = self.api.controllers.intern(&object);
                        self.record(TraceEvent::ConditionSet {
                            object,
                            condition_type: condition.condition_type,
                            status,
                            reason: condition.reason,
                            message: condition.message,
                        });
                    }
                }
            }
        }
        if !follow_up.is_empty() {
            // Refusals answer with events only (`FailedCreate`), never with creations.
            self.carry_out(id, follow_up);
        }
    }

    /// Creates one pod of a controller: admitted from its revision's spec (shared by every
    /// pod of the revision), owned by the controller, a DaemonSet's pod bound to its node.
    /// Returns the API server's error when admission refused it.
    fn create_controller_pod(
        &mut self,
        id: ControllerId,
        creation: &PodCreation,
    ) -> Result<PodId, String> {
        let controller = self.api.controllers.get_mut(id);
        let revision = controller.revision_index(
            &creation.owner.name,
            &creation.revision,
            &creation.template,
            || {
                let mut spec = creation.template.spec.clone();
                default_policies(&mut spec);
                Arc::new(spec)
            },
        );
        let spec = Arc::clone(&controller.revisions[revision as usize].spec);
        let workload = controller.workload;
        let owner = PodOwner {
            controller: id,
            revision,
            slot: u32::MAX,
        };
        let node = creation.node.as_deref().and_then(|name| self.node_id(name));
        self.admit_and_create(
            &creation.owner.namespace,
            &creation.name,
            spec,
            Some((workload, revision)),
            node,
            Some(owner),
        )
    }

    /// Records a controller's event (only when the trace keeps events: no figure reads it).
    fn record_controller_event(&mut self, event: ControllerEvent) {
        if !self.keeps_events() {
            return;
        }
        let object = self.api.controllers.intern(&event.object);
        let event_type = match event.event_type {
            EventType::Normal => pullsim_model::pull::EventType::Normal,
            EventType::Warning => pullsim_model::pull::EventType::Warning,
        };
        self.record(TraceEvent::ControllerEvent {
            object,
            event_type,
            reason: event.reason,
            message: event.message,
        });
    }
}
