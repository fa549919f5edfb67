//! containerd's part of the world: the runtime's pull (resolve, platform choice, image
//! records), the content store, the resolver (requests, retries, auth, error texts),
//! manifests as containerd reads them, and what each node's image store holds.

pub(crate) mod content;
mod holdings;
pub(crate) mod manifest;
mod platform_choice;
pub(crate) mod resolver;
pub(crate) mod runtime;
