//! How big a scenario may be (docs/scenario-format.md, "Limits"): nodes, pods, and pods
//! times their images, checked on the document before anything is built, so that
//! `replicas: 100000000` is a `file:line:column` error instead of memory running out.
//!
//! The ceilings leave room above the simulator's fleet benchmark (5,000 nodes with 100,000
//! pods, and twice that in its doubling run) and bound what one run can allocate: the
//! simulator keeps a few KiB per pod and the reader a name per pod.
//!
//! The totals are counted on the tree, the way the readers will read it: each node pool's
//! `count` (1 when absent) and each timeline `addNodes.count`; each Pod manifest's
//! `replicas` (1 when absent), in `workloads:` and in timeline `createPod`, times its
//! containers and init containers; each workload object's pods (its `spec.replicas`, one
//! per node for a DaemonSet, a Job's larger of completions and parallelism), in
//! `workloads:` and in `manifests:` files, times its template's containers. A value the readers will refuse (not a whole number)
//! counts as 1 here; its own error comes from its reader.

use pullsim_sim::WorkloadSpec;

use crate::diagnostics::{Diagnostics, Position};
use crate::tree::Node;
use crate::workloads::{Pods, Workload};

/// At most this many nodes: node pools' `count`s and the timeline's `addNodes`.
pub const NODES_MAX: u64 = 50_000;
/// At most this many pods: the `replicas` of every Pod manifest.
pub const PODS_MAX: u64 = 500_000;
/// At most this many containers over all pods (pods times the images each one pulls).
pub const CONTAINERS_MAX: u64 = 1_000_000;

/// A running total against one ceiling.
struct Total {
    what: &'static str,
    max: u64,
    sum: u64,
    exceeded: bool,
}

impl Total {
    fn new(what: &'static str, max: u64) -> Total {
        Total {
            what,
            max,
            sum: 0,
            exceeded: false,
        }
    }

    /// Adds `amount` written at `position`; the first value that crosses the ceiling gets
    /// the error, which says what was written there (`written`).
    fn add(
        &mut self,
        amount: u64,
        (file, position): (Option<&str>, Position),
        written: impl FnOnce() -> String,
        diagnostics: &mut Diagnostics,
    ) {
        self.sum = self.sum.saturating_add(amount);
        if self.sum > self.max && !self.exceeded {
            self.exceeded = true;
            diagnostics.error_in(
                file,
                position,
                format!(
                    "{} brings the scenario to {} {}; pullsim simulates at most {} {} (see \"Limits\" in docs/scenario-format.md)",
                    written(),
                    self.sum,
                    self.what,
                    self.max,
                    self.what
                ),
            );
        }
    }
}

/// Checks the ceilings on the document's `nodes`, `workloads` and `timeline` sections and
/// the workloads of the `manifests:` files (each file's name and its manifests); `false`
/// when one was exceeded (the error is in `diagnostics`), and then nothing that grows with
/// the pods or nodes may be built.
pub(crate) fn within_ceilings<'a>(
    nodes: Option<&Node>,
    workloads: Option<&Node>,
    timeline: Option<&Node>,
    files: impl Iterator<Item = (&'a str, &'a [Node])>,
    diagnostics: &mut Diagnostics,
) -> bool {
    let mut node_total = Total::new("nodes", NODES_MAX);
    let mut pod_total = Total::new("pods", PODS_MAX);
    let mut container_total = Total::new("containers", CONTAINERS_MAX);
    let count_of = |count: u64| move || format!("count {count}");
    for pool in items(nodes) {
        let (count, position) = amount(pool, "count");
        node_total.add(count, (None, position), count_of(count), diagnostics);
    }
    let mut manifests: Vec<(Option<&str>, &Node)> =
        items(workloads).map(|node| (None, node)).collect();
    for action in items(timeline) {
        if let Some(nodes) = get(action, "addNodes") {
            let (count, position) = amount(nodes, "count");
            node_total.add(count, (None, position), count_of(count), diagnostics);
        }
        manifests.extend(get(action, "createPod").map(|node| (None, node)));
        manifests.extend(get(action, "apply").map(|node| (None, node)));
    }
    for (file, nodes) in files {
        manifests.extend(nodes.iter().map(|node| (Some(file), node)));
    }
    for (file, manifest) in manifests {
        let (replicas, position, spec) = pods_written(manifest, node_total.sum);
        let pods = move || match replicas {
            1 => "this pod".to_owned(),
            _ => format!("replicas {replicas}"),
        };
        pod_total.add(replicas, (file, position), pods, diagnostics);
        let containers = ["containers", "initContainers"]
            .iter()
            .map(|key| {
                spec.and_then(|spec| get(spec, key))
                    .and_then(Node::items)
                    .map_or(0, <[Node]>::len)
            })
            .sum::<usize>();
        let containers = u64::try_from(containers).unwrap_or(u64::MAX);
        // One error per value: past the pod ceiling, the containers are not counted.
        if !pod_total.exceeded {
            let each = if containers == 1 {
                "container"
            } else {
                "containers"
            };
            container_total.add(
                replicas.saturating_mul(containers),
                (file, position),
                || format!("{} with {containers} {each} each", pods()),
                diagnostics,
            );
        }
    }
    !(node_total.exceeded || pod_total.exceeded || container_total.exceeded)
}

/// How many pods a manifest asks for, where that is written, and its pod spec: a Pod's
/// `replicas` and `spec`; a workload object's `spec.replicas` (a Deployment, ReplicaSet or
/// StatefulSet), one per node (a DaemonSet, of `nodes` in all), or the larger of
/// `spec.completions` and `spec.parallelism` (a Job), and its `spec.template.spec`.
fn pods_written(manifest: &Node, nodes: u64) -> (u64, Position, Option<&Node>) {
    let kind = get(manifest, "kind").and_then(Node::scalar);
    let Some(spec) = get(manifest, "spec").filter(|_| kind.is_some_and(|kind| kind != "Pod"))
    else {
        let (replicas, position) = amount(manifest, "replicas");
        return (replicas, position, get(manifest, "spec"));
    };
    let pod_spec = get(spec, "template").and_then(|template| get(template, "spec"));
    let (pods, position) = match kind {
        Some("DaemonSet") => (nodes, spec.position),
        Some("Job") => {
            let (completions, position) = amount(spec, "completions");
            let (parallelism, _) = amount(spec, "parallelism");
            (completions.max(parallelism), position)
        }
        _ => amount(spec, "replicas"),
    };
    (pods, position, pod_spec)
}

/// The items of a list section (nothing when it is not a list).
fn items(section: Option<&Node>) -> impl Iterator<Item = &Node> {
    section.and_then(Node::items).unwrap_or_default().iter()
}

/// The value of `key` in a mapping.
fn get<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    node.entries()?
        .iter()
        .find(|entry| entry.key == key)
        .map(|entry| &entry.value)
}

/// The whole number under `key` and where it is written; 1 at the mapping when absent, and
/// 1 when it is not a whole number that fits 32 bits (its reader reports that).
fn amount(node: &Node, key: &str) -> (u64, Position) {
    match get(node, key) {
        Some(value) => {
            let parsed = value
                .scalar()
                .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|text| text.parse::<u32>().ok());
            (parsed.map_or(1, u64::from), value.position)
        }
        None => (1, node.position),
    }
}

/// How many pods a read workload counts for against [`PODS_MAX`] in a fleet of `nodes`:
/// a Pod's replicas, a Deployment's, ReplicaSet's or StatefulSet's `replicas`, one per node
/// for a DaemonSet, and a Job's larger of `completions` and `parallelism`.
pub(crate) fn pods_counted(workload: &Workload, nodes: u64) -> u64 {
    match &workload.pods {
        Pods::Single { .. } => 1,
        Pods::Replicated(replicated) => u64::from(replicated.replicas),
        Pods::Object(object) => match &object.spec {
            WorkloadSpec::Deployment(spec) => u64::from(spec.replicas),
            WorkloadSpec::ReplicaSet(spec) => u64::from(spec.replicas),
            WorkloadSpec::StatefulSet(spec) => u64::from(spec.replicas),
            WorkloadSpec::DaemonSet(_) => nodes,
            WorkloadSpec::Job(spec) => {
                u64::from(spec.completions.unwrap_or(1).max(spec.parallelism))
            }
        },
    }
}
