//! The world: a [`Scenario`] registered in a [`Sim`] and its pods and timeline scheduled.
//! The scenario already holds the simulator's own pools, pods, workloads and actions; what
//! is left here is the order of things and the details only a run knows (its end), with
//! every kubelet, containerd and registry rule left to the simulator and the crates under
//! it.
//!
//! What the mapping decides (the format leaves it open, the simulator needs one answer):
//! - At one instant, timeline actions take effect before the pods created then, in file
//!   order within each, so a `push` at `1m` is what a workload created at `1m` sees.
//! - A Deployment, ReplicaSet, DaemonSet, StatefulSet or Job is applied to the simulator
//!   at its time (`Sim::apply_object`); its controller makes its pods.
//! - A workload with `replicas` is a simulator workload (replica `i` on matching node
//!   `i mod n`, drift metrics per workload); one without is a single pod the scheduler
//!   places. `replaceEvery` on a single pod re-creates it (a new pod of the same name) at
//!   each period until the run ends.
//! - A timeline entry becomes the simulator's actions through its kind's file under
//!   `timeline/` (`deletePod` with a workload's name deletes each of its pods; an outage
//!   without `until` lasts to the end of the run).
//! - `run` keeps the trace in full (scenarios are small, and registry expectations count
//!   the exchanges); `simulate` keeps what its caller asks for.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_registry::{Registry, RegistryConfig};
use pullsim_sim::{Action, Limits, Sim, SimConfig, TraceLevel};

use crate::scenario::Scenario;
use crate::timeline::TimedAction;
use crate::workloads::{Pods, Workload};

/// An empty simulation with the scenario's settings, `seed`, and `end` as its time limit.
pub(crate) fn new_sim(
    scenario: &Scenario,
    seed: u64,
    end: SimTime,
    trace_level: TraceLevel,
) -> Sim {
    Sim::new(config(scenario, seed, end, trace_level))
}

/// Builds the world of `scenario` in `sim`: registries, node pools, Secrets and
/// ServiceAccounts now; workloads and timeline actions scheduled at their times (up to
/// `end`). On an error, `sim` holds what was built before it.
pub(crate) fn build(sim: &mut Sim, scenario: &Scenario, end: SimTime) -> Result<(), String> {
    for registry in &scenario.registries {
        let mut core = Registry::new(RegistryConfig {
            auth: registry.auth,
            ..RegistryConfig::default()
        });
        core.load(&registry.catalog, SimTime::EPOCH)
            .map_err(|error| format!("registry {}: {error}", registry.host))?;
        for (user, rotation) in &registry.rotations {
            core.rotate_password(user, *rotation);
        }
        sim.add_registry(&registry.host, core)
            .map_err(|error| error.to_string())?;
    }
    for plugin in &scenario.credential_plugins {
        sim.add_credential_plugin(plugin.clone());
    }
    for pool in &scenario.node_pools {
        sim.add_node_pool(pool.clone())
            .map_err(|error| error.to_string())?;
    }
    for secret in &scenario.secrets {
        sim.add_secret(secret.clone());
    }
    for account in &scenario.service_accounts {
        sim.add_service_account(account.clone());
    }
    // Timeline actions first at each instant, then pods (see the module documentation);
    // the simulator keeps scheduling order among events of one instant.
    let mut plan: Vec<(SimTime, u8, usize)> = Vec::new();
    plan.extend(
        scenario
            .timeline
            .iter()
            .enumerate()
            .map(|(i, a)| (a.at, 0, i)),
    );
    plan.extend(
        scenario
            .workloads
            .iter()
            .enumerate()
            .map(|(i, w)| (w.at, 1, i)),
    );
    plan.sort();
    for (_, kind, index) in plan {
        if kind == 0 {
            schedule_action(sim, scenario, &scenario.timeline[index], end);
        } else {
            schedule_workload(sim, &scenario.workloads[index], end);
        }
    }
    Ok(())
}

fn config(scenario: &Scenario, seed: u64, end: SimTime, trace_level: TraceLevel) -> SimConfig {
    let kubernetes = &scenario.kubernetes;
    SimConfig {
        seed,
        limits: Limits {
            time_max: end.since_epoch(),
            events_max: scenario.run.events_max,
        },
        kubelet_behavior: kubernetes.behavior,
        platforms_version: kubernetes.platforms,
        worker_jitter: kubernetes.pod_worker,
        trace_level,
        max_concurrent_downloads: kubernetes.max_concurrent_downloads as usize,
        admission: scenario.admission,
        ..SimConfig::default()
    }
}

fn schedule_workload(sim: &mut Sim, workload: &Workload, end: SimTime) {
    match &workload.pods {
        Pods::Replicated(replicated) => {
            sim.add_workload(workload.at, replicated.clone());
        }
        Pods::Object(object) => sim.apply_object(workload.at, object.clone()),
        Pods::Single { pod, replace_every } => {
            sim.schedule(workload.at, Action::CreatePod(pod.clone()));
            if let Some(period) = replace_every.filter(|p| !p.is_zero()) {
                let mut at = workload.at + period;
                while at < end {
                    sim.schedule(at, Action::ReplacePod(pod.clone()));
                    at = at + period;
                }
            }
        }
    }
}

fn schedule_action(sim: &mut Sim, scenario: &Scenario, timed: &TimedAction, end: SimTime) {
    for action in timed.action.actions(timed.at, end, &scenario.workloads) {
        sim.schedule(timed.at, action);
    }
}

/// How long a run of `scenario` lasts at most, with the caller's override.
pub(crate) fn run_end(scenario: &Scenario, until: Option<Duration>) -> SimTime {
    until.map_or_else(|| scenario.run.end(), SimTime::from_duration)
}
