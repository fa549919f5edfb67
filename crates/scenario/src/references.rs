//! Names one section of a scenario uses for something another section describes: registry
//! hosts, nodes and pools, Secrets and ServiceAccounts, pods, workloads and containers, and
//! times that must fall within the run.
//!
//! [`Known`] is what the sections read so far describe; readers consult it where the name
//! is written, so an error points at the name itself. The checks that need everything
//! (pod names unique across workloads and the timeline, what timeline actions name) run
//! last, in [`check_scenario`].

use std::collections::{BTreeMap, BTreeSet};

use pullsim_model::go_text::quote;
use pullsim_model::units::format_duration;
use pullsim_model::{SimTime, parse_image_name};
use pullsim_sim::{Action, NodePool, ObjectRef};

use crate::diagnostics::{Diagnostics, Position};
use crate::scenario::Scenario;
use crate::suggest::{listed, suggestion, unknown_value_message};
use crate::timeline::{Planned, TimedAction};
use crate::workloads::{Workload, resource_name};

/// A kind of name one section describes and others use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Names {
    /// Registry hosts (`registries`).
    Registries,
    /// Pools and nodes (`nodes`, `addNodes`).
    Nodes,
    /// Secrets (`secrets`, the timeline's `secret`).
    Secrets,
    /// ServiceAccounts.
    ServiceAccounts,
    /// Pods and workloads.
    Pods,
}

/// What the sections read so far describe.
///
/// A section that had a mistake of its own (or whose key is misspelled) may be missing
/// names the file meant to describe; names of that kind are then not checked, so one
/// mistake does not come back as a dozen "unknown" errors.
#[derive(Debug, Default)]
pub(crate) struct Known {
    uncertain: BTreeSet<Names>,
    registries: Vec<String>,
    /// Each pool's name and how many nodes it ever has (initial count plus every
    /// `addNodes`).
    pools: Vec<(String, u32)>,
    secrets: BTreeSet<(String, String)>,
    service_accounts: BTreeSet<(String, String)>,
    run_end: Option<SimTime>,
    /// Pod name to its namespace and container names.
    pods: BTreeMap<String, (String, Vec<String>)>,
    workloads: BTreeSet<String>,
    /// Workload objects (Deployments, ...), by kind, namespace and name.
    objects: BTreeSet<ObjectRef>,
    /// `credentialPlugins` names; `None` while that section is uncertain.
    plugins: Option<Vec<String>>,
}

impl Known {
    /// Registry hosts.
    pub(crate) fn with_registries(hosts: impl IntoIterator<Item = String>) -> Known {
        Known {
            registries: hosts.into_iter().collect(),
            ..Known::default()
        }
    }

    /// Stops checking names of `kind`: their section could not be read completely.
    pub(crate) fn set_uncertain(&mut self, kind: Names) {
        self.uncertain.insert(kind);
    }

    fn is_uncertain(&self, kind: Names) -> bool {
        self.uncertain.contains(&kind)
    }

    /// Whether every workload (and applied object) was read, so a name none of them has is
    /// a mistake of the name rather than of a section that could not be read.
    pub(crate) fn workloads_certain(&self) -> bool {
        !self.is_uncertain(Names::Pods)
    }

    /// Node pools (call [`Known::add_timeline`] for the nodes the timeline adds).
    pub(crate) fn add_pools(&mut self, pools: &[NodePool]) {
        self.pools
            .extend(pools.iter().map(|pool| (pool.name.clone(), pool.count)));
    }

    /// A Secret (namespace, name).
    pub(crate) fn add_secret(&mut self, namespace: &str, name: &str) {
        self.secrets.insert((namespace.to_owned(), name.to_owned()));
    }

    /// A ServiceAccount (namespace, name).
    pub(crate) fn add_service_account(&mut self, namespace: &str, name: &str) {
        self.service_accounts
            .insert((namespace.to_owned(), name.to_owned()));
    }

    /// When the run ends, once known.
    pub(crate) fn set_run_end(&mut self, end: Option<SimTime>) {
        self.run_end = end;
    }

    /// The nodes and Secrets the timeline adds.
    pub(crate) fn add_timeline(&mut self, actions: &[TimedAction]) {
        for timed in actions {
            match &timed.action {
                Planned::Action(Action::AddNodes { pool, count }) => {
                    if let Some((_, total)) = self.pools.iter_mut().find(|(name, _)| name == pool) {
                        *total = total.saturating_add(*count);
                    }
                }
                Planned::Action(Action::PutSecret(secret)) => {
                    self.add_secret(&secret.namespace, &secret.name);
                }
                _ => {}
            }
        }
    }

    /// The pods of a workload.
    pub(crate) fn add_workload(&mut self, workload: &Workload) {
        self.workloads.insert(workload.name().to_owned());
        let containers: Vec<String> = workload.container_names().map(str::to_owned).collect();
        for pod in workload.pod_names() {
            self.pods
                .insert(pod, (workload.namespace().to_owned(), containers.clone()));
        }
    }

    /// A StatefulSet's pods, whose names are fixed (`<set>-<ordinal>` for the replicas it is
    /// created with), so expectations may name them; other objects' pod names are drawn at run
    /// time. A name a bare pod already has stays that pod's.
    pub(crate) fn add_stateful_pods(&mut self, workload: &Workload) {
        let Some(object) = workload.object() else {
            return;
        };
        let pullsim_sim::WorkloadSpec::StatefulSet(spec) = &object.spec else {
            return;
        };
        let containers: Vec<String> = workload.container_names().map(str::to_owned).collect();
        for ordinal in 0..spec.replicas {
            self.pods
                .entry(format!("{}-{ordinal}", object.name))
                .or_insert_with(|| (object.namespace.clone(), containers.clone()));
        }
    }

    /// A workload object (a Deployment, ReplicaSet, DaemonSet, StatefulSet or Job).
    pub(crate) fn add_object(&mut self, object: ObjectRef) {
        self.objects.insert(object);
    }

    /// Checks that a workload object exists (for the timeline's actions on one, which
    /// print it as `deployment/web`).
    #[expect(
        dead_code,
        reason = "the seam for the timeline's setImage, scale, rolloutRestart and deleteWorkload"
    )]
    pub(crate) fn object(
        &self,
        object: &ObjectRef,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        let found = self.objects.contains(object) || self.is_uncertain(Names::Pods);
        if !found {
            let names: Vec<String> = self
                .objects
                .iter()
                .filter(|known| known.namespace == object.namespace)
                .map(ToString::to_string)
                .collect();
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let message = unknown_value_message("workload", &object.to_string(), &names);
            diagnostics.error(
                at,
                format!("{message} in namespace {}", quote(&object.namespace)),
            );
        }
        found
    }

    /// Checks a registry host.
    pub(crate) fn registry(&self, host: &str, at: Position, diagnostics: &mut Diagnostics) -> bool {
        if self.is_uncertain(Names::Registries) || self.registries.iter().any(|known| known == host)
        {
            return true;
        }
        let message = if self.registries.is_empty() {
            format!(
                "unknown registry {} (the scenario describes no registries)",
                quote(host)
            )
        } else {
            let hosts: Vec<&str> = self.registries.iter().map(String::as_str).collect();
            unknown_value_message("registry", host, &hosts)
        };
        diagnostics.error(at, message);
        false
    }

    /// The names of `credentialPlugins`; `None` when the section had a mistake.
    pub(crate) fn set_plugins(&mut self, names: Option<Vec<String>>) {
        self.plugins = names;
    }

    /// Checks that `name` is a plugin of `credentialPlugins`.
    pub(crate) fn plugin(&self, name: &str, at: Position, diagnostics: &mut Diagnostics) -> bool {
        let Some(plugins) = &self.plugins else {
            return true;
        };
        if plugins.iter().any(|known| known == name) {
            return true;
        }
        let names: Vec<&str> = plugins.iter().map(String::as_str).collect();
        diagnostics.error(at, unknown_value_message("credential plugin", name, &names));
        false
    }

    /// Checks that a parseable image is on a described registry; an unparseable image is the
    /// kubelet's `InvalidImageName` at run time, not a mistake of the file.
    pub(crate) fn image_registry(&self, image: &str, at: Position, diagnostics: &mut Diagnostics) {
        let Ok(name) = parse_image_name(image) else {
            return;
        };
        if self.is_uncertain(Names::Registries) {
            return;
        }
        let host = name.repo.split('/').next().unwrap_or_default();
        if !self.registries.iter().any(|known| known == host) {
            let hosts = if self.registries.is_empty() {
                "none are described".to_owned()
            } else {
                let hosts: Vec<&str> = self.registries.iter().map(String::as_str).collect();
                format!("described: {}", listed(&hosts))
            };
            diagnostics.error(
                at,
                format!(
                    "image {} is on registry {}, which the scenario does not describe ({hosts})",
                    quote(image),
                    quote(host)
                ),
            );
        }
    }

    /// Checks a pool name.
    pub(crate) fn pool(&self, pool: &str, at: Position, diagnostics: &mut Diagnostics) -> bool {
        if self.is_uncertain(Names::Nodes) || self.pools.iter().any(|(name, _)| name == pool) {
            return true;
        }
        let names: Vec<&str> = self.pools.iter().map(|(name, _)| name.as_str()).collect();
        diagnostics.error(at, unknown_value_message("node pool", pool, &names));
        false
    }

    /// Checks a node name (`<pool>-<index>`, within the pool's nodes over the whole run).
    pub(crate) fn node(&self, node: &str, at: Position, diagnostics: &mut Diagnostics) -> bool {
        let exists = self.is_uncertain(Names::Nodes)
            || self.pools.iter().any(|(pool, total)| {
                node.strip_prefix(pool.as_str())
                    .and_then(|rest| rest.strip_prefix('-'))
                    .and_then(|index| {
                        index
                            .parse::<u32>()
                            .ok()
                            .filter(|_| !index.starts_with('+'))
                    })
                    .is_some_and(|index| index < *total && node == format!("{pool}-{index}"))
            });
        if !exists {
            let ranges: Vec<String> = self
                .pools
                .iter()
                .filter(|(_, total)| *total > 0)
                .map(|(pool, total)| match total {
                    1 => format!("{pool}-0"),
                    _ => format!("{pool}-0 to {pool}-{}", total - 1),
                })
                .collect();
            let ranges = if ranges.is_empty() {
                "none".to_owned()
            } else {
                ranges.join(", ")
            };
            diagnostics.error(
                at,
                format!("unknown node {} (nodes: {ranges})", quote(node)),
            );
        }
        exists
    }

    /// Whether some node, over the whole run, carries every label of `selector`.
    pub(crate) fn selector_matches(
        &self,
        pools: &[NodePool],
        selector: &BTreeMap<String, String>,
    ) -> bool {
        self.is_uncertain(Names::Nodes)
            || pools.iter().any(|pool| {
                let total = self
                    .pools
                    .iter()
                    .find(|(name, _)| *name == pool.name)
                    .map_or(pool.count, |(_, total)| *total);
                if total == 0 {
                    return false;
                }
                // Nodes of a pool differ only in their hostname label.
                let index = match selector.get("kubernetes.io/hostname") {
                    None => 0,
                    Some(host) => match host
                        .strip_prefix(pool.name.as_str())
                        .and_then(|rest| rest.strip_prefix('-'))
                        .and_then(|index| index.parse::<u32>().ok())
                    {
                        Some(index) if index < total => index,
                        _ => return false,
                    },
                };
                let labels = pool.node_labels(index);
                selector
                    .iter()
                    .all(|(key, value)| labels.get(key) == Some(value))
            })
    }

    /// Checks a Secret in a namespace.
    pub(crate) fn secret(
        &self,
        namespace: &str,
        name: &str,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) -> bool {
        if self.is_uncertain(Names::Secrets)
            || self
                .secrets
                .contains(&(namespace.to_owned(), name.to_owned()))
        {
            return true;
        }
        let names: Vec<&str> = self
            .secrets
            .iter()
            .filter(|(ns, _)| ns == namespace)
            .map(|(_, name)| name.as_str())
            .collect();
        let hint = suggestion(name, &names)
            .map_or(String::new(), |near| format!("; did you mean {near}?"));
        diagnostics.error(
            at,
            format!(
                "unknown secret {} in namespace {}{hint}",
                quote(name),
                quote(namespace)
            ),
        );
        false
    }

    /// Checks a ServiceAccount in a namespace; `default` always exists.
    pub(crate) fn service_account(
        &self,
        namespace: &str,
        name: &str,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) {
        if name != "default"
            && !self.is_uncertain(Names::ServiceAccounts)
            && !self
                .service_accounts
                .contains(&(namespace.to_owned(), name.to_owned()))
        {
            diagnostics.error(
                at,
                format!(
                    "unknown service account {} in namespace {} (the API server refuses such a pod)",
                    quote(name),
                    quote(namespace)
                ),
            );
        }
    }

    /// Checks that a time falls within the run.
    pub(crate) fn within_run(&self, time: SimTime, at: Position, diagnostics: &mut Diagnostics) {
        if let Some(end) = self.run_end
            && time > end
        {
            diagnostics.error(
                at,
                format!(
                    "{} is after the run ends at {}",
                    format_duration(time.since_epoch()),
                    format_duration(end.since_epoch())
                ),
            );
        }
    }

    /// Checks a pod name and returns its namespace and containers.
    pub(crate) fn pod(
        &self,
        pod: &str,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) -> Option<&(String, Vec<String>)> {
        let found = self.pods.get(pod);
        if found.is_none() && !self.is_uncertain(Names::Pods) {
            let names: Vec<&str> = self.pods.keys().map(String::as_str).collect();
            diagnostics.error(at, unknown_value_message("pod", pod, &names));
        }
        found
    }

    /// Checks a pod's container (`None`: the pod must have exactly one).
    pub(crate) fn container(
        &self,
        pod: &str,
        container: Option<&str>,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) {
        let Some((_, containers)) = self.pods.get(pod) else {
            return;
        };
        let names: Vec<&str> = containers.iter().map(String::as_str).collect();
        match container {
            Some(name) if !names.contains(&name) => {
                let message = unknown_value_message("container", name, &names);
                diagnostics.error(at, format!("pod {}: {message}", quote(pod)));
            }
            None if names.len() > 1 => diagnostics.error(
                at,
                format!(
                    "pod {} has several containers ({}); name one with container:",
                    quote(pod),
                    listed(&names)
                ),
            ),
            _ => {}
        }
    }

    /// Checks a workload name.
    pub(crate) fn workload(&self, name: &str, at: Position, diagnostics: &mut Diagnostics) -> bool {
        let found = self.workloads.contains(name) || self.is_uncertain(Names::Pods);
        if !found {
            let names: Vec<&str> = self.workloads.iter().map(String::as_str).collect();
            diagnostics.error(at, unknown_value_message("workload", name, &names));
        }
        found
    }

    /// Checks a pod's or a workload's name.
    pub(crate) fn pod_or_workload(&self, name: &str, at: Position, diagnostics: &mut Diagnostics) {
        if !self.pods.contains_key(name)
            && !self.workloads.contains(name)
            && !self.is_uncertain(Names::Pods)
        {
            let mut names: Vec<&str> = self.workloads.iter().map(String::as_str).collect();
            names.extend(self.pods.keys().map(String::as_str));
            names.dedup();
            diagnostics.error(at, unknown_value_message("pod or workload", name, &names));
        }
    }
}

/// The checks that need the whole scenario: unique pod and workload names, and what timeline
/// actions name. Fills `known` with the workloads' pods.
pub(crate) fn check_scenario(
    scenario: &Scenario,
    known: &mut Known,
    diagnostics: &mut Diagnostics,
) {
    let mut pod_sources: BTreeMap<String, Position> = BTreeMap::new();
    let mut workload_sources: BTreeMap<&str, Position> = BTreeMap::new();
    let mut object_sources: BTreeMap<ObjectRef, (Option<&str>, Position)> = BTreeMap::new();
    for workload in &scenario.workloads {
        let file = workload.file.as_deref();
        if let Some(object) = workload.object() {
            let reference = object.object_ref();
            if let Some((first_file, first)) = object_sources.get(&reference) {
                let place = match first_file {
                    Some(first_file) if Some(*first_file) != file => {
                        format!("in {first_file} at line {}", first.line)
                    }
                    None if file.is_some() => {
                        format!("in the scenario file at line {}", first.line)
                    }
                    _ => format!("at line {}", first.line),
                };
                // The API server's AlreadyExists error.
                diagnostics.error_in(
                    file,
                    workload.position,
                    format!(
                        "{} {} already exists in namespace {} (also defined {place})",
                        resource_name(reference.kind),
                        quote(&reference.name),
                        quote(&reference.namespace)
                    ),
                );
                continue;
            }
            object_sources.insert(reference.clone(), (file, workload.position));
            known.add_object(reference);
            known.add_stateful_pods(workload);
            continue;
        }
        if let Some((pod, first)) = workload
            .pod_names()
            .into_iter()
            .find_map(|pod| pod_sources.get(&pod).map(|first| (pod, *first)))
        {
            diagnostics.error_in(
                file,
                workload.position,
                format!(
                    "duplicate pod name {} (also created by the workload at line {})",
                    quote(&pod),
                    first.line
                ),
            );
            continue;
        }
        if let Some(first) = workload_sources.get(workload.name()) {
            diagnostics.error_in(
                file,
                workload.position,
                format!(
                    "duplicate workload name {} (also at line {})",
                    quote(workload.name()),
                    first.line
                ),
            );
            continue;
        }
        workload_sources.insert(workload.name(), workload.position);
        for pod in workload.pod_names() {
            pod_sources.insert(pod, workload.position);
        }
        known.add_workload(workload);
    }
    for timed in &scenario.timeline {
        let at = timed.position;
        match &timed.action {
            Planned::Action(Action::RestartKubelet { node, .. }) => {
                known.node(node, at, diagnostics);
            }
            Planned::Action(Action::DeleteSecret { namespace, name }) => {
                known.secret(namespace, name, at, diagnostics);
            }
            Planned::DeletePod { pod } => known.pod_or_workload(pod, at, diagnostics),
            _ => {}
        }
    }
}
