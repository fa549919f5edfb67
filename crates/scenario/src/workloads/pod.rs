//! A bare Pod manifest (`v1`), optionally replicated and created at a time, and the pod spec
//! every workload template holds.
//!
//! ```yaml
//! - apiVersion: v1
//!   kind: Pod
//!   metadata: {name: web, namespace: team-a}
//!   replicas: 3                # pods web-0, web-1, web-2; without it, one pod "web"
//!   at: 30s                    # created 30 s into the run; default 0s
//!   replaceEvery: 10m          # optional churn: each pod deleted and created again
//!   runFor: 5m                 # optional: each regular container exits 0 after 5 minutes
//!   spec:
//!     nodeSelector: {kubernetes.io/arch: arm64}
//!     serviceAccountName: builder
//!     imagePullSecrets: [{name: regcred}]
//!     restartPolicy: Always      # or OnFailure, Never
//!     initContainers:
//!       - {name: setup, image: registry.example.com/tools:v1}
//!     containers:
//!       - name: app
//!         image: registry.example.com/team/app:v1
//!         imagePullPolicy: IfNotPresent
//!         readinessProbe: {initialDelaySeconds: 5}   # Ready 5 s after Running
//!         resources: {limits: {cpu: "1"}}     # ignored: does not affect pulling
//! ```
//!
//! A manifest is read as the simulator's own [`Pod`] (its pull policy defaulted, its
//! service account `default` when absent), a replicated one as the simulator's
//! [`Workload`](pullsim_sim::Workload) with that pod as its template.
//!
//! An unknown field close to one that affects pulling (`imagePulPolicy`,
//! `imagePullSecret`, `initContainer`) is an error, since ignoring it would change the
//! result. `imagePullPolicy` is defaulted here, as the API server does when the pod is
//! created (`SetDefaults_Container`), from the image as written.
//!
//! An image that does not parse is *not* an error of the file: the API server accepts it and
//! the kubelet reports `InvalidImageName` when it tries to start the container, which is
//! behaviour a scenario may want to show. Only an empty image is refused, as the API server
//! refuses it.

use std::time::Duration;

use pullsim_model::go_text::quote;
use pullsim_model::{PullPolicy, default_pull_policy};
use pullsim_sim::{Container, Pod, PodSpec, RestartPolicy, Workload as SimWorkload};

use crate::caps::{IMAGE_MAX, LABEL_MAX, within};
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, duration, list, number, text, text_map};
use crate::objects::{read_name_and_namespace, read_object_header, read_secret_references};
use crate::placement::{Level, keys_belonging_elsewhere, report_misplaced};
use crate::references::Known;
use crate::tree::Node;

use super::validation::{FieldError, Value, not_supported};
use super::{Context, Origin, Pods, Workload, read_additions};

/// Reads one Pod manifest with the scenario additions `origin` allows (`replicas`,
/// `replaceEvery`, `at`, `runFor`); `expected` names the kinds the place takes, for the
/// error when `kind` is another.
pub(crate) fn read_pod(
    node: &Node,
    origin: Origin,
    expected: &str,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Workload> {
    let mut fields = Fields::of(node, "a Pod manifest", diagnostics)?;
    let mut metadata = read_object_header(&mut fields, expected, diagnostics);
    let (name, namespace) = match metadata.as_mut() {
        Some(metadata) => read_name_and_namespace(metadata, diagnostics),
        None => (None, "default".to_owned()),
    };
    let mut containers_misplaced = false;
    if let Some(metadata) = metadata {
        containers_misplaced |= report_misplaced(&metadata, Level::Metadata, diagnostics);
        metadata.finish_manifest(diagnostics);
    }
    let from_file = matches!(origin, Origin::File { .. });
    let replicas_node = if from_file {
        None
    } else {
        fields.get("replicas")
    };
    let replicas = match replicas_node {
        None => Some(None),
        Some(node) => number::<u32>(node, diagnostics).and_then(|count| {
            if count == 0 {
                diagnostics.error(
                    node.position,
                    "replicas must be at least 1 (leave the workload out instead)",
                );
                None
            } else {
                Some(Some(count))
            }
        }),
    };
    let (created, run_for) = read_additions(&mut fields, origin, context, diagnostics);
    let replace_every_node = if from_file {
        None
    } else {
        fields.get("replaceEvery")
    };
    let replace_every = match replace_every_node {
        None => Some(None),
        Some(node) => duration(node, diagnostics).and_then(|every| {
            if every.is_zero() {
                diagnostics.error(node.position, "replaceEvery must be longer than 0s");
                None
            } else {
                Some(Some(every))
            }
        }),
    };
    containers_misplaced |= report_misplaced(&fields, Level::Manifest, diagnostics);
    let spec = if containers_misplaced {
        // The misplaced key is the error; "missing spec" or "no containers" would blame
        // the place the user meant to write it.
        fields.get("spec")
    } else {
        fields.require("spec", diagnostics)
    };
    let spec = spec.and_then(|spec| {
        read_spec(
            spec,
            "spec",
            &namespace,
            containers_misplaced,
            context,
            diagnostics,
        )
    });
    // A Pod's top level has no other fields but its `status`, which a pasted
    // `kubectl get -o yaml` carries, and the keys reported above as misplaced.
    let mut known = vec!["status"];
    known.extend(keys_belonging_elsewhere(Level::Manifest));
    fields.finish_extended_manifest(&known, diagnostics);
    let (name, replicas, at, replace_every, run_for, mut spec) =
        (name?, replicas?, created?, replace_every?, run_for?, spec?);
    spec.run_for = run_for;
    let pod = Pod {
        name: name.clone(),
        namespace,
        spec,
    };
    Some(Workload {
        at,
        pods: match replicas {
            None => Pods::Single { pod, replace_every },
            Some(replicas) => Pods::Replicated(SimWorkload {
                name,
                template: pod,
                replicas,
                replace_every,
            }),
        },
        position: node.position,
        file: None,
    })
}

/// Reads a pod spec; `path` is where it is in its object (`spec`, `spec.template.spec`),
/// for the API server's messages.
pub(super) fn read_spec(
    node: &Node,
    path: &str,
    namespace: &str,
    containers_misplaced: bool,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<PodSpec> {
    let known = context.known;
    let mut fields = Fields::of(node, "a pod spec", diagnostics)?;
    let position = fields.position();
    let containers = fields.get("containers");
    let init_containers = fields
        .get("initContainers")
        .map(|node| read_containers(node, known, diagnostics))
        .unwrap_or_default();
    let secrets = fields
        .get("imagePullSecrets")
        .map(|node| read_secret_references(node, diagnostics))
        .unwrap_or_default();
    // A Secret that does not exist is not an error: the API server admits the pod, and the
    // kubelet warns FailedToRetrieveImagePullSecret and pulls without it (the simulator
    // shows that).
    let account = fields
        .get("serviceAccountName")
        .or_else(|| fields.get("serviceAccount"))
        .and_then(|node| {
            let account = text(node, diagnostics)?;
            known.service_account(namespace, &account, node.position, diagnostics);
            Some(account)
        });
    let node_name = fields.get("nodeName").and_then(|node| {
        let name = text(node, diagnostics)?;
        known
            .node(&name, node.position, diagnostics)
            .then_some(name)
    });
    let node_selector = fields
        .get("nodeSelector")
        .map(|node| {
            let selector = text_map(node, diagnostics);
            if !known.selector_matches(context.pools, &selector) {
                diagnostics.error(
                    node.position,
                    "nodeSelector matches no node of any pool (the pod would stay Pending)",
                );
            }
            selector
        })
        .unwrap_or_default();
    let restart_policy = fields
        .get("restartPolicy")
        .map_or(Some(RestartPolicy::Always), |node| {
            read_restart_policy(node, path, diagnostics)
        });
    report_misplaced(&fields, Level::Spec, diagnostics);
    fields.finish_manifest(diagnostics);
    let written = containers.map_or(0, |node| node.items().map_or(0, <[Node]>::len));
    let containers = containers
        .map(|node| read_containers(node, known, diagnostics))
        .unwrap_or_default();
    if written == 0 {
        if containers_misplaced {
            return None;
        }
        diagnostics.error(
            position,
            format!("{path}.containers: Required value (a pod needs at least one container)"),
        );
        return None;
    }
    if containers.len() != written {
        // A container was refused; its error is already reported.
        return None;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (container, position) in init_containers.iter().chain(&containers) {
        if seen.contains(&container.name.as_str()) {
            diagnostics.error(
                *position,
                format!(
                    "container name {} is used twice in this pod",
                    quote(&container.name)
                ),
            );
        }
        seen.push(&container.name);
    }
    let without_positions = |containers: Vec<(Container, Position)>| {
        containers
            .into_iter()
            .map(|(container, _)| container)
            .collect()
    };
    Some(PodSpec {
        init_containers: without_positions(init_containers),
        containers: without_positions(containers),
        image_pull_secrets: secrets.into_iter().map(|(name, _)| name).collect(),
        service_account_name: Some(account.unwrap_or_else(|| "default".to_owned())),
        node_name,
        node_selector,
        restart_policy: restart_policy?,
        ..PodSpec::default()
    })
}

/// `restartPolicy`: `Always` (the default), `OnFailure` or `Never`, as
/// `validateRestartPolicy` (pkg/apis/core/validation) takes it.
fn read_restart_policy(
    node: &Node,
    path: &str,
    diagnostics: &mut Diagnostics,
) -> Option<RestartPolicy> {
    let written = text(node, diagnostics)?;
    let policy = [
        RestartPolicy::Always,
        RestartPolicy::OnFailure,
        RestartPolicy::Never,
    ]
    .into_iter()
    .find(|policy| policy.as_str() == written);
    if policy.is_none() {
        diagnostics.error(
            node.position,
            not_supported(
                &format!("{path}.restartPolicy"),
                &Value::Text(written),
                &["Always", "OnFailure", "Never"],
            ),
        );
    }
    policy
}

/// Reads containers, each with where it is described.
fn read_containers(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Vec<(Container, Position)> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| read_container(item, known, diagnostics))
        .collect()
}

fn read_container(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<(Container, Position)> {
    let mut fields = Fields::of(node, "a container", diagnostics)?;
    let position = fields.position();
    let name = fields.require("name", diagnostics).and_then(|name| {
        text(name, diagnostics).filter(|text| {
            within(
                name.position,
                text,
                "container name",
                LABEL_MAX,
                diagnostics,
            )
        })
    });
    let image = match fields.get("image") {
        Some(image) => text(image, diagnostics)
            .filter(|written| within(image.position, written, "image", IMAGE_MAX, diagnostics))
            .inspect(|written| {
                known.image_registry(written, image.position, diagnostics);
            }),
        None => {
            diagnostics.error(
                position,
                "image: Required value (a container needs an image)",
            );
            None
        }
    };
    let policy = fields.get("imagePullPolicy").map(|node| {
        text(node, diagnostics).and_then(|written| {
            written
                .parse::<PullPolicy>()
                .map_err(|error| diagnostics.error(node.position, error.to_string()))
                .ok()
        })
    });
    let readiness_delay = fields.get("readinessProbe").map_or(Some(None), |probe| {
        read_readiness_delay(probe, diagnostics).map(Some)
    });
    report_misplaced(&fields, Level::Container, diagnostics);
    fields.finish_manifest(diagnostics);
    let image = image?;
    let image_pull_policy = match policy {
        Some(policy) => policy?,
        None => default_pull_policy(&image),
    };
    Some((
        Container {
            name: name?,
            image,
            image_pull_policy: Some(image_pull_policy),
            readiness_delay: readiness_delay?,
        },
        position,
    ))
}

/// A container's `readinessProbe`: only `initialDelaySeconds` is read (0 when absent); the
/// probe itself is taken to succeed from then on.
fn read_readiness_delay(node: &Node, diagnostics: &mut Diagnostics) -> Option<Duration> {
    let mut fields = Fields::of(node, "a readiness probe", diagnostics)?;
    let delay = match fields.get("initialDelaySeconds") {
        None => Some(0),
        Some(seconds) => {
            FieldError::nonnegative(seconds, "readinessProbe.initialDelaySeconds", diagnostics)
        }
    };
    fields.finish_manifest(diagnostics);
    delay.map(|seconds| Duration::from_secs(u64::from(seconds)))
}
