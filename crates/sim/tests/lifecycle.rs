//! What follows a container's start: `runFor` and `restartPolicy` (a pod that succeeds,
//! a container that restarts through the crash-loop back-off and pulls again under
//! `Always`), and readiness delays.

mod common;

use std::time::Duration;

use common::*;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_sim::{ContainerState, RestartPolicy, Sim, SimConfig, TraceEvent, WaitReason};

fn at(sim: &Sim, wanted: impl Fn(&TraceEvent) -> bool) -> Vec<f64> {
    sim.trace()
        .iter()
        .filter(|record| wanted(&record.event))
        .map(|record| record.time.since_epoch().as_secs_f64())
        .collect()
}

#[test]
fn a_pod_that_never_restarts_succeeds_once_its_containers_exit() {
    let mut sim = one_node(SimConfig::default());
    let mut job = pod("once", "registry.example.com/app:v1", None);
    job.spec.restart_policy = RestartPolicy::Never;
    job.spec.run_for = Some(Duration::from_secs(30));
    sim.create_pod(SimTime::EPOCH, job);
    sim.run_until(SimTime::from_secs(300)).unwrap();
    let id = sim.pod_id("default", "once").unwrap();
    let started = at(
        &sim,
        |e| matches!(e, TraceEvent::PodRunning { pod } if *pod == id),
    );
    let succeeded = at(
        &sim,
        |e| matches!(e, TraceEvent::PodSucceeded { pod } if *pod == id),
    );
    assert_eq!(started.len(), 1);
    assert_eq!(succeeded.len(), 1, "once, and the pod worker stops");
    assert!(succeeded[0] >= 30.0 && succeeded[0] < 31.0, "{succeeded:?}");
    let completed = at(
        &sim,
        |e| matches!(e, TraceEvent::ContainerStatus { pod, state: ContainerState::Completed, .. } if *pod == id),
    );
    assert_eq!(
        completed, succeeded,
        "its container shows Completed as it ends"
    );
    assert_eq!(sim.metrics().pulls_started, 1);
}

#[test]
fn an_always_container_restarts_through_the_crash_loop_back_off_and_pulls_again() {
    let mut sim = one_node(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    let mut web = pod(
        "web",
        "registry.example.com/app:v1",
        Some(PullPolicy::Always),
    );
    web.spec.run_for = Some(Duration::from_secs(5));
    sim.create_pod(SimTime::EPOCH, web);
    sim.run_until(SimTime::from_secs(120)).unwrap();
    let id = sim.pod_id("default", "web").unwrap();
    let backoff: Vec<String> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::ContainerStatus {
                pod,
                state:
                    ContainerState::Waiting {
                        reason: WaitReason::CrashLoopBackOff,
                        message,
                    },
                ..
            } if *pod == id => Some(message.to_string()),
            _ => None,
        })
        .collect();
    let uid = sim.pod_uid(id);
    assert_eq!(
        backoff.first().map(String::as_str),
        Some(format!("back-off 10s restarting failed container=c pod=web_default({uid})").as_str()),
        "the second exit, 5 s after the first restart, is inside the 10 s window"
    );
    assert!(
        backoff.iter().any(|m| m.starts_with("back-off 20s ")),
        "the window doubles: {backoff:?}"
    );
    let back_off_events = events(&sim, id)
        .into_iter()
        .filter(|(_, reason, _)| reason == "BackOff")
        .count();
    assert!(back_off_events >= 2);
    // Each start under `Always` goes through EnsureImageExists: one pull per start.
    let starts = at(
        &sim,
        |e| matches!(e, TraceEvent::ContainerStatus { pod, state: ContainerState::Running { .. }, .. } if *pod == id),
    );
    assert!(starts.len() >= 3, "{starts:?}");
    assert_eq!(sim.metrics().pulls_started, starts.len() as u64);
    assert!(at(&sim, |e| matches!(e, TraceEvent::PodSucceeded { .. })).is_empty());
}

#[test]
fn a_container_that_runs_longer_than_twice_the_cap_restarts_at_once_every_time() {
    let mut sim = one_node(SimConfig::default());
    let mut web = pod("web", "registry.example.com/app:v1", None);
    web.spec.run_for = Some(Duration::from_secs(700));
    sim.create_pod(SimTime::EPOCH, web);
    sim.run_until(SimTime::from_secs(3000)).unwrap();
    let id = sim.pod_id("default", "web").unwrap();
    let crash_loops = at(
        &sim,
        |e| matches!(e, TraceEvent::ContainerStatus { pod, state: ContainerState::Waiting { reason: WaitReason::CrashLoopBackOff, .. }, .. } if *pod == id),
    );
    assert!(crash_loops.is_empty(), "{crash_loops:?}");
    let starts = at(
        &sim,
        |e| matches!(e, TraceEvent::ContainerStatus { pod, state: ContainerState::Running { .. }, .. } if *pod == id),
    );
    assert_eq!(starts.len(), 5, "{starts:?}");
    assert_eq!(
        sim.metrics().pulls_avoided,
        4,
        "IfNotPresent: the image is there"
    );
}

#[test]
fn a_succeeded_pod_counts_as_completed_in_the_series() {
    let mut sim = one_node(SimConfig::default());
    let mut job = pod("once", "registry.example.com/app:v1", None);
    job.spec.restart_policy = RestartPolicy::OnFailure;
    job.spec.run_for = Some(Duration::from_secs(90));
    sim.create_pod(SimTime::EPOCH, job);
    sim.run_until(SimTime::from_secs(181)).unwrap();
    let samples = sim.metrics().pods_by_state;
    let states: Vec<Vec<(&str, u32)>> = samples.iter().map(|s| s.nonzero().collect()).collect();
    assert_eq!(states[1], [("Running", 1)], "{states:?}");
    assert_eq!(states[2], [("Completed", 1)], "{states:?}");
    assert_eq!(states[3], [("Completed", 1)], "{states:?}");
}
