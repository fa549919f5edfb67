//! What containerd does when one host fails a request: try the next host, retry the same
//! host, or fail the pull; and the error it returns when every host failed.
//!
//! Sources: containerd/containerd `core/remotes/docker/resolver.go` (`Resolve`,
//! `retryRequest`), `core/remotes/docker/fetcher.go` (`Fetch`, `open`),
//! `core/remotes/docker/httpreadseeker.go` (`Read`), `core/remotes/errors/errors.go`
//! (`ErrUnexpectedStatus`); v1.7 under `remotes/docker/...`.

use super::version::{ContainerdVersion, MAX_ATTEMPTS_ON_TOO_MANY_REQUESTS};

/// How one request to one host failed, as the simulator reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The host refused the TCP connection.
    ConnectionRefused,
    /// The dial did not complete within the host's dial timeout.
    DialTimeout,
    /// The TLS handshake failed (bad certificate, HTTPS to an HTTP port).
    Tls,
    /// An HTTP answer with this status (404 included), after containerd's own same-host
    /// retries ([`same_host_attempts`]) and, for 401, after the authorizer's retry.
    Status(u16),
    /// The body broke off mid-stream with an unexpected EOF.
    BodyUnexpectedEof,
    /// Any other error while reading the body (a read timeout, a reset).
    BodyError,
}

/// containerd's answer to a [`Failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// Try the next host of the operation's list (the error is remembered for the final message).
    NextHost,
    /// Re-open the body at its current offset with a `Range` request through the host loop
    /// (from the first host), at most [`super::MAX_BODY_REOPENS`] times without progress.
    Reopen,
    /// The operation fails now with this error, no other host is tried.
    Fail,
}

/// What containerd does after `failure` from one host during `operation`.
///
/// Resolve (`resolver.go` `Resolve`, the host loop): a transport or auth error logs
/// `trying next host`; 404 logs `trying next host - response was http.StatusNotFound` (v1.7) /
/// `trying next host after status: 404 Not Found` (v2); any other status above 399 moves on
/// too; a 3xx that was not followed returns `unexpectedResponseErr` at once.
/// Fetch (`fetcher.go` `Fetch`): any error from `open`, whatever the status, moves on.
/// A body broken by `io.ErrUnexpectedEOF` is re-opened (`httpreadseeker.go` `Read`); any other
/// body error is returned to the caller, so the layer fails.
pub fn fallback(operation: super::Operation, failure: &Failure) -> Fallback {
    use super::Operation;
    match (operation, failure) {
        (_, Failure::ConnectionRefused | Failure::DialTimeout | Failure::Tls) => Fallback::NextHost,
        (Operation::Resolve, Failure::Status(code)) if (300..400).contains(code) => Fallback::Fail,
        (Operation::Resolve, Failure::Status(code)) if *code > 399 => Fallback::NextHost,
        (Operation::Resolve, Failure::Status(_)) => Fallback::Fail,
        (Operation::Fetch, Failure::Status(_)) => Fallback::NextHost,
        (_, Failure::BodyUnexpectedEof) => Fallback::Reopen,
        (_, Failure::BodyError) => Fallback::Fail,
    }
}

/// How many requests containerd sends to one host for an answer with `status` before treating
/// it as that host's failure (`retryRequest`): 408 and 429 are retried at once, with no back-off
/// and no `Retry-After`, up to [`MAX_ATTEMPTS_ON_TOO_MANY_REQUESTS`]; 500, 503 and 504 once on
/// the last host from v2.1; everything else once.
pub fn same_host_attempts(version: ContainerdVersion, status: u16, last_host: bool) -> u32 {
    match status {
        408 | 429 => MAX_ATTEMPTS_ON_TOO_MANY_REQUESTS,
        500 | 503 | 504 if last_host && version.retries_5xx_on_last_host() => 2,
        _ => 1,
    }
}

/// Go's `http.StatusText` for the statuses a registry answers.
pub fn status_text(code: u16) -> &'static str {
    match code {
        200 => "OK",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// A failure seen on one host while resolving, with the request URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFailure {
    /// The full request URL (`https://m/v2/library/nginx/manifests/latest?ns=docker.io`).
    pub url: String,
    /// How it failed.
    pub failure: Failure,
}

impl HostFailure {
    /// The error text containerd keeps for this host's failure of a `HEAD` resolve.
    /// Statuses: `unexpected status from HEAD request to <url>: <code> <text>`
    /// (`ErrUnexpectedStatus`); 401 after the authorizer gave up: the CRI's
    /// `pull access denied, ...: authorization failed`; transport errors: Go's `*url.Error`
    /// around the dial error (the address is the host as configured; the sim has no DNS).
    pub fn resolve_error(&self) -> String {
        let host = self
            .url
            .split_once("://")
            .map_or("", |(_, rest)| rest.split('/').next().unwrap_or(""));
        let address = if host.contains(':') {
            host.to_owned()
        } else if self.url.starts_with("http://") {
            format!("{host}:80")
        } else {
            format!("{host}:443")
        };
        match &self.failure {
            Failure::ConnectionRefused => format!(
                "failed to do request: Head \"{}\": dial tcp {address}: connect: connection refused",
                self.url
            ),
            Failure::DialTimeout => format!(
                "failed to do request: Head \"{}\": dial tcp {address}: i/o timeout",
                self.url
            ),
            Failure::Tls => format!(
                "failed to do request: Head \"{}\": tls: failed to verify certificate: x509: certificate signed by unknown authority",
                self.url
            ),
            Failure::Status(401) => "pull access denied, repository does not exist or may require authorization: authorization failed".to_owned(),
            Failure::Status(code) => format!(
                "unexpected status from HEAD request to {}: {code} {}",
                self.url,
                status_text(*code)
            ),
            Failure::BodyUnexpectedEof | Failure::BodyError => {
                format!("failed to do request: Head \"{}\": unexpected EOF", self.url)
            }
        }
    }

    /// The v2 resolver's priority of this failure (`Resolve`: transport/auth 1, 404 2,
    /// other status above 399 3); the highest wins, ties go to the first seen.
    fn priority(&self) -> u8 {
        match self.failure {
            Failure::Status(404) => 2,
            Failure::Status(401) => 1,
            Failure::Status(code) if code > 399 => 3,
            _ => 1,
        }
    }
}

/// The error containerd's resolver returns when every resolve host failed, for `reference`
/// (`docker.io/library/nginx:latest`), without the CRI's `failed to resolve reference` prefix.
///
/// v1.7: the first non-404 error, or `<ref>: not found` when every host answered 404.
/// v2.0+: the highest-priority error (transport/auth < 404 < other status), first one on a tie;
/// a 404 reports `<ref>: not found`. No hosts at all: `no resolve hosts: not found`.
pub fn resolve_error(
    version: ContainerdVersion,
    reference: &str,
    failures: &[HostFailure],
) -> String {
    let chosen = if version.ranks_resolve_errors() {
        failures
            .iter()
            .fold(None::<&HostFailure>, |best, f| match best {
                Some(b) if b.priority() >= f.priority() => Some(b),
                _ => Some(f),
            })
    } else {
        failures
            .iter()
            .find(|f| f.failure != Failure::Status(404))
            .or(failures.first())
    };
    match chosen {
        None => "no resolve hosts: not found".to_owned(),
        Some(f) if f.failure == Failure::Status(404) => format!("{reference}: not found"),
        Some(f) => f.resolve_error(),
    }
}

/// The CRI's wrapping of a resolve error as the kubelet shows it in `ErrImagePull`'s message
/// (after `rpc error: code = ... desc = `): v2 `failed to resolve reference "<image>": <err>`;
/// v1.7 `failed to pull and unpack image "<image>": failed to resolve reference "<image>": <err>`.
pub fn cri_resolve_error(version: ContainerdVersion, image: &str, error: &str) -> String {
    let resolve = format!(
        "failed to resolve reference {}: {error}",
        crate::go::text::quote(image)
    );
    if version >= ContainerdVersion::V2_0 {
        resolve
    } else {
        format!(
            "failed to pull and unpack image {}: {resolve}",
            crate::go::text::quote(image)
        )
    }
}

/// The error `Fetch` returns when no host has `pull` (checked before any request).
pub const NO_PULL_HOSTS: &str = "no pull hosts: not found";

/// What a fetch asked for: a manifest by digest (`manifests/<digest>`) or a blob
/// (`blobs/<digest>`, configs and layers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchTarget<'a> {
    /// A manifest or index by digest.
    Manifest,
    /// A blob with its digest and media type.
    Blob {
        /// `sha256:...`.
        digest: &'a str,
        /// The descriptor's media type.
        media_type: &'a str,
    },
}

/// The error of a fetch that failed on every host: the first error seen (`Fetch` keeps
/// `firstErr`), whose text for a status is `content at <url> not found: not found` (404) or
/// `unexpected status code <url>: <code> <text>` (`open`). For a blob whose first error was a
/// 404 it becomes `could not fetch content descriptor <digest> (<media type>) from remote: not
/// found`; a manifest's first error is returned as it is.
pub fn fetch_error(target: FetchTarget<'_>, first: &HostFailure) -> String {
    if let (FetchTarget::Blob { digest, media_type }, Failure::Status(404)) =
        (target, &first.failure)
    {
        return format!(
            "could not fetch content descriptor {digest} ({media_type}) from remote: not found"
        );
    }
    match &first.failure {
        Failure::Status(404) => format!("content at {} not found: not found", first.url),
        Failure::Status(code) => format!(
            "unexpected status code {}: {code} {}",
            first.url,
            status_text(*code)
        ),
        _ => first.resolve_error().replacen("Head \"", "Get \"", 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::Operation;

    fn hf(url: &str, failure: Failure) -> HostFailure {
        HostFailure {
            url: url.to_owned(),
            failure,
        }
    }

    #[test]
    fn resolve_moves_on_for_transport_404_and_errors_but_not_redirects() {
        for failure in [
            Failure::ConnectionRefused,
            Failure::DialTimeout,
            Failure::Tls,
        ] {
            assert_eq!(fallback(Operation::Resolve, &failure), Fallback::NextHost);
        }
        for code in [400, 401, 403, 404, 429, 500, 503] {
            assert_eq!(
                fallback(Operation::Resolve, &Failure::Status(code)),
                Fallback::NextHost,
                "{code}"
            );
        }
        for code in [301, 302, 307] {
            assert_eq!(
                fallback(Operation::Resolve, &Failure::Status(code)),
                Fallback::Fail,
                "{code}"
            );
        }
    }

    #[test]
    fn fetch_moves_on_for_any_status_and_reopens_on_eof() {
        for code in [302, 401, 404, 429, 500] {
            assert_eq!(
                fallback(Operation::Fetch, &Failure::Status(code)),
                Fallback::NextHost
            );
        }
        assert_eq!(
            fallback(Operation::Fetch, &Failure::DialTimeout),
            Fallback::NextHost
        );
        assert_eq!(
            fallback(Operation::Fetch, &Failure::BodyUnexpectedEof),
            Fallback::Reopen
        );
        assert_eq!(
            fallback(Operation::Fetch, &Failure::BodyError),
            Fallback::Fail
        );
    }

    #[test]
    fn same_host_retries() {
        use ContainerdVersion::*;
        assert_eq!(same_host_attempts(V1_7, 429, false), 6);
        assert_eq!(same_host_attempts(V2_3, 408, true), 6);
        assert_eq!(same_host_attempts(V2_1, 503, true), 2);
        assert_eq!(same_host_attempts(V2_1, 503, false), 1);
        assert_eq!(same_host_attempts(V2_0, 500, true), 1);
        assert_eq!(same_host_attempts(V2_1, 502, true), 1);
        assert_eq!(same_host_attempts(V2_1, 404, true), 1);
    }

    #[test]
    fn resolve_error_per_release() {
        let r = "docker.io/library/nginx:latest";
        let m = "https://m/v2/library/nginx/manifests/latest?ns=docker.io";
        let u = "https://registry-1.docker.io/v2/library/nginx/manifests/latest";
        let failures = [
            hf(m, Failure::ConnectionRefused),
            hf(u, Failure::Status(404)),
        ];
        // v1.7: the first non-404 error.
        assert_eq!(
            resolve_error(ContainerdVersion::V1_7, r, &failures),
            format!(
                "failed to do request: Head \"{m}\": dial tcp m:443: connect: connection refused"
            )
        );
        // v2: the 404 outranks the transport error.
        assert_eq!(
            resolve_error(ContainerdVersion::V2_1, r, &failures),
            format!("{r}: not found")
        );
        let rate = [hf(m, Failure::Status(404)), hf(u, Failure::Status(429))];
        assert_eq!(
            resolve_error(ContainerdVersion::V2_1, r, &rate),
            format!("unexpected status from HEAD request to {u}: 429 Too Many Requests")
        );
        let all404 = [hf(m, Failure::Status(404)), hf(u, Failure::Status(404))];
        assert_eq!(
            resolve_error(ContainerdVersion::V1_7, r, &all404),
            format!("{r}: not found")
        );
        assert_eq!(
            resolve_error(ContainerdVersion::V2_1, r, &[]),
            "no resolve hosts: not found"
        );
        let tie = [hf(m, Failure::Status(500)), hf(u, Failure::Status(429))];
        assert!(
            resolve_error(ContainerdVersion::V2_1, r, &tie).contains("500 Internal Server Error")
        );
        assert_eq!(
            hf(
                "http://10.0.0.1:30020/v2/x/manifests/y",
                Failure::DialTimeout
            )
            .resolve_error(),
            "failed to do request: Head \"http://10.0.0.1:30020/v2/x/manifests/y\": dial tcp 10.0.0.1:30020: i/o timeout"
        );
    }

    #[test]
    fn cri_and_fetch_texts() {
        assert_eq!(
            cri_resolve_error(
                ContainerdVersion::V2_1,
                "docker.io/library/nginx:latest",
                "e"
            ),
            "failed to resolve reference \"docker.io/library/nginx:latest\": e"
        );
        assert_eq!(
            cri_resolve_error(ContainerdVersion::V1_7, "i", "e"),
            "failed to pull and unpack image \"i\": failed to resolve reference \"i\": e"
        );
        let blob = FetchTarget::Blob {
            digest: "sha256:1",
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
        };
        let manifest_404 = hf("https://m/v2/x/manifests/sha256:1", Failure::Status(404));
        assert_eq!(
            fetch_error(FetchTarget::Manifest, &manifest_404),
            "content at https://m/v2/x/manifests/sha256:1 not found: not found"
        );
        assert_eq!(
            fetch_error(
                blob,
                &hf("https://m/v2/x/blobs/sha256:1", Failure::Status(404))
            ),
            "could not fetch content descriptor sha256:1 (application/vnd.oci.image.layer.v1.tar+gzip) from remote: not found"
        );
        assert_eq!(
            fetch_error(
                blob,
                &hf("https://m/v2/x/blobs/sha256:1", Failure::Status(503))
            ),
            "unexpected status code https://m/v2/x/blobs/sha256:1: 503 Service Unavailable"
        );
        assert!(
            fetch_error(blob, &hf("https://m/b", Failure::ConnectionRefused))
                .starts_with("failed to do request: Get \"https://m/b\"")
        );
    }
}
