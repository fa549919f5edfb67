//! docs/semantics.md §3.5's worked example, to the second: an `IfNotPresent` image that is
//! absent and whose every pull fails, with the pod worker's jitter fixed at J10 = 12 s and
//! J60 = 75 s. Pulls fail (10, 20, 40, 80, 160, 300 s windows), back-off syncs alternate,
//! and the status shown lags one sync, as the kubelet writes it before acting.

mod common;

use common::*;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_sim::{ContainerState, SimConfig, TraceEvent};

const IMAGE: &str = "registry.example.com/app:missing";

#[test]
fn backoff_table_of_section_3_5() {
    let mut sim = one_node(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    sim.create_pod(
        SimTime::EPOCH,
        pod("web", IMAGE, Some(PullPolicy::IfNotPresent)),
    );
    sim.run_until(SimTime::from_secs(440)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();

    // (sync time, what the sync did)
    let mut syncs: Vec<(u64, &str)> = Vec::new();
    for (time, reason, message) in events(&sim, pod) {
        let at = time as u64;
        match (reason.as_str(), message.as_str()) {
            ("Pulling", _) => syncs.push((at, "pull fails")),
            ("BackOff", _) => syncs.push((at, "back-off")),
            _ => {}
        }
    }
    assert_eq!(
        syncs,
        [
            (0, "pull fails"),
            (12, "pull fails"),
            (24, "back-off"),
            (99, "pull fails"),
            (111, "back-off"),
            (186, "pull fails"),
            (198, "back-off"),
            (273, "pull fails"),
            (285, "back-off"),
            (360, "back-off"),
            (435, "pull fails"),
        ]
    );

    let failing = [
        "Pulling: Pulling image \"registry.example.com/app:missing\"",
        "Failed: Failed to pull image \"registry.example.com/app:missing\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/app:missing\": failed to resolve reference \"registry.example.com/app:missing\": registry.example.com/app:missing: not found",
        "Failed: Error: ErrImagePull",
    ];
    let backing_off = [
        "BackOff: Back-off pulling image \"registry.example.com/app:missing\"",
        "Failed: Error: ImagePullBackOff",
    ];
    let at = |second: f64| -> Vec<String> {
        events(&sim, pod)
            .into_iter()
            .filter(|(time, _, _)| *time == second)
            .map(|(_, reason, message)| format!("{reason}: {message}"))
            .collect()
    };
    assert_eq!(at(0.0), failing);
    assert_eq!(at(24.0), backing_off);
    assert_eq!(at(435.0), failing);

    // The status the API shows: written at the start of each sync from the previous
    // sync's outcome.
    let statuses: Vec<(u64, String)> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::ContainerStatus { pod: p, state, .. } if *p == pod => Some((
                record.time.since_epoch().as_secs(),
                format!("{state:?}")
                    .split(',')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            )),
            _ => None,
        })
        .collect();
    let reasons: Vec<(u64, &str)> = statuses
        .iter()
        .map(|(time, text)| {
            let reason = ["ContainerCreating", "ErrImagePull", "ImagePullBackOff"]
                .into_iter()
                .find(|r| text.contains(r))
                .unwrap_or("?");
            (*time, reason)
        })
        .collect();
    assert_eq!(
        reasons,
        [
            (0, "ContainerCreating"),
            (12, "ErrImagePull"),
            (99, "ImagePullBackOff"),
            (111, "ErrImagePull"),
            (186, "ImagePullBackOff"),
            (198, "ErrImagePull"),
            (273, "ImagePullBackOff"),
            (285, "ErrImagePull"),
            (360, "ImagePullBackOff"),
        ]
    );
}

/// The back-off waiting message carries the stored error of the last failed pull
/// (mainline); the `BackOff` event itself does not.
#[test]
fn backoff_message_carries_the_previous_error() {
    let mut sim = one_node(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    sim.create_pod(
        SimTime::EPOCH,
        pod("web", IMAGE, Some(PullPolicy::IfNotPresent)),
    );
    sim.run_until(SimTime::from_secs(100)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();
    let waiting = sim.trace().iter().find_map(|record| match &record.event {
        TraceEvent::ContainerStatus {
            pod: p,
            state: ContainerState::Waiting { reason, message },
            ..
        } if *p == pod && reason.to_string() == "ImagePullBackOff" => {
            Some((record.time, message.to_string()))
        }
        _ => None,
    });
    assert_eq!(
        waiting,
        Some((
            SimTime::from_secs(99),
            "Back-off pulling image \"registry.example.com/app:missing\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/app:missing\": failed to resolve reference \"registry.example.com/app:missing\": registry.example.com/app:missing: not found".to_owned()
        ))
    );
}
