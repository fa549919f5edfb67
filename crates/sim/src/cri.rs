//! The CRI boundary between a node's kubelet and its containerd (docs/semantics.md §3, 6):
//! the calls the kubelet makes and the answers containerd gives, as types.
//!
//! The kubelet builds a [`PullImageRequest`] (one per credential it tries) and consumes a
//! [`PullImageAnswer`]; it asks whether an image is present with an
//! [`ImageStatusRequest`] and reads an [`ImageStatusAnswer`]. containerd only receives
//! requests and produces answers: `Sim::start_runtime_pull` takes the request and
//! `Sim::runtime_pull_done` delivers the answer, and `Containerd::image_status` answers a
//! status request from the node's image store. Nothing else of containerd's state is read
//! by the kubelet, and containerd reads nothing of the kubelet's.

use std::sync::Arc;

use crate::engine::Key;
use crate::memo::{Credentials, PullTarget};
use crate::trace::{DigestId, NodeId};

/// An image in a node's CRI image store, as `ImageStatus` and `PullImage` describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRecord {
    /// The image ID: its config's digest.
    pub(crate) image_id: DigestId,
    /// The top-level digest it was pulled (or loaded) by.
    pub(crate) digest: DigestId,
    /// The image manifest (the top-level digest itself, or the child chosen from an index).
    pub(crate) manifest: DigestId,
    /// Manifests, config and layers, in bytes (what `ImageStatus` reports).
    pub(crate) size_bytes: u64,
}

/// The credential one `PullImage` call is made with (the CRI's `AuthConfig`): an entry of
/// the kubelet pull's shared credential list, so an attempt copies no user name or
/// password.
#[derive(Debug)]
pub(crate) struct PullCredential {
    pub(crate) credentials: Credentials,
    pub(crate) index: usize,
}

impl PullCredential {
    /// The user name and password.
    pub(crate) fn get(&self) -> Option<(&str, &str)> {
        let credential = self.credentials.as_ref().as_ref().ok()?.get(self.index)?;
        Some((&credential.username, &credential.password))
    }
}

/// `PullImage`: the kubelet asks the node's runtime to pull one image with one credential
/// (or none).
#[derive(Debug)]
pub(crate) struct PullImageRequest {
    /// The node whose runtime is asked.
    pub(crate) node: NodeId,
    /// The kubelet pull the call is made for (the call's context: its answer goes back to
    /// it, and a restart of the kubelet cancels it).
    pub(crate) owner: Key,
    /// What containerd makes of the tagged image string it is asked to pull, or the text
    /// of its parse failure.
    pub(crate) target: Result<Arc<PullTarget>, String>,
    pub(crate) credential: Option<PullCredential>,
}

/// `PullImage`'s answer: the image pulled, or the runtime's error text as the kubelet
/// receives it (gRPC status and message, wrapped as the CRI wraps them).
#[derive(Debug)]
pub(crate) struct PullImageAnswer {
    /// The kubelet pull the call was made for.
    pub(crate) owner: Key,
    pub(crate) image: Result<ImageRecord, String>,
    /// Content the call found in the store (or another call fetched for it): the
    /// simulator's own count, carried with the answer for the pull's trace record.
    pub(crate) content_hits: u32,
    /// Content the call fetched itself.
    pub(crate) fetched: u32,
}

impl PullImageAnswer {
    /// An answer for a call that failed before it reached a registry.
    pub(crate) fn failed(owner: Key, text: String) -> PullImageAnswer {
        PullImageAnswer {
            owner,
            image: Err(text),
            content_hits: 0,
            fetched: 0,
        }
    }
}

/// `ImageStatus`: whether the node's image store names this image (`name:tag` or
/// `name@digest`, as containerd stores the reference).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ImageStatusRequest<'a> {
    pub(crate) image: &'a str,
}

/// `ImageStatus`' answer: the image, or `None` when the store does not name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageStatusAnswer {
    pub(crate) image: Option<ImageRecord>,
}
