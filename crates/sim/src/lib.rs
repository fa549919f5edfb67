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
//! Module map:
//! - [`sim`]: [`Sim`], the world, the builder API and the event loop.
//! - [`engine`]: the event queue, the seeded RNG, the limits.
//! - [`config`]: [`SimConfig`], node pools, links, kubelet settings, admission plugins.
//! - [`api`]: Pods, containers, ServiceAccounts, workloads; `pods`: the pod table (records,
//!   derived names and UIDs, live pods by name) and the namespaced stores.
//! - [`timeline`]: timeline [`Action`]s.
//! - `admission`: defaulting, admission plugins, digest pinning, scheduling.
//! - `kubelet`: pod workers; `image_manager`: `EnsureImageExists`; `puller`: serial and
//!   parallel pullers,
//!   the QPS throttle, credential attempts.
//! - `runtime`: containerd's pull (resolve, platform choice, image records), with
//!   `platform_choice` recording the child an index resolved to; `content`:
//!   the node's content store (fetch once, wait for fetches in flight, verify digests);
//!   `resolver`: its requests, retries, auth and error texts; `network`: links shared fairly.
//! - `manifest`: manifests and indexes as containerd reads them; `memo`: pure answers
//!   computed once (image strings, keyrings and their lookups).
//! - `audit`: invariant checks a test can run at any moment; `holdings`: what each node's
//!   image store holds.
//! - [`trace`]: the typed trace and its stable text form; [`metrics`]: figures folded
//!   from the trace; [`series`]: its per-minute series (requests, pods by state).
//! - [`error`]: the simulation's error type, [`SimError`].

mod admission;
pub mod api;
mod audit;
pub mod config;
mod content;
pub mod engine;
pub mod error;
mod holdings;
mod image_manager;
mod kubelet;
mod manifest;
mod memo;
pub mod metrics;
mod network;
mod platform_choice;
mod pods;
mod puller;
mod resolver;
mod runtime;
pub mod series;
pub mod sim;
pub mod timeline;
pub mod trace;

pub use admission::ADMISSION_CLIENT;
pub use api::{Container, ContainerRef, Pod, PodSpec, ServiceAccount, Workload};
pub use config::{
    AdmissionConfig, DigestPinning, FailurePolicy, KubeletSettings, Link, NodePool, SimConfig,
    TraceLevel, WorkerJitter,
};
pub use engine::{EventQueue, Limits, SimRng};
pub use error::SimError;
pub use metrics::{Metrics, MetricsRecorder};
pub use series::{POD_STATES, PodStates};
pub use sim::Sim;
pub use timeline::{Action, OutageKind};
pub use trace::{
    AttemptOutcome, ContainerState, DigestId, HostId, NodeId, NodeOrAdmission, PodId, RequestKind,
    TraceEvent, TraceRecord, WaitReason, WorkloadId,
};
