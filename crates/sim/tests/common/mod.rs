//! Worlds the simulator's tests share: a registry host with a few images, one-node pools
//! with instant links, and readers that pick records out of the trace.

#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use pullsim_model::{PullPolicy, SimTime};
use pullsim_registry::{AccessRule, Catalog, ImageSpec, Registry, RegistryConfig};
use pullsim_sim::{
    Container, Link, NodePool, Pod, PodId, Sim, SimConfig, TraceEvent, WorkerJitter,
};

pub const HOST: &str = "registry.example.com";

/// The registry behind [`HOST`]: `app:v1` (public), `private/app:v1` readable by `alice`
/// only, `tenant-b/app:v1` readable by `bob` only.
pub fn registry(config: RegistryConfig) -> Registry {
    let mut registry = Registry::new(config);
    let catalog = Catalog {
        images: vec![
            ImageSpec::new("app", "v1"),
            ImageSpec::new("private/app", "v1"),
            ImageSpec::new("tenant-b/app", "v1"),
        ],
        accounts: [("alice", "wonderland"), ("bob", "builder")]
            .into_iter()
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
            .collect(),
        access: vec![
            AccessRule {
                repository: "private/*".to_owned(),
                read: vec!["alice".to_owned()],
                write: vec!["alice".to_owned()],
            },
            AccessRule {
                repository: "tenant-b/*".to_owned(),
                read: vec!["bob".to_owned()],
                write: vec!["bob".to_owned()],
            },
        ],
        faults: Vec::new(),
        rate_limit: None,
    };
    registry
        .load(&catalog, SimTime::EPOCH)
        .expect("the test catalog is valid");
    registry
}

/// The fixed jitter of docs/semantics.md §3.5's worked example: J10 = 12 s, J60 = 75 s.
pub fn example_jitter() -> WorkerJitter {
    WorkerJitter::Fixed {
        error_requeue: Duration::from_secs(12),
        resync: Duration::from_secs(75),
    }
}

/// A pool of `count` linux/amd64 nodes with instant links.
pub fn pool(name: &str, count: u32) -> NodePool {
    NodePool {
        default_link: Link::INSTANT,
        ..NodePool::new(name, count)
    }
}

/// A simulation with the test registry and one node `node-0`.
pub fn one_node(config: SimConfig) -> Sim {
    let mut sim = Sim::new(config);
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .expect("one host");
    sim.add_node_pool(pool("node", 1)).expect("valid pool");
    sim
}

/// A pod with one container `c` running `image` under `policy`, bound to `node-0`.
pub fn pod(name: &str, image: &str, policy: Option<PullPolicy>) -> Pod {
    let mut container = Container::new("c", image);
    container.image_pull_policy = policy;
    let mut pod = Pod::new(name, vec![container]);
    pod.spec.node_name = Some("node-0".to_owned());
    pod
}

/// `(seconds, reason, message)` of every Kubernetes event recorded for a pod.
pub fn events(sim: &Sim, pod: PodId) -> Vec<(f64, String, String)> {
    sim.trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Event {
                pod: p,
                reason,
                message,
                ..
            } if *p == pod => Some((
                record.time.since_epoch().as_secs_f64(),
                reason.clone(),
                message.clone(),
            )),
            _ => None,
        })
        .collect()
}

/// Registry requests as `METHOD target -> status`, in order.
pub fn requests(sim: &Sim) -> Vec<String> {
    sim.trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Registry {
                method,
                target,
                status,
                ..
            } => Some(format!("{method} {target} -> {status}")),
            _ => None,
        })
        .collect()
}

/// Whether every regular container of the pod is running.
pub fn running(sim: &Sim, pod: PodId) -> bool {
    sim.trace()
        .iter()
        .any(|record| matches!(record.event, TraceEvent::PodRunning { pod: p } if p == pod))
}
