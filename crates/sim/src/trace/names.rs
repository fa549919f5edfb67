//! The pieces of the trace's named form ([`Entry`](crate::trace::Entry)): a pod instance,
//! a container's state, where a credential came from, and how a pod id, a container, a
//! field path and a request's kind are named.

use serde::Serialize;

use crate::Sim;
use crate::api::ContainerRef;
use crate::trace::PodId;

/// A pod instance: a re-created pod has the same name and a new `instance`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Instance(pub u32);

/// A container's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum State {
    /// Waiting, with a reason and message.
    Waiting { reason: String, message: String },
    /// Running an image.
    Running {
        /// The image ID (config digest).
        image_id: String,
        /// The digest it was pulled or loaded by.
        digest: String,
    },
    /// An init container that finished.
    Completed,
}

/// Where a credential came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Credential {
    /// A pod pull Secret.
    Secret { name: String, index: usize },
    /// A node docker config file.
    Node { index: usize },
    /// A credential-provider plugin's answer.
    Plugin { provider: String },
    /// None at all.
    Anonymous,
}

impl Credential {
    /// `secret/<name>`, `node`, `plugin/<name>` or `anonymous`, as expectations write it.
    pub fn label(&self) -> String {
        match self {
            Credential::Secret { name, .. } => format!("secret/{name}"),
            Credential::Node { .. } => "node".to_owned(),
            Credential::Plugin { provider } => format!("plugin/{provider}"),
            Credential::Anonymous => "anonymous".to_owned(),
        }
    }

    /// `pod-secret[<index>]`, `node-config[<index>]`, `plugin[<name>]` or `anonymous`, as
    /// the trace's text writes it.
    pub fn source(&self) -> String {
        match self {
            Credential::Secret { index, .. } => format!("pod-secret[{index}]"),
            Credential::Node { index } => format!("node-config[{index}]"),
            Credential::Plugin { provider } => format!("plugin[{provider}]"),
            Credential::Anonymous => "anonymous".to_owned(),
        }
    }
}

pub(super) fn name(sim: &Sim, pod: PodId) -> (String, Instance) {
    let key = sim.pod_key(pod);
    let name = key.split_once('/').map_or(key.as_str(), |(_, n)| n);
    (name.to_owned(), Instance(pod.0))
}

pub(super) fn container_name(sim: &Sim, pod: PodId, container: ContainerRef) -> String {
    container
        .in_spec(sim.pod_spec(pod))
        .map_or_else(String::new, |c| c.name.clone())
}

/// `spec.containers{web}` -> `web`.
pub(super) fn field_path_name(path: &str) -> String {
    path.split_once('{')
        .map_or(path, |(_, rest)| rest.trim_end_matches('}'))
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_paths_name_their_container() {
        assert_eq!(field_path_name("spec.containers{web}"), "web");
        assert_eq!(field_path_name("spec.initContainers{setup}"), "setup");
    }
}
