//! The Deployment reconciler driven by scripts of pod changes (names, batches, events and
//! conditions word for word).
use proptest::prelude::*;
use pullsim_model::controllers::IntOrPercent;

use super::*;
use crate::api::{Container, Pod};
use crate::controllers::script::{FakeApi, created, deleted};
use crate::controllers::{PodPhase, PodTemplate};

fn template(image: &str) -> PodTemplate {
    PodTemplate::new(Pod::new("web", vec![Container::new("app", image)]))
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

/// Syncs and applies until a sync asks for nothing; every action of the round, in order.
fn settle(d: &mut Deployment, api: &mut FakeApi, now: SimTime) -> Vec<ControllerAction> {
    let mut all = Vec::new();
    for _ in 0..100 {
        let actions = d.sync(&api.pods.clone(), now, &mut api.draw());
        let quiet = actions
            .iter()
            .all(|a| matches!(a, ControllerAction::SetCondition { .. }));
        all.extend(api.apply(now, actions));
        if quiet {
            return all;
        }
    }
    panic!("the deployment never settled");
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

fn conditions(actions: &[ControllerAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            ControllerAction::SetCondition { condition, .. } => Some(format!(
                "{} {:?} {}: {}",
                condition.condition_type, condition.status, condition.reason, condition.message
            )),
            _ => None,
        })
        .collect()
}

fn scaling_events(api: &mut FakeApi) -> Vec<String> {
    api.take_events()
        .into_iter()
        .filter(|e| e.starts_with("ScalingReplicaSet"))
        .collect()
}

/// A Deployment of 10 `app:v1` pods, all ready at 10 s; the name of its ReplicaSet.
fn rolled_out(spec: DeploymentSpec, api: &mut FakeApi) -> (Deployment, String) {
    let mut d = Deployment::new("web", spec);
    settle(&mut d, api, t(0));
    ready_all(api, t(10));
    settle(&mut d, api, t(10));
    let rs = d.new_replica_set().unwrap().name().to_owned();
    api.take_events();
    (d, rs)
}

#[test]
fn a_new_deployment_creates_its_replica_set_at_full_size_and_completes() {
    let mut api = FakeApi::default();
    let mut d = Deployment::new("web", DeploymentSpec::new(10, template("app:v1")));
    let actions = settle(&mut d, &mut api, t(0));
    let rs = d.new_replica_set().unwrap().name().to_owned();
    assert_eq!(rs, format!("web-{}", template("app:v1").hash(None)));
    assert!(matches!(
        &actions[0],
        ControllerAction::CreateReplicaSet { replica_set, revision: 1 } if replica_set.name == rs
    ));
    assert_eq!(
        scaling_events(&mut api),
        [format!(
            "ScalingReplicaSet: Scaled up replica set {rs} from 0 to 10"
        )]
    );
    assert_eq!(created(&actions).len(), 10);
    assert!(
        created(&actions)
            .iter()
            .all(|n| n.starts_with(&format!("{rs}-")))
    );
    assert_eq!(
        conditions(&actions),
        [
            format!("Progressing True NewReplicaSetCreated: Created new replica set \"{rs}\""),
            "Available False MinimumReplicasUnavailable: Deployment does not have minimum availability."
                .to_owned(),
            // The next sync sees the 10 pods: progress.
            format!("Progressing True ReplicaSetUpdated: ReplicaSet \"{rs}\" is progressing."),
        ]
    );
    ready_all(&mut api, t(10));
    let actions = settle(&mut d, &mut api, t(10));
    assert_eq!(
        conditions(&actions),
        [
            "Available True MinimumReplicasAvailable: Deployment has minimum availability."
                .to_owned(),
            format!(
                "Progressing True NewReplicaSetAvailable: ReplicaSet \"{rs}\" has successfully progressed."
            ),
        ]
    );
    assert_eq!(
        d.status(),
        DeploymentStatus {
            replicas: 10,
            updated: 10,
            ready: 10,
            available: 10,
            unavailable: 0
        }
    );
    assert_eq!(d.next_wakeup(), None);
}

#[test]
fn a_rollout_to_a_missing_image_stalls_at_eight_old_and_five_new_then_times_out() {
    let mut api = FakeApi::default();
    let (mut d, old) = rolled_out(DeploymentSpec::new(10, template("app:v1")), &mut api);
    let mut spec = d.spec().clone();
    spec.template = template("app:missing");
    d.set_spec(spec);
    let actions = settle(&mut d, &mut api, t(100));
    let new = d.new_replica_set().unwrap().name().to_owned();
    assert_ne!(new, old);
    // Sync 1 creates the new ReplicaSet at 3 (13 pods at most) and, in the same sync, takes
    // 13 - 8 - 3 = 2 old pods away; sync 2 grows the new one by the 2 freed places.
    assert_eq!(
        scaling_events(&mut api),
        [
            format!("ScalingReplicaSet: Scaled up replica set {new} from 0 to 3"),
            format!("ScalingReplicaSet: Scaled down replica set {old} to 8 from 10"),
            format!("ScalingReplicaSet: Scaled up replica set {new} to 5 from 3"),
        ]
    );
    assert_eq!(created(&actions).len(), 5);
    assert_eq!(deleted(&actions).len(), 2);
    assert_eq!(api.active_of(&old).len(), 8);
    assert_eq!(api.active_of(&new).len(), 5);
    // Nothing more moves; the deadline check comes 600 s after the last progress, plus 1 s.
    assert!(settle(&mut d, &mut api, t(200)).is_empty());
    assert_eq!(d.next_wakeup(), Some(t(100 + 600 + 1)));
    let actions = settle(&mut d, &mut api, t(701));
    assert_eq!(
        conditions(&actions),
        [format!(
            "Progressing False ProgressDeadlineExceeded: ReplicaSet \"{new}\" has timed out progressing."
        )]
    );
    assert_eq!(
        d.condition("Available").unwrap().reason,
        "MinimumReplicasAvailable"
    );
    assert_eq!(d.next_wakeup(), None);
    assert_eq!(api.active_of(&old).len(), 8);
}

#[test]
fn a_rollout_whose_pods_become_ready_finishes_with_the_old_set_at_zero() {
    let mut api = FakeApi::default();
    let (mut d, old) = rolled_out(DeploymentSpec::new(10, template("app:v1")), &mut api);
    let mut spec = d.spec().clone();
    spec.template = template("app:v2");
    d.set_spec(spec);
    let mut now = 100;
    for _ in 0..20 {
        settle(&mut d, &mut api, t(now));
        now += 5;
        ready_all(&mut api, t(now));
    }
    let actions = settle(&mut d, &mut api, t(now));
    let new = d.new_replica_set().unwrap().name().to_owned();
    assert!(api.active_of(&old).is_empty());
    assert_eq!(api.active_of(&new).len(), 10);
    assert_eq!(
        d.condition("Progressing").unwrap().message,
        format!("ReplicaSet \"{new}\" has successfully progressed.")
    );
    assert!(conditions(&actions).is_empty() || d.status().available == 10);
    assert_eq!(
        d.revisions().collect::<Vec<_>>(),
        [(old.as_str(), 1), (new.as_str(), 2)]
    );
}

#[test]
fn recreate_removes_every_old_pod_before_creating_new_ones() {
    let mut api = FakeApi::default();
    let mut spec = DeploymentSpec::new(4, template("app:v1"));
    spec.strategy = DeploymentStrategy::Recreate;
    let (mut d, old) = rolled_out(spec, &mut api);
    let mut spec = d.spec().clone();
    spec.template = template("app:v2");
    d.set_spec(spec);
    let first = d.sync(&api.pods.clone(), t(100), &mut api.draw());
    assert!(created(&first).is_empty());
    assert_eq!(deleted(&first).len(), 4);
    api.apply(t(100), first);
    let second = d.sync(&api.pods.clone(), t(100), &mut api.draw());
    let second = api.apply(t(100), second);
    let new = d.new_replica_set().unwrap().name().to_owned();
    assert_eq!(created(&second).len(), 4);
    assert_eq!(
        scaling_events(&mut api),
        [
            format!("ScalingReplicaSet: Scaled down replica set {old} to 0 from 4"),
            format!("ScalingReplicaSet: Scaled up replica set {new} from 0 to 4"),
        ]
    );
}

#[test]
fn recreate_waits_for_terminating_old_pods() {
    let mut api = FakeApi::default();
    let mut spec = DeploymentSpec::new(2, template("app:v1"));
    spec.strategy = DeploymentStrategy::Recreate;
    let (mut d, _) = rolled_out(spec, &mut api);
    let mut spec = d.spec().clone();
    spec.template = template("app:v2");
    d.set_spec(spec);
    // The API server marks the old pods terminating instead of removing them.
    let actions = d.sync(&api.pods.clone(), t(100), &mut api.draw());
    for name in deleted(&actions) {
        api.pods
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap()
            .deleting = true;
    }
    let waiting = d.sync(&api.pods.clone(), t(101), &mut api.draw());
    assert!(created(&waiting).is_empty());
    assert!(d.new_replica_set().is_none());
    api.pods.clear();
    let go = d.sync(&[], t(130), &mut api.draw());
    assert_eq!(created(&go).len(), 2);
}

#[test]
fn availability_waits_for_min_ready_seconds() {
    let mut api = FakeApi::default();
    let mut spec = DeploymentSpec::new(2, template("app:v1"));
    spec.min_ready = Duration::from_secs(30);
    let mut d = Deployment::new("web", spec);
    settle(&mut d, &mut api, t(0));
    ready_all(&mut api, t(10));
    settle(&mut d, &mut api, t(10));
    assert_eq!(d.status().available, 0);
    assert_eq!(d.status().ready, 2);
    assert_eq!(d.next_wakeup(), Some(t(40)));
    let actions = settle(&mut d, &mut api, t(40));
    assert_eq!(d.status().available, 2);
    assert!(
        conditions(&actions)
            .iter()
            .any(|c| c.contains("NewReplicaSetAvailable"))
    );
}

#[test]
fn scaling_a_settled_deployment_resizes_its_one_replica_set() {
    let mut api = FakeApi::default();
    let (mut d, rs) = rolled_out(DeploymentSpec::new(10, template("app:v1")), &mut api);
    let mut spec = d.spec().clone();
    spec.replicas = 4;
    d.set_spec(spec);
    let actions = settle(&mut d, &mut api, t(50));
    assert_eq!(deleted(&actions).len(), 6);
    assert_eq!(
        scaling_events(&mut api),
        [format!(
            "ScalingReplicaSet: Scaled down replica set {rs} to 4 from 10"
        )]
    );
    assert_eq!(api.active_of(&rs).len(), 4);
}

#[test]
fn scaling_a_stalled_rollout_shares_the_new_pods_in_proportion() {
    // The documentation's example: 10 replicas, maxSurge 3, maxUnavailable 2, a missing
    // image (8 old and 5 new pods), then scaled to 15: 3 more old and 2 more new.
    let mut api = FakeApi::default();
    let mut spec = DeploymentSpec::new(10, template("app:v1"));
    spec.strategy = DeploymentStrategy::RollingUpdate {
        max_surge: IntOrPercent::Int(3),
        max_unavailable: IntOrPercent::Int(2),
    };
    let (mut d, old) = rolled_out(spec, &mut api);
    let mut spec = d.spec().clone();
    spec.template = template("app:missing");
    d.set_spec(spec);
    settle(&mut d, &mut api, t(100));
    let new = d.new_replica_set().unwrap().name().to_owned();
    assert_eq!(
        (api.active_of(&old).len(), api.active_of(&new).len()),
        (8, 5)
    );
    api.take_events();
    let mut spec = d.spec().clone();
    spec.replicas = 15;
    d.set_spec(spec);
    let first = d.sync(&api.pods.clone(), t(200), &mut api.draw());
    api.apply(t(200), first);
    assert_eq!(
        scaling_events(&mut api),
        [
            format!("ScalingReplicaSet: Scaled up replica set {old} to 11 from 8"),
            format!("ScalingReplicaSet: Scaled up replica set {new} to 7 from 5"),
        ]
    );
    // The next syncs are the rollout's again: 18 pods is its surge limit, nothing moves.
    settle(&mut d, &mut api, t(201));
    assert_eq!(
        (api.active_of(&old).len(), api.active_of(&new).len()),
        (11, 7)
    );
}

#[test]
fn old_replica_sets_past_the_history_limit_are_deleted_once_complete() {
    let mut api = FakeApi::default();
    let mut spec = DeploymentSpec::new(1, template("app:v1"));
    spec.revision_history_limit = 1;
    let (mut d, first) = rolled_out(spec, &mut api);
    let mut deleted_sets = Vec::new();
    let mut now = 100;
    for image in ["app:v2", "app:v3"] {
        let mut spec = d.spec().clone();
        spec.template = template(image);
        d.set_spec(spec);
        for _ in 0..6 {
            let actions = settle(&mut d, &mut api, t(now));
            deleted_sets.extend(actions.iter().filter_map(|a| match a {
                ControllerAction::DeleteReplicaSet { replica_set } => {
                    Some(replica_set.name.clone())
                }
                _ => None,
            }));
            now += 5;
            ready_all(&mut api, t(now));
        }
    }
    assert_eq!(deleted_sets, [first]);
    assert_eq!(d.replica_sets().count(), 2);
}

#[test]
fn a_rollback_reuses_the_old_replica_set_as_the_newest_revision() {
    let mut api = FakeApi::default();
    let (mut d, v1) = rolled_out(DeploymentSpec::new(2, template("app:v1")), &mut api);
    let mut now = 100;
    for image in ["app:v2", "app:v1"] {
        let mut spec = d.spec().clone();
        spec.template = template(image);
        d.set_spec(spec);
        for _ in 0..6 {
            settle(&mut d, &mut api, t(now));
            now += 5;
            ready_all(&mut api, t(now));
        }
    }
    assert_eq!(d.new_replica_set().unwrap().name(), v1);
    let revisions: Vec<(String, u64)> = d.revisions().map(|(n, r)| (n.to_owned(), r)).collect();
    assert_eq!(revisions[0], (v1.clone(), 3));
    assert_eq!(revisions[1].1, 2);
    assert_eq!(api.active_of(&v1).len(), 2);
}

fn int_or_percent() -> impl Strategy<Value = IntOrPercent> {
    prop_oneof![
        (0i64..8).prop_map(IntOrPercent::Int),
        (0i64..=100).prop_map(IntOrPercent::Percent),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// For any replicas, maxSurge and maxUnavailable, and any order and timing of new pods
    /// becoming ready (at least one pending pod every third step): no moment has more pods
    /// than `replicas + surge` or fewer available than `replicas - maxUnavailable` (all old
    /// pods start available), and the rollout finishes.
    #[test]
    fn a_rolling_update_keeps_its_bounds_and_finishes(
        replicas in 0u32..25,
        max_surge in int_or_percent(),
        max_unavailable in int_or_percent(),
        readiness in proptest::collection::vec((0usize..4, any::<u16>()), 1..40),
    ) {
        prop_assume!(!(max_surge.is_zero() && max_unavailable.is_zero()));
        let mut api = FakeApi::default();
        let mut spec = DeploymentSpec::new(replicas, template("app:v1"));
        spec.strategy = DeploymentStrategy::RollingUpdate { max_surge, max_unavailable };
        let mut d = Deployment::new("web", spec);
        settle(&mut d, &mut api, t(0));
        ready_all(&mut api, t(1));
        settle(&mut d, &mut api, t(1));
        let surge = pullsim_model::controllers::deployment::max_surge(max_surge, max_unavailable, replicas);
        let unavailable = pullsim_model::controllers::deployment::max_unavailable(max_surge, max_unavailable, replicas);
        let mut spec = d.spec().clone();
        spec.template = template("app:v2");
        d.set_spec(spec);
        let mut finished = false;
        for step in 0..2_000u64 {
            let now = t(10 + step);
            for _ in 0..100 {
                let actions = d.sync(&api.pods.clone(), now, &mut api.draw());
                let quiet = actions.iter().all(|a| matches!(a, ControllerAction::SetCondition { .. }));
                api.apply(now, actions);
                let active = api.pods.iter().filter(|p| p.is_active()).count() as u32;
                let available = api.pods.iter().filter(|p| p.is_active() && p.is_ready()).count() as u32;
                prop_assert!(active <= replicas + surge, "step {step}: {active} pods > {replicas} + {surge}");
                prop_assert!(
                    available >= replicas - unavailable,
                    "step {step}: {available} available < {replicas} - {unavailable}"
                );
                if quiet {
                    break;
                }
            }
            let new = d.new_replica_set().map(|rs| rs.name().to_owned()).unwrap_or_default();
            let done = api.pods.iter().all(|p| p.owner == new)
                && api.pods.len() as u32 == replicas
                && api.pods.iter().all(PodView::is_ready);
            if done && d.status().available == replicas {
                finished = true;
                break;
            }
            let (count, pick) = readiness[step as usize % readiness.len()];
            let count = count.max(usize::from(step % 3 == 0));
            for k in 0..count {
                let pending: Vec<String> = api.pods.iter()
                    .filter(|p| p.is_active() && !p.is_ready())
                    .map(|p| p.name.clone())
                    .collect();
                if pending.is_empty() {
                    break;
                }
                let name = pending[(usize::from(pick) + k) % pending.len()].clone();
                api.ready(&name, now);
            }
        }
        prop_assert!(finished, "the rollout of {replicas} with {max_surge}/{max_unavailable} never finished");
        prop_assert!(api.pods.iter().all(|p| p.phase == PodPhase::Running));
    }
}
