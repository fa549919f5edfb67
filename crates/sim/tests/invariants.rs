//! Invariants over random small worlds (proptest): nodes with random links and pullers,
//! pods with random images, policies and secrets, images pre-pulled at random, tags
//! re-pushed and registry outages at random times. Whatever happens:
//! - a `Never` pod never causes a registry request;
//! - pulls of one pod and image are never closer than the back-off window, which goes
//!   10, 20, 40, ... and stops at 300 s;
//! - a digest-pinned workload never runs two digests;
//! - a running container's image is whole in its node's content store;
//! - with `AlwaysPullImages`, a pod without a valid credential never runs a private image;
//! - a node never downloads the same blob or manifest twice (nothing is ever evicted).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use proptest::prelude::*;
use pullsim_model::kubelet_config::KubeletPullConfig;
use pullsim_model::{PullPolicy, Secret, SimTime};
use pullsim_registry::ImageSpec;
use pullsim_sim::{
    Action, AdmissionConfig, DigestPinning, FailurePolicy, Link, NodeOrAdmission, NodePool,
    OutageKind, Sim, SimConfig, TraceEvent, Workload,
};

const IMAGES: [&str; 5] = [
    "registry.example.com/app:v1",
    "registry.example.com/app:missing",
    "registry.example.com/private/app:v1",
    "registry.example.com/app",
    "registry.example.com/tenant-b/app:v1",
];

#[derive(Debug, Clone)]
struct PodPlan {
    image: usize,
    policy: Option<PullPolicy>,
    secret: bool,
    node: usize,
    at_secs: u64,
}

#[derive(Debug, Clone)]
struct World {
    seed: u64,
    nodes: usize,
    parallel: bool,
    slow: bool,
    prepulled: Vec<usize>,
    pods: Vec<PodPlan>,
    push_at: Option<u64>,
    outage_at: Option<u64>,
    always_pull: bool,
    pinning: bool,
}

fn policy() -> impl Strategy<Value = Option<PullPolicy>> {
    prop_oneof![
        Just(None),
        Just(Some(PullPolicy::Always)),
        Just(Some(PullPolicy::IfNotPresent)),
        Just(Some(PullPolicy::Never)),
    ]
}

fn world() -> impl Strategy<Value = World> {
    let pod = (
        0..IMAGES.len(),
        policy(),
        any::<bool>(),
        0..3usize,
        0..120u64,
    )
        .prop_map(|(image, policy, secret, node, at_secs)| PodPlan {
            image,
            policy,
            secret,
            node,
            at_secs,
        });
    (
        any::<u64>(),
        1..4usize,
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec(0..IMAGES.len(), 0..3),
        proptest::collection::vec(pod, 1..6),
        proptest::option::of(0..300u64),
        proptest::option::of(0..300u64),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                seed,
                nodes,
                parallel,
                slow,
                prepulled,
                pods,
                push_at,
                outage_at,
                always_pull,
                pinning,
            )| World {
                seed,
                nodes,
                parallel,
                slow,
                prepulled,
                pods,
                push_at,
                outage_at,
                always_pull,
                pinning,
            },
        )
}

fn alice() -> Secret {
    Secret::parse(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alice\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry.example.com\": {\"username\": \"alice\", \"password\": \"wonderland\"}}}'\n",
    )
    .unwrap()
}

fn run(world: &World) -> Sim {
    let mut sim = Sim::new(SimConfig {
        seed: world.seed,
        admission: AdmissionConfig {
            always_pull_images: world.always_pull,
            digest_pinning: world.pinning.then_some(DigestPinning {
                failure_policy: FailurePolicy::Ignore,
            }),
        },
        ..SimConfig::default()
    });
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    let mut node_pool = NodePool {
        default_link: if world.slow {
            Link::mbit(10, Duration::from_millis(50))
        } else {
            Link::INSTANT
        },
        prepulled: world
            .prepulled
            .iter()
            .filter(|&&i| matches!(i, 0 | 2 | 4))
            .map(|&i| IMAGES[i].to_owned())
            .collect(),
        ..NodePool::new("node", world.nodes as u32)
    };
    node_pool.kubelet.pull = KubeletPullConfig {
        serialize_image_pulls: Some(!world.parallel),
        ..KubeletPullConfig::default()
    };
    sim.add_node_pool(node_pool).unwrap();
    sim.add_secret(alice());
    for (index, plan) in world.pods.iter().enumerate() {
        let mut pod = pod(&format!("p{index}"), IMAGES[plan.image], plan.policy);
        pod.spec.node_name = Some(format!("node-{}", plan.node % world.nodes));
        if plan.secret {
            pod.spec.image_pull_secrets = vec!["alice".to_owned()];
        }
        sim.create_pod(SimTime::from_secs(plan.at_secs), pod);
    }
    let mut template = pod("web", IMAGES[0], Some(PullPolicy::IfNotPresent));
    template.spec.node_name = None;
    sim.add_workload(
        SimTime::from_secs(10),
        Workload {
            name: "web".to_owned(),
            template,
            replicas: world.nodes as u32 * 2,
            replace_every: Some(Duration::from_secs(90)),
        },
    );
    if let Some(at) = world.push_at {
        sim.schedule(
            SimTime::from_secs(at),
            Action::PushBuild {
                host: HOST.to_owned(),
                image: ImageSpec {
                    build: 2,
                    ..ImageSpec::new("app", "v1")
                },
            },
        );
    }
    if let Some(at) = world.outage_at {
        sim.schedule(
            SimTime::from_secs(at),
            Action::Outage {
                host: HOST.to_owned(),
                duration: Duration::from_secs(40),
                kind: OutageKind::Status(503),
            },
        );
    }
    sim.run_until(SimTime::from_secs(900)).unwrap();
    sim
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_in_random_worlds(world in world()) {
        let sim = run(&world);

        // Never pods cause no registry request: such a pod never queues a pull.
        for record in sim.trace() {
            if let TraceEvent::PullQueued { pod, .. } = &record.event {
                let spec = sim.pod_spec(*pod);
                let never = spec.containers.iter().all(|c| c.image_pull_policy == Some(PullPolicy::Never));
                prop_assert!(!never, "a Never pod pulled: {}", sim.render_record(record));
            }
        }

        // Back-off: consecutive pull starts of one pod are at least the window apart.
        let mut starts: BTreeMap<u32, Vec<SimTime>> = BTreeMap::new();
        let mut failed: BTreeMap<u32, Vec<SimTime>> = BTreeMap::new();
        for record in sim.trace() {
            if let TraceEvent::PullFinished { pod, succeeded, .. } = &record.event
                && !succeeded
            {
                failed.entry(pod.0).or_default().push(record.time);
            }
            if let TraceEvent::PullQueued { pod, .. } = &record.event {
                starts.entry(pod.0).or_default().push(record.time);
            }
        }
        for (pod, failures) in &failed {
            let pulls = &starts[pod];
            for (index, failure) in failures.iter().enumerate() {
                let window = Duration::from_secs((10u64 << index.min(5)).min(300));
                if let Some(next) = pulls.iter().find(|start| *start > failure) {
                    prop_assert!(
                        next.saturating_since(*failure) >= window,
                        "pod {pod}: pull {next} only {:?} after failure {index} at {failure}",
                        next.saturating_since(*failure)
                    );
                }
            }
        }

        // Pinned workloads run one digest (a workload whose tags could not be resolved when
        // it was created, in an outage, is not pinned).
        let pinned_at_creation = sim.trace().iter().any(|record| {
            record.time == SimTime::from_secs(10)
                && matches!(&record.event, TraceEvent::Timeline { what } if what.contains("DigestPinning"))
        });
        if world.pinning && pinned_at_creation {
            let metrics = sim.metrics();
            for drift in &metrics.workloads {
                prop_assert!(drift.max_distinct_digests <= 1, "{drift:?}");
            }
        }

        // Running containers have their whole image on their node.
        let violations = sim.audit_content();
        prop_assert!(violations.is_empty(), "{violations:#?}");

        // AlwaysPullImages: private images run only with alice's secret.
        if world.always_pull {
            for (index, plan) in world.pods.iter().enumerate() {
                let private = plan.image == 2 || plan.image == 4;
                let allowed = plan.image == 2 && plan.secret;
                if private && !allowed && let Some(pod) = sim.pod_id("default", &format!("p{index}")) {
                    prop_assert!(!running(&sim, pod), "p{index} ran {} without access", IMAGES[plan.image]);
                }
            }
        }

        // No node downloads the same content twice.
        let mut downloaded: BTreeSet<(String, String)> = BTreeSet::new();
        for record in sim.trace() {
            if let TraceEvent::Registry { client: NodeOrAdmission::Node(node), method: "GET", target, status: 200, .. } = &record.event
                && let Some(digest) = target.rsplit('/').next().filter(|d| d.starts_with("sha256:"))
            {
                let key = (sim.node_name(*node).to_owned(), digest.to_owned());
                prop_assert!(downloaded.insert(key.clone()), "{key:?} downloaded twice");
            }
        }
    }
}
