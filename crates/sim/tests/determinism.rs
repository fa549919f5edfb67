//! Determinism: the same world and seed give a byte-identical trace, for 100 seeds run
//! twice each; a different seed changes only what the seeded jitter touches (the resync
//! times of pods that fail), never what happens to pods that start at once. Metrics are
//! the fold of the trace: folding the kept trace again gives the same figures.

mod common;

use std::time::Duration;

use common::*;
use pullsim_model::{Platform, PullPolicy, SimTime};
use pullsim_registry::ImageSpec;
use pullsim_sim::{Action, MetricsRecorder, NodePool, OutageKind, Sim, SimConfig, Workload};

fn world(seed: u64) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed,
        ..SimConfig::default()
    });
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    sim.add_node_pool(NodePool {
        default_link: pullsim_sim::Link::mbit(100, Duration::from_millis(15)),
        ..NodePool::new("amd", 3)
    })
    .unwrap();
    sim.add_node_pool(NodePool {
        platform: Platform::new("linux", "arm64", ""),
        ..NodePool::new("arm", 2)
    })
    .unwrap();
    let mut template = pod(
        "web",
        "registry.example.com/app:v1",
        Some(PullPolicy::IfNotPresent),
    );
    template.spec.node_name = None;
    sim.add_workload(
        SimTime::EPOCH,
        Workload {
            name: "web".to_owned(),
            template,
            replicas: 5,
            replace_every: Some(Duration::from_secs(120)),
        },
    );
    let mut failing = pod("broken", "registry.example.com/app:missing", None);
    failing.spec.node_name = Some("amd-1".to_owned());
    sim.create_pod(SimTime::from_secs(3), failing);
    sim.schedule(
        SimTime::from_secs(60),
        Action::PushBuild {
            host: HOST.to_owned(),
            image: ImageSpec {
                build: 2,
                ..ImageSpec::new("app", "v1")
            },
        },
    );
    sim.schedule(
        SimTime::from_secs(200),
        Action::Outage {
            host: HOST.to_owned(),
            duration: Duration::from_secs(60),
            kind: OutageKind::Status(503),
        },
    );
    sim.schedule(
        SimTime::from_secs(300),
        Action::RestartKubelet {
            node: "amd-1".to_owned(),
            downtime: Duration::from_secs(5),
        },
    );
    sim.run_until(SimTime::from_secs(600)).unwrap();
    sim
}

#[test]
fn the_same_seed_gives_the_same_trace_for_100_seeds() {
    for seed in 0..100 {
        let first = world(seed).render_trace();
        let second = world(seed).render_trace();
        assert!(first == second, "seed {seed} diverged");
        assert!(first.lines().count() > 100, "a trace worth comparing");
    }
}

#[test]
fn another_seed_moves_only_jittered_times() {
    let strip = |sim: &Sim| -> Vec<String> {
        sim.render_trace()
            .lines()
            .filter(|line| {
                !line.contains("broken") && !line.contains("amd-1") && !line.contains("registry/")
            })
            .filter(|line| {
                let time = line.split(' ').next().unwrap_or_default();
                time < "00:03:20"
            })
            .map(str::to_owned)
            .collect()
    };
    let one = world(1);
    let two = world(2);
    assert_ne!(
        one.render_trace(),
        two.render_trace(),
        "jitter differs between seeds"
    );
    assert_eq!(strip(&one), strip(&two));
}

#[test]
fn metrics_are_the_fold_of_the_trace() {
    let sim = world(7);
    let live = sim.metrics();
    let refolded = MetricsRecorder::from_trace(sim.trace()).snapshot(&sim);
    assert_eq!(live, refolded);
    let again = world(7).metrics();
    assert_eq!(live, again);
    assert!(live.requests > 0 && live.pulls_succeeded > 0 && live.pulls_failed > 0);
}
