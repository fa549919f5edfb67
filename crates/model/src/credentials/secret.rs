//! Kubernetes Secret manifests as pull secrets: what a pasted YAML or JSON Secret holds after the
//! API server has stored it, and whether the kubelet uses it as registry credentials
//! (docs/semantics.md §4.1).
//!
//! Upstream: kubernetes `pkg/credentialprovider/secrets/secrets.go` (`secretsToTrackedDockerConfigs`)
//! for the use decision; the API server for the stored form: `data` values are standard padded
//! base64 (decoded by Go's `encoding/json` with `base64.StdEncoding`, so newlines are skipped), and
//! `stringData` is merged over `data` on write, key by key, then dropped; an empty `type` is
//! defaulted to `Opaque`; `metadata.namespace` defaults to `default` here (the namespace a pasted
//! manifest would be created in without `-n`).
//!
//! A Secret is used only when its type is `kubernetes.io/dockerconfigjson` with a non-empty
//! `data[".dockerconfigjson"]` (decoded as `{"auths": ...}`), or `kubernetes.io/dockercfg` with a
//! non-empty `data[".dockercfg"]` (decoded as the bare registry map). Anything else is ignored, not
//! an error. A used Secret whose payload does not decode makes the kubelet's whole credential
//! lookup fail with the decoding error.
//!
//! Choices: the manifest is read as JSON when its first non-blank character is `{` (errors carry
//! `serde_json`'s line and column), otherwise as YAML (errors carry `serde-saphyr`'s), both as a
//! one-line [`DocumentError`]. Unknown
//! fields are ignored, as the API server's non-strict decoding does; `kind`, when present, must be
//! `Secret`; `metadata.name` is required, as the API server requires it.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use thiserror::Error;

use super::config::{ConfigError, DockerConfig, DockerConfigFormat, parse_docker_config};
use crate::document::{DocumentError, parse_json, parse_yaml};
use crate::go::base64::{Base64Error, Base64Padding, go_base64_decode};
use crate::go::text::quote as go_quote;

/// `kubernetes.io/dockerconfigjson`, the type of Secrets holding a `config.json`.
pub const DOCKER_CONFIG_JSON_TYPE: &str = "kubernetes.io/dockerconfigjson";
/// `kubernetes.io/dockercfg`, the type of Secrets holding a legacy `.dockercfg`.
pub const DOCKERCFG_TYPE: &str = "kubernetes.io/dockercfg";
/// The `data` key of a `kubernetes.io/dockerconfigjson` Secret.
pub const DOCKER_CONFIG_JSON_KEY: &str = ".dockerconfigjson";
/// The `data` key of a `kubernetes.io/dockercfg` Secret.
pub const DOCKERCFG_KEY: &str = ".dockercfg";

/// A Secret as stored by the API server, reduced to what pulling needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Secret {
    /// `metadata.name`.
    pub name: String,
    /// `metadata.namespace`, `default` when absent.
    pub namespace: String,
    /// `metadata.uid`, when the manifest carries one.
    pub uid: Option<String>,
    /// `type`, `Opaque` when absent or empty.
    pub secret_type: String,
    /// `data` decoded from base64, with `stringData` merged over it.
    pub data: BTreeMap<String, Vec<u8>>,
}

/// Why a manifest is not a storable Secret.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SecretError {
    /// The manifest is not valid JSON or YAML, or has a field of the wrong type.
    #[error(transparent)]
    Document(DocumentError),
    /// `kind` names another object.
    #[error("kind is {}, expected \"Secret\"", go_quote(.0))]
    WrongKind(String),
    /// `metadata.name` is missing or empty.
    #[error("metadata.name: Required value")]
    MissingName,
    /// A `data` value is not standard base64.
    #[error("data[{}]: {error}", go_quote(key))]
    Base64 {
        /// The `data` key.
        key: String,
        /// Go's decoding error.
        error: Base64Error,
    },
}

/// Why the kubelet does not use a Secret as registry credentials (it is skipped silently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotUsed {
    /// The type is neither docker config type.
    OtherType(String),
    /// The type is right but the payload key is absent from `data`.
    MissingPayload {
        /// The Secret's type.
        secret_type: String,
        /// The `data` key the type calls for.
        key: &'static str,
    },
    /// The payload key is present but empty.
    EmptyPayload {
        /// The `data` key.
        key: &'static str,
    },
}

impl fmt::Display for NotUsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotUsed::OtherType(secret_type) => write!(
                f,
                "type {} is not {DOCKER_CONFIG_JSON_TYPE} or {DOCKERCFG_TYPE}",
                go_quote(secret_type)
            ),
            NotUsed::MissingPayload { secret_type, key } => {
                write!(f, "a {secret_type} Secret without data[{}]", go_quote(key))
            }
            NotUsed::EmptyPayload { key } => write!(f, "data[{}] is empty", go_quote(key)),
        }
    }
}

/// A used Secret's payload that the kubelet cannot decode; its lookup then fails.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("data[{}]: {error}", go_quote(key))]
pub struct PayloadError {
    /// The `data` key that was decoded.
    pub key: &'static str,
    /// The decoding error; its text alone is what the kubelet reports.
    pub error: ConfigError,
}

/// What the kubelet makes of a Secret named in `imagePullSecrets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PullSecretUse {
    /// The Secret holds registry credentials.
    Used {
        /// Which document shape its payload has.
        format: DockerConfigFormat,
        /// The decoded credentials.
        config: DockerConfig,
    },
    /// The Secret is skipped.
    NotUsed(NotUsed),
}

/// The fields of a Secret manifest that storing it needs, as the document holds them (before
/// base64 decoding and defaulting). [`Secret::parse`] reads them from text; a caller that read
/// the document itself (the scenario reader, which keeps positions) fills them in and calls
/// [`Secret::from_manifest`], so the storing rules live here once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SecretManifest {
    /// `kind`.
    #[serde(default)]
    pub kind: Option<String>,
    /// `metadata`.
    #[serde(default)]
    pub metadata: SecretMetadata,
    /// `type`.
    #[serde(default, rename = "type")]
    pub secret_type: Option<String>,
    /// `data`, values still base64 (`null` values are empty).
    #[serde(default)]
    pub data: Option<BTreeMap<String, Option<String>>>,
    /// `stringData`, values as plain text.
    #[serde(default, rename = "stringData")]
    pub string_data: Option<BTreeMap<String, Option<String>>>,
}

/// The `metadata` fields of a Secret manifest that storing it needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct SecretMetadata {
    /// `metadata.name`.
    #[serde(default)]
    pub name: Option<String>,
    /// `metadata.namespace`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `metadata.uid`.
    #[serde(default)]
    pub uid: Option<String>,
}

impl Secret {
    /// Reads a Secret manifest (YAML or JSON) and stores it as the API server would.
    pub fn parse(manifest: &str) -> Result<Secret, SecretError> {
        let parsed: SecretManifest = if manifest.trim_start().starts_with('{') {
            parse_json(manifest).map_err(SecretError::Document)?
        } else {
            parse_yaml(manifest).map_err(SecretError::Document)?
        };
        Secret::from_manifest(parsed)
    }

    /// Stores a manifest's fields as the API server would: `kind` must be `Secret` when
    /// present, `metadata.name` is required, `data` values are decoded from standard padded
    /// base64, `stringData` is merged over `data` key by key, an empty namespace becomes
    /// `default` and an empty type `Opaque`. `data` keys are decoded in key order, so the
    /// first bad one is reported.
    pub fn from_manifest(manifest: SecretManifest) -> Result<Secret, SecretError> {
        if let Some(kind) = manifest.kind.filter(|kind| kind != "Secret") {
            return Err(SecretError::WrongKind(kind));
        }
        let name = manifest
            .metadata
            .name
            .filter(|name| !name.is_empty())
            .ok_or(SecretError::MissingName)?;
        let mut data = BTreeMap::new();
        for (key, value) in manifest.data.unwrap_or_default() {
            let decoded =
                go_base64_decode(value.unwrap_or_default().as_bytes(), Base64Padding::Padded)
                    .map_err(|error| SecretError::Base64 {
                        key: key.clone(),
                        error,
                    })?;
            data.insert(key, decoded);
        }
        for (key, value) in manifest.string_data.unwrap_or_default() {
            data.insert(key, value.unwrap_or_default().into_bytes());
        }
        Ok(Secret {
            name,
            namespace: manifest
                .metadata
                .namespace
                .filter(|namespace| !namespace.is_empty())
                .unwrap_or_else(|| "default".to_owned()),
            uid: manifest.metadata.uid.filter(|uid| !uid.is_empty()),
            secret_type: manifest
                .secret_type
                .filter(|secret_type| !secret_type.is_empty())
                .unwrap_or_else(|| "Opaque".to_owned()),
            data,
        })
    }

    /// Whether and how the kubelet uses this Secret for pulls (`secretsToTrackedDockerConfigs`).
    pub fn pull_use(&self) -> Result<PullSecretUse, PayloadError> {
        let (format, key) = match self.secret_type.as_str() {
            DOCKER_CONFIG_JSON_TYPE => (DockerConfigFormat::ConfigJson, DOCKER_CONFIG_JSON_KEY),
            DOCKERCFG_TYPE => (DockerConfigFormat::Dockercfg, DOCKERCFG_KEY),
            other => return Ok(PullSecretUse::NotUsed(NotUsed::OtherType(other.to_owned()))),
        };
        let Some(payload) = self.data.get(key) else {
            return Ok(PullSecretUse::NotUsed(NotUsed::MissingPayload {
                secret_type: self.secret_type.clone(),
                key,
            }));
        };
        if payload.is_empty() {
            return Ok(PullSecretUse::NotUsed(NotUsed::EmptyPayload { key }));
        }
        let config =
            parse_docker_config(payload, format).map_err(|error| PayloadError { key, error })?;
        Ok(PullSecretUse::Used { format, config })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(manifest: &str) -> Secret {
        match Secret::parse(manifest) {
            Ok(secret) => secret,
            Err(error) => panic!("manifest should parse: {error}\n{manifest}"),
        }
    }

    fn used_users(secret: &Secret) -> Result<Vec<(String, String)>, String> {
        match secret.pull_use().map_err(|e| e.to_string())? {
            PullSecretUse::Used { config, .. } => Ok(config
                .entries()
                .iter()
                .map(|(location, entry)| (location.clone(), entry.username.clone()))
                .collect()),
            PullSecretUse::NotUsed(reason) => Err(format!("not used: {reason}")),
        }
    }

    /// `base64("{"auths":{"test.registry.io":{"auth":"dXNlcjpwYXNzd29yZA=="}}}")`
    const DOCKERCONFIGJSON_B64: &str =
        "eyJhdXRocyI6eyJ0ZXN0LnJlZ2lzdHJ5LmlvIjp7ImF1dGgiOiJkWE5sY2pwd1lYTnpkMjl5WkE9PSJ9fX0=";

    #[test]
    fn yaml_and_json_manifests() {
        let yaml = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\n  namespace: team\n  uid: 1234\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {DOCKERCONFIGJSON_B64}\n"
        );
        let secret = parse_ok(&yaml);
        assert_eq!(
            (
                secret.name.as_str(),
                secret.namespace.as_str(),
                secret.uid.as_deref()
            ),
            ("regcred", "team", Some("1234"))
        );
        assert_eq!(
            used_users(&secret),
            Ok(vec![("test.registry.io".to_owned(), "user".to_owned())])
        );
        let json = format!(
            r#"{{"apiVersion": "v1", "kind": "Secret", "metadata": {{"name": "regcred"}}, "type": "kubernetes.io/dockerconfigjson", "data": {{".dockerconfigjson": "{DOCKERCONFIGJSON_B64}"}}}}"#
        );
        let secret = parse_ok(&json);
        assert_eq!(
            (secret.namespace.as_str(), secret.uid.as_deref()),
            ("default", None)
        );
        assert_eq!(
            used_users(&secret),
            Ok(vec![("test.registry.io".to_owned(), "user".to_owned())])
        );
    }

    #[test]
    fn string_data_is_merged_over_data() {
        let manifest = format!(
            "metadata: {{name: s}}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {DOCKERCONFIGJSON_B64}\n  other: eA==\nstringData:\n  .dockerconfigjson: '{{\"auths\": {{\"pasted.io\": {{\"username\": \"paste\"}}}}}}'\n"
        );
        let secret = parse_ok(&manifest);
        assert_eq!(secret.data.get("other").map(Vec::as_slice), Some(&b"x"[..]));
        assert_eq!(
            used_users(&secret),
            Ok(vec![("pasted.io".to_owned(), "paste".to_owned())])
        );
        let dockercfg = parse_ok(
            "metadata: {name: s}\ntype: kubernetes.io/dockercfg\nstringData:\n  .dockercfg: '{\"legacy.io\": {\"auth\": \"dTpw\"}}'\n",
        );
        assert_eq!(
            used_users(&dockercfg),
            Ok(vec![("legacy.io".to_owned(), "u".to_owned())])
        );
    }

    /// The use decision of `secrets.go`, including the wrong-type rows of upstream
    /// `secrets_test.go` (`Test_MakeDockerKeyring`).
    #[test]
    fn use_decision_like_secrets_go() {
        type Users = &'static [(&'static str, &'static str)];
        type Row = (
            &'static str,
            &'static str,
            &'static str,
            Result<Users, &'static str>,
        );
        let rows: &[Row] = &[
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                r#"{"auths": {"test.registry.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#,
                Ok(&[("test.registry.io", "user")]),
            ),
            (
                DOCKERCFG_TYPE,
                ".dockercfg",
                r#"{"test.registry.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}"#,
                Ok(&[("test.registry.io", "user")]),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                r#"{"auths": {"test.registry.io": {"username": "user", "password": "password"}}}"#,
                Ok(&[("test.registry.io", "user")]),
            ),
            (
                DOCKERCFG_TYPE,
                ".dockercfg",
                r#"{"test.registry.io": {"username": "user", "password": "password"}}"#,
                Ok(&[("test.registry.io", "user")]),
            ),
            (
                DOCKERCFG_TYPE,
                ".dockerconfigjson",
                r#"{"auths": {}}"#,
                Err("not used: a kubernetes.io/dockercfg Secret without data[\".dockercfg\"]"),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockercfg",
                r#"{}"#,
                Err(
                    "not used: a kubernetes.io/dockerconfigjson Secret without data[\".dockerconfigjson\"]",
                ),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                "",
                Err("not used: data[\".dockerconfigjson\"] is empty"),
            ),
            (
                "Opaque",
                ".dockerconfigjson",
                r#"{"auths": {}}"#,
                Err(
                    "not used: type \"Opaque\" is not kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg",
                ),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                r#"{"auths": {}}"#,
                Ok(&[]),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                r#"{"auths": {"r.io": {"auth": "pants"}}}"#,
                Err("data[\".dockerconfigjson\"]: illegal base64 data at input byte 4"),
            ),
            (
                DOCKERCFG_TYPE,
                ".dockercfg",
                r#"{"r.io": {"auth": "cGFudHM="}}"#,
                Err(
                    "data[\".dockercfg\"]: unable to parse auth field, must be formatted as base64(username:password)",
                ),
            ),
            (
                DOCKER_CONFIG_JSON_TYPE,
                ".dockerconfigjson",
                "{",
                Err("data[\".dockerconfigjson\"]: line 1 column 1: EOF while parsing an object"),
            ),
        ];
        for (secret_type, key, payload, expected) in rows {
            let secret = Secret {
                name: "s".to_owned(),
                namespace: "default".to_owned(),
                uid: None,
                secret_type: (*secret_type).to_owned(),
                data: [((*key).to_owned(), payload.as_bytes().to_vec())]
                    .into_iter()
                    .collect(),
            };
            let expected = expected
                .map(|pairs| {
                    pairs
                        .iter()
                        .map(|(l, u)| ((*l).to_owned(), (*u).to_owned()))
                        .collect::<Vec<_>>()
                })
                .map_err(str::to_owned);
            assert_eq!(
                used_users(&secret),
                expected,
                "{secret_type} {key} {payload:?}"
            );
        }
    }

    #[test]
    fn fields_read_elsewhere_are_stored_by_the_same_rules() {
        let fields = |data: &[(&str, &str)]| SecretManifest {
            kind: None,
            metadata: SecretMetadata {
                name: Some("regcred".to_owned()),
                namespace: Some(String::new()),
                uid: None,
            },
            secret_type: None,
            data: Some(
                data.iter()
                    .map(|(key, value)| ((*key).to_owned(), Some((*value).to_owned())))
                    .collect(),
            ),
            string_data: None,
        };
        let stored = Secret::from_manifest(fields(&[("a", "eA==")])).unwrap();
        assert_eq!(
            (stored.namespace.as_str(), stored.secret_type.as_str()),
            ("default", "Opaque")
        );
        assert_eq!(stored.data.get("a").map(Vec::as_slice), Some(&b"x"[..]));
        let err = Secret::from_manifest(fields(&[("a", "eA=="), ("b", "e!==")])).unwrap_err();
        assert!(
            matches!(&err, SecretError::Base64 { key, .. } if key == "b"),
            "{err:?}"
        );
    }

    #[test]
    fn manifest_errors() {
        let rows: &[(&str, &str)] = &[
            (
                "kind: Pod\nmetadata: {name: p}\n",
                "kind is \"Pod\", expected \"Secret\"",
            ),
            (
                "kind: Secret\ntype: Opaque\n",
                "metadata.name: Required value",
            ),
            (
                "metadata: {name: s}\ndata:\n  .dockerconfigjson: eyJ!\n",
                "data[\".dockerconfigjson\"]: illegal base64 data at input byte 3",
            ),
            (
                "metadata: {name: s}\ndata:\n  k: eA\n",
                "data[\"k\"]: illegal base64 data at input byte 0",
            ),
            (
                "{\"metadata\": {\"name\": \"s\"}, \"data\": {\"k\": 5}}",
                "line 1 column 43: invalid type: integer `5`, expected a string",
            ),
            (
                "{\"metadata\": {\"name\": \"s\"},\n \"data\": }",
                "line 2 column 10: expected value",
            ),
        ];
        for (manifest, expected) in rows {
            assert_eq!(
                Secret::parse(manifest).map_err(|e| e.to_string()),
                Err((*expected).to_owned()),
                "{manifest}"
            );
        }
        let yaml_error = Secret::parse("metadata:\n  name: [unclosed\n").expect_err("bad YAML");
        assert!(
            matches!(
                yaml_error,
                SecretError::Document(DocumentError {
                    line: Some(2),
                    column: Some(9),
                    ..
                })
            ),
            "{yaml_error:?}"
        );
        assert!(
            yaml_error.to_string().contains("line 2 column 9"),
            "{yaml_error}"
        );
        // Newlines inside base64 are skipped, as Go's decoder does.
        let wrapped = parse_ok("metadata: {name: s}\ndata:\n  k: |\n    eH\n    g=\n");
        assert_eq!(wrapped.data.get("k").map(Vec::as_slice), Some(&b"xx"[..]));
        // Empty type defaults to Opaque; null data values are empty.
        let defaulted = parse_ok("metadata: {name: s}\ntype: ''\ndata: {k: null}\n");
        assert_eq!(defaulted.secret_type, "Opaque");
        assert_eq!(defaulted.data.get("k").map(Vec::len), Some(0));
    }
}

#[cfg(test)]
mod robustness {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Arbitrary manifests and payloads never panic.
        #[test]
        fn any_manifest_is_handled(manifest in "\\PC{0,80}", payload in prop::collection::vec(any::<u8>(), 0..60)) {
            let _ = Secret::parse(&manifest);
            let secret = Secret {
                name: "s".to_owned(),
                namespace: "default".to_owned(),
                uid: None,
                secret_type: DOCKER_CONFIG_JSON_TYPE.to_owned(),
                data: [(DOCKER_CONFIG_JSON_KEY.to_owned(), payload)].into_iter().collect(),
            };
            let _ = secret.pull_use();
        }
    }
}
