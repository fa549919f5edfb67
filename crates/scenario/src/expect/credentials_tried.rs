//! `credentialsTried`: the credentials the kubelet tried for a container's image, in
//! order, in the first pull that made any credential attempt (the kubelet stops at the
//! first that pulls).

use super::wording::subject_of_pod;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{list, text};
use crate::references::Known;
use crate::run::judge::{Credential, Entry, Evidence, Judged, Story};
use crate::tree::Node;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "credentialsTried",
    docs: r"| `credentialsTried: [...]` | `pod` | `container` | the credentials tried for the image, in order: `secret/<name>`, `node` (the node's config file), `plugin/<name>` (a credential provider's answer), `anonymous`; all but the last may end with `as <user>` |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// The credentials the kubelet tried for a container's image, in order (one pull, the
/// first that contacted the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsTried {
    /// The pod.
    pub pod: String,
    /// The container; `None` when the pod has one.
    pub container: Option<String>,
    /// The credentials.
    pub credentials: Vec<CredentialRef>,
}

/// A credential, as the keyring hands it to the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    /// From a pull Secret of the pod, by name (`secret/regcred`, optionally `as <user>`).
    Secret {
        /// The Secret's name.
        name: String,
        /// The user name, when asserted.
        user: Option<String>,
    },
    /// From the node's docker config file (`node`, optionally `as <user>`).
    NodeConfig {
        /// The user name, when asserted.
        user: Option<String>,
    },
    /// From a credential provider's answer (`plugin/<name>`, optionally `as <user>`).
    Plugin {
        /// The provider's name.
        name: String,
        /// The user name, when asserted.
        user: Option<String>,
    },
    /// No credential at all (`anonymous`).
    Anonymous,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    reading.check_container(true, known, diagnostics);
    let credentials: Vec<_> = list(reading.value, diagnostics)
        .iter()
        .map(|item| {
            let credential = credential(item, diagnostics)?;
            if let (CredentialRef::Secret { name, .. }, Some(namespace)) =
                (&credential, &reading.pod_namespace)
            {
                known.secret(namespace, name, item.position, diagnostics);
            }
            Some(credential)
        })
        .collect();
    let pod = reading.pod.take();
    Some(Check::CredentialsTried(CredentialsTried {
        pod: reading.need(pod, "pod", diagnostics)?,
        container: reading.container.take(),
        credentials: credentials.into_iter().collect::<Option<_>>()?,
    }))
}

/// `secret/<name>`, `node` or `anonymous`, the first two optionally followed by `as <user>`.
fn credential(node: &Node, diagnostics: &mut Diagnostics) -> Option<CredentialRef> {
    let written = text(node, diagnostics)?;
    let (source, user) = match written.split_once(" as ") {
        Some((source, user)) => (source.trim(), Some(user.trim().to_owned())),
        None => (written.trim(), None),
    };
    if let Some(name) = source
        .strip_prefix("plugin/")
        .filter(|name| !name.is_empty())
    {
        return Some(CredentialRef::Plugin {
            name: name.to_owned(),
            user,
        });
    }
    match (source, source.strip_prefix("secret/")) {
        (_, Some(name)) if !name.is_empty() => Some(CredentialRef::Secret {
            name: name.to_owned(),
            user,
        }),
        ("node", _) => Some(CredentialRef::NodeConfig { user }),
        ("anonymous", _) if user.is_none() => Some(CredentialRef::Anonymous),
        _ => {
            diagnostics.error(
                node.position,
                format!(
                    "unknown credential {} (expected secret/<name>, node, plugin/<name> or anonymous; all but the last may end with \"as <user>\")",
                    pullsim_model::go_text::quote(&written)
                ),
            );
            None
        }
    }
}

impl CredentialsTried {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let CredentialsTried {
            pod,
            container,
            credentials,
        } = self;
        let actual = credentials_tried(evidence.story, pod, container.as_deref());
        let passed = actual.len() == credentials.len()
            && credentials
                .iter()
                .zip(&actual)
                .all(|(expected, (credential, user))| {
                    credential_matches(expected, credential, user)
                });
        Judged {
            subject: subject_of_pod(pod, container.as_deref()),
            expected: format!(
                "credentials tried [{}]",
                credentials
                    .iter()
                    .map(expected_credential)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            actual: format!(
                "[{}]",
                actual
                    .iter()
                    .map(|(credential, user)| match credential {
                        Credential::Anonymous => credential.label(),
                        _ => format!("{} as {user}", credential.label()),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            passed,
        }
    }
}

fn credentials_tried(
    story: &Story,
    pod: &str,
    container: Option<&str>,
) -> Vec<(Credential, String)> {
    let mut pull: Vec<(Credential, String)> = Vec::new();
    for record in &story.records {
        match &record.entry {
            Entry::CredentialAttempt {
                pod: name,
                container: name_of,
                credential,
                username,
                ..
            } if name == pod && container.is_none_or(|c| c == name_of) => {
                pull.push((credential.clone(), username.clone()));
            }
            // A pull of the pod ended: the first that tried anything is the answer.
            Entry::PullFinished { pod: name, .. } if name == pod && !pull.is_empty() => {
                return pull;
            }
            _ => {}
        }
    }
    pull
}

fn credential_matches(expected: &CredentialRef, credential: &Credential, user: &str) -> bool {
    match (expected, credential) {
        (CredentialRef::Secret { name, user: want }, Credential::Secret { name: seen, .. }) => {
            name == seen && want.as_ref().is_none_or(|w| w == user)
        }
        (CredentialRef::NodeConfig { user: want }, Credential::Node { .. }) => {
            want.as_ref().is_none_or(|w| w == user)
        }
        (CredentialRef::Plugin { name, user: want }, Credential::Plugin { provider }) => {
            name == provider && want.as_ref().is_none_or(|w| w == user)
        }
        (CredentialRef::Anonymous, Credential::Anonymous) => true,
        _ => false,
    }
}

fn expected_credential(credential: &CredentialRef) -> String {
    match credential {
        CredentialRef::Secret { name, user: None } => format!("secret/{name}"),
        CredentialRef::Secret {
            name,
            user: Some(user),
        } => format!("secret/{name} as {user}"),
        CredentialRef::NodeConfig { user: None } => "node".to_owned(),
        CredentialRef::NodeConfig { user: Some(user) } => format!("node as {user}"),
        CredentialRef::Plugin { name, user: None } => format!("plugin/{name}"),
        CredentialRef::Plugin {
            name,
            user: Some(user),
        } => format!("plugin/{name} as {user}"),
        CredentialRef::Anonymous => "anonymous".to_owned(),
    }
}
