//! The kubelet's part of the world: pod workers, the image manager
//! (`EnsureImageExists`), and the puller (serial or parallel, the QPS throttle,
//! credentials tried in keyring order).

mod image_manager;
mod pod_workers;
mod puller;

pub(crate) use pod_workers::{Ensure, KubeletPull, KubeletState, PodState};
