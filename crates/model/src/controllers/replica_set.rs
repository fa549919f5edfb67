//! How a ReplicaSet creates pods (docs/semantics.md §10.3), from
//! `pkg/controller/replicaset/replica_set.go` (`BurstReplicas`, `manageReplicas`) and
//! `pkg/controller/controller_utils.go` (`slowStartBatch`, `SlowStartInitialBatchSize`,
//! `ExpectationsTimeout`): at most 500 creations or deletions per sync, made in batches
//! of 1, 2, 4, 8, ... where a batch with a failed creation ends the sync's creations.

use std::time::Duration;

/// The most pods one sync creates or deletes.
pub const BURST_REPLICAS: u32 = 500;
/// The first batch of `slowStartBatch`.
pub const SLOW_START_INITIAL_BATCH_SIZE: u32 = 1;
/// How long a controller waits for the creations it expects to be observed before it
/// syncs anyway.
pub const EXPECTATIONS_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// What `updatePod` of the ReplicaSet and DaemonSet controllers adds to `minReadySeconds`
/// when a pod turns ready ("Add a second to avoid milliseconds skew in AddAfter",
/// `enqueueRSAfter(rs, minReadySeconds + 1 s)`), so the sync sees the pod available.
pub const MIN_READY_REQUEUE_SLACK: Duration = Duration::from_secs(1);
/// The reason of the event for each pod a controller creates (`Created pod: <name>`).
pub const SUCCESSFUL_CREATE: &str = "SuccessfulCreate";
/// The reason of the event for each pod a controller deletes (`Deleted pod: <name>`).
pub const SUCCESSFUL_DELETE: &str = "SuccessfulDelete";
/// The reason of the event for a creation the API server refused.
pub const FAILED_CREATE: &str = "FailedCreate";

/// The pods one sync sets out to create or delete: the difference, at most
/// [`BURST_REPLICAS`].
pub fn per_sync(difference: u32) -> u32 {
    difference.min(BURST_REPLICAS)
}

/// `slowStartBatch`'s batch sizes for `count` creations: `min(count, 1)`, then each batch
/// twice the last, capped by what remains. The batches of one sync, when every creation
/// succeeds.
pub fn slow_start_batches(count: u32) -> Vec<u32> {
    let mut batches = Vec::new();
    let mut remaining = count;
    let mut size = remaining.min(SLOW_START_INITIAL_BATCH_SIZE);
    while size > 0 {
        batches.push(size);
        remaining -= size;
        size = size.saturating_mul(2).min(remaining);
    }
    batches
}

/// The pods a sync creates when the creation numbered `first_failure` (from 0) is refused:
/// every batch before the failing one, and the batch's other members (made in parallel
/// with it) that succeed; the batches after it are skipped.
pub fn created_before_failure(count: u32, first_failure: u32) -> u32 {
    let mut made = 0u32;
    for size in slow_start_batches(count) {
        if first_failure < made + size {
            // The batch runs whole; only its failing member is missing.
            return made + size - 1;
        }
        made += size;
    }
    made
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_double_and_stop_at_the_count() {
        assert_eq!(slow_start_batches(0), Vec::<u32>::new());
        assert_eq!(slow_start_batches(1), [1]);
        assert_eq!(slow_start_batches(10), [1, 2, 4, 3]);
        assert_eq!(slow_start_batches(15), [1, 2, 4, 8]);
        let burst = slow_start_batches(per_sync(2_000));
        assert_eq!(burst.iter().sum::<u32>(), 500);
        assert_eq!(burst, [1, 2, 4, 8, 16, 32, 64, 128, 245]);
    }

    #[test]
    fn a_refused_creation_ends_the_sync_after_its_batch() {
        // The very first creation fails: nothing is made (a quota costs one call per sync).
        assert_eq!(created_before_failure(100, 0), 0);
        // The fourth (batch of 4 starting at index 3) fails: 1 + 2 + 3 are made.
        assert_eq!(created_before_failure(100, 3), 6);
        // A failure past the count changes nothing.
        assert_eq!(created_before_failure(10, 50), 10);
    }
}
