//! Registry credentials as the kubelet finds them: docker config files and pull Secrets, the
//! keyring that indexes them, and the URL glob matching that decides which apply to an image.
//!
//! Everything here follows kubernetes `pkg/credentialprovider` (`keyring.go`, `config.go`,
//! `secrets/secrets.go`) and the Go standard library pieces it leans on (docs/semantics.md §4,
//! and 3.3 for how a pull walks the result). Error texts are Go's, word for word, wherever the
//! kubelet surfaces them.
//!
//! Module map, from documents to a lookup:
//! - [`secret`]: a pasted Secret manifest as the API server stores it, and whether the kubelet
//!   uses it as a pull secret ([`Secret::pull_use`]).
//! - [`config`]: `config.json` / `.dockercfg` documents decoded as Go's `encoding/json` would
//!   ([`parse_docker_config`]), with the `auth` field decoding.
//! - [`node_config`]: which of the node's candidate files the kubelet reads
//!   ([`select_node_config`]).
//! - [`keyring`]: `BasicDockerKeyring`: key derivation, the descending index, `lookup` with the
//!   Docker Hub fallback, and an explanation of every match and miss.
//! - [`pull_keyring`]: the keyring of one pod's pulls: pod Secrets merged in `imagePullSecrets`
//!   order, then the node ([`make_pull_keyring`]), then credential-provider plugins
//!   ([`make_pull_keyring_with_plugins`]).
//! - [`provider`]: the kubelet's exec credential-provider plugins: their configuration, the
//!   request/response protocol, the answer cache and the keyring of their answers.
//! - [`url_match`]: `URLsMatch` / `URLsMatchStr`, with the reason for each answer.
//!
//! Go standard library behaviour the rules above depend on, reproduced exactly, lives in
//! [`crate::go`] and is re-exported here under the names it always had:
//! - [`glob`]: `path/filepath.Match` on Linux.
//! - [`url`]: the `net/url.Parse` subset behind `ParseSchemelessURL` and `SplitURL`, with
//!   [`ip_literal`] (`net/netip.ParseAddr`) for bracketed hosts.
//! - [`go_base64`]: `encoding/base64` decoding with Go's error offsets.
//! - [`go_json`]: JSON in document order with Go's field folding and type errors.
//!
//! ```
//! use pullsim_model::credentials::{
//!     DockerConfigFormat, NodeConfigCandidate, Secret, make_pull_keyring, select_node_config,
//! };
//!
//! let secret = Secret::parse(
//!     "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n\
//!      type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: \
//!      '{\"auths\": {\"registry.example.com\": {\"auth\": \"dXNlcjpwYXNz\"}}}'\n",
//! )?;
//! let node_files = [NodeConfigCandidate {
//!     path: "/var/lib/kubelet/config.json".to_owned(),
//!     format: DockerConfigFormat::ConfigJson,
//!     contents: Some(br#"{"auths": {"https://index.docker.io/v1/": {"auth": "aHViOnB3"}}}"#.to_vec()),
//! }];
//! let (node, _report) = select_node_config(&node_files).keyring();
//! let keyring = make_pull_keyring(&[Some(secret)], node)?;
//!
//! let explained = keyring.explain_lookup("registry.example.com/team/app");
//! let lines: Vec<String> = explained
//!     .matches
//!     .iter()
//!     .map(|(credential, why)| format!("{} {}: {why}", credential.source, credential.username))
//!     .collect();
//! assert_eq!(
//!     lines,
//!     ["pod-secret[0] user: key \"registry.example.com\" matches: same host, \
//!       path \"\" is a prefix of \"/team/app\""]
//! );
//! let hub = keyring.lookup("docker.io/library/nginx");
//! assert_eq!(hub[0].source.to_string(), "node-config[0]");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod config;
pub mod keyring;
pub mod node_config;
pub mod provider;
pub mod pull_keyring;
pub mod secret;
pub mod url_match;

pub use crate::go::base64 as go_base64;
pub use crate::go::json as go_json;
pub use crate::go::{glob, ip_literal, url};

pub use config::{
    ConfigError, DockerConfig, DockerConfigEntry, DockerConfigFormat, decode_auth_field,
    parse_docker_config, parse_docker_config_json, parse_dockercfg,
};
pub use glob::{BadPattern, glob_match};
pub use keyring::{
    AddedEntry, BasicDockerKeyring, CredentialSource, DOCKER_HUB_KEY, DeadKey, EntryOutcome,
    FiledCredential, KeyMiss, LookupExplanation, MatchReason, ServiceAccountRef, TrackedCredential,
    is_default_registry_match, keyring_key,
};
pub use node_config::{
    NodeConfigCandidate, NodeConfigChoice, SkipReason, SkippedNodeConfig, kubelet_search_path,
    select_node_config,
};
pub use pull_keyring::{
    PullKeyring, PullSecretError, SecretOutcome, UnionDockerKeyring, make_pull_keyring,
    make_pull_keyring_with_plugins,
};
pub use secret::{
    DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_KEY, DOCKERCFG_TYPE, NotUsed,
    PayloadError, PullSecretUse, Secret, SecretError, SecretManifest, SecretMetadata,
};
pub use url::{
    GoUrl, HostLabels, UrlError, UrlErrorReason, parse_go_url, parse_schemeless_url, split_url,
};
pub use url_match::{
    UrlMatch, UrlMatchError, explain_urls_match, explain_urls_match_str, urls_match, urls_match_str,
};
