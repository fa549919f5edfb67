//! The kubelet's `BasicDockerKeyring`: credentials filed under keys derived from docker config
//! locations, and the lookup that picks every credential whose key matches an image
//! (docs/semantics.md §4.2 and 4.3).
//!
//! Upstream: kubernetes `pkg/credentialprovider/keyring.go` (`Add`, `Lookup`,
//! `isDefaultRegistryMatch`) and `keyring_test.go`. Rules kept:
//! - key derivation: `https://` is prefixed unless the location starts with `https://` or
//!   `http://`; a location `url.Parse` rejects is ignored (the kubelet logs `Entry %q in dockercfg
//!   invalid (%v), ignoring`); a path starting `/v1/` or `/v2/` loses its first three characters;
//!   the key is host + path, or the host alone when that path is empty or `/`;
//! - only username, password and email are kept (`auth` was already decoded into them);
//! - credentials under one key keep insertion order; after every `add` the index is de-duplicated
//!   and sorted in descending byte order, so longer, more specific keys come first;
//! - `lookup` walks the whole index and appends every credential of every key that
//!   `URLsMatchStr(key, image)` accepts (a pattern error counts as no match); only when nothing
//!   matched, an image on the default registry gets the credentials of the exact key
//!   `index.docker.io`.

use std::collections::BTreeMap;
use std::fmt;

use super::config::{DockerConfig, DockerConfigEntry};
use super::url_match::{UrlMatch, UrlMatchError, explain_urls_match, urls_match};
use crate::go::glob::glob_match;
use crate::go::text::quote as go_quote;
use crate::go::url::{GoUrl, UrlError, parse_go_url, parse_schemeless_url, split_url};

/// The key the kubelet files Docker Hub credentials under (`defaultRegistryHost`); the usual
/// config location `https://index.docker.io/v1/` derives it.
pub const DOCKER_HUB_KEY: &str = "index.docker.io";

/// Where a credential came from, in the kubelet's order of trust.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CredentialSource {
    /// A Secret named in the pod's `spec.imagePullSecrets`.
    PodSecret {
        /// Position of the Secret in `imagePullSecrets`.
        index: usize,
        /// The Secret's namespace (the pod's).
        namespace: String,
        /// The Secret's name.
        name: String,
        /// The Secret's `metadata.uid`, when known (KEP-2535 records it).
        uid: Option<String>,
    },
    /// A docker config file on the node.
    NodeConfig {
        /// Position of the file in the node's list of config files.
        index: usize,
    },
    /// A credential-provider plugin's answer (docs/credential-providers.md).
    Plugin {
        /// The provider's `name` in the kubelet's `CredentialProviderConfig`.
        provider: String,
        /// The service account whose token the plugin was given, when it was given one
        /// (KEP-4412); `None` for a node-level answer.
        service_account: Option<ServiceAccountRef>,
    },
}

/// The service account a plugin answered for (upstream's `ServiceAccountCoordinates`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceAccountRef {
    /// The pod's (and the service account's) namespace.
    pub namespace: String,
    /// The service account's name.
    pub name: String,
    /// The service account's `metadata.uid`.
    pub uid: String,
}

/// Prints `pod-secret[0]`, `node-config[0]` or `plugin[NAME]`, the form transcripts use.
impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::PodSecret { index, .. } => write!(f, "pod-secret[{index}]"),
            CredentialSource::NodeConfig { index } => write!(f, "node-config[{index}]"),
            CredentialSource::Plugin { provider, .. } => write!(f, "plugin[{provider}]"),
        }
    }
}

/// A credential as lookup returns it: the kubelet's `TrackedAuthConfig` with the key that matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedCredential {
    /// User name sent to the registry.
    pub username: String,
    /// Password sent to the registry.
    pub password: String,
    /// E-mail from the config (never sent).
    pub email: String,
    /// The keyring key that matched the image (`index.docker.io` for the Docker Hub fallback).
    pub key: String,
    /// Where the credential came from.
    pub source: CredentialSource,
}

/// One credential filed in the keyring, with the config location it was written under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledCredential {
    /// The credential itself (username, password, email only).
    pub entry: DockerConfigEntry,
    /// Where it came from.
    pub source: CredentialSource,
    /// The config key as written (`https://index.docker.io/v1/`).
    pub location: String,
}

/// What `add` did with one config entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    /// Filed under `key`; `warning` says when that key can never match any image.
    Filed {
        /// The derived keyring key.
        key: String,
        /// Why the key is dead, if it is.
        warning: Option<DeadKey>,
    },
    /// Not filed: the location does not parse as a URL (the kubelet logs and ignores it).
    Ignored(UrlError),
}

/// Why a filed key can never match an image, so a CLI can warn about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadKey {
    /// The key has no host (an empty location, or `https:///path`).
    EmptyHost,
    /// A host label is not a valid pattern, so `URLsMatchStr` fails for every image.
    BadPattern(String),
    /// The key itself does not parse as a URL (its decoded path holds a stray `%`), so
    /// `URLsMatchStr` fails for every image.
    Unparseable(UrlError),
}

/// One config entry and what `add` did with it, in config order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedEntry {
    /// The config key as written.
    pub location: String,
    /// Filed or ignored.
    pub outcome: EntryOutcome,
}

/// Says `entry "X" ignored: <error>` or `entry "X" filed under key "Y"`, for CLIs.
impl fmt::Display for AddedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            EntryOutcome::Ignored(error) => {
                write!(f, "entry {} ignored: {error}", go_quote(&self.location))
            }
            EntryOutcome::Filed { key, warning } => {
                write!(
                    f,
                    "entry {} filed under key {}",
                    go_quote(&self.location),
                    go_quote(key)
                )?;
                match warning {
                    None => Ok(()),
                    Some(DeadKey::EmptyHost) => write!(f, " (no host: matches no image)"),
                    Some(DeadKey::BadPattern(label)) => write!(
                        f,
                        " (label {} is not a valid pattern: matches no image)",
                        go_quote(label)
                    ),
                    Some(DeadKey::Unparseable(error)) => {
                        write!(f, " (the key does not parse: {error}: matches no image)")
                    }
                }
            }
        }
    }
}

/// The kubelet's key for a config location (`BasicDockerKeyring.Add`, docs/semantics.md §4.2).
pub fn keyring_key(location: &str) -> Result<String, UrlError> {
    let with_scheme = if location.starts_with("https://") || location.starts_with("http://") {
        location.to_owned()
    } else {
        format!("https://{location}")
    };
    let parsed = parse_go_url(&with_scheme)?;
    let path = parsed.path.as_str();
    // Docker treats /v1/ and /v2/ as the registry root; Go drops the first three bytes.
    let effective_path = if path.starts_with("/v2/") || path.starts_with("/v1/") {
        path.get(3..).unwrap_or_default()
    } else {
        path
    };
    Ok(if effective_path.is_empty() || effective_path == "/" {
        parsed.host
    } else {
        format!("{}{effective_path}", parsed.host)
    })
}

/// Whether a key can ever match an image, and why not.
fn dead_key(key: &str) -> Option<DeadKey> {
    // Lookup re-parses every key; one that does not re-parse can never match.
    let url = match parse_schemeless_url(key) {
        Ok(url) => url,
        Err(error) => return Some(DeadKey::Unparseable(error)),
    };
    if url.host.is_empty() {
        return Some(DeadKey::EmptyHost);
    }
    split_url(&url)
        .labels
        .into_iter()
        .find(|label| glob_match(label, "").is_err())
        .map(|label| DeadKey::BadPattern(label.to_owned()))
}

/// The kubelet's `isDefaultRegistryMatch(image)`: whether an image name (already normalised or
/// not) pulls from Docker Hub by the old Docker rule. True when there is no `/`, when the first
/// component is `docker.io` or `index.docker.io`, or when it has neither `.` nor `:` — so
/// `localhost/x` and `Foo/bar` count as Docker Hub (a quirk kept on purpose).
pub fn is_default_registry_match(image: &str) -> bool {
    let (first, rest) = match image.split_once('/') {
        Some((first, rest)) => (first, Some(rest)),
        None => (image, None),
    };
    if first.is_empty() {
        return false;
    }
    if rest.is_none() || first == "docker.io" || first == "index.docker.io" {
        return true;
    }
    !first.contains(['.', ':'])
}

/// Why a credential was returned for an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchReason {
    /// Its key matched the image by `URLsMatchStr`.
    Key {
        /// The key.
        key: String,
        /// The comparison that succeeded.
        verdict: UrlMatch,
    },
    /// Nothing matched, the image is on the default registry and the key `index.docker.io` exists.
    DockerHubFallback {
        /// The image looked up.
        image: String,
    },
}

impl fmt::Display for MatchReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatchReason::Key { key, verdict } => {
                write!(f, "key {} matches: {verdict}", go_quote(key))
            }
            MatchReason::DockerHubFallback { image } => write!(
                f,
                "Docker Hub fallback: key {} and image {} is a default-registry image",
                go_quote(DOCKER_HUB_KEY),
                go_quote(image)
            ),
        }
    }
}

/// A key that did not match, with the reason (or the error `URLsMatchStr` gave).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMiss {
    /// The key.
    pub key: String,
    /// The failed comparison, or the error that the kubelet treats as no match.
    pub verdict: Result<UrlMatch, UrlMatchError>,
}

impl fmt::Display for KeyMiss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.verdict {
            Ok(verdict) => write!(f, "key {} does not match: {verdict}", go_quote(&self.key)),
            Err(error) => write!(
                f,
                "key {} does not match: {error} (treated as no match)",
                go_quote(&self.key)
            ),
        }
    }
}

/// A lookup with its reasons: the credentials in order, each with why, and the keys that missed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LookupExplanation {
    /// The credentials the kubelet would try, in order, each with the reason it applies.
    pub matches: Vec<(TrackedCredential, MatchReason)>,
    /// The keys that did not match, in index order.
    pub misses: Vec<KeyMiss>,
}

impl LookupExplanation {
    /// The credentials alone, in order.
    pub fn credentials(&self) -> Vec<TrackedCredential> {
        self.matches.iter().map(|(c, _)| c.clone()).collect()
    }
}

/// The kubelet's `BasicDockerKeyring`: an index of keys sorted descending and the credentials
/// filed under each key in insertion order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BasicDockerKeyring {
    index: Vec<String>,
    credentials: BTreeMap<String, Vec<FiledCredential>>,
    /// `index[i]` parsed once as the glob URL `URLsMatchStr` would parse it on every lookup;
    /// the answers are the same, and lookups stop re-parsing every key.
    globs: Vec<Result<GoUrl, UrlError>>,
}

impl BasicDockerKeyring {
    /// An empty keyring.
    pub fn new() -> BasicDockerKeyring {
        BasicDockerKeyring::default()
    }

    /// Files every entry of `config` (in the config's order) with `source`, then re-sorts the
    /// index; returns what happened to each entry.
    pub fn add(&mut self, source: &CredentialSource, config: &DockerConfig) -> Vec<AddedEntry> {
        let mut report = Vec::with_capacity(config.len());
        for (location, entry) in config.entries() {
            let outcome = match keyring_key(location) {
                Ok(key) => {
                    self.credentials
                        .entry(key.clone())
                        .or_default()
                        .push(FiledCredential {
                            entry: entry.clone(),
                            source: source.clone(),
                            location: location.clone(),
                        });
                    self.index.push(key.clone());
                    EntryOutcome::Filed {
                        warning: dead_key(&key),
                        key,
                    }
                }
                Err(error) => EntryOutcome::Ignored(error),
            };
            report.push(AddedEntry {
                location: location.clone(),
                outcome,
            });
        }
        self.index
            .sort_unstable_by(|a, b| b.as_bytes().cmp(a.as_bytes()));
        self.index.dedup();
        self.globs = self
            .index
            .iter()
            .map(|key| parse_schemeless_url(key))
            .collect();
        report
    }

    /// The keys in lookup order (descending byte order, no duplicates).
    pub fn index(&self) -> &[String] {
        &self.index
    }

    /// The credentials filed under exactly `key`, in insertion order.
    pub fn filed(&self, key: &str) -> &[FiledCredential] {
        self.credentials.get(key).map_or(&[], Vec::as_slice)
    }

    /// Whether nothing is filed.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The kubelet's `Lookup(image)` for a normalised repository name such as
    /// `docker.io/library/nginx`: every matching credential in index order.
    ///
    /// The same answer as [`BasicDockerKeyring::explain_lookup`] without building the
    /// explanation; this is the simulator's hot path.
    pub fn lookup(&self, image: &str) -> Vec<TrackedCredential> {
        let mut found = Vec::new();
        if let Ok(target) = parse_schemeless_url(image) {
            for (key, glob) in self.index.iter().zip(&self.globs) {
                let Ok(glob) = glob else { continue };
                if urls_match(glob, &target) == Ok(true) {
                    found.extend(self.filed(key).iter().map(|filed| tracked(filed, key)));
                }
            }
        }
        if found.is_empty() && is_default_registry_match(image) {
            found.extend(
                self.filed(DOCKER_HUB_KEY)
                    .iter()
                    .map(|filed| tracked(filed, DOCKER_HUB_KEY)),
            );
        }
        found
    }

    /// [`BasicDockerKeyring::lookup`] with the reason for every credential and every miss.
    pub fn explain_lookup(&self, image: &str) -> LookupExplanation {
        let mut explanation = LookupExplanation::default();
        // `URLsMatchStr` parses the glob first, then the target, for every key; parsing each
        // once gives the same verdicts, errors included.
        let target = parse_schemeless_url(image);
        for (key, glob) in self.index.iter().zip(&self.globs) {
            let verdict = match (glob, &target) {
                (Ok(glob), Ok(target)) => {
                    explain_urls_match(glob, target).map_err(UrlMatchError::Pattern)
                }
                (Err(error), _) => Err(UrlMatchError::Glob(error.clone())),
                (Ok(_), Err(error)) => Err(UrlMatchError::Target(error.clone())),
            };
            match verdict {
                Ok(verdict) if verdict.is_match() => {
                    for filed in self.filed(key) {
                        explanation.matches.push((
                            tracked(filed, key),
                            MatchReason::Key {
                                key: key.clone(),
                                verdict: verdict.clone(),
                            },
                        ));
                    }
                }
                verdict => explanation.misses.push(KeyMiss {
                    key: key.clone(),
                    verdict,
                }),
            }
        }
        if explanation.matches.is_empty() && is_default_registry_match(image) {
            for filed in self.filed(DOCKER_HUB_KEY) {
                explanation.matches.push((
                    tracked(filed, DOCKER_HUB_KEY),
                    MatchReason::DockerHubFallback {
                        image: image.to_owned(),
                    },
                ));
            }
        }
        explanation
    }
}

fn tracked(filed: &FiledCredential, key: &str) -> TrackedCredential {
    TrackedCredential {
        username: filed.entry.username.clone(),
        password: filed.entry.password.clone(),
        email: filed.entry.email.clone(),
        key: key.to_owned(),
        source: filed.source.clone(),
    }
}

#[cfg(test)]
mod tests;
