//! docs/semantics.md §3.7, the decision matrix of one `EnsureImageExists`, row by row through the
//! whole simulator: the registry requests it causes (CRI `PullImage` means a resolve at
//! least; `ImageStatus` costs none), the events in order, and the container's outcome.
//! Rows "in back-off" look at the third sync (24 s with J10 fixed at 12 s: the second
//! failure opened a 20 s window at 12 s). The "ImageStatus returns an error" row has no
//! counterpart: the simulated runtime's image store never fails.

mod common;

use common::*;
use pullsim_model::{CredentialVerification, PullPolicy, SimTime, VerificationPolicy};
use pullsim_sim::{SimConfig, TraceEvent};

const PUBLIC: &str = "registry.example.com/app:v1";
const MISSING: &str = "registry.example.com/app:missing";
const PRIVATE: &str = "registry.example.com/private/app:v1";

struct Row {
    name: &'static str,
    policy: PullPolicy,
    image: &'static str,
    prepulled: bool,
    verify: Option<VerificationPolicy>,
    /// The sync to look at: 0 s (first) or 24 s (third).
    at_secs: u64,
    requests: bool,
    events: &'static [&'static str],
    running: bool,
}

fn check(rows: &[Row]) {
    for row in rows {
        let mut pool = pool("node", 1);
        if row.prepulled {
            pool.prepulled = vec![row.image.to_owned()];
        }
        if let Some(policy) = row.verify {
            pool.kubelet.ensure_secret_pulled_images = true;
            pool.kubelet.verification = CredentialVerification::new(policy);
        }
        let mut sim = pullsim_sim::Sim::new(SimConfig {
            worker_jitter: example_jitter(),
            ..SimConfig::default()
        });
        sim.add_registry(HOST, registry(Default::default()))
            .unwrap();
        sim.add_node_pool(pool).unwrap();
        sim.create_pod(SimTime::EPOCH, pod("p", row.image, Some(row.policy)));
        sim.run_until(SimTime::from_secs(row.at_secs)).unwrap();
        let pod = sim.pod_id("default", "p").unwrap();
        let at = row.at_secs as f64;
        let events: Vec<String> = events(&sim, pod)
            .into_iter()
            .filter(|(time, _, _)| *time == at)
            .map(|(_, reason, message)| format!("{reason}: {message}"))
            .collect();
        let requests_then = sim
            .trace()
            .iter()
            .filter(|r| {
                r.time == SimTime::from_secs(row.at_secs)
                    && matches!(r.event, TraceEvent::Registry { .. })
            })
            .count();
        let matches = events.len() == row.events.len()
            && events
                .iter()
                .zip(row.events)
                .all(|(got, want)| got.starts_with(want));
        assert!(matches, "{}: {events:#?}", row.name);
        assert_eq!(requests_then > 0, row.requests, "{}: requests", row.name);
        sim.run_until(SimTime::from_secs(row.at_secs + 1)).unwrap();
        assert_eq!(running(&sim, pod), row.running, "{}: running", row.name);
    }
}

#[test]
fn decision_matrix_of_section_3_7() {
    use PullPolicy::*;
    let pulled = &[
        "Pulling: Pulling image \"registry.example.com/app:v1\"",
        "Pulled: Successfully pulled image \"registry.exa",
    ][..];
    let backoff = &[
        "BackOff: Back-off pulling image \"registry.example",
        "Failed: Error: ImagePullBackOff",
    ][..];
    let denied = &[
        "Pulling: Pulling image \"registry.example.com/priv",
        "Failed: Failed to pull image \"registry.example.c",
        "Failed: Error: ErrImagePull",
    ][..];
    check(&[
        Row {
            name: "Always, not in back-off, pull succeeds",
            policy: Always,
            image: PUBLIC,
            prepulled: true,
            verify: None,
            at_secs: 0,
            requests: true,
            events: pulled,
            running: true,
        },
        Row {
            name: "Always, not in back-off, pull fails",
            policy: Always,
            image: MISSING,
            prepulled: false,
            verify: None,
            at_secs: 0,
            requests: true,
            events: &[
                "Pulling: Pulling image \"registry.example.com/app:mi",
                "Failed: Failed to pull image \"registry.example.c",
                "Failed: Error: ErrImagePull",
            ],
            running: false,
        },
        Row {
            name: "Always, in back-off",
            policy: Always,
            image: MISSING,
            prepulled: false,
            verify: None,
            at_secs: 24,
            requests: false,
            events: backoff,
            running: false,
        },
        Row {
            name: "IfNotPresent, present, no verification (gate off)",
            policy: IfNotPresent,
            image: PUBLIC,
            prepulled: true,
            verify: None,
            at_secs: 0,
            requests: false,
            events: &["Pulled: Container image \"registry.example.com/a"],
            running: true,
        },
        Row {
            name: "IfNotPresent, present, gate on, pre-loaded image trusted",
            policy: IfNotPresent,
            image: PRIVATE,
            prepulled: true,
            verify: Some(VerificationPolicy::NeverVerifyPreloadedImages),
            at_secs: 0,
            requests: false,
            events: &["Pulled: Container image \"registry.example.com/p"],
            running: true,
        },
        Row {
            name: "IfNotPresent, present, verification needed, not in back-off",
            policy: IfNotPresent,
            image: PRIVATE,
            prepulled: true,
            verify: Some(VerificationPolicy::AlwaysVerify),
            at_secs: 0,
            requests: true,
            events: denied,
            running: false,
        },
        Row {
            name: "IfNotPresent, present, verification needed, in back-off",
            policy: IfNotPresent,
            image: PRIVATE,
            prepulled: true,
            verify: Some(VerificationPolicy::AlwaysVerify),
            at_secs: 24,
            requests: false,
            events: &[
                "BackOff: Back-off pulling image \"registry.example",
                "Failed: Error: ImagePullBackOff",
            ],
            running: false,
        },
        Row {
            name: "IfNotPresent, absent, not in back-off",
            policy: IfNotPresent,
            image: PUBLIC,
            prepulled: false,
            verify: None,
            at_secs: 0,
            requests: true,
            events: pulled,
            running: true,
        },
        Row {
            name: "IfNotPresent, absent, in back-off",
            policy: IfNotPresent,
            image: MISSING,
            prepulled: false,
            verify: None,
            at_secs: 24,
            requests: false,
            events: backoff,
            running: false,
        },
        Row {
            name: "Never, present, no verification",
            policy: Never,
            image: PUBLIC,
            prepulled: true,
            verify: None,
            at_secs: 0,
            requests: false,
            events: &["Pulled: Container image \"registry.example.com/a"],
            running: true,
        },
        Row {
            name: "Never, present, verification needed",
            policy: Never,
            image: PRIVATE,
            prepulled: true,
            verify: Some(VerificationPolicy::AlwaysVerify),
            at_secs: 0,
            requests: false,
            events: &[
                "ErrImageNeverPull: Container image \"registry.example.com/p",
                "Failed: Error: ErrImageNeverPull",
            ],
            running: false,
        },
        Row {
            name: "Never, absent",
            policy: Never,
            image: PUBLIC,
            prepulled: false,
            verify: None,
            at_secs: 0,
            requests: false,
            events: &[
                "ErrImageNeverPull: Container image \"registry.example.com/a",
                "Failed: Error: ErrImageNeverPull",
            ],
            running: false,
        },
        Row {
            name: "unparseable image",
            policy: IfNotPresent,
            image: "registry.example.com/App:v1",
            prepulled: false,
            verify: None,
            at_secs: 0,
            requests: false,
            events: &[
                "InspectFailed: Failed to apply default image tag \"regist",
                "Failed: Error: InvalidImageName",
            ],
            running: false,
        },
    ]);
}

/// The full texts of the present-image rows (gate off and on) and of `Never`.
#[test]
fn present_and_never_messages_are_the_kubelets() {
    let mut pool = pool("node", 1);
    pool.prepulled = vec![PUBLIC.to_owned()];
    pool.kubelet.ensure_secret_pulled_images = true;
    let mut sim = pullsim_sim::Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    sim.add_node_pool(pool).unwrap();
    sim.create_pod(
        SimTime::EPOCH,
        pod("a", PUBLIC, Some(PullPolicy::IfNotPresent)),
    );
    sim.create_pod(
        SimTime::EPOCH,
        pod("b", "registry.example.com/app:v9", Some(PullPolicy::Never)),
    );
    sim.run_until(SimTime::from_secs(1)).unwrap();
    let a = sim.pod_id("default", "a").unwrap();
    let b = sim.pod_id("default", "b").unwrap();
    assert_eq!(
        events(&sim, a)[0].2,
        "Container image \"registry.example.com/app:v1\" already present on machine and can be accessed by the pod"
    );
    assert_eq!(
        events(&sim, b)[0].2,
        "Container image \"registry.example.com/app:v9\" is not present with pull policy of Never"
    );
}
