//! A Job's arithmetic (docs/semantics.md §10.5), from `batch/v1` `types.go` (defaults) and
//! `pkg/controller/job/job_controller.go` and `backoff_utils.go`: how many pods it wants
//! running, and how long it waits before it replaces a failed pod (10 s, doubling per
//! consecutive failure, capped). A pod that never starts because its image cannot be
//! pulled stays Pending, never Failed, so it counts against neither.

use std::time::Duration;

/// `spec.parallelism` when unset.
pub const DEFAULT_PARALLELISM: u32 = 1;
/// `spec.backoffLimit` when unset (and no `backoffLimitPerIndex`).
pub const DEFAULT_BACKOFF_LIMIT: u32 = 6;
/// The first replacement delay after a failed pod (`DefaultJobPodFailureBackOff`).
pub const POD_FAILURE_BACKOFF: Duration = Duration::from_secs(10);
/// The cap of that delay in current releases (`MaxJobPodFailureBackOff`).
pub const MAX_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(10 * 60);
/// The cap in older releases and in the documentation ("capped at six minutes",
/// `MaxJobBackOff`).
pub const LEGACY_MAX_POD_FAILURE_BACKOFF: Duration = Duration::from_secs(6 * 60);
/// How long the controller gathers pod changes before a sync (`syncJobBatchPeriod`).
pub const SYNC_BATCH_PERIOD: Duration = Duration::from_secs(1);
/// The most pods one sync creates or deletes (`MaxPodCreateDeletePerSync`).
pub const MAX_POD_CREATE_DELETE_PER_SYNC: u32 = 500;
/// The condition reason when the Job outlived `activeDeadlineSeconds`.
pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
/// The condition reason when failures passed `backoffLimit`.
pub const BACKOFF_LIMIT_EXCEEDED: &str = "BackoffLimitExceeded";
/// The message of a `DeadlineExceeded` condition and event.
pub const DEADLINE_EXCEEDED_MESSAGE: &str = "Job was active longer than specified deadline";
/// The message of a `BackoffLimitExceeded` condition and event.
pub const BACKOFF_LIMIT_EXCEEDED_MESSAGE: &str = "Job has reached the specified backoff limit";
/// The condition reason when enough pods succeeded (releases since the `SuccessCriteriaMet`
/// condition, 1.31).
pub const COMPLETIONS_REACHED: &str = "CompletionsReached";
/// The message of the `SuccessCriteriaMet` and `Complete` conditions.
pub const COMPLETIONS_REACHED_MESSAGE: &str = "Reached expected number of succeeded pods";
/// The event reason and message when the Job completes.
pub const COMPLETED_EVENT: (&str, &str) = ("Completed", "Job completed");
/// The conditions a finishing Job gets, interim then final: `SuccessCriteriaMet` then
/// `Complete`; `FailureTarget` then `Failed` (the interim one is set first and the final one
/// once the Job's pods have terminated).
pub const SUCCESS_CONDITIONS: [&str; 2] = ["SuccessCriteriaMet", "Complete"];
/// See [`SUCCESS_CONDITIONS`].
pub const FAILURE_CONDITIONS: [&str; 2] = ["FailureTarget", "Failed"];

/// `manageJob`'s `wantActive`: with `completions`, what remains of them, at most
/// `parallelism`; without, `parallelism` until a pod succeeded and then what runs.
pub fn want_active(parallelism: u32, completions: Option<u32>, succeeded: u32, active: u32) -> u32 {
    match completions {
        None if succeeded > 0 => active,
        None => parallelism,
        Some(completions) => completions.saturating_sub(succeeded).min(parallelism),
    }
}

/// The delay before the replacement of the `failures`-th consecutive failed pod
/// (`getRemainingTimeForFailuresCount` before subtracting the time already passed):
/// 0 for none, then `POD_FAILURE_BACKOFF`, doubling, never more than `max`.
pub fn pod_failure_backoff(failures: u32, max: Duration) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    let mut delay = POD_FAILURE_BACKOFF;
    for _ in 1..failures {
        delay = delay.saturating_mul(2);
        if delay >= max {
            return max;
        }
    }
    delay
}

/// What is left of that delay `since_last_failure` after the last failure.
pub fn remaining_backoff(failures: u32, since_last_failure: Duration, max: Duration) -> Duration {
    pod_failure_backoff(failures, max).saturating_sub(since_last_failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_replacement_delay_doubles_to_its_cap() {
        let secs = |n: u32| pod_failure_backoff(n, MAX_POD_FAILURE_BACKOFF).as_secs();
        assert_eq!(
            (0..=8).map(secs).collect::<Vec<_>>(),
            [0, 10, 20, 40, 80, 160, 320, 600, 600]
        );
        assert_eq!(
            pod_failure_backoff(7, LEGACY_MAX_POD_FAILURE_BACKOFF).as_secs(),
            360
        );
        assert_eq!(
            pod_failure_backoff(u32::MAX, MAX_POD_FAILURE_BACKOFF),
            MAX_POD_FAILURE_BACKOFF
        );
        assert_eq!(
            remaining_backoff(3, Duration::from_secs(15), MAX_POD_FAILURE_BACKOFF),
            Duration::from_secs(25)
        );
        assert_eq!(
            remaining_backoff(1, Duration::from_secs(15), MAX_POD_FAILURE_BACKOFF),
            Duration::ZERO
        );
    }

    #[test]
    fn active_pods_follow_completions_and_parallelism() {
        assert_eq!(want_active(3, Some(10), 0, 0), 3);
        assert_eq!(want_active(3, Some(10), 8, 2), 2);
        assert_eq!(want_active(3, Some(10), 12, 0), 0);
        assert_eq!(want_active(DEFAULT_PARALLELISM, None, 0, 0), 1);
        // A work queue Job: after one success, no new pods; the running ones go on.
        assert_eq!(want_active(4, None, 1, 3), 3);
    }
}
