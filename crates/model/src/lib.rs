//! `pullsim-model`: the kubelet's and containerd's image-pull rules as pure functions.
//!
//! Everything else in pullsim (the simulator, the fake registry, the conformance
//! harness, the `pullsim` command) asks this crate what Kubernetes would do, so each
//! rule lives here once, written from `SEMANTICS.md` with its section in the docs.
//!
//! Architecture Invariant: nothing in this crate does I/O, reads a clock or an
//! environment variable, uses OS randomness or starts a thread. Time comes in as a
//! [`SimTime`] argument; text comes in as `&str`.
//!
//! Module map:
//! - [`time`]: the virtual instant every time-dependent rule takes.
//! - [`go_fmt`]: Go's `Duration` and `%q` renderings used in kubelet messages.
//! - [`backoff`]: the kubelet's per pod-and-image pull back-off (client-go `Backoff`).
//! - [`pull`]: the image manager's pull decision, events, waiting reasons and throttle.
//! - [`kubelet_config`]: pull settings of the kubelet configuration, defaulted and validated.
//! - [`platform`]: containerd's platform normalisation, matching and index-child choice.
//! - [`admission`]: the `AlwaysPullImages` admission plugin.

pub mod admission;
pub mod backoff;
pub mod go_fmt;
pub mod kubelet_config;
pub mod platform;
pub mod policy;
pub mod pull;
pub mod time;

pub use admission::{AlwaysPullImages, PodView};
pub use backoff::{Backoff, backoff_key};
pub use go_fmt::GoDuration;
pub use kubelet_config::{KubeletPullConfig, KubeletPullSettings, Puller};
pub use platform::{Platform, PlatformMatcher, PlatformsVersion};
pub use pull::{Decision, KubeletBehavior, PullAction, PullRequest, PullThrottle, WaitingReason};
pub use time::SimTime;
