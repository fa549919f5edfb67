//! Spegel (spegel-org/spegel): the peer-to-peer, cluster-local registry mirror, as pure rules.
//!
//! Spegel runs one pod per node (a DaemonSet). It serves an OCI registry on the node (NodePort
//! 30020), rewrites the node's containerd `hosts.toml` so containerd asks it first, advertises the
//! node's content in a Kademlia DHT, and proxies a request from a peer that advertises the content,
//! or answers 404 so containerd falls back to the upstream registry.
//!
//! - [`constants`]: its defaults, texts and header, each with its source.
//! - [`version`]: [`SpegelVersion`], the releases whose advertising differs.
//! - [`advertise`]: which keys (digests, tags) become advertised or withdrawn on which event.
//! - [`hosts`]: the `hosts.toml` Spegel writes for a node.
//! - [`serve`]: what a node's Spegel does with one request (local, peer, 404).
//!
//! Sources: spegel-org/spegel `main.go`, `pkg/registry/registry.go`,
//! `pkg/oci/containerd/mirror.go`, `pkg/oci/containerd/containerd.go`, `pkg/routing/sync.go`,
//! `charts/spegel/values.yaml`; `docs/BENCHMARK.md` at v0.0.27. See docs/peer-to-peer.md.

pub mod advertise;
pub mod constants;
pub mod hosts;
pub mod serve;
pub mod version;

pub use advertise::{AdvertKey, ContentEvent, advertised_on, withdrawn_on};
pub use hosts::{spegel_hosts_directory, spegel_hosts_toml, upstream_server};
pub use serve::{MirrorAnswer, NotFoundReason, mirror_answer};
pub use version::SpegelVersion;
