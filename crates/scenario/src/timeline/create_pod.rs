//! `createPod`: a Pod manifest created at the action's time, the same as a workload with
//! `at` (it may have `replicas`, not `at`). It is read with the workloads, once every
//! Secret, ServiceAccount and node is known, and becomes one of the scenario's workloads.

use super::{Kind, Reader};

/// The `createPod` action.
pub(super) const KIND: Kind = Kind {
    key: "createPod",
    docs: "| `createPod` | a Pod manifest (with `replicas`, without `at`) | the same as a workload created at `at` |",
    reader: Reader::Pod,
};
