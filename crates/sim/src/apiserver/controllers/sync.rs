//! A controller's sync, run from the event loop: its reconciler is given its pods' views,
//! its progress is sampled for the rollout tally, and its actions are carried out as the
//! wiring contract says (crates/sim/src/controllers, `action.rs`): pods created batch by
//! batch (a refused creation lets the rest of its batch through, skips every later batch
//! of the same owner in this sync, and is reported back with `creation_refused`), events
//! recorded once the API call succeeded, ReplicaSet bookkeeping and conditions recorded.
//! A sync with a refused creation returns an error upstream, and the work queue re-adds
//! the object after a per-object exponential back-off (`pullsim_model::controllers::
//! workqueue`; reset by a sync without error). Its wake-up is then scheduled at the
//! earlier of `next_wakeup()` and that re-add; a wake-up that is no longer the
//! controller's is ignored when it comes.

use std::sync::Arc;

use pullsim_model::SimTime;
use pullsim_model::controllers::workqueue::{CONTROLLER_BACKOFF, JOB_API_BACKOFF};

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
        if controller.requeue.is_some_and(|at| at <= now) {
            controller.requeue = None;
        }
        let pods = controller.pods.indexed();
        let actions = controller
            .reconciler
            .sync_in(pods, now, &mut draw_from(rng));
        let progress = controller
            .reconciler
            .progress_of(&controller.object.spec, pods.active());
        let is_job = matches!(controller.reconciler, super::Reconciler::Job(_));
        controller.tally.sample(
            now,
            progress.desired,
            progress.available,
            progress.active,
            progress.complete,
            !is_job,
        );
        controller
            .tally
            .status(progress.desired, progress.updated, progress.available);
        controller.unsettled = progress.wants_pods;
        let failed = self.carry_out(id, actions);
        let controller = self.api.controllers.get_mut(id);
        if failed {
            // `processNextWorkItem`: the sync's error puts the object back with
            // `AddRateLimited`; without one, `Forget` resets its failure count.
            let backoff = match controller.reconciler {
                super::Reconciler::Job(_) => JOB_API_BACKOFF,
                _ => CONTROLLER_BACKOFF,
            };
            let at = now + backoff.delay(controller.failures);
            controller.failures = controller.failures.saturating_add(1);
            controller.requeue = Some(controller.requeue.map_or(at, |queued| queued.min(at)));
        } else {
            controller.failures = 0;
        }
        self.schedule_controller_wakeup(id);
    }

    /// Schedules the controller's wake-up at the earlier of what its reconciler wants and
    /// the work queue's delayed re-add, both after now.
    fn schedule_controller_wakeup(&mut self, id: ControllerId) {
        let now = self.now;
        let controller = self.api.controllers.get_mut(id);
        let wanted = controller.reconciler.next_wakeup().filter(|at| *at > now);
        let requeue = controller.requeue.filter(|at| *at > now);
        let next = match (wanted, requeue) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        if next != controller.wakeup {
            controller.wakeup = next;
            if let Some(at) = next {
                self.queue.push(at, Event::ControllerWakeup(id));
            }
        }
    }

    /// The work queue's `AddAfter(key, delay)`: the controller syncs at `at` (the earliest
    /// of the re-adds waiting), whatever happens before.
    pub(crate) fn requeue_controller(&mut self, id: ControllerId, at: SimTime) {
        let controller = self.api.controllers.get_mut(id);
        if controller.deleted {
            return;
        }
        controller.requeue = Some(controller.requeue.map_or(at, |queued| queued.min(at)));
        if controller.wakeup.is_none_or(|wakeup| at < wakeup) {
            controller.wakeup = Some(at);
            self.queue.push(at, Event::ControllerWakeup(id));
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

    /// Carries out one sync's actions, in order; whether the API server refused a creation
    /// (the sync then returns an error upstream).
    fn carry_out(&mut self, id: ControllerId, actions: Vec<ControllerAction>) -> bool {
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
                    // A victim is one of the controller's own live pods (names are unique
                    // among live pods of a namespace): found in its list, not the API's.
                    let pods = &self.api.controllers.get(id).pods;
                    let own = (pods.indexed().slot(&deletion.name))
                        .map(|slot| pods.pods()[slot as usize]);
                    let pod =
                        own.or_else(|| self.live_pod(&deletion.owner.namespace, &deletion.name));
                    if let Some(pod) = pod {
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
        !refused.is_empty()
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::time::Duration;

    use pullsim_model::SimTime;
    use pullsim_model::controllers::IntOrPercent;
    use pullsim_registry::{Catalog, ImageSpec, Registry, RegistryConfig};

    use super::*;
    use crate::api::{Container, Pod};
    use crate::controllers::{
        DaemonSetSpec, DaemonSetUpdateStrategy, JobSpec, ObjectRef, PodTemplate, ReplicaSetSpec,
        StatefulSetSpec, WorkloadKind, WorkloadObject, WorkloadSpec,
    };
    use crate::{Action, AdmissionConfig, DigestPinning, FailurePolicy, Link, NodePool, SimConfig};

    /// Two nodes and `images` of `app` on the registry.
    fn cluster(admission: AdmissionConfig, images: &[&str]) -> Sim {
        let mut sim = Sim::new(SimConfig {
            admission,
            ..SimConfig::default()
        });
        let mut registry = Registry::new(RegistryConfig::default());
        let catalog = Catalog {
            images: images
                .iter()
                .map(|tag| ImageSpec::new("app", *tag))
                .collect(),
            ..Catalog::default()
        };
        registry
            .load(&catalog, SimTime::EPOCH)
            .expect("valid catalog");
        sim.add_registry("registry.example.com", registry)
            .expect("one host");
        sim.add_node_pool(NodePool {
            default_link: Link::INSTANT,
            ..NodePool::new("node", 2)
        })
        .expect("valid pool");
        sim
    }

    /// `app:v1` on the registry, the digest-pinning webhook failing closed: `app:v2` does
    /// not resolve, so every creation of a pod that runs it is refused.
    fn refusing_cluster() -> Sim {
        let admission = AdmissionConfig {
            digest_pinning: Some(DigestPinning {
                failure_policy: FailurePolicy::Fail,
            }),
            ..AdmissionConfig::default()
        };
        cluster(admission, &["v1"])
    }

    fn object(spec: WorkloadSpec) -> WorkloadObject {
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "web".to_owned(),
            spec,
        }
    }

    fn template() -> PodTemplate {
        PodTemplate::new(Pod::new(
            "web",
            vec![Container::new("app", "registry.example.com/app:v2")],
        ))
    }

    #[test]
    fn a_surging_daemon_set_with_min_ready_seconds_moves_on_a_second_after_availability() {
        let mut sim = cluster(AdmissionConfig::default(), &["v1", "v2"]);
        let mut container = Container::new("app", "registry.example.com/app:v1");
        container.readiness_delay = Some(Duration::from_secs(5));
        let mut spec = DaemonSetSpec::new(
            BTreeSet::new(),
            PodTemplate::new(Pod::new("web", vec![container])),
        );
        spec.min_ready = Duration::from_secs(10);
        spec.update_strategy = DaemonSetUpdateStrategy::RollingUpdate {
            max_unavailable: IntOrPercent::Int(0),
            max_surge: IntOrPercent::Int(1),
        };
        sim.apply_object(SimTime::EPOCH, object(WorkloadSpec::DaemonSet(spec)));
        sim.schedule(
            SimTime::from_secs(60),
            Action::SetImage {
                workload: ObjectRef::new(WorkloadKind::DaemonSet, "default", "web"),
                container: "app".to_owned(),
                image: "registry.example.com/app:v2".to_owned(),
            },
        );
        sim.run_until(SimTime::from_secs(10 * 60)).unwrap();
        let rollout = &sim.metrics().rollouts[0];
        assert!(rollout.complete, "{rollout:?}");
        let pods: Vec<(u32, u32)> = rollout
            .revisions
            .iter()
            .map(|r| (r.revision, r.pods))
            .collect();
        assert_eq!(pods, [(1, 0), (2, 2)]);
        assert_eq!(
            (rollout.desired, rollout.updated, rollout.available),
            (2, 2, 2)
        );
        // Each node: its pull, 5 s to ready, then minReadySeconds 10 s + 1 s before the
        // sync that sees the new pod available deletes the old one.
        let deleted: Vec<u64> = sim
            .trace()
            .iter()
            .filter(|record| {
                matches!(&record.event, TraceEvent::ControllerEvent { reason, .. }
                    if *reason == "SuccessfulDelete")
            })
            .map(|record| record.time.since_epoch().as_secs())
            .collect();
        assert_eq!(deleted, [76, 92]);
    }

    /// The instants of the `FailedCreate` events, in milliseconds.
    fn failed_creates(sim: &Sim) -> Vec<u64> {
        sim.trace()
            .iter()
            .filter(|record| {
                matches!(&record.event, TraceEvent::ControllerEvent { reason, .. }
                    if *reason == "FailedCreate")
            })
            .map(|record| u64::try_from(record.time.since_epoch().as_millis()).unwrap_or(u64::MAX))
            .collect()
    }

    #[test]
    fn a_refused_creation_is_retried_with_the_work_queues_exponential_back_off() {
        let mut sim = refusing_cluster();
        sim.apply_object(
            SimTime::EPOCH,
            object(WorkloadSpec::ReplicaSet(ReplicaSetSpec::new(5, template()))),
        );
        sim.run_until(SimTime::from_secs(30 * 60)).unwrap();
        let times = failed_creates(&sim);
        // 0, then 5 ms, 10 ms, 20 ms, ... later: 5 ms * (2^n - 1) after the first.
        assert_eq!(&times[..5], [0, 5, 15, 35, 75]);
        // 18 retries up to 1310.715 s; the next, 1000 s later, is past 30 minutes.
        assert_eq!(times.len(), 19, "{times:?}");
        assert_eq!(times[18], 1_310_715);
    }

    #[test]
    fn a_stateful_sets_refused_creation_is_reported_and_retried_like_a_replica_sets() {
        let mut sim = refusing_cluster();
        sim.apply_object(
            SimTime::EPOCH,
            object(WorkloadSpec::StatefulSet(StatefulSetSpec::new(
                2,
                template(),
            ))),
        );
        sim.run_until(SimTime::from_millis(100)).unwrap();
        assert_eq!(failed_creates(&sim), [0, 5, 15, 35, 75]);
        let message = sim.trace().iter().find_map(|record| match &record.event {
            TraceEvent::ControllerEvent {
                reason: "FailedCreate",
                message,
                ..
            } => Some(message.clone()),
            _ => None,
        });
        let message = message.expect("a FailedCreate event");
        assert!(
            message.starts_with("create Pod web-0 in StatefulSet web failed error: "),
            "{message}"
        );
    }

    #[test]
    fn a_jobs_refused_creation_is_retried_from_one_second_to_one_minute() {
        let mut sim = refusing_cluster();
        sim.apply_object(
            SimTime::EPOCH,
            object(WorkloadSpec::Job(JobSpec::new(template()))),
        );
        sim.run_until(SimTime::from_secs(5 * 60)).unwrap();
        let times = failed_creates(&sim);
        // 1, 2, 4, 8, 16, 32 s, then every 60 s.
        assert_eq!(
            times,
            [
                0, 1_000, 3_000, 7_000, 15_000, 31_000, 63_000, 123_000, 183_000, 243_000
            ]
        );
    }
}
