//! The Job controller as a pure reconciler (`pkg/controller/job/job_controller.go`,
//! `syncJob` and `manageJob`, non-indexed completion mode; docs/semantics.md §10.5):
//!
//! - each finished pod is counted once: `succeeded`, or `failed` and one more consecutive
//!   failure for the back-off (a success resets it);
//! - `failed > backoffLimit` fails the Job (`BackoffLimitExceeded`), and so does outliving
//!   `activeDeadlineSeconds` from its first sync (`DeadlineExceeded`, checked at that
//!   instant); either deletes the active pods and records a Warning event with the
//!   condition's reason and message. A pod that cannot pull its image stays Pending and is
//!   never counted, so only the deadline ends such a Job;
//! - otherwise it keeps `want_active` pods running: extra ones are deleted (victim order),
//!   missing ones are created in slow-start batches (at most 500 a sync) once the failure
//!   back-off since the last failure has passed (10 s doubling, capped);
//! - enough successes complete it (`SuccessCriteriaMet`, `Complete`; event `Completed`).
//!
//! Upstream gathers pod changes for `syncJobBatchPeriod` (1 s) before a sync; the caller
//! does that by syncing one batch period after a change.

use std::collections::BTreeSet;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::controllers::job as rules;

use super::pod_control::{self, Draw};
use super::pod_view::earliest;
use super::replica_set::owned_active;
use super::{
    Condition, ConditionStatus, ControllerAction, ControllerEvent, Expectations, JobSpec,
    ObjectRef, PodPhase, PodView, WorkloadKind, victims,
};

/// `status` of a Job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobStatus {
    /// `active`.
    pub active: u32,
    /// `succeeded`.
    pub succeeded: u32,
    /// `failed`.
    pub failed: u32,
}

/// How a Job ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// `Complete`.
    Complete,
    /// `Failed` with this reason (`BackoffLimitExceeded`, `DeadlineExceeded`).
    Failed(&'static str),
}

/// What `manageJob` did.
#[derive(Debug)]
struct Managed {
    /// Active pods after it.
    active: u32,
    /// Its creations or deletions.
    actions: Vec<ControllerAction>,
    /// When the failure back-off ends, if it held creations back.
    backoff_until: Option<SimTime>,
}

/// One Job's controller state.
#[derive(Debug, Clone)]
pub struct Job {
    object: ObjectRef,
    spec: JobSpec,
    start: Option<SimTime>,
    counted: BTreeSet<String>,
    status: JobStatus,
    failures_since_success: u32,
    last_failure: Option<SimTime>,
    outcome: Option<JobOutcome>,
    expectations: Expectations,
    wakeup: Option<SimTime>,
}

impl Job {
    /// The Job `name` (in its template's namespace) with `spec`.
    pub fn new(name: impl Into<String>, spec: JobSpec) -> Self {
        let object = ObjectRef::new(WorkloadKind::Job, spec.template.pod.namespace.clone(), name);
        Job {
            object,
            spec,
            start: None,
            counted: BTreeSet::new(),
            status: JobStatus::default(),
            failures_since_success: 0,
            last_failure: None,
            outcome: None,
            expectations: Expectations::default(),
            wakeup: None,
        }
    }

    /// The Job as events name it.
    pub fn object(&self) -> &ObjectRef {
        &self.object
    }

    /// The status of the last sync.
    pub fn status(&self) -> JobStatus {
        self.status
    }

    /// How it ended, once it has.
    pub fn outcome(&self) -> Option<JobOutcome> {
        self.outcome
    }

    /// `status.startTime`: its first sync.
    pub fn start_time(&self) -> Option<SimTime> {
        self.start
    }

    /// When it wants to sync again with nothing changed: the end of the failure back-off, the
    /// active deadline, or outstanding expectations timing out.
    pub fn next_wakeup(&self) -> Option<SimTime> {
        if self.outcome.is_some() {
            return None;
        }
        earliest(self.wakeup, self.expectations.timeout_at())
    }

    /// A creation of the last sync did not happen (see
    /// [`ReplicaSet::creation_refused`](super::ReplicaSet::creation_refused)).
    pub fn creation_refused(&mut self, name: &str, error: Option<&str>) -> Vec<ControllerAction> {
        pod_control::refused(&mut self.expectations, &self.object, name, error)
    }

    /// One sync over the Job's pods at `now`.
    pub fn sync(
        &mut self,
        pods: &[PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Vec<ControllerAction> {
        let mut actions = Vec::new();
        if self.outcome.is_some() {
            self.wakeup = None;
            return actions;
        }
        let start = *self.start.get_or_insert(now);
        self.count_finished(pods, now);
        let owner = self.object.name.clone();
        let active: Vec<&PodView> = owned_active(pods, &owner).collect();
        let failure = if self.status.failed > self.spec.backoff_limit {
            Some((
                rules::BACKOFF_LIMIT_EXCEEDED,
                rules::BACKOFF_LIMIT_EXCEEDED_MESSAGE,
            ))
        } else if self
            .spec
            .active_deadline
            .is_some_and(|deadline| now.saturating_since(start) >= deadline)
        {
            Some((rules::DEADLINE_EXCEEDED, rules::DEADLINE_EXCEEDED_MESSAGE))
        } else {
            None
        };
        if let Some((reason, message)) = failure {
            for pod in &active {
                actions.push(ControllerAction::DeletePod(pod_control::deletion(
                    &self.object,
                    &pod.name,
                )));
            }
            for condition_type in rules::FAILURE_CONDITIONS {
                self.set_condition(condition_type, reason, message, &mut actions);
            }
            actions.push(ControllerAction::Event(ControllerEvent::warning(
                &self.object,
                reason,
                message.to_owned(),
            )));
            self.outcome = Some(JobOutcome::Failed(reason));
            self.status.active = 0;
            self.wakeup = None;
            return actions;
        }
        let mut active_count = u32::try_from(active.len()).unwrap_or(u32::MAX);
        let mut wakeup = self.spec.active_deadline.map(|deadline| start + deadline);
        if self.expectations.satisfied(pods, now) {
            let managed = self.manage(pods, &active, now, draw);
            active_count = managed.active;
            actions.extend(managed.actions);
            wakeup = earliest(wakeup, managed.backoff_until);
        }
        self.status.active = active_count;
        let complete = match self.spec.completions {
            Some(completions) => self.status.succeeded >= completions,
            None => self.status.succeeded > 0 && active.is_empty(),
        };
        if complete {
            for condition_type in rules::SUCCESS_CONDITIONS {
                self.set_condition(
                    condition_type,
                    rules::COMPLETIONS_REACHED,
                    rules::COMPLETIONS_REACHED_MESSAGE,
                    &mut actions,
                );
            }
            let (reason, message) = rules::COMPLETED_EVENT;
            actions.push(ControllerAction::Event(ControllerEvent::normal(
                &self.object,
                reason,
                message.to_owned(),
            )));
            self.outcome = Some(JobOutcome::Complete);
            self.wakeup = None;
            return actions;
        }
        self.wakeup = wakeup;
        actions
    }

    /// Counts every finished pod not counted yet.
    fn count_finished(&mut self, pods: &[PodView], now: SimTime) {
        for pod in pods.iter().filter(|p| p.owner == self.object.name) {
            if !pod.phase.is_terminal() || self.counted.contains(&pod.name) {
                continue;
            }
            self.counted.insert(pod.name.clone());
            if pod.phase == PodPhase::Succeeded {
                self.status.succeeded += 1;
                self.failures_since_success = 0;
            } else {
                self.status.failed += 1;
                self.failures_since_success += 1;
                self.last_failure = Some(now);
            }
        }
    }

    /// `manageJob`.
    fn manage(
        &mut self,
        pods: &[PodView],
        active: &[&PodView],
        now: SimTime,
        draw: Draw<'_>,
    ) -> Managed {
        let have = u32::try_from(active.len()).unwrap_or(u32::MAX);
        let want = rules::want_active(
            self.spec.parallelism,
            self.spec.completions,
            self.status.succeeded,
            have,
        );
        let mut actions = Vec::new();
        if have > want {
            let count = (have - want).min(rules::MAX_POD_CREATE_DELETE_PER_SYNC) as usize;
            let victims: Vec<&PodView> = victims::deletion_order(active, pods, now)
                .into_iter()
                .take(count)
                .collect();
            self.expectations
                .expect([], victims.iter().map(|p| p.name.clone()), now);
            actions.extend(victims.iter().map(|p| {
                ControllerAction::DeletePod(pod_control::deletion(&self.object, &p.name))
            }));
            return Managed {
                active: want,
                actions,
                backoff_until: None,
            };
        }
        if have == want {
            return Managed {
                active: have,
                actions,
                backoff_until: None,
            };
        }
        let since = self
            .last_failure
            .map_or(Duration::MAX, |at| now.saturating_since(at));
        let remaining = rules::remaining_backoff(
            self.failures_since_success,
            since,
            self.spec.max_pod_failure_backoff,
        );
        if !remaining.is_zero() {
            return Managed {
                active: have,
                actions,
                backoff_until: Some(now + remaining),
            };
        }
        let count = (want - have).min(rules::MAX_POD_CREATE_DELETE_PER_SYNC);
        let mut taken: BTreeSet<String> = pods.iter().map(|p| p.name.clone()).collect();
        let name = self.object.name.clone();
        let made = pod_control::creations(&self.object, &self.spec.template, &name, count, || {
            (
                pod_control::generated_pod_name(&name, &mut taken, &mut *draw),
                None,
            )
        });
        self.expectations
            .expect(made.iter().map(|c| c.name.clone()), [], now);
        actions.extend(made.into_iter().map(ControllerAction::CreatePod));
        Managed {
            active: want,
            actions,
            backoff_until: None,
        }
    }

    fn set_condition(
        &self,
        condition_type: &'static str,
        reason: &'static str,
        message: &str,
        actions: &mut Vec<ControllerAction>,
    ) {
        actions.push(ControllerAction::SetCondition {
            object: self.object.clone(),
            condition: Condition {
                condition_type,
                status: ConditionStatus::True,
                reason,
                message: message.to_owned(),
            },
        });
    }
}

#[cfg(test)]
mod tests;
