//! containerd's part of the world: one node's containerd state (`node`: content store,
//! fetches in flight, image store), the runtime's pull (resolve, platform choice, image
//! records), the content store as a pull uses it, the resolver (requests, retries, auth,
//! error texts), manifests as containerd reads them, and what each node's image store holds.
//! It receives the kubelet's CRI requests and answers them (`crate::cri`).

pub(crate) mod content;
mod holdings;
pub(crate) mod hosts;
pub(crate) mod manifest;
mod node;
mod platform_choice;
pub(crate) mod resolver;
pub(crate) mod runtime;

pub(crate) use node::{Containerd, ContentNeed};
