//! The API server's part of the world: the pod table, names and UIDs, the namespaced
//! stores (Secrets, ServiceAccounts), admission, scheduling, workloads, the workload
//! controllers' host (`controllers/`), and the watch (an outbox of pod and node changes
//! that the metrics and controllers drain).

pub(crate) mod admission;
pub(crate) mod controllers;
pub(crate) mod names;
pub(crate) mod namespaced;
pub(crate) mod pods;
mod scheduling;
mod server;
pub(crate) mod watch;
pub(crate) mod workloads;

pub(crate) use server::ApiServer;
