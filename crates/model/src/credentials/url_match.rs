//! The kubelet's URL glob matching between a keyring key and an image: the rule that decides
//! which credentials apply to which images (docs/semantics.md §4.3).
//!
//! Upstream: kubernetes `pkg/credentialprovider/keyring.go` (`URLsMatch`, `URLsMatchStr`) and its
//! `keyring_test.go` (`TestURLsMatch`). The checks run in Go's order, because the order decides
//! whether a malformed label pattern is reported: ports must be equal strings, the hosts must have
//! as many `.`-separated labels, the target path must start with the glob path (a plain string
//! prefix), and then each label is matched with [`glob_match`] from left to right, stopping at the
//! first label that does not match. Matching is case-sensitive and a missing port never equals an
//! explicit one (`""` is not `"443"`).

use std::fmt;

use thiserror::Error;

use crate::go::glob::{BadPattern, glob_match};
use crate::go::text::quote as go_quote;
use crate::go::url::{GoUrl, UrlError, host_and_port, parse_schemeless_url, split_url};

/// Why `URLsMatchStr` failed; displays as the Go error it returns.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlMatchError {
    /// The glob (a keyring key) does not parse as a URL.
    #[error(transparent)]
    Glob(UrlError),
    /// The target (an image's repository name) does not parse as a URL.
    #[error(transparent)]
    Target(UrlError),
    /// A host label of the glob is a malformed pattern (`filepath.ErrBadPattern`).
    #[error(transparent)]
    Pattern(BadPattern),
}

/// The outcome of comparing a glob URL with a target URL, with the first reason it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlMatch {
    /// Every check passed.
    Matched {
        /// The glob's host as written (`*.example.com:5000`).
        glob_host: String,
        /// The target's host.
        target_host: String,
        /// The glob's path, a prefix of the target path.
        glob_path: String,
        /// The target's path.
        target_path: String,
    },
    /// The ports differ as strings.
    PortDiffers {
        /// The glob's port (`""` when none).
        glob_port: String,
        /// The target's port (`""` when none).
        target_port: String,
    },
    /// The hosts have different numbers of `.`-separated labels.
    LabelCountDiffers {
        /// Labels in the glob host.
        glob_labels: usize,
        /// Labels in the target host.
        target_labels: usize,
    },
    /// The glob path is not a string prefix of the target path.
    PathNotPrefix {
        /// The glob's path.
        glob_path: String,
        /// The target's path.
        target_path: String,
    },
    /// A host label does not match its pattern.
    LabelDiffers {
        /// The glob label (a pattern).
        glob_label: String,
        /// The target label it was compared with.
        target_label: String,
    },
}

impl UrlMatch {
    /// Whether the URLs matched.
    pub fn is_match(&self) -> bool {
        matches!(self, UrlMatch::Matched { .. })
    }
}

/// Says in words why the URLs matched or not, for `pullsim creds` to print.
impl fmt::Display for UrlMatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlMatch::Matched {
                glob_host,
                target_host,
                glob_path,
                target_path,
            } => {
                if glob_host == target_host {
                    write!(f, "same host")?;
                } else {
                    write!(
                        f,
                        "host {} matches {} label by label",
                        go_quote(glob_host),
                        go_quote(target_host)
                    )?;
                }
                write!(
                    f,
                    ", path {} is a prefix of {}",
                    go_quote(glob_path),
                    go_quote(target_path)
                )
            }
            UrlMatch::PortDiffers {
                glob_port,
                target_port,
            } => write!(
                f,
                "port {} is not {} (ports must be equal strings)",
                go_quote(target_port),
                go_quote(glob_port)
            ),
            UrlMatch::LabelCountDiffers {
                glob_labels,
                target_labels,
            } => write!(
                f,
                "the key's host has {glob_labels} dot-separated labels, the image's has {target_labels}"
            ),
            UrlMatch::PathNotPrefix {
                glob_path,
                target_path,
            } => write!(
                f,
                "path {} does not start with {}",
                go_quote(target_path),
                go_quote(glob_path)
            ),
            UrlMatch::LabelDiffers {
                glob_label,
                target_label,
            } => write!(
                f,
                "label {} does not match pattern {}",
                go_quote(target_label),
                go_quote(glob_label)
            ),
        }
    }
}

/// The kubelet's `URLsMatch(globURL, targetURL)` with the reason for its answer.
/// Errors only when a glob label that is reached is a malformed pattern.
pub fn explain_urls_match(glob: &GoUrl, target: &GoUrl) -> Result<UrlMatch, BadPattern> {
    let glob_split = split_url(glob);
    let target_split = split_url(target);
    if glob_split.port != target_split.port {
        return Ok(UrlMatch::PortDiffers {
            glob_port: glob_split.port.to_owned(),
            target_port: target_split.port.to_owned(),
        });
    }
    if glob_split.labels.len() != target_split.labels.len() {
        return Ok(UrlMatch::LabelCountDiffers {
            glob_labels: glob_split.labels.len(),
            target_labels: target_split.labels.len(),
        });
    }
    if !target.path.starts_with(&glob.path) {
        return Ok(UrlMatch::PathNotPrefix {
            glob_path: glob.path.clone(),
            target_path: target.path.clone(),
        });
    }
    for (glob_label, target_label) in glob_split.labels.iter().zip(&target_split.labels) {
        if !glob_match(glob_label, target_label)? {
            return Ok(UrlMatch::LabelDiffers {
                glob_label: (*glob_label).to_owned(),
                target_label: (*target_label).to_owned(),
            });
        }
    }
    Ok(UrlMatch::Matched {
        glob_host: glob.host.clone(),
        target_host: target.host.clone(),
        glob_path: glob.path.clone(),
        target_path: target.path.clone(),
    })
}

/// The kubelet's `URLsMatch(globURL, targetURL)`: whether `target` matches the glob URL.
///
/// The same checks in the same order as [`explain_urls_match`] (a proptest holds them
/// together), without allocating: keyring lookups run this for every key.
pub fn urls_match(glob: &GoUrl, target: &GoUrl) -> Result<bool, BadPattern> {
    let (glob_host, glob_port) = host_and_port(glob);
    let (target_host, target_port) = host_and_port(target);
    if glob_port != target_port
        || glob_host.split('.').count() != target_host.split('.').count()
        || !target.path.starts_with(&glob.path)
    {
        return Ok(false);
    }
    for (glob_label, target_label) in glob_host.split('.').zip(target_host.split('.')) {
        if !glob_match(glob_label, target_label)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The kubelet's `URLsMatchStr(glob, target)`: both sides parsed with `ParseSchemelessURL`
/// (glob first), then [`explain_urls_match`].
pub fn explain_urls_match_str(glob: &str, target: &str) -> Result<UrlMatch, UrlMatchError> {
    let glob = parse_schemeless_url(glob).map_err(UrlMatchError::Glob)?;
    let target = parse_schemeless_url(target).map_err(UrlMatchError::Target)?;
    explain_urls_match(&glob, &target).map_err(UrlMatchError::Pattern)
}

/// The kubelet's `URLsMatchStr(glob, target)`. `Lookup` treats an error as "no match".
pub fn urls_match_str(glob: &str, target: &str) -> Result<bool, UrlMatchError> {
    explain_urls_match_str(glob, target).map(|verdict| verdict.is_match())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rows: &[(&str, &str, bool)]) {
        for (glob, target, expected) in rows {
            let got = urls_match_str(glob, target);
            assert_eq!(got, Ok(*expected), "URLsMatchStr({glob:?}, {target:?})");
        }
    }

    /// Every row of `TestURLsMatch` in kubernetes `pkg/credentialprovider/keyring_test.go`
    /// (mainline, which adds the `*kubernetes.io` and `*.*.*.kubernetes.io` rows to the 15 in
    /// docs/semantics.md §4.3).
    #[test]
    fn upstream_test_urls_match() {
        check(&[
            ("*.kubernetes.io", "prefix.kubernetes.io", true),
            ("prefix.*.io", "prefix.kubernetes.io", true),
            ("prefix.kubernetes.*", "prefix.kubernetes.io", true),
            ("*-good.kubernetes.io", "prefix-good.kubernetes.io", true),
            ("*.kubernetes.io/blah", "prefix.kubernetes.io/blah", true),
            ("prefix.*.io/foo", "prefix.kubernetes.io/foo/bar", true),
            (
                "*.kubernetes.io:1111/blah",
                "prefix.kubernetes.io:1111/blah",
                true,
            ),
            (
                "prefix.*.io:1111/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                true,
            ),
            ("*.kubernetes.io", "kubernetes.io", false),
            ("*.*.kubernetes.io", "prefix.kubernetes.io", false),
            ("*.*.kubernetes.io", "kubernetes.io", false),
            ("*kubernetes.io", "a.kubernetes.io", false),
            ("*kubernetes.io", "kubernetes.io", true),
            ("*.*.*.kubernetes.io", "a.b.c.kubernetes.io", true),
            ("kubernetes.io", "kubernetes.com", false),
            ("k*.io", "quay.io", false),
            (
                "*.kubernetes.io:1234/blah",
                "prefix.kubernetes.io:1111/blah",
                false,
            ),
            (
                "prefix.*.io/foo",
                "prefix.kubernetes.io:1111/foo/bar",
                false,
            ),
        ]);
    }

    /// The consequences docs/semantics.md §4.3 spells out: string ports, string path prefixes,
    /// case-sensitive labels, globs confined to one label.
    #[test]
    fn semantics_consequences() {
        check(&[
            ("registry.io", "registry.io:443/x", false),
            ("registry.io:443", "registry.io/x", false),
            ("registry.io/foo", "registry.io/foobar", true),
            ("registry.io/foo/", "registry.io/foo", false),
            ("Registry.io", "registry.io/x", false),
            ("*.io", "a.b.io/x", false),
            ("registry.io", "registry.io/anything/deep", true),
            ("[::1]:5000", "[::1]:5000/x", true),
            ("reg?stry.io", "registry.io", false),
        ]);
    }

    #[test]
    fn errors_are_the_go_errors() {
        assert_eq!(
            urls_match_str("reg[istry.io", "registry.io").map_err(|e| e.to_string()),
            Err("parse \"https://reg[istry.io\": invalid IP-literal".to_owned())
        );
        assert_eq!(
            urls_match_str("registry.io", "bad host/x").map_err(|e| e.to_string()),
            Err("parse \"https://bad host/x\": invalid character \" \" in host name".to_owned())
        );
        // `[::ffff:1.2.3.4]` parses but its first label `[::ffff:1` is an unclosed class.
        assert_eq!(
            urls_match_str("[::ffff:1.2.3.4]", "a.b.c.d"),
            Err(UrlMatchError::Pattern(BadPattern))
        );
        assert_eq!(
            urls_match_str("[::ffff:1.2.3.4]", "a.b.c.d").map_err(|e| e.to_string()),
            Err("syntax error in pattern".to_owned())
        );
        // Ports, label counts and paths are compared first: a difference there hides the error.
        assert_eq!(urls_match_str("[::ffff:1.2.3.4]", "a.b.c"), Ok(false));
        assert_eq!(urls_match_str("[::ffff:1.2.3.4]:80", "a.b.c.d"), Ok(false));
        assert_eq!(
            urls_match_str("x.[a", "y.b"),
            Err(UrlMatchError::Glob(
                parse_schemeless_url("x.[a").unwrap_err()
            ))
        );
    }

    #[test]
    fn explanations_read_well() {
        let rows: &[(&str, &str, &str)] = &[
            (
                "registry.example.com",
                "registry.example.com/team/app",
                "same host, path \"\" is a prefix of \"/team/app\"",
            ),
            (
                "*.example.com/team",
                "a.example.com/team/app",
                "host \"*.example.com\" matches \"a.example.com\" label by label, path \"/team\" is a prefix of \"/team/app\"",
            ),
            (
                "registry.io:5000",
                "registry.io/x",
                "port \"\" is not \"5000\" (ports must be equal strings)",
            ),
            (
                "*.example.com",
                "example.com/x",
                "the key's host has 3 dot-separated labels, the image's has 2",
            ),
            (
                "registry.io/foo/",
                "registry.io/foo",
                "path \"/foo\" does not start with \"/foo/\"",
            ),
            (
                "k*.io",
                "quay.io/x",
                "label \"quay\" does not match pattern \"k*\"",
            ),
        ];
        for (glob, target, text) in rows {
            let verdict = explain_urls_match_str(glob, target).expect("both parse");
            assert_eq!(verdict.to_string(), *text, "{glob:?} vs {target:?}");
        }
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary text never panics the URL parser or the matcher, and a URL always matches
        /// itself unless one of its labels is a malformed pattern or has glob metacharacters.
        #[test]
        fn any_text_is_handled(glob in "\\PC{0,24}", target in "[a-z0-9.:/\\[\\]*?%@#-]{0,24}") {
            let _ = urls_match_str(&glob, &target);
            // The fast matcher and the explaining one agree, errors included.
            if let (Ok(glob), Ok(target)) = (parse_schemeless_url(&glob), parse_schemeless_url(&target)) {
                prop_assert_eq!(
                    urls_match(&glob, &target),
                    explain_urls_match(&glob, &target).map(|verdict| verdict.is_match())
                );
            }
            if let Ok(verdict) = explain_urls_match_str(&target, &target)
                && !target.contains(['*', '?', '[', ']'])
            {
                prop_assert!(verdict.is_match(), "{} vs itself: {}", target, verdict);
            }
        }

        /// On keys and images shaped like real ones (globbed labels, ports, paths), where most
        /// pairs get past the early checks, the fast matcher agrees with the explaining one.
        #[test]
        fn fast_and_explaining_matchers_agree(
            glob in "[a-c*\\[\\]]{1,3}(\\.[a-c*]{1,3}){0,2}(:[0-9]{0,2})?(/[a-c/]{0,4})?",
            target in "[a-c]{1,3}(\\.[a-c]{1,3}){0,2}(:[0-9]{0,2})?(/[a-c/]{0,4})?",
        ) {
            if let (Ok(glob), Ok(target)) = (parse_schemeless_url(&glob), parse_schemeless_url(&target)) {
                prop_assert_eq!(
                    urls_match(&glob, &target),
                    explain_urls_match(&glob, &target).map(|verdict| verdict.is_match())
                );
            }
        }
    }
}
