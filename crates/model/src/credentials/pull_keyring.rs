//! The keyring one pull uses: every usable pod pull Secret merged into one keyring, in
//! `imagePullSecrets` order, ahead of the node's docker config (docs/semantics.md §4.1 and 3.3).
//!
//! Upstream: kubernetes `pkg/credentialprovider/secrets/secrets.go` (`MakeDockerKeyring`,
//! `secretsToTrackedDockerConfigs`) and `keyring.go` (`UnionDockerKeyring`). Rules kept:
//! - Secrets that could not be fetched are skipped (the kubelet warns with
//!   `FailedToRetrieveImagePullSecret` and pulls anyway), as are Secrets it does not use;
//! - all used Secrets go into ONE `BasicDockerKeyring`, one `add` per Secret in order, so the
//!   index is sorted across Secrets: a more specific key of a later Secret comes before a less
//!   specific key of an earlier one, and under one key earlier Secrets come first;
//! - a used Secret whose payload does not decode fails the whole lookup with the decoding error;
//! - the union concatenates the sub-keyrings' results in order: pod Secrets, then the node,
//!   then the credential-provider plugins' keyring ([`make_pull_keyring_with_plugins`];
//!   upstream `kuberuntime_image.go` / `image_manager.go` pass
//!   `UnionDockerKeyring{nodeKeyring, externalCredentialProviderKeyring}` as the default
//!   keyring), so a plugin's credentials are tried only after every Secret's and the node's.
//!
//! Not modelled: KEP-2535's credential hashes (the source coordinates are kept).

use thiserror::Error;

use super::keyring::{
    AddedEntry, BasicDockerKeyring, CredentialSource, LookupExplanation, TrackedCredential,
};
use super::secret::{NotUsed, PayloadError, PullSecretUse, Secret};

/// The kubelet's `UnionDockerKeyring`: sub-keyrings consulted in order, results concatenated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnionDockerKeyring {
    /// The sub-keyrings, in lookup order.
    pub keyrings: Vec<BasicDockerKeyring>,
}

impl UnionDockerKeyring {
    /// Every sub-keyring's lookup, concatenated in order (each one's "found" flag is ignored).
    /// The same answer as [`UnionDockerKeyring::explain_lookup`] without building the
    /// explanation of every key that missed, which costs far more than the lookup.
    pub fn lookup(&self, image: &str) -> Vec<TrackedCredential> {
        let mut found = Vec::new();
        for keyring in &self.keyrings {
            found.extend(keyring.lookup(image));
        }
        found
    }

    /// [`UnionDockerKeyring::lookup`] with reasons, concatenated the same way.
    pub fn explain_lookup(&self, image: &str) -> LookupExplanation {
        let mut union = LookupExplanation::default();
        for keyring in &self.keyrings {
            let part = keyring.explain_lookup(image);
            union.matches.extend(part.matches);
            union.misses.extend(part.misses);
        }
        union
    }
}

/// What became of one `imagePullSecrets` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretOutcome {
    /// The Secret could not be fetched (it does not exist in the pod's namespace).
    Missing,
    /// The Secret is not a docker config Secret, or its payload is empty.
    NotUsed(NotUsed),
    /// Its entries were added to the pod-secret keyring.
    Used(Vec<AddedEntry>),
}

/// A used pull Secret whose payload the kubelet cannot decode. Displays as the kubelet's
/// error (the bare decoding error), which is what the failed pull reports.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}", .payload.error)]
pub struct PullSecretError {
    /// The Secret's position in `imagePullSecrets`.
    pub index: usize,
    /// The Secret's name.
    pub name: String,
    /// Which payload failed and how (its own Display names the `data` key).
    pub payload: PayloadError,
}

/// The keyring for one pod's pulls, with what became of each of its pull Secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullKeyring {
    /// Pod-secret keyring (when any Secret was used), then the node keyring.
    pub union: UnionDockerKeyring,
    /// One outcome per `imagePullSecrets` entry, in order.
    pub secrets: Vec<SecretOutcome>,
}

impl PullKeyring {
    /// The credentials to try, in order, for a normalised repository name; empty means one
    /// anonymous attempt (docs/semantics.md §3.3).
    pub fn lookup(&self, image: &str) -> Vec<TrackedCredential> {
        self.union.lookup(image)
    }

    /// [`PullKeyring::lookup`] with the reason for every credential and every key that missed.
    pub fn explain_lookup(&self, image: &str) -> LookupExplanation {
        self.union.explain_lookup(image)
    }
}

/// The kubelet's `MakeDockerKeyring(podPullSecrets, nodeKeyring)`.
///
/// `pull_secrets` holds one element per `spec.imagePullSecrets` entry, in order: the Secret as
/// fetched from the pod's namespace, or `None` when it could not be fetched. The position is the
/// `index` of the resulting [`CredentialSource::PodSecret`].
pub fn make_pull_keyring(
    pull_secrets: &[Option<Secret>],
    node: BasicDockerKeyring,
) -> Result<PullKeyring, PullSecretError> {
    make_union(pull_secrets, vec![node])
}

/// [`make_pull_keyring`] for a node with credential-provider plugins: the pod's Secrets, then
/// the node's config files, then `plugins` (the answers for this image, built with
/// [`plugin_keyring`](super::provider::plugin_keyring)).
pub fn make_pull_keyring_with_plugins(
    pull_secrets: &[Option<Secret>],
    node: BasicDockerKeyring,
    plugins: BasicDockerKeyring,
) -> Result<PullKeyring, PullSecretError> {
    make_union(pull_secrets, vec![node, plugins])
}

/// The pod-secret keyring (when any Secret is used) followed by `defaults`.
fn make_union(
    pull_secrets: &[Option<Secret>],
    defaults: Vec<BasicDockerKeyring>,
) -> Result<PullKeyring, PullSecretError> {
    let mut from_secrets = BasicDockerKeyring::new();
    let mut used = 0;
    let mut outcomes = Vec::with_capacity(pull_secrets.len());
    for (index, secret) in pull_secrets.iter().enumerate() {
        let Some(secret) = secret else {
            outcomes.push(SecretOutcome::Missing);
            continue;
        };
        let use_ = secret.pull_use().map_err(|payload| PullSecretError {
            index,
            name: secret.name.clone(),
            payload,
        })?;
        match use_ {
            PullSecretUse::NotUsed(reason) => outcomes.push(SecretOutcome::NotUsed(reason)),
            PullSecretUse::Used { config, .. } => {
                let source = CredentialSource::PodSecret {
                    index,
                    namespace: secret.namespace.clone(),
                    name: secret.name.clone(),
                    uid: secret.uid.clone(),
                };
                outcomes.push(SecretOutcome::Used(from_secrets.add(&source, &config)));
                used += 1;
            }
        }
    }
    let keyrings = if used == 0 {
        defaults
    } else {
        let mut keyrings = Vec::with_capacity(defaults.len() + 1);
        keyrings.push(from_secrets);
        keyrings.extend(defaults);
        keyrings
    };
    Ok(PullKeyring {
        union: UnionDockerKeyring { keyrings },
        secrets: outcomes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::config::{DockerConfig, DockerConfigEntry};
    use crate::credentials::secret::{
        DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_KEY, DOCKERCFG_TYPE,
    };

    fn secret(name: &str, secret_type: &str, key: &str, payload: &str) -> Secret {
        Secret {
            name: name.to_owned(),
            namespace: "team".to_owned(),
            uid: Some(format!("uid-{name}")),
            secret_type: secret_type.to_owned(),
            data: [(key.to_owned(), payload.as_bytes().to_vec())]
                .into_iter()
                .collect(),
        }
    }

    fn config_json(name: &str, auths: &[(&str, &str)]) -> Secret {
        let members: Vec<String> = auths
            .iter()
            .map(|(location, user)| {
                format!(r#""{location}": {{"username": "{user}", "password": "p"}}"#)
            })
            .collect();
        let payload = format!(r#"{{"auths": {{{}}}}}"#, members.join(", "));
        secret(
            name,
            DOCKER_CONFIG_JSON_TYPE,
            DOCKER_CONFIG_JSON_KEY,
            &payload,
        )
    }

    /// A node keyring standing in for upstream's fake default keyring.
    fn default_keyring() -> BasicDockerKeyring {
        let config: DockerConfig = [(
            "test.registry.io",
            DockerConfigEntry {
                username: "default-user".to_owned(),
                password: "default-password".to_owned(),
                email: String::new(),
            },
        )]
        .into_iter()
        .collect();
        let mut keyring = BasicDockerKeyring::new();
        keyring.add(&CredentialSource::NodeConfig { index: 0 }, &config);
        keyring
    }

    fn users(credentials: &[TrackedCredential]) -> Vec<(String, String)> {
        credentials
            .iter()
            .map(|c| (c.username.clone(), c.source.to_string()))
            .collect()
    }

    /// Upstream `Test_MakeDockerKeyring` (secrets_test.go), looking up `test.registry.io`.
    #[test]
    fn upstream_make_docker_keyring() {
        let auth = r#"{"auths": {"test.registry.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#;
        let cfg = r#"{"test.registry.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}"#;
        let userpass_json =
            r#"{"auths": {"test.registry.io": {"username": "user", "password": "password"}}}"#;
        let userpass_cfg = r#"{"test.registry.io": {"username": "user", "password": "password"}}"#;
        let other_json = r#"{"auths": {"foobar.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}}"#;
        let other_cfg = r#"{"foobar.io": {"auth": "dXNlcjpwYXNzd29yZA=="}}"#;
        type Row = (Vec<Secret>, bool, &'static [(&'static str, &'static str)]);
        let rows: Vec<Row> = vec![
            (
                vec![secret(
                    "a",
                    DOCKER_CONFIG_JSON_TYPE,
                    DOCKER_CONFIG_JSON_KEY,
                    auth,
                )],
                false,
                &[("user", "password")],
            ),
            (
                vec![secret("a", DOCKERCFG_TYPE, DOCKERCFG_KEY, cfg)],
                false,
                &[("user", "password")],
            ),
            (
                vec![secret(
                    "a",
                    DOCKER_CONFIG_JSON_TYPE,
                    DOCKER_CONFIG_JSON_KEY,
                    userpass_json,
                )],
                false,
                &[("user", "password")],
            ),
            (
                vec![secret("a", DOCKERCFG_TYPE, DOCKERCFG_KEY, userpass_cfg)],
                false,
                &[("user", "password")],
            ),
            (
                vec![secret("a", DOCKERCFG_TYPE, DOCKER_CONFIG_JSON_KEY, auth)],
                false,
                &[],
            ),
            (
                vec![secret("a", DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_KEY, cfg)],
                false,
                &[],
            ),
            (
                vec![secret(
                    "a",
                    DOCKER_CONFIG_JSON_TYPE,
                    DOCKER_CONFIG_JSON_KEY,
                    other_json,
                )],
                true,
                &[("default-user", "default-password")],
            ),
            (
                vec![secret("a", DOCKERCFG_TYPE, DOCKERCFG_KEY, other_cfg)],
                true,
                &[("default-user", "default-password")],
            ),
            (vec![], true, &[("default-user", "default-password")]),
            (
                vec![secret(
                    "a",
                    DOCKER_CONFIG_JSON_TYPE,
                    DOCKER_CONFIG_JSON_KEY,
                    auth,
                )],
                true,
                &[("user", "password"), ("default-user", "default-password")],
            ),
        ];
        for (secrets, with_default, expected) in rows {
            let node = if with_default {
                default_keyring()
            } else {
                BasicDockerKeyring::new()
            };
            let secrets: Vec<Option<Secret>> = secrets.into_iter().map(Some).collect();
            let keyring = make_pull_keyring(&secrets, node).expect("payloads decode");
            let got: Vec<(String, String)> = keyring
                .lookup("test.registry.io")
                .into_iter()
                .map(|c| (c.username, c.password))
                .collect();
            let expected: Vec<(String, String)> = expected
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect();
            assert_eq!(got, expected, "{secrets:?}");
        }
    }

    #[test]
    fn same_key_keeps_image_pull_secrets_order() {
        let secrets = vec![
            Some(config_json("first", &[("registry.io", "one")])),
            Some(config_json("second", &[("https://registry.io/v2/", "two")])),
        ];
        let keyring = make_pull_keyring(&secrets, default_keyring()).expect("valid");
        assert_eq!(
            users(&keyring.lookup("registry.io/app")),
            [
                ("one".to_owned(), "pod-secret[0]".to_owned()),
                ("two".to_owned(), "pod-secret[1]".to_owned())
            ]
        );
    }

    #[test]
    fn more_specific_key_of_a_later_secret_comes_first() {
        let secrets = vec![
            Some(config_json("broad", &[("registry.io", "broad")])),
            None,
            Some(config_json("narrow", &[("registry.io/team", "narrow")])),
        ];
        let keyring = make_pull_keyring(&secrets, default_keyring()).expect("valid");
        assert_eq!(
            users(&keyring.lookup("registry.io/team/app")),
            [
                ("narrow".to_owned(), "pod-secret[2]".to_owned()),
                ("broad".to_owned(), "pod-secret[0]".to_owned())
            ]
        );
        assert_eq!(keyring.secrets.get(1), Some(&SecretOutcome::Missing));
        let source = keyring
            .lookup("registry.io/team/app")
            .first()
            .map(|c| c.source.clone());
        assert_eq!(
            source,
            Some(CredentialSource::PodSecret {
                index: 2,
                namespace: "team".to_owned(),
                name: "narrow".to_owned(),
                uid: Some("uid-narrow".to_owned()),
            })
        );
    }

    #[test]
    fn pod_secrets_come_before_the_node_config() {
        let secrets = vec![
            Some(secret("opaque", "Opaque", "token", "x")),
            Some(config_json("pod", &[("*.registry.io", "pod")])),
        ];
        let config: DockerConfig = [(
            "test.registry.io/team",
            DockerConfigEntry {
                username: "node-specific".to_owned(),
                ..DockerConfigEntry::default()
            },
        )]
        .into_iter()
        .collect();
        let mut node = default_keyring();
        node.add(&CredentialSource::NodeConfig { index: 0 }, &config);
        let keyring = make_pull_keyring(&secrets, node).expect("valid");
        // The node's more specific key does not overtake the pod Secret: the union concatenates.
        assert_eq!(
            users(&keyring.lookup("test.registry.io/team/app")),
            [
                ("pod".to_owned(), "pod-secret[1]".to_owned()),
                ("node-specific".to_owned(), "node-config[0]".to_owned()),
                ("default-user".to_owned(), "node-config[0]".to_owned()),
            ]
        );
        assert!(matches!(
            keyring.secrets.first(),
            Some(SecretOutcome::NotUsed(_))
        ));
        let reasons: Vec<String> = keyring
            .explain_lookup("test.registry.io/team/app")
            .matches
            .iter()
            .map(|(credential, reason)| format!("{}: {reason}", credential.source))
            .collect();
        assert_eq!(
            reasons.first().map(String::as_str),
            Some(
                "pod-secret[1]: key \"*.registry.io\" matches: host \"*.registry.io\" matches \"test.registry.io\" label by label, path \"\" is a prefix of \"/team/app\""
            )
        );
    }

    #[test]
    fn a_bad_payload_fails_the_whole_lookup() {
        let secrets = vec![
            Some(config_json("good", &[("registry.io", "good")])),
            Some(secret(
                "bad",
                DOCKER_CONFIG_JSON_TYPE,
                DOCKER_CONFIG_JSON_KEY,
                r#"{"auths": {"r.io": {"auth": "pants"}}}"#,
            )),
        ];
        let error = make_pull_keyring(&secrets, default_keyring()).expect_err("bad auth");
        assert_eq!(error.to_string(), "illegal base64 data at input byte 4");
        assert_eq!((error.index, error.name.as_str()), (1, "bad"));
        assert_eq!(
            error.payload.to_string(),
            "data[\".dockerconfigjson\"]: illegal base64 data at input byte 4"
        );
    }

    #[test]
    fn no_used_secret_leaves_the_node_keyring_alone() {
        let keyring = make_pull_keyring(&[None], default_keyring()).expect("valid");
        assert_eq!(keyring.union.keyrings.len(), 1);
        assert_eq!(keyring.lookup("other.io/x"), Vec::new());
    }

    /// Semantics 4.1: pod secrets, then the node's config files, then the plugins, however
    /// specific the plugins' keys are.
    #[test]
    fn plugin_credentials_come_after_secrets_and_the_node() {
        let secrets = vec![Some(config_json("pod", &[("test.registry.io", "pod")]))];
        let answer: DockerConfig = [(
            "test.registry.io/team/app",
            DockerConfigEntry {
                username: "plugin".to_owned(),
                ..DockerConfigEntry::default()
            },
        )]
        .into_iter()
        .collect();
        let plugins = crate::credentials::provider::plugin_keyring(&[("ecr", &answer, None)]);
        let keyring = make_pull_keyring_with_plugins(&secrets, default_keyring(), plugins.clone())
            .expect("valid");
        assert_eq!(
            users(&keyring.lookup("test.registry.io/team/app")),
            [
                ("pod".to_owned(), "pod-secret[0]".to_owned()),
                ("default-user".to_owned(), "node-config[0]".to_owned()),
                ("plugin".to_owned(), "plugin[ecr]".to_owned()),
            ]
        );
        assert_eq!(
            keyring.lookup("test.registry.io/team/app"),
            keyring
                .explain_lookup("test.registry.io/team/app")
                .credentials()
        );
        let reason = keyring
            .explain_lookup("test.registry.io/team/app")
            .matches
            .last()
            .map(|(credential, why)| format!("{}: {why}", credential.source));
        assert_eq!(
            reason.as_deref(),
            Some(
                "plugin[ecr]: key \"test.registry.io/team/app\" matches: same host, path \"/team/app\" is a prefix of \"/team/app\""
            )
        );
        // Without secrets: node, then plugins; without plugins it is make_pull_keyring.
        let node_first = make_pull_keyring_with_plugins(&[], default_keyring(), plugins).unwrap();
        assert_eq!(
            users(&node_first.lookup("test.registry.io/team/app")),
            [
                ("default-user".to_owned(), "node-config[0]".to_owned()),
                ("plugin".to_owned(), "plugin[ecr]".to_owned()),
            ]
        );
        assert_eq!(
            make_pull_keyring_with_plugins(&secrets, default_keyring(), BasicDockerKeyring::new())
                .unwrap()
                .lookup("test.registry.io/x"),
            make_pull_keyring(&secrets, default_keyring())
                .unwrap()
                .lookup("test.registry.io/x")
        );
    }

    /// `lookup` is `explain_lookup` without the explanation: same credentials, same order,
    /// for matches, misses, globs, the Docker Hub fallback and an empty pod keyring.
    #[test]
    fn lookup_agrees_with_explain_lookup() {
        let secrets = [
            Some(config_json(
                "a",
                &[
                    ("registry.example.com/team", "team"),
                    ("*.example.com", "glob"),
                    ("https://index.docker.io/v1/", "hub"),
                ],
            )),
            None,
            Some(config_json("b", &[("registry.example.com", "host")])),
        ];
        let with_secrets = make_pull_keyring(&secrets, default_keyring()).unwrap();
        let node_only = make_pull_keyring(&[], default_keyring()).unwrap();
        for keyring in [&with_secrets, &node_only] {
            for image in [
                "registry.example.com/team/app",
                "registry.example.com/other",
                "eu.example.com/app",
                "docker.io/library/nginx",
                "test.registry.io/x",
                "quay.io/nothing",
                "",
            ] {
                assert_eq!(
                    keyring.lookup(image),
                    keyring.explain_lookup(image).credentials(),
                    "{image}"
                );
            }
        }
        assert_eq!(
            users(&with_secrets.lookup("registry.example.com/team/app")),
            [
                ("team".to_owned(), "pod-secret[0]".to_owned()),
                ("host".to_owned(), "pod-secret[2]".to_owned()),
                ("glob".to_owned(), "pod-secret[0]".to_owned()),
            ]
        );
    }
}
