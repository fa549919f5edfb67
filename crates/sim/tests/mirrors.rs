//! containerd's registry host walk (docs/mirrors.md): a pool with a hosts directory sends
//! each resolve and fetch to its hosts in order, falling back after a refused connection, a
//! 404 or a 5xx, with `?ns=<registry>` on requests to a mirror.

mod common;

use std::time::Duration;

use common::*;
use pullsim_model::SimTime;
use pullsim_model::hosts::{ContainerdVersion, HostsDirectory};
use pullsim_registry::{Registry, RegistryConfig};
use pullsim_sim::{Action, ContainerdSettings, OutageKind, Sim, SimConfig, Source, TraceEvent};

const MIRROR: &str = "mirror.internal:5000";

fn hosts_toml(mirror: &str) -> String {
    format!(
        "server = \"https://{HOST}\"\n\n[host.\"https://{mirror}\"]\n  capabilities = [\"pull\", \"resolve\"]\n"
    )
}

/// One node whose containerd lists `mirror` before [`HOST`]; the mirror holds the test
/// images when `mirror_holds`.
fn world(mirror: &str, mirror_holds: bool) -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .unwrap();
    let mirror_registry = if mirror_holds {
        registry(RegistryConfig::default())
    } else {
        Registry::new(RegistryConfig::default())
    };
    sim.add_registry(MIRROR, mirror_registry).unwrap();
    let mut directory = HostsDirectory::new(ContainerdVersion::V2_0);
    directory.insert_toml(HOST, &hosts_toml(mirror));
    let mut node_pool = pool("node", 1);
    node_pool.containerd = ContainerdSettings {
        version: ContainerdVersion::V2_0,
        hosts: Some(directory),
    };
    sim.add_node_pool(node_pool).unwrap();
    sim
}

/// `(host, METHOD target, status)` of every registry request.
fn contacted(sim: &Sim) -> Vec<(String, String, u16)> {
    sim.trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::Registry {
                host,
                method,
                target,
                status,
                ..
            } => Some((
                sim.host_name(*host).to_owned(),
                format!("{method} {target}"),
                *status,
            )),
            _ => None,
        })
        .collect()
}

fn run(sim: &mut Sim) -> bool {
    sim.create_pod(SimTime::EPOCH, pod("web", &format!("{HOST}/app:v1"), None));
    sim.run_until(SimTime::from_secs(120)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();
    running(sim, pod)
}

fn outage(host: &str, kind: OutageKind) -> Action {
    Action::Outage {
        host: host.to_owned(),
        duration: Duration::from_secs(600),
        kind,
    }
}

#[test]
fn a_mirror_holding_the_image_serves_every_request_with_ns() {
    let mut sim = world(MIRROR, true);
    assert!(run(&mut sim));
    let requests = contacted(&sim);
    assert!(!requests.is_empty());
    for (host, request, _) in &requests {
        assert_eq!(host, MIRROR, "{request}");
        assert!(request.ends_with("?ns=registry.example.com"), "{request}");
    }
    assert_eq!(
        requests[0],
        (
            MIRROR.to_owned(),
            "HEAD /v2/app/manifests/v1?ns=registry.example.com".to_owned(),
            200
        )
    );
    let mirror = (0..2u16)
        .map(pullsim_sim::HostId)
        .find(|&h| sim.host_name(h) == MIRROR)
        .unwrap();
    assert_eq!(sim.host_source(mirror), Source::Mirror);
}

#[test]
fn a_mirror_without_the_image_answers_404_and_the_registry_serves() {
    let mut sim = world(MIRROR, false);
    assert!(run(&mut sim));
    let requests = contacted(&sim);
    assert_eq!(
        requests[0],
        (
            MIRROR.to_owned(),
            "HEAD /v2/app/manifests/v1?ns=registry.example.com".to_owned(),
            404
        )
    );
    assert_eq!(
        requests[1],
        (HOST.to_owned(), "HEAD /v2/app/manifests/v1".to_owned(), 200)
    );
    // Every fetch tries the mirror first and falls back after its 404.
    let blob_gets = |host: &str, status: u16| {
        requests
            .iter()
            .filter(|(h, r, s)| h == host && r.contains("/blobs/") && *s == status)
            .count()
    };
    assert!(blob_gets(HOST, 200) > 0);
    assert_eq!(blob_gets(MIRROR, 404), blob_gets(HOST, 200));
}

#[test]
fn a_refused_mirror_falls_back_to_the_registry() {
    let mut sim = world(MIRROR, true);
    sim.schedule(SimTime::EPOCH, outage(MIRROR, OutageKind::Unreachable));
    assert!(run(&mut sim));
    let requests = contacted(&sim);
    assert!(
        requests.iter().all(|(host, ..)| host == HOST),
        "{requests:?}"
    );
    assert!(requests.iter().all(|(_, r, _)| !r.contains("?ns=")));
}

#[test]
fn a_mirror_answering_503_falls_back_to_the_registry() {
    let mut sim = world(MIRROR, true);
    sim.schedule(SimTime::EPOCH, outage(MIRROR, OutageKind::Status(503)));
    assert!(run(&mut sim));
    let requests = contacted(&sim);
    assert_eq!(requests[0].2, 503);
    assert_eq!(
        requests[1],
        (HOST.to_owned(), "HEAD /v2/app/manifests/v1".to_owned(), 200)
    );
}

#[test]
fn a_redirect_from_the_mirror_fails_the_resolve_without_trying_the_registry() {
    let mut sim = world(MIRROR, true);
    sim.schedule(SimTime::EPOCH, outage(MIRROR, OutageKind::Status(307)));
    assert!(!run(&mut sim));
    let requests = contacted(&sim);
    assert!(
        requests.iter().all(|(host, ..)| host == MIRROR),
        "{requests:?}"
    );
}

#[test]
fn a_mirror_name_no_host_has_is_skipped() {
    let mut sim = world("nowhere.internal:5000", true);
    assert!(run(&mut sim));
    let requests = contacted(&sim);
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|(host, ..)| host == HOST),
        "{requests:?}"
    );
}

/// `world` with the pool's containerd at `version` and the mirror entry's `dial_timeout`.
fn world_dialing(version: ContainerdVersion, dial_timeout: &str) -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .unwrap();
    sim.add_registry(MIRROR, registry(RegistryConfig::default()))
        .unwrap();
    let mut directory = HostsDirectory::new(version);
    let text = format!(
        "{}  dial_timeout = \"{dial_timeout}\"\n",
        hosts_toml(MIRROR)
    );
    directory.insert_toml(HOST, &text);
    let mut node_pool = pool("node", 1);
    node_pool.containerd = ContainerdSettings {
        version,
        hosts: Some(directory),
    };
    sim.add_node_pool(node_pool).unwrap();
    sim.schedule(SimTime::EPOCH, outage(MIRROR, OutageKind::Dropped));
    sim
}

/// When the registry answered the pull's first request, in seconds.
fn first_registry_answer(sim: &Sim) -> f64 {
    sim.trace()
        .iter()
        .find_map(|record| match &record.event {
            TraceEvent::Registry { host, .. } if sim.host_name(*host) == HOST => {
                Some(record.time.since_epoch().as_secs_f64())
            }
            _ => None,
        })
        .unwrap()
}

#[test]
fn a_mirror_dropping_packets_costs_the_dial_timeout_per_request() {
    // 2.0 ignores a host's dial_timeout: containerd's default dialer waits 30 s.
    let mut sim = world_dialing(ContainerdVersion::V2_0, "200ms");
    assert!(run(&mut sim));
    assert_eq!(first_registry_answer(&sim), 30.0);
    assert!(contacted(&sim).iter().all(|(host, ..)| host == HOST));
    // 2.1 reads it: the resolve waits 200 ms for the mirror, then the registry answers.
    let mut sim = world_dialing(ContainerdVersion::V2_1, "200ms");
    assert!(run(&mut sim));
    assert_eq!(first_registry_answer(&sim), 0.2);
}

#[test]
fn a_dropped_registry_fails_with_the_dial_timeout_text() {
    let mut sim = one_node(SimConfig::default());
    sim.schedule(SimTime::EPOCH, outage(HOST, OutageKind::Dropped));
    sim.create_pod(SimTime::EPOCH, pod("web", &format!("{HOST}/app:v1"), None));
    sim.run_until(SimTime::from_secs(29)).unwrap();
    let pod = sim.pod_id("default", "web").unwrap();
    assert!(!events(&sim, pod).iter().any(|(_, r, _)| r == "Failed"));
    sim.run_until(SimTime::from_secs(31)).unwrap();
    assert!(events(&sim, pod).iter().any(|(_, _, m)| m.ends_with(
        "failed to resolve reference \"registry.example.com/app:v1\": failed to do request: Head \"https://registry.example.com/v2/app/manifests/v1\": dial tcp registry.example.com:443: i/o timeout"
    )), "{:?}", events(&sim, pod));
}
