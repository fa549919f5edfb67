//! The ReplicaSet reconciler driven by scripts of pod changes (names, batches, events and
//! conditions word for word).
use std::sync::Arc;

use super::*;
use crate::api::{Container, Pod};
use crate::controllers::PodPhase;
use crate::controllers::script::{FakeApi, created, deleted};

fn template() -> PodTemplate {
    PodTemplate::new(Pod::new(
        "web",
        vec![Container::new("app", "registry.example.com/app:v1")],
    ))
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

#[test]
fn a_new_replica_set_creates_its_pods_in_slow_start_batches_with_generated_names() {
    let mut rs = ReplicaSet::new("web-5d4f8c7b9", template(), 10, Duration::ZERO);
    let mut api = FakeApi::default();
    let actions = rs.sync(&api.pods.clone(), t(0), &mut api.draw());
    let actions = api.apply(t(0), actions);
    let batches: Vec<u32> = actions
        .iter()
        .filter_map(|a| a.as_creation())
        .map(|c| c.batch)
        .collect();
    assert_eq!(batches, [0, 1, 1, 2, 2, 2, 2, 3, 3, 3]);
    let names = created(&actions);
    // The first five draws of seed 1; every name is the base and five characters of the
    // alphabet.
    assert_eq!(names[0], "web-5d4f8c7b9-ndvhk");
    for name in &names {
        let suffix = name.strip_prefix("web-5d4f8c7b9-").expect(name);
        assert_eq!(suffix.len(), 5);
        assert!(
            suffix
                .bytes()
                .all(|b| pullsim_model::controllers::names::ALPHANUMS.contains(&b))
        );
    }
    let events = api.take_events();
    assert_eq!(events.len(), 10);
    assert_eq!(
        events[0],
        "SuccessfulCreate: Created pod: web-5d4f8c7b9-ndvhk"
    );
    let creation = actions[0].as_creation().unwrap();
    assert_eq!(creation.owner.to_string(), "replicaset/web-5d4f8c7b9");
    assert_eq!(creation.revision, "web-5d4f8c7b9");
    assert!(Arc::ptr_eq(&creation.template, &rs.template().pod));
    // Nothing more while the pods exist.
    assert!(rs.sync(&api.pods, t(1), &mut api.draw()).is_empty());
    // The status is the view's, so it counts them from this sync on.
    assert_eq!(
        rs.status(),
        ReplicaSetStatus {
            replicas: 10,
            ready: 0,
            available: 0
        }
    );
}

#[test]
fn a_sync_creates_at_most_the_burst() {
    let mut rs = ReplicaSet::new("big", template(), 1_200, Duration::ZERO);
    let mut api = FakeApi::default();
    let actions = rs.sync(&api.pods.clone(), t(0), &mut api.draw());
    assert_eq!(created(&api.apply(t(0), actions)).len(), 500);
    let actions = rs.sync(&api.pods.clone(), t(1), &mut api.draw());
    assert_eq!(created(&api.apply(t(1), actions)).len(), 500);
    let actions = rs.sync(&api.pods.clone(), t(2), &mut api.draw());
    assert_eq!(created(&api.apply(t(2), actions)).len(), 200);
    assert_eq!(api.active_of("big").len(), 1_200);
}

#[test]
fn unseen_creations_hold_the_next_sync_until_seen_or_timed_out() {
    let mut rs = ReplicaSet::new("web-1", template(), 3, Duration::ZERO);
    let api = FakeApi::default();
    let first = rs.sync(&[], t(0), &mut api.draw());
    assert_eq!(created(&first).len(), 3);
    // The view still lags: no second wave.
    assert!(rs.sync(&[], t(10), &mut api.draw()).is_empty());
    assert_eq!(rs.next_wakeup(), Some(t(300) + Duration::from_nanos(1)));
    // Past ExpectationsTimeout it creates again.
    assert_eq!(created(&rs.sync(&[], t(301), &mut api.draw())).len(), 3);
}

#[test]
fn refused_creations_are_not_expected_and_say_failed_create() {
    let mut rs = ReplicaSet::new("web-1", template(), 3, Duration::ZERO);
    let api = FakeApi::default();
    let names = created(&rs.sync(&[], t(0), &mut api.draw()));
    let refused = rs.creation_refused(
        &names[0],
        Some("admission webhook \"pin\" denied the request"),
    );
    assert_eq!(
        refused[0].as_event().unwrap().message,
        "Error creating: admission webhook \"pin\" denied the request"
    );
    assert_eq!(refused[0].as_event().unwrap().reason, "FailedCreate");
    assert!(rs.creation_refused(&names[1], None).is_empty());
    assert!(rs.creation_refused(&names[2], None).is_empty());
    // Nothing outstanding: the next sync tries again at once.
    assert_eq!(created(&rs.sync(&[], t(1), &mut api.draw())).len(), 3);
}

#[test]
fn scale_down_deletes_unscheduled_then_pending_then_unready_then_newest() {
    let mut rs = ReplicaSet::new("web-1", template(), 6, Duration::ZERO);
    let mut api = FakeApi::default();
    let actions = rs.sync(&[], t(0), &mut api.draw());
    let names = created(&api.apply(t(0), actions));
    api.take_events();
    // names[0] ready at 10 s, names[1] ready at 500 s, names[2] running unready, names[3]
    // pending on a node, names[4] and names[5] unscheduled.
    api.ready(&names[0], t(10));
    api.ready(&names[1], t(500));
    api.ready(&names[2], t(20));
    api.pods
        .iter_mut()
        .find(|p| p.name == names[2])
        .unwrap()
        .ready_since = None;
    api.bind(&names[3], "node-3");
    rs.set_replicas(1);
    let actions = rs.sync(&api.pods.clone(), t(1_000), &mut api.draw());
    let gone = deleted(&api.apply(t(1_000), actions));
    let mut unscheduled = [names[4].clone(), names[5].clone()];
    unscheduled.sort();
    assert_eq!(gone[..2], unscheduled[..]);
    assert_eq!(
        gone[2..],
        [names[3].clone(), names[2].clone(), names[1].clone()]
    );
    assert_eq!(api.active_of("web-1"), [names[0].clone()]);
    assert_eq!(
        api.take_events()[0],
        format!("SuccessfulDelete: Deleted pod: {}", unscheduled[0])
    );
}

#[test]
fn availability_follows_min_ready_and_asks_for_a_wakeup() {
    let mut rs = ReplicaSet::new("web-1", template(), 2, Duration::from_secs(30));
    let mut api = FakeApi::default();
    let actions = rs.sync(&[], t(0), &mut api.draw());
    let names = created(&api.apply(t(0), actions));
    api.ready(&names[0], t(5));
    api.ready(&names[1], t(8));
    assert!(rs.sync(&api.pods.clone(), t(8), &mut api.draw()).is_empty());
    assert_eq!(
        rs.status(),
        ReplicaSetStatus {
            replicas: 2,
            ready: 2,
            available: 0
        }
    );
    assert_eq!(rs.next_wakeup(), Some(t(35)));
    rs.sync(&api.pods.clone(), t(35), &mut api.draw());
    assert_eq!(rs.status().available, 1);
    assert_eq!(rs.next_wakeup(), Some(t(38)));
    rs.sync(&api.pods.clone(), t(38), &mut api.draw());
    assert_eq!(rs.status().available, 2);
    assert_eq!(rs.next_wakeup(), None);
}

#[test]
fn terminal_and_other_owners_pods_are_not_counted_and_are_replaced() {
    let mut rs = ReplicaSet::new("web-1", template(), 2, Duration::ZERO);
    let mut api = FakeApi::default();
    api.pods
        .push(PodView::pending("other-abcde", "other", "other", t(0)));
    let actions = rs.sync(&api.pods.clone(), t(0), &mut api.draw());
    let names = created(&api.apply(t(0), actions));
    assert_eq!(names.len(), 2);
    api.finish(&names[0], PodPhase::Failed);
    let actions = rs.sync(&api.pods.clone(), t(5), &mut api.draw());
    assert_eq!(created(&actions).len(), 1);
    assert_eq!(rs.status().replicas, 1);
}
