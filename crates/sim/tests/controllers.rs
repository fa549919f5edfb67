//! The workload controllers driven by the API server, through `Sim`'s public API: objects
//! applied with `Sim::apply_object`, changed by the timeline's workload actions, their
//! pods created, run and replaced, their rollout figures.

mod common;

use std::time::Duration;

use common::{HOST, pool, registry};
use pullsim_model::SimTime;
use pullsim_registry::RegistryConfig;
use pullsim_sim::controllers::{DeploymentSpec, PodTemplate};
use pullsim_sim::{
    Action, Container, ObjectRef, Pod, Sim, SimConfig, WorkloadKind, WorkloadObject, WorkloadSpec,
};

fn cluster(nodes: u32) -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .expect("one host");
    sim.add_node_pool(pool("node", nodes)).expect("valid pool");
    sim
}

fn template(image: &str) -> PodTemplate {
    PodTemplate::new(Pod::new("web", vec![Container::new("app", image)]))
}

fn deployment(replicas: u32, image: &str) -> WorkloadObject {
    WorkloadObject {
        namespace: "default".to_owned(),
        name: "web".to_owned(),
        spec: WorkloadSpec::Deployment(DeploymentSpec::new(replicas, template(image))),
    }
}

fn web() -> ObjectRef {
    ObjectRef::new(WorkloadKind::Deployment, "default", "web")
}

/// The trace's lines that contain `needle`.
fn lines(sim: &Sim, needle: &str) -> Vec<String> {
    sim.render_trace()
        .lines()
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_deployment_runs_its_pods_and_rolls_out_a_new_image_to_a_new_replica_set() {
    let mut sim = cluster(2);
    sim.apply_object(SimTime::EPOCH, deployment(3, &format!("{HOST}/app:v1")));
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let created = lines(&sim, "SuccessfulCreate");
    assert_eq!(created.len(), 3, "{created:#?}");
    assert_eq!(lines(&sim, " running").len(), 3);
    let scaled = lines(&sim, "ScalingReplicaSet");
    assert_eq!(scaled.len(), 1, "{scaled:#?}");
    assert!(
        scaled[0].contains("Scaled up replica set web-"),
        "{scaled:?}"
    );
    let first = sim.metrics().rollouts;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].workload, "deployment/web");
    assert!(first[0].complete);
    assert_eq!(first[0].revisions.len(), 1);
    assert_eq!(first[0].revisions[0].pods, 3);

    let at = sim.now() + Duration::from_secs(10);
    sim.schedule(
        at,
        Action::SetImage {
            workload: web(),
            container: "app".to_owned(),
            image: format!("{HOST}/private/app:v1"),
        },
    );
    sim.run_until(at + Duration::from_secs(1)).unwrap();
    assert_eq!(
        lines(&sim, "timeline deployment.apps/web image updated").len(),
        1
    );
    let rs_created = lines(&sim, " created revision=");
    assert_eq!(rs_created.len(), 2, "{rs_created:#?}");
    let metrics = sim.metrics();
    let rollout = &metrics.rollouts[0];
    assert_eq!(rollout.rollouts, 1);
    assert_eq!(rollout.revisions.len(), 2);
    assert!(!rollout.complete);
}

/// The rollout figures of `workload`.
fn rollout(sim: &Sim, workload: &str) -> pullsim_sim::RolloutMetrics {
    sim.metrics()
        .rollouts
        .into_iter()
        .find(|r| r.workload == workload)
        .unwrap_or_else(|| panic!("no rollout figures for {workload}"))
}

#[test]
fn a_rollout_to_a_missing_tag_stalls_where_the_real_controller_stops() {
    let mut sim = cluster(3);
    sim.apply_object(SimTime::EPOCH, deployment(10, &format!("{HOST}/app:v1")));
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let at = sim.now() + Duration::from_secs(5);
    sim.schedule(
        at,
        Action::SetImage {
            workload: web(),
            container: "app".to_owned(),
            image: format!("{HOST}/app:missing"),
        },
    );
    assert!(
        !sim.run_until_all_running(at + Duration::from_secs(300))
            .unwrap()
    );
    // 25% surge of 10 rounds up to 3, 25% unavailable down to 2: the new ReplicaSet gets
    // 3 pods (13 at most), the old one goes down to 8 (8 available at least), the new one
    // up to 5 (13 again), then nothing moves: upstream's "proportional scaling" example
    // (concepts/workloads/controllers/deployment: old ReplicaSet 8, new 5).
    let figures = rollout(&sim, "deployment/web");
    let sizes: Vec<(u32, u32, u32)> = figures
        .revisions
        .iter()
        .map(|r| (r.revision, r.pods, r.ready))
        .collect();
    assert_eq!(sizes, [(1, 8, 8), (2, 5, 0)], "{figures:#?}");
    assert_eq!(figures.rollouts, 1);
    assert!(!figures.complete && figures.duration.is_none());
    assert_eq!((figures.max_surge, figures.max_unavailable), (3, 2));
    assert!(figures.pulls >= 13, "{}", figures.pulls);
    let scaled = lines(&sim, "ScalingReplicaSet");
    assert!(
        scaled
            .iter()
            .any(|l| l.contains("Scaled down replica set") && l.ends_with("to 8 from 10")),
        "{scaled:#?}"
    );
    assert!(
        scaled
            .iter()
            .any(|l| l.contains("Scaled up replica set") && l.ends_with("to 5 from 3")),
        "{scaled:#?}"
    );
    // Nothing moves for progressDeadlineSeconds (600 s): the wake-up after the deadline
    // sets the condition, and the sizes stay.
    sim.run_until(at + Duration::from_secs(700)).unwrap();
    let figures = rollout(&sim, "deployment/web");
    assert!(
        figures
            .conditions
            .contains(&"Progressing=False (ProgressDeadlineExceeded)".to_owned()),
        "{figures:#?}"
    );
    let pods: Vec<u32> = figures.revisions.iter().map(|r| r.pods).collect();
    assert_eq!(pods, [8, 5]);
    assert_eq!(lines(&sim, "condition Progressing=False").len(), 1);
}

#[test]
fn recreate_deletes_every_old_pod_before_the_first_new_one() {
    let mut sim = cluster(2);
    let mut object = deployment(4, &format!("{HOST}/app:v1"));
    if let WorkloadSpec::Deployment(spec) = &mut object.spec {
        spec.strategy = pullsim_sim::controllers::DeploymentStrategy::Recreate;
    }
    sim.apply_object(SimTime::EPOCH, object);
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let at = sim.now() + Duration::from_secs(5);
    sim.schedule(at, Action::RolloutRestart(web()));
    assert!(
        sim.run_until_all_running(at + Duration::from_secs(600))
            .unwrap()
    );
    let trace = sim.render_trace();
    let restart = trace
        .find("timeline deployment.apps/web restarted")
        .expect("restart recorded");
    let after = &trace[restart..];
    let last_delete = after.rfind("SuccessfulDelete").expect("old pods deleted");
    let first_new = after.find("created revision=2").expect("a new ReplicaSet");
    let new_pod = after[first_new..]
        .find("SuccessfulCreate")
        .map(|i| i + first_new)
        .expect("new pods");
    assert!(last_delete < new_pod, "{after}");
    assert_eq!(after.matches("SuccessfulDelete").count(), 4);
    let figures = rollout(&sim, "deployment/web");
    assert!(figures.complete);
    assert_eq!(figures.max_unavailable, 4);
    assert_eq!(figures.max_surge, 0);
    let pods: Vec<u32> = figures.revisions.iter().map(|r| r.pods).collect();
    assert_eq!(pods, [0, 4]);
}

#[test]
fn a_daemon_set_runs_one_pod_on_each_node_it_selects_and_grows_with_the_pool() {
    let mut sim = cluster(2);
    sim.add_node_pool(pool("gpu", 2)).expect("valid pool");
    let mut pod = Pod::new(
        "agent",
        vec![Container::new("agent", format!("{HOST}/app:v1"))],
    );
    pod.spec
        .node_selector
        .insert(pullsim_sim::api::LABEL_POOL.to_owned(), "gpu".to_owned());
    let spec =
        pullsim_sim::controllers::DaemonSetSpec::new(Default::default(), PodTemplate::new(pod));
    sim.apply_object(
        SimTime::EPOCH,
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "agent".to_owned(),
            spec: WorkloadSpec::DaemonSet(spec),
        },
    );
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let scheduled = lines(&sim, " scheduled on ");
    assert_eq!(scheduled.len(), 2, "{scheduled:#?}");
    assert!(
        scheduled.iter().all(|l| l.contains("on gpu-")),
        "{scheduled:#?}"
    );
    let at = sim.now() + Duration::from_secs(5);
    sim.schedule(
        at,
        Action::AddNodes {
            pool: "gpu".to_owned(),
            count: 2,
        },
    );
    assert!(
        sim.run_until_all_running(at + Duration::from_secs(600))
            .unwrap()
    );
    let scheduled = lines(&sim, " scheduled on ");
    assert_eq!(scheduled.len(), 4, "{scheduled:#?}");
    let mut nodes: Vec<&str> = scheduled
        .iter()
        .filter_map(|l| l.rsplit(' ').next())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    assert_eq!(nodes.len(), 4, "one pod a node: {scheduled:#?}");
    let figures = rollout(&sim, "daemonset/agent");
    assert_eq!(figures.revisions.iter().map(|r| r.pods).sum::<u32>(), 4);
    assert!(figures.complete);
}

fn stateful_set(policy: pullsim_sim::controllers::PodManagementPolicy) -> WorkloadObject {
    let mut spec = pullsim_sim::controllers::StatefulSetSpec::new(
        3,
        PodTemplate::new(Pod::new(
            "db",
            vec![Container::new("db", format!("{HOST}/app:missing"))],
        )),
    );
    spec.pod_management_policy = policy;
    WorkloadObject {
        namespace: "default".to_owned(),
        name: "db".to_owned(),
        spec: WorkloadSpec::StatefulSet(spec),
    }
}

#[test]
fn ordered_ready_is_blocked_at_ordinal_zero_while_parallel_creates_every_pod() {
    use pullsim_sim::controllers::PodManagementPolicy;
    let created = |policy| {
        let mut sim = cluster(2);
        sim.apply_object(SimTime::EPOCH, stateful_set(policy));
        assert!(!sim.run_until_all_running(SimTime::from_secs(300)).unwrap());
        lines(&sim, "SuccessfulCreate")
            .iter()
            .filter_map(|l| {
                l.split("Pod ")
                    .nth(1)
                    .map(|rest| rest.split(' ').next().unwrap_or("").to_owned())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(created(PodManagementPolicy::OrderedReady), ["db-0"]);
    assert_eq!(
        created(PodManagementPolicy::Parallel),
        ["db-0", "db-1", "db-2"]
    );
}

#[test]
fn a_job_with_a_missing_image_runs_its_parallel_pods_until_its_deadline() {
    let mut spec = pullsim_sim::controllers::JobSpec::new(PodTemplate::new(Pod::new(
        "report",
        vec![Container::new("report", format!("{HOST}/app:missing"))],
    )));
    spec.completions = Some(4);
    spec.parallelism = 2;
    spec.active_deadline = Some(Duration::from_secs(120));
    sim_job(spec, |sim| {
        let created = lines(sim, "SuccessfulCreate");
        assert_eq!(created.len(), 2, "{created:#?}");
        let failed = lines(sim, "DeadlineExceeded");
        assert!(
            failed
                .iter()
                .any(|l| l.contains("job/default/report Warning DeadlineExceeded")),
            "{failed:#?}"
        );
        let deleted = lines(sim, "SuccessfulDelete");
        assert_eq!(deleted.len(), 2, "{deleted:#?}");
        let figures = rollout(sim, "job/report");
        assert!(figures.complete);
        assert_eq!(figures.duration, Some(Duration::from_secs(120)));
        assert!(
            figures
                .conditions
                .iter()
                .any(|c| c.starts_with("Failed=True")),
            "{figures:#?}"
        );
    });
}

fn sim_job(spec: pullsim_sim::controllers::JobSpec, check: impl FnOnce(&Sim)) {
    let mut sim = cluster(2);
    sim.apply_object(
        SimTime::EPOCH,
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "report".to_owned(),
            spec: WorkloadSpec::Job(spec),
        },
    );
    // Pods in back-off never run: the run settles only once the deadline failed the Job
    // (at 120 s) and the sync its pods' deletion queued (one batch period later) ran.
    assert!(sim.run_until_all_running(SimTime::from_secs(300)).unwrap());
    assert_eq!(sim.now(), SimTime::from_secs(121));
    check(&sim);
}

#[test]
fn scale_set_image_errors_and_delete_act_on_the_object() {
    let mut sim = cluster(2);
    sim.apply_object(SimTime::EPOCH, deployment(2, &format!("{HOST}/app:v1")));
    sim.schedule(
        SimTime::from_secs(30),
        Action::Scale {
            workload: web(),
            replicas: 4,
        },
    );
    sim.run_until(SimTime::from_secs(60)).unwrap();
    assert_eq!(lines(&sim, "timeline deployment.apps/web scaled").len(), 1);
    assert_eq!(lines(&sim, "SuccessfulCreate").len(), 4);
    sim.schedule(
        SimTime::from_secs(70),
        Action::SetImage {
            workload: web(),
            container: "nope".to_owned(),
            image: "x".to_owned(),
        },
    );
    let error = sim.run_until(SimTime::from_secs(80)).unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"set image deployment/web: error: unable to find container named "nope""#
    );
    sim.schedule(SimTime::from_secs(90), Action::DeleteWorkload(web()));
    sim.run_until(SimTime::from_secs(100)).unwrap();
    assert_eq!(
        lines(&sim, r#"timeline deployment.apps "web" deleted"#).len(),
        1
    );
    assert_eq!(lines(&sim, " deleted").len(), 5, "{}", sim.render_trace());
    assert!(sim.metrics().rollouts.is_empty());
    sim.schedule(
        SimTime::from_secs(110),
        Action::Scale {
            workload: web(),
            replicas: 1,
        },
    );
    let error = sim.run_until(SimTime::from_secs(120)).unwrap_err();
    assert_eq!(
        error.to_string(),
        "deployment/web: not found (no such workload object)"
    );
}

#[test]
fn the_same_seed_gives_the_same_controller_trace() {
    let run = || {
        let mut sim = cluster(3);
        sim.apply_object(SimTime::EPOCH, deployment(6, &format!("{HOST}/app:v1")));
        sim.schedule(
            SimTime::from_secs(20),
            Action::SetImage {
                workload: web(),
                container: "app".to_owned(),
                image: format!("{HOST}/app:missing"),
            },
        );
        sim.run_until(SimTime::from_secs(200)).unwrap();
        sim.render_trace()
    };
    assert_eq!(run(), run());
}

#[test]
fn a_finished_rollout_has_its_figures_and_its_drift() {
    let mut sim = cluster(2);
    sim.schedule(
        SimTime::EPOCH,
        Action::PushBuild {
            host: HOST.to_owned(),
            image: pullsim_registry::ImageSpec::new("app", "v2"),
        },
    );
    sim.apply_object(SimTime::EPOCH, deployment(4, &format!("{HOST}/app:v1")));
    sim.run_until(SimTime::from_secs(60)).unwrap();
    sim.schedule(
        SimTime::from_secs(60),
        Action::SetImage {
            workload: web(),
            container: "app".to_owned(),
            image: format!("{HOST}/app:v2"),
        },
    );
    sim.run_until(SimTime::from_secs(600)).unwrap();
    let figures = rollout(&sim, "deployment/web");
    assert_eq!(figures.rollouts, 1);
    assert_eq!(figures.started, SimTime::from_secs(60));
    assert!(figures.complete, "{figures:#?}");
    let pods: Vec<(u32, u32)> = figures
        .revisions
        .iter()
        .map(|r| (r.pods, r.ready))
        .collect();
    assert_eq!(pods, [(0, 0), (4, 4)]);
    // 25% of 4: one pod of surge, one unavailable.
    assert_eq!((figures.max_surge, figures.max_unavailable), (1, 1));
    // One pull at most for each of the 8 pods, and the new ones' pulls counted too.
    assert!((5..=8).contains(&figures.pulls), "{}", figures.pulls);
    let drift = sim
        .metrics()
        .workloads
        .into_iter()
        .find(|w| w.workload == "deployment/web")
        .expect("the Deployment's pods are a drift group");
    assert_eq!(drift.max_distinct_digests, 2);
    assert!(drift.mixed_duration > Duration::ZERO);
    assert!(figures.duration.expect("complete") >= drift.mixed_duration);
}

#[test]
fn a_job_whose_pods_run_forever_settles_once_they_run() {
    let mut spec = pullsim_sim::controllers::JobSpec::new(PodTemplate::new(Pod::new(
        "worker",
        vec![Container::new("worker", format!("{HOST}/app:v1"))],
    )));
    spec.parallelism = 3;
    spec.completions = Some(6);
    let mut sim = cluster(2);
    sim.apply_object(
        SimTime::EPOCH,
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "worker".to_owned(),
            spec: WorkloadSpec::Job(spec),
        },
    );
    assert!(sim.run_until_all_running(SimTime::from_secs(300)).unwrap());
    assert!(sim.now() < SimTime::from_secs(10), "{}", sim.now());
    assert_eq!(lines(&sim, " running").len(), 3);
    let figures = rollout(&sim, "job/worker");
    assert!(!figures.complete);
    assert_eq!(figures.revisions[0].pods, 3);
}

#[test]
fn a_job_runs_its_completions_parallelism_at_a_time() {
    let mut pod = Pod::new(
        "batch",
        vec![Container::new("batch", format!("{HOST}/app:v1"))],
    );
    pod.spec.run_for = Some(Duration::from_secs(30));
    pod.spec.restart_policy = pullsim_sim::RestartPolicy::Never;
    let mut spec = pullsim_sim::controllers::JobSpec::new(PodTemplate::new(pod));
    spec.completions = Some(5);
    spec.parallelism = 2;
    let mut sim = cluster(2);
    sim.apply_object(
        SimTime::EPOCH,
        WorkloadObject {
            namespace: "default".to_owned(),
            name: "batch".to_owned(),
            spec: WorkloadSpec::Job(spec),
        },
    );
    assert!(sim.run_until_all_running(SimTime::from_secs(600)).unwrap());
    let created = lines(&sim, "SuccessfulCreate");
    assert_eq!(created.len(), 5, "{created:#?}");
    // Two at a time: the third and fourth pods come after the first two finished.
    let second: Vec<&str> = created.iter().map(|l| &l[..8]).collect();
    assert_eq!(second[0], second[1]);
    assert!(second[2] > second[1], "{created:#?}");
    assert_eq!(
        lines(&sim, "Normal Completed").len(),
        1,
        "{}",
        sim.render_trace()
    );
    let figures = rollout(&sim, "job/batch");
    assert!(figures.complete);
    assert!(figures.duration.expect("complete") >= Duration::from_secs(90));
    assert!(
        figures
            .conditions
            .iter()
            .any(|c| c.starts_with("Complete=True")),
        "{figures:#?}"
    );
    // Finished pods are not counted as the revision's pods at the end.
    assert_eq!(figures.revisions[0].pods, 0);
}

#[test]
fn readiness_delays_hold_a_rolling_update_back() {
    let run = |delay: Option<Duration>| {
        let mut sim = cluster(2);
        let mut pod = Pod::new("web", vec![Container::new("app", format!("{HOST}/app:v1"))]);
        pod.spec.containers[0].readiness_delay = delay;
        let object = WorkloadObject {
            namespace: "default".to_owned(),
            name: "web".to_owned(),
            spec: WorkloadSpec::Deployment(DeploymentSpec::new(4, PodTemplate::new(pod))),
        };
        sim.apply_object(SimTime::EPOCH, object);
        sim.schedule(SimTime::from_secs(60), Action::RolloutRestart(web()));
        assert!(sim.run_until_all_running(SimTime::from_secs(900)).unwrap());
        rollout(&sim, "deployment/web")
    };
    let quick = run(None);
    let slow = run(Some(Duration::from_secs(20)));
    assert!(quick.complete && slow.complete);
    let (quick, slow) = (quick.duration.unwrap(), slow.duration.unwrap());
    // Four pods, one surge and one unavailable: two new pods at a time, so two waits of
    // 20 s for their readiness.
    assert!(slow >= Duration::from_secs(40), "{slow:?}");
    assert!(
        slow >= quick + Duration::from_secs(35),
        "{quick:?} vs {slow:?}"
    );
}
