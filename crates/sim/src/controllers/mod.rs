//! The workload controllers as pure reconcilers (docs/semantics.md §10): one type per
//! controller holding its own state for one workload object, with `sync(view, now, draw)`
//! returning the actions the API server should carry out and `next_wakeup()` the instant it
//! wants to sync again with nothing changed. No reconciler touches [`Sim`](crate::Sim): the
//! API server gives each its pods as [`PodView`]s, carries out its [`ControllerAction`]s and
//! calls it again on every change to those pods and at its wake-up. Every number comes from
//! [`pullsim_model::controllers`]; every random choice (pod names) from the caller's `draw`.
//!
//! The shared vocabulary, one file per concept:
//! - [`pod_view`]: [`PodView`] and [`PodPhase`], with readiness and availability.
//! - [`pods`]: [`Pods`], the views with their index (pods by name, counts by owner).
//! - [`action`]: [`ControllerAction`], events, conditions and object references.
//! - [`spec`]: the workload specs ([`DeploymentSpec`], [`DaemonSetSpec`],
//!   [`StatefulSetSpec`], [`JobSpec`]).
//! - [`template`]: [`PodTemplate`], its canonical text and revision hash.
//! - [`object`]: [`WorkloadObject`] and [`WorkloadSpec`], a workload as the simulator takes it.
//! - [`pod_control`]: generated names, slow-start batches, the pod events.
//! - [`victims`]: the order in which extra pods are deleted.
//! - [`expectations`]: creations and deletions asked for and not yet seen.
//!
//! The controllers: [`replica_set`], [`deployment`] (over ReplicaSets), [`job`],
//! [`stateful_set`], [`daemon_set`].

pub mod action;
pub mod daemon_set;
pub mod deployment;
pub mod expectations;
pub mod job;
pub mod object;
pub mod pod_control;
pub mod pod_view;
pub mod pods;
pub mod replica_set;
#[cfg(test)]
mod script;
pub mod spec;
pub mod stateful_set;
pub mod template;
pub mod victims;

pub use action::{
    Condition, ConditionStatus, ControllerAction, ControllerEvent, EventType, ObjectRef,
    PodCreation, PodDeletion, WorkloadKind,
};
pub use daemon_set::{DaemonSet, DaemonSetStatus};
pub use deployment::{Deployment, DeploymentStatus};
pub use expectations::Expectations;
pub use job::{Job, JobOutcome, JobStatus};
pub use object::{WorkloadObject, WorkloadSpec};
pub use pod_control::Draw;
pub use pod_view::{PodPhase, PodView};
pub use pods::{OwnerTally, PodIndex, Pods};
pub use replica_set::{ReplicaSet, ReplicaSetStatus};
pub use spec::{
    DaemonSetSpec, DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStrategy, JobSpec,
    PodManagementPolicy, ReplicaSetSpec, StatefulSetSpec, StatefulSetUpdateStrategy,
};
pub use stateful_set::{StatefulSet, StatefulSetStatus};
pub use template::PodTemplate;

use crate::engine::SimRng;

/// A `draw` from the simulation's generator: uniform below its argument.
pub fn draw_from(rng: &mut SimRng) -> impl FnMut(u32) -> u32 + '_ {
    move |below| {
        let value = (rng.unit() * f64::from(below)) as u32;
        value.min(below.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{Container, Pod};

    #[test]
    fn draws_from_the_simulation_generator_are_bounded_and_reproducible() {
        let mut rng = SimRng::new(42);
        let mut draw = draw_from(&mut rng);
        let draws: Vec<u32> = (0..1_000).map(|_| draw(27)).collect();
        assert!(draws.iter().all(|&d| d < 27));
        assert!(
            (0..27).all(|d| draws.contains(&d)),
            "every character is reachable"
        );
        let mut again = SimRng::new(42);
        let mut draw = draw_from(&mut again);
        assert_eq!(draws, (0..1_000).map(|_| draw(27)).collect::<Vec<_>>());
        // The same seed names the same pods.
        let names = |seed| {
            let template = PodTemplate::new(Pod::new("web", vec![Container::new("app", "app:v1")]));
            let mut rs = ReplicaSet::new("web-1", template, 3, std::time::Duration::ZERO);
            let mut rng = SimRng::new(seed);
            let actions = rs.sync(&[], pullsim_model::SimTime::EPOCH, &mut draw_from(&mut rng));
            actions
                .iter()
                .filter_map(ControllerAction::as_creation)
                .map(|c| c.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(7), names(7));
        assert_ne!(names(7), names(8));
    }
}
