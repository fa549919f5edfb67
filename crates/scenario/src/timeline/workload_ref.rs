//! The workload object a timeline action names, as kubectl names it: `deployment/api`,
//! `deploy/api`, `deployments/api`, `deployment.apps/api`, `Deployment/api` (kubectl's
//! resource arguments: singular, plural or short name, optionally with the version and
//! group, in any case), with `namespace` beside it (default `default`).
//!
//! Each action takes the kinds kubectl takes for it; another kind is refused in kubectl's
//! words where it has them (`kubectl rollout restart`: `error: jobs.batch "x" restarting is
//! not supported`, kubectl pkg/polymorphichelpers/objectrestarter.go and
//! pkg/cmd/rollout/rollout_restart.go). A type kubectl does not know is its `the server
//! doesn't have a resource type "x"`.

use pullsim_model::go_text::quote;
use pullsim_sim::{ObjectRef, WorkloadKind};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, text};
use crate::suggest::{listed, suggestion};
use crate::tree::Node;

/// Every workload kind, in the order messages list them.
pub(crate) const ALL_KINDS: [WorkloadKind; 5] = [
    WorkloadKind::Deployment,
    WorkloadKind::ReplicaSet,
    WorkloadKind::DaemonSet,
    WorkloadKind::StatefulSet,
    WorkloadKind::Job,
];

/// What one action accepts, and how it refuses another kind.
pub(crate) struct Accepts {
    /// The action's key, for messages.
    pub(crate) action: &'static str,
    /// The kinds it takes.
    pub(crate) kinds: &'static [WorkloadKind],
    /// kubectl's refusal of another kind, after `<resource>.<group> "<name>"`.
    pub(crate) refusal: &'static str,
}

/// A kind's resource as kubectl names it: plural, singular, short names, API group.
struct Resource {
    kind: WorkloadKind,
    plural: &'static str,
    singular: &'static str,
    short: &'static [&'static str],
    group: &'static str,
}

/// The five workload resources of `kubectl api-resources`.
const RESOURCES: [Resource; 5] = [
    Resource {
        kind: WorkloadKind::Deployment,
        plural: "deployments",
        singular: "deployment",
        short: &["deploy"],
        group: "apps",
    },
    Resource {
        kind: WorkloadKind::ReplicaSet,
        plural: "replicasets",
        singular: "replicaset",
        short: &["rs"],
        group: "apps",
    },
    Resource {
        kind: WorkloadKind::DaemonSet,
        plural: "daemonsets",
        singular: "daemonset",
        short: &["ds"],
        group: "apps",
    },
    Resource {
        kind: WorkloadKind::StatefulSet,
        plural: "statefulsets",
        singular: "statefulset",
        short: &["sts"],
        group: "apps",
    },
    Resource {
        kind: WorkloadKind::Job,
        plural: "jobs",
        singular: "job",
        short: &[],
        group: "batch",
    },
];

/// Resources kubectl knows that are not workload objects, with what to use instead.
const OTHER_RESOURCES: [(&str, &str); 3] = [
    (
        "pod",
        "pods are not workload objects; deletePod deletes a pod",
    ),
    (
        "pods",
        "pods are not workload objects; deletePod deletes a pod",
    ),
    (
        "po",
        "pods are not workload objects; deletePod deletes a pod",
    ),
];

/// The resource of `kind`.
fn resource(kind: WorkloadKind) -> &'static Resource {
    RESOURCES
        .iter()
        .find(|resource| resource.kind == kind)
        .unwrap_or(&RESOURCES[0])
}

/// `deployments.apps`: the resource and group kubectl's messages print.
pub(super) fn resource_string(kind: WorkloadKind) -> String {
    let resource = resource(kind);
    format!("{}.{}", resource.plural, resource.group)
}

/// The kind a resource argument names (`deploy`, `Deployments`, `deployment.apps`,
/// `deployment.v1.apps`), if any.
fn kind_named(written: &str) -> Option<WorkloadKind> {
    let lower = written.to_ascii_lowercase();
    let (name, group) = match lower.split_once('.') {
        Some((name, rest)) => (name.to_owned(), Some(rest.to_owned())),
        None => (lower, None),
    };
    RESOURCES
        .iter()
        .find(|resource| {
            let names = name == resource.plural
                || name == resource.singular
                || resource.short.contains(&name.as_str());
            let group_matches = group.as_deref().is_none_or(|group| {
                group == resource.group || group == format!("v1.{}", resource.group)
            });
            names && group_matches
        })
        .map(|resource| resource.kind)
}

/// Every spelling of a resource, for "did you mean".
fn spellings() -> Vec<&'static str> {
    RESOURCES
        .iter()
        .flat_map(|resource| {
            [resource.singular, resource.plural]
                .into_iter()
                .chain(resource.short.iter().copied())
        })
        .collect()
}

/// The kinds an action takes, as a list of plurals: `deployments, daemonsets and
/// statefulsets`.
fn kinds_listed(kinds: &[WorkloadKind]) -> String {
    let plurals: Vec<&str> = kinds.iter().map(|kind| resource(*kind).plural).collect();
    match plurals.as_slice() {
        [] => String::new(),
        [only] => (*only).to_owned(),
        [init @ .., last] => format!("{} and {last}", listed(init)),
    }
}

/// Reads `kind/name` written at `at` as an object of `namespace`, of a kind `accepts`
/// takes.
pub(crate) fn object_named(
    written: &str,
    namespace: &str,
    accepts: &Accepts,
    at: Position,
    diagnostics: &mut Diagnostics,
) -> Option<ObjectRef> {
    let Some((kind_text, name)) = written.split_once('/') else {
        diagnostics.error(
            at,
            format!(
                "expected a workload as kind/name (deployment/api), found {}",
                quote(written)
            ),
        );
        return None;
    };
    if name.is_empty() || name.contains('/') {
        diagnostics.error(
            at,
            format!(
                "expected a workload as kind/name (deployment/api), found {}",
                quote(written)
            ),
        );
        return None;
    }
    let Some(kind) = kind_named(kind_text) else {
        let lower = kind_text.to_ascii_lowercase();
        if let Some((_, instead)) = OTHER_RESOURCES.iter().find(|(name, _)| *name == lower) {
            diagnostics.error(at, format!("{}: {instead}", quote(written)));
            return None;
        }
        let hint = suggestion(&lower, &spellings())
            .map_or(String::new(), |near| format!(" (did you mean {near}?)"));
        diagnostics.error(
            at,
            format!(
                "the server doesn't have a resource type {}{hint}",
                quote(kind_text)
            ),
        );
        return None;
    };
    if !accepts.kinds.contains(&kind) {
        diagnostics.error(
            at,
            format!(
                "{} {} {} ({} takes {})",
                resource_string(kind),
                quote(name),
                accepts.refusal,
                accepts.action,
                kinds_listed(accepts.kinds)
            ),
        );
        return None;
    }
    Some(ObjectRef::new(kind, namespace, name))
}

/// Reads the `workload` (`kind/name`) and `namespace` (default `default`) fields of an
/// action's mapping; `None` after reporting what is wrong.
pub(super) fn workload_fields(
    fields: &mut Fields<'_>,
    accepts: &Accepts,
    diagnostics: &mut Diagnostics,
) -> Option<ObjectRef> {
    let workload = fields
        .require("workload", diagnostics)
        .and_then(|n| text(n, diagnostics).map(|written| (written, n.position)));
    let namespace = fields
        .get("namespace")
        .map_or(Some("default".to_owned()), |n| text(n, diagnostics));
    let ((written, at), namespace) = (workload?, namespace?);
    object_named(&written, &namespace, accepts, at, diagnostics)
}

/// Reads an action's value that is `kind/name` alone or `{workload, namespace}`.
pub(super) fn workload_value(
    node: &Node,
    accepts: &Accepts,
    diagnostics: &mut Diagnostics,
) -> Option<ObjectRef> {
    if node.entries().is_none() {
        let written = text(node, diagnostics)?;
        return object_named(&written, "default", accepts, node.position, diagnostics);
    }
    let mut fields = Fields::of(node, "a workload", diagnostics)?;
    let object = workload_fields(&mut fields, accepts, diagnostics);
    fields.finish(diagnostics);
    object
}

/// Reads a timeline written as YAML (registry `registry.example.com` described) into its
/// actions, or its errors as `line:column: message`: the workload actions' reader tests.
#[cfg(test)]
pub(super) fn read_text(yaml: &str) -> Result<Vec<super::Planned>, Vec<String>> {
    let mut diagnostics = Diagnostics::default();
    let known = crate::references::Known::with_registries(["registry.example.com".to_owned()]);
    let actions = crate::tree::parse_document(yaml, &mut diagnostics)
        .map(|root| super::read_timeline(&root, &known, &mut diagnostics).actions)
        .unwrap_or_default();
    match diagnostics.finish("f.yaml") {
        None => Ok(actions.into_iter().map(|timed| timed.action).collect()),
        Some(errors) => Err(errors
            .errors
            .iter()
            .map(|error| format!("{}: {}", error.position, error.message))
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESTART: Accepts = Accepts {
        action: "rolloutRestart",
        kinds: &[
            WorkloadKind::Deployment,
            WorkloadKind::DaemonSet,
            WorkloadKind::StatefulSet,
        ],
        refusal: "restarting is not supported",
    };

    const ANY: Accepts = Accepts {
        action: "deleteWorkload",
        kinds: &ALL_KINDS,
        refusal: "cannot be deleted",
    };

    fn named(written: &str, accepts: &Accepts) -> Result<ObjectRef, Vec<String>> {
        let mut diagnostics = Diagnostics::default();
        let object = object_named(
            written,
            "default",
            accepts,
            Position::START,
            &mut diagnostics,
        );
        match diagnostics.finish("f.yaml") {
            None => Ok(object.expect("no errors, an object")),
            Some(errors) => Err(errors.errors.into_iter().map(|e| e.message).collect()),
        }
    }

    #[test]
    fn kubectls_spellings_of_a_resource_name_the_kind() {
        for written in [
            "deployment/api",
            "deploy/api",
            "deployments/api",
            "deployment.apps/api",
            "deployments.v1.apps/api",
            "Deployment/api",
        ] {
            assert_eq!(
                named(written, &ANY),
                Ok(ObjectRef::new(WorkloadKind::Deployment, "default", "api")),
                "{written}"
            );
        }
        let kinds = [
            ("rs/a", WorkloadKind::ReplicaSet),
            ("ds/a", WorkloadKind::DaemonSet),
            ("sts/a", WorkloadKind::StatefulSet),
            ("statefulset.apps/a", WorkloadKind::StatefulSet),
            ("jobs/a", WorkloadKind::Job),
            ("job.batch/a", WorkloadKind::Job),
        ];
        for (written, kind) in kinds {
            assert_eq!(named(written, &ANY).map(|o| o.kind), Ok(kind), "{written}");
        }
    }

    #[test]
    fn a_group_of_another_kind_is_not_that_kind() {
        assert!(named("job.apps/a", &ANY).is_err());
        assert!(named("deployment.batch/a", &ANY).is_err());
    }

    #[test]
    fn an_unknown_type_is_kubectls_words_with_a_suggestion() {
        assert_eq!(
            named("deploymnt/api", &ANY),
            Err(vec![
                "the server doesn't have a resource type \"deploymnt\" (did you mean deployment?)"
                    .to_owned()
            ])
        );
        assert_eq!(
            named("pod/web-0", &ANY),
            Err(vec![
                "\"pod/web-0\": pods are not workload objects; deletePod deletes a pod".to_owned()
            ])
        );
    }

    #[test]
    fn a_name_without_its_kind_or_with_two_slashes_is_refused() {
        for written in ["api", "deployment/", "deployment/a/b"] {
            assert_eq!(
                named(written, &ANY),
                Err(vec![format!(
                    "expected a workload as kind/name (deployment/api), found {}",
                    quote(written)
                )]),
                "{written}"
            );
        }
    }

    #[test]
    fn a_kind_the_action_does_not_take_is_refused_as_kubectl_refuses_it() {
        assert_eq!(
            named("job/migrate", &RESTART),
            Err(vec![
                "jobs.batch \"migrate\" restarting is not supported (rolloutRestart takes deployments, daemonsets and statefulsets)".to_owned()
            ])
        );
        assert_eq!(
            named("rs/web", &RESTART),
            Err(vec![
                "replicasets.apps \"web\" restarting is not supported (rolloutRestart takes deployments, daemonsets and statefulsets)".to_owned()
            ])
        );
    }
}
