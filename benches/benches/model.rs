//! Throughput of the model's hot rules: reference parsing (target: at least 2 million
//! `ParseNormalizedNamed` calls per second on one core) and keyring lookup.
//!
//! Criterion prints each figure as `thrpt:` in elements per second; one element is one
//! parsed reference or one lookup.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pullsim_benches::{REFERENCES, keyring};
use pullsim_model::{Reference, apply_default_image_tag, default_pull_policy};

fn references(c: &mut Criterion) {
    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Elements(REFERENCES.len() as u64));
    group.bench_function("parse_normalized_named", |b| {
        b.iter(|| {
            for reference in REFERENCES {
                let _ = black_box(Reference::parse_normalized_named(black_box(reference)));
            }
        });
    });
    group.bench_function("kubelet_view (policy + applyDefaultImageTag)", |b| {
        b.iter(|| {
            for reference in REFERENCES {
                black_box(default_pull_policy(black_box(reference)));
                let _ = black_box(apply_default_image_tag(black_box(reference)));
            }
        });
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let keyring = keyring(50);
    let images = [
        "registry7.example.com/team/app",
        "eu.mirror31.example.com/app",
        "quay.io/org/none",
    ];
    let mut group = c.benchmark_group("keyring");
    group.throughput(Throughput::Elements(images.len() as u64));
    group.bench_function("lookup in 150 keys", |b| {
        b.iter(|| {
            for image in images {
                black_box(keyring.lookup(black_box(image)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, references, lookups);
criterion_main!(benches);
