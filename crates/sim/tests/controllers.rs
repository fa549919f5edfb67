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
