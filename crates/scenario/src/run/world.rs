//! The world: a [`Scenario`] mapped onto a [`Sim`], field by field, with every kubelet,
//! containerd and registry rule left to the simulator and the crates under it.
//!
//! What the mapping decides (the format leaves it open, the simulator needs one answer):
//! - At one instant, timeline actions take effect before the pods created then, in file
//!   order within each, so a `push` at `1m` is what a workload created at `1m` sees.
//! - A workload with `replicas` is a simulator workload (replica `i` on matching node
//!   `i mod n`, drift metrics per workload); one without is a single pod the scheduler
//!   places. `replaceEvery` on a single pod re-creates it (a new pod of the same name) at
//!   each period until the run ends.
//! - `deletePod` with a workload's name deletes each of its pods.
//! - An outage without `until` lasts to the end of the run.
//! - The trace is kept in full: scenarios are small, and registry expectations count the
//!   exchanges.

use std::time::Duration;

use pullsim_model::kubelet_config::{KubeletPullConfig, KubeletPullSettings};
use pullsim_model::{Bandwidth, SimTime};
use pullsim_registry::{Registry, RegistryConfig};
use pullsim_sim::{
    Action, AdmissionConfig, Container, DigestPinning, FailurePolicy, KubeletSettings, Limits,
    Link, NodePool, OutageKind, Pod, PodSpec, ServiceAccount, Sim, SimConfig, TraceLevel,
    WorkerJitter, Workload,
};

use crate::nodes::{self};
use crate::scenario::{self, Scenario};
use crate::timeline::{self, OutageFailure, TagTarget, TimedAction};
use crate::workloads;

/// An empty simulation with the scenario's settings, `seed`, and `end` as its time limit.
pub(crate) fn new_sim(scenario: &Scenario, seed: u64, end: SimTime) -> Sim {
    Sim::new(config(scenario, seed, end))
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
        sim.add_registry(&registry.host, core)
            .map_err(|error| error.to_string())?;
    }
    for pool in &scenario.node_pools {
        sim.add_node_pool(node_pool(
            pool,
            scenario.kubernetes.ensure_secret_pulled_images,
        ))
        .map_err(|error| error.to_string())?;
    }
    for secret in &scenario.secrets {
        sim.add_secret(secret.clone());
    }
    for account in &scenario.service_accounts {
        sim.add_service_account(ServiceAccount {
            name: account.name.clone(),
            namespace: account.namespace.clone(),
            image_pull_secrets: account.image_pull_secrets.clone(),
        });
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

fn config(scenario: &Scenario, seed: u64, end: SimTime) -> SimConfig {
    let kubernetes = &scenario.kubernetes;
    SimConfig {
        seed,
        limits: Limits {
            time_max: end.since_epoch(),
            events_max: scenario.run.events_max,
        },
        kubelet_behavior: kubernetes.behavior,
        platforms_version: kubernetes.platforms,
        worker_jitter: match kubernetes.pod_worker {
            Some(delays) => WorkerJitter::Fixed {
                error_requeue: delays.error_requeue,
                resync: delays.resync,
            },
            None => WorkerJitter::Seeded,
        },
        trace_level: TraceLevel::Full,
        max_concurrent_downloads: kubernetes.max_concurrent_downloads as usize,
        admission: AdmissionConfig {
            always_pull_images: scenario.admission.always_pull_images,
            digest_pinning: scenario
                .admission
                .digest_pinning
                .map(|policy| DigestPinning {
                    failure_policy: match policy {
                        scenario::FailurePolicy::Fail => FailurePolicy::Fail,
                        scenario::FailurePolicy::Ignore => FailurePolicy::Ignore,
                    },
                }),
        },
        ..SimConfig::default()
    }
}

fn node_pool(pool: &nodes::NodePool, gate: bool) -> NodePool {
    NodePool {
        name: pool.name.clone(),
        count: pool.count,
        platform: pool.platform.clone(),
        labels: pool.labels.clone(),
        links: pool
            .links
            .iter()
            .map(|(host, link)| (host.clone(), sim_link(*link)))
            .collect(),
        default_link: sim_link(pool.link),
        prepulled: pool.prepulled.clone(),
        node_config_files: pool.node_config_candidates(),
        kubelet: KubeletSettings {
            pull: written(pool.kubelet.pull),
            ensure_secret_pulled_images: gate,
            verification: pool.kubelet.verification.clone(),
        },
    }
}

/// The scenario holds the kubelet's settings after defaulting; written out in full, the
/// simulator's defaulting leaves them as they are.
fn written(settings: KubeletPullSettings) -> KubeletPullConfig {
    KubeletPullConfig {
        serialize_image_pulls: Some(settings.serialize_image_pulls),
        max_parallel_image_pulls: settings.max_parallel_image_pulls,
        registry_pull_qps: Some(settings.registry_pull_qps),
        registry_burst: Some(settings.registry_burst),
    }
}

fn sim_link(link: nodes::Link) -> Link {
    Link {
        bandwidth_bytes_per_sec: Some(bytes_per_second(link.bandwidth)),
        latency: link.latency,
    }
}

fn bytes_per_second(bandwidth: Bandwidth) -> u64 {
    (bandwidth.bits_per_second() / 8).max(1)
}

fn pod_spec(spec: &workloads::PodSpec) -> PodSpec {
    let container = |c: &workloads::Container| Container {
        name: c.name.clone(),
        image: c.image.clone(),
        image_pull_policy: Some(c.image_pull_policy),
    };
    PodSpec {
        init_containers: spec.init_containers.iter().map(container).collect(),
        containers: spec.containers.iter().map(container).collect(),
        image_pull_secrets: spec.image_pull_secrets.clone(),
        service_account_name: Some(spec.service_account_name.clone()),
        node_name: spec.node_name.clone(),
        node_selector: spec.node_selector.clone(),
    }
}

fn schedule_workload(sim: &mut Sim, workload: &workloads::Workload, end: SimTime) {
    let pod = Pod {
        name: workload.name.clone(),
        namespace: workload.namespace.clone(),
        spec: pod_spec(&workload.spec),
    };
    match workload.replicas {
        Some(replicas) => {
            sim.add_workload(
                workload.at,
                Workload {
                    name: workload.name.clone(),
                    template: pod,
                    replicas,
                    replace_every: workload.replace_every,
                },
            );
        }
        None => {
            sim.schedule(workload.at, Action::CreatePod(pod.clone()));
            if let Some(period) = workload.replace_every.filter(|p| !p.is_zero()) {
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
    let at = timed.at;
    let action = match &timed.action {
        timeline::Action::Push { registry, image } => Action::PushBuild {
            host: registry.clone(),
            image: image.clone(),
        },
        timeline::Action::MoveTag {
            registry,
            repository,
            tag,
            to,
        } => match to {
            TagTarget::Digest(digest) => Action::MoveTag {
                host: registry.clone(),
                repository: repository.clone(),
                tag: tag.clone(),
                digest: digest.clone(),
            },
            TagTarget::Tag(from_tag) => Action::CopyTag {
                host: registry.clone(),
                repository: repository.clone(),
                tag: tag.clone(),
                from_tag: from_tag.clone(),
            },
        },
        timeline::Action::DeleteTag {
            registry,
            repository,
            tag,
        } => Action::DeleteTag {
            host: registry.clone(),
            repository: repository.clone(),
            tag: tag.clone(),
        },
        timeline::Action::Outage {
            registry,
            until,
            failure,
        } => Action::Outage {
            host: registry.clone(),
            duration: until.unwrap_or(end).saturating_since(at),
            kind: match failure {
                OutageFailure::Status(status) => OutageKind::Status(*status),
                OutageFailure::Unreachable => OutageKind::Unreachable,
            },
        },
        timeline::Action::Fault { registry, rule } => Action::InstallFault {
            host: registry.clone(),
            rule: rule.clone(),
        },
        timeline::Action::ApplySecret(secret) => Action::PutSecret(secret.clone()),
        timeline::Action::DeleteSecret { namespace, name } => Action::DeleteSecret {
            namespace: namespace.clone(),
            name: name.clone(),
        },
        timeline::Action::RestartKubelet { node, downtime } => Action::RestartKubelet {
            node: node.clone(),
            downtime: *downtime,
        },
        timeline::Action::AddNodes { pool, count } => Action::AddNodes {
            pool: pool.clone(),
            count: *count,
        },
        timeline::Action::DeletePod { pod } => {
            for (namespace, name) in pods_named(scenario, pod) {
                sim.schedule(at, Action::DeletePod { namespace, name });
            }
            return;
        }
    };
    sim.schedule(at, action);
}

/// The pods a `deletePod` names: a workload's pods, or the pod of that name.
fn pods_named(scenario: &Scenario, name: &str) -> Vec<(String, String)> {
    if let Some(workload) = scenario.workloads.iter().find(|w| w.name == name) {
        return workload
            .pod_names()
            .into_iter()
            .map(|pod| (workload.namespace.clone(), pod))
            .collect();
    }
    scenario
        .workloads
        .iter()
        .find(|w| w.pod_names().iter().any(|pod| pod == name))
        .map(|w| vec![(w.namespace.clone(), name.to_owned())])
        .unwrap_or_default()
}

/// How long a run of `scenario` lasts at most, with the caller's override.
pub(crate) fn run_end(scenario: &Scenario, until: Option<Duration>) -> SimTime {
    until.map_or_else(|| scenario.run.end(), SimTime::from_duration)
}
