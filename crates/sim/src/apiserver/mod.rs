//! The API server's part of the world: the pod table, names and UIDs, the namespaced
//! stores (Secrets, ServiceAccounts), admission, scheduling, and workloads.

pub(crate) mod admission;
pub(crate) mod names;
pub(crate) mod namespaced;
pub(crate) mod pods;
mod scheduling;
pub(crate) mod workloads;
