//! The DaemonSet reconciler driven by scripts of pod changes (names, batches, events and
//! conditions word for word).
use std::time::Duration;

use pullsim_model::controllers::IntOrPercent;

use super::*;
use crate::api::{Container, Pod};
use crate::controllers::script::{FakeApi, created, deleted};

fn template(image: &str) -> PodTemplate {
    PodTemplate::new(Pod::new("agent", vec![Container::new("agent", image)]))
}

fn nodes(n: usize) -> BTreeSet<String> {
    (0..n).map(|i| format!("node-{i:02}")).collect()
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn sync(ds: &mut DaemonSet, api: &mut FakeApi, now: SimTime) -> Vec<ControllerAction> {
    let actions = ds.sync(&api.pods.clone(), now, &mut api.draw());
    api.apply(now, actions)
}

fn ready_all(api: &mut FakeApi, now: SimTime) {
    let pending: Vec<String> = api
        .pods
        .iter()
        .filter(|p| p.is_active() && !p.is_ready())
        .map(|p| p.name.clone())
        .collect();
    for name in pending {
        api.ready(&name, now);
    }
}

/// Syncs and applies; what changed, as `-node` for a pod deleted there and `+node` for one
/// created there.
fn step(ds: &mut DaemonSet, api: &mut FakeApi, now: SimTime) -> Vec<String> {
    let nodes: BTreeMap<String, String> = api
        .pods
        .iter()
        .map(|p| (p.name.clone(), p.node.clone().unwrap_or_default()))
        .collect();
    let actions = sync(ds, api, now);
    let mut changes: Vec<String> = deleted(&actions)
        .iter()
        .map(|p| format!("-{}", nodes[p]))
        .collect();
    changes.extend(
        actions
            .iter()
            .filter_map(|a| a.as_creation())
            .map(|c| format!("+{}", c.node.clone().unwrap_or_default())),
    );
    changes
}

/// A DaemonSet of `agent:v1` on `n` nodes, every pod ready.
fn running(n: usize, strategy: DaemonSetUpdateStrategy, api: &mut FakeApi) -> DaemonSet {
    let mut spec = DaemonSetSpec::new(nodes(n), template("agent:v1"));
    spec.update_strategy = strategy;
    let mut ds = DaemonSet::new("agent", spec);
    sync(&mut ds, api, t(0));
    ready_all(api, t(5));
    assert!(sync(&mut ds, api, t(5)).is_empty());
    api.take_events();
    ds
}

fn with_template(ds: &mut DaemonSet, image: &str) {
    let mut spec = ds.spec().clone();
    spec.template = template(image);
    ds.set_spec(spec);
}

#[test]
fn one_pod_per_node_and_nodes_that_come_and_go() {
    let mut api = FakeApi::default();
    let mut ds = DaemonSet::new("agent", DaemonSetSpec::new(nodes(3), template("agent:v1")));
    let first = sync(&mut ds, &mut api, t(0));
    let made: Vec<(String, Option<String>)> = first
        .iter()
        .filter_map(|a| a.as_creation())
        .map(|c| (c.name.clone(), c.node.clone()))
        .collect();
    assert_eq!(made.len(), 3);
    let targets: Vec<&str> = made.iter().map(|(_, n)| n.as_deref().unwrap()).collect();
    assert_eq!(targets, ["node-00", "node-01", "node-02"]);
    assert!(
        made.iter()
            .all(|(name, _)| name.starts_with("agent-") && name.len() == 11)
    );
    let batches: Vec<u32> = first
        .iter()
        .filter_map(|a| a.as_creation())
        .map(|c| c.batch)
        .collect();
    assert_eq!(batches, [0, 1, 1]);
    assert_eq!(
        api.take_events()[0],
        format!("SuccessfulCreate: Created pod: {}", made[0].0)
    );
    // The status counts the view, so the pods show from the next sync on.
    assert!(sync(&mut ds, &mut api, t(1)).is_empty());
    assert_eq!(ds.status().current, 3);
    // The pool grows by two nodes and loses node-00.
    let mut spec = ds.spec().clone();
    spec.nodes = ["node-01", "node-02", "node-03", "node-04"]
        .map(str::to_owned)
        .into();
    ds.set_spec(spec);
    let changed = sync(&mut ds, &mut api, t(10));
    let new_nodes: Vec<String> = changed
        .iter()
        .filter_map(|a| a.as_creation())
        .filter_map(|c| c.node.clone())
        .collect();
    assert_eq!(new_nodes, ["node-03", "node-04"]);
    assert_eq!(deleted(&changed), [made[0].0.clone()]);
}

#[test]
fn a_rolling_update_replaces_one_node_at_a_time_by_default() {
    let mut api = FakeApi::default();
    let mut ds = running(3, DaemonSetUpdateStrategy::default(), &mut api);
    with_template(&mut ds, "agent:v2");
    let mut order = Vec::new();
    let mut now = 10;
    for _ in 0..12 {
        let changes = step(&mut ds, &mut api, t(now));
        assert!(changes.len() <= 1, "{changes:?}");
        order.extend(changes);
        now += 5;
        ready_all(&mut api, t(now));
    }
    assert_eq!(
        order,
        [
            "-node-00", "+node-00", "-node-01", "+node-01", "-node-02", "+node-02"
        ]
    );
    assert_eq!(ds.status().updated, 3);
    assert_eq!(ds.status().available, 3);
}

#[test]
fn a_rollout_to_a_missing_image_halts_at_max_unavailable() {
    let mut api = FakeApi::default();
    let strategy = DaemonSetUpdateStrategy::RollingUpdate {
        max_unavailable: IntOrPercent::Percent(10),
        max_surge: IntOrPercent::Int(0),
    };
    let mut ds = running(15, strategy, &mut api);
    with_template(&mut ds, "agent:missing");
    // 10% of 15 nodes rounds up to 2: two old pods go, two new ones never become ready.
    assert_eq!(step(&mut ds, &mut api, t(10)), ["-node-00", "-node-01"]);
    assert_eq!(step(&mut ds, &mut api, t(11)), ["+node-00", "+node-01"]);
    for now in [12, 100, 1_000] {
        assert!(step(&mut ds, &mut api, t(now)).is_empty());
    }
    let status = ds.status();
    assert_eq!(
        (status.updated, status.available, status.unavailable),
        (2, 13, 2)
    );
}

#[test]
fn surge_adds_the_new_pod_before_the_old_one_goes() {
    let mut api = FakeApi::default();
    let strategy = DaemonSetUpdateStrategy::RollingUpdate {
        max_unavailable: IntOrPercent::Int(0),
        max_surge: IntOrPercent::Int(1),
    };
    let mut ds = running(2, strategy, &mut api);
    with_template(&mut ds, "agent:v2");
    assert_eq!(step(&mut ds, &mut api, t(10)), ["+node-00"]);
    // Not ready yet: both pods stay, nothing else starts.
    assert!(step(&mut ds, &mut api, t(11)).is_empty());
    assert_eq!(
        api.pods
            .iter()
            .filter(|p| p.node.as_deref() == Some("node-00"))
            .count(),
        2
    );
    // The status judges each node by its oldest pod: node-00 is not updated yet, and
    // still available (its old pod).
    let status = ds.status();
    assert_eq!(
        (
            status.desired,
            status.current,
            status.updated,
            status.available
        ),
        (2, 2, 0, 2)
    );
    ready_all(&mut api, t(12));
    // manage sees the new pod available and removes the old one.
    assert_eq!(step(&mut ds, &mut api, t(12)), ["-node-00"]);
    assert_eq!(step(&mut ds, &mut api, t(13)), ["+node-01"]);
    assert_eq!(ds.status().updated, 1);
}

#[test]
fn on_delete_changes_only_pods_made_again() {
    let mut api = FakeApi::default();
    let mut ds = running(2, DaemonSetUpdateStrategy::OnDelete, &mut api);
    with_template(&mut ds, "agent:v2");
    assert!(step(&mut ds, &mut api, t(10)).is_empty());
    let victim = api
        .pods
        .iter()
        .find(|p| p.node.as_deref() == Some("node-01"))
        .unwrap()
        .name
        .clone();
    api.pods.retain(|p| p.name != victim);
    let actions = sync(&mut ds, &mut api, t(20));
    let made = actions.iter().find_map(|a| a.as_creation()).unwrap();
    assert_eq!(made.node.as_deref(), Some("node-01"));
    assert_eq!(made.template.spec.containers[0].image, "agent:v2");
    assert_eq!(made.revision, ds.revision());
    assert_eq!(ds.status().updated, 0);
}

#[test]
fn a_failed_daemon_pod_is_killed_within_its_back_off() {
    let mut api = FakeApi::default();
    let mut ds = running(1, DaemonSetUpdateStrategy::default(), &mut api);
    let pod = api.active_of("agent")[0].clone();
    api.finish(&pod, PodPhase::Failed);
    let actions = sync(&mut ds, &mut api, t(10));
    assert_eq!(deleted(&actions), std::slice::from_ref(&pod));
    assert_eq!(
        api.take_events()[0],
        format!(
            "FailedDaemonPod: Found failed daemon pod default/{pod} on node node-00, will try to kill it"
        )
    );
    let again = created(&sync(&mut ds, &mut api, t(10)));
    assert_eq!(again.len(), 1);
    // It fails again at once: the node's back-off (1 s, now 2 s) holds the next kill.
    api.finish(&again[0], PodPhase::Failed);
    assert!(sync(&mut ds, &mut api, t(10)).is_empty());
    assert_eq!(ds.next_wakeup(), Some(t(11)));
    assert_eq!(deleted(&sync(&mut ds, &mut api, t(11))), again);
}

#[test]
fn availability_counts_min_ready_seconds() {
    let mut api = FakeApi::default();
    let mut spec = DaemonSetSpec::new(nodes(2), template("agent:v1"));
    spec.min_ready = Duration::from_secs(20);
    let mut ds = DaemonSet::new("agent", spec);
    sync(&mut ds, &mut api, t(0));
    ready_all(&mut api, t(5));
    sync(&mut ds, &mut api, t(5));
    assert_eq!((ds.status().ready, ds.status().available), (2, 0));
    assert_eq!(ds.next_wakeup(), Some(t(25)));
    sync(&mut ds, &mut api, t(25));
    assert_eq!(ds.status().available, 2);
}

fn int_or_percent() -> impl proptest::strategy::Strategy<Value = IntOrPercent> {
    use proptest::prelude::*;
    prop_oneof![
        (0i64..5).prop_map(IntOrPercent::Int),
        (0i64..=100).prop_map(IntOrPercent::Percent),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// For any number of nodes, maxUnavailable and maxSurge, and any order of new pods
    /// becoming ready: without surge no moment has more nodes without an available pod than
    /// the resolved maxUnavailable; with surge every node keeps an available pod and no
    /// moment has more than maxSurge extra pods; and the rollout finishes.
    #[test]
    fn a_daemon_set_rollout_keeps_its_fenceposts_and_finishes(
        node_count in 1usize..20,
        max_unavailable in int_or_percent(),
        max_surge in int_or_percent(),
        readiness in proptest::collection::vec((0usize..3, proptest::prelude::any::<u16>()), 1..30),
    ) {
        let strategy = DaemonSetUpdateStrategy::RollingUpdate { max_unavailable, max_surge };
        let mut api = FakeApi::default();
        let mut ds = running(node_count, strategy, &mut api);
        with_template(&mut ds, "agent:v2");
        let fence = rules::fenceposts(max_surge, max_unavailable, node_count as u32);
        let hash = ds.revision();
        let mut finished = false;
        for step in 0..3_000u64 {
            let now = t(10 + step);
            for _ in 0..20 {
                let actions = sync(&mut ds, &mut api, now);
                let quiet = actions.is_empty();
                let without: usize = nodes(node_count)
                    .iter()
                    .filter(|n| !api.pods.iter().any(|p| p.node.as_ref() == Some(n) && p.is_ready()))
                    .count();
                if fence.surge == 0 {
                    proptest::prop_assert!(without as u32 <= fence.unavailable, "step {step}: {without} nodes without an available pod");
                } else {
                    proptest::prop_assert_eq!(without, 0, "step {}: a node lost its pod while surging", step);
                    proptest::prop_assert!(api.pods.len() <= node_count + fence.surge as usize);
                }
                if quiet {
                    break;
                }
            }
            if api.pods.len() == node_count && api.pods.iter().all(|p| p.revision == hash && p.is_ready()) {
                finished = true;
                break;
            }
            let (count, pick) = readiness[step as usize % readiness.len()];
            for k in 0..count.max(usize::from(step % 3 == 0)) {
                let pending: Vec<String> =
                    api.pods.iter().filter(|p| !p.is_ready()).map(|p| p.name.clone()).collect();
                if pending.is_empty() {
                    break;
                }
                let name = pending[(usize::from(pick) + k) % pending.len()].clone();
                api.ready(&name, now);
            }
        }
        proptest::prop_assert!(finished, "never finished");
    }
}
