//! The kubelet's `CredentialProviderConfig` (the file named by
//! `--image-credential-provider-config`): read with the kubelet's strict decoding, merged from a
//! directory, and validated with its messages (docs/credential-providers.md §1).
//!
//! Upstream (Kubernetes 1.34, the newest with `tokenAttributes.cacheType`):
//! `pkg/credentialprovider/plugin/config.go` (`readCredentialProviderConfig`, `decode`,
//! `validateCredentialProviderConfig`, `validateServiceAccountAnnotationKeys`) and its
//! `config_test.go`; the types in `pkg/kubelet/apis/config/types.go` and
//! `pkg/kubelet/apis/config/v1/types.go` (`CredentialProviderConfig`, `CredentialProvider`,
//! `ExecEnvVar`, `ServiceAccountTokenAttributes`).
//!
//! Reading is in three steps, as the kubelet's: [`decode_credential_provider_config`] (one file:
//! group, version and kind, then strict decoding), [`merge_configs`] (the files of a directory in
//! lexicographic order, a provider name at most once), then validation; the result is the typed
//! [`CredentialProviderConfig`]. [`parse_credential_provider_config`] does all three for one file.

mod decode;
#[cfg(test)]
mod tests;
mod validate;

use std::fmt;
use std::time::Duration;

use crate::credentials::url_match::{UrlMatch, explain_urls_match_str, urls_match_str};
use crate::document::DocumentError;
use crate::go::text::quote;

pub use super::document::Position;
pub use decode::{
    CONFIG_GROUP, CONFIG_KIND, CONFIG_VERSIONS, DecodedConfig, decode_credential_provider_config,
};
pub use validate::{FieldError, FieldErrorKind, aggregate};

/// The API versions of the plugin protocol a provider may name in `apiVersion`, as the
/// kubelet's `apiVersions` map lists them (sorted, the order its messages print).
pub const PROTOCOL_VERSIONS: [&str; 3] = [
    "credentialprovider.kubelet.k8s.io/v1",
    "credentialprovider.kubelet.k8s.io/v1alpha1",
    "credentialprovider.kubelet.k8s.io/v1beta1",
];

/// The one protocol version that may carry service-account tokens (`tokenAttributes`).
pub const PROTOCOL_V1: &str = "credentialprovider.kubelet.k8s.io/v1";

/// The kubelet's merged and validated credential-provider configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CredentialProviderConfig {
    /// The providers, in file order (and, for a directory, file name order).
    pub providers: Vec<CredentialProvider>,
}

/// One plugin: `CredentialProvider`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProvider {
    /// `name`: the executable's name in `--image-credential-provider-bin-dir`.
    pub name: String,
    /// `matchImages`: the globs an image must match for the plugin to be asked.
    pub match_images: Vec<String>,
    /// `defaultCacheDuration`: how long an answer is cached when it gives no `cacheDuration`.
    pub default_cache_duration: Duration,
    /// `apiVersion`: the protocol version of the request the kubelet writes and of the
    /// response it accepts.
    pub api_version: String,
    /// `args`: arguments passed to the executable.
    pub args: Vec<String>,
    /// `env`: environment variables added to the kubelet's own.
    pub env: Vec<ExecEnvVar>,
    /// `tokenAttributes`: the plugin receives the pod's service-account token.
    pub token_attributes: Option<TokenAttributes>,
}

/// `ExecEnvVar`: one environment variable for the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecEnvVar {
    /// The variable's name.
    pub name: String,
    /// Its value.
    pub value: String,
}

/// `ServiceAccountTokenAttributes` (KEP-4412, `kubelet.config.k8s.io/v1` only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenAttributes {
    /// `serviceAccountTokenAudience`: the audience of the token the kubelet requests.
    pub service_account_token_audience: String,
    /// `requireServiceAccount`: a pod without a service account gets no credentials from
    /// this plugin (it is not asked); when false, such a pod's request carries no token.
    pub require_service_account: bool,
    /// `requiredServiceAccountAnnotationKeys`: annotations the service account must have
    /// (else the plugin is not asked); their values go in the request.
    pub required_service_account_annotation_keys: Vec<String>,
    /// `optionalServiceAccountAnnotationKeys`: annotations passed when present.
    pub optional_service_account_annotation_keys: Vec<String>,
    /// `cacheType`: whether answers are cached per service account or per token.
    pub cache_type: ServiceAccountTokenCacheType,
}

/// `ServiceAccountTokenCacheType`, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceAccountTokenCacheType {
    /// `ServiceAccount`: one cache entry per service account (namespace, name, UID and the
    /// annotations passed).
    ServiceAccount,
    /// `Token`: one cache entry per token (the key adds the token's hash); the only type
    /// under which a plugin may hand the token itself back as the password.
    Token,
}

impl ServiceAccountTokenCacheType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceAccountTokenCacheType::ServiceAccount => "ServiceAccount",
            ServiceAccountTokenCacheType::Token => "Token",
        }
    }

    /// The type for the API's spelling.
    pub fn from_api(text: &str) -> Option<ServiceAccountTokenCacheType> {
        match text {
            "ServiceAccount" => Some(ServiceAccountTokenCacheType::ServiceAccount),
            "Token" => Some(ServiceAccountTokenCacheType::Token),
            _ => None,
        }
    }
}

impl fmt::Display for ServiceAccountTokenCacheType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl CredentialProvider {
    /// The kubelet's `isImageAllowed(image)`: whether any `matchImages` glob matches the image
    /// by `URLsMatchStr` (an error counts as no match). `image` is the repository the kubelet
    /// looks credentials up for (`registry.example.com/team/app`, no tag or digest).
    pub fn matches_image(&self, image: &str) -> bool {
        self.match_images
            .iter()
            .any(|glob| urls_match_str(glob, image) == Ok(true))
    }

    /// [`CredentialProvider::matches_image`] with the reason: the first glob that matched and
    /// how, or every glob's miss (the error text for one that could not be compared).
    pub fn explain_match(&self, image: &str) -> Result<(String, UrlMatch), Vec<(String, String)>> {
        let mut misses = Vec::with_capacity(self.match_images.len());
        for glob in &self.match_images {
            match explain_urls_match_str(glob, image) {
                Ok(verdict) if verdict.is_match() => return Ok((glob.clone(), verdict)),
                Ok(verdict) => misses.push((glob.clone(), verdict.to_string())),
                Err(error) => misses.push((glob.clone(), format!("{error} (no match)"))),
            }
        }
        Err(misses)
    }
}

/// Why a credential-provider configuration was refused. Display is the kubelet's text, after
/// `line L column C: ` where the document gives a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderConfigError {
    /// Not YAML or JSON at all (the reader's message, not the kubelet's).
    Syntax(DocumentError),
    /// Refused while decoding: the group, version or kind, a value of the wrong type, or
    /// unknown fields (`strict decoding error: unknown field "providers[0].x"`).
    Decode {
        /// The kubelet's text.
        message: String,
        /// Where, when known.
        position: Option<Position>,
    },
    /// Two files of a directory name the same provider.
    DuplicateProvider {
        /// The provider's name.
        name: String,
        /// The file of the second one.
        file: Option<String>,
        /// Where in that file.
        position: Option<Position>,
    },
    /// Decoded, but `validateCredentialProviderConfig` refused it.
    Invalid(Vec<FieldError>),
}

impl ProviderConfigError {
    /// The kubelet's text, without a position.
    pub fn message(&self) -> String {
        match self {
            ProviderConfigError::Syntax(error) => error.message.clone(),
            ProviderConfigError::Decode { message, .. } => message.clone(),
            ProviderConfigError::DuplicateProvider { name, .. } => format!(
                "duplicate provider name {} found in configuration file(s)",
                quote(name)
            ),
            ProviderConfigError::Invalid(errors) => format!(
                "failed to validate credential provider config: {}",
                aggregate(errors)
            ),
        }
    }

    /// Where the (first) problem is, when known.
    pub fn position(&self) -> Option<Position> {
        match self {
            ProviderConfigError::Syntax(error) => error.line.map(|line| Position {
                line,
                column: error.column.unwrap_or(1),
            }),
            ProviderConfigError::Decode { position, .. }
            | ProviderConfigError::DuplicateProvider { position, .. } => *position,
            ProviderConfigError::Invalid(errors) => errors.iter().find_map(|e| e.position),
        }
    }

    /// The validation errors one by one (empty for the other kinds).
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            ProviderConfigError::Invalid(errors) => errors,
            _ => &[],
        }
    }
}

impl fmt::Display for ProviderConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(position) = self.position() {
            write!(f, "{position}: ")?;
        }
        f.write_str(&self.message())
    }
}

impl std::error::Error for ProviderConfigError {}

/// One file read as the kubelet reads `--image-credential-provider-config`: decoded strictly,
/// then validated (with the `KubeletServiceAccountTokenForCredentialProviders` gate on, its
/// default since 1.34).
pub fn parse_credential_provider_config(
    text: &str,
) -> Result<CredentialProviderConfig, ProviderConfigError> {
    let decoded = decode_credential_provider_config(text)?;
    validate::validate(&decoded.providers, true)
}

/// [`parse_credential_provider_config`] with the service-account-token gate given: with it
/// off, any `tokenAttributes` is refused.
pub fn parse_credential_provider_config_with_gate(
    text: &str,
    service_account_tokens: bool,
) -> Result<CredentialProviderConfig, ProviderConfigError> {
    let decoded = decode_credential_provider_config(text)?;
    validate::validate(&decoded.providers, service_account_tokens)
}

/// A directory's files, already decoded, merged as `readCredentialProviderConfig` merges them
/// (in the order given: the caller sorts the `*.json`, `*.yaml` and `*.yml` names
/// lexicographically), then validated. The first repeated provider name is an error naming
/// the file of its second appearance.
pub fn merge_configs(
    files: &[(String, DecodedConfig)],
) -> Result<CredentialProviderConfig, ProviderConfigError> {
    let mut merged = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (file, config) in files {
        for provider in &config.providers {
            if !seen.insert(provider.name.value.clone()) {
                return Err(ProviderConfigError::DuplicateProvider {
                    name: provider.name.value.clone(),
                    file: Some(file.clone()),
                    position: provider.position,
                });
            }
            let mut provider = provider.clone();
            provider.file = Some(file.clone());
            merged.push(provider);
        }
    }
    validate::validate(&merged, true)
}
