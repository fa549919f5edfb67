//! The workload controllers' arithmetic (docs/semantics.md §10): how many pods a
//! Deployment's rolling update may add and take away at each step, how a ReplicaSet
//! creates pods in slow-start batches, how a DaemonSet resolves its fenceposts, how long a
//! Job waits before it replaces a failed pod, and how controllers name what they create.
//! Pure functions over counts and durations, so the simulator's controllers hold only
//! their state and ask here for every number, as the kubelet's rules are asked of
//! [`pull`](crate::pull).
//!
//! - [`int_or_percent`]: `intstr.IntOrString` as the rollout fields hold it, scaled to a
//!   total with `GetScaledValueFromIntOrPercent`'s rounding.
//! - [`deployment`]: defaults, `ResolveFenceposts`, `NewRSNewReplicas`, the old
//!   ReplicaSets' scale-down budget, and the `ScalingReplicaSet` event.
//! - [`replica_set`]: `BurstReplicas` and `slowStartBatch`.
//! - [`daemon_set`]: the DaemonSet's surge and unavailability (both round up).
//! - [`job`]: the pod failure back-off and the Job's defaults.
//! - [`stateful_set`]: a StatefulSet's pod names, ordinals and event wording.
//! - [`workqueue`]: the work queue's per-object back-off after a failed sync.
//! - [`names`]: `pod-template-hash` (FNV-32a, `SafeEncodeString`) and `generateName`'s
//!   five-character suffix alphabet.

pub mod daemon_set;
pub mod deployment;
pub mod int_or_percent;
pub mod job;
pub mod names;
pub mod replica_set;
pub mod stateful_set;
pub mod workqueue;

pub use int_or_percent::{IntOrPercent, IntOrPercentError};
