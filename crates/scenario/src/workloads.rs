//! `workloads:`: real Pod manifests, each optionally replicated and created at a time.
//!
//! ```yaml
//! workloads:
//!   - apiVersion: v1
//!     kind: Pod
//!     metadata: {name: web, namespace: team-a}
//!     replicas: 3                # pods web-0, web-1, web-2; without it, one pod "web"
//!     at: 30s                    # created 30 s into the run; default 0s
//!     replaceEvery: 10m          # optional churn: each pod deleted and created again
//!     spec:
//!       nodeSelector: {kubernetes.io/arch: arm64}
//!       serviceAccountName: builder
//!       imagePullSecrets: [{name: regcred}]
//!       initContainers:
//!         - {name: setup, image: registry.example.com/tools:v1}
//!       containers:
//!         - name: app
//!           image: registry.example.com/team/app:v1
//!           imagePullPolicy: IfNotPresent
//!           resources: {limits: {cpu: "1"}}     # ignored: does not affect pulling
//! ```
//!
//! A manifest is read as the simulator's own [`Pod`] (its pull policy defaulted, its
//! service account `default` when absent), a replicated one as the simulator's
//! [`Workload`](pullsim_sim::Workload) with that pod as its template; [`Workload`] adds
//! only when it is created and where it is written.
//!
//! Only what affects pulling is read; every other field of a real manifest is ignored, so a
//! manifest pastes in. An unknown field close to one that affects pulling (`imagePulPolicy`,
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
use pullsim_model::{PullPolicy, SimTime, default_pull_policy};
use pullsim_sim::{Container, NodePool, Pod, PodSpec, Workload as SimWorkload};

use crate::caps::{IMAGE_MAX, LABEL_MAX, within};
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, duration, list, number, text, text_map, time};
use crate::objects::{read_name_and_namespace, read_object_header, read_secret_references};
use crate::placement::{Level, keys_belonging_elsewhere, report_misplaced};
use crate::references::Known;
use crate::tree::Node;

/// A Pod manifest as the simulator takes it, and when it is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// When the pods are created.
    pub at: SimTime,
    /// The pod, or the replicated workload.
    pub pods: Pods,
    /// Where the manifest is.
    pub position: Position,
}

/// What a manifest creates: one pod, or replicas of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pods {
    /// No `replicas`: one pod, named as the manifest, placed by the scheduler.
    Single {
        /// The pod.
        pod: Pod,
        /// `replaceEvery`: the pod is deleted and created again (a new pod of the same
        /// name) this often, until the run ends.
        replace_every: Option<Duration>,
    },
    /// `replicas`: the simulator's workload, pods `name-0` ... `name-(n-1)`, whose template
    /// is the manifest (named as it).
    Replicated(SimWorkload),
}

impl Workload {
    /// `metadata.name`: the pod's name, or the prefix of its replicas' names.
    pub fn name(&self) -> &str {
        &self.pod().name
    }

    /// `metadata.namespace`, `default` when absent.
    pub fn namespace(&self) -> &str {
        &self.pod().namespace
    }

    /// The pod, or the replicas' template.
    pub fn pod(&self) -> &Pod {
        match &self.pods {
            Pods::Single { pod, .. } => pod,
            Pods::Replicated(workload) => &workload.template,
        }
    }

    /// Whether `replicas` is written.
    pub fn is_replicated(&self) -> bool {
        matches!(self.pods, Pods::Replicated(_))
    }

    /// `replaceEvery`, if written.
    pub fn replace_every(&self) -> Option<Duration> {
        match &self.pods {
            Pods::Single { replace_every, .. } => *replace_every,
            Pods::Replicated(workload) => workload.replace_every,
        }
    }

    /// The names of the pods this workload creates.
    pub fn pod_names(&self) -> Vec<String> {
        match &self.pods {
            Pods::Single { pod, .. } => vec![pod.name.clone()],
            Pods::Replicated(workload) => (0..workload.replicas)
                .map(|index| format!("{}-{index}", workload.name))
                .collect(),
        }
    }

    /// The names of its init containers then its containers.
    pub fn container_names(&self) -> impl Iterator<Item = &str> {
        let spec = &self.pod().spec;
        spec.init_containers
            .iter()
            .chain(&spec.containers)
            .map(|container| container.name.as_str())
    }
}

/// What a pod manifest's references are checked against.
pub(crate) struct Context<'a> {
    /// Names described elsewhere in the scenario.
    pub(crate) known: &'a Known,
    /// The node pools, for `nodeSelector`.
    pub(crate) pools: &'a [NodePool],
}

/// Reads `workloads:`.
pub(crate) fn read_workloads(
    node: &Node,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Vec<Workload> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| read_workload(item, None, context, diagnostics))
        .collect()
}

/// Reads one Pod manifest with `replicas` and `at`; `at` is the timeline's time when the
/// manifest is a timeline action, and may then not be written in the manifest.
pub(crate) fn read_workload(
    node: &Node,
    at: Option<SimTime>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Workload> {
    let mut fields = Fields::of(node, "a Pod manifest", diagnostics)?;
    let mut metadata = read_object_header(&mut fields, "Pod", diagnostics);
    let (name, namespace) = match metadata.as_mut() {
        Some(metadata) => read_name_and_namespace(metadata, diagnostics),
        None => (None, "default".to_owned()),
    };
    let mut containers_misplaced = false;
    if let Some(metadata) = metadata {
        containers_misplaced |= report_misplaced(&metadata, Level::Metadata, diagnostics);
        metadata.finish_manifest(diagnostics);
    }
    let replicas = match fields.get("replicas") {
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
    let written_at = fields.get("at");
    let created = match (written_at, at) {
        (Some(node), Some(_)) => {
            diagnostics.error(
                node.position,
                "a pod created by the timeline takes its time from the action's \"at\"",
            );
            None
        }
        (Some(node), None) => time(node, diagnostics).inspect(|&at| {
            context.known.within_run(at, node.position, diagnostics);
        }),
        (None, at) => Some(at.unwrap_or(SimTime::EPOCH)),
    };
    let replace_every = match fields.get("replaceEvery") {
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
    let spec = spec
        .and_then(|spec| read_spec(spec, &namespace, containers_misplaced, context, diagnostics));
    // A Pod's top level has no other fields but its `status`, which a pasted
    // `kubectl get -o yaml` carries, and the keys reported above as misplaced.
    let mut known = vec!["status"];
    known.extend(keys_belonging_elsewhere(Level::Manifest));
    fields.finish_extended_manifest(&known, diagnostics);
    let (name, replicas, at, replace_every, spec) =
        (name?, replicas?, created?, replace_every?, spec?);
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
    })
}

fn read_spec(
    node: &Node,
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
            "spec.containers: Required value (a pod needs at least one container)",
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
        ..PodSpec::default()
    })
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
            readiness_delay: None,
        },
        position,
    ))
}
