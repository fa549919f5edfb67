//! The kubelet's exec credential-provider plugins (`--image-credential-provider-config`,
//! `--image-credential-provider-bin-dir`): the configuration, the protocol, the answer cache and
//! the keyring their answers form. Pure: the simulator and the CLI run the plugins (or stand in
//! for them) and hand their answers here. The rules, with their upstream sources, are in
//! docs/credential-providers.md; the version followed is Kubernetes 1.34 (the first with
//! `tokenAttributes.cacheType`).
//!
//! Module map:
//! - [`config`]: `CredentialProviderConfig` read strictly, merged from a directory and validated
//!   with the kubelet's messages; [`CredentialProvider::matches_image`] (`isImageAllowed`).
//! - [`protocol`]: `CredentialProviderRequest` / `CredentialProviderResponse` encoded and read
//!   as the kubelet does, with its error texts.
//! - [`cache`]: the per-provider cache (`Image`, `Registry`, `Global` keys, expiry, the
//!   15-minute purge) on the virtual clock, and the singleflight key.
//! - [`keyring`]: every provider's answer in one `BasicDockerKeyring`
//!   ([`plugin_keyring`]); [`crate::credentials::make_pull_keyring_with_plugins`] puts it after
//!   the pod's Secrets and the node's config files.
//!
//! ```
//! use pullsim_model::SimTime;
//! use pullsim_model::credentials::make_pull_keyring_with_plugins;
//! use pullsim_model::credentials::provider::{
//!     CacheDecision, CredentialProviderResponse, ProviderCache, parse_credential_provider_config,
//!     plugin_keyring,
//! };
//! use pullsim_model::credentials::BasicDockerKeyring;
//!
//! let config = parse_credential_provider_config(
//!     "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n\
//!      - name: ecr-credential-provider\n  matchImages: ['*.dkr.ecr.*.amazonaws.com']\n\
//!      \x20 defaultCacheDuration: 12h\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n",
//! )?;
//! let provider = &config.providers[0];
//! let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app";
//! assert!(provider.matches_image(image));
//!
//! // What the plugin printed on standard output.
//! let answer = CredentialProviderResponse::parse(
//!     r#"{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1",
//!         "cacheKeyType":"Registry","auth":{"*.dkr.ecr.us-east-1.amazonaws.com":
//!         {"username":"AWS","password":"token-1"}}}"#,
//!     &provider.api_version,
//! )?;
//! let mut cache = ProviderCache::default();
//! let now = SimTime::from_secs(60);
//! let decision = cache.store(image, "", &answer, provider.default_cache_duration, now);
//! let CacheDecision::Cached { key, expires_at } = decision else { panic!("cached") };
//! assert_eq!((key.to_string(), expires_at), (
//!     "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_owned(),
//!     SimTime::from_secs(60 + 12 * 3600),
//! ));
//! // Another repository on the same registry is answered from the cache.
//! let other = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/db";
//! let cached = cache.lookup(other, "", now).expect("a Registry key covers the registry");
//!
//! let plugins = plugin_keyring(&[(provider.name.as_str(), &cached, None)]);
//! let keyring = make_pull_keyring_with_plugins(&[], BasicDockerKeyring::new(), plugins)?;
//! let tried = keyring.lookup(other);
//! assert_eq!(tried[0].source.to_string(), "plugin[ecr-credential-provider]");
//! assert_eq!((tried[0].username.as_str(), tried[0].password.as_str()), ("AWS", "token-1"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cache;
pub mod config;
mod document;
pub mod keyring;
pub mod protocol;

pub use crate::credentials::keyring::ServiceAccountRef;
pub use cache::{
    CACHE_PURGE_INTERVAL, CacheDecision, CacheHit, CacheKey, EXEC_TIMEOUT, GLOBAL_CACHE_KEY,
    ProviderCache, cache_decision, registry_of, service_account_cache_key, singleflight_key,
    token_hash,
};
pub use config::{
    CONFIG_GROUP, CONFIG_KIND, CONFIG_VERSIONS, CredentialProvider, CredentialProviderConfig,
    DecodedConfig, ExecEnvVar, FieldError, FieldErrorKind, PROTOCOL_V1, PROTOCOL_VERSIONS,
    Position, ProviderConfigError, ServiceAccountTokenCacheType, TokenAttributes,
    decode_credential_provider_config, merge_configs, parse_credential_provider_config,
    parse_credential_provider_config_with_gate,
};
pub use keyring::plugin_keyring;
pub use protocol::{
    AuthConfig, CacheKeyType, CredentialProviderRequest, CredentialProviderResponse, ExecFailure,
    PROTOCOL_GROUP, ProtocolError, REQUEST_KIND, RESPONSE_KIND, echoed_token_error,
    exec_error_text,
};
