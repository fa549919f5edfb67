//! The kubelet's part of the world: one node's kubelet state (`node`), the puller's
//! admission (`pull_queue`), pod workers, the image manager (`EnsureImageExists`), and the
//! puller (serial or parallel, the QPS throttle, credentials tried in keyring order), and
//! what follows a container's start (`lifecycle`: readiness, `runFor`'s exits, restarts,
//! `Succeeded`). It
//! talks to containerd only through CRI requests and answers (`crate::cri`).

mod image_manager;
mod lifecycle;
mod node;
mod plugin_lookup;
mod pod_workers;
mod pull_queue;
mod puller;
mod shared_texts;

pub(crate) use node::Kubelet;
pub(crate) use pod_workers::{Ensure, KubeletPull, PodState, StatusChange};
pub(crate) use shared_texts::SharedTexts;
