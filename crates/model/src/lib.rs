//! `pullsim-model`: the kubelet's and containerd's image-pull rules as pure functions.
//!
//! Everything else in pullsim (the simulator, the fake registry, the conformance
//! harness, the `pullsim` command) asks this crate what Kubernetes would do, so each
//! rule lives here once, written from `docs/semantics.md` with its section in the docs.
//!
//! Architecture Invariant: nothing in this crate does I/O, reads a clock or an
//! environment variable, uses OS randomness or starts a thread. Time comes in as a
//! [`SimTime`] argument; text comes in as `&str`.
//!
//! Module map:
//! - [`time`]: the virtual instant every time-dependent rule takes.
//! - [`digest`]: content digests validated as go-digest does, and hashing for the registry.
//! - [`reference`](mod@reference): image references as distribution/reference parses and normalizes them, and the kubelet's wrappers.
//! - [`policy`]: `imagePullPolicy` and its default.
//! - [`pull`]: the image manager's pull decision, events, waiting reasons and throttle.
//! - [`backoff`]: the kubelet's per pod-and-image pull back-off (client-go `Backoff`).
//! - [`credentials`]: docker configs, pull Secrets, the keyring and its URL glob matching.
//! - [`hosts`]: containerd's registry host configuration (`hosts.toml`): mirror order, capabilities, fallback.
//! - [`p2p`]: Spegel, the peer-to-peer cluster-local mirror: its hosts.toml, advertising and answers.
//! - [`platform`]: containerd's platform normalisation, matching and index-child choice.
//! - [`image_locality`]: the scheduler's `ImageLocality` score and the free-slots score beside it.
//! - [`kubelet_config`]: pull settings of the kubelet configuration, defaulted and validated.
//! - [`verification`]: KEP-2535 credential verification of images already on the node.
//! - [`admission`]: the `AlwaysPullImages` admission plugin.
//! - [`controllers`]: the workload controllers' arithmetic (rolling-update fenceposts, slow-start
//!   batches, the Job's failure back-off) and how they name ReplicaSets and pods.
//! - [`units`]: sizes (`20MiB`), durations (`1m30s`) and link speeds (`100Mbit/s`) as people write them in files.
//! - [`document`]: YAML and JSON document errors as one line with a position.
//! - [`go`]: ports of Go's standard library (`%q` quoting, lowercasing, `Duration` printing,
//!   `encoding/json`, `encoding/base64`, `net/url`, `net/netip`, `path/filepath.Match`), so
//!   answers and messages match the Go binaries; [`go_text`] and [`go_fmt`] are two of them
//!   under the names other crates use.

pub mod admission;
pub mod backoff;
pub mod controllers;
pub mod credentials;
pub mod digest;
pub mod document;
pub mod go;
pub mod hosts;
pub mod image_locality;
pub mod kubelet_config;
pub mod p2p;
pub mod platform;
pub mod policy;
pub mod pull;
pub mod reference;
pub mod time;
pub mod units;
pub mod verification;

pub use admission::{AlwaysPullImages, PodView};
pub use backoff::{Backoff, backoff_key};
pub use credentials::{
    BasicDockerKeyring, CredentialSource, DockerConfig, DockerConfigEntry, PullKeyring, Secret,
    TrackedCredential,
};
pub use go::fmt as go_fmt;
pub use go::text as go_text;

pub use digest::{Digest, DigestAlgorithm, DigestError};
pub use document::DocumentError;
pub use go::fmt::GoDuration;
pub use kubelet_config::{KubeletPullConfig, KubeletPullSettings, Puller};
pub use platform::{Platform, PlatformMatcher, PlatformsVersion};
pub use policy::{PullPolicy, PullPolicyError, default_pull_policy};
pub use pull::{Decision, KubeletBehavior, PullAction, PullRequest, PullThrottle, WaitingReason};
pub use reference::{
    ImageName, ImageNameError, Reference, ReferenceError, apply_default_image_tag,
    parse_docker_ref, parse_image_name,
};
pub use time::SimTime;
pub use units::{Bandwidth, ByteSize, UnitError};
pub use verification::{Allowlist, CredentialVerification, PullRecords, VerificationPolicy};
