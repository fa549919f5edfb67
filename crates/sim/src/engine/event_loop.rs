//! The event loop: what the queue holds, one step (the limits checked first), the run
//! helpers, and the dispatch of each event to the part of the cluster it is for.

use pullsim_model::SimTime;

use crate::apiserver::controllers::ControllerId;
use crate::error::SimError;
use crate::sim::Sim;
use crate::timeline::Action;
use crate::trace::{HostId, NodeId, PodId};

use super::Key;

/// What the queue holds. Payloads are ids (or boxed, for the rare large ones) so the
/// queue stays small and cache-friendly.
#[derive(Debug)]
pub(crate) enum Event {
    /// A timeline action (pod creation included) takes effect.
    Action(Box<Action>),
    /// A workload's replica is due to be replaced.
    ReplaceReplica(PodId),
    /// A pod worker sync; stale when the generation moved on.
    Sync { pod: PodId, generation: u32 },
    /// A request reaches its registry.
    Arrive(Key),
    /// A response's headers reach the node.
    Respond(Key),
    /// A link may have finished transfers; stale when the version moved on.
    LinkCheck {
        node: NodeId,
        host: HostId,
        version: u32,
    },
    /// A container's `runFor` is over; stale when it exited or restarted since.
    ContainerExit { pod: PodId, slot: u16, exits: u32 },
    /// A pod's readiness delay may have passed.
    ReadinessCheck(PodId),
    /// A restarted kubelet is up again.
    KubeletUp(NodeId),
    /// A workload controller syncs (queued once while pending).
    ControllerSync(ControllerId),
    /// A workload controller's wake-up; stale when it no longer wants this instant.
    ControllerWakeup(ControllerId),
    /// A registry outage is over (not a timeline action: it does not hold a run open).
    OutageEnded {
        host: HostId,
        kind: crate::timeline::OutageKind,
    },
    /// A credential-provider plugin's exec ends (answers, exits or times out).
    PluginExecDone(Key),
}

impl Sim {
    /// Schedules a timeline action at `at`.
    pub fn schedule(&mut self, at: SimTime, action: Action) {
        self.actions_pending += 1;
        self.queue
            .push(at.max(self.now), Event::Action(Box::new(action)));
    }

    /// Processes the next event. Returns `Ok(false)` when nothing is left to do.
    pub fn step(&mut self) -> Result<bool, SimError> {
        let Some(at) = self.queue.peek_time() else {
            return Ok(false);
        };
        if at.since_epoch() > self.config.limits.time_max {
            return Err(SimError::TimeLimit {
                limit: self.config.limits.time_max,
                at,
                seed: self.config.seed,
            });
        }
        if self.events_processed >= self.config.limits.events_max {
            return Err(SimError::EventLimit {
                limit: self.config.limits.events_max,
                at: self.now,
                seed: self.config.seed,
            });
        }
        let Some((at, event)) = self.queue.pop() else {
            return Ok(false);
        };
        self.now = at;
        self.events_processed += 1;
        self.dispatch(event)?;
        Ok(true)
    }

    /// Runs every event due at or before `until`, then sets the clock to `until`.
    pub fn run_until(&mut self, until: SimTime) -> Result<(), SimError> {
        while self.queue.peek_time().is_some_and(|at| at <= until) {
            self.step()?;
        }
        self.now = self.now.max(until);
        self.metrics.advance(self.now);
        Ok(())
    }

    /// Runs until no event is left (pods in back-off keep syncing, so this ends only when
    /// every pod is running, or at a limit).
    pub fn run_until_idle(&mut self) -> Result<(), SimError> {
        while self.step()? {}
        self.metrics.advance(self.now);
        Ok(())
    }

    /// Runs until the first instant at which every timeline action (pod and workload
    /// creations included) has taken effect, every pod that exists is Running or finished
    /// (Succeeded or Failed), and every workload controller is settled (no sync queued,
    /// no pods it still means to create: a Job between batches, a rollout not complete),
    /// checked once all events of an instant are processed; or, when that never happens,
    /// until `limit`. Returns whether the run settled; a run that stops at `limit` leaves
    /// the clock there.
    ///
    /// Pods that exist are those created and not deleted: a pod refused by admission never
    /// existed, and a deleted one no longer counts. A pod no node can take is not Running.
    pub fn run_until_all_running(&mut self, limit: SimTime) -> Result<bool, SimError> {
        // Pods before `settled` are Running or deleted. Both only ever become true and pods
        // are only appended, so the cursor never moves back: the check costs each pod once
        // over the run instead of every pod at every instant (quadratic in a fleet in
        // back-off, where nearly every instant is one pod's sync).
        let mut settled = 0;
        loop {
            while settled < self.api.pods.len() && {
                let state = &self.api.pods[settled].state;
                state.deleted || state.running_reported || state.terminal.is_some()
            } {
                settled += 1;
            }
            debug_assert_eq!(
                settled == self.api.pods.len(),
                self.all_pods_settled(),
                "the cursor agrees with the scan it replaces"
            );
            if self.actions_pending == 0
                && settled == self.api.pods.len()
                && self.api.controllers.settled()
            {
                self.metrics.advance(self.now);
                return Ok(true);
            }
            let Some(at) = self.queue.peek_time().filter(|at| *at <= limit) else {
                self.run_until(limit)?;
                return Ok(false);
            };
            while self.queue.peek_time() == Some(at) {
                self.step()?;
            }
        }
    }

    /// How many timeline actions (pod and workload creations included) are queued and not
    /// yet applied.
    pub fn actions_pending(&self) -> u64 {
        self.actions_pending
    }

    fn dispatch(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::Action(action) => {
                self.actions_pending -= 1;
                self.apply(*action)?;
            }
            Event::ReplaceReplica(pod) => self.replace_replica(pod),
            Event::Sync { pod, generation } => self.sync_event(pod, generation),
            Event::Arrive(exchange) => self.arrive(exchange),
            Event::Respond(exchange) => self.respond(exchange),
            Event::LinkCheck {
                node,
                host,
                version,
            } => self.link_check(node, host, version),
            Event::KubeletUp(node) => self.kubelet_up(node),
            Event::ContainerExit { pod, slot, exits } => {
                self.container_exited(pod, usize::from(slot), exits);
            }
            Event::ReadinessCheck(pod) => self.update_readiness(pod),
            Event::OutageEnded { host, kind } => self.outage_ended(host, kind),
            Event::PluginExecDone(flight) => self.plugin_exec_done(flight),
            Event::ControllerSync(controller) => self.controller_sync(controller),
            Event::ControllerWakeup(controller) => self.controller_wakeup(controller),
        }
        Ok(())
    }
}
