//! What happens to a pod after its containers start: readiness and the end of a
//! container's run (docs/semantics.md §10.8).
//!
//! - Readiness: a regular container is Ready `readinessProbe.initialDelaySeconds` after it
//!   starts running (at once without a probe); the pod is Ready when every regular container
//!   runs and is Ready (`PodReady`), and stops being Ready when one exits (`PodUnready`).
//! - `runFor` (a scenario addition, `PodSpec::run_for`): each regular container exits 0 that
//!   long after it started. `restartPolicy` decides the rest: `Always` starts it again at the
//!   next sync, through the crash-loop back-off (`doBackOff` in kuberuntime_manager.go:
//!   `IsInBackOffSince(key, finishedAt)`, then `Next`), and through `EnsureImageExists`
//!   again, so an `Always` pull policy pulls again; `OnFailure` and `Never` leave it
//!   exited, and once every regular container has exited the pod is `Succeeded`.

use std::time::Duration;

use pullsim_model::go_fmt::GoDuration;
use pullsim_model::pull::EventType;
use pullsim_model::{Backoff, SimTime};

use crate::api::{ContainerRef, RestartPolicy};
use crate::apiserver::names::PodUid;
use crate::apiserver::watch::ApiChange;
use crate::controllers::PodPhase;
use crate::engine::Event;
use crate::kubelet::Ensure;
use crate::sim::Sim;
use crate::trace::{PodId, TraceEvent, WaitReason};

impl Sim {
    /// A regular container just started: its exit is due `runFor` from now.
    pub(crate) fn schedule_exit(&mut self, pod: PodId, slot: usize) {
        let record = &self.api.pods[pod.0 as usize];
        let Some(run_for) = record.spec.run_for else {
            return;
        };
        let exits = record.state.containers[slot].exits;
        self.queue.push(
            self.now + run_for,
            Event::ContainerExit {
                pod,
                slot: slot as u16,
                exits,
            },
        );
    }

    /// A container's run ends (exit code 0). Stale when the pod is gone or finished, or the
    /// container exited or restarted since.
    pub(crate) fn container_exited(&mut self, pod: PodId, slot: usize, exits: u32) {
        let now = self.now;
        let record = &mut self.api.pods[pod.0 as usize];
        if record.state.deleted || record.state.terminal.is_some() {
            return;
        }
        let restart_policy = record.spec.restart_policy;
        let init_total = record.spec.init_containers.len();
        let Some(container) = record.state.containers.get_mut(slot) else {
            return;
        };
        if container.exits != exits || !container.is_running() {
            return;
        }
        container.exits += 1;
        container.exited_at = Some(now);
        if restart_policy == RestartPolicy::Always {
            // Started again by the next sync, which the PLEG relist sees the exit in.
            container.started = None;
        }
        let state = &mut record.state;
        let all_exited = state.containers[init_total..]
            .iter()
            .all(|slot| slot.exited_at.is_some());
        if state.ready_since.take().is_some() {
            self.publish(ApiChange::PodUnready { pod });
        }
        if restart_policy != RestartPolicy::Always && all_exited {
            self.pod_succeeded(pod);
            return;
        }
        let period = self.config.pleg_relist.as_nanos().max(1) as u64;
        let at = now.since_epoch().as_nanos() as u64;
        let tick = (at / period + 1) * period;
        if self.api.pods[pod.0 as usize].state.sync.is_none() {
            self.requeue(pod, Duration::from_nanos(tick - at));
        }
    }

    /// Every regular container exited 0 and none restarts: the pod is `Succeeded`, its status
    /// written one last time, and its worker stops.
    fn pod_succeeded(&mut self, pod: PodId) {
        self.publish_status(pod);
        let state = &mut self.api.pods[pod.0 as usize].state;
        state.terminal = Some(PodPhase::Succeeded);
        state.sync = None;
        state.generation = state.generation.wrapping_add(1);
        self.publish(ApiChange::PodSucceeded { pod });
        self.record(TraceEvent::PodSucceeded { pod });
    }

    /// The crash-loop back-off before a container that exited is started again: `None`
    /// lets the start go ahead (and advances the back-off, `Next`), `Some` is the
    /// `CrashLoopBackOff` failure while the window since its exit is open.
    pub(crate) fn crash_loop_gate(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        slot: usize,
    ) -> Option<Ensure> {
        let now = self.now;
        let record = &self.api.pods[pod.0 as usize];
        let finished = record.state.containers[slot].exited_at?;
        let node = record.node?;
        let name = container.in_spec(&record.spec)?.name.clone();
        let uid = PodUid::of(pod);
        let namespace = self.pod_namespace(pod).to_owned();
        let pod_name = self.pod_name(pod).to_string();
        // `getStableKey`: the pod's name, namespace and UID and the container's name.
        let key = format!("{pod_name}_{namespace}_{}_{name}", uid.as_str());
        let kubelet = &mut self.nodes[node.0 as usize].kubelet;
        if !kubelet
            .crash_backoff
            .is_in_backoff_since(&key, finished, now)
        {
            kubelet.crash_backoff.next_since(&key, finished, now);
            return None;
        }
        let window = kubelet
            .crash_backoff
            .get(&key)
            .unwrap_or(Backoff::CRASH_LOOP_INITIAL);
        // `format.Pod`: `name_namespace(uid)`.
        let subject = format!("{pod_name}_{namespace}({})", uid.as_str());
        if self.keeps_events() {
            let path = container.field_path(&self.api.pods[pod.0 as usize].spec);
            self.record(TraceEvent::Event {
                pod,
                container: Some(path),
                event_type: EventType::Warning,
                reason: "BackOff".to_owned(),
                message: format!("Back-off restarting failed container {name} in pod {subject}"),
            });
        }
        let retry = finished + window;
        let state = &mut self.api.pods[pod.0 as usize].state;
        state.crash_retry = Some(state.crash_retry.map_or(retry, |at| at.min(retry)));
        Some(Ensure::Failed {
            reason: WaitReason::CrashLoopBackOff,
            message: format!(
                "back-off {} restarting failed container={name} pod={subject}",
                GoDuration::from_std(window)
            )
            .into(),
            backoff: true,
        })
    }

    /// After a status write, and when a readiness delay has passed (`ReadinessCheck`): a pod
    /// whose regular containers all run becomes Ready at the
    /// latest of their starts plus their readiness delays (now, or at a readiness check).
    pub(crate) fn update_readiness(&mut self, pod: PodId) {
        let record = &self.api.pods[pod.0 as usize];
        let state = &record.state;
        if state.ready_since.is_some() || state.terminal.is_some() || state.deleted {
            return;
        }
        let init_total = record.spec.init_containers.len();
        let slots = &state.containers[init_total..];
        if slots.is_empty()
            || !slots
                .iter()
                .all(super::pod_workers::ContainerSlot::is_running)
        {
            return;
        }
        let ready_at = slots
            .iter()
            .zip(&record.spec.containers)
            .map(|(slot, container)| {
                slot.started_at + container.readiness_delay.unwrap_or(Duration::ZERO)
            })
            .max()
            .unwrap_or(self.now);
        if ready_at <= self.now {
            self.api.pods[pod.0 as usize].state.ready_since = Some(self.now);
            self.publish(ApiChange::PodReady { pod });
        } else {
            self.queue.push(ready_at, Event::ReadinessCheck(pod));
        }
    }

    /// When a sync that met only a crash-loop back-off should run again: at the earliest
    /// window's end (KEP-4603's requeue at the back-off's expiry), taken once.
    pub(crate) fn take_crash_retry(&mut self, pod: PodId) -> Option<SimTime> {
        self.api.pods[pod.0 as usize].state.crash_retry.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Container, Pod};
    use crate::config::SimConfig;

    fn world() -> Sim {
        crate::test_world::one_app_world(SimConfig::default())
    }

    fn web(delays: &[Option<u64>]) -> Pod {
        let containers = delays
            .iter()
            .enumerate()
            .map(|(index, delay)| Container {
                readiness_delay: delay.map(Duration::from_secs),
                ..Container::new(format!("c{index}"), "registry.example.com/app:v1")
            })
            .collect();
        Pod::new("web", containers)
    }

    fn ready_since(sim: &Sim) -> Option<SimTime> {
        let pod = sim.pod_id("default", "web").expect("created");
        sim.pod_ready_since(pod)
    }

    #[test]
    fn a_pod_is_ready_when_its_slowest_probe_delay_has_passed() {
        let mut sim = world();
        sim.create_pod(SimTime::EPOCH, web(&[Some(20), None, Some(5)]));
        sim.run_until(SimTime::from_secs(19)).unwrap();
        let pod = sim.pod_id("default", "web").expect("created");
        assert_eq!(sim.pod_phase(pod), PodPhase::Running);
        assert_eq!(ready_since(&sim), None, "c0's 20 s delay has not passed");
        sim.run_until(SimTime::from_secs(40)).unwrap();
        let started = sim.api.pods[pod.0 as usize].state.containers[0].started_at;
        assert_eq!(
            ready_since(&sim),
            Some(started + Duration::from_secs(20)),
            "Ready exactly at c0's start plus its delay"
        );
    }

    #[test]
    fn without_probes_a_pod_is_ready_as_it_runs_and_unready_when_a_container_exits() {
        let mut sim = world();
        let mut pod = web(&[None]);
        pod.spec.run_for = Some(Duration::from_secs(30));
        sim.create_pod(SimTime::EPOCH, pod);
        sim.run_until(SimTime::from_secs(29)).unwrap();
        let id = sim.pod_id("default", "web").expect("created");
        let ready = ready_since(&sim).expect("ready once running");
        assert!(sim.pod_phase(id) == PodPhase::Running);
        let started = sim.api.pods[id.0 as usize].state.containers[0].started_at;
        assert!(ready >= started);
        sim.run_until(
            SimTime::from_secs(30) + Duration::from_millis(1) + (started - SimTime::EPOCH),
        )
        .unwrap();
        assert_eq!(ready_since(&sim), None, "the exit ends readiness");
        // `Always`: it restarts at the next relist and is Ready again.
        sim.run_until(SimTime::from_secs(45)).unwrap();
        assert!(ready_since(&sim).is_some_and(|again| again > ready));
    }
}
