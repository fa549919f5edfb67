//! Speed of the registry core, the server's hot path: `Registry::handle` on a manifest
//! GET by tag with the six `Accept` lines containers/image sends (goal: far above the
//! 20,000 requests per second the HTTP server must reach on 2 cores, so HTTP is the
//! bottleneck), on a 1 MiB blob GET (a `Bytes` clone, no copy), and the synthetic builder
//! making a 64 MiB image (criterion prints bytes per second).
//!
//! The log grows by one entry per request during a run; that is the real cost a server
//! pays, so it stays in the measurement.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pullsim_model::{ByteSize, SimTime};
use pullsim_registry::{ImageSpec, Method, Registry, RegistryConfig, Request};

const CONTAINERS_IMAGE_ACCEPT: [&str; 6] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
];

fn handle(c: &mut Criterion) {
    let mut registry = Registry::with_demo_catalog(RegistryConfig::default());
    let mut manifest = Request::new(
        Method::Get,
        "/v2/demo/hello/manifests/v1",
        "127.0.0.1:40000",
    );
    for line in CONTAINERS_IMAGE_ACCEPT {
        manifest.headers.append("Accept", line);
    }
    manifest.headers.append("Host", "127.0.0.1:5000");
    manifest.headers.append("User-Agent", "skopeo/1.9.3");
    let loaded = registry
        .push_build(
            &ImageSpec {
                layers: vec![ByteSize(1 << 20)],
                ..ImageSpec::new("bench/blob", "v1")
            },
            SimTime::EPOCH,
        )
        .expect("a valid spec");
    let mut get = Request::new(
        Method::Get,
        format!("/v2/bench/blob/manifests/{}", loaded.digest),
        "c",
    );
    get.headers.append("Accept", CONTAINERS_IMAGE_ACCEPT[0]);
    let body = registry.handle(&get, SimTime::EPOCH).body;
    let text = String::from_utf8_lossy(&body).into_owned();
    let layer = text
        .split("\"digest\":\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let blob = Request::new(
        Method::Get,
        format!("/v2/bench/blob/blobs/{layer}"),
        "127.0.0.1:40001",
    );
    assert_eq!(registry.handle(&blob, SimTime::EPOCH).body.len(), 1 << 20);

    let mut group = c.benchmark_group("registry");
    group.throughput(Throughput::Elements(1));
    group.bench_function("handle manifest GET by tag", |b| {
        b.iter(|| black_box(registry.handle(black_box(&manifest), SimTime::EPOCH)));
    });
    group.throughput(Throughput::Bytes(1 << 20));
    group.bench_function("handle 1 MiB blob GET", |b| {
        b.iter(|| black_box(registry.handle(black_box(&blob), SimTime::EPOCH)));
    });
    group.finish();
}

fn builder(c: &mut Criterion) {
    let spec = ImageSpec {
        layers: vec![ByteSize(32 << 20), ByteSize(32 << 20)],
        ..ImageSpec::new("bench/build", "v1")
    };
    let mut group = c.benchmark_group("builder");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(64 << 20));
    group.bench_function("push_build of two 32 MiB layers", |b| {
        b.iter(|| {
            let mut registry = Registry::new(RegistryConfig::default());
            black_box(registry.push_build(black_box(&spec), SimTime::EPOCH))
        });
    });
    group.finish();
}

criterion_group!(benches, handle, builder);
criterion_main!(benches);
