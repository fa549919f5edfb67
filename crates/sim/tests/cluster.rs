//! Cluster-level behaviour: outages and the retry wave after them, tag drift and digest
//! pinning, kubelet restarts, ServiceAccount pull secrets, scheduling, and what `Always`
//! costs when nothing changed.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_registry::ImageSpec;
use pullsim_sim::{
    Action, AdmissionConfig, DigestPinning, FailurePolicy, NodePool, OutageKind, ServiceAccount,
    Sim, SimConfig, TraceEvent, Workload,
};

/// A default simulator with the common registry at `HOST` and one node pool.
fn world(nodes: NodePool) -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    sim.add_node_pool(nodes).unwrap();
    sim
}

fn workload(image: &str, replicas: u32) -> Workload {
    let mut template = pod("web", image, Some(PullPolicy::IfNotPresent));
    template.spec.node_name = None;
    Workload {
        name: "web".to_owned(),
        template,
        replicas,
        replace_every: None,
    }
}

#[test]
fn an_outage_fails_pulls_and_the_end_brings_a_retry_wave() {
    let mut sim = world(pool("node", 50));
    sim.schedule(
        SimTime::EPOCH,
        Action::Outage {
            host: HOST.to_owned(),
            duration: Duration::from_secs(120),
            kind: OutageKind::Status(503),
        },
    );
    sim.add_workload(
        SimTime::from_secs(1),
        workload("registry.example.com/app:v1", 50),
    );
    sim.run_until(SimTime::from_secs(600)).unwrap();
    let metrics = sim.metrics();
    assert_eq!(metrics.pulls_succeeded, 50);
    assert!(metrics.pulls_failed >= 50);
    assert!(metrics.pods.iter().all(|p| {
        p.time_to_running
            .is_some_and(|t| t >= Duration::from_secs(119))
    }));
    let peak = metrics.peak_requests_per_second.unwrap();
    assert!(peak.requests >= 50, "{peak:?}");
    assert!(metrics.pods_in_backoff.iter().any(|(_, count)| *count > 0));
    assert_eq!(metrics.pods_in_backoff.last().map(|(_, c)| *c), Some(0));
    let web0 = sim.pod_id("default", "web-0").unwrap();
    let failed = events(&sim, web0)
        .into_iter()
        .find(|(_, reason, m)| reason == "Failed" && m.starts_with("Failed to pull"))
        .map(|(_, _, m)| m)
        .unwrap();
    assert_eq!(
        failed,
        "Failed to pull image \"registry.example.com/app:v1\": failed to pull and unpack image \"registry.example.com/app:v1\": failed to resolve reference \"registry.example.com/app:v1\": unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/v1: 503 Service Unavailable"
    );
}

#[test]
fn an_unreachable_registry_refuses_connections() {
    let mut sim = one_node(SimConfig::default());
    sim.schedule(
        SimTime::EPOCH,
        Action::Outage {
            host: HOST.to_owned(),
            duration: Duration::from_secs(60),
            kind: OutageKind::Unreachable,
        },
    );
    sim.create_pod(
        SimTime::EPOCH,
        pod("web", "registry.example.com/app:v1", None),
    );
    sim.run_until(SimTime::from_secs(1)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();
    assert!(events(&sim, pod).iter().any(|(_, _, m)| m.ends_with(
        "failed to resolve reference \"registry.example.com/app:v1\": failed to do request: Head \"https://registry.example.com/v2/app/manifests/v1\": dial tcp registry.example.com:443: connect: connection refused"
    )));
    assert!(requests(&sim).is_empty());
}

/// A tag re-pushed while replicas churn: with `Always`, each replacement after the push
/// runs the new build while the others still run the old one, so the workload runs two
/// digests until the last old replica is replaced; the digest-pinning webhook pins the
/// workload's template once, so every replica runs one digest.
#[test]
fn tag_drift_and_digest_pinning() {
    for pinning in [false, true] {
        let mut sim = Sim::new(SimConfig {
            admission: AdmissionConfig {
                digest_pinning: pinning.then_some(DigestPinning {
                    failure_policy: FailurePolicy::Fail,
                }),
                ..AdmissionConfig::default()
            },
            ..SimConfig::default()
        });
        sim.add_registry(HOST, registry(Default::default()))
            .unwrap();
        sim.add_node_pool(pool("node", 2)).unwrap();
        let mut web = workload("registry.example.com/app:v1", 2);
        web.template.spec.containers[0].image_pull_policy = Some(PullPolicy::Always);
        web.replace_every = Some(Duration::from_secs(100));
        sim.add_workload(SimTime::EPOCH, web);
        sim.schedule(
            SimTime::from_secs(30),
            Action::PushBuild {
                host: HOST.to_owned(),
                image: ImageSpec {
                    build: 2,
                    ..ImageSpec::new("app", "v1")
                },
            },
        );
        sim.run_until(SimTime::from_secs(140)).unwrap();
        let drift = &sim.metrics().workloads[0];
        if pinning {
            assert_eq!(drift.max_distinct_digests, 1, "{drift:?}");
            assert_eq!(drift.mixed_duration, Duration::ZERO);
        } else {
            // web-0 is replaced at 50 s (new build), web-1 at 100 s.
            assert_eq!(drift.max_distinct_digests, 2, "{drift:?}");
            assert!(
                drift.mixed_duration >= Duration::from_secs(49)
                    && drift.mixed_duration <= Duration::from_secs(51),
                "{drift:?}"
            );
        }
    }
}

#[test]
fn always_with_an_unchanged_digest_costs_one_head_and_no_bytes() {
    let mut pool = pool("node", 1);
    pool.prepulled = vec!["registry.example.com/app:v1".to_owned()];
    let mut sim = world(pool);
    sim.create_pod(
        SimTime::EPOCH,
        pod(
            "web",
            "registry.example.com/app:v1",
            Some(PullPolicy::Always),
        ),
    );
    sim.run_until(SimTime::from_secs(5)).unwrap();
    assert_eq!(requests(&sim), ["HEAD /v2/app/manifests/v1 -> 200"]);
    assert_eq!(sim.metrics().bytes_served, 0);
    let pod = sim.pod_id("default", "web").unwrap();
    assert!(running(&sim, pod));
}

#[test]
fn a_kubelet_restart_forgets_the_backoff() {
    let mut sim = one_node(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    sim.create_pod(
        SimTime::EPOCH,
        pod("web", "registry.example.com/app:missing", None),
    );
    sim.schedule(
        SimTime::from_secs(20),
        Action::RestartKubelet {
            node: "node-0".to_owned(),
            downtime: Duration::from_secs(1),
        },
    );
    sim.run_until(SimTime::from_secs(22)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();
    let reasons: Vec<(u64, String)> = events(&sim, pod)
        .into_iter()
        .filter(|(_, r, _)| r == "Pulling" || r == "BackOff")
        .map(|(t, r, _)| (t as u64, r))
        .collect();
    // Without the restart the sync at 24 s would be in back-off (20 s window from 12 s);
    // after it, the kubelet pulls at once when it is back at 21 s.
    assert_eq!(
        reasons,
        [
            (0, "Pulling".to_owned()),
            (12, "Pulling".to_owned()),
            (21, "Pulling".to_owned())
        ]
    );
    assert!(
        sim.trace()
            .iter()
            .any(|r| matches!(r.event, TraceEvent::KubeletRestarted { .. }))
    );
}

#[test]
fn service_accounts_scheduling_and_api_errors() {
    let mut sim = one_node(SimConfig::default());
    sim.add_service_account(ServiceAccount {
        name: "builder".to_owned(),
        namespace: "default".to_owned(),
        image_pull_secrets: vec!["regcred".to_owned()],
        annotations: Default::default(),
    });
    let mut with_account = pod("sa", "registry.example.com/app:v1", None);
    with_account.spec.service_account_name = Some("builder".to_owned());
    sim.create_pod(SimTime::EPOCH, with_account);
    let mut missing_account = pod("nosa", "registry.example.com/app:v1", None);
    missing_account.spec.service_account_name = Some("ghost".to_owned());
    sim.create_pod(SimTime::EPOCH, missing_account);
    let mut arm = pod("arm", "registry.example.com/app:v1", None);
    arm.spec.node_name = None;
    arm.spec.node_selector =
        BTreeMap::from([("kubernetes.io/arch".to_owned(), "arm64".to_owned())]);
    sim.create_pod(SimTime::EPOCH, arm);
    sim.run_until(SimTime::from_secs(2)).unwrap();
    let sa = sim.pod_id("default", "sa").unwrap();
    assert_eq!(sim.pod_spec(sa).image_pull_secrets, ["regcred"]);
    assert!(events(&sim, sa).iter().any(|(_, reason, message)| reason == "FailedToRetrieveImagePullSecret"
        && message == "Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed."));
    assert!(
        running(&sim, sa),
        "a missing secret does not stop a public pull"
    );
    let rendered = sim.render_trace();
    assert!(rendered.contains("pod/default/nosa rejected: pods \"nosa\" is forbidden: error looking up service account default/ghost: serviceaccount \"ghost\" not found"), "{rendered}");
    assert!(rendered.contains("pod/default/arm unschedulable"));
    sim.add_node_pool(NodePool {
        platform: pullsim_model::Platform::new("linux", "arm64", ""),
        ..pool("arm", 1)
    })
    .unwrap();
    sim.run_until(SimTime::from_secs(4)).unwrap();
    let arm = sim.pod_id("default", "arm").unwrap();
    assert_eq!(
        sim.pod_node(arm).map(|n| sim.node_name(n).to_owned()),
        Some("arm-0".to_owned())
    );
    assert!(running(&sim, arm));
}

#[test]
fn limits_name_the_seed() {
    let mut sim = one_node(SimConfig {
        seed: 42,
        limits: pullsim_sim::Limits {
            time_max: Duration::from_secs(3600),
            events_max: 5,
        },
        ..SimConfig::default()
    });
    sim.create_pod(
        SimTime::EPOCH,
        pod("web", "registry.example.com/app:missing", None),
    );
    let error = sim.run_until_idle().unwrap_err();
    assert!(error.to_string().contains("replay with seed 42"), "{error}");
}

/// `run_until_all_running` stops at the first instant every pod is Running once every
/// queued action (a late pod included) has taken effect, and reports `false` at the limit
/// when a pod never runs.
#[test]
fn run_until_all_running_waits_for_late_pods_and_stops_at_the_limit() {
    let mut sim = one_node(SimConfig::default());
    sim.create_pod(
        SimTime::EPOCH,
        pod("early", &format!("{HOST}/app:v1"), None),
    );
    sim.create_pod(
        SimTime::from_secs(30),
        pod("late", &format!("{HOST}/app:v1"), None),
    );
    assert_eq!(sim.actions_pending(), 2);
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let late = sim.pod_id("default", "late").unwrap();
    assert!(running(&sim, late));
    assert!(sim.now() >= SimTime::from_secs(30));
    assert!(sim.now() < SimTime::from_secs(40), "{}", sim.now());
    assert_eq!(sim.actions_pending(), 0);
    assert!(sim.all_pods_running());

    let mut sim = one_node(SimConfig::default());
    sim.create_pod(
        SimTime::EPOCH,
        pod("missing", &format!("{HOST}/app:nope"), None),
    );
    assert!(!sim.run_until_all_running(SimTime::from_secs(120)).unwrap());
    assert_eq!(sim.now(), SimTime::from_secs(120));
    assert!(!sim.all_pods_running());
}

/// `CopyTag` resolves its source tag when it takes effect: a build pushed before the copy
/// is what the copied tag gets; copying from a tag that does not exist is an error naming
/// the tag.
#[test]
fn copy_tag_takes_what_the_source_tag_points_at_then() {
    let mut sim = one_node(SimConfig::default());
    sim.schedule(
        SimTime::from_secs(10),
        Action::PushBuild {
            host: HOST.to_owned(),
            image: ImageSpec {
                build: 2,
                ..ImageSpec::new("app", "v1")
            },
        },
    );
    let copy = |from_tag: &str| Action::CopyTag {
        host: HOST.to_owned(),
        repository: "app".to_owned(),
        tag: "stable".to_owned(),
        from_tag: from_tag.to_owned(),
    };
    sim.schedule(SimTime::from_secs(20), copy("v1"));
    sim.run_until(SimTime::from_secs(30)).unwrap();
    let registry = sim.registry_mut(HOST).unwrap();
    let v1 = registry.stored_manifest("app", "v1").unwrap().0;
    assert_eq!(registry.stored_manifest("app", "stable").unwrap().0, v1);
    assert_eq!(registry.tag_history("app", "stable").unwrap().len(), 1);

    sim.schedule(SimTime::from_secs(40), copy("nope"));
    let error = sim.run_until(SimTime::from_secs(50)).unwrap_err();
    assert!(error.to_string().contains("nope"), "{error}");
}

/// Timeline records read as sentences: an outage says how requests fail and until when,
/// and a Secret written over an existing one is a rotation.
#[test]
fn timeline_records_say_what_happened() {
    let mut sim = one_node(SimConfig::default());
    sim.schedule(
        SimTime::EPOCH,
        Action::Outage {
            host: HOST.to_owned(),
            duration: Duration::from_secs(120),
            kind: OutageKind::Status(503),
        },
    );
    let secret = pullsim_model::Secret::parse(
        "metadata: {name: regcred}\ntype: kubernetes.io/dockerconfigjson\nstringData: {.dockerconfigjson: '{\"auths\": {}}'}\n",
    )
    .unwrap();
    sim.schedule(SimTime::from_secs(1), Action::PutSecret(secret.clone()));
    sim.schedule(SimTime::from_secs(2), Action::PutSecret(secret));
    sim.run_until(SimTime::from_secs(3)).unwrap();
    let said: Vec<&str> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Timeline { what } => Some(what.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        said,
        [
            "registry.example.com: outage: every request answers 503 until 00:02:00",
            "secret default/regcred created",
            "secret default/regcred replaced (rotated)",
        ]
    );
}

/// A workload's replicas are spread over the nodes that match when they are created, so
/// nodes added earlier in the run take replicas too.
#[test]
fn replicas_spread_over_nodes_added_before_they_are_created() {
    let mut sim = world(pool("node", 1));
    sim.schedule(
        SimTime::from_secs(10),
        Action::AddNodes {
            pool: "node".to_owned(),
            count: 1,
        },
    );
    sim.add_workload(
        SimTime::from_secs(20),
        workload(&format!("{HOST}/app:v1"), 2),
    );
    sim.run_until(SimTime::from_secs(30)).unwrap();
    let nodes: Vec<&str> = ["web-0", "web-1"]
        .iter()
        .map(|name| {
            let pod = sim.pod_id("default", name).unwrap();
            sim.node_name(sim.pod_node(pod).unwrap())
        })
        .collect();
    assert_eq!(nodes, ["node-0", "node-1"]);
}

/// The timeline records of `sim`, with their times.
fn timeline(sim: &Sim) -> Vec<(SimTime, String)> {
    sim.trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Timeline { what } => Some((record.time, what.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn an_outage_that_ends_within_the_run_records_its_end() {
    let outage = |at: u64, seconds: u64, kind| {
        (
            SimTime::from_secs(at),
            Action::Outage {
                host: HOST.to_owned(),
                duration: Duration::from_secs(seconds),
                kind,
            },
        )
    };
    let mut config = SimConfig::default();
    config.limits.time_max = Duration::from_secs(600);
    let mut sim = one_node(config);
    for (at, action) in [
        outage(10, 20, OutageKind::Status(503)),
        outage(60, 30, OutageKind::Unreachable),
        // Past the run's limit: it has no end to show.
        outage(100, 600, OutageKind::Status(500)),
    ] {
        sim.schedule(at, action);
    }
    sim.run_until(SimTime::from_secs(600)).unwrap();
    assert_eq!(
        timeline(&sim),
        [
            (
                SimTime::from_secs(10),
                "registry.example.com: outage: every request answers 503 until 00:00:30".to_owned()
            ),
            (
                SimTime::from_secs(30),
                "registry.example.com: outage ended: no longer answers 503".to_owned()
            ),
            (
                SimTime::from_secs(60),
                "registry.example.com: outage: connections refused until 00:01:30".to_owned()
            ),
            (
                SimTime::from_secs(90),
                "registry.example.com: outage ended: reachable again".to_owned()
            ),
            (
                SimTime::from_secs(100),
                "registry.example.com: outage: every request answers 500 until 00:11:40".to_owned()
            ),
        ]
    );
}

#[test]
fn requests_per_minute_and_pods_by_state_have_a_point_per_minute() {
    let mut sim = world(pool("node", 20));
    sim.schedule(
        SimTime::EPOCH,
        Action::Outage {
            host: HOST.to_owned(),
            duration: Duration::from_secs(150),
            kind: OutageKind::Status(503),
        },
    );
    sim.add_workload(
        SimTime::from_secs(1),
        workload("registry.example.com/app:v1", 20),
    );
    sim.run_until(SimTime::from_secs(600)).unwrap();
    let metrics = sim.metrics();
    assert_eq!(metrics.requests_per_minute.len(), 10);
    assert_eq!(
        metrics.requests_per_minute.iter().sum::<u64>(),
        metrics.requests
    );
    let states: Vec<Vec<(&str, u32)>> = metrics
        .pods_by_state
        .iter()
        .map(|sample| sample.nonzero().collect())
        .collect();
    let times: Vec<u64> = metrics
        .pods_by_state
        .iter()
        .map(|sample| sample.at.since_epoch().as_secs())
        .collect();
    assert_eq!(times, [0, 60, 120, 180, 240, 300, 360, 420, 480, 540]);
    // Before the workload exists, nothing; during the outage, every pod waits in back-off
    // or after a failed pull; after it, every pod runs.
    assert_eq!(states[0], []);
    assert!(
        states[1]
            .iter()
            .all(|(state, _)| ["ErrImagePull", "ImagePullBackOff"].contains(state)),
        "{:?}",
        states[1]
    );
    assert_eq!(states[1].iter().map(|(_, n)| n).sum::<u32>(), 20);
    assert_eq!(states[9], [("Running", 20)]);
}
