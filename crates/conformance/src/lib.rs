//! `pullsim-conformance`: the conformance harness for real image pullers.
//!
//! A shell, not a core: it starts the fake registry over HTTP on 127.0.0.1 (a fresh one
//! per case), runs real pullers with time limits and stops each by its process id, and
//! reads the wall clock (at marked spots) to time them. Each case sets up its registry,
//! runs the puller, and judges from the exit status, what the puller stored, and the
//! registry's request log: MUST checks pass or fail, observed behaviours are reported.
//!
//! Module map:
//! - [`cases`]: the suite, case by case, in groups (basics, platforms, drift, integrity,
//!   auth, faults, protocol).
//! - [`stage`]: setting up a case's registry (images, accounts, faults, triggers) and the
//!   facts about each image the judges need.
//! - [`puller`]: the [`Puller`] trait, pull jobs and what a puller stored.
//! - [`adapters`]: skopeo, ctr, podman, oras-py and `--cmd` templates.
//! - [`evidence`]: what happened in a case (runs, logs, stores) and questions about logs.
//! - [`findings`]: MUST checks and observations, and the checks cases share.
//! - [`suite`]: running every case concurrently against one puller.
//! - [`report`]: reports and their renderings (table, JSON, JUnit, Markdown matrix).
//! - [`progress`]: a progress bar on terminals, plain lines elsewhere.
//! - [`server`]: the fake registry on 127.0.0.1 for one case or test, stopped on drop.
//! - [`programs`]: real programs: `require`, time limits, kill by pid.
//! - [`containers_image`]: skopeo and podman configured from a private folder only.
//! - [`containerd`]: a containerd daemon living in a temporary folder.
//! - [`oci_layout`]: reading OCI image layouts (what skopeo pulled) and writing images to push.

pub mod adapters;
pub mod cases;
pub mod containerd;
pub mod containers_image;
pub mod evidence;
pub mod findings;
pub mod oci_layout;
pub mod programs;
pub mod progress;
pub mod puller;
pub mod report;
pub mod server;
pub mod stage;
pub mod suite;

pub use cases::{Case, Group};
pub use puller::{Capability, Credentials, ImageRef, PullJob, Puller, Stored};
pub use report::{CaseReport, CaseResult, SuiteReport};
pub use suite::{RunOptions, run};
