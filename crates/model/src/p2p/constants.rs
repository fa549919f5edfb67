//! Spegel's defaults and texts.

use std::time::Duration;

/// `--mirror-resolve-timeout`: "Max duration spent finding a mirror." A lookup that finds no
/// provider within it answers 404. Source: spegel `main.go`; chart `mirrorResolveTimeout: "20ms"`.
pub const RESOLVE_TIMEOUT: Duration = Duration::from_millis(20);

/// `--mirror-resolve-retries`: "Max amount of mirrors to attempt." Source: spegel `main.go`;
/// chart `mirrorResolveRetries: 3`.
pub const RESOLVE_RETRIES: u32 = 3;

/// The overall deadline of a manifest or HEAD request through the mirror (blob GETs have none).
/// Source: spegel `pkg/registry/registry.go` (`mirrorHandler`, `3*time.Second`).
pub const MANIFEST_DEADLINE: Duration = Duration::from_secs(3);

/// The `dial_timeout` Spegel writes for its own host in `hosts.toml` (honoured by containerd 2.1+
/// only). Source: spegel `pkg/oci/containerd/mirror.go` (`templateHosts`).
pub const DIAL_TIMEOUT_TEXT: &str = "200ms";

/// The NodePort the chart exposes each node's Spegel registry on. Source: spegel
/// `charts/spegel/values.yaml` (`service.registry.nodePort: 30020`).
pub const NODE_PORT: u16 = 30020;

/// The header Spegel adds to a request it proxies to a peer; a request carrying it is served
/// only from local content, never mirrored again (no loops). Source: `pkg/registry/registry.go`.
pub const MIRRORED_HEADER: &str = "X-Spegel-Mirrored";

/// The upstream Spegel writes as `server` for `docker.io`. Source: spegel `mirror.go`.
pub const DOCKER_HUB_UPSTREAM: &str = "https://registry-1.docker.io";

/// The containerd namespace Spegel watches (`--containerd-namespace`). Source: `main.go`.
pub const CONTAINERD_NAMESPACE: &str = "k8s.io";

/// `could not find peer for <key>`: the lookup found no provider. Source: `registry.go`.
pub fn could_not_find_peer(key: &str) -> String {
    format!("could not find peer for {key}")
}

/// `all request retries exhausted for <key>`: every provider tried failed. Source: `registry.go`.
pub fn retries_exhausted(key: &str) -> String {
    format!("all request retries exhausted for {key}")
}

/// `waited too long for new peer with no inflight fetches for <key>`. Source: `registry.go`.
pub fn waited_for_new_peer(key: &str) -> String {
    format!("waited too long for new peer with no inflight fetches for {key}")
}

/// `waited too long for inflight dials to complete for <key>`. Source: `registry.go`.
pub fn waited_for_dials(key: &str) -> String {
    format!("waited too long for inflight dials to complete for {key}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_word_for_word() {
        let key = "sha256:abc";
        assert_eq!(
            could_not_find_peer(key),
            "could not find peer for sha256:abc"
        );
        assert_eq!(
            retries_exhausted(key),
            "all request retries exhausted for sha256:abc"
        );
        assert_eq!(
            waited_for_new_peer(key),
            "waited too long for new peer with no inflight fetches for sha256:abc"
        );
        assert_eq!(
            waited_for_dials(key),
            "waited too long for inflight dials to complete for sha256:abc"
        );
    }

    #[test]
    fn chart_defaults() {
        assert_eq!(RESOLVE_TIMEOUT, Duration::from_millis(20));
        assert_eq!(RESOLVE_RETRIES, 3);
        assert_eq!(MANIFEST_DEADLINE, Duration::from_secs(3));
        assert_eq!(NODE_PORT, 30020);
    }
}
