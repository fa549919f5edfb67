//! A workload object as a scenario (or a test) hands it to the simulator: its kind,
//! namespace, name and spec. [`Sim::apply_object`](crate::Sim) creates it, or replaces the
//! spec of the object of the same kind, namespace and name (as `kubectl apply` does); the
//! timeline's `setImage`, `rolloutRestart`, `scale` and `deleteWorkload` name it by its
//! [`ObjectRef`].

use std::time::Duration;

use super::{
    DaemonSetSpec, DeploymentSpec, JobSpec, ObjectRef, PodTemplate, ReplicaSetSpec,
    StatefulSetSpec, WorkloadKind,
};

/// A workload's spec, by kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkloadSpec {
    /// `apps/v1` Deployment.
    Deployment(DeploymentSpec),
    /// `apps/v1` ReplicaSet created on its own.
    ReplicaSet(ReplicaSetSpec),
    /// `apps/v1` DaemonSet. Its `nodes` are chosen by the simulator from the template's
    /// `nodeSelector` (whatever the caller put there is replaced).
    DaemonSet(DaemonSetSpec),
    /// `apps/v1` StatefulSet.
    StatefulSet(StatefulSetSpec),
    /// `batch/v1` Job.
    Job(JobSpec),
}

impl WorkloadSpec {
    /// Its kind.
    pub fn kind(&self) -> WorkloadKind {
        match self {
            WorkloadSpec::Deployment(_) => WorkloadKind::Deployment,
            WorkloadSpec::ReplicaSet(_) => WorkloadKind::ReplicaSet,
            WorkloadSpec::DaemonSet(_) => WorkloadKind::DaemonSet,
            WorkloadSpec::StatefulSet(_) => WorkloadKind::StatefulSet,
            WorkloadSpec::Job(_) => WorkloadKind::Job,
        }
    }

    /// Its pod template.
    pub fn template(&self) -> &PodTemplate {
        match self {
            WorkloadSpec::Deployment(spec) => &spec.template,
            WorkloadSpec::ReplicaSet(spec) => &spec.template,
            WorkloadSpec::DaemonSet(spec) => &spec.template,
            WorkloadSpec::StatefulSet(spec) => &spec.template,
            WorkloadSpec::Job(spec) => &spec.template,
        }
    }

    /// `minReadySeconds` of its pods (a Deployment's ReplicaSets have the Deployment's;
    /// a StatefulSet's is not modelled, a Job has none).
    pub fn min_ready(&self) -> Duration {
        match self {
            WorkloadSpec::Deployment(spec) => spec.min_ready,
            WorkloadSpec::ReplicaSet(spec) => spec.min_ready,
            WorkloadSpec::DaemonSet(spec) => spec.min_ready,
            WorkloadSpec::StatefulSet(_) | WorkloadSpec::Job(_) => Duration::ZERO,
        }
    }

    /// Its pod template, to change it (`setImage`, `rolloutRestart`).
    pub fn template_mut(&mut self) -> &mut PodTemplate {
        match self {
            WorkloadSpec::Deployment(spec) => &mut spec.template,
            WorkloadSpec::ReplicaSet(spec) => &mut spec.template,
            WorkloadSpec::DaemonSet(spec) => &mut spec.template,
            WorkloadSpec::StatefulSet(spec) => &mut spec.template,
            WorkloadSpec::Job(spec) => &mut spec.template,
        }
    }
}

/// A workload object: where it lives and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadObject {
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
    /// `spec`.
    pub spec: WorkloadSpec,
}

impl WorkloadObject {
    /// Its kind, namespace and name.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef::new(self.spec.kind(), &self.namespace, &self.name)
    }
}
