//! A pod template as the controllers hold it: the simulator's [`Pod`] shared by every pod
//! made from it, plus the template's annotations (a rollout restart's
//! `kubectl.kubernetes.io/restartedAt` changes the template without changing the pod), and
//! its canonical text, which the revision hashes are computed over (docs/semantics.md §10.6:
//! upstream hashes Go's dump of its own structure, pullsim this text).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use pullsim_model::controllers::names;

use crate::api::{Container, Pod, PodSpec};

/// The annotation `kubectl rollout restart` sets on a template.
pub const RESTARTED_AT_ANNOTATION: &str = "kubectl.kubernetes.io/restartedAt";

/// A workload's pod template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTemplate {
    /// The pod every replica is made from (its `name` is ignored).
    pub pod: Arc<Pod>,
    /// `template.metadata.annotations`.
    pub annotations: BTreeMap<String, String>,
}

impl PodTemplate {
    /// A template of `pod` with no annotations.
    pub fn new(pod: Pod) -> Self {
        PodTemplate {
            pod: Arc::new(pod),
            annotations: BTreeMap::new(),
        }
    }

    /// The canonical text: every field that makes two templates different, in a fixed order
    /// (the pod's name is not one of them).
    pub fn canonical_text(&self) -> String {
        let PodSpec {
            init_containers,
            containers,
            image_pull_secrets,
            service_account_name,
            node_name,
            node_selector,
            restart_policy,
            run_for,
        } = &self.pod.spec;
        let mut text = format!("namespace: {}\n", self.pod.namespace);
        let mut container = |list: &str, c: &Container| {
            let Container {
                name,
                image,
                image_pull_policy,
                readiness_delay,
            } = c;
            let _ = writeln!(
                text,
                "{list}: {name} {image} {image_pull_policy:?} {readiness_delay:?}"
            );
        };
        for c in init_containers {
            container("initContainer", c);
        }
        for c in containers {
            container("container", c);
        }
        for secret in image_pull_secrets {
            let _ = writeln!(text, "imagePullSecret: {secret}");
        }
        let _ = writeln!(text, "serviceAccountName: {service_account_name:?}");
        let _ = writeln!(text, "nodeName: {node_name:?}");
        for (key, value) in node_selector {
            let _ = writeln!(text, "nodeSelector: {key}={value}");
        }
        let _ = writeln!(text, "restartPolicy: {}", restart_policy.as_str());
        let _ = writeln!(text, "runFor: {run_for:?}");
        for (key, value) in &self.annotations {
            let _ = writeln!(text, "annotation: {key}={value}");
        }
        text
    }

    /// `ComputeHash` of the template with `collision_count`: the `pod-template-hash` of a
    /// Deployment's ReplicaSet, the hash part of a `controller-revision-hash`.
    pub fn hash(&self, collision_count: Option<u32>) -> String {
        names::pod_template_hash(&self.canonical_text(), collision_count)
    }

    /// Whether two templates make the same pods (`EqualIgnoreHash`).
    pub fn same_as(&self, other: &PodTemplate) -> bool {
        self.canonical_text() == other.canonical_text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(image: &str) -> PodTemplate {
        PodTemplate::new(Pod::new("ignored", vec![Container::new("app", image)]))
    }

    #[test]
    fn the_hash_follows_the_template_and_not_the_pod_name() {
        let v1 = template("registry.example.com/app:v1");
        let mut renamed = (*v1.pod).clone();
        renamed.name = "other".to_owned();
        assert!(v1.same_as(&PodTemplate::new(renamed)));
        assert_eq!(
            v1.hash(None),
            template("registry.example.com/app:v1").hash(None)
        );
        let v2 = template("registry.example.com/app:v2");
        assert!(!v1.same_as(&v2));
        assert_ne!(v1.hash(None), v2.hash(None));
        let mut restarted = v1.clone();
        restarted.annotations.insert(
            RESTARTED_AT_ANNOTATION.to_owned(),
            "2026-12-07T10:00:00Z".to_owned(),
        );
        assert!(!v1.same_as(&restarted));
        assert_ne!(v1.hash(None), restarted.hash(None));
        assert_ne!(v1.hash(None), v1.hash(Some(1)));
        assert!(
            v1.canonical_text()
                .contains("container: app registry.example.com/app:v1 None None")
        );
    }
}
