//! Speed of the simulator's hot paths, one group per phase so a regression shows where it
//! happens: the event queue (push and pop), admission and replica creation (a workload's
//! thousand replicas created, admitted, stored and bound), one `EnsureImageExists` (the
//! model's decision alone, and a whole pod start through the simulator with the image
//! already on the node), a pull through the registry model (resolve, manifest, blobs, over
//! an instant link), the metrics fold over a kept trace, one pull-keyring lookup (a pod
//! secret over a busy node keyring), and a small fleet and a small outage-shaped fleet in
//! events per second. The big fleets are `cargo xtask bench sim`.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use pullsim_benches::{fleet_scenario, keyring, outage_scenario};
use pullsim_model::credentials::make_pull_keyring;
use pullsim_model::pull::{Presence, decide};
use pullsim_model::{KubeletBehavior, PullPolicy, PullRequest, Secret, SimTime};
use pullsim_registry::{ImageSpec, Registry, RegistryConfig};
use pullsim_scenario::run::simulate::{Overrides, Trace, simulate};
use pullsim_sim::{
    Container, EventQueue, Link, MetricsRecorder, NodePool, Pod, Sim, SimConfig, SimRng,
    TraceLevel, Workload,
};

fn queue(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue");
    const EVENTS: u64 = 100_000;
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("push and pop 100k at random times", |b| {
        let mut rng = SimRng::new(1);
        let times: Vec<SimTime> = (0..EVENTS)
            .map(|_| SimTime::from_millis((rng.unit() * 3.6e6) as u64))
            .collect();
        b.iter(|| {
            let mut queue = EventQueue::new();
            for (index, time) in times.iter().enumerate() {
                queue.push(*time, index as u32);
            }
            while let Some(event) = queue.pop() {
                black_box(event);
            }
        });
    });
    group.finish();
}

/// `nodes` nodes over an instant link to `registry.example.com` (which holds `app:v1`),
/// keeping `trace`, with `prepulled` already on every node.
fn nodes_with(nodes: u32, prepulled: &[&str], trace: TraceLevel) -> Sim {
    let mut registry = Registry::new(RegistryConfig::default());
    let _ = registry.push_build(&ImageSpec::new("app", "v1"), SimTime::EPOCH);
    let mut sim = Sim::new(SimConfig {
        trace_level: trace,
        ..SimConfig::default()
    });
    let _ = sim.add_registry("registry.example.com", registry);
    let _ = sim.add_node_pool(NodePool {
        default_link: Link::INSTANT,
        prepulled: prepulled.iter().map(|image| (*image).to_owned()).collect(),
        ..NodePool::new("node", nodes)
    });
    sim
}

fn one_node_with(image: &str) -> Sim {
    nodes_with(1, &[image], TraceLevel::Off)
}

/// A workload of `replicas` pods running `image`, one per node.
fn workload(replicas: u32, image: &str) -> Workload {
    Workload {
        name: "app".to_owned(),
        template: Pod::new("app", vec![Container::new("c", image)]),
        replicas,
        replace_every: None,
    }
}

fn replica_creation(c: &mut Criterion) {
    const REPLICAS: u32 = 1000;
    let image = "registry.example.com/app:v1";
    let mut group = c.benchmark_group("admission_and_replicas");
    group.throughput(Throughput::Elements(u64::from(REPLICAS)));
    group.bench_function("create, admit, store and bind 1000 replicas", |b| {
        b.iter_batched(
            || {
                let mut sim = nodes_with(REPLICAS, &[image], TraceLevel::Off);
                sim.add_workload(SimTime::EPOCH, workload(REPLICAS, image));
                sim
            },
            // The first event is the workload's creation: every replica at once.
            |mut sim| black_box(sim.step().is_ok()),
            BatchSize::LargeInput,
        );
    });
    group.finish();
}

fn pull_through_registry(c: &mut Criterion) {
    let image = "registry.example.com/app:v1";
    let mut group = c.benchmark_group("registry_pull");
    group.throughput(Throughput::Elements(1));
    group.bench_function(
        "one pod's pull to Running (resolve, manifest, blobs)",
        |b| {
            b.iter_batched(
                || {
                    let mut sim = nodes_with(1, &[], TraceLevel::Off);
                    let mut pod = Pod::new("p", vec![Container::new("c", image)]);
                    pod.spec.node_name = Some("node-0".to_owned());
                    sim.create_pod(SimTime::EPOCH, pod);
                    sim
                },
                |mut sim| {
                    let _ = sim.run_until(SimTime::from_secs(60));
                    black_box(sim.all_pods_running())
                },
                BatchSize::SmallInput,
            );
        },
    );
    group.finish();
}

fn metrics_fold(c: &mut Criterion) {
    let image = "registry.example.com/app:v1";
    let mut group = c.benchmark_group("metrics");
    let mut sim = nodes_with(200, &[], TraceLevel::Full);
    sim.add_workload(
        SimTime::EPOCH,
        Workload {
            replace_every: Some(std::time::Duration::from_secs(600)),
            ..workload(200, image)
        },
    );
    let _ = sim.run_until(SimTime::from_secs(3600));
    let trace = sim.trace();
    group.throughput(Throughput::Elements(trace.len() as u64));
    group.bench_function("fold a 200-node hour's trace", |b| {
        b.iter(|| black_box(MetricsRecorder::from_trace(black_box(trace))));
    });
    group.finish();
}

fn ensure_image_exists(c: &mut Criterion) {
    let image = "registry.example.com/app:v1";
    let mut group = c.benchmark_group("ensure_image_exists");
    group.throughput(Throughput::Elements(1));
    let request = PullRequest::new(
        image,
        PullPolicy::IfNotPresent,
        Presence::Present {
            image_ref: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
                .to_owned(),
        },
    );
    let behavior = KubeletBehavior::default();
    group.bench_function("model decide (present, IfNotPresent)", |b| {
        b.iter(|| black_box(decide(black_box(&request), &behavior)));
    });
    let mut sim = one_node_with(image);
    let mut n = 0u64;
    group.bench_function("pod start through the sim (image present)", |b| {
        b.iter(|| {
            n += 1;
            let mut pod = Pod::new(format!("p{n}"), vec![Container::new("c", image)]);
            pod.spec.node_name = Some("node-0".to_owned());
            sim.create_pod(sim.now(), pod);
            let until = sim.now() + std::time::Duration::from_secs(2);
            let _ = sim.run_until(until);
        });
    });
    group.finish();
}

fn keyring_lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("pull_keyring");
    group.throughput(Throughput::Elements(1));
    let secret = Secret::parse(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry7.example.com/team\": {\"username\": \"u\", \"password\": \"p\"}}}'\n",
    )
    .ok();
    let Ok(pull_keyring) = make_pull_keyring(&[secret], keyring(50)) else {
        return;
    };
    group.bench_function("pod secret over a 150-key node keyring", |b| {
        b.iter(|| black_box(pull_keyring.lookup(black_box("registry7.example.com/team/app"))));
    });
    group.finish();
}

fn small_fleet(c: &mut Criterion) {
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    let Ok(scenario) = fleet_scenario() else {
        return;
    };
    let overrides = Overrides {
        seed: Some(1),
        nodes: Some(50),
        until: Some(std::time::Duration::from_secs(3600)),
    };
    let events = simulate(&scenario, Trace::Off, &overrides).events();
    group.throughput(Throughput::Elements(events));
    group.bench_function("50 nodes, 1 virtual hour", |b| {
        b.iter(|| black_box(simulate(&scenario, Trace::Off, &overrides).events()));
    });
    let Ok(outage) = outage_scenario() else {
        return;
    };
    let overrides = Overrides {
        nodes: Some(100),
        ..Overrides::default()
    };
    let events = simulate(&outage, Trace::Off, &overrides).events();
    group.throughput(Throughput::Elements(events));
    group.bench_function("outage-shaped, 100 nodes, until all Running", |b| {
        b.iter(|| black_box(simulate(&outage, Trace::Off, &overrides).events()));
    });
    group.finish();
}

criterion_group!(
    benches,
    queue,
    replica_creation,
    ensure_image_exists,
    pull_through_registry,
    metrics_fold,
    keyring_lookup,
    small_fleet
);
criterion_main!(benches);
