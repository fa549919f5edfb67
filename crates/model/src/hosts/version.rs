//! The containerd releases whose registry-host behaviour differs, and the dialer's default.

use std::time::Duration;

/// The dial timeout of containerd's default transport (`net.Dialer{Timeout: 30 * time.Second}`),
/// used for every host without a `dial_timeout` and for every host before containerd 2.1.
/// Source: containerd/containerd `core/remotes/docker/config/hosts.go` (`DefaultHTTPTransport`;
/// v1.7 `remotes/docker/config/hosts.go` `defaultTransport`).
pub const DEFAULT_DIAL_TIMEOUT: Duration = Duration::from_secs(30);

/// Attempts on one host for a 408 or 429 answer before containerd gives up on that host:
/// `retryRequest` stops once `len(responses) > 5`, so the first request plus five retries.
/// Source: containerd/containerd `core/remotes/docker/resolver.go` (`retryRequest`), v1.7 to v2.3.
pub const MAX_ATTEMPTS_ON_TOO_MANY_REQUESTS: u32 = 6;

/// Consecutive re-opens of a layer body after an unexpected EOF that make no progress before
/// the read fails. Source: containerd/containerd `core/remotes/docker/httpreadseeker.go`
/// (`const maxRetry = 3`).
pub const MAX_BODY_REOPENS: u32 = 3;

/// The containerd minor releases the host rules tell apart, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ContainerdVersion {
    /// 1.7.x: no `dial_timeout`, no 5xx retry, the first non-404 error is reported.
    V1_7,
    /// 2.0.x: errors ranked by priority when every host failed.
    V2_0,
    /// 2.1.x: `dial_timeout` per host; one retry of a 5xx on the last host.
    #[default]
    V2_1,
    /// 2.2.x: as 2.1 for these rules.
    V2_2,
    /// 2.3.x: as 2.2 for these rules.
    V2_3,
}

impl ContainerdVersion {
    /// Every version, oldest first.
    pub const ALL: [ContainerdVersion; 5] = [
        ContainerdVersion::V1_7,
        ContainerdVersion::V2_0,
        ContainerdVersion::V2_1,
        ContainerdVersion::V2_2,
        ContainerdVersion::V2_3,
    ];

    /// Whether `dial_timeout` in hosts.toml is read (added in v2.1.0, commit c4982bffc);
    /// older releases ignore the key as an unknown field.
    pub fn reads_dial_timeout(self) -> bool {
        self >= ContainerdVersion::V2_1
    }

    /// Whether a 500, 503 or 504 from the last host is retried once (v2.1.0, commit
    /// d70d6245f "Retry registry operations once on 50x on last host").
    pub fn retries_5xx_on_last_host(self) -> bool {
        self >= ContainerdVersion::V2_1
    }

    /// Whether the resolver ranks errors when every host failed (v2.0) instead of
    /// reporting the first non-404 one (v1.7).
    pub fn ranks_resolve_errors(self) -> bool {
        self >= ContainerdVersion::V2_0
    }

    /// The version as people write it (`2.1`).
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerdVersion::V1_7 => "1.7",
            ContainerdVersion::V2_0 => "2.0",
            ContainerdVersion::V2_1 => "2.1",
            ContainerdVersion::V2_2 => "2.2",
            ContainerdVersion::V2_3 => "2.3",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_start_at_their_release() {
        let reads: Vec<bool> = ContainerdVersion::ALL
            .iter()
            .map(|v| v.reads_dial_timeout())
            .collect();
        assert_eq!(reads, [false, false, true, true, true]);
        let retries: Vec<bool> = ContainerdVersion::ALL
            .iter()
            .map(|v| v.retries_5xx_on_last_host())
            .collect();
        assert_eq!(retries, [false, false, true, true, true]);
        assert!(!ContainerdVersion::V1_7.ranks_resolve_errors());
        assert!(ContainerdVersion::V2_0.ranks_resolve_errors());
        assert_eq!(DEFAULT_DIAL_TIMEOUT.as_secs(), 30);
        assert_eq!(ContainerdVersion::V2_1.as_str(), "2.1");
    }
}
