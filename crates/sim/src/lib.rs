//! `pullsim-sim`: a deterministic discrete-event simulator of Kubernetes nodes pulling
//! images, exactly as the kubelet and containerd do, from registries driven in-process.
//!
//! Architecture Invariant: no I/O, no clock, no environment, no threads, no async, no
//! OS randomness, and no hash-ordered maps. Time is a virtual [`SimTime`](pullsim_model::SimTime);
//! every random choice comes from one seeded ChaCha8 stream ([`engine::SimRng`]); events
//! are ordered by `(time, sequence)`. The same world and seed give the same trace.
//!
//! Architecture Invariant: every kubelet and containerd rule comes from `pullsim-model`
//! (decision, back-off, keyring, verification, admission, platforms); every registry
//! answer comes from `pullsim_registry::Registry::handle` with a real request.
//!
//! Module map (one folder per part of the cluster):
//! - [`sim`]: [`Sim`], the world (hosts, nodes, interned digests, parsed manifests) and
//!   the builder API.
//! - [`engine`]: the event queue, the seeded RNG, the limits, the slab of work in flight,
//!   and the event loop (`step`, `run_until`, the dispatch of each event).
//! - `apiserver`: the API server: `pods` (the pod table), `names` (derived names, UIDs,
//!   live pods by name), `namespaced` (Secrets, ServiceAccounts), `admission`
//!   (defaulting, admission plugins, digest pinning), `scheduling`, `workloads`,
//!   `controllers` (the workload objects' controllers).
//! - `kubelet`: `node` (one node's kubelet state), `pull_queue` (the puller's admission:
//!   serial channel of 10 or parallel bound), `pod_workers` (docs/semantics.md §3.5
//!   cadence, status), `image_manager`
//!   (`EnsureImageExists`), `puller` (serial and parallel pullers, the QPS throttle,
//!   credential attempts).
//! - `cri`: the CRI boundary between a node's kubelet and its containerd: `PullImage` and
//!   `ImageStatus` requests and answers, the image record they carry.
//! - `containerd`: `node` (one node's containerd: content store, fetches in flight, image
//!   store), `runtime` (containerd's pull: resolve, platform choice, image
//!   records), `content` (the content store: fetch once, wait for fetches in flight,
//!   verify digests), `resolver` (requests, retries, auth and error texts), `manifest`
//!   (manifests and indexes as containerd reads them), `platform_choice` (the child an
//!   index resolved to), `holdings` (what each node's image store holds).
//! - `network`: links shared fairly.
//! - [`plugins`]: kubelet credential-provider plugins: what each simulated plugin answers
//!   ([`CredentialPlugin`]), each kubelet's providers with their caches and execs in flight.
//! - [`controllers`]: the workload controllers (ReplicaSet, Deployment, Job, StatefulSet,
//!   DaemonSet) as pure reconcilers, pod views in and actions out (docs/semantics.md §10),
//!   hosted by the API server (`apiserver/controllers/`: one controller per workload
//!   object, fed by the watch, synced from the event loop).
//! - [`config`]: [`SimConfig`], node pools, links, kubelet settings, admission plugins.
//! - [`api`]: Pods, containers, ServiceAccounts, workloads.
//! - [`timeline`]: timeline [`Action`]s and their application.
//! - `memo`: pure answers computed once (image strings, keyrings and their lookups).
//! - `audit`: invariant checks a test can run at any moment.
//! - [`rollouts`]: rollout figures per workload object.
//! - [`trace`]: the typed trace and its stable text form; [`metrics`]: figures folded
//!   from the trace; [`series`]: its per-minute series (requests, pods by state).
//! - [`error`]: the simulation's error type, [`SimError`].

pub mod api;
mod apiserver;
mod audit;
pub mod config;
mod containerd;
pub mod controllers;
mod cri;
pub mod engine;
pub mod error;
mod kubelet;
mod memo;
pub mod metrics;
mod network;
pub mod plugins;
pub mod rollouts;
pub mod running_times;
pub mod series;
pub mod sim;
pub mod sources;
#[cfg(test)]
mod test_world;
pub mod timeline;
pub mod trace;

pub use api::{Container, ContainerRef, Pod, PodSpec, RestartPolicy, ServiceAccount, Workload};
pub use apiserver::admission::ADMISSION_CLIENT;
pub use config::{
    AdmissionConfig, ContainerdSettings, DigestPinning, FailurePolicy, KubeletSettings, Link,
    NodePool, SimConfig, TraceLevel, WorkerJitter,
};
pub use controllers::{ObjectRef, WorkloadKind, WorkloadObject, WorkloadSpec};
pub use engine::{EventQueue, Limits, SimRng};
pub use error::SimError;
pub use metrics::{Metrics, MetricsRecorder};
pub use plugins::{CredentialPlugin, FailureMode, PluginAnswer, PluginFailure, PluginPassword};
pub use rollouts::{RevisionPods, RolloutMetrics};
pub use running_times::{PERCENTILES, RunningTimes, nearest_rank};
pub use series::{POD_STATES, PodStates, WAITING_REASONS};
pub use sim::Sim;
pub use sources::{Source, SourceCount};
pub use timeline::{Action, OutageKind};
pub use trace::{
    AttemptOutcome, ContainerState, DigestId, HostId, NodeId, NodeOrAdmission, ObjectId, PodId,
    RequestKind, TraceEvent, TraceRecord, WaitReason, WorkloadId,
};
