//! `pullsim-scenario`: scenario files, read into a fully validated [`Scenario`] or every
//! mistake, each with its file, line and column and what was expected.
//!
//! A scenario is how users meet pullsim: registries with their images, node pools, pull
//! Secrets, real Pod manifests, a timeline of things that happen, how long to run, and
//! what must be true afterwards. This crate reads and checks the file, and its runner
//! ([`run`]) maps the [`Scenario`] onto the simulator, tells the story as a transcript
//! and judges the expectations. The format's reference is `docs/scenario-format.md`.
//!
//! Architecture Invariant: pure, like the rest of the core: no I/O, no clock, no
//! environment, no threads. Text comes in as `&str` and errors go out as values; no input
//! makes it panic.
//!
//! Architecture Invariant: a rule that pullsim-model or pullsim-registry owns (reference
//! parsing, pull policy defaulting, Secret storage, kubelet config validation, image specs,
//! fault rules) is asked of that crate, never re-implemented here.
//!
//! Module map:
//! - [`scenario`]: [`Scenario`], `Scenario::parse` (and `Scenario::parse_with`, which
//!   reads `manifests:` files through a [`ManifestSource`]), and the small sections
//!   (`kubernetes`, `admission`, `run`).
//! - [`registries`], [`nodes`], [`objects`] (Secrets and ServiceAccounts), [`workloads`]
//!   (Pods and workload objects, one file per kind under `workloads/`), [`manifests`]
//!   (Kubernetes YAML files beside the scenario, through a [`ManifestSource`]),
//!   [`timeline`], [`expect`]: one section each, its types and its reader.
//!   `timeline/` holds one file per kind of action (its key, its docs row, its reader),
//!   `timeline/mod.rs` being their table of contents.
//!
//! One vocabulary: the sections read into the simulator's own configuration types
//! (`NodePool`, `Link`, `KubeletSettings`, `AdmissionConfig`, `ServiceAccount`, `Pod`,
//! `Workload`, `Action`, re-exported here so callers need not name `pullsim_sim`); the
//! scenario adds only thin records that hold them (a workload's creation time, a timeline
//! entry's time) and the positions its error messages and later checks need.
//! - [`run`]: the runner: the scenario as a simulation, its transcript and JSON, and the
//!   expectations judged ([`run::run`], [`run::Outcome`]).
//! - [`diagnostics`]: positions and the error list.
//! - [`caps`]: how long names, label values and image references may be.
//! - [`ceilings`]: how many nodes, pods and containers a scenario may have, checked before
//!   anything is built.
//! - `references`: names one section uses that another must describe.
//! - `tree`: the YAML document as a tree with positions; `bridge`: serde over that tree for
//!   the registry crate's types; `fields`: typed reading of mappings and scalars;
//!   `suggest`: "did you mean".

mod bridge;
pub mod caps;
pub mod ceilings;
mod containerd_hosts;
pub mod diagnostics;
pub mod expect;
mod fields;
mod kubernetes;
pub mod manifests;
pub mod nodes;
pub mod objects;
mod placement;
mod plugins;
mod providers;
mod references;
pub mod registries;
pub mod run;
pub mod scenario;
mod suggest;
pub mod timeline;
mod tree;
pub mod workloads;

pub use diagnostics::{Position, ScenarioError, ScenarioErrors};
pub use expect::{
    Check, CredentialRef, Expectation, ExpectedEvent, Order, RequestFilter, RequestKind, State,
};
pub use fields::Bounds;
pub use kubernetes::Kubernetes;
pub use manifests::{ManifestSource, NoManifests};
/// The simulator's configuration types, which the format reads into directly (one
/// vocabulary): callers of this crate need not name `pullsim_sim`.
pub use pullsim_sim::{
    Action, AdmissionConfig, Container, DigestPinning, FailurePolicy, KubeletSettings, Link,
    NodePool, OutageKind, Pod, PodSpec, ServiceAccount, WorkerJitter, Workload as SimWorkload,
};
pub use registries::RegistryHost;
pub use scenario::{Run, Scenario, Stop};
pub use timeline::{Planned, TimedAction};
pub use workloads::{Pods, Workload};

/// The topics of the scenario library in `scenarios/`, one folder each: pull policies, tag
/// drift, architectures, credentials, pre-pulled images, back-off, pull mechanics and
/// workload controllers (Deployments, DaemonSets, StatefulSets, Jobs) and caching (registry
/// mirrors in containerd's host list). The
/// library's tidy test and the reader's fixtures both cover every one.
pub const LIBRARY_TOPICS: [&str; 9] = [
    "policies",
    "drift",
    "arch",
    "credentials",
    "prepulled",
    "backoff",
    "pulls",
    "workloads",
    "caching",
];
