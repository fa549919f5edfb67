//! `timeline:`: what happens to the world during the run, each action at a time.
//!
//! ```yaml
//! timeline:
//!   - {at: 2m, push: {registry: registry.example.com, repository: team/app, tag: v1, build: 2}}
//!   - {at: 3m, moveTag: {registry: registry.example.com, repository: team/app, tag: latest, to: v1}}
//!   - {at: 4m, deleteTag: {registry: registry.example.com, repository: team/app, tag: old}}
//!   - {at: 5m, outage: {registry: registry.example.com, until: 25m, status: 503}}  # or unreachable
//!   - {at: 6m, fault: {registry: registry.example.com, match: {method: GET}, status: 429, retry_after: 5s, uses: 10}}
//!   - at: 7m
//!     secret: {apiVersion: v1, kind: Secret, metadata: {name: regcred}, type: kubernetes.io/dockerconfigjson, stringData: {.dockerconfigjson: '{"auths": {}}'}}
//!   - {at: 8m, deleteSecret: {name: regcred}}
//!   - {at: 9m, restartKubelet: workers-0}            # or {node: workers-0, downtime: 30s}
//!   - {at: 10m, addNodes: {pool: workers, count: 5}}
//!   - {at: 11m, deletePod: web-0}
//!   - {at: 12m, createPod: {metadata: {name: late}, spec: {containers: [{name: c, image: registry.example.com/team/app:v1}]}}}
//!   - {at: 13m, setImage: {workload: deployment/api, container: app, image: registry.example.com/team/app:v2}}
//!   - {at: 14m, rolloutRestart: deployment/api}   # or {workload: deployment/api, namespace: team-a}
//!   - {at: 15m, scale: {workload: deployment/api, replicas: 20}}
//!   - {at: 16m, deleteWorkload: deployment/api}   # or {workload: deployment/api, namespace: team-a}
//!   - {at: 17m, pluginOutage: {plugin: ecr-credential-provider, until: 30m, mode: hang}}
//!   - {at: 18m, setPassword: {registry: registry.example.com, account: alice, password: new}}
//! ```
//!
//! `push` takes the registry's host and an image spec as `images:` does; `fault` the host and
//! a fault rule as `faults:` does; both are read by the registry crate's definitions.
//! `secret` creates a Secret or replaces the one with its name (a rotation). `createPod` is
//! the same as a workload with `at`, and becomes one of the scenario's workloads. Actions are
//! kept in time order; actions at the same time keep file order.
//!
//! Each kind of action is one file: its key, its row of the action table in
//! `docs/scenario-format.md` (a test checks the two agree), its reader, and, when the
//! simulator's action is known only once the world is built, that last step. A reader
//! produces the simulator's own [`Action`]. This module is the table of contents:
//! `KINDS` lists them, in the order the "needs exactly one action" error names them.

use pullsim_model::SimTime;
use pullsim_sim::{Action, OutageKind};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, list, time};
use crate::references::Known;
use crate::tree::Node;
use crate::workloads::Workload;

pub(crate) use apply::read_applies;
pub(crate) use workload_ref::{ALL_KINDS, Accepts, object_named};
pub(crate) use workload_refs::check_scenario_workloads;

mod add_nodes;
mod apply;
mod create_pod;
mod delete_pod;
mod delete_secret;
mod delete_tag;
mod delete_workload;
mod fault;
mod host;
mod move_tag;
mod outage;
mod plugin_outage;
mod push;
mod restart_kubelet;
mod rollout_restart;
mod scale;
mod secret;
mod set_image;
mod set_password;
mod workload_ref;
mod workload_refs;

/// Every kind of timeline action.
const KINDS: [Kind; 18] = [
    push::KIND,
    move_tag::KIND,
    delete_tag::KIND,
    outage::KIND,
    fault::KIND,
    secret::KIND,
    delete_secret::KIND,
    restart_kubelet::KIND,
    add_nodes::KIND,
    delete_pod::KIND,
    create_pod::KIND,
    set_image::KIND,
    rollout_restart::KIND,
    scale::KIND,
    delete_workload::KIND,
    apply::KIND,
    plugin_outage::KIND,
    set_password::KIND,
];

/// One kind of timeline action.
struct Kind {
    /// Its key in a timeline entry.
    key: &'static str,
    /// Its row of the action table in `docs/scenario-format.md`, verbatim.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that checks the docs agree")
    )]
    docs: &'static str,
    /// How its value is read.
    reader: Reader,
}

/// How a kind's value is read.
enum Reader {
    /// Now, into what the entry does, given the entry's time and what the sections read
    /// before the timeline describe.
    Action(fn(&Node, SimTime, &Known, &mut Diagnostics) -> Option<Planned>),
    /// As a Pod manifest, with the workloads.
    Pod,
    /// As a workload object's manifest, with the workloads (`apply`).
    Object,
}

/// One action and when it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedAction {
    /// When.
    pub at: SimTime,
    /// What.
    pub action: Planned,
    /// Where the action is written.
    pub position: Position,
}

/// What a timeline entry does: the simulator's action, or one whose last detail is known
/// only when the world is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// The simulator's action, scheduled as read.
    Action(Action),
    /// An `outage` without `until`: it lasts to the end of the run, which a run may move.
    OutageToEnd {
        /// The registry's host.
        host: String,
        /// How it fails.
        kind: OutageKind,
    },
    /// `deletePod`: a pod, or every pod of a workload, by name (the pods are known once
    /// every workload is read).
    DeletePod {
        /// A pod's or a workload's name.
        pod: String,
    },
}

impl Planned {
    /// The simulator's actions this entry takes at `at`, in a run that ends at `end` with
    /// these workloads.
    pub(crate) fn actions(&self, at: SimTime, end: SimTime, workloads: &[Workload]) -> Vec<Action> {
        match self {
            Planned::Action(action) => vec![action.clone()],
            Planned::OutageToEnd { host, kind } => vec![outage::to_end(host, *kind, at, end)],
            Planned::DeletePod { pod } => delete_pod::deletions(workloads, pod),
        }
    }
}

/// What `timeline:` holds: the actions read, and the manifests read later with the
/// workloads, with their times.
#[derive(Debug, Default)]
pub(crate) struct Timeline<'a> {
    /// The actions, in time order (same time: file order).
    pub(crate) actions: Vec<TimedAction>,
    /// The Pod manifests `createPod` creates.
    pub(crate) pods: Vec<(SimTime, &'a Node)>,
    /// The workload manifests `apply` applies (see [`read_applies`]).
    pub(crate) objects: Vec<(SimTime, &'a Node)>,
}

/// Adds the `apply` actions once read to the timeline's `actions`, keeping time order and,
/// at the same time, file order.
pub(crate) fn add_applies(actions: &mut Vec<TimedAction>, applies: Vec<TimedAction>) {
    if applies.is_empty() {
        return;
    }
    actions.extend(applies);
    actions.sort_by_key(|action| (action.at, action.position));
}

/// Reads `timeline:`: the actions in time order, and the Pod and workload manifests it
/// creates or applies with their times (read with the workloads once every Secret and node
/// is known).
pub(crate) fn read_timeline<'a>(
    node: &'a Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Timeline<'a> {
    let mut actions = Vec::new();
    let mut pods = Vec::new();
    let mut objects = Vec::new();
    for item in list(node, diagnostics) {
        let Some(mut fields) = Fields::of(item, "a timeline action", diagnostics) else {
            continue;
        };
        let at = fields.require("at", diagnostics).and_then(|at_node| {
            let at = time(at_node, diagnostics)?;
            known.within_run(at, at_node.position, diagnostics);
            Some(at)
        });
        let written: Vec<(&Kind, &Node)> = KINDS
            .iter()
            .filter_map(|kind| fields.get(kind.key).map(|value| (kind, value)))
            .collect();
        fields.finish(diagnostics);
        let [(kind, value)] = written.as_slice() else {
            let keys: Vec<&str> = KINDS.iter().map(|kind| kind.key).collect();
            diagnostics.error(
                item.position,
                format!(
                    "a timeline entry needs exactly one action: {}",
                    keys.join(", ")
                ),
            );
            continue;
        };
        let Some(at) = at else {
            continue;
        };
        match kind.reader {
            Reader::Pod => pods.push((at, *value)),
            Reader::Object => objects.push((at, *value)),
            Reader::Action(read) => {
                if let Some(action) = read(value, at, known, diagnostics) {
                    actions.push(TimedAction {
                        at,
                        action,
                        position: value.position,
                    });
                }
            }
        }
    }
    actions.sort_by_key(|action| action.at);
    Timeline {
        actions,
        pods,
        objects,
    }
}

/// An outage's `until` (absent: to the end of the run), which must come after its `at`.
fn outage_end(
    node: Option<&Node>,
    at: SimTime,
    diagnostics: &mut Diagnostics,
) -> Option<Option<SimTime>> {
    let Some(node) = node else {
        return Some(None);
    };
    let until = time(node, diagnostics)?;
    if until <= at {
        diagnostics.error(node.position, "an outage must end after it starts");
        return None;
    }
    Some(Some(until))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The action table of `docs/scenario-format.md`'s `timeline` section, row by row.
    fn documented_rows() -> Vec<&'static str> {
        let docs = include_str!("../../../../docs/scenario-format.md");
        let section = docs
            .split_once("\n## `timeline`")
            .expect("the format reference has a timeline section")
            .1;
        let section = section.split("\n## ").next().unwrap_or(section);
        let table = section
            .split_once("| action | value | meaning |\n|---|---|---|\n")
            .expect("the timeline section has the action table")
            .1;
        table
            .lines()
            .take_while(|line| line.starts_with('|'))
            .collect()
    }

    #[test]
    fn every_kind_is_one_row_of_the_documented_action_table_and_every_row_a_kind() {
        let rows = documented_rows();
        let mut documented: Vec<&str> = rows.clone();
        let mut kinds: Vec<&str> = KINDS.iter().map(|kind| kind.docs).collect();
        documented.sort_unstable();
        kinds.sort_unstable();
        assert_eq!(kinds, documented);
        for kind in &KINDS {
            assert!(
                kind.docs.starts_with(&format!("| `{}` |", kind.key)),
                "{}'s docs row names another key: {}",
                kind.key,
                kind.docs
            );
        }
    }

    #[test]
    fn the_kinds_have_distinct_keys() {
        let mut keys: Vec<&str> = KINDS.iter().map(|kind| kind.key).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), KINDS.len());
    }
}
