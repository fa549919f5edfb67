//! The exec plugin protocol: the `CredentialProviderRequest` the kubelet writes on the plugin's
//! standard input and the `CredentialProviderResponse` it reads from its standard output
//! (docs/credential-providers.md §2).
//!
//! Upstream: kubernetes `staging/src/k8s.io/kubelet/pkg/apis/credentialprovider/v1/types.go`
//! (fields, JSON names, `omitempty`), `pkg/credentialprovider/plugin/plugin.go` (`ExecPlugin`:
//! the response's `apiVersion` must equal the provider's configured one; `decodeResponse`;
//! `provide`: the `cacheKeyType` switch). Rules kept:
//! - the request is `{"kind":"CredentialProviderRequest","apiVersion":V,"image":I}` with
//!   `serviceAccountToken` and `serviceAccountAnnotations` only when set, one line ending in
//!   `\n`, with Go's HTML-safe escaping (`<` as `\u003c`), map keys sorted;
//! - the response's group/version is read loosely first (`json.DefaultMetaFactory.Interpret`):
//!   not JSON gives `error reading GVK from response: couldn't get version/kind; json parse
//!   error: ...`; a different one gives `apiVersion from credential plugin response did not
//!   match expected apiVersion:V, actual apiVersion:W`;
//! - then strictly (kind `CredentialProviderResponse`, known fields only, right types); any
//!   failure there is the one text `error decoding credential provider plugin response from
//!   stdout` (the kubelet does not wrap the cause, which may hold credentials);
//! - `cacheKeyType` must be `Image`, `Registry` or `Global`, else `credential provider plugin
//!   did not return a valid cacheKeyType: "X"` (and the answer is not used);
//! - `cacheDuration` absent or `null` means the provider's `defaultCacheDuration`; a negative
//!   one is cached already expired, which serves exactly like no caching, so it is read as 0.
//!
//! JSON syntax errors are serde_json's words, not Go's scanner's.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::Serialize;
use thiserror::Error;

use crate::credentials::config::{DockerConfig, DockerConfigEntry};
use crate::go::duration::parse_go_duration;
use crate::go::fmt::GoDuration;
use crate::go::text::quote;

use super::config::PROTOCOL_VERSIONS;
use super::document::{Node, Value};

/// The request's kind.
pub const REQUEST_KIND: &str = "CredentialProviderRequest";
/// The response's kind.
pub const RESPONSE_KIND: &str = "CredentialProviderResponse";
/// The protocol's API group.
pub const PROTOCOL_GROUP: &str = "credentialprovider.kubelet.k8s.io";

/// What the kubelet asks a plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProviderRequest {
    /// The provider's configured `apiVersion`.
    pub api_version: String,
    /// The repository looked up (`registry.example.com/team/app`: no tag, no digest).
    pub image: String,
    /// The pod's service-account token, for providers with `tokenAttributes`.
    pub service_account_token: Option<String>,
    /// The service account's annotations the provider asked for.
    pub service_account_annotations: BTreeMap<String, String>,
}

/// `cacheKeyType`, as the API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CacheKeyType {
    /// `Image`: the answer is cached for the image looked up.
    Image,
    /// `Registry`: for the image's registry host (and port): the text before the first `/`.
    Registry,
    /// `Global`: for every image the provider matches.
    Global,
}

impl CacheKeyType {
    /// The API's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheKeyType::Image => "Image",
            CacheKeyType::Registry => "Registry",
            CacheKeyType::Global => "Global",
        }
    }

    /// The type for the API's spelling (case-sensitive, as the kubelet's switch is).
    pub fn from_api(text: &str) -> Option<CacheKeyType> {
        match text {
            "Image" => Some(CacheKeyType::Image),
            "Registry" => Some(CacheKeyType::Registry),
            "Global" => Some(CacheKeyType::Global),
            _ => None,
        }
    }
}

impl fmt::Display for CacheKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One registry credential in a response.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AuthConfig {
    /// `username` (may be empty).
    pub username: String,
    /// `password` (may be empty).
    pub password: String,
}

/// What a plugin answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialProviderResponse {
    /// The response's `apiVersion` (the kubelet insists it is the provider's configured one).
    pub api_version: String,
    /// How the answer is cached.
    pub cache_key_type: CacheKeyType,
    /// `cacheDuration`; `None` means the provider's `defaultCacheDuration`, zero means not cached.
    pub cache_duration: Option<Duration>,
    /// `auth`: match-image globs (keyring locations) to credentials, sorted by glob.
    pub auth: BTreeMap<String, AuthConfig>,
}

/// Why an answer was not used; Display is the kubelet's text.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProtocolError {
    /// Not a JSON object with string `apiVersion` and `kind`.
    #[error("error reading GVK from response: {0}")]
    Gvk(String),
    /// The response's group/version is not the provider's.
    #[error(
        "apiVersion from credential plugin response did not match expected apiVersion:{expected}, actual apiVersion:{actual}"
    )]
    ApiVersionMismatch {
        /// The provider's configured `apiVersion`.
        expected: String,
        /// The response's.
        actual: String,
    },
    /// The strict decoding failed; `detail` says why (the kubelet does not print it).
    #[error("error decoding credential provider plugin response from stdout")]
    Decode {
        /// What was wrong, for pullsim's explanations only.
        detail: String,
    },
    /// Decoded, but the `cacheKeyType` is not one of the three.
    #[error("credential provider plugin did not return a valid cacheKeyType: {}", quote(.0))]
    InvalidCacheKeyType(String),
}

impl ProtocolError {
    /// The line the kubelet logs for this failure (`klog.Errorf` in `provide`).
    pub fn kubelet_log(&self) -> String {
        match self {
            ProtocolError::InvalidCacheKeyType(_) => self.to_string(),
            _ => format!(
                "Failed getting credential from external registry credential provider: {self}"
            ),
        }
    }
}

/// `provide`'s check of an answer to a request that carried a service-account token: unless
/// the provider caches per token (`cacheType: Token`), a password equal to the token itself
/// drops the whole answer; the text is the kubelet's log line.
pub fn echoed_token_error(
    response: &CredentialProviderResponse,
    token: &str,
    cache_type: super::config::ServiceAccountTokenCacheType,
    image: &str,
) -> Option<String> {
    let echoed = !token.is_empty()
        && cache_type != super::config::ServiceAccountTokenCacheType::Token
        && response.auth.values().any(|auth| auth.password == token);
    echoed.then(|| {
        format!(
            "Credential provider plugin returned the service account token as the password for image {}, which is not allowed when service account cache type is not set to 'Token'",
            quote(image)
        )
    })
}

/// Why a plugin's execution failed (the simulator's and the real plugin's outcomes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecFailure {
    /// It exited with this status.
    Exit(i32),
    /// It ran past the kubelet's one-minute timeout and was killed.
    Timeout,
}

/// The kubelet's text for a failed execution (`runPlugin`, then `ExecPlugin` appends the
/// plugin's standard error): `error execing credential provider plugin NAME for image IMAGE:
/// exit status 1: <stderr>`; the timeout reads `context deadline exceeded`.
pub fn exec_error_text(provider: &str, image: &str, failure: &ExecFailure, stderr: &str) -> String {
    let cause = match failure {
        ExecFailure::Exit(code) => format!("exit status {code}"),
        ExecFailure::Timeout => "context deadline exceeded".to_owned(),
    };
    format!(
        "error execing credential provider plugin {provider} for image {image}: {cause}: {stderr}"
    )
}

/// Go's `json.Encoder` escaping on top of serde_json's: `<`, `>`, `&`, U+2028 and U+2029 as
/// `\u` escapes (they only ever appear inside strings), and the trailing newline.
fn go_json_line(json: &str) -> String {
    let mut out = String::with_capacity(json.len() + 1);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            _ => out.push(c),
        }
    }
    out.push('\n');
    out
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RequestJson<'a> {
    kind: &'static str,
    api_version: &'a str,
    image: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service_account_token: Option<&'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    service_account_annotations: &'a BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResponseJson<'a> {
    kind: &'static str,
    api_version: &'a str,
    cache_key_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_duration: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    auth: &'a BTreeMap<String, AuthConfig>,
}

impl CredentialProviderRequest {
    /// A request for `image` without a token.
    pub fn new(api_version: &str, image: &str) -> CredentialProviderRequest {
        CredentialProviderRequest {
            api_version: api_version.to_owned(),
            image: image.to_owned(),
            service_account_token: None,
            service_account_annotations: BTreeMap::new(),
        }
    }

    /// The bytes the kubelet writes on the plugin's standard input.
    pub fn to_json(&self) -> String {
        let json = RequestJson {
            kind: REQUEST_KIND,
            api_version: &self.api_version,
            image: &self.image,
            service_account_token: self
                .service_account_token
                .as_deref()
                .filter(|token| !token.is_empty()),
            service_account_annotations: &self.service_account_annotations,
        };
        go_json_line(&serde_json::to_string(&json).unwrap_or_default())
    }

    /// Reads a request as a plugin must: a JSON object of kind `CredentialProviderRequest`, a
    /// known `apiVersion`, a non-empty `image`, known fields only. The messages are pullsim's
    /// (a plugin's own), naming the field.
    pub fn parse(text: &str) -> Result<CredentialProviderRequest, String> {
        if text.trim().is_empty() {
            return Err("the request is empty (nothing on standard input)".to_owned());
        }
        let root: Node = serde_json::from_str(text).map_err(|error| {
            let error = crate::document::DocumentError::from_json(&error);
            format!("the request is not JSON: {error}")
        })?;
        let Value::Object(members) = root.value else {
            return Err(format!(
                "the request is a JSON {}, not an object",
                root.value.go_kind()
            ));
        };
        let mut request = CredentialProviderRequest::new("", "");
        let mut kind = None;
        for (key, node) in &members {
            let text = |node: &Node| match &node.value {
                Value::String(text) => Ok(text.clone()),
                other => Err(format!(
                    "field {}: want a string, found a {}",
                    quote(key),
                    other.go_kind()
                )),
            };
            match key.as_str() {
                "kind" => kind = Some(text(node)?),
                "apiVersion" => request.api_version = text(node)?,
                "image" => request.image = text(node)?,
                "serviceAccountToken" => {
                    request.service_account_token = Some(text(node)?).filter(|t| !t.is_empty());
                }
                "serviceAccountAnnotations" => match &node.value {
                    Value::Null => {}
                    Value::Object(pairs) => {
                        for (name, value) in pairs {
                            let Value::String(value) = &value.value else {
                                return Err(format!(
                                    "field \"serviceAccountAnnotations\": the value of {} is not a string",
                                    quote(name)
                                ));
                            };
                            request
                                .service_account_annotations
                                .insert(name.clone(), value.clone());
                        }
                    }
                    other => {
                        return Err(format!(
                            "field \"serviceAccountAnnotations\": want an object, found a {}",
                            other.go_kind()
                        ));
                    }
                },
                _ => return Err(format!("unknown field {} in the request", quote(key))),
            }
        }
        match kind.as_deref() {
            Some(REQUEST_KIND) => {}
            Some(other) => {
                return Err(format!(
                    "kind is {}, want {}",
                    quote(other),
                    quote(REQUEST_KIND)
                ));
            }
            None => return Err(format!("the request has no kind (want {REQUEST_KIND})")),
        }
        if !PROTOCOL_VERSIONS.contains(&request.api_version.as_str()) {
            let supported: Vec<String> = PROTOCOL_VERSIONS.iter().map(|v| quote(v)).collect();
            return Err(format!(
                "apiVersion {} is not one of {}",
                quote(&request.api_version),
                supported.join(", ")
            ));
        }
        if request.image.is_empty() {
            return Err("the request has no image".to_owned());
        }
        Ok(request)
    }
}

/// `schema.ParseGroupVersion(text).String()`, or its error.
fn group_version(text: &str) -> Result<String, String> {
    match text.matches('/').count() {
        0 | 1 => Ok(text.to_owned()),
        _ => Err(format!("unexpected GroupVersion string: {text}")),
    }
}

impl CredentialProviderResponse {
    /// An answer of `cache_key_type` without credentials or duration.
    pub fn new(api_version: &str, cache_key_type: CacheKeyType) -> CredentialProviderResponse {
        CredentialProviderResponse {
            api_version: api_version.to_owned(),
            cache_key_type,
            cache_duration: None,
            auth: BTreeMap::new(),
        }
    }

    /// The bytes a plugin writes on standard output, as Go's encoder writes the type.
    pub fn to_json(&self) -> String {
        let json = ResponseJson {
            kind: RESPONSE_KIND,
            api_version: &self.api_version,
            cache_key_type: self.cache_key_type.as_str(),
            cache_duration: self
                .cache_duration
                .map(|d| GoDuration::from_std(d).to_string()),
            auth: &self.auth,
        };
        go_json_line(&serde_json::to_string(&json).unwrap_or_default())
    }

    /// The credentials as a docker config (location = the `auth` glob), in glob order; what
    /// the kubelet adds to its plugin keyring.
    pub fn docker_config(&self) -> DockerConfig {
        self.auth
            .iter()
            .map(|(glob, auth)| {
                (
                    glob.clone(),
                    DockerConfigEntry {
                        username: auth.username.clone(),
                        password: auth.password.clone(),
                        email: String::new(),
                    },
                )
            })
            .collect()
    }

    /// Reads a plugin's standard output as the kubelet does for a provider configured with
    /// `expected_api_version`.
    pub fn parse(
        text: &str,
        expected_api_version: &str,
    ) -> Result<CredentialProviderResponse, ProtocolError> {
        let root: Node = serde_json::from_str(text).map_err(|error| {
            ProtocolError::Gvk(format!(
                "couldn't get version/kind; json parse error: {}",
                crate::document::DocumentError::from_json(&error).message
            ))
        })?;
        let Value::Object(members) = &root.value else {
            return Err(ProtocolError::Gvk(format!(
                "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
                root.value.go_kind()
            )));
        };
        // `Interpret`: encoding/json, field names case-insensitive, the last one wins.
        let (mut loose_version, mut loose_kind) = (String::new(), String::new());
        for (key, node) in members {
            let field = if key.eq_ignore_ascii_case("apiVersion") {
                "apiVersion"
            } else if key.eq_ignore_ascii_case("kind") {
                "kind"
            } else {
                continue;
            };
            match &node.value {
                Value::String(text) if field == "apiVersion" => loose_version = text.clone(),
                Value::String(text) => loose_kind = text.clone(),
                Value::Null => {}
                other => {
                    return Err(ProtocolError::Gvk(format!(
                        "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go struct field .{field} of type string",
                        other.go_kind()
                    )));
                }
            }
        }
        let actual = group_version(&loose_version).map_err(ProtocolError::Gvk)?;
        if actual != expected_api_version {
            return Err(ProtocolError::ApiVersionMismatch {
                expected: expected_api_version.to_owned(),
                actual,
            });
        }
        let decode = |detail: String| ProtocolError::Decode { detail };
        if loose_kind.is_empty() {
            return Err(decode("the response has no kind".to_owned()));
        }
        if loose_kind != RESPONSE_KIND {
            return Err(decode(format!(
                "kind {} is not {}",
                quote(&loose_kind),
                quote(RESPONSE_KIND)
            )));
        }
        let mut response = CredentialProviderResponse::new(&actual, CacheKeyType::Image);
        let mut cache_key_type = String::new();
        for (key, node) in members {
            match (key.as_str(), &node.value) {
                ("apiVersion" | "kind", _) => {}
                ("cacheKeyType", Value::String(text)) => cache_key_type = text.clone(),
                ("cacheKeyType" | "cacheDuration" | "auth", Value::Null) => {}
                ("cacheDuration", Value::String(text)) => {
                    let duration = parse_go_duration(text).map_err(|e| decode(e.to_string()))?;
                    let nanos = u64::try_from(duration.as_nanos()).unwrap_or(0);
                    response.cache_duration = Some(Duration::from_nanos(nanos));
                }
                ("auth", Value::Object(entries)) => {
                    for (glob, entry) in entries {
                        response
                            .auth
                            .insert(glob.clone(), auth_config(glob, entry)?);
                    }
                }
                ("cacheKeyType" | "cacheDuration" | "auth", other) => {
                    return Err(decode(format!(
                        "field {} is a {}",
                        quote(key),
                        other.go_kind()
                    )));
                }
                _ => {
                    return Err(decode(format!(
                        "strict decoding error: unknown field {}",
                        quote(key)
                    )));
                }
            }
        }
        response.cache_key_type = CacheKeyType::from_api(&cache_key_type)
            .ok_or(ProtocolError::InvalidCacheKeyType(cache_key_type))?;
        Ok(response)
    }
}

fn auth_config(glob: &str, node: &Node) -> Result<AuthConfig, ProtocolError> {
    let decode = |detail: String| ProtocolError::Decode { detail };
    let Value::Object(fields) = &node.value else {
        return Err(decode(format!(
            "auth[{}] is a {}, not an object",
            quote(glob),
            node.value.go_kind()
        )));
    };
    let mut auth = AuthConfig::default();
    for (key, value) in fields {
        let slot = match key.as_str() {
            "username" => &mut auth.username,
            "password" => &mut auth.password,
            _ => {
                return Err(decode(format!(
                    "strict decoding error: unknown field \"auth[{glob}].{key}\""
                )));
            }
        };
        match &value.value {
            Value::String(text) => *slot = text.clone(),
            Value::Null => {}
            other => {
                return Err(decode(format!(
                    "auth[{}].{key} is a {}",
                    quote(glob),
                    other.go_kind()
                )));
            }
        }
    }
    Ok(auth)
}

#[cfg(test)]
mod tests;
