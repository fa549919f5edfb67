//! What a failed pull attempt ran into, in a few words, when the registry (not the
//! credential) is the reason: a transcript line `anonymous: failed` during an outage reads
//! like an authentication problem, while containerd's error says the registry answered 503.
//!
//! Read from containerd's error text as the simulator writes it (`containerd/resolver.rs`,
//! `containerd/runtime.rs`), so it is exactly what `kubectl describe` would show, shortened:
//!
//! - `unexpected status from HEAD request to https://HOST/v2/.../manifests/...: 503 Service
//!   Unavailable` → `HOST answered 503 Service Unavailable to HEAD manifest` (401 and 403
//!   stay credential failures);
//! - `dial tcp HOST:443: connect: connection refused` → `HOST refused the connection`;
//! - `failed to resolve reference "REF": REF: not found` → `REF not found`.
//!
//! Anything else (a refused credential, a digest mismatch) is the credential line's own
//! `failed`.

/// The registry's part in a failed attempt, or `None` when it reads as the credential's.
pub fn registry_failure(error: &str) -> Option<String> {
    if let Some(rest) = after(error, "unexpected status from ") {
        let (method, rest) = rest.split_once(" request to ")?;
        let (url, status) = rest.split_once(": ")?;
        if status.starts_with("401") || status.starts_with("403") {
            return None;
        }
        let path_start = url.find("://").map_or(0, |at| at + 3);
        let (host, path) = url[path_start..]
            .split_once('/')
            .unwrap_or((&url[path_start..], ""));
        let kind = if path.contains("/manifests/") {
            "manifest"
        } else if path.contains("/blobs/") {
            "blob"
        } else {
            "request"
        };
        return Some(format!("{host} answered {status} to {method} {kind}"));
    }
    if let Some(rest) = after(error, "dial tcp ")
        && let Some((address, _)) = rest.split_once(": connect: connection refused")
    {
        let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
        return Some(format!("{host} refused the connection"));
    }
    if error.ends_with(": not found")
        && let Some(rest) = after(error, "failed to resolve reference \"")
        && let Some((reference, _)) = rest.split_once('"')
    {
        return Some(format!("{reference} not found"));
    }
    None
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|at| &text[at + marker.len()..])
}

#[cfg(test)]
mod tests {
    use super::registry_failure;

    #[test]
    fn the_registrys_part_is_named_and_a_credentials_is_not() {
        let image = "failed to pull and unpack image \"registry.example.com/app:v1\": failed to resolve reference \"registry.example.com/app:v1\": ";
        let cases = [
            (
                format!("{image}unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/v1: 503 Service Unavailable"),
                Some("registry.example.com answered 503 Service Unavailable to HEAD manifest"),
            ),
            (
                "failed to pull and unpack image \"r.example.com:5000/app:v1\": failed to copy: httpReadSeeker: failed open: unexpected status from GET request to https://r.example.com:5000/v2/app/blobs/sha256:ab: 500 Internal Server Error".to_owned(),
                Some("r.example.com:5000 answered 500 Internal Server Error to GET blob"),
            ),
            (
                format!("{image}failed to do request: Head \"https://registry.example.com/v2/app/manifests/v1\": dial tcp registry.example.com:443: connect: connection refused"),
                Some("registry.example.com refused the connection"),
            ),
            (
                format!("{image}registry.example.com/app:v1: not found"),
                Some("registry.example.com/app:v1 not found"),
            ),
            (
                format!("{image}unexpected status from HEAD request to https://registry.example.com/v2/app/manifests/v1: 401 Unauthorized"),
                None,
            ),
            (
                format!("{image}pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"),
                None,
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(registry_failure(&error).as_deref(), expected, "{error}");
        }
    }
}
