//! A scenario run for its figures alone: [`simulate`] builds the world [`run`](super::run)
//! builds, runs it to its end and gives the events processed and the metrics, without a
//! transcript, without judging expectations, and keeping as much of the trace as asked
//! ([`Trace`]). It is how the fleet benchmark (`benches/fleet.yaml`, `sim-fleet`) runs, and
//! how a sweep varies one scenario's fleet: [`Overrides`] replaces the seed, the node count
//! and the run's end as a command line gives them.
//!
//! Callers name no simulator type: the trace level is [`Trace`], and the metrics are read
//! through [`Simulation::metrics`].

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::{Metrics, TraceLevel, WorkloadSpec};

use crate::ceilings::{CONTAINERS_MAX, NODES_MAX, PODS_MAX, pods_counted};
use crate::scenario::{Scenario, Stop};
use crate::workloads::Pods;

use super::world;

/// How much of the trace a simulation keeps. The metrics are the same at every level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Trace {
    /// Nothing: for benchmarks and sweeps of large fleets.
    #[default]
    Off,
    /// Everything, registry exchanges included (what [`run`](super::run) keeps).
    Full,
}

impl Trace {
    fn level(self) -> TraceLevel {
        match self {
            Trace::Off => TraceLevel::Off,
            Trace::Full => TraceLevel::Full,
        }
    }
}

/// What a command line replaces in the scenario before it is simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Overrides {
    /// Replaces the file's `seed`.
    pub seed: Option<u64>,
    /// Replaces every node pool's `count` and every workload's `replicas` (a replicated
    /// Pod's, a Deployment's, ReplicaSet's or StatefulSet's; single pods stay single, a
    /// DaemonSet follows the nodes, a Job keeps its completions): the fleet's size with its
    /// shape kept.
    pub nodes: Option<u32>,
    /// Replaces the run's end: `for`'s length, or `allRunning`'s limit. Timeline actions stay
    /// where the file put them.
    pub until: Option<Duration>,
}

/// What a simulation did.
#[derive(Debug, Clone)]
pub struct Simulation {
    seed: u64,
    events: u64,
    end: SimTime,
    metrics: Metrics,
    trace_records: usize,
    failure: Option<String>,
}

impl Simulation {
    /// The seed the run used.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// How many events the simulator processed.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The virtual time the run stopped at.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// The run's figures (requests, bytes, pulls, ...).
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// How many trace records were kept (none with [`Trace::Off`]).
    pub fn trace_records(&self) -> usize {
        self.trace_records
    }

    /// Why the run did not reach its end (the world could not be built, an override went
    /// past a ceiling, or the run reached a limit), naming the seed; `None` when it did.
    pub fn failure(&self) -> Option<&str> {
        self.failure.as_deref()
    }
}

/// Simulates `scenario` with `overrides` applied, keeping `trace`. Never panics; what goes
/// wrong is [`Simulation::failure`], with the figures of what ran before it.
pub fn simulate(scenario: &Scenario, trace: Trace, overrides: &Overrides) -> Simulation {
    let scenario = overridden(scenario, overrides);
    let seed = overrides.seed.unwrap_or(scenario.seed);
    let end = overrides
        .until
        .map_or_else(|| scenario.run.end(), SimTime::from_duration);
    // The runner's world, with the trace level asked for instead of the transcript's.
    let mut sim = world::new_sim(&scenario, seed, end, trace.level());
    let failure = match within_ceilings(&scenario) {
        Err(error) => Some(error),
        Ok(()) => match world::build(&mut sim, &scenario, end) {
            Err(error) => Some(format!("the world could not be built: {error}")),
            Ok(()) => match scenario.run.stop {
                Stop::After(_) => sim.run_until(end).err().map(|e| e.to_string()),
                Stop::AllRunning { .. } => match sim.run_until_all_running(end) {
                    Ok(true) => None,
                    Ok(false) => Some(format!(
                        "not every pod was Running when the run reached its limit; replay with seed {seed}"
                    )),
                    Err(error) => Some(error.to_string()),
                },
            },
        },
    };
    Simulation {
        seed,
        events: sim.events_processed(),
        end: sim.now(),
        metrics: sim.metrics(),
        trace_records: sim.trace().len(),
        failure,
    }
}

/// `scenario` with the node count of `overrides` applied.
fn overridden(scenario: &Scenario, overrides: &Overrides) -> Scenario {
    let mut scenario = scenario.clone();
    if let Some(nodes) = overrides.nodes {
        for pool in &mut scenario.node_pools {
            pool.count = nodes;
        }
        for workload in &mut scenario.workloads {
            match &mut workload.pods {
                Pods::Replicated(replicated) => replicated.replicas = nodes,
                Pods::Object(object) => match &mut object.spec {
                    WorkloadSpec::Deployment(spec) => spec.replicas = nodes,
                    WorkloadSpec::ReplicaSet(spec) => spec.replicas = nodes,
                    WorkloadSpec::StatefulSet(spec) => spec.replicas = nodes,
                    WorkloadSpec::DaemonSet(_) | WorkloadSpec::Job(_) => {}
                },
                Pods::Single { .. } => {}
            }
        }
    }
    scenario
}

/// The file's ceilings ([`crate::ceilings`]) on what the overrides changed: the node
/// pools' nodes, the workloads' pods and their containers.
fn within_ceilings(scenario: &Scenario) -> Result<(), String> {
    let nodes: u64 = scenario
        .node_pools
        .iter()
        .map(|pool| u64::from(pool.count))
        .sum();
    let mut pods = 0u64;
    let mut containers = 0u64;
    for workload in &scenario.workloads {
        let replicas = pods_counted(workload, nodes);
        let spec = &workload.pod().spec;
        let each = spec.containers.len() + spec.init_containers.len();
        pods = pods.saturating_add(replicas);
        containers = containers
            .saturating_add(replicas.saturating_mul(u64::try_from(each).unwrap_or(u64::MAX)));
    }
    for (what, total, max) in [
        ("nodes", nodes, NODES_MAX),
        ("pods", pods, PODS_MAX),
        ("containers", containers, CONTAINERS_MAX),
    ] {
        if total > max {
            return Err(format!(
                "the overrides bring the scenario to {total} {what}; pullsim simulates at most {max} {what} (see \"Limits\" in docs/scenario-format.md)"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLEET: &str = "name: small-fleet
description: two workloads of replicas over one pool, a push and an outage
registries:
  - host: registry.example.com
    images:
      - &web {repository: team/web, tag: latest, layers: [40MiB, 8MiB], sized: true}
nodes:
  - {pool: node, count: 3, bandwidth: 200Mbit/s, latency: 5ms}
workloads:
  - {apiVersion: v1, kind: Pod, metadata: {name: web}, replicas: 3, replaceEvery: 4m, spec: {containers: [{name: web, image: registry.example.com/team/web:latest}]}}
  - {apiVersion: v1, kind: Pod, metadata: {name: single}, spec: {containers: [{name: web, image: registry.example.com/team/web:latest}]}}
timeline:
  - {at: 30s, push: {registry: registry.example.com, <<: *web, build: 2}}
  - {at: 5m, outage: {registry: registry.example.com, until: 5m30s}}
run: {for: 10m}
";

    fn fleet() -> Scenario {
        Scenario::parse("small-fleet.yaml", FLEET).unwrap_or_else(|errors| panic!("{errors}"))
    }

    #[test]
    fn keeping_no_trace_changes_nothing_but_the_trace() {
        let scenario = fleet();
        let overrides = Overrides::default();
        let full = simulate(&scenario, Trace::Full, &overrides);
        let off = simulate(&scenario, Trace::Off, &overrides);
        assert_eq!((full.failure(), off.failure()), (None, None));
        assert!(full.trace_records() > 0);
        assert_eq!(off.trace_records(), 0);
        assert_eq!(off.events(), full.events());
        assert_eq!(off.metrics(), full.metrics());
        assert_eq!(off.end(), SimTime::from_secs(600));
    }

    #[test]
    fn the_figures_are_the_runs() {
        let scenario = fleet();
        let outcome = super::super::run(&scenario, &super::super::RunOptions::default());
        let simulation = simulate(&scenario, Trace::Full, &Overrides::default());
        assert_eq!(simulation.events(), outcome.events);
        assert_eq!(simulation.metrics(), &outcome.metrics);
        assert_eq!(simulation.seed(), 1);
    }

    #[test]
    fn overrides_replace_seed_nodes_and_end() {
        let scenario = fleet();
        let overrides = Overrides {
            seed: Some(9),
            nodes: Some(5),
            until: Some(Duration::from_secs(120)),
        };
        let simulation = simulate(&scenario, Trace::Off, &overrides);
        assert_eq!(simulation.failure(), None);
        assert_eq!(simulation.seed(), 9);
        assert_eq!(simulation.end(), SimTime::from_secs(120));
        let three = simulate(
            &scenario,
            Trace::Off,
            &Overrides {
                nodes: None,
                ..overrides
            },
        );
        // Two more replicas of `web` on two more nodes: more pulls.
        assert!(simulation.metrics().pulls_started > three.metrics().pulls_started);
        let bigger = overridden(&scenario, &overrides);
        assert_eq!(bigger.node_pools[0].count, 5);
        let replicas = |w: &crate::workloads::Workload| match &w.pods {
            Pods::Replicated(replicated) => Some(replicated.replicas),
            Pods::Single { .. } | Pods::Object(_) => None,
        };
        assert_eq!(replicas(&bigger.workloads[0]), Some(5));
        assert_eq!(replicas(&bigger.workloads[1]), None);
    }

    #[test]
    fn the_node_override_scales_deployments_and_keeps_jobs() {
        let text = "name: objects
description: a Deployment and a Job
registries:
  - host: registry.example.com
    images: [{repository: team/web, tag: v1}]
nodes:
  - {pool: node, count: 3}
workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 3
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}
  - apiVersion: batch/v1
    kind: Job
    metadata: {name: pi}
    spec:
      completions: 3
      template:
        spec: {restartPolicy: Never, containers: [{name: pi, image: registry.example.com/team/web:v1}]}
run: {for: 10m}
";
        let scenario = Scenario::parse("objects.yaml", text).unwrap_or_else(|e| panic!("{e}"));
        let overrides = Overrides {
            nodes: Some(7),
            ..Overrides::default()
        };
        let bigger = overridden(&scenario, &overrides);
        let specs: Vec<&WorkloadSpec> = bigger
            .workloads
            .iter()
            .filter_map(|w| w.object().map(|object| &object.spec))
            .collect();
        assert!(matches!(specs[0], WorkloadSpec::Deployment(spec) if spec.replicas == 7));
        assert!(matches!(specs[1], WorkloadSpec::Job(spec) if spec.completions == Some(3)));
        let too_many = Overrides {
            nodes: Some(300_000),
            ..Overrides::default()
        };
        assert_eq!(
            within_ceilings(&overridden(&scenario, &too_many)),
            Err("the overrides bring the scenario to 300000 nodes; pullsim simulates at most 50000 nodes (see \"Limits\" in docs/scenario-format.md)".to_owned())
        );
    }

    #[test]
    fn an_override_past_a_ceiling_is_a_failure_not_an_allocation() {
        let overrides = Overrides {
            nodes: Some(400_000),
            ..Overrides::default()
        };
        let simulation = simulate(&fleet(), Trace::Off, &overrides);
        assert_eq!(
            simulation.failure(),
            Some(
                "the overrides bring the scenario to 400000 nodes; pullsim simulates at most 50000 nodes (see \"Limits\" in docs/scenario-format.md)"
            )
        );
        assert_eq!(simulation.events(), 0);
    }
}
