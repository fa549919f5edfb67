//! A DaemonSet's rolling-update fenceposts (docs/semantics.md §10.4), from
//! `pkg/controller/daemon/util/daemonset_util.go` (`SurgeCount`, `UnavailableCount`),
//! `update.go` (`updatedDesiredNodeCounts`) and `daemon_controller.go` (`BurstReplicas`).
//! Unlike a Deployment's, both percentages round up, of the number of nodes that should
//! run the daemon.

use std::time::Duration;

use super::IntOrPercent;

/// `rollingUpdate.maxUnavailable` when unset.
pub const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = IntOrPercent::Int(1);
/// `rollingUpdate.maxSurge` when unset.
pub const DEFAULT_MAX_SURGE: IntOrPercent = IntOrPercent::Int(0);
/// The most daemon pods one sync creates or deletes ("values that are too high can cause
/// registry DoS issues").
pub const BURST_REPLICAS: u32 = 250;

/// The first window of the back-off before a failed daemon pod on a node is deleted again
/// (`failedPodsBackoff`, `NewBackOff(1*time.Second, 15*time.Minute)` in the controller
/// manager's `startDaemonSetController`).
pub const FAILED_POD_BACKOFF_INITIAL: Duration = Duration::from_secs(1);
/// The largest window of that back-off.
pub const FAILED_POD_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// The reason of the Warning event when a daemon pod failed (`FailedDaemonPodReason`).
pub const FAILED_DAEMON_POD: &str = "FailedDaemonPod";

/// That event's message (`podsShouldBeOnNode`):
/// `Found failed daemon pod default/agent-x7k2p on node node-3, will try to kill it`.
pub fn failed_pod_message(namespace: &str, pod: &str, node: &str) -> String {
    format!("Found failed daemon pod {namespace}/{pod} on node {node}, will try to kill it")
}

/// The resolved fenceposts of one DaemonSet rollout step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DaemonFenceposts {
    /// Nodes that may run an old and a new pod at once.
    pub surge: u32,
    /// Nodes that may be without an available daemon pod.
    pub unavailable: u32,
}

/// `updatedDesiredNodeCounts`: surge and unavailability scaled to `desired_scheduled`
/// nodes, rounding up; when both are 0 on a DaemonSet that should run somewhere, one node
/// may be unavailable.
pub fn fenceposts(
    max_surge: IntOrPercent,
    max_unavailable: IntOrPercent,
    desired_scheduled: u32,
) -> DaemonFenceposts {
    let count = |value: i64| u32::try_from(value.max(0)).unwrap_or(u32::MAX);
    let surge = count(max_surge.scaled(desired_scheduled, true));
    let mut unavailable = count(max_unavailable.scaled(desired_scheduled, true));
    if desired_scheduled > 0 && surge == 0 && unavailable == 0 {
        unavailable = 1;
    }
    DaemonFenceposts { surge, unavailable }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_up_and_the_default_is_one_node_at_a_time() {
        assert_eq!(
            fenceposts(DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE, 40),
            DaemonFenceposts {
                surge: 0,
                unavailable: 1
            }
        );
        // 10% of 15 nodes rounds up to 2 (a Deployment would round it down to 1).
        assert_eq!(
            fenceposts(IntOrPercent::Int(0), IntOrPercent::Percent(10), 15),
            DaemonFenceposts {
                surge: 0,
                unavailable: 2
            }
        );
        assert_eq!(
            fenceposts(IntOrPercent::Percent(10), IntOrPercent::Int(0), 15),
            DaemonFenceposts {
                surge: 2,
                unavailable: 0
            }
        );
        assert_eq!(
            failed_pod_message("default", "agent-x7k2p", "node-3"),
            "Found failed daemon pod default/agent-x7k2p on node node-3, will try to kill it"
        );
        // Nothing to schedule: nothing may be unavailable.
        assert_eq!(
            fenceposts(IntOrPercent::Int(0), IntOrPercent::Percent(10), 0),
            DaemonFenceposts {
                surge: 0,
                unavailable: 0
            }
        );
    }
}
