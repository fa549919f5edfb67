//! Speed of the simulator's hot paths: the event queue (push and pop), one
//! `EnsureImageExists` (the model's decision alone, and a whole pod start through the
//! simulator with the image already on the node), one pull-keyring lookup (a pod secret
//! over a busy node keyring), and a small fleet in events per second. The big fleet is
//! `cargo xtask bench sim`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pullsim_benches::{fleet_scenario, keyring};
use pullsim_model::credentials::make_pull_keyring;
use pullsim_model::pull::{Presence, decide};
use pullsim_model::{KubeletBehavior, PullPolicy, PullRequest, Secret, SimTime};
use pullsim_registry::{ImageSpec, Registry, RegistryConfig};
use pullsim_scenario::run::simulate::{Overrides, Trace, simulate};
use pullsim_sim::{Container, EventQueue, Link, NodePool, Pod, Sim, SimConfig, SimRng, TraceLevel};

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

fn one_node_with(image: &str) -> Sim {
    let mut registry = Registry::new(RegistryConfig::default());
    let _ = registry.push_build(&ImageSpec::new("app", "v1"), SimTime::EPOCH);
    let mut sim = Sim::new(SimConfig {
        trace_level: TraceLevel::Off,
        ..SimConfig::default()
    });
    let _ = sim.add_registry("registry.example.com", registry);
    let _ = sim.add_node_pool(NodePool {
        default_link: Link::INSTANT,
        prepulled: vec![image.to_owned()],
        ..NodePool::new("node", 1)
    });
    sim
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
    group.finish();
}

criterion_group!(
    benches,
    queue,
    ensure_image_exists,
    keyring_lookup,
    small_fleet
);
criterion_main!(benches);
