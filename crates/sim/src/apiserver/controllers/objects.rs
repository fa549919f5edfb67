//! The timeline's workload actions as the API server takes them: `kubectl apply` (create
//! an object, or give the one of the same kind, namespace and name this spec), `set
//! image`, `rollout restart`, `scale` and `delete`. Each changes the object as last
//! applied, hands the reconciler the new spec, queues a sync, and records a timeline
//! line in kubectl's words (staging/src/k8s.io/kubectl/pkg/cmd: `apply` prints
//! `created`/`configured`/`unchanged`, `set/set_image.go` `image updated`,
//! `rollout/rollout_restart.go` `restarted`, `scale/scale.go` `scaled`, all through
//! `PrintFlags` as `<resource>.<group>/<name> <operation>`; `delete/delete.go`
//! `printDeletion` writes `<resource>.<group> "<name>" deleted`).

use std::sync::Arc;
use std::time::Duration;

use crate::api::Workload;
use crate::apiserver::workloads::WorkloadRecord;
use crate::controllers::template::RESTARTED_AT_ANNOTATION;
use crate::controllers::{ObjectRef, WorkloadKind, WorkloadObject, WorkloadSpec};
use crate::error::SimError;
use crate::rollouts::RolloutTally;
use crate::sim::Sim;
use crate::trace::{TraceEvent, WorkloadId};

use super::{Controller, ControllerId, PodList, Reconciler};

/// `<resource>.<group>` as kubectl prints an object's kind (`deployment.apps`).
fn resource(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deployment.apps",
        WorkloadKind::ReplicaSet => "replicaset.apps",
        WorkloadKind::DaemonSet => "daemonset.apps",
        WorkloadKind::StatefulSet => "statefulset.apps",
        WorkloadKind::Job => "job.batch",
    }
}

/// The instant `SimTime` 0 stands for when it is printed as a wall-clock time (the
/// `restartedAt` annotation): 2026-01-01T00:00:00Z, in seconds since the Unix epoch.
pub(crate) const WALL_CLOCK_EPOCH_UNIX: u64 = 1_767_225_600;

/// `since` after [`WALL_CLOCK_EPOCH_UNIX`] as RFC 3339 in UTC, whole seconds
/// (`time.Now().Format(time.RFC3339)` of `kubectl rollout restart`, on a UTC clock).
pub(crate) fn rfc3339(since: Duration) -> String {
    pullsim_model::time::rfc3339(WALL_CLOCK_EPOCH_UNIX + since.as_secs())
}

impl Sim {
    /// `kubectl apply`: creates the object, or gives the existing one this spec.
    pub(crate) fn apply_workload(&mut self, mut object: WorkloadObject) -> Result<(), SimError> {
        let key = object.object_ref();
        self.choose_daemon_nodes(&mut object);
        let Some(&id) = self.api.controllers.by_ref.get(&key) else {
            self.create_controller(object);
            self.timeline_object(&key, "created");
            return Ok(());
        };
        let old = &self.api.controllers.get(id).object;
        if old.spec == object.spec {
            self.timeline_object(&key, "unchanged");
            return Ok(());
        }
        if key.kind == WorkloadKind::Job {
            return Err(SimError::ImmutableJob(key.to_string()));
        }
        self.update_object(id, object);
        self.timeline_object(&key, "configured");
        Ok(())
    }

    /// `kubectl set image`: the container named `container` (init or regular) of the
    /// object's template runs `image`.
    pub(crate) fn set_workload_image(
        &mut self,
        workload: &ObjectRef,
        container: &str,
        image: &str,
    ) -> Result<(), SimError> {
        let id = self.controller_of(workload)?;
        let mut object = self.api.controllers.get(id).object.clone();
        let pod = Arc::make_mut(&mut object.spec.template_mut().pod);
        let found = pod
            .spec
            .init_containers
            .iter_mut()
            .chain(&mut pod.spec.containers)
            .find(|c| c.name == container)
            .ok_or_else(|| SimError::UnknownContainer {
                workload: workload.to_string(),
                container: container.to_owned(),
            })?;
        found.image = image.to_owned();
        self.change_template(id, workload, object)?;
        self.timeline_object(workload, "image updated");
        Ok(())
    }

    /// `kubectl rollout restart`: the template's `restartedAt` annotation becomes now.
    pub(crate) fn restart_workload(&mut self, workload: &ObjectRef) -> Result<(), SimError> {
        let id = self.controller_of(workload)?;
        if matches!(workload.kind, WorkloadKind::ReplicaSet | WorkloadKind::Job) {
            return Err(SimError::NotSupported {
                workload: workload.to_string(),
                what: "restarting",
            });
        }
        let mut object = self.api.controllers.get(id).object.clone();
        object.spec.template_mut().annotations.insert(
            RESTARTED_AT_ANNOTATION.to_owned(),
            rfc3339(self.now.since_epoch()),
        );
        self.change_template(id, workload, object)?;
        self.timeline_object(workload, "restarted");
        Ok(())
    }

    /// `kubectl scale`: a Deployment's, ReplicaSet's or StatefulSet's `replicas`.
    pub(crate) fn scale_workload(
        &mut self,
        workload: &ObjectRef,
        replicas: u32,
    ) -> Result<(), SimError> {
        let id = self.controller_of(workload)?;
        let mut object = self.api.controllers.get(id).object.clone();
        match &mut object.spec {
            WorkloadSpec::Deployment(spec) => spec.replicas = replicas,
            WorkloadSpec::ReplicaSet(spec) => spec.replicas = replicas,
            WorkloadSpec::StatefulSet(spec) => spec.replicas = replicas,
            WorkloadSpec::DaemonSet(_) | WorkloadSpec::Job(_) => {
                return Err(SimError::NotSupported {
                    workload: workload.to_string(),
                    what: "scaling",
                });
            }
        }
        self.update_object(id, object);
        self.timeline_object(workload, "scaled");
        Ok(())
    }

    /// `kubectl delete`: the object goes, and its pods with it.
    pub(crate) fn delete_workload(&mut self, workload: &ObjectRef) -> Result<(), SimError> {
        let id = self.controller_of(workload)?;
        self.api.controllers.by_ref.remove(workload);
        let controller = self.api.controllers.get_mut(id);
        controller.deleted = true;
        let pods = controller.pods.pods().to_vec();
        for pod in pods {
            self.delete(pod);
        }
        self.timeline_line(format!(
            "{} {:?} deleted",
            resource(workload.kind),
            workload.name
        ));
        Ok(())
    }

    /// The live controller of `workload`.
    fn controller_of(&self, workload: &ObjectRef) -> Result<ControllerId, SimError> {
        self.api
            .controllers
            .by_ref
            .get(workload)
            .copied()
            .ok_or_else(|| SimError::UnknownWorkload(workload.to_string()))
    }

    /// A change of the template alone (`set image`, `rollout restart`); a Job's is refused.
    fn change_template(
        &mut self,
        id: ControllerId,
        workload: &ObjectRef,
        object: WorkloadObject,
    ) -> Result<(), SimError> {
        if workload.kind == WorkloadKind::Job {
            return Err(SimError::ImmutableJob(workload.to_string()));
        }
        self.update_object(id, object);
        Ok(())
    }

    /// Gives a controller a new spec; a new template starts a rollout.
    fn update_object(&mut self, id: ControllerId, object: WorkloadObject) {
        let now = self.now;
        let controller = self.api.controllers.get_mut(id);
        if !controller
            .object
            .spec
            .template()
            .same_as(object.spec.template())
        {
            controller.tally.rollout_started(now);
        }
        controller.reconciler.set_spec(&object);
        controller.object = object;
        self.queue_controller_sync(id, true);
    }

    /// A DaemonSet's nodes are those its template selects now (whatever the caller set).
    fn choose_daemon_nodes(&self, object: &mut WorkloadObject) {
        if let WorkloadSpec::DaemonSet(spec) = &mut object.spec {
            spec.nodes = self
                .matching_nodes(&spec.template.pod.spec)
                .into_iter()
                .map(|node| self.node_name(node).to_owned())
                .collect();
        }
    }

    /// A new controller for `object`, its pods a drift group of their own.
    fn create_controller(&mut self, object: WorkloadObject) {
        let key = object.object_ref();
        let id = ControllerId(self.api.controllers.table.len() as u32);
        let workload = WorkloadId(self.api.workloads.len() as u32);
        // The drift figures group pods by workload: the object's pods are one group,
        // named as kubectl names the object. It has no replicas of its own.
        let template = (*object.spec.template().pod).clone();
        let template_spec = Arc::new(template.spec.clone());
        self.api.workloads.push(WorkloadRecord {
            workload: Workload {
                name: key.to_string(),
                template,
                replicas: 0,
                replace_every: None,
            },
            template_spec,
            pinned: false,
            nodes: Vec::new(),
        });
        self.metrics.workload_added(workload);
        let object_id = self.api.controllers.intern(&key);
        let reconciler = Reconciler::new(&object);
        let table = &mut self.api.controllers;
        if key.kind == WorkloadKind::DaemonSet {
            table.daemon_sets.push(id);
        }
        table.by_ref.insert(key, id);
        table.table.push(Controller {
            object,
            object_id,
            workload,
            reconciler,
            pods: PodList::default(),
            revisions: Vec::new(),
            wakeup: None,
            requeue: None,
            failures: 0,
            sync_queued: false,
            deleted: false,
            unsettled: true,
            tally: RolloutTally::new(self.now),
        });
        self.queue_controller_sync(id, true);
    }

    /// A timeline line `<resource>.<group>/<name> <operation>`.
    fn timeline_object(&mut self, object: &ObjectRef, operation: &str) {
        self.timeline_line(format!(
            "{}/{} {operation}",
            resource(object.kind),
            object.name
        ));
    }

    fn timeline_line(&mut self, what: String) {
        self.record(TraceEvent::Timeline { what });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restarts_print_the_wall_clock_of_the_fixed_epoch() {
        assert_eq!(rfc3339(Duration::ZERO), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(Duration::from_secs(3_725)), "2026-01-01T01:02:05Z");
        assert_eq!(
            rfc3339(Duration::from_secs(59 * 86_400 + 86_399)),
            "2026-03-01T23:59:59Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(365 * 86_400)),
            "2027-01-01T00:00:00Z"
        );
    }

    #[test]
    fn kinds_print_as_kubectl_resources() {
        assert_eq!(resource(WorkloadKind::Deployment), "deployment.apps");
        assert_eq!(resource(WorkloadKind::Job), "job.batch");
    }
}
