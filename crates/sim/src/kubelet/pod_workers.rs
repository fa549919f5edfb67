//! The kubelet's pod workers, syncing on the cadence of docs/semantics.md §3.5, and
//! restarts. The per-node state they act on is [`Kubelet`](crate::kubelet::Kubelet). The image
//! manager's `EnsureImageExists` is in `image_manager.rs`.
//!
//! A sync publishes the pod status from the reason cache (so the API shows the previous
//! sync's outcome, as in the kubelet, which writes status before it acts), then starts the
//! next init container or every regular container that is not running, one after another:
//! a container whose image must be pulled suspends the sync until its pull ends. The
//! pulls themselves go through the puller (`puller.rs`) and the runtime (`runtime.rs`).

use std::sync::Arc;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::pull::EventType;

use crate::api::ContainerRef;
use crate::apiserver::watch::ApiChange;
use crate::config::WorkerJitter;
use crate::cri::ImageRecord;
use crate::engine::Event;
use crate::sim::Sim;
use crate::trace::{ContainerState, NodeId, PodId, TraceEvent, WaitReason};

/// One container's kubelet-side state.
#[derive(Debug, Clone)]
pub(crate) struct ContainerSlot {
    /// The reason cache entry of the last failed start (the message shared, see
    /// `SharedTexts`).
    pub(crate) reason: Option<(WaitReason, Arc<str>)>,
    /// The image it runs (or ran, for a completed init container).
    pub(crate) started: Option<ImageRecord>,
    /// The state last published in the pod status.
    pub(crate) status: Option<ContainerState>,
    /// Still to be started by the sync in progress. Every slot's flag is set when a sync
    /// starts, so a sync keeps no list of its own (it was one allocation per sync).
    pub(crate) queued: bool,
    /// When it last started running (meaningful while `started` is set).
    pub(crate) started_at: SimTime,
    /// How many times it exited (`runFor`): its current run's number, so an exit scheduled
    /// for an earlier run is stale.
    pub(crate) exits: u32,
    /// When it last exited (`finishedAt`), while it has not started again.
    pub(crate) exited_at: Option<SimTime>,
    /// What its image string means (`Memo::image`), once `EnsureImageExists` looked it up.
    pub(crate) image_info: Option<Arc<crate::memo::ImageInfo>>,
}

impl ContainerSlot {
    /// Whether a regular container is running now (started and not exited since).
    pub(crate) fn is_running(&self) -> bool {
        self.started.is_some() && self.exited_at.is_none()
    }
}

/// A pod's kubelet-side state.
#[derive(Debug)]
pub(crate) struct PodState {
    pub(crate) deleted: bool,
    /// Bumped whenever pending syncs become stale.
    pub(crate) generation: u32,
    pub(crate) sandbox: bool,
    pub(crate) init_done: u16,
    /// Init containers first, then regular containers.
    pub(crate) containers: Vec<ContainerSlot>,
    pub(crate) sync: Option<SyncRun>,
    pub(crate) running_reported: bool,
    /// When every regular container became Ready (`PodReady` was published), while it is.
    pub(crate) ready_since: Option<SimTime>,
    /// `Succeeded` or `Failed` once the pod finished for good.
    pub(crate) terminal: Option<crate::controllers::PodPhase>,
    /// When the sync in progress met a crash-loop back-off, the earliest instant a
    /// container may start again.
    pub(crate) crash_retry: Option<SimTime>,
}

impl PodState {
    pub(crate) fn new(containers: usize) -> PodState {
        PodState {
            deleted: false,
            generation: 0,
            sandbox: false,
            init_done: 0,
            containers: vec![
                ContainerSlot {
                    reason: None,
                    started: None,
                    status: None,
                    queued: false,
                    started_at: SimTime::EPOCH,
                    exits: 0,
                    exited_at: None,
                    image_info: None,
                };
                containers
            ],
            sync: None,
            running_reported: false,
            ready_since: None,
            terminal: None,
            crash_retry: None,
        }
    }
}

/// A sync in progress.
#[derive(Debug)]
pub(crate) struct SyncRun {
    /// The first container slot not yet looked at; the slots still to start after it
    /// are those marked [`ContainerSlot::queued`], in slot order.
    next_slot: u16,
    errors: u16,
    backoff_errors: u16,
    successes: u16,
    started_any: bool,
    stop: bool,
}

/// One pull the image manager started (`EnsureImageExists` waiting on the puller).
#[derive(Debug)]
pub(crate) struct KubeletPull {
    pub(crate) pod: PodId,
    pub(crate) container: ContainerRef,
    pub(crate) node: NodeId,
    pub(crate) image: String,
    /// The image manager's back-off key of `pod` and `image`.
    pub(crate) backoff_key: crate::kubelet::node::PullKey,
    /// What containerd makes of the tagged image string the runtime is asked to pull.
    pub(crate) pull_target: Result<Arc<crate::memo::PullTarget>, String>,
    pub(crate) credentials: crate::memo::Credentials,
    pub(crate) attempt: usize,
    pub(crate) errors: Vec<String>,
    pub(crate) submitted: SimTime,
    pub(crate) started: Option<SimTime>,
    pub(crate) content_hits: u32,
    pub(crate) fetched: u32,
}

/// A container state a status write publishes: the slot, the container, its new state.
pub(crate) type StatusChange = (usize, ContainerRef, ContainerState);

/// What `EnsureImageExists` returned, or that it is waiting on a pull.
pub(crate) enum Ensure {
    Ready(ImageRecord),
    Failed {
        reason: WaitReason,
        message: Arc<str>,
        backoff: bool,
    },
    Pending,
}

impl Sim {
    pub(crate) fn container_index(&self, pod: PodId, container: ContainerRef) -> usize {
        let init = self.api.pods[pod.0 as usize].spec.init_containers.len();
        if container.init {
            usize::from(container.index)
        } else {
            init + usize::from(container.index)
        }
    }

    /// A scheduled sync fires.
    pub(crate) fn sync_event(&mut self, pod: PodId, generation: u32) {
        let record = &self.api.pods[pod.0 as usize];
        let Some(node) = record.node else { return };
        if record.state.deleted
            || record.state.terminal.is_some()
            || record.state.generation != generation
            || record.state.sync.is_some()
            || !self.nodes[node.0 as usize].kubelet.up
        {
            return;
        }
        self.start_sync(pod);
    }

    /// Schedules a sync of `pod` after `delay`, making earlier scheduled syncs stale.
    pub(crate) fn requeue(&mut self, pod: PodId, delay: Duration) {
        let state = &mut self.api.pods[pod.0 as usize].state;
        state.generation = state.generation.wrapping_add(1);
        let generation = state.generation;
        self.queue
            .push(self.now + delay, Event::Sync { pod, generation });
    }

    fn start_sync(&mut self, pod: PodId) {
        debug_assert!(
            self.api.pods[pod.0 as usize].state.sync.is_none(),
            "a pod worker runs one sync at a time: a sync event finding one in progress is dropped"
        );
        self.publish_status(pod);
        let record = &mut self.api.pods[pod.0 as usize];
        let spec = Arc::clone(&record.spec);
        let state = &mut record.state;
        let init_total = spec.init_containers.len();
        let init_done = usize::from(state.init_done);
        let mut any_queued = false;
        for slot in &mut state.containers {
            slot.queued = false;
        }
        if init_done < init_total {
            state.containers[init_done].queued = true;
            any_queued = true;
        } else {
            for index in 0..spec.containers.len() {
                let slot = &mut state.containers[init_total + index];
                if slot.started.is_none() {
                    slot.queued = true;
                    any_queued = true;
                }
            }
        }
        if !any_queued {
            return;
        }
        let record = &self.api.pods[pod.0 as usize];
        let missing: Vec<String> = spec
            .image_pull_secrets
            .iter()
            .filter(|name| {
                !self
                    .api
                    .secrets
                    .contains(self.api.pod_names.namespace(record.namespace), name)
            })
            .cloned()
            .collect();
        if !missing.is_empty() {
            self.record(TraceEvent::Event {
                pod,
                container: None,
                event_type: EventType::Warning,
                reason: "FailedToRetrieveImagePullSecret".to_owned(),
                message: format!(
                    "Unable to retrieve some image pull secrets ({}); attempting to pull the image may not succeed.",
                    missing.join(", ")
                ),
            });
        }
        let state = &mut self.api.pods[pod.0 as usize].state;
        let mut run = SyncRun {
            next_slot: 0,
            errors: 0,
            backoff_errors: 0,
            successes: 0,
            started_any: false,
            stop: false,
        };
        if !state.sandbox {
            // The first sync creates the sandbox: a successful result of this sync.
            state.sandbox = true;
            run.successes += 1;
        }
        state.sync = Some(run);
        self.continue_sync(pod);
    }

    /// Starts containers until one waits on a pull or none is left.
    pub(crate) fn continue_sync(&mut self, pod: PodId) {
        loop {
            let record = &mut self.api.pods[pod.0 as usize];
            let init_total = record.spec.init_containers.len();
            let state = &mut record.state;
            let Some(run) = state.sync.as_mut() else {
                return;
            };
            if run.stop {
                break;
            }
            let slots = &mut state.containers;
            let Some(slot_index) =
                (usize::from(run.next_slot)..slots.len()).find(|&index| slots[index].queued)
            else {
                break;
            };
            slots[slot_index].queued = false;
            run.next_slot = slot_index as u16 + 1;
            let container = ContainerRef::of_slot(slot_index, init_total);
            if let Some(refused) = self.crash_loop_gate(pod, container, slot_index) {
                self.container_started_or_failed(pod, container, refused);
                continue;
            }
            match self.ensure_image(pod, container) {
                Ensure::Pending => return,
                outcome => self.container_started_or_failed(pod, container, outcome),
            }
        }
        self.finish_sync(pod);
    }

    /// Applies `EnsureImageExists`' outcome to the container (the runtime starts it, or
    /// the reason cache records why not).
    pub(crate) fn container_started_or_failed(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        outcome: Ensure,
    ) {
        let slot_index = self.container_index(pod, container);
        let state = &mut self.api.pods[pod.0 as usize].state;
        let Some(run) = state.sync.as_mut() else {
            return;
        };
        match outcome {
            Ensure::Ready(image) => {
                debug_assert!(
                    state.containers[slot_index].started.is_none(),
                    "a container starts once: a sync queues only containers not yet started"
                );
                run.successes += 1;
                run.started_any = true;
                state.containers[slot_index].started = Some(image);
                state.containers[slot_index].reason = None;
                state.containers[slot_index].exited_at = None;
                state.containers[slot_index].started_at = self.now;
                if !container.init {
                    self.schedule_exit(pod, slot_index);
                }
                let state = &mut self.api.pods[pod.0 as usize].state;
                let Some(run) = state.sync.as_mut() else {
                    return;
                };
                if container.init {
                    // One init container per sync; the next starts after it completes.
                    debug_assert_eq!(
                        usize::from(state.init_done),
                        slot_index,
                        "init containers complete in order, one per sync"
                    );
                    state.init_done += 1;
                    run.stop = true;
                }
            }
            Ensure::Failed {
                reason,
                message,
                backoff,
            } => {
                run.errors += 1;
                if backoff {
                    run.backoff_errors += 1;
                }
                state.containers[slot_index].reason = Some((reason, message));
                if container.init {
                    run.stop = true;
                }
            }
            Ensure::Pending => {}
        }
    }

    /// Ends a sync and schedules the next (docs/semantics.md §3.5): after a container started,
    /// at the next PLEG relist; after an error, `Jitter(10s, 0.5)`; otherwise (success, or
    /// only back-off errors) `Jitter(1m, 0.5)`. A pod whose containers all run is not
    /// resynced: its periodic syncs touch no image.
    fn finish_sync(&mut self, pod: PodId) {
        let Some(run) = self.api.pods[pod.0 as usize].state.sync.take() else {
            return;
        };
        if run.started_any {
            self.take_crash_retry(pod);
            let period = self.config.pleg_relist.as_nanos().max(1) as u64;
            let now = self.now.since_epoch().as_nanos() as u64;
            let tick = (now / period + 1) * period;
            let delay = Duration::from_nanos(tick - now);
            self.requeue(pod, delay);
            return;
        }
        let returned_error =
            run.errors > 0 && !(run.errors == run.backoff_errors && run.successes == 0);
        let delay = match (self.config.worker_jitter, returned_error) {
            (WorkerJitter::Fixed { error_requeue, .. }, true) => error_requeue,
            (WorkerJitter::Fixed { resync, .. }, false) => resync,
            (WorkerJitter::Seeded, true) => self.rng.jitter(Duration::from_secs(10), 0.5),
            (WorkerJitter::Seeded, false) => self.rng.jitter(Duration::from_secs(60), 0.5),
        };
        // A crash-loop back-off asks to be retried when its window ends, if that is sooner.
        let delay = match self.take_crash_retry(pod) {
            Some(retry) => delay.min(retry.saturating_since(self.now)),
            None => delay,
        };
        self.requeue(pod, delay);
    }

    /// Writes the pod status from the reason cache and the running containers, recording
    /// every container whose state changed, and `PodRunning` once all regular ones run.
    pub(crate) fn publish_status(&mut self, pod: PodId) {
        let record = &self.api.pods[pod.0 as usize];
        let init_total = record.spec.init_containers.len();
        let init_pending = (record.state.init_done as usize) < init_total;
        // Reused from the previous write (a write that records nothing allocates nothing,
        // and one that does reuses the last one's list).
        let mut changes = std::mem::take(&mut self.status_changes);
        for (slot_index, slot) in record.state.containers.iter().enumerate() {
            let init = slot_index < init_total;
            let default_reason = if !init && init_pending {
                WaitReason::PodInitializing
            } else {
                WaitReason::ContainerCreating
            };
            // Compared in place first: most syncs change nothing, and building the state
            // to compare it copied every waiting message.
            let unchanged = slot.exited_at.is_none()
                && match (&slot.status, &slot.started, &slot.reason) {
                    (Some(ContainerState::Completed), Some(_), _) => init,
                    (Some(ContainerState::Running { image_id, digest }), Some(image), _) => {
                        !init && *image_id == image.image_id && *digest == image.digest
                    }
                    (Some(ContainerState::Waiting { reason, message }), None, Some(cached)) => {
                        *reason == cached.0 && *message == cached.1
                    }
                    (Some(ContainerState::Waiting { reason, message }), None, None) => {
                        *reason == default_reason && message.is_empty()
                    }
                    _ => false,
                };
            if unchanged {
                continue;
            }
            let exited = slot.exited_at.is_some();
            let state = match (&slot.started, &slot.reason) {
                (Some(_), _) if init || exited => ContainerState::Completed,
                (None, None) if exited => ContainerState::Completed,
                (Some(image), _) => ContainerState::Running {
                    image_id: image.image_id,
                    digest: image.digest,
                },
                (None, Some((reason, message))) => ContainerState::Waiting {
                    reason: reason.clone(),
                    message: Arc::clone(message),
                },
                (None, None) => ContainerState::Waiting {
                    reason: default_reason,
                    message: "".into(),
                },
            };
            debug_assert!(
                slot.exits > 0
                    || !matches!(
                        (&slot.status, &state),
                        (
                            Some(ContainerState::Running { .. } | ContainerState::Completed),
                            ContainerState::Waiting { .. }
                        )
                    ),
                "a container's phase only moves forward: once running or completed it never waits again"
            );
            if slot.status.as_ref() != Some(&state) {
                let container = ContainerRef::of_slot(slot_index, init_total);
                changes.push((slot_index, container, state));
            }
        }
        for (slot_index, container, state) in changes.drain(..) {
            self.api.pods[pod.0 as usize].state.containers[slot_index].status = Some(state.clone());
            self.record(TraceEvent::ContainerStatus {
                pod,
                container,
                state,
            });
        }
        self.status_changes = changes;
        let record = &self.api.pods[pod.0 as usize];
        let all_running = record.state.containers[init_total..]
            .iter()
            .all(|slot| slot.started.is_some());
        if all_running && !record.state.running_reported {
            self.api.pods[pod.0 as usize].state.running_reported = true;
            self.publish(ApiChange::PodRunning { pod });
            self.record(TraceEvent::PodRunning { pod });
        }
        self.update_readiness(pod);
    }

    /// A kubelet restart (docs/semantics.md §3.4, 5.4): in-flight pulls are cancelled, the
    /// back-off and reason cache are lost, KEP-2535 records are kept (intents of images now
    /// present become records without credentials), and every pod is synced again once the
    /// kubelet is back after `downtime`.
    pub(crate) fn restart_kubelet(&mut self, node: NodeId, downtime: Duration) {
        self.record(TraceEvent::KubeletRestarted { node });
        for id in self.kubelet_pulls.ids_where(|pull| pull.node == node) {
            self.kubelet_pulls.remove(id);
        }
        self.cancel_runtime_pulls(node);
        let runtime_images = self.runtime_images(node);
        let now = self.now;
        self.nodes[node.0 as usize]
            .kubelet
            .restart(&runtime_images, now);
        for pod in self.api.pods.iter_mut() {
            if pod.node == Some(node) {
                pod.state.sync = None;
                pod.state.generation = pod.state.generation.wrapping_add(1);
                for slot in &mut pod.state.containers {
                    slot.reason = None;
                }
            }
        }
        self.queue.push(now + downtime, Event::KubeletUp(node));
    }

    pub(crate) fn kubelet_up(&mut self, node: NodeId) {
        self.nodes[node.0 as usize].kubelet.up = true;
        let pods: Vec<PodId> = (0..self.api.pods.len())
            .filter(|&index| {
                let pod = &self.api.pods[index];
                pod.node == Some(node) && !pod.state.deleted
            })
            .map(|index| PodId(index as u32))
            .collect();
        for pod in pods {
            self.requeue(pod, Duration::ZERO);
        }
    }
}
