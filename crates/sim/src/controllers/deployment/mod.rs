//! The Deployment controller as a pure reconciler over its ReplicaSets
//! (`pkg/controller/deployment`: `rolling.go`, `recreate.go`, `sync.go`, `progress.go`;
//! docs/semantics.md §10.2). It holds one [`ReplicaSet`] reconciler per revision, oldest
//! first; each sync resizes them by the strategy's rules, lets each create or delete its
//! pods, and sets the `Progressing` and `Available` conditions:
//!
//! - a template with no ReplicaSet gets one, `<deployment>-<pod-template-hash>` (a name
//!   taken by another template bumps `collisionCount`), revision max + 1, created at its
//!   first size (`Scaled up replica set X from 0 to N`, Progressing `NewReplicaSetCreated`);
//! - RollingUpdate grows the new ReplicaSet up to `replicas + maxSurge` pods in all, and only
//!   when that changed nothing shrinks old ones: unavailable pods first, then available ones
//!   while `replicas - maxUnavailable` stay available, oldest ReplicaSet first;
//! - Recreate scales every old ReplicaSet to 0, waits until no old pod is left, then creates
//!   or scales the new one to `replicas`;
//! - a change of `replicas` (a ReplicaSet whose `desired-replicas` annotation differs) is a
//!   sync of its own (`scaling.rs`): the one active ReplicaSet is resized, or, during a
//!   rollout, every active one in proportion to its size;
//! - Progressing: `ReplicaSetUpdated` whenever a count moved, `NewReplicaSetAvailable` when
//!   complete, `ProgressDeadlineExceeded` (False) once nothing moved for
//!   `progressDeadlineSeconds`, checked at the requeue one second after the deadline;
//! - once complete, old ReplicaSets with no pods beyond `revisionHistoryLimit` are deleted.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::controllers::deployment as rules;

use super::pod_view::earliest;
use super::{
    Condition, ConditionStatus, ControllerAction, ControllerEvent, DeploymentSpec,
    DeploymentStrategy, Draw, ObjectRef, PodIndex, PodView, Pods, ReplicaSet, WorkloadKind,
};

/// `status` of a Deployment (`calculateStatus`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentStatus {
    /// `replicas`: active pods of every ReplicaSet.
    pub replicas: u32,
    /// `updatedReplicas`: active pods of the new ReplicaSet.
    pub updated: u32,
    /// `readyReplicas`.
    pub ready: u32,
    /// `availableReplicas`.
    pub available: u32,
    /// `unavailableReplicas`: the ReplicaSets' `spec.replicas` less the available pods.
    pub unavailable: u32,
}

/// One ReplicaSet of the Deployment with its `deployment.kubernetes.io/revision`.
#[derive(Debug, Clone)]
struct Revision {
    replica_set: ReplicaSet,
    revision: u64,
    /// `deployment.kubernetes.io/desired-replicas`: the Deployment's `replicas` when this
    /// ReplicaSet was last scaled.
    desired: Option<u32>,
    /// `deployment.kubernetes.io/max-replicas`: `replicas + maxSurge` then.
    max: Option<u32>,
}

/// The `Progressing` condition and its `lastUpdateTime`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Progress {
    condition: Condition,
    last_update: SimTime,
}

/// One Deployment's controller state.
#[derive(Debug, Clone)]
pub struct Deployment {
    object: ObjectRef,
    spec: DeploymentSpec,
    revisions: Vec<Revision>,
    collision_count: Option<u32>,
    status: DeploymentStatus,
    progressing: Option<Progress>,
    available: Option<Condition>,
    wakeup: Option<SimTime>,
}

impl Deployment {
    /// The Deployment `name` (in its template's namespace) with `spec` and no ReplicaSet yet.
    pub fn new(name: impl Into<String>, spec: DeploymentSpec) -> Self {
        let object = ObjectRef::new(
            WorkloadKind::Deployment,
            spec.template.pod.namespace.clone(),
            name,
        );
        Deployment {
            object,
            spec,
            revisions: Vec::new(),
            collision_count: None,
            status: DeploymentStatus::default(),
            progressing: None,
            available: None,
            wakeup: None,
        }
    }

    /// The Deployment as events name it.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// Its spec.
    pub fn spec(&self) -> &DeploymentSpec {
        &self.spec
    }

    /// Replaces the spec (`kubectl apply`, `set image`, `scale`, `rollout restart`); the
    /// next sync acts on it.
    pub fn set_spec(&mut self, spec: DeploymentSpec) {
        self.spec = spec;
    }

    /// The status of the last sync.
    pub fn status(&self) -> DeploymentStatus {
        self.status
    }

    /// Its ReplicaSets, oldest first.
    pub fn replica_sets(&self) -> impl Iterator<Item = &ReplicaSet> {
        self.revisions.iter().map(|r| &r.replica_set)
    }

    /// The ReplicaSet of the current template, once created.
    pub fn new_replica_set(&self) -> Option<&ReplicaSet> {
        self.new_index().map(|i| &self.revisions[i].replica_set)
    }

    /// The current condition of `condition_type` (`Progressing` or `Available`).
    pub fn condition(&self, condition_type: &str) -> Option<&Condition> {
        match condition_type {
            rules::PROGRESSING => self.progressing.as_ref().map(|p| &p.condition),
            rules::AVAILABLE => self.available.as_ref(),
            _ => None,
        }
    }

    /// A ReplicaSet's creation was refused (see [`ReplicaSet::creation_refused`]).
    pub fn creation_refused(
        &mut self,
        replica_set: &str,
        pod: &str,
        error: Option<&str>,
    ) -> Vec<ControllerAction> {
        self.revisions
            .iter_mut()
            .find(|r| r.replica_set.name() == replica_set)
            .map(|r| r.replica_set.creation_refused(pod, error))
            .unwrap_or_default()
    }

    /// When it wants to sync again with nothing changed: a pod of one of its ReplicaSets
    /// becoming available, or the progress deadline's check.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        self.revisions.iter().fold(self.wakeup, |at, r| {
            earliest(at, r.replica_set.next_wakeup())
        })
    }

    fn new_index(&self) -> Option<usize> {
        self.revisions
            .iter()
            .position(|r| r.replica_set.template().same_as(&self.spec.template))
    }

    fn surge_and_unavailable(&self) -> (u32, u32) {
        match self.spec.strategy {
            DeploymentStrategy::RollingUpdate {
                max_surge,
                max_unavailable,
            } => (
                rules::max_surge(max_surge, max_unavailable, self.spec.replicas),
                rules::max_unavailable(max_surge, max_unavailable, self.spec.replicas),
            ),
            DeploymentStrategy::Recreate => (0, 0),
        }
    }

    /// One sync over the pods of every ReplicaSet of this Deployment, at `now`.
    pub fn sync(
        &mut self,
        pods: &[PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let index = PodIndex::of(pods);
        self.sync_in(Pods::new(pods, &index), now, draw)
    }

    /// [`Deployment::sync`] with the pods' index (see [`ReplicaSet::sync_in`]).
    pub fn sync_in(
        &mut self,
        pods: Pods<'_>,
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let mut actions = Vec::new();
        for r in &mut self.revisions {
            r.replica_set.set_min_ready(self.spec.min_ready);
            r.replica_set.refresh_in(pods, now);
        }
        self.sync_revision();
        let was_complete = self.complete(&self.status);
        // syncDeployment: a change of replicas is handled alone, by `sync`.
        let scaling = self.is_scaling_event();
        if scaling {
            self.scale_to_replicas(&mut actions);
        } else {
            match self.spec.strategy {
                DeploymentStrategy::RollingUpdate { .. } => self.rolling(now, &mut actions),
                DeploymentStrategy::Recreate => self.recreate(pods.views(), now, &mut actions),
            }
            if was_complete {
                self.clean_up(&mut actions);
            }
        }
        for r in &mut self.revisions {
            actions.extend(r.replica_set.sync_in(pods, now, &mut *draw));
        }
        if scaling {
            self.sync_status(&mut actions);
        } else {
            self.roll_out_status(now, &mut actions);
        }
        self.wakeup = self.stuck_check();
        actions
    }

    /// `getNewReplicaSet`'s revision sync: a template that returns to an old ReplicaSet (a
    /// rollback) makes that ReplicaSet the newest revision.
    fn sync_revision(&mut self) {
        let Some(index) = self.new_index() else {
            return;
        };
        let max_old = self
            .revisions
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, r)| r.revision)
            .max()
            .unwrap_or(0);
        let revision = &mut self.revisions[index].revision;
        if *revision < max_old + 1 {
            *revision = max_old + 1;
        }
    }

    /// The `deployment.kubernetes.io/revision` of each ReplicaSet, oldest ReplicaSet first.
    pub fn revisions(&self) -> impl Iterator<Item = (&str, u64)> {
        self.revisions
            .iter()
            .map(|r| (r.replica_set.name(), r.revision))
    }

    /// `scaleReplicaSetAndRecordEvent`: sets ReplicaSet `index` to `to` with its
    /// `ScalingReplicaSet` event; nothing when it is that size already.
    fn scale(&mut self, index: usize, to: u32, actions: &mut Vec<ControllerAction>) -> bool {
        if self.revisions[index].replica_set.replicas() == to {
            return false;
        }
        self.scale_as(index, to, None, actions)
    }

    /// `scaleReplicaSet`: sets the size and the replicas annotations; the event (worded with
    /// `direction`, or by the sizes) only when the size changed.
    fn scale_as(
        &mut self,
        index: usize,
        to: u32,
        direction: Option<&str>,
        actions: &mut Vec<ControllerAction>,
    ) -> bool {
        let (surge, _) = self.surge_and_unavailable();
        let replicas = self.spec.replicas;
        let revision = &mut self.revisions[index];
        revision.desired = Some(replicas);
        revision.max = Some(replicas + surge);
        let rs = &mut revision.replica_set;
        let from = rs.replicas();
        if from == to {
            return false;
        }
        rs.set_replicas(to);
        actions.push(ControllerAction::ScaleReplicaSet {
            replica_set: rs.object().clone(),
            from,
            to,
        });
        let message = match direction {
            Some(direction) => rules::scaling_message_as(direction, rs.name(), to, from),
            None => rules::scaling_message(rs.name(), to, from),
        };
        actions.push(ControllerAction::Event(ControllerEvent::normal(
            &self.object,
            rules::SCALING_REPLICA_SET,
            message,
        )));
        true
    }

    /// `getNewReplicaSet` with `createIfNotExisted`: the new ReplicaSet's index, created at
    /// `size` when missing.
    fn create_new(
        &mut self,
        size: u32,
        now: SimTime,
        actions: &mut Vec<ControllerAction>,
    ) -> usize {
        if let Some(index) = self.new_index() {
            return index;
        }
        let max_revision = self.revisions.iter().map(|r| r.revision).max().unwrap_or(0);
        let name = loop {
            let name = format!(
                "{}-{}",
                self.object.name,
                self.spec.template.hash(self.collision_count)
            );
            if !self.revisions.iter().any(|r| r.replica_set.name() == name) {
                break name;
            }
            self.collision_count = Some(self.collision_count.map_or(1, |c| c + 1));
        };
        let replica_set = ReplicaSet::new(
            name.clone(),
            self.spec.template.clone(),
            size,
            self.spec.min_ready,
        );
        actions.push(ControllerAction::CreateReplicaSet {
            replica_set: replica_set.object().clone(),
            revision: max_revision + 1,
        });
        if size > 0 {
            actions.push(ControllerAction::Event(ControllerEvent::normal(
                &self.object,
                rules::SCALING_REPLICA_SET,
                rules::created_message(&name, size),
            )));
        }
        if self.spec.progress_deadline.is_some() {
            self.set_progressing(
                ConditionStatus::True,
                rules::NEW_REPLICA_SET_CREATED,
                &name,
                now,
                actions,
            );
        }
        let (surge, _) = self.surge_and_unavailable();
        self.revisions.push(Revision {
            replica_set,
            revision: max_revision + 1,
            desired: Some(self.spec.replicas),
            max: Some(self.spec.replicas + surge),
        });
        self.revisions.len() - 1
    }

    /// `rolloutRolling`: grow the new ReplicaSet, else shrink the old ones.
    fn rolling(&mut self, now: SimTime, actions: &mut Vec<ControllerAction>) {
        let (surge, max_unavailable) = self.surge_and_unavailable();
        let replicas = self.spec.replicas;
        let all: u32 = self
            .revisions
            .iter()
            .map(|r| r.replica_set.replicas())
            .sum();
        let new = match self.new_index() {
            Some(index) => index,
            None => {
                let size = rules::new_replica_set_size(replicas, surge, all, 0);
                self.create_new(size, now, actions)
            }
        };
        // reconcileNewReplicaSet.
        let new_replicas = self.revisions[new].replica_set.replicas();
        let scaled_up = if new_replicas > replicas {
            self.scale(new, replicas, actions)
        } else {
            let all: u32 = self
                .revisions
                .iter()
                .map(|r| r.replica_set.replicas())
                .sum();
            let size = rules::new_replica_set_size(replicas, surge, all, new_replicas);
            self.scale(new, size, actions)
        };
        if scaled_up {
            return;
        }
        // reconcileOldReplicaSets.
        let old: Vec<usize> = (0..self.revisions.len()).filter(|&i| i != new).collect();
        if old
            .iter()
            .all(|&i| self.revisions[i].replica_set.replicas() == 0)
        {
            return;
        }
        let all: u32 = self
            .revisions
            .iter()
            .map(|r| r.replica_set.replicas())
            .sum();
        let new_rs = &self.revisions[new].replica_set;
        let budget = rules::old_scale_down_budget(
            all,
            replicas,
            max_unavailable,
            new_rs.replicas(),
            new_rs.status().available,
        );
        if budget == 0 {
            return;
        }
        // cleanupUnhealthyReplicas: old pods that are not available, oldest ReplicaSet first.
        let mut cleaned = 0;
        for &i in &old {
            if cleaned >= budget {
                break;
            }
            let rs = &self.revisions[i].replica_set;
            let (spec, available) = (rs.replicas(), rs.status().available);
            if spec == 0 || spec <= available {
                continue;
            }
            let down = (budget - cleaned).min(spec - available);
            self.scale(i, spec - down, actions);
            cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate: available old pods, keeping the minimum.
        let available: u32 = self
            .revisions
            .iter()
            .map(|r| r.replica_set.status().available)
            .sum();
        let total = rules::available_scale_down(available, replicas, max_unavailable);
        let mut scaled = 0;
        for &i in &old {
            if scaled >= total {
                break;
            }
            let spec = self.revisions[i].replica_set.replicas();
            if spec == 0 {
                continue;
            }
            let down = spec.min(total - scaled);
            self.scale(i, spec - down, actions);
            scaled += down;
        }
    }

    /// `rolloutRecreate`.
    fn recreate(&mut self, pods: &[PodView], now: SimTime, actions: &mut Vec<ControllerAction>) {
        let new = self.new_index();
        let mut scaled_down = false;
        for i in 0..self.revisions.len() {
            if Some(i) != new && self.revisions[i].replica_set.replicas() > 0 {
                scaled_down |= self.scale(i, 0, actions);
            }
        }
        if scaled_down {
            return;
        }
        // oldPodsRunning: any pod of an old ReplicaSet not yet terminal, terminating ones too.
        let old_names: Vec<&str> = (0..self.revisions.len())
            .filter(|&i| Some(i) != new)
            .map(|i| self.revisions[i].replica_set.name())
            .collect();
        if pods
            .iter()
            .any(|p| old_names.contains(&p.owner.as_str()) && !p.phase.is_terminal())
        {
            return;
        }
        let index = self.create_new(self.spec.replicas, now, actions);
        self.scale(index, self.spec.replicas, actions);
    }

    /// `cleanupDeployment`: old ReplicaSets past `revisionHistoryLimit`, lowest revision first,
    /// skipping any that still has pods.
    fn clean_up(&mut self, actions: &mut Vec<ControllerAction>) {
        let new = self.new_index();
        let mut old: Vec<(u64, String)> = self
            .revisions
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != new)
            .map(|(_, r)| (r.revision, r.replica_set.name().to_owned()))
            .collect();
        let limit = self.spec.revision_history_limit as usize;
        if old.len() <= limit {
            return;
        }
        old.sort();
        let excess = old.len() - limit;
        for (_, name) in old.into_iter().take(excess) {
            let Some(index) = self
                .revisions
                .iter()
                .position(|r| r.replica_set.name() == name)
            else {
                continue;
            };
            let rs = &self.revisions[index].replica_set;
            if rs.replicas() != 0 || rs.status().replicas != 0 {
                continue;
            }
            actions.push(ControllerAction::DeleteReplicaSet {
                replica_set: rs.object().clone(),
            });
            self.revisions.remove(index);
        }
    }

    /// `calculateStatus` from the ReplicaSets' statuses.
    fn calculate_status(&self) -> DeploymentStatus {
        let mut status = DeploymentStatus::default();
        let mut spec_total = 0;
        for r in &self.revisions {
            let s = r.replica_set.status();
            status.replicas += s.replicas;
            status.ready += s.ready;
            status.available += s.available;
            spec_total += r.replica_set.replicas();
        }
        status.updated = self.new_replica_set().map_or(0, |rs| rs.status().replicas);
        status.unavailable = spec_total.saturating_sub(status.available);
        status
    }

    /// `DeploymentComplete`.
    fn complete(&self, status: &DeploymentStatus) -> bool {
        let replicas = self.spec.replicas;
        status.updated == replicas && status.replicas == replicas && status.available == replicas
    }

    fn set_progressing(
        &mut self,
        status: ConditionStatus,
        reason: &'static str,
        replica_set: &str,
        now: SimTime,
        actions: &mut Vec<ControllerAction>,
    ) {
        let condition = Condition {
            condition_type: rules::PROGRESSING,
            status,
            reason,
            message: rules::progressing_message(reason, replica_set),
        };
        if self
            .progressing
            .as_ref()
            .is_none_or(|p| p.condition != condition)
        {
            actions.push(ControllerAction::SetCondition {
                object: self.object.clone(),
                condition: condition.clone(),
            });
        }
        self.progressing = Some(Progress {
            condition,
            last_update: now,
        });
    }

    /// `syncDeploymentStatus`: the new status and `Available`; the status it replaced.
    fn sync_status(&mut self, actions: &mut Vec<ControllerAction>) -> DeploymentStatus {
        let old = self.status;
        let new = self.calculate_status();
        let (_, max_unavailable) = self.surge_and_unavailable();
        let minimum = new.available >= self.spec.replicas.saturating_sub(max_unavailable);
        let (status, reason, message) = if minimum {
            (
                ConditionStatus::True,
                rules::MINIMUM_REPLICAS_AVAILABLE,
                rules::MINIMUM_AVAILABILITY_MESSAGES[0],
            )
        } else {
            (
                ConditionStatus::False,
                rules::MINIMUM_REPLICAS_UNAVAILABLE,
                rules::MINIMUM_AVAILABILITY_MESSAGES[1],
            )
        };
        let available = Condition {
            condition_type: rules::AVAILABLE,
            status,
            reason,
            message: message.to_owned(),
        };
        if self.available.as_ref() != Some(&available) {
            actions.push(ControllerAction::SetCondition {
                object: self.object.clone(),
                condition: available.clone(),
            });
            self.available = Some(available);
        }
        self.status = new;
        old
    }

    /// `syncRolloutStatus`: the new status, `Available`, and `Progressing`.
    fn roll_out_status(&mut self, now: SimTime, actions: &mut Vec<ControllerAction>) {
        let old = self.sync_status(actions);
        let new = self.status;
        let Some(deadline) = self.spec.progress_deadline else {
            self.progressing = None;
            return;
        };
        let reason = self.progressing.as_ref().map(|p| p.condition.reason);
        if new.replicas == new.updated && reason == Some(rules::NEW_REPLICA_SET_AVAILABLE) {
            return;
        }
        let name = self
            .new_replica_set()
            .map(|rs| rs.name().to_owned())
            .unwrap_or_default();
        let old_old = old.replicas.saturating_sub(old.updated);
        let new_old = new.replicas.saturating_sub(new.updated);
        let moved = new.updated > old.updated
            || new_old < old_old
            || new.ready > old.ready
            || new.available > old.available;
        if self.complete(&new) {
            self.set_progressing(
                ConditionStatus::True,
                rules::NEW_REPLICA_SET_AVAILABLE,
                &name,
                now,
                actions,
            );
        } else if moved {
            self.set_progressing(
                ConditionStatus::True,
                rules::REPLICA_SET_UPDATED,
                &name,
                now,
                actions,
            );
        } else if self.timed_out(deadline, now) {
            self.set_progressing(
                ConditionStatus::False,
                rules::PROGRESS_DEADLINE_EXCEEDED,
                &name,
                now,
                actions,
            );
        }
    }

    /// `DeploymentTimedOut`.
    fn timed_out(&self, deadline: Duration, now: SimTime) -> bool {
        match &self.progressing {
            None => false,
            Some(p) if p.condition.reason == rules::NEW_REPLICA_SET_AVAILABLE => false,
            Some(p) if p.condition.reason == rules::PROGRESS_DEADLINE_EXCEEDED => true,
            Some(p) => p.last_update + deadline < now,
        }
    }

    /// `requeueStuckDeployment`: one second after the deadline of a rollout still under way.
    fn stuck_check(&self) -> Option<SimTime> {
        let deadline = self.spec.progress_deadline?;
        let progress = self.progressing.as_ref()?;
        if self.complete(&self.status)
            || progress.condition.reason == rules::PROGRESS_DEADLINE_EXCEEDED
        {
            return None;
        }
        if progress.condition.reason == rules::NEW_REPLICA_SET_AVAILABLE {
            return None;
        }
        Some(progress.last_update + deadline + rules::STUCK_REQUEUE_SLACK)
    }
}

mod scaling;
#[cfg(test)]
mod tests;
