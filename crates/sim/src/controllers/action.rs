//! What a controller asks of the API server after a sync: create a pod from a template
//! revision, delete a pod, resize or delete a ReplicaSet, record an event in kubectl's words,
//! set a condition. The reconcilers only return these; the API server carries them out.
//!
//! Events about a pod creation or deletion are recorded by upstream's `PodControl` only when
//! the API call succeeded, so they travel inside the request ([`PodCreation::on_success`],
//! [`PodDeletion::on_success`]) and the API server records them once it has done the work; a
//! refused creation is reported back with the reconciler's `creation_refused`.

use std::fmt;
use std::sync::Arc;

use crate::api::Pod;

/// The kind of a workload object, as events and conditions name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` ReplicaSet.
    ReplicaSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `batch/v1` Job.
    Job,
}

impl WorkloadKind {
    /// The kind as the API spells it (`ReplicaSet`).
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::Job => "Job",
        }
    }
}

/// A workload object: kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectRef {
    /// Its kind.
    pub kind: WorkloadKind,
    /// `metadata.namespace`.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectRef {
    /// The object `kind` `namespace/name`.
    pub fn new(kind: WorkloadKind, namespace: impl Into<String>, name: impl Into<String>) -> Self {
        ObjectRef {
            kind,
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// `kubectl get events`' OBJECT column: `replicaset/web-5d4f8c7b9`.
impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}",
            self.kind.as_str().to_ascii_lowercase(),
            self.name
        )
    }
}

/// An event's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `Normal`.
    Normal,
    /// `Warning`.
    Warning,
}

/// An event a controller records against one of its objects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerEvent {
    /// The object it is recorded against.
    pub object: ObjectRef,
    /// Normal or Warning.
    pub event_type: EventType,
    /// `reason` (`SuccessfulCreate`, `ScalingReplicaSet`, ...).
    pub reason: &'static str,
    /// `message`, word for word.
    pub message: String,
}

impl ControllerEvent {
    /// A Normal event.
    pub fn normal(object: &ObjectRef, reason: &'static str, message: String) -> Self {
        ControllerEvent {
            object: object.clone(),
            event_type: EventType::Normal,
            reason,
            message,
        }
    }

    /// A Warning event.
    pub fn warning(object: &ObjectRef, reason: &'static str, message: String) -> Self {
        ControllerEvent {
            object: object.clone(),
            event_type: EventType::Warning,
            reason,
            message,
        }
    }
}

/// `status` of a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConditionStatus {
    /// `"True"`.
    True,
    /// `"False"`.
    False,
}

/// A condition of a workload's status (`Progressing`, `Available`, `Complete`, `Failed`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    /// `type`.
    pub condition_type: &'static str,
    /// `status`.
    pub status: ConditionStatus,
    /// `reason`.
    pub reason: &'static str,
    /// `message`, word for word.
    pub message: String,
}

/// A pod to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodCreation {
    /// The object that owns it (its `ownerReferences` controller).
    pub owner: ObjectRef,
    /// The pod's name (`generateName`'s result, or a StatefulSet's `<set>-<ordinal>`).
    pub name: String,
    /// The template revision it is made from (see [`PodView::revision`](super::PodView)).
    pub revision: String,
    /// The pod template (its own `name` is ignored).
    pub template: Arc<Pod>,
    /// The node a DaemonSet pins it to (by node affinity); `None` leaves it to the scheduler.
    pub node: Option<String>,
    /// Its slow-start batch (0, 1, 2, ...): the API server creates batch by batch, and when a
    /// creation of a batch is refused it skips every later batch of the same sync, reporting
    /// each refused or skipped name back with the reconciler's `creation_refused`.
    pub batch: u32,
    /// The event recorded once the API server has created it.
    pub on_success: ControllerEvent,
}

/// A pod to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodDeletion {
    /// The object that owns it.
    pub owner: ObjectRef,
    /// The pod's name.
    pub name: String,
    /// The event recorded once the API server has deleted it.
    pub on_success: ControllerEvent,
}

/// One request of a sync, in the order the controller makes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControllerAction {
    /// Create a pod.
    CreatePod(PodCreation),
    /// Delete a pod.
    DeletePod(PodDeletion),
    /// A Deployment resized one of its ReplicaSets (`spec.replicas` from `from` to `to`); the
    /// ReplicaSet's own creations and deletions follow as separate actions.
    ScaleReplicaSet {
        /// The ReplicaSet.
        replica_set: ObjectRef,
        /// Its previous `spec.replicas`.
        from: u32,
        /// Its new `spec.replicas`.
        to: u32,
    },
    /// A Deployment created a ReplicaSet for a new template.
    CreateReplicaSet {
        /// The ReplicaSet.
        replica_set: ObjectRef,
        /// Its `deployment.kubernetes.io/revision`.
        revision: u64,
    },
    /// A Deployment deleted an old ReplicaSet past `revisionHistoryLimit`.
    DeleteReplicaSet {
        /// The ReplicaSet.
        replica_set: ObjectRef,
    },
    /// Record an event now.
    Event(ControllerEvent),
    /// Set (replace) a condition of `object`'s status.
    SetCondition {
        /// The workload.
        object: ObjectRef,
        /// The condition.
        condition: Condition,
    },
}

impl ControllerAction {
    /// The pod creation this action is, if it is one.
    pub fn as_creation(&self) -> Option<&PodCreation> {
        match self {
            ControllerAction::CreatePod(creation) => Some(creation),
            _ => None,
        }
    }

    /// The pod deletion this action is, if it is one.
    pub fn as_deletion(&self) -> Option<&PodDeletion> {
        match self {
            ControllerAction::DeletePod(deletion) => Some(deletion),
            _ => None,
        }
    }

    /// The event this action records, if it is one.
    pub fn as_event(&self) -> Option<&ControllerEvent> {
        match self {
            ControllerAction::Event(event) => Some(event),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_print_as_kubectl_names_them() {
        let rs = ObjectRef::new(WorkloadKind::ReplicaSet, "default", "web-5d4f8c7b9");
        assert_eq!(rs.to_string(), "replicaset/web-5d4f8c7b9");
        let job = ObjectRef::new(WorkloadKind::Job, "batch", "report");
        assert_eq!(job.to_string(), "job/report");
        let event = ControllerEvent::warning(&job, "BackoffLimitExceeded", "m".to_owned());
        assert_eq!(event.event_type, EventType::Warning);
        let action = ControllerAction::Event(event.clone());
        assert_eq!(action.as_event(), Some(&event));
        assert!(action.as_creation().is_none() && action.as_deletion().is_none());
    }
}
