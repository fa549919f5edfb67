//! The StatefulSet reconciler driven by scripts of pod changes (names, batches, events and
//! conditions word for word).
use super::*;
use crate::api::{Container, Pod};
use crate::controllers::PodPhase;
use crate::controllers::script::{FakeApi, created, deleted};

fn template(image: &str) -> PodTemplate {
    PodTemplate::new(Pod::new("db", vec![Container::new("db", image)]))
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn sync(set: &mut StatefulSet, api: &mut FakeApi, now: SimTime) -> Vec<ControllerAction> {
    let actions = set.sync(&api.pods.clone(), now);
    api.apply(now, actions)
}

/// Syncs, making every pod Running and Ready after each sync, until nothing is asked.
fn run_ready(set: &mut StatefulSet, api: &mut FakeApi, mut now: u64) -> (Vec<String>, u64) {
    let mut log = Vec::new();
    for _ in 0..50 {
        let actions = sync(set, api, t(now));
        if actions.is_empty() {
            return (log, now);
        }
        log.extend(created(&actions).into_iter().map(|n| format!("+{n}")));
        log.extend(deleted(&actions).into_iter().map(|n| format!("-{n}")));
        now += 1;
        for name in api.active_of("db") {
            if !api.pods.iter().any(|p| p.name == name && p.is_ready()) {
                api.ready(&name, t(now));
            }
        }
    }
    panic!("never settled");
}

#[test]
fn ordered_ready_creates_one_ordinal_after_the_other() {
    let mut set = StatefulSet::new("db", StatefulSetSpec::new(3, template("db:v1")));
    let mut api = FakeApi::default();
    let first = sync(&mut set, &mut api, t(0));
    assert_eq!(created(&first), ["db-0"]);
    assert_eq!(
        api.take_events(),
        ["SuccessfulCreate: create Pod db-0 in StatefulSet db successful"]
    );
    // db-0 pending (ImagePullBackOff, say): db-1 waits, however long.
    assert!(sync(&mut set, &mut api, t(300)).is_empty());
    api.ready("db-0", t(301));
    assert_eq!(created(&sync(&mut set, &mut api, t(301))), ["db-1"]);
    // Running but not ready is not enough either.
    api.ready("db-1", t(302));
    api.pods
        .iter_mut()
        .find(|p| p.name == "db-1")
        .unwrap()
        .ready_since = None;
    assert!(sync(&mut set, &mut api, t(302)).is_empty());
    api.ready("db-1", t(303));
    assert_eq!(created(&sync(&mut set, &mut api, t(303))), ["db-2"]);
}

#[test]
fn parallel_creates_every_ordinal_at_once() {
    let mut spec = StatefulSetSpec::new(3, template("db:v1"));
    spec.pod_management_policy = PodManagementPolicy::Parallel;
    let mut set = StatefulSet::new("db", spec);
    let mut api = FakeApi::default();
    assert_eq!(
        created(&sync(&mut set, &mut api, t(0))),
        ["db-0", "db-1", "db-2"]
    );
}

#[test]
fn a_rolling_update_goes_from_the_highest_ordinal_down_to_the_partition() {
    let mut set = StatefulSet::new("db", StatefulSetSpec::new(4, template("db:v1")));
    let mut api = FakeApi::default();
    let (log, now) = run_ready(&mut set, &mut api, 0);
    assert_eq!(log, ["+db-0", "+db-1", "+db-2", "+db-3"]);
    let v1 = set.status().current_revision.clone();
    let mut spec = set.spec().clone();
    spec.template = template("db:v2");
    spec.update_strategy = StatefulSetUpdateStrategy::RollingUpdate { partition: 1 };
    set.set_spec(spec);
    let (log, _) = run_ready(&mut set, &mut api, now + 10);
    assert_eq!(log, ["-db-3", "+db-3", "-db-2", "+db-2", "-db-1", "+db-1"]);
    let status = set.status();
    assert_ne!(status.update_revision, v1);
    assert_eq!(status.updated, 3);
    // Below the partition db-0 keeps v1, so v1 stays the current revision.
    assert_eq!(status.current_revision, v1);
    let revision = |name: &str| {
        api.pods
            .iter()
            .find(|p| p.name == name)
            .unwrap()
            .revision
            .clone()
    };
    assert_eq!(revision("db-0"), v1);
    assert_eq!(revision("db-1"), status.update_revision);
}

#[test]
fn a_rolling_update_waits_for_each_replaced_pod_to_be_ready() {
    let mut set = StatefulSet::new("db", StatefulSetSpec::new(3, template("db:v1")));
    let mut api = FakeApi::default();
    let (_, now) = run_ready(&mut set, &mut api, 0);
    let mut spec = set.spec().clone();
    spec.template = template("db:missing");
    set.set_spec(spec);
    assert_eq!(deleted(&sync(&mut set, &mut api, t(now))), ["db-2"]);
    assert_eq!(created(&sync(&mut set, &mut api, t(now + 1))), ["db-2"]);
    // The new db-2 never pulls: nothing else is touched.
    assert!(sync(&mut set, &mut api, t(now + 600)).is_empty());
    assert_eq!(set.status().updated, 1);
    assert_eq!(set.status().ready, 2);
}

#[test]
fn scale_down_goes_from_the_highest_ordinal_one_at_a_time() {
    let mut set = StatefulSet::new("db", StatefulSetSpec::new(4, template("db:v1")));
    let mut api = FakeApi::default();
    let (_, now) = run_ready(&mut set, &mut api, 0);
    let mut spec = set.spec().clone();
    spec.replicas = 1;
    set.set_spec(spec);
    let first = sync(&mut set, &mut api, t(now));
    assert_eq!(deleted(&first), ["db-3"]);
    assert_eq!(
        api.take_events().last().unwrap(),
        "SuccessfulDelete: delete Pod db-3 in StatefulSet db successful"
    );
    assert_eq!(deleted(&sync(&mut set, &mut api, t(now + 1))), ["db-2"]);
    assert_eq!(deleted(&sync(&mut set, &mut api, t(now + 2))), ["db-1"]);
    assert!(sync(&mut set, &mut api, t(now + 3)).is_empty());
}

#[test]
fn a_failed_pod_is_deleted_and_made_again_and_on_delete_waits_for_a_deletion() {
    let mut spec = StatefulSetSpec::new(2, template("db:v1"));
    spec.update_strategy = StatefulSetUpdateStrategy::OnDelete;
    let mut set = StatefulSet::new("db", spec);
    let mut api = FakeApi::default();
    let (_, now) = run_ready(&mut set, &mut api, 0);
    let mut spec = set.spec().clone();
    spec.template = template("db:v2");
    set.set_spec(spec);
    assert!(sync(&mut set, &mut api, t(now)).is_empty());
    api.finish("db-1", PodPhase::Failed);
    let again = sync(&mut set, &mut api, t(now + 1));
    assert_eq!(deleted(&again), ["db-1"]);
    assert_eq!(created(&again), ["db-1"]);
    let made = again.iter().find_map(|a| a.as_creation()).unwrap();
    assert_eq!(made.revision, set.status().update_revision);
    assert_eq!(made.template.spec.containers[0].image, "db:v2");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// For any size, policy, partition and order of pods becoming ready: with OrderedReady
    /// no ordinal is created before every lower one is Running and Ready; a rolling update
    /// never has more than one pod of the wanted ordinals missing or unready at a time once
    /// the set was ready; and both the scale-up and the update finish, with the partition's
    /// pods left at the old revision.
    #[test]
    fn scale_up_and_rolling_update_keep_their_order_and_finish(
        replicas in 0u32..7,
        parallel in proptest::prelude::any::<bool>(),
        partition in 0u32..8,
        readiness in proptest::collection::vec(proptest::prelude::any::<u16>(), 1..20),
    ) {
        let mut spec = StatefulSetSpec::new(replicas, template("db:v1"));
        if parallel {
            spec.pod_management_policy = PodManagementPolicy::Parallel;
        }
        let mut set = StatefulSet::new("db", spec);
        let mut api = FakeApi::default();
        let mut updating = false;
        let mut finished = false;
        for step in 0..500u64 {
            let now = t(step);
            let actions = set.sync(&api.pods.clone(), now);
            for made in actions.iter().filter_map(ControllerAction::as_creation) {
                let ordinal: u32 = made.name["db-".len()..].parse().unwrap();
                if !parallel {
                    for lower in 0..ordinal {
                        let name = format!("db-{lower}");
                        proptest::prop_assert!(
                            api.pods.iter().any(|p| p.name == name && p.is_running_and_ready()),
                            "db-{} created before {} was ready", ordinal, name
                        );
                    }
                }
            }
            api.apply(now, actions);
            if updating {
                let unready = (0..replicas)
                    .filter(|o| !api.pods.iter().any(|p| p.name == format!("db-{o}") && p.is_running_and_ready()))
                    .count();
                proptest::prop_assert!(unready <= 1, "step {}: {} pods down during the update", step, unready);
            }
            let all_ready = api.pods.len() as u32 == replicas && api.pods.iter().all(PodView::is_running_and_ready);
            if all_ready && !updating {
                updating = true;
                let mut spec = set.spec().clone();
                spec.template = template("db:v2");
                spec.update_strategy = StatefulSetUpdateStrategy::RollingUpdate { partition };
                set.set_spec(spec);
                continue;
            }
            if all_ready && updating && set.status().updated == replicas.saturating_sub(partition) {
                finished = true;
                break;
            }
            // Ready one pending pod, chosen by the script.
            let pending: Vec<String> = api.pods.iter().filter(|p| !p.is_ready()).map(|p| p.name.clone()).collect();
            if !pending.is_empty() {
                let pick = usize::from(readiness[step as usize % readiness.len()]) % pending.len();
                api.ready(&pending[pick], now);
            }
        }
        proptest::prop_assert!(finished, "never finished");
        let v1 = rules::revision_name("db", &template("db:v1").hash(None));
        for pod in &api.pods {
            let ordinal: u32 = pod.name["db-".len()..].parse().unwrap();
            proptest::prop_assert_eq!(pod.revision == v1, ordinal < partition, "{}", pod.name);
        }
    }
}
