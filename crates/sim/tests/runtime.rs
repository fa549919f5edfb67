//! containerd as the simulated runtime (docs/semantics.md §6, 7): platform choice from an index,
//! the content store (shared layers fetched once, also across concurrent pulls), transfer
//! time from size, bandwidth and latency, and the kubelet's pullers around it (serial,
//! parallel, the QPS throttle).

mod common;

use std::time::Duration;

use common::*;
use pullsim_model::kubelet_config::KubeletPullConfig;
use pullsim_model::{ByteSize, Platform, PullPolicy, SimTime};
use pullsim_registry::{BaseLayers, ImageSpec, Registry, RegistryConfig};
use pullsim_sim::{ContainerState, Link, NodePool, Sim, SimConfig, TraceEvent, WorkerJitter};

fn image(repository: &str, platforms: &[&str], layers: &[u64]) -> ImageSpec {
    ImageSpec {
        platforms: platforms
            .iter()
            .map(|p| Platform::parse(p).unwrap())
            .collect(),
        layers: layers.iter().map(|&b| ByteSize(b)).collect(),
        ..ImageSpec::new(repository, "v1")
    }
}

fn registry_with(images: &[ImageSpec]) -> Registry {
    let mut registry = Registry::new(RegistryConfig::default());
    for spec in images {
        registry.push_build(spec, SimTime::EPOCH).unwrap();
    }
    registry
}

fn running_image(sim: &Sim, pod: pullsim_sim::PodId) -> Option<String> {
    sim.trace().iter().find_map(|record| match &record.event {
        TraceEvent::ContainerStatus {
            pod: p,
            state: ContainerState::Running { image_id, .. },
            ..
        } if *p == pod => Some(sim.digest(*image_id).to_string()),
        _ => None,
    })
}

#[test]
fn each_node_pulls_its_platform_from_an_index() {
    let mut registry = Registry::new(RegistryConfig::default());
    let multi = registry
        .push_build(
            &image(
                "multi",
                &["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
                &[2048],
            ),
            SimTime::EPOCH,
        )
        .unwrap();
    let arm_only = registry
        .push_build(
            &image("armonly", &["linux/arm/v7", "linux/s390x"], &[2048]),
            SimTime::EPOCH,
        )
        .unwrap();
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry).unwrap();
    for (name, platform) in [
        ("amd", "linux/amd64"),
        ("arm64", "linux/arm64"),
        ("arm", "linux/arm/v7"),
    ] {
        sim.add_node_pool(NodePool {
            platform: Platform::parse(platform).unwrap(),
            ..pool(name, 1)
        })
        .unwrap();
    }
    let on = |name: &str, node: &str, image: &str| {
        let mut pod = pod(name, image, Some(PullPolicy::IfNotPresent));
        pod.spec.node_name = Some(node.to_owned());
        pod
    };
    sim.create_pod(
        SimTime::EPOCH,
        on("a", "amd-0", "registry.example.com/multi:v1"),
    );
    sim.create_pod(
        SimTime::EPOCH,
        on("b", "arm64-0", "registry.example.com/multi:v1"),
    );
    sim.create_pod(
        SimTime::EPOCH,
        on("c", "arm-0", "registry.example.com/multi:v1"),
    );
    sim.create_pod(
        SimTime::EPOCH,
        on("d", "arm64-0", "registry.example.com/armonly:v1"),
    );
    sim.create_pod(
        SimTime::EPOCH,
        on("e", "amd-0", "registry.example.com/armonly:v1"),
    );
    sim.run_until(SimTime::from_secs(5)).unwrap();
    let id = |name| sim.pod_id("default", name).unwrap();
    // Each runs the config of its platform's child, so the image IDs differ.
    let (a, b, c) = (
        running_image(&sim, id("a")),
        running_image(&sim, id("b")),
        running_image(&sim, id("c")),
    );
    assert!(a.is_some() && b.is_some() && c.is_some());
    assert!(a != b && b != c && a != c);
    let child = |platform: &str| {
        multi
            .children
            .iter()
            .find(|(p, _)| p.to_string() == platform)
            .map(|(_, d)| d.to_string())
            .unwrap()
    };
    let fetched_children: Vec<String> = requests(&sim)
        .into_iter()
        .filter(|r| r.starts_with("GET /v2/multi/manifests/sha256"))
        .collect();
    for platform in ["linux/amd64", "linux/arm64/v8", "linux/arm/v7"] {
        assert!(
            fetched_children
                .iter()
                .any(|r| r.contains(&child(platform))),
            "{platform}: {fetched_children:#?}"
        );
    }
    // An arm64 node runs an arm/v7-only image; an amd64 node cannot.
    assert!(running(&sim, id("d")));
    assert!(running_image(&sim, id("d")).is_some());
    let _ = arm_only;
    let failed = events(&sim, id("e"))
        .into_iter()
        .find(|(_, reason, message)| reason == "Failed" && message.starts_with("Failed to pull"))
        .map(|(_, _, message)| message);
    assert_eq!(
        failed.as_deref(),
        Some(
            "Failed to pull image \"registry.example.com/armonly:v1\": rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/armonly:v1\": no match for platform in manifest: not found"
        )
    );
}

fn on_base(repository: &str, base_bytes: u64, own_bytes: u64) -> ImageSpec {
    ImageSpec {
        base: Some(BaseLayers {
            name: "debian".to_owned(),
            layers: vec![ByteSize(base_bytes)],
        }),
        sized: true,
        layers: vec![ByteSize(own_bytes)],
        ..ImageSpec::new(repository, "v1")
    }
}

fn blob_gets(sim: &Sim) -> Vec<String> {
    requests(sim)
        .into_iter()
        .filter(|r| r.starts_with("GET") && r.contains("/blobs/"))
        .collect()
}

#[test]
fn shared_layers_are_fetched_once_even_by_concurrent_pulls() {
    for serialize in [true, false] {
        let mut sim = Sim::new(SimConfig::default());
        sim.add_registry(
            HOST,
            registry_with(&[
                on_base("web", 50 << 20, 1 << 20),
                on_base("api", 50 << 20, 2 << 20),
            ]),
        )
        .unwrap();
        let mut node_pool = NodePool {
            default_link: Link::mbit(800, Duration::from_millis(10)),
            ..NodePool::new("node", 1)
        };
        node_pool.kubelet.pull = KubeletPullConfig {
            serialize_image_pulls: Some(serialize),
            ..KubeletPullConfig::default()
        };
        sim.add_node_pool(node_pool).unwrap();
        sim.create_pod(
            SimTime::EPOCH,
            pod("web", "registry.example.com/web:v1", None),
        );
        sim.create_pod(
            SimTime::EPOCH,
            pod("api", "registry.example.com/api:v1", None),
        );
        sim.run_until_idle().unwrap();
        let gets = blob_gets(&sim);
        // Two configs, two own layers, one base layer.
        assert_eq!(gets.len(), 5, "serialize={serialize}: {gets:#?}");
        let metrics = sim.metrics();
        assert_eq!(metrics.content_hits, 1, "serialize={serialize}");
        assert_eq!(metrics.pulls_succeeded, 2);
        assert_eq!(
            metrics.bytes_served,
            metrics.registry.iter().map(|r| r.bytes).sum::<u64>()
        );
    }
}

/// 10 MB at 80 Mbit/s (10 MB/s) with a 20 ms round trip: about one second of transfer
/// plus a round trip per request, and the serial puller makes the second pull wait.
#[test]
fn transfer_time_comes_from_size_bandwidth_and_latency() {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(
        HOST,
        registry_with(&[
            ImageSpec {
                sized: true,
                layers: vec![ByteSize(10_000_000)],
                ..ImageSpec::new("one", "v1")
            },
            ImageSpec {
                sized: true,
                layers: vec![ByteSize(10_000_000)],
                ..ImageSpec::new("two", "v1")
            },
        ]),
    )
    .unwrap();
    sim.add_node_pool(NodePool {
        default_link: Link::mbit(80, Duration::from_millis(20)),
        ..NodePool::new("node", 1)
    })
    .unwrap();
    sim.create_pod(
        SimTime::EPOCH,
        pod("one", "registry.example.com/one:v1", None),
    );
    sim.create_pod(
        SimTime::EPOCH,
        pod("two", "registry.example.com/two:v1", None),
    );
    sim.run_until_idle().unwrap();
    let pulled = |name: &str| {
        let pod = sim.pod_id("default", name).unwrap();
        events(&sim, pod)
            .into_iter()
            .find(|(_, reason, _)| reason == "Pulled")
            .map(|(_, _, message)| message)
            .unwrap()
    };
    // HEAD, GET manifest, then config and layer at once: 3 round trips plus 1 s of layer
    // (the small config shares the link for a moment).
    let one = pulled("one");
    assert!(
        one.starts_with("Successfully pulled image \"registry.example.com/one:v1\" in 1.06"),
        "{one}"
    );
    assert!(one.contains("including waiting). Image size: 100"), "{one}");
    let two = pulled("two");
    assert!(two.contains("in 1.06") && two.contains("(2.1"), "{two}");
}

#[test]
fn the_qps_throttle_fails_pulls_beyond_its_burst() {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    let mut node_pool = pool("node", 1);
    node_pool.kubelet.pull = KubeletPullConfig {
        registry_pull_qps: Some(1),
        registry_burst: Some(2),
        serialize_image_pulls: Some(false),
        ..KubeletPullConfig::default()
    };
    sim.add_node_pool(node_pool).unwrap();
    for name in ["a", "b", "c"] {
        sim.create_pod(
            SimTime::EPOCH,
            pod(
                name,
                "registry.example.com/app:v1",
                Some(PullPolicy::Always),
            ),
        );
    }
    sim.run_until(SimTime::from_millis(500)).unwrap();
    let c = sim.pod_id("default", "c").unwrap();
    let texts: Vec<String> = events(&sim, c).into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(
        texts,
        [
            "Pulling image \"registry.example.com/app:v1\"",
            "Failed to pull image \"registry.example.com/app:v1\": pull QPS exceeded",
            "Error: ErrImagePull",
        ]
    );
    sim.run_until(SimTime::from_secs(30)).unwrap();
    assert!(
        running(&sim, c),
        "the retry after the back-off gets a token"
    );
}

#[test]
fn the_serial_puller_answers_in_fifo_order_when_pulls_end_at_once() {
    // Two pulls refused by the throttle at the same instant: the first queued is answered
    // first, and so retries first (with fixed worker delays), as the serial puller's
    // single loop does; answering a pull must not run the next one before it.
    let mut sim = Sim::new(SimConfig {
        worker_jitter: WorkerJitter::Fixed {
            error_requeue: Duration::from_secs(10),
            resync: Duration::from_secs(60),
        },
        ..SimConfig::default()
    });
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    let mut node_pool = pool("node", 1);
    node_pool.kubelet.pull = KubeletPullConfig {
        registry_pull_qps: Some(1),
        registry_burst: Some(1),
        ..KubeletPullConfig::default()
    };
    sim.add_node_pool(node_pool).unwrap();
    for name in ["a", "b", "c"] {
        sim.create_pod(
            SimTime::EPOCH,
            pod(
                name,
                "registry.example.com/app:v1",
                Some(PullPolicy::Always),
            ),
        );
    }
    sim.run_until(SimTime::from_secs(15)).unwrap();
    let ids: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|name| sim.pod_id("default", name).unwrap())
        .collect();
    let order: Vec<String> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Event { pod, reason, .. } => {
                let name = ["a", "b", "c"][ids.iter().position(|id| id == pod)?];
                Some(format!("{name} {reason}"))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        order,
        [
            "a Pulling",
            "b Pulling",
            "c Pulling",
            "a Pulled",
            "b Failed",
            "b Failed",
            "c Failed",
            "c Failed",
            "b Pulling",
            "c Pulling",
            "b Pulled",
            "c Failed",
            "c Failed",
        ]
    );
}

#[test]
fn invalid_kubelet_settings_are_refused_with_the_kubelets_message() {
    let mut sim = Sim::new(SimConfig::default());
    let mut node_pool = pool("node", 1);
    node_pool.kubelet.pull = KubeletPullConfig {
        serialize_image_pulls: Some(true),
        max_parallel_image_pulls: Some(3),
        ..KubeletPullConfig::default()
    };
    let error = sim.add_node_pool(node_pool).unwrap_err();
    assert_eq!(
        error.to_string(),
        "node pool \"node\": invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false"
    );
}

#[test]
fn init_containers_run_first_one_at_a_time() {
    let mut sim = one_node(SimConfig::default());
    let mut pod = pod("web", "registry.example.com/app:v1", None);
    pod.spec.init_containers = vec![pullsim_sim::Container::new(
        "setup",
        "registry.example.com/private/app:v1",
    )];
    let mut with_secret = pod.clone();
    sim.create_pod(SimTime::EPOCH, pod);
    sim.run_until(SimTime::from_secs(3)).unwrap();
    let id = sim.pod_id("default", "web").unwrap();
    let statuses: Vec<String> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::ContainerStatus { pod: p, state, .. } if *p == id => {
                Some(format!("{state:?}"))
            }
            _ => None,
        })
        .collect();
    assert!(
        statuses.iter().any(|s| s.contains("PodInitializing")),
        "{statuses:#?}"
    );
    assert!(!running(&sim, id), "the init container's image is private");
    assert!(
        events(&sim, id)
            .iter()
            .all(|(_, _, m)| !m.contains("app:v1\"") || m.contains("private"))
    );

    with_secret.name = "web2".to_owned();
    with_secret.spec.image_pull_secrets = vec!["alice".to_owned()];
    sim.add_secret(
        pullsim_model::Secret::parse(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alice\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry.example.com\": {\"username\": \"alice\", \"password\": \"wonderland\"}}}'\n",
        )
        .unwrap(),
    );
    sim.create_pod(SimTime::from_secs(3), with_secret);
    sim.run_until(SimTime::from_secs(10)).unwrap();
    let id = sim.pod_id("default", "web2").unwrap();
    assert!(running(&sim, id));
    let pulling: Vec<String> = events(&sim, id)
        .into_iter()
        .filter(|(_, reason, _)| reason == "Pulling")
        .map(|(_, _, m)| m)
        .collect();
    assert_eq!(
        pulling,
        [
            "Pulling image \"registry.example.com/private/app:v1\"",
            "Pulling image \"registry.example.com/app:v1\"",
        ]
    );
}
