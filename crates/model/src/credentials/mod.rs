//! Registry credentials as the kubelet finds them: docker config files and pull Secrets, the
//! keyring that indexes them, and the URL glob matching that decides which apply to an image.
//!
//! Everything here follows kubernetes `pkg/credentialprovider` (`keyring.go`, `config.go`,
//! `secrets/secrets.go`) and the Go standard library pieces it leans on (SEMANTICS.md section 4).

pub mod config;
pub mod glob;
pub mod go_base64;
pub mod go_json;
pub mod go_quote;
pub mod ip_literal;
pub mod keyring;
pub mod node_config;
pub mod pull_keyring;
pub mod secret;
pub mod url;
pub mod url_match;

pub use config::{
    ConfigError, DockerConfig, DockerConfigEntry, DockerConfigFormat, JsonSyntaxError,
    decode_auth_field, parse_docker_config, parse_docker_config_json, parse_dockercfg,
};
pub use glob::{BadPattern, glob_match};
pub use keyring::{
    AddedEntry, BasicDockerKeyring, CredentialSource, DOCKER_HUB_KEY, DeadKey, EntryOutcome,
    FiledCredential, KeyMiss, LookupExplanation, MatchReason, TrackedCredential,
    is_default_registry_match, keyring_key,
};
pub use node_config::{
    NodeConfigCandidate, NodeConfigChoice, SkipReason, SkippedNodeConfig, kubelet_search_path,
    select_node_config,
};
pub use pull_keyring::{
    PullKeyring, PullSecretError, SecretOutcome, UnionDockerKeyring, make_pull_keyring,
};
pub use secret::{
    DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_KEY, DOCKERCFG_TYPE, NotUsed,
    PayloadError, PullSecretUse, Secret, SecretError,
};
pub use url::{
    GoUrl, HostLabels, UrlError, UrlErrorReason, parse_go_url, parse_schemeless_url, split_url,
};
pub use url_match::{
    UrlMatch, UrlMatchError, explain_urls_match, explain_urls_match_str, urls_match, urls_match_str,
};
