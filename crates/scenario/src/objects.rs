//! `secrets:` and `serviceAccounts:`: pull credentials as real Kubernetes manifests, so a
//! user can paste `kubectl get secret regcred -o yaml`.
//!
//! ```yaml
//! secrets:
//!   - apiVersion: v1
//!     kind: Secret
//!     metadata: {name: regcred, namespace: team-a}
//!     type: kubernetes.io/dockerconfigjson
//!     data:
//!       .dockerconfigjson: eyJhdXRocyI6e319
//! serviceAccounts:
//!   - apiVersion: v1
//!     kind: ServiceAccount
//!     metadata: {name: builder, namespace: team-a}
//!     imagePullSecrets: [{name: regcred}]
//! ```
//!
//! A Secret is stored by pullsim-model's rules ([`Secret::from_manifest`]: base64 `data`,
//! `stringData` merged over it, defaults). Beyond what the kubelet checks, two API server
//! checks apply, since such a Secret could not exist in a cluster: a docker config Secret
//! needs its payload key, and the payload must be JSON. A payload that is JSON but that the
//! kubelet cannot use (an `auth` field that is not base64) is kept: the kubelet's lookup
//! fails at run time, which a scenario may want to show. A Secret of another type is
//! refused, because the kubelet would silently skip it, which is almost always a mistake in
//! a scenario.

use pullsim_model::Secret;
use pullsim_model::credentials::{
    ConfigError, DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_TYPE, NotUsed, PullSecretUse, SecretError,
    SecretManifest, SecretMetadata,
};
use pullsim_model::go_text::quote;
use pullsim_sim::ServiceAccount;

use crate::caps::{LABEL_MAX, NAME_MAX, within};
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, list, text, text_map};
use crate::tree::{Entry, Node};

/// Checks `apiVersion: v1` and `kind: <kind>`, both optional in a list that can only hold
/// that kind, and returns `metadata`'s fields.
pub(crate) fn read_object_header<'a>(
    fields: &mut Fields<'a>,
    kind: &str,
    diagnostics: &mut Diagnostics,
) -> Option<Fields<'a>> {
    if let Some(version) = fields.get("apiVersion")
        && version.scalar() != Some("v1")
    {
        diagnostics.error(
            version.position,
            format!(
                "unsupported apiVersion {} (expected v1)",
                version.describe()
            ),
        );
    }
    if let Some(written) = fields.get("kind")
        && written.scalar() != Some(kind)
    {
        diagnostics.error(
            written.position,
            format!(
                "kind {} does not belong here (expected {kind})",
                written.describe()
            ),
        );
    }
    let metadata = fields.require("metadata", diagnostics)?;
    Fields::of(metadata, "metadata", diagnostics)
}

/// `metadata.name` and `metadata.namespace` (`default` when absent).
pub(crate) fn read_name_and_namespace(
    metadata: &mut Fields<'_>,
    diagnostics: &mut Diagnostics,
) -> (Option<String>, String) {
    let name = metadata.require("name", diagnostics).and_then(|name| {
        text(name, diagnostics)
            .filter(|text| within(name.position, text, "name", NAME_MAX, diagnostics))
    });
    let namespace = metadata
        .get("namespace")
        .and_then(|namespace| {
            text(namespace, diagnostics).filter(|text| {
                within(
                    namespace.position,
                    text,
                    "namespace",
                    LABEL_MAX,
                    diagnostics,
                )
            })
        })
        .unwrap_or_else(|| "default".to_owned());
    (name, namespace)
}

/// Reads `secrets:`; names must be unique within a namespace.
pub(crate) fn read_secrets(node: &Node, diagnostics: &mut Diagnostics) -> Vec<(Secret, Position)> {
    let mut secrets: Vec<(Secret, Position)> = Vec::new();
    for item in list(node, diagnostics) {
        let Some(secret) = read_secret(item, diagnostics) else {
            continue;
        };
        if let Some((_, first)) = secrets
            .iter()
            .find(|(other, _)| other.name == secret.name && other.namespace == secret.namespace)
        {
            diagnostics.error(
                item.position,
                format!(
                    "secret {}/{} is already defined at line {}",
                    secret.namespace, secret.name, first.line
                ),
            );
            continue;
        }
        secrets.push((secret, item.position));
    }
    secrets
}

/// Reads one Secret manifest.
pub(crate) fn read_secret(node: &Node, diagnostics: &mut Diagnostics) -> Option<Secret> {
    let mut fields = Fields::of(node, "a Secret manifest", diagnostics)?;
    let errors_before = diagnostics.count();
    let mut metadata = read_object_header(&mut fields, "Secret", diagnostics);
    let (name, namespace, uid) = match metadata.as_mut() {
        Some(metadata) => {
            let (name, namespace) = read_name_and_namespace(metadata, diagnostics);
            let uid = metadata.get("uid").and_then(|uid| text(uid, diagnostics));
            (name, Some(namespace), uid)
        }
        None => (None, None, None),
    };
    if let Some(metadata) = metadata {
        metadata.finish_manifest(diagnostics);
    }
    let type_node = fields.get("type");
    let data_entry = fields.entry("data");
    let string_data_entry = fields.entry("stringData");
    fields.finish_manifest(diagnostics);
    let secret_type = type_node.and_then(|node| text(node, diagnostics));
    let data = data_entry.map(|entry| text_values(&entry.value, diagnostics));
    let string_data = string_data_entry.map(|entry| text_values(&entry.value, diagnostics));
    if diagnostics.count() > errors_before {
        return None;
    }
    let manifest = SecretManifest {
        kind: None,
        metadata: SecretMetadata {
            name,
            namespace,
            uid,
        },
        secret_type,
        data: data.map(|values| {
            values
                .into_iter()
                .map(|(key, value, _)| (key, Some(value)))
                .collect()
        }),
        string_data: string_data.map(|values| {
            values
                .into_iter()
                .map(|(key, value, _)| (key, Some(value)))
                .collect()
        }),
    };
    let secret = match Secret::from_manifest(manifest) {
        Ok(secret) => secret,
        Err(SecretError::Base64 { key, error }) => {
            let position = value_position(data_entry, &key).unwrap_or(node.position);
            diagnostics.error(
                position,
                format!("data[{}]: invalid base64: {error}", quote(&key)),
            );
            return None;
        }
        Err(error) => {
            diagnostics.error(node.position, error.to_string());
            return None;
        }
    };
    check_pull_use(
        &secret,
        type_node,
        data_entry,
        string_data_entry,
        node.position,
        diagnostics,
    )
    .then_some(secret)
}

/// The values of `data` or `stringData`, with their positions; keys map to text.
fn text_values(node: &Node, diagnostics: &mut Diagnostics) -> Vec<(String, String, Position)> {
    let Some(entries) = node.entries() else {
        if !node.is_null() {
            diagnostics.error(
                node.position,
                format!(
                    "expected a mapping of keys to values, found {}",
                    node.describe()
                ),
            );
        }
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry.value.scalar() {
            Some(value) => Some((entry.key.clone(), value.to_owned(), entry.value.position)),
            None => {
                diagnostics.error(
                    entry.value.position,
                    format!("expected text, found {}", entry.value.describe()),
                );
                None
            }
        })
        .collect()
}

fn value_position(entry: Option<&Entry>, key: &str) -> Option<Position> {
    entry?
        .value
        .entries()?
        .iter()
        .find(|item| item.key == key)
        .map(|item| item.value.position)
}

/// The type must be a docker config type, the payload key present, and the payload JSON.
fn check_pull_use(
    secret: &Secret,
    type_node: Option<&Node>,
    data: Option<&Entry>,
    string_data: Option<&Entry>,
    position: Position,
    diagnostics: &mut Diagnostics,
) -> bool {
    let key_position = |key: &str| {
        value_position(string_data, key)
            .or_else(|| value_position(data, key))
            .unwrap_or(position)
    };
    match secret.pull_use() {
        Ok(PullSecretUse::Used { .. }) => true,
        Ok(PullSecretUse::NotUsed(NotUsed::OtherType(secret_type))) => {
            diagnostics.error(
                type_node.map_or(position, |node| node.position),
                format!(
                    "secret type {} is not used for pulling images (expected {DOCKER_CONFIG_JSON_TYPE} or {DOCKERCFG_TYPE})",
                    quote(&secret_type)
                ),
            );
            false
        }
        Ok(PullSecretUse::NotUsed(
            NotUsed::MissingPayload { key, .. } | NotUsed::EmptyPayload { key },
        )) => {
            let at = data.map_or(position, |entry| entry.key_position);
            diagnostics.error(at, format!("data[{}]: Required value", quote(key)));
            false
        }
        Err(payload) => match payload.error {
            ConfigError::Syntax(document) => {
                diagnostics.error(
                    key_position(payload.key),
                    format!("data[{}]: not JSON: {}", quote(payload.key), document),
                );
                false
            }
            // The API server only checks that the payload is JSON; the kubelet's own
            // decoding failure is run-time behaviour.
            ConfigError::Type(_) | ConfigError::AuthBase64(_) | ConfigError::AuthFormat => true,
        },
    }
}

/// Reads `serviceAccounts:` as the simulator's ServiceAccounts (a name, a namespace,
/// `default` when absent, and the pull secrets it lends to pods that name none).
pub(crate) fn read_service_accounts(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Vec<ServiceAccount> {
    let mut accounts: Vec<(ServiceAccount, Position)> = Vec::new();
    for item in list(node, diagnostics) {
        let Some(account) = read_service_account(item, diagnostics) else {
            continue;
        };
        if let Some((_, first)) = accounts
            .iter()
            .find(|(other, _)| other.name == account.name && other.namespace == account.namespace)
        {
            diagnostics.error(
                item.position,
                format!(
                    "service account {}/{} is already defined at line {}",
                    account.namespace, account.name, first.line
                ),
            );
            continue;
        }
        accounts.push((account, item.position));
    }
    accounts.into_iter().map(|(account, _)| account).collect()
}

pub(crate) fn read_service_account(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Option<ServiceAccount> {
    let mut fields = Fields::of(node, "a ServiceAccount manifest", diagnostics)?;
    let mut metadata = read_object_header(&mut fields, "ServiceAccount", diagnostics);
    let (name, namespace) = match metadata.as_mut() {
        Some(metadata) => read_name_and_namespace(metadata, diagnostics),
        None => (None, "default".to_owned()),
    };
    let annotations = metadata
        .as_mut()
        .and_then(|metadata| metadata.get("annotations"))
        .map(|annotations| text_map(annotations, diagnostics))
        .unwrap_or_default();
    if let Some(metadata) = metadata {
        metadata.finish_manifest(diagnostics);
    }
    let secrets = fields
        .get("imagePullSecrets")
        .map(|secrets| read_secret_references(secrets, diagnostics))
        .unwrap_or_default();
    // A Secret that does not exist is not an error: the API server admits the account, the
    // ServiceAccount plugin copies the name into its pods, and the kubelet warns
    // FailedToRetrieveImagePullSecret and pulls without it.
    fields.finish_manifest(diagnostics);
    Some(ServiceAccount {
        name: name?,
        namespace,
        image_pull_secrets: secrets.into_iter().map(|(name, _)| name).collect(),
        annotations,
    })
}

/// `imagePullSecrets: [{name: a}, {name: b}]`, with each name's position.
pub(crate) fn read_secret_references(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Vec<(String, Position)> {
    let mut names = Vec::new();
    for item in list(node, diagnostics) {
        if item.scalar().is_some() {
            diagnostics.error(
                item.position,
                format!("expected {{name: {}}}, found a bare name", item.describe()),
            );
            continue;
        }
        let Some(mut fields) = Fields::of(item, "a secret reference", diagnostics) else {
            continue;
        };
        let name = fields.require("name", diagnostics);
        fields.finish_manifest(diagnostics);
        if let Some(name_node) = name
            && let Some(name) = text(name_node, diagnostics)
        {
            names.push((name, name_node.position));
        }
    }
    names
}
