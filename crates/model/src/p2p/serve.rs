//! What a node's Spegel answers for one request.
//!
//! Source: spegel `pkg/registry/registry.go` (`registryHandler`, `mirrorHandler`): local content
//! is served from disk; otherwise providers are looked up in the DHT and up to
//! `--mirror-resolve-retries` of them are tried; none found within `--mirror-resolve-timeout`
//! answers 404, which containerd treats as "try the next host" (the upstream).

use std::time::Duration;

use super::constants::{RESOLVE_TIMEOUT, could_not_find_peer};

/// Why Spegel answered 404.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotFoundReason {
    /// No peer advertises the key.
    NoPeer,
    /// The request carried `X-Spegel-Mirrored` and the content is not local.
    AlreadyMirrored,
}

/// Spegel's answer to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MirrorAnswer {
    /// The node holds the content: served from its own disk.
    Local,
    /// Proxied from the provider at this index of the candidate list (the first of at most
    /// [`RESOLVE_RETRIES`](super::constants::RESOLVE_RETRIES) tried).
    Peer(usize),
    /// HTTP 404 with an OCI error, after `after`.
    NotFound {
        /// Time spent before answering (the resolve timeout for a lookup miss, zero otherwise).
        after: Duration,
        /// The OCI error message.
        message: String,
        /// Why.
        reason: NotFoundReason,
    },
}

/// The answer for `key` on a node that holds it (`local`), with `providers` other nodes
/// advertising it, to a request that was (`mirrored`) or was not already proxied by a Spegel.
pub fn mirror_answer(key: &str, local: bool, mirrored: bool, providers: usize) -> MirrorAnswer {
    if local {
        return MirrorAnswer::Local;
    }
    if mirrored {
        return MirrorAnswer::NotFound {
            after: Duration::ZERO,
            message: could_not_find_peer(key),
            reason: NotFoundReason::AlreadyMirrored,
        };
    }
    if providers == 0 {
        return MirrorAnswer::NotFound {
            after: RESOLVE_TIMEOUT,
            message: could_not_find_peer(key),
            reason: NotFoundReason::NoPeer,
        };
    }
    MirrorAnswer::Peer(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_content_is_served_locally() {
        assert_eq!(
            mirror_answer("sha256:a", true, false, 0),
            MirrorAnswer::Local
        );
        assert_eq!(
            mirror_answer("sha256:a", true, true, 5),
            MirrorAnswer::Local
        );
    }

    #[test]
    fn a_miss_answers_404_after_the_resolve_timeout() {
        assert_eq!(
            mirror_answer("sha256:a", false, false, 0),
            MirrorAnswer::NotFound {
                after: Duration::from_millis(20),
                message: "could not find peer for sha256:a".to_owned(),
                reason: NotFoundReason::NoPeer,
            }
        );
    }

    #[test]
    fn a_mirrored_request_is_never_mirrored_again() {
        assert!(matches!(
            mirror_answer("sha256:a", false, true, 3),
            MirrorAnswer::NotFound {
                after: Duration::ZERO,
                reason: NotFoundReason::AlreadyMirrored,
                ..
            }
        ));
    }

    #[test]
    fn a_provider_is_proxied() {
        assert_eq!(
            mirror_answer("sha256:a", false, false, 2),
            MirrorAnswer::Peer(0)
        );
    }
}
