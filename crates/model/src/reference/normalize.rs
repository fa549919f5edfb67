//! Docker Hub normalization of familiar names (`nginx` → `docker.io/library/nginx`) and the
//! way back, as distribution/reference v0.6.0 `normalize.go` and `helpers.go` do it
//! (docs/semantics.md §1.3). Both the kubelet (through `ParseImageName`) and containerd (through
//! `ParseDockerRef`) see image strings only through these rules.

use super::{Reference, ReferenceError, grammar};
use crate::go::text as go_text;

/// The domain Docker Hub names normalize to (`defaultDomain`).
pub const DEFAULT_DOMAIN: &str = "docker.io";

/// The legacy Docker Hub domain that normalizes to [`DEFAULT_DOMAIN`] (`legacyDefaultDomain`).
pub const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";

/// The namespace of Docker Hub's official images (`officialRepoPrefix`).
pub const OFFICIAL_REPO_PREFIX: &str = "library/";

/// The tag `ParseDockerRef` adds to a bare name (`defaultTag`).
pub const DEFAULT_TAG: &str = "latest";

/// The name `localhost` is always a domain when it comes before a `/`.
const LOCALHOST: &str = "localhost";

/// A familiar string split the way `splitDockerDomain` splits it. The remainder is kept as a
/// prefix (`""` or `library/`) and a slice of the input so that splitting never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DockerSplit<'a> {
    domain: &'a str,
    prefix: &'static str,
    rest: &'a str,
}

/// `splitDockerDomain`: decides whether the part before the first `/` is a registry.
///
/// With no `/`, the whole string is an official Docker Hub image. Otherwise the first part is
/// a domain when it is `localhost`, `index.docker.io` (rewritten to `docker.io`), contains `.`
/// or `:`, or is not all lowercase (Go `strings.ToLower`); if not, the whole string is a
/// Docker Hub path. A Docker Hub remainder without `/` gets `library/` in front.
fn split_docker_domain(name: &str) -> DockerSplit<'_> {
    let Some((maybe_domain, maybe_remote)) = name.split_once('/') else {
        return DockerSplit {
            domain: DEFAULT_DOMAIN,
            prefix: OFFICIAL_REPO_PREFIX,
            rest: name,
        };
    };
    let (domain, rest) = if maybe_domain == LOCALHOST {
        (maybe_domain, maybe_remote)
    } else if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN, maybe_remote)
    } else if maybe_domain.contains(['.', ':']) || !go_text::is_lowercase(maybe_domain) {
        (maybe_domain, maybe_remote)
    } else {
        (DEFAULT_DOMAIN, name)
    };
    let prefix = if domain == DEFAULT_DOMAIN && !rest.contains('/') {
        OFFICIAL_REPO_PREFIX
    } else {
        ""
    };
    DockerSplit {
        domain,
        prefix,
        rest,
    }
}

impl Reference {
    /// distribution/reference `ParseNormalizedNamed`, the parser the kubelet uses for every
    /// image string: turns a familiar name into a fully qualified reference.
    ///
    /// Steps and error precedence as upstream: a bare 64-hex string is refused first; then the
    /// string is split by `splitDockerDomain`; then the remote name (the normalized remainder up
    /// to its first `:`) must be lowercase, else
    /// `invalid reference format: repository name (<remote>) must be lowercase`; finally
    /// `Parse(domain + "/" + remainder)` decides, with its own errors.
    pub fn parse_normalized_named(s: &str) -> Result<Reference, ReferenceError> {
        if grammar::is_identifier(s) {
            return Err(ReferenceError::Identifier { name: s.to_owned() });
        }
        let split = split_docker_domain(s);
        let rest_remote = split
            .rest
            .split_once(':')
            .map_or(split.rest, |(remote, _)| remote);
        if !go_text::is_lowercase(rest_remote) {
            return Err(ReferenceError::RemoteNotLowercase {
                remote: format!("{}{rest_remote}", split.prefix),
            });
        }
        let mut repr =
            String::with_capacity(split.domain.len() + 1 + split.prefix.len() + split.rest.len());
        repr.push_str(split.domain);
        repr.push('/');
        repr.push_str(split.prefix);
        repr.push_str(split.rest);
        Reference::parse_owned(repr)
    }

    /// `FamiliarName`: the name as `docker` prints it, without `docker.io/` and, for
    /// single-level official images, without `library/`.
    pub fn familiar_name(&self) -> String {
        let (domain, path) = self.familiar_parts();
        if domain.is_empty() {
            path.to_owned()
        } else {
            format!("{domain}/{path}")
        }
    }

    /// `FamiliarString`: [`Reference::familiar_name`] followed by the tag and digest, if any.
    pub fn familiar_string(&self) -> String {
        let mut out = self.familiar_name();
        if let Some(tag) = self.tag() {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = self.digest() {
            out.push('@');
            out.push_str(&digest.to_string());
        }
        out
    }

    /// `familiarizeName`: drops the `docker.io` domain, and `library/` when what follows has no
    /// further `/` (upstream's TODO: nested official namespaces keep their prefix).
    fn familiar_parts(&self) -> (&str, &str) {
        let (domain, path) = (self.domain(), self.path());
        if domain != DEFAULT_DOMAIN {
            return (domain, path);
        }
        match path.strip_prefix(OFFICIAL_REPO_PREFIX) {
            Some(official) if !official.contains('/') => ("", official),
            _ => ("", path),
        }
    }
}

/// containerd's (distribution/reference) `ParseDockerRef`: `ParseNormalizedNamed`, then a
/// reference with both tag and digest loses its tag, and a bare name gets `:latest`. This is
/// the form containerd's CRI looks images up and pulls them by (docs/semantics.md §1.3, 1.5).
pub fn parse_docker_ref(s: &str) -> Result<Reference, ReferenceError> {
    let named = Reference::parse_normalized_named(s)?;
    Ok(match (named.tag(), named.digest()) {
        (Some(_), Some(digest)) => Reference::from_parts(
            named.name_str(),
            named.domain_end(),
            None,
            Some(digest.clone()),
        ),
        (None, None) => Reference::from_parts(
            named.name_str(),
            named.domain_end(),
            Some(DEFAULT_TAG),
            None,
        ),
        _ => named,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows: input, (domain, prefix, rest) as `splitDockerDomain` returns them.
    fn check(rows: &[(&str, (&str, &str, &str))]) {
        for (input, (domain, prefix, rest)) in rows {
            let got = split_docker_domain(input);
            assert_eq!(
                (got.domain, got.prefix, got.rest),
                (*domain, *prefix, *rest),
                "{input}"
            );
        }
    }

    #[test]
    fn split_docker_domain_rules_in_order() {
        check(&[
            ("nginx", ("docker.io", "library/", "nginx")),
            ("nginx:1.0", ("docker.io", "library/", "nginx:1.0")),
            ("localhost", ("docker.io", "library/", "localhost")),
            ("localhost/foo", ("localhost", "", "foo")),
            ("index.docker.io/nginx", ("docker.io", "library/", "nginx")),
            ("index.docker.io/a/b", ("docker.io", "", "a/b")),
            ("docker.io/nginx", ("docker.io", "library/", "nginx")),
            ("Docker.io/nginx", ("Docker.io", "", "nginx")),
            ("docker.io:5000/nginx", ("docker.io:5000", "", "nginx")),
            ("example.com/foo", ("example.com", "", "foo")),
            ("myregistry:5000/foo", ("myregistry:5000", "", "foo")),
            ("Foo/bar", ("Foo", "", "bar")),
            ("ÄB/bar", ("ÄB", "", "bar")),
            ("äb/bar", ("docker.io", "", "äb/bar")),
            ("user/repo", ("docker.io", "", "user/repo")),
            ("user/repo/x:1", ("docker.io", "", "user/repo/x:1")),
            ("/x", ("docker.io", "", "/x")),
            ("x/", ("docker.io", "", "x/")),
        ]);
    }
}
