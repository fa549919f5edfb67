//! [`ApiServer`]: the API server's state (the pod table and its names, the namespaced
//! Secrets and ServiceAccounts, workloads, pods waiting for a node) and its watch, an
//! outbox of typed [`ApiChange`](crate::apiserver::watch::ApiChange)s.

use pullsim_model::Secret;

use crate::api::ServiceAccount;
use crate::apiserver::names::PodNames;
use crate::apiserver::namespaced::Namespaced;
use crate::apiserver::pods::PodTable;
use crate::apiserver::watch::Outbox;
use crate::apiserver::workloads::WorkloadRecord;
use crate::trace::PodId;

/// The API server's objects. `Sim` holds one and the parts of the cluster read and
/// write it through the `Sim` methods in this folder.
#[derive(Debug, Default)]
pub(crate) struct ApiServer {
    pub(crate) secrets: Namespaced<Secret>,
    pub(crate) service_accounts: Namespaced<ServiceAccount>,
    pub(crate) pods: PodTable,
    /// Namespaces, and live pods by namespace and name.
    pub(crate) pod_names: PodNames,
    /// Reused to print a replica's namespace and name while it is admitted (neither is
    /// stored in its record).
    pub(crate) replica_key: String,
    /// Pods no node could take yet.
    pub(crate) unschedulable: Vec<PodId>,
    pub(crate) workloads: Vec<WorkloadRecord>,
    pub(crate) secret_uids_issued: u64,
    /// Bumped by every Secret change, so memoized keyrings are rebuilt.
    pub(crate) secrets_version: u64,
    /// The workload objects' controllers.
    pub(crate) controllers: crate::apiserver::controllers::ControllerTable,
    /// The watch: changes published and not yet delivered.
    pub(crate) outbox: Outbox,
}
