//! The DaemonSet controller as a pure reconciler (`pkg/controller/daemon/daemon_controller.go`
//! `manage`, `podsShouldBeOnNode`, `syncNodes`, and `update.go` `rollingUpdate`;
//! docs/semantics.md §10.4). Its pods are `<name>-<5 characters>`, each pinned to a node and
//! carrying the template hash it was made from (`controller-revision-hash`).
//!
//! - manage: a node that should run the daemon and has no pod gets one (from the current
//!   template); a failed pod is deleted (Warning `FailedDaemonPod`) unless its node is in
//!   the failed-pod back-off (1 s doubling to 15 min); a succeeded pod is deleted; extra pods
//!   are deleted (all but the oldest, or, when surging, all but the oldest new and old one,
//!   and the old one too once it is unready or the new one is available); pods on nodes that
//!   should not run it are deleted. At most 250 creations and deletions a sync, creations in
//!   slow-start batches.
//! - a sync whose manage did something waits for it to be seen before updating (upstream's
//!   expectations); otherwise RollingUpdate replaces old pods within the fenceposts (both
//!   percentages of the nodes that should run it, rounded up): without surge, old pods that
//!   are unavailable go at once and available ones while fewer than `maxUnavailable` nodes
//!   are unavailable; with surge, a new pod is added next to an old one on up to `maxSurge`
//!   nodes (at once where the old one is unavailable) and the old one goes when the new one
//!   is available. Upstream walks nodes in Go's random map order; pullsim in name order.
//! - OnDelete: only pods made again after a deletion get the new template.

use std::collections::{BTreeMap, BTreeSet};

use pullsim_model::SimTime;
use pullsim_model::backoff::Backoff;
use pullsim_model::controllers::daemon_set as rules;

use super::pod_control::{self, Draw};
use super::pod_view::earliest;
use super::{
    ControllerAction, ControllerEvent, DaemonSetSpec, DaemonSetUpdateStrategy, Expectations,
    ObjectRef, PodPhase, PodTemplate, PodView, WorkloadKind,
};

/// `status` of a DaemonSet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DaemonSetStatus {
    /// `desiredNumberScheduled`: nodes that should run it.
    pub desired: u32,
    /// `currentNumberScheduled`: those nodes with a pod.
    pub current: u32,
    /// `numberReady`.
    pub ready: u32,
    /// `numberAvailable`.
    pub available: u32,
    /// `updatedNumberScheduled`: nodes with a pod of the current template.
    pub updated: u32,
    /// `numberUnavailable`.
    pub unavailable: u32,
}

/// What one sync decided for the nodes.
#[derive(Debug, Default)]
struct NodePlan {
    create_on: Vec<String>,
    delete: Vec<String>,
}

/// One DaemonSet's controller state.
#[derive(Debug, Clone)]
pub struct DaemonSet {
    object: ObjectRef,
    spec: DaemonSetSpec,
    failed_backoff: Backoff,
    expectations: Expectations,
    status: DaemonSetStatus,
    wakeup: Option<SimTime>,
}

impl DaemonSet {
    /// The DaemonSet `name` (in its template's namespace) with `spec`.
    pub fn new(name: impl Into<String>, spec: DaemonSetSpec) -> Self {
        let object = ObjectRef::new(
            WorkloadKind::DaemonSet,
            spec.template.pod.namespace.clone(),
            name,
        );
        DaemonSet {
            object,
            spec,
            failed_backoff: Backoff::new(
                rules::FAILED_POD_BACKOFF_INITIAL,
                rules::FAILED_POD_BACKOFF_MAX,
            ),
            expectations: Expectations::default(),
            status: DaemonSetStatus::default(),
            wakeup: None,
        }
    }

    /// The DaemonSet as events name it.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// Its spec.
    pub fn spec(&self) -> &DaemonSetSpec {
        &self.spec
    }

    /// Replaces the spec (a new template, or the nodes it should run on as the cluster's
    /// nodes change); the next sync acts on it.
    pub fn set_spec(&mut self, spec: DaemonSetSpec) {
        self.spec = spec;
    }

    /// The status of the last sync.
    pub fn status(&self) -> DaemonSetStatus {
        self.status
    }

    /// When it wants to sync again with nothing changed: a pod becoming available, a node's
    /// failed-pod back-off ending, or outstanding expectations timing out.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        earliest(self.wakeup, self.expectations.timeout_at())
    }

    /// The current template's hash (`controller-revision-hash` of new pods).
    pub fn revision(&self) -> String {
        self.spec.template.hash(None)
    }

    /// A creation of the last sync did not happen (see
    /// [`ReplicaSet::creation_refused`](super::ReplicaSet::creation_refused)).
    pub fn creation_refused(&mut self, name: &str, error: Option<&str>) -> Vec<ControllerAction> {
        pod_control::refused(&mut self.expectations, &self.object, name, error)
    }

    fn surge_allowed(&self) -> bool {
        match self.spec.update_strategy {
            DaemonSetUpdateStrategy::RollingUpdate { max_surge, .. } => {
                rules::fenceposts(max_surge, rules::DEFAULT_MAX_UNAVAILABLE, 1).surge > 0
            }
            DaemonSetUpdateStrategy::OnDelete => false,
        }
    }

    /// One sync over the DaemonSet's pods at `now`.
    pub fn sync(
        &mut self,
        pods: &[PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let hash = self.revision();
        let own: Vec<&PodView> = pods
            .iter()
            .filter(|p| p.owner == self.object.name)
            .collect();
        let mut by_node: BTreeMap<&str, Vec<&PodView>> = BTreeMap::new();
        for pod in &own {
            if let Some(node) = pod.node.as_deref() {
                by_node.entry(node).or_default().push(pod);
            }
        }
        let mut actions = Vec::new();
        let mut wakeup = None;
        if self.expectations.satisfied(pods, now) {
            let plan = self.manage(&by_node, &hash, now, &mut actions, &mut wakeup);
            let plan = if plan.create_on.is_empty() && plan.delete.is_empty() {
                match self.spec.update_strategy {
                    DaemonSetUpdateStrategy::RollingUpdate {
                        max_unavailable,
                        max_surge,
                    } => self.rolling_update(&by_node, &hash, max_unavailable, max_surge, now),
                    DaemonSetUpdateStrategy::OnDelete => plan,
                }
            } else {
                plan
            };
            self.sync_nodes(plan, pods, &hash, now, draw, &mut actions);
        }
        self.status = self.calculate_status(&by_node, &hash, now, &mut wakeup);
        self.wakeup = wakeup;
        actions
    }

    /// `manage` and `podsShouldBeOnNode`.
    fn manage(
        &mut self,
        by_node: &BTreeMap<&str, Vec<&PodView>>,
        hash: &str,
        now: SimTime,
        actions: &mut Vec<ControllerAction>,
        wakeup: &mut Option<SimTime>,
    ) -> NodePlan {
        let mut plan = NodePlan::default();
        let surge = self.surge_allowed();
        for node in &self.spec.nodes {
            let pods: Vec<&PodView> = by_node
                .get(node.as_str())
                .map(|pods| pods.iter().copied().filter(|p| !p.deleting).collect())
                .unwrap_or_default();
            if pods.is_empty() {
                plan.create_on.push(node.clone());
                continue;
            }
            let mut running = Vec::new();
            for pod in pods {
                match pod.phase {
                    PodPhase::Failed => {
                        if self.failed_backoff.is_in_backoff_since_update(node, now) {
                            let until = self
                                .failed_backoff
                                .entry(node)
                                .map(|e| e.last_update + e.backoff);
                            *wakeup = earliest(*wakeup, until);
                            continue;
                        }
                        self.failed_backoff.next(node, now);
                        actions.push(ControllerAction::Event(ControllerEvent::warning(
                            &self.object,
                            rules::FAILED_DAEMON_POD,
                            rules::failed_pod_message(&self.object.namespace, &pod.name, node),
                        )));
                        plan.delete.push(pod.name.clone());
                    }
                    PodPhase::Succeeded => plan.delete.push(pod.name.clone()),
                    PodPhase::Pending | PodPhase::Running => running.push(pod),
                }
            }
            if running.len() <= 1 {
                continue;
            }
            // podByCreationTimestampAndPhase: oldest first.
            running.sort_by(|a, b| (a.created, &a.name).cmp(&(b.created, &b.name)));
            if !surge {
                plan.delete
                    .extend(running[1..].iter().map(|p| p.name.clone()));
                continue;
            }
            let (mut oldest_new, mut oldest_old) = (None, None);
            for pod in running {
                let slot = if pod.revision == hash {
                    &mut oldest_new
                } else {
                    &mut oldest_old
                };
                if slot.is_none() {
                    *slot = Some(pod);
                } else {
                    plan.delete.push(pod.name.clone());
                }
            }
            if let (Some(new), Some(old)) = (oldest_new, oldest_old)
                && (!old.is_ready() || new.is_available(self.spec.min_ready, now))
            {
                plan.delete.push(old.name.clone());
            }
        }
        for (node, pods) in by_node {
            if !self.spec.nodes.contains(*node) {
                plan.delete
                    .extend(pods.iter().filter(|p| !p.deleting).map(|p| p.name.clone()));
            }
        }
        plan
    }

    /// `findUpdatedPodsOnNode`: the node's new and old pod, or `None` when it has more than
    /// one of either.
    fn split<'p>(
        pods: &[&'p PodView],
        hash: &str,
    ) -> Option<(Option<&'p PodView>, Option<&'p PodView>)> {
        let (mut new, mut old) = (None, None);
        for pod in pods.iter().copied().filter(|p| !p.deleting) {
            let slot = if pod.revision == hash {
                &mut new
            } else {
                &mut old
            };
            if slot.is_some() {
                return None;
            }
            *slot = Some(pod);
        }
        Some((new, old))
    }

    /// `rollingUpdate`.
    fn rolling_update(
        &self,
        by_node: &BTreeMap<&str, Vec<&PodView>>,
        hash: &str,
        max_unavailable: pullsim_model::controllers::IntOrPercent,
        max_surge: pullsim_model::controllers::IntOrPercent,
        now: SimTime,
    ) -> NodePlan {
        let desired = u32::try_from(self.spec.nodes.len()).unwrap_or(u32::MAX);
        let fence = rules::fenceposts(max_surge, max_unavailable, desired);
        let available = |pod: &PodView| pod.is_available(self.spec.min_ready, now);
        let mut plan = NodePlan::default();
        if fence.surge == 0 {
            let mut unavailable = 0u32;
            let mut replace = Vec::new();
            let mut candidates = Vec::new();
            for pods in by_node.values() {
                let Some((new, old)) = Self::split(pods, hash) else {
                    unavailable += 1;
                    continue;
                };
                match (new, old) {
                    (None, None) | (Some(_), Some(_)) => unavailable += 1,
                    (Some(new), None) => unavailable += u32::from(!available(new)),
                    (None, Some(old)) if !available(old) => replace.push(old.name.clone()),
                    (None, Some(_)) if unavailable >= fence.unavailable => {}
                    (None, Some(old)) => candidates.push(old.name.clone()),
                }
            }
            let room = fence.unavailable.saturating_sub(unavailable) as usize;
            plan.delete = replace;
            plan.delete.extend(candidates.into_iter().take(room));
            return plan;
        }
        let mut surged = 0u32;
        let mut allowed = Vec::new();
        let mut candidates = Vec::new();
        for (node, pods) in by_node {
            let Some((new, old)) = Self::split(pods, hash) else {
                surged += 1;
                continue;
            };
            if !self.spec.nodes.contains(*node) {
                continue;
            }
            match (new, old) {
                (_, None) => {}
                (None, Some(old)) if !available(old) => allowed.push((*node).to_owned()),
                (None, Some(_)) if surged >= fence.surge => {}
                (None, Some(_)) => candidates.push((*node).to_owned()),
                (Some(new), Some(_)) if !available(new) => surged += 1,
                (Some(_), Some(old)) => plan.delete.push(old.name.clone()),
            }
        }
        let room = fence.surge.saturating_sub(surged) as usize;
        plan.create_on = allowed;
        plan.create_on.extend(candidates.into_iter().take(room));
        plan
    }

    /// `syncNodes`: at most `BurstReplicas` creations (slow-start batches) and deletions.
    fn sync_nodes(
        &mut self,
        plan: NodePlan,
        pods: &[PodView],
        hash: &str,
        now: SimTime,
        draw: Draw<'_>,
        actions: &mut Vec<ControllerAction>,
    ) {
        let burst = rules::BURST_REPLICAS as usize;
        let mut taken: BTreeSet<String> = pods.iter().map(|p| p.name.clone()).collect();
        let name = self.object.name.clone();
        let mut nodes = plan.create_on.into_iter().take(burst);
        let count = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
        let template: PodTemplate = self.spec.template.clone();
        let made = pod_control::creations(&self.object, &template, hash, count, || {
            let pod = pod_control::generated_pod_name(&name, &mut taken, &mut *draw);
            (pod, nodes.next())
        });
        let deletions: Vec<String> = plan.delete.into_iter().take(burst).collect();
        self.expectations.expect(
            made.iter().map(|c| c.name.clone()),
            deletions.iter().cloned(),
            now,
        );
        actions.extend(made.into_iter().map(ControllerAction::CreatePod));
        actions.extend(
            deletions
                .iter()
                .map(|pod| ControllerAction::DeletePod(pod_control::deletion(&self.object, pod))),
        );
    }

    fn calculate_status(
        &self,
        by_node: &BTreeMap<&str, Vec<&PodView>>,
        hash: &str,
        now: SimTime,
        wakeup: &mut Option<SimTime>,
    ) -> DaemonSetStatus {
        let mut status = DaemonSetStatus {
            desired: u32::try_from(self.spec.nodes.len()).unwrap_or(u32::MAX),
            ..DaemonSetStatus::default()
        };
        for node in &self.spec.nodes {
            let Some(pods) = by_node.get(node.as_str()) else {
                continue;
            };
            let active: Vec<&&PodView> = pods.iter().filter(|p| p.is_active()).collect();
            if active.is_empty() {
                continue;
            }
            // `updateDaemonSetStatus` judges a node by its oldest pod
            // (`podByCreationTimestampAndPhase`: creation timestamps, whole seconds, then
            // names), so a node surging counts as not updated until its old pod goes.
            let oldest = active
                .iter()
                .min_by(|a, b| {
                    (a.created.since_epoch().as_secs(), &a.name)
                        .cmp(&(b.created.since_epoch().as_secs(), &b.name))
                })
                .copied();
            status.current += 1;
            if let Some(oldest) = oldest {
                status.updated += u32::from(oldest.revision == hash);
                if oldest.is_ready() {
                    status.ready += 1;
                    status.available += u32::from(oldest.is_available(self.spec.min_ready, now));
                }
            }
            // Wake when a pod of a node with none available becomes available.
            if !active
                .iter()
                .any(|p| p.is_available(self.spec.min_ready, now))
            {
                for pod in &active {
                    *wakeup = earliest(*wakeup, pod.available_at(self.spec.min_ready));
                }
            }
        }
        status.unavailable = status.desired.saturating_sub(status.available);
        status
    }
}

#[cfg(test)]
mod tests;
