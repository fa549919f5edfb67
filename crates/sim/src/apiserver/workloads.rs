//! Workloads: their records, the digest-pinning webhook on a template, replicas created
//! and replaced on a period.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::api::{PodSpec, Workload};
use crate::engine::Event;
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent, WorkloadId};

/// A workload's template and settings.
#[derive(Debug)]
pub(crate) struct WorkloadRecord {
    pub(crate) workload: Workload,
    /// The template's spec with pull policies defaulted, shared by replicas that
    /// admission does not change.
    pub(crate) template_spec: Arc<PodSpec>,
    /// Whether the digest-pinning webhook already pinned the template.
    pub(crate) pinned: bool,
    /// The nodes its replicas go to, in order.
    pub(crate) nodes: Vec<NodeId>,
}

impl Sim {
    /// The digest-pinning webhook on the workload itself (as it mutates a Deployment's pod
    /// template): the template's images are pinned once, when the workload is created, so
    /// every replica, replacements included, runs the same digest. While some image cannot
    /// be resolved (a registry outage), the template stays unpinned, replicas are admitted
    /// pod by pod, and pinning is tried again at the next replica's creation.
    fn pin_template(&mut self, workload: WorkloadId) {
        let record = &self.api.workloads[workload.0 as usize];
        let namespace = record.workload.template.namespace.clone();
        let name = record.workload.name.clone();
        let mut spec = (*record.template_spec).clone();
        let secrets = spec.image_pull_secrets.clone();
        let mut pins = Vec::new();
        let mut complete = true;
        for container in spec.init_containers.iter_mut().chain(&mut spec.containers) {
            match self.pin_digest(&namespace, &secrets, &container.image) {
                Ok(Some(image)) => {
                    pins.push(format!("{} -> {image}", container.image));
                    container.image = image;
                }
                Ok(None) => {}
                Err(_) => complete = false,
            }
        }
        if !complete {
            // Tried again at the next replica's creation; meanwhile replicas are admitted
            // pod by pod.
            return;
        }
        let record = &mut self.api.workloads[workload.0 as usize];
        record.pinned = true;
        record.template_spec = Arc::new(spec);
        for pin in pins {
            self.record(TraceEvent::Timeline {
                what: format!("workload {namespace}/{name}: DigestPinning {pin}"),
            });
        }
    }

    /// Creates every replica of a workload.
    pub(crate) fn create_replicas(&mut self, workload: WorkloadId) {
        let record = &self.api.workloads[workload.0 as usize];
        let replicas = record.workload.replicas;
        let replace_every = record.workload.replace_every;
        if record.nodes.is_empty() {
            let nodes = self.matching_nodes(&record.workload.template.spec);
            self.api.workloads[workload.0 as usize].nodes = nodes;
        }
        for replica in 0..replicas {
            let created = self.create_replica(workload, replica);
            if let (Some(pod), Some(period)) = (created, replace_every) {
                let offset = period.mul_f64(f64::from(replica + 1) / f64::from(replicas.max(1)));
                self.queue
                    .push(self.now + offset, Event::ReplaceReplica(pod));
            }
        }
    }

    fn create_replica(&mut self, workload: WorkloadId, replica: u32) -> Option<PodId> {
        if self.config.admission.digest_pinning.is_some()
            && !self.api.workloads[workload.0 as usize].pinned
        {
            self.pin_template(workload);
        }
        let record = &self.api.workloads[workload.0 as usize];
        // The namespace and name are printed into a buffer kept for the purpose:
        // admission reads them, the record stores neither.
        let mut key = std::mem::take(&mut self.api.replica_key);
        key.clear();
        key.push_str(&record.workload.template.namespace);
        let split = key.len();
        let _ = write!(key, "{}-{replica}", record.workload.name);
        let spec = Arc::clone(&record.template_spec);
        let node =
            (!record.nodes.is_empty()).then(|| record.nodes[replica as usize % record.nodes.len()]);
        let (namespace, name) = key.split_at(split);
        let created = self
            .admit_and_create(namespace, name, spec, Some((workload, replica)), node, None)
            .ok();
        self.api.replica_key = key;
        created
    }

    /// A replica's turn to be replaced: the pod is deleted and a new one created on the
    /// same node; the next replacement is one period later.
    pub(crate) fn replace_replica(&mut self, pod: PodId) {
        let record = &self.api.pods[pod.0 as usize];
        if record.state.deleted {
            return;
        }
        let Some((workload, replica)) = record.workload else {
            return;
        };
        self.delete(pod);
        if let Some(new_pod) = self.create_replica(workload, replica)
            && let Some(period) = self.api.workloads[workload.0 as usize]
                .workload
                .replace_every
        {
            self.queue
                .push(self.now + period, Event::ReplaceReplica(new_pod));
        }
    }
}
