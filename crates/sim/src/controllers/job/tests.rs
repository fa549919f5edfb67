//! The Job reconciler driven by scripts of pod changes (names, batches, events and
//! conditions word for word).
use super::*;
use crate::api::{Container, Pod};
use crate::controllers::PodTemplate;
use crate::controllers::script::{FakeApi, created, deleted};

fn spec() -> JobSpec {
    JobSpec::new(PodTemplate::new(Pod::new(
        "report",
        vec![Container::new("main", "tools:v1")],
    )))
}

fn t(secs: u64) -> SimTime {
    SimTime::from_secs(secs)
}

fn sync(job: &mut Job, api: &mut FakeApi, now: SimTime) -> Vec<ControllerAction> {
    let actions = job.sync(&api.pods.clone(), now, &mut api.draw());
    api.apply(now, actions)
}

fn conditions(actions: &[ControllerAction]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            ControllerAction::SetCondition { condition, .. } => Some(format!(
                "{} {}: {}",
                condition.condition_type, condition.reason, condition.message
            )),
            _ => None,
        })
        .collect()
}

#[test]
fn completions_and_parallelism_bound_the_pods_and_complete_the_job() {
    let mut spec = spec();
    spec.completions = Some(5);
    spec.parallelism = 2;
    let mut job = Job::new("report", spec);
    let mut api = FakeApi::default();
    let first = sync(&mut job, &mut api, t(0));
    assert_eq!(created(&first).len(), 2);
    assert!(
        created(&first)
            .iter()
            .all(|n| n.starts_with("report-") && n.len() == 12)
    );
    assert_eq!(
        api.take_events()[0],
        format!("SuccessfulCreate: Created pod: {}", created(&first)[0])
    );
    let mut now = 0;
    let mut waves = Vec::new();
    while job.outcome().is_none() {
        now += 10;
        let running = api.active_of("report");
        for name in &running {
            api.finish(name, PodPhase::Succeeded);
        }
        let actions = sync(&mut job, &mut api, t(now));
        waves.push(created(&actions).len());
        assert!(now < 100, "never completed");
    }
    // 2 + 2 + 1 pods for 5 completions, then none.
    assert_eq!(waves, [2, 1, 0]);
    assert_eq!(job.status().succeeded, 5);
    assert_eq!(job.outcome(), Some(JobOutcome::Complete));
    let events = api.take_events();
    assert_eq!(events.last().unwrap(), "Completed: Job completed");
}

#[test]
fn failed_pods_are_replaced_after_a_doubling_back_off_until_the_limit() {
    let mut spec = spec();
    spec.backoff_limit = 2;
    let mut job = Job::new("report", spec);
    let mut api = FakeApi::default();
    sync(&mut job, &mut api, t(0));
    let mut replaced_at = Vec::new();
    let mut now = 0;
    while job.outcome().is_none() {
        now += 1;
        if let Some(name) = api.active_of("report").first().cloned() {
            api.finish(&name, PodPhase::Failed);
        }
        let actions = sync(&mut job, &mut api, t(now));
        if let Some(wake) = job.next_wakeup() {
            // Nothing in between: the replacement waits for the back-off.
            let actions = sync(&mut job, &mut api, wake);
            assert_eq!(created(&actions).len(), 1);
            replaced_at.push(wake.saturating_since(t(now)).as_secs());
            now = wake.since_epoch().as_secs();
        } else {
            assert!(created(&actions).is_empty());
        }
        assert!(now < 1_000);
    }
    // Failure 1: 10 s, failure 2: 20 s; failure 3 passes backoffLimit 2.
    assert_eq!(replaced_at, [10, 20]);
    assert_eq!(job.status().failed, 3);
    assert_eq!(
        job.outcome(),
        Some(JobOutcome::Failed("BackoffLimitExceeded"))
    );
    let events = api.take_events();
    assert_eq!(
        events.last().unwrap(),
        "BackoffLimitExceeded: Job has reached the specified backoff limit"
    );
}

#[test]
fn a_pod_that_never_pulls_stays_pending_until_the_active_deadline() {
    let mut spec = spec();
    spec.active_deadline = Some(Duration::from_secs(120));
    let mut job = Job::new("report", spec);
    let mut api = FakeApi::default();
    let first = sync(&mut job, &mut api, t(0));
    let pod = created(&first)[0].clone();
    api.bind(&pod, "node-1");
    // ImagePullBackOff for two minutes: Pending, so no failure is counted.
    for now in [10, 60, 119] {
        assert!(sync(&mut job, &mut api, t(now)).is_empty());
        assert_eq!(job.status().failed, 0);
    }
    assert_eq!(job.next_wakeup(), Some(t(120)));
    let actions = sync(&mut job, &mut api, t(120));
    assert_eq!(deleted(&actions), std::slice::from_ref(&pod));
    assert_eq!(
        conditions(&actions),
        [
            "FailureTarget DeadlineExceeded: Job was active longer than specified deadline",
            "Failed DeadlineExceeded: Job was active longer than specified deadline",
        ]
    );
    assert_eq!(
        api.take_events()[1..],
        [
            format!("SuccessfulDelete: Deleted pod: {pod}"),
            "DeadlineExceeded: Job was active longer than specified deadline".to_owned(),
        ]
    );
    assert_eq!(job.outcome(), Some(JobOutcome::Failed("DeadlineExceeded")));
    assert!(sync(&mut job, &mut api, t(200)).is_empty());
}

#[test]
fn a_work_queue_job_completes_when_a_pod_succeeded_and_none_runs() {
    let mut spec = spec();
    spec.completions = None;
    spec.parallelism = 3;
    let mut job = Job::new("queue", spec);
    let mut api = FakeApi::default();
    let first = sync(&mut job, &mut api, t(0));
    let names = created(&first);
    assert_eq!(names.len(), 3);
    api.finish(&names[0], PodPhase::Succeeded);
    // One success: no new pods; the other two go on.
    assert!(created(&sync(&mut job, &mut api, t(5))).is_empty());
    assert!(job.outcome().is_none());
    api.finish(&names[1], PodPhase::Succeeded);
    api.finish(&names[2], PodPhase::Succeeded);
    let done = sync(&mut job, &mut api, t(9));
    assert_eq!(
        conditions(&done),
        [
            "SuccessCriteriaMet CompletionsReached: Reached expected number of succeeded pods",
            "Complete CompletionsReached: Reached expected number of succeeded pods",
        ]
    );
}

#[test]
fn a_success_resets_the_back_off() {
    let mut spec = spec();
    spec.completions = Some(3);
    let mut job = Job::new("report", spec);
    let mut api = FakeApi::default();
    sync(&mut job, &mut api, t(0));
    let pod = api.active_of("report")[0].clone();
    api.finish(&pod, PodPhase::Failed);
    sync(&mut job, &mut api, t(1));
    assert_eq!(job.next_wakeup(), Some(t(11)));
    assert_eq!(created(&sync(&mut job, &mut api, t(11))).len(), 1);
    let pod = api.active_of("report")[0].clone();
    api.finish(&pod, PodPhase::Succeeded);
    // Replaced at once: the failure streak ended with the success.
    assert_eq!(created(&sync(&mut job, &mut api, t(12))).len(), 1);
}
