//! The fleet of `cargo xtask bench sim`: many nodes, twenty pods each, six virtual hours
//! of churn, a tag moved every ten minutes and one twenty-minute registry outage.
//!
//! - One registry with five repositories, `fleet/app-0` ... `fleet/app-4`, every image on
//!   the same two base layers (30 MiB and 10 MiB) plus two layers of its own (20 MiB
//!   and 5 MiB). Layers are sized, not built, so the world costs no bytes.
//! - Twenty workloads, one replica per node each: odd workloads use private repositories
//!   and a pull secret; every fourth uses `:latest` (pull policy `Always`, so every new pod
//!   resolves its tag), the others `:v1` (`IfNotPresent`).
//! - Every replica is replaced every two hours (spread evenly), so pods keep starting.
//! - Every ten minutes a new build of one repository's `latest` is pushed.
//! - From 3:00 to 3:20 the registry answers 503.
//! - Links: 1 Gbit/s, 2 ms round trip. The trace is off; metrics are still computed.

use std::time::Duration;

use pullsim_model::{ByteSize, Secret, SimTime};
use pullsim_registry::{AccessRule, BaseLayers, Catalog, ImageSpec, Registry, RegistryConfig};
use pullsim_sim::{
    Action, Container, Link, NodePool, OutageKind, Pod, Sim, SimConfig, TraceLevel, Workload,
};

/// The registry host of the fleet.
pub const FLEET_HOST: &str = "registry.fleet.example";

/// Repositories in the fleet's registry.
pub const REPOSITORIES: u32 = 5;

/// Workloads (and so pods per node).
pub const WORKLOADS: u32 = 20;

fn image(repository: u32, tag: &str, build: u32) -> ImageSpec {
    ImageSpec {
        sized: true,
        base: Some(BaseLayers {
            name: "fleet-os".to_owned(),
            layers: vec![ByteSize(30 << 20), ByteSize(10 << 20)],
        }),
        layers: vec![ByteSize(20 << 20), ByteSize(5 << 20)],
        build,
        ..ImageSpec::new(repository_name(repository), tag)
    }
}

fn repository_name(repository: u32) -> String {
    if repository % 2 == 1 {
        format!("fleet/private-{repository}")
    } else {
        format!("fleet/app-{repository}")
    }
}

fn registry() -> Registry {
    let mut images = Vec::new();
    for repository in 0..REPOSITORIES {
        images.push(image(repository, "v1", 1));
        images.push(image(repository, "latest", 1));
    }
    let catalog = Catalog {
        images,
        accounts: [("fleet".to_owned(), "s3cret".to_owned())]
            .into_iter()
            .collect(),
        access: vec![AccessRule {
            repository: "fleet/private-*".to_owned(),
            read: vec!["fleet".to_owned()],
            write: Vec::new(),
        }],
        faults: Vec::new(),
    };
    let mut registry = Registry::new(RegistryConfig::default());
    // The catalog is fixed and valid; a failure would leave an empty registry whose pulls
    // all fail, which the bench's figures would show at once.
    let _ = registry.load(&catalog, SimTime::EPOCH);
    registry
}

fn pull_secret() -> Option<Secret> {
    Secret::parse(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{{\"auths\": {{\"{FLEET_HOST}\": {{\"username\": \"fleet\", \"password\": \"s3cret\"}}}}}}'\n"
    ))
    .ok()
}

/// The fleet with `nodes` nodes over `hours` virtual hours, ready to run, keeping no trace
/// (its metrics are still computed).
pub fn fleet(nodes: u32, hours: u64, seed: u64) -> Sim {
    fleet_traced(nodes, hours, seed, TraceLevel::Off)
}

/// [`fleet`] keeping the trace at `trace_level`.
pub fn fleet_traced(nodes: u32, hours: u64, seed: u64, trace_level: TraceLevel) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed,
        trace_level,
        ..SimConfig::default()
    });
    let _ = sim.add_registry(FLEET_HOST, registry());
    let _ = sim.add_node_pool(NodePool {
        default_link: Link::mbit(1000, Duration::from_millis(2)),
        ..NodePool::new("fleet", nodes)
    });
    if let Some(secret) = pull_secret() {
        sim.add_secret(secret);
    }
    for workload in 0..WORKLOADS {
        let repository = workload % REPOSITORIES;
        let tag = if workload % 4 == 0 { "latest" } else { "v1" };
        let image = format!("{FLEET_HOST}/{}:{tag}", repository_name(repository));
        let mut template = Pod::new("template", vec![Container::new("app", image)]);
        if repository % 2 == 1 {
            template.spec.image_pull_secrets = vec!["regcred".to_owned()];
        }
        sim.add_workload(
            SimTime::EPOCH,
            Workload {
                name: format!("w{workload:02}"),
                template,
                replicas: nodes,
                replace_every: Some(Duration::from_secs(2 * 3600)),
            },
        );
    }
    let end = hours * 3600;
    for (index, at) in (600..end).step_by(600).enumerate() {
        let repository = index as u32 % REPOSITORIES;
        sim.schedule(
            SimTime::from_secs(at),
            Action::PushBuild {
                host: FLEET_HOST.to_owned(),
                image: image(repository, "latest", 2 + index as u32),
            },
        );
    }
    if end > 3 * 3600 {
        sim.schedule(
            SimTime::from_secs(3 * 3600),
            Action::Outage {
                host: FLEET_HOST.to_owned(),
                duration: Duration::from_secs(20 * 60),
                kind: OutageKind::Status(503),
            },
        );
    }
    sim
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The simulator skips texts nobody reads when it keeps no trace (events, quoted
    /// references, durations); the run must be the same: as many events, the same metrics.
    #[test]
    fn keeping_no_trace_changes_nothing_but_the_trace() {
        let run = |level| {
            let mut sim = fleet_traced(12, 4, 7, level);
            sim.run_until(SimTime::from_secs(4 * 3600))
                .unwrap_or_else(|err| panic!("{level:?}: {err}"));
            (
                sim.events_processed(),
                sim.metrics(),
                sim.trace().is_empty(),
            )
        };
        let (full_events, full_metrics, full_empty) = run(TraceLevel::Full);
        let (off_events, off_metrics, off_empty) = run(TraceLevel::Off);
        assert!(!full_empty && off_empty);
        assert_eq!(off_events, full_events);
        assert_eq!(off_metrics, full_metrics);
        assert!(full_metrics.pulls_failed > 0, "the outage made pulls fail");
        assert!(full_metrics.pulls_avoided > 0 && full_metrics.pulls_succeeded > 0);
    }
}
