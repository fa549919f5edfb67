//! A Deployment's rolling-update arithmetic (docs/semantics.md §10.2), from
//! `pkg/controller/deployment/util/deployment_util.go` (`ResolveFenceposts`, `MaxSurge`,
//! `MaxUnavailable`, `NewRSNewReplicas`) and `rolling.go` (`reconcileOldReplicaSets`,
//! `scaleDownOldReplicaSetsForRollingUpdate`), and the defaults of `apps/v1` `types.go`.
//!
//! Each sync of a rolling Deployment first scales the new ReplicaSet up as far as the surge
//! allows; only when that changed nothing does it scale old ReplicaSets down as far as
//! availability allows. The controller changes only ReplicaSets' `spec.replicas`; the
//! ReplicaSet controller creates and deletes the pods.

use std::time::Duration;

use super::IntOrPercent;

/// `spec.replicas` when unset.
pub const DEFAULT_REPLICAS: u32 = 1;
/// `spec.revisionHistoryLimit` when unset.
pub const DEFAULT_REVISION_HISTORY_LIMIT: u32 = 10;
/// `spec.progressDeadlineSeconds` when unset.
pub const DEFAULT_PROGRESS_DEADLINE: Duration = Duration::from_secs(600);
/// `rollingUpdate.maxSurge` when unset.
pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Percent(25);
/// `rollingUpdate.maxUnavailable` when unset.
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Percent(25);
/// The label the controller adds to a ReplicaSet's template and selector.
pub const POD_TEMPLATE_HASH_LABEL: &str = "pod-template-hash";
/// The reason of the events the controller records when it resizes a ReplicaSet.
pub const SCALING_REPLICA_SET: &str = "ScalingReplicaSet";
/// The condition type that tracks a rollout (`DeploymentProgressing`).
pub const PROGRESSING: &str = "Progressing";
/// The condition type that says whether enough pods are available (`DeploymentAvailable`).
pub const AVAILABLE: &str = "Available";
/// `Progressing` when the controller created the new ReplicaSet (`NewRSReason`).
pub const NEW_REPLICA_SET_CREATED: &str = "NewReplicaSetCreated";
/// `Progressing` while the rollout moves (`ReplicaSetUpdatedReason`).
pub const REPLICA_SET_UPDATED: &str = "ReplicaSetUpdated";
/// `Progressing` once the rollout completed (`NewRSAvailableReason`).
pub const NEW_REPLICA_SET_AVAILABLE: &str = "NewReplicaSetAvailable";
/// `Progressing` false once no progress was seen for `progressDeadlineSeconds`
/// (`TimedOutReason`).
pub const PROGRESS_DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";
/// `Available` true (`MinimumReplicasAvailable`).
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
/// `Available` false (`MinimumReplicasUnavailable`).
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
/// The `Available` messages, true and false.
pub const MINIMUM_AVAILABILITY_MESSAGES: [&str; 2] = [
    "Deployment has minimum availability.",
    "Deployment does not have minimum availability.",
];
/// What `requeueStuckDeployment` adds to the time left before the deadline ("to avoid
/// milliseconds skew in AddAfter"), so the check runs just after it.
pub const STUCK_REQUEUE_SLACK: Duration = Duration::from_secs(1);

/// How far a rolling update may go past and below `replicas`, resolved to pod counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fenceposts {
    /// Pods above `replicas` the rollout may run (`maxSurge`, rounded up).
    pub surge: u32,
    /// Pods below `replicas` that may be unavailable (`maxUnavailable`, rounded down).
    pub unavailable: u32,
}

/// `ResolveFenceposts`: surge rounds up, unavailability rounds down, and when both come
/// to zero (which validation forbids writing, but rounding can reach: 25% of 1) the
/// unavailability becomes 1, "on the theory that surge might not work due to quota".
/// Negative values (refused by validation) count as zero.
pub fn resolve_fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    desired: u32,
) -> Fenceposts {
    let count = |value: i64| u32::try_from(value.max(0)).unwrap_or(u32::MAX);
    let surge = count(max_surge.scaled(desired, true));
    let mut unavailable = count(max_unavailable.scaled(desired, false));
    if surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    Fenceposts { surge, unavailable }
}

/// `MaxUnavailable` of a rolling Deployment: the resolved unavailability, never more than
/// `replicas`, and 0 for a Deployment of no replicas.
pub fn max_unavailable(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    replicas: u32,
) -> u32 {
    if replicas == 0 {
        return 0;
    }
    resolve_fenceposts(max_surge, max_unavailable, replicas)
        .unavailable
        .min(replicas)
}

/// `MaxSurge` of a rolling Deployment.
pub fn max_surge(max_surge: IntOrPercent, max_unavailable: IntOrPercent, replicas: u32) -> u32 {
    resolve_fenceposts(max_surge, max_unavailable, replicas).surge
}

/// `NewRSNewReplicas` for a rolling update: the new ReplicaSet's next size. `all_pods` is
/// the sum of every ReplicaSet's `spec.replicas` (the new one included); nothing is added
/// while that is at `replicas + surge` already.
pub fn new_replica_set_size(replicas: u32, surge: u32, all_pods: u32, new_replicas: u32) -> u32 {
    let max_total = replicas.saturating_add(surge);
    if all_pods >= max_total {
        return new_replicas;
    }
    let scale_up = (max_total - all_pods).min(replicas.saturating_sub(new_replicas));
    new_replicas + scale_up
}

/// `reconcileOldReplicaSets`' budget: how many pods the old ReplicaSets may lose this
/// sync, `all_pods - (replicas - max_unavailable) - (new's spec.replicas - new's
/// available)`, or 0. The controller spends it first on old pods that are not available
/// (`cleanupUnhealthyReplicas`), then on available ones
/// ([`available_scale_down`]), oldest ReplicaSet first.
pub fn old_scale_down_budget(
    all_pods: u32,
    replicas: u32,
    max_unavailable: u32,
    new_replicas: u32,
    new_available: u32,
) -> u32 {
    let min_available = i64::from(replicas) - i64::from(max_unavailable);
    let new_unavailable = i64::from(new_replicas) - i64::from(new_available);
    let budget = i64::from(all_pods) - min_available - new_unavailable;
    u32::try_from(budget.max(0)).unwrap_or(u32::MAX)
}

/// `scaleDownOldReplicaSetsForRollingUpdate`: how many available old pods may go, keeping
/// `replicas - max_unavailable` available across all ReplicaSets.
pub fn available_scale_down(available_pods: u32, replicas: u32, max_unavailable: u32) -> u32 {
    let min_available = replicas.saturating_sub(max_unavailable);
    available_pods.saturating_sub(min_available)
}

/// The `ScalingReplicaSet` event's message (`sync.go` `scaleReplicaSet`, releases since
/// the message gained the previous size): `Scaled up replica set web-5d4f8c7b9 to 3 from 1`.
pub fn scaling_message(replica_set: &str, to: u32, from: u32) -> String {
    let direction = if to >= from { "up" } else { "down" };
    scaling_message_as(direction, replica_set, to, from)
}

/// The same message with the direction the caller names: proportional scaling
/// (`sync.go` `scale`) names the whole operation's, `up` or `down`.
pub fn scaling_message_as(direction: &str, replica_set: &str, to: u32, from: u32) -> String {
    format!("Scaled {direction} replica set {replica_set} to {to} from {from}")
}

/// `getReplicaSetFraction`: how many pods a ReplicaSet of `size` gains (or loses) when the
/// Deployment's `replicas + maxSurge` goes from `max_before` (its `max-replicas` annotation,
/// or the Deployment's pod count without one) to `max_now`: `round(size x max_now /
/// max_before) - size`, the whole size lost when `replicas` becomes 0, and nothing when
/// `max_before` is 0.
pub fn replica_set_fraction(size: u32, replicas: u32, max_now: u32, max_before: u32) -> i64 {
    if replicas == 0 {
        return -i64::from(size);
    }
    if max_before == 0 {
        return 0;
    }
    // integer.RoundToInt32 (half away from zero) of a non-negative quotient, exactly.
    let (numerator, denominator) = (u64::from(size) * u64::from(max_now), u64::from(max_before));
    let rounded = (2 * numerator + denominator) / (2 * denominator);
    i64::try_from(rounded).unwrap_or(i64::MAX) - i64::from(size)
}

/// The `ScalingReplicaSet` event when the controller creates a new ReplicaSet of `to` pods
/// (`sync.go` `getNewReplicaSet`, an older word order than [`scaling_message`]'s):
/// `Scaled up replica set web-5d4f8c7b9 from 0 to 3`.
pub fn created_message(replica_set: &str, to: u32) -> String {
    format!("Scaled up replica set {replica_set} from 0 to {to}")
}

/// The `Progressing` messages of `progress.go` `syncRolloutStatus` and `sync.go`, naming the
/// new ReplicaSet, by reason.
pub fn progressing_message(reason: &str, replica_set: &str) -> String {
    match reason {
        NEW_REPLICA_SET_CREATED => format!("Created new replica set \"{replica_set}\""),
        NEW_REPLICA_SET_AVAILABLE => {
            format!("ReplicaSet \"{replica_set}\" has successfully progressed.")
        }
        PROGRESS_DEADLINE_EXCEEDED => {
            format!("ReplicaSet \"{replica_set}\" has timed out progressing.")
        }
        _ => format!("ReplicaSet \"{replica_set}\" is progressing."),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const P: fn(i64) -> IntOrPercent = IntOrPercent::Percent;
    const N: fn(i64) -> IntOrPercent = IntOrPercent::Int;

    #[test]
    fn fenceposts_round_surge_up_and_unavailability_down() {
        let ten = resolve_fenceposts(DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE, 10);
        assert_eq!(
            ten,
            Fenceposts {
                surge: 3,
                unavailable: 2
            }
        );
        // 25% of 1: surge ceil = 1, unavailable floor = 0.
        assert_eq!(
            resolve_fenceposts(P(25), P(25), 1),
            Fenceposts {
                surge: 1,
                unavailable: 0
            }
        );
        // Both zero after rounding: unavailability becomes 1.
        assert_eq!(
            resolve_fenceposts(N(0), P(25), 1),
            Fenceposts {
                surge: 0,
                unavailable: 1
            }
        );
        assert_eq!(
            resolve_fenceposts(N(0), P(1), 2),
            Fenceposts {
                surge: 0,
                unavailable: 1
            }
        );
    }

    #[test]
    fn max_unavailable_is_capped_by_replicas_and_zero_without_replicas() {
        assert_eq!(max_unavailable(N(0), N(5), 3), 3);
        assert_eq!(max_unavailable(N(0), N(5), 0), 0);
        assert_eq!(max_surge(P(25), P(25), 10), 3);
    }

    /// The worked example: 10 replicas, the defaults (surge 3, unavailable 2).
    #[test]
    fn the_first_syncs_of_a_ten_replica_rollout() {
        // Sync 1: the new ReplicaSet goes to 3 (13 pods in all).
        assert_eq!(new_replica_set_size(10, 3, 10, 0), 3);
        // Sync 2: at 13 nothing more is added; the old ones may lose 13 - 8 - 3 = 2.
        assert_eq!(new_replica_set_size(10, 3, 13, 3), 3);
        assert_eq!(old_scale_down_budget(13, 10, 2, 3, 0), 2);
        // Of 10 available old pods, 2 may go while 8 stay available.
        assert_eq!(available_scale_down(10, 10, 2), 2);
        // The new ReplicaSet never grows past replicas.
        assert_eq!(new_replica_set_size(10, 3, 11, 9), 10);
        // A new ReplicaSet whose pods never become available holds the old ones at 8.
        assert_eq!(old_scale_down_budget(11, 10, 2, 3, 0), 0);
    }

    fn int_or_percent() -> impl Strategy<Value = IntOrPercent> {
        prop_oneof![
            (0i64..12).prop_map(IntOrPercent::Int),
            (0i64..=100).prop_map(IntOrPercent::Percent),
        ]
    }

    proptest! {
        /// A rollout from an old ReplicaSet whose pods are all available to a new one, driven
        /// by these rules as the controller composes them (grow the new one; only if that did
        /// nothing, shrink the old one when the budget allows, by what availability allows),
        /// with new pods becoming available at arbitrary moments: no moment has more than
        /// `replicas + surge` pods or fewer than `replicas - maxUnavailable` available, and
        /// the rollout finishes once new pods keep becoming available.
        #[test]
        fn a_rolling_update_keeps_its_bounds_and_finishes(
            replicas in 0u32..80,
            surge_field in int_or_percent(),
            unavailable_field in int_or_percent(),
            readiness in proptest::collection::vec(0u32..5, 1..64),
        ) {
            // Validation refuses both written as zero.
            prop_assume!(!(surge_field.is_zero() && unavailable_field.is_zero()));
            let surge = max_surge(surge_field, unavailable_field, replicas);
            let unavailable = max_unavailable(surge_field, unavailable_field, replicas);
            let (mut old, mut new, mut new_available) = (replicas, 0u32, 0u32);
            let mut finished = false;
            for step in 0..20_000usize {
                let grown = new_replica_set_size(replicas, surge, old + new, new);
                if grown != new {
                    new = grown;
                } else if old_scale_down_budget(old + new, replicas, unavailable, new, new_available) > 0 {
                    // Every old pod is available, so nothing is cleaned up as unhealthy.
                    old -= available_scale_down(old + new_available, replicas, unavailable).min(old);
                }
                prop_assert!(old + new <= replicas + surge, "step {step}: {old} + {new} pods");
                prop_assert!(
                    old + new_available >= replicas - unavailable,
                    "step {step}: {old} + {new_available} available of {replicas} - {unavailable}"
                );
                if old == 0 && new == replicas && new_available == replicas {
                    finished = true;
                    break;
                }
                // Some pending new pods become available; at least one every third step.
                let ready = readiness[step % readiness.len()].max(u32::from(step % 3 == 0));
                new_available = (new_available + ready).min(new);
            }
            prop_assert!(finished, "the rollout of {replicas} with {surge_field}/{unavailable_field} never finished");
        }
    }

    #[test]
    fn creation_and_progress_messages_are_word_for_word() {
        assert_eq!(
            created_message("web-5d4f8c7b9", 3),
            "Scaled up replica set web-5d4f8c7b9 from 0 to 3"
        );
        assert_eq!(
            progressing_message(PROGRESS_DEADLINE_EXCEEDED, "web-5d4f8c7b9"),
            "ReplicaSet \"web-5d4f8c7b9\" has timed out progressing."
        );
        assert_eq!(
            progressing_message(NEW_REPLICA_SET_AVAILABLE, "web-5d4f8c7b9"),
            "ReplicaSet \"web-5d4f8c7b9\" has successfully progressed."
        );
        assert_eq!(
            progressing_message(REPLICA_SET_UPDATED, "web-5d4f8c7b9"),
            "ReplicaSet \"web-5d4f8c7b9\" is progressing."
        );
        assert_eq!(
            progressing_message(NEW_REPLICA_SET_CREATED, "web-5d4f8c7b9"),
            "Created new replica set \"web-5d4f8c7b9\""
        );
    }

    #[test]
    fn proportions_follow_the_old_and_new_maximum() {
        // The documentation's example: 8 old and 5 new pods of a 10 + 3 Deployment scaled
        // to 15 + 3 gain 3 and 2.
        assert_eq!(replica_set_fraction(8, 15, 18, 13), 3);
        assert_eq!(replica_set_fraction(5, 15, 18, 13), 2);
        assert_eq!(replica_set_fraction(5, 0, 0, 13), -5);
        assert_eq!(replica_set_fraction(5, 4, 5, 0), 0);
        // Halves round away from zero: 1 x 3 / 2 = 1.5 -> 2.
        assert_eq!(replica_set_fraction(1, 2, 3, 2), 1);
        assert_eq!(
            scaling_message_as("up", "web-1", 3, 4),
            "Scaled up replica set web-1 to 3 from 4"
        );
    }

    #[test]
    fn the_scaling_event_says_up_or_down_and_from_what() {
        assert_eq!(
            scaling_message("web-5d4f8c7b9", 3, 0),
            "Scaled up replica set web-5d4f8c7b9 to 3 from 0"
        );
        assert_eq!(
            scaling_message("web-6c9d", 8, 10),
            "Scaled down replica set web-6c9d to 8 from 10"
        );
    }
}
