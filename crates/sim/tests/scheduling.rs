//! Placement: the scheduler's `ImageLocality` score beside the free-slots score.

mod common;

use common::*;
use pullsim_model::{ByteSize, SimTime};
use pullsim_registry::{Catalog, ImageSpec, Registry, RegistryConfig};
use pullsim_sim::{Container, Pod, Sim, SimConfig};

/// A sized image `repository:v1` of one layer of `mib` MiB.
fn sized(repository: &str, mib: u64) -> ImageSpec {
    ImageSpec {
        layers: vec![ByteSize(mib * 1024 * 1024)],
        sized: true,
        ..ImageSpec::new(repository, "v1")
    }
}

/// Three nodes and a registry with a 500 MiB image and a 1 MiB one.
fn world() -> Sim {
    let mut registry = Registry::new(RegistryConfig::default());
    let catalog = Catalog {
        images: vec![sized("big", 500), sized("small", 1)],
        ..Catalog::default()
    };
    registry.load(&catalog, SimTime::EPOCH).unwrap();
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry).unwrap();
    sim.add_node_pool(pool("node", 3)).unwrap();
    sim
}

fn placed(sim: &Sim, name: &str) -> String {
    let pod = sim.pod_id("default", name).unwrap();
    sim.node_name(sim.pod_node(pod).unwrap()).to_owned()
}

/// Pins a pod of `image` on node-2, runs until it ran, then creates a free pod of the
/// same image; returns where the free one went.
fn second_pod_of(image: &str) -> String {
    let mut sim = world();
    let mut first = Pod::new("first", vec![Container::new("c", image)]);
    first.spec.node_name = Some("node-2".to_owned());
    sim.create_pod(SimTime::EPOCH, first);
    sim.run_until(SimTime::from_secs(60)).unwrap();
    sim.create_pod(
        SimTime::from_secs(60),
        Pod::new("second", vec![Container::new("c", image)]),
    );
    sim.run_until(SimTime::from_secs(61)).unwrap();
    placed(&sim, "second")
}

#[test]
fn a_node_holding_a_big_image_wins_over_emptier_nodes() {
    // 500 MiB on 1 of 3 nodes scales to 166 MiB: ImageLocality 14, beside free slots 99
    // against the empty nodes' 100.
    assert_eq!(second_pod_of("registry.example.com/big:v1"), "node-2");
}

#[test]
fn a_small_image_scores_nothing_and_the_emptiest_node_wins() {
    // 1 MiB is under the 23 MiB threshold: the empty node-0 wins as before.
    assert_eq!(second_pod_of("registry.example.com/small:v1"), "node-0");
}

#[test]
fn a_name_without_tag_does_not_match_the_nodes_full_name() {
    // `normalizedImageName` only appends `:latest`; the node reports the full name, so a
    // spec written `registry.example.com/big` (no tag) matches `...big:latest`, which the
    // node does not hold (it pulled `:v1`): no locality.
    let mut sim = world();
    let mut first = Pod::new(
        "first",
        vec![Container::new("c", "registry.example.com/big:v1")],
    );
    first.spec.node_name = Some("node-2".to_owned());
    sim.create_pod(SimTime::EPOCH, first);
    sim.run_until(SimTime::from_secs(60)).unwrap();
    let digest = sim.trace().iter().find_map(|record| match &record.event {
        pullsim_sim::TraceEvent::ContainerStatus {
            state: pullsim_sim::ContainerState::Running { digest, .. },
            ..
        } => Some(*digest),
        _ => None,
    });
    let pinned = format!("registry.example.com/big@{}", sim.digest(digest.unwrap()));
    sim.create_pod(
        SimTime::from_secs(60),
        Pod::new("by-digest", vec![Container::new("c", pinned.as_str())]),
    );
    sim.create_pod(
        SimTime::from_secs(60),
        Pod::new(
            "untagged",
            vec![Container::new("c", "registry.example.com/big")],
        ),
    );
    sim.run_until(SimTime::from_secs(61)).unwrap();
    assert_eq!(
        placed(&sim, "by-digest"),
        "node-2",
        "the digest name matches"
    );
    assert_eq!(placed(&sim, "untagged"), "node-0");
}

#[test]
fn the_quick_placement_agrees_with_scoring_every_node_on_a_large_cluster() {
    // Debug builds check every quick placement against the full scoring
    // (`schedule_pod`'s debug_assert); this world drives both branches: few holders
    // (looked at directly) and many (found in the load order), with and without locality.
    let mut registry = Registry::new(RegistryConfig::default());
    let catalog = Catalog {
        images: vec![sized("big", 900), sized("mid", 200), sized("small", 1)],
        ..Catalog::default()
    };
    registry.load(&catalog, SimTime::EPOCH).unwrap();
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry).unwrap();
    for (name, count, images) in [
        ("a", 70, vec!["registry.example.com/big:v1"]),
        (
            "b",
            20,
            vec!["registry.example.com/mid:v1", "registry.example.com/big:v1"],
        ),
        ("c", 30, vec![]),
    ] {
        let mut nodes = pool(name, count);
        nodes.prepulled = images.into_iter().map(str::to_owned).collect();
        sim.add_node_pool(nodes).unwrap();
    }
    for index in 0..400u32 {
        let image = match index % 4 {
            0 | 1 => "registry.example.com/big:v1",
            2 => "registry.example.com/mid:v1",
            _ => "registry.example.com/small:v1",
        };
        sim.create_pod(
            SimTime::from_secs(u64::from(index / 40)),
            Pod::new(format!("p{index}"), vec![Container::new("c", image)]),
        );
    }
    sim.run_until(SimTime::from_secs(120)).unwrap();
    // The big image's holders got more of its pods than the empty pool.
    let on_pool = |prefix: &str| {
        (0..400)
            .filter(|index| index % 4 < 2)
            .filter(|index| placed(&sim, &format!("p{index}")).starts_with(prefix))
            .count()
    };
    assert!(on_pool("a-") + on_pool("b-") > on_pool("c-") * 3);
}
