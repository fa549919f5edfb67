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
//! ```
//!
//! `push` takes the registry's host and an image spec as `images:` does; `fault` the host and
//! a fault rule as `faults:` does; both are read by the registry crate's definitions.
//! `secret` creates a Secret or replaces the one with its name (a rotation). `createPod` is
//! the same as a workload with `at`, and becomes one of the scenario's workloads. Actions are
//! kept in time order; actions at the same time keep file order.

use std::time::Duration;

use pullsim_model::go_text::quote;
use pullsim_model::{Digest, SimTime};
use pullsim_registry::{FAULT_STATUSES, ImageSpec};
use pullsim_sim::{Action, OutageKind};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, duration, list, number, text, time};
use crate::objects::read_secret;
use crate::references::Known;
use crate::registries::one;
use crate::tree::{Node, Value};

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

const ACTIONS: [&str; 11] = [
    "push",
    "moveTag",
    "deleteTag",
    "outage",
    "fault",
    "secret",
    "deleteSecret",
    "restartKubelet",
    "addNodes",
    "deletePod",
    "createPod",
];

/// Reads `timeline:`: the actions in time order, and the Pod manifests it creates with
/// their times (read as workloads once every Secret and node is known).
pub(crate) fn read_timeline<'a>(
    node: &'a Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> (Vec<TimedAction>, Vec<(SimTime, &'a Node)>) {
    let mut actions = Vec::new();
    let mut pods = Vec::new();
    for item in list(node, diagnostics) {
        let Some(mut fields) = Fields::of(item, "a timeline action", diagnostics) else {
            continue;
        };
        let at = fields.require("at", diagnostics).and_then(|at_node| {
            let at = time(at_node, diagnostics)?;
            known.within_run(at, at_node.position, diagnostics);
            Some(at)
        });
        let written: Vec<(&'static str, &Node)> = ACTIONS
            .iter()
            .filter_map(|&key| fields.get(key).map(|value| (key, value)))
            .collect();
        fields.finish(diagnostics);
        let [(key, value)] = written.as_slice() else {
            diagnostics.error(
                item.position,
                format!(
                    "a timeline entry needs exactly one action: {}",
                    ACTIONS.join(", ")
                ),
            );
            continue;
        };
        let Some(at) = at else {
            continue;
        };
        if *key == "createPod" {
            pods.push((at, *value));
            continue;
        }
        if let Some(action) = read_action(key, value, at, known, diagnostics) {
            actions.push(TimedAction {
                at,
                action,
                position: value.position,
            });
        }
    }
    actions.sort_by_key(|action| action.at);
    (actions, pods)
}

fn read_action(
    key: &str,
    node: &Node,
    at: SimTime,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Planned> {
    let registry = |fields: &mut Fields<'_>, diagnostics: &mut Diagnostics| {
        let registry = fields.require("registry", diagnostics)?;
        let host = text(registry, diagnostics)?;
        known
            .registry(&host, registry.position, diagnostics)
            .then_some(host)
    };
    match key {
        "push" => {
            let (registry, rest) = split_registry(node, known, diagnostics)?;
            let image: ImageSpec = one(&rest, diagnostics)?;
            if let Err(error) = image.check() {
                diagnostics.error(
                    node.position,
                    format!("image {}:{}: {error}", image.repository, image.tag),
                );
                return None;
            }
            Some(Planned::Action(Action::PushBuild {
                host: registry,
                image,
            }))
        }
        "fault" => {
            let (registry, rest) = split_registry(node, known, diagnostics)?;
            Some(Planned::Action(Action::InstallFault {
                host: registry,
                rule: one(&rest, diagnostics)?,
            }))
        }
        "moveTag" | "deleteTag" => {
            let mut fields = Fields::of(node, "a tag", diagnostics)?;
            let registry = registry(&mut fields, diagnostics);
            let repository = fields
                .require("repository", diagnostics)
                .and_then(|n| text(n, diagnostics));
            let tag = fields
                .require("tag", diagnostics)
                .and_then(|n| text(n, diagnostics));
            let to = if key == "moveTag" {
                fields
                    .require("to", diagnostics)
                    .and_then(|n| tag_target(n, diagnostics))
            } else {
                None
            };
            fields.finish(diagnostics);
            let (host, repository, tag) = (registry?, repository?, tag?);
            Some(Planned::Action(match to {
                Some(TagTarget::Digest(digest)) => Action::MoveTag {
                    host,
                    repository,
                    tag,
                    digest,
                },
                Some(TagTarget::Tag(from_tag)) => Action::CopyTag {
                    host,
                    repository,
                    tag,
                    from_tag,
                },
                None if key == "deleteTag" => Action::DeleteTag {
                    host,
                    repository,
                    tag,
                },
                None => return None,
            }))
        }
        "outage" => {
            let mut fields = Fields::of(node, "an outage", diagnostics)?;
            let registry = registry(&mut fields, diagnostics);
            let until_node = fields.get("until");
            let status_node = fields.get("status");
            fields.finish(diagnostics);
            let until = match until_node {
                None => Some(None),
                Some(node) => time(node, diagnostics).and_then(|until| {
                    if until <= at {
                        diagnostics.error(node.position, "an outage must end after it starts");
                        None
                    } else {
                        Some(Some(until))
                    }
                }),
            };
            let failure = match status_node {
                None => Some(OutageKind::Status(503)),
                Some(node) if node.scalar() == Some("unreachable") => Some(OutageKind::Unreachable),
                Some(node) => number::<u16>(node, diagnostics).and_then(|status| {
                    if FAULT_STATUSES.contains(&status) {
                        Some(OutageKind::Status(status))
                    } else {
                        diagnostics.error(
                            node.position,
                            format!("status {status} is not an outage status: want 401, 403, 404, 429, 500, 502, 503 or unreachable"),
                        );
                        None
                    }
                }),
            };
            let (host, until, kind) = (registry?, until?, failure?);
            Some(match until {
                Some(until) => Planned::Action(Action::Outage {
                    host,
                    duration: until.saturating_since(at),
                    kind,
                }),
                None => Planned::OutageToEnd { host, kind },
            })
        }
        "secret" => {
            read_secret(node, diagnostics).map(|secret| Planned::Action(Action::PutSecret(secret)))
        }
        "deleteSecret" => {
            let mut fields = Fields::of(node, "a secret to delete", diagnostics)?;
            let name = fields
                .require("name", diagnostics)
                .and_then(|n| text(n, diagnostics));
            let namespace = fields
                .get("namespace")
                .and_then(|n| text(n, diagnostics))
                .unwrap_or_else(|| "default".to_owned());
            fields.finish(diagnostics);
            Some(Planned::Action(Action::DeleteSecret {
                namespace,
                name: name?,
            }))
        }
        "restartKubelet" if node.entries().is_some() => {
            let mut fields = Fields::of(node, "a kubelet restart", diagnostics)?;
            let name = fields
                .require("node", diagnostics)
                .and_then(|n| text(n, diagnostics));
            let downtime = fields
                .get("downtime")
                .map_or(Some(Duration::ZERO), |n| duration(n, diagnostics));
            fields.finish(diagnostics);
            Some(Planned::Action(Action::RestartKubelet {
                node: name?,
                downtime: downtime?,
            }))
        }
        "restartKubelet" => text(node, diagnostics).map(|node| {
            Planned::Action(Action::RestartKubelet {
                node,
                downtime: Duration::ZERO,
            })
        }),
        "addNodes" => {
            let mut fields = Fields::of(node, "nodes to add", diagnostics)?;
            let pool = fields.require("pool", diagnostics).and_then(|n| {
                let pool = text(n, diagnostics)?;
                known.pool(&pool, n.position, diagnostics).then_some(pool)
            });
            let count = fields
                .get("count")
                .map_or(Some(1), |n| number::<u32>(n, diagnostics));
            fields.finish(diagnostics);
            Some(Planned::Action(Action::AddNodes {
                pool: pool?,
                count: count?,
            }))
        }
        "deletePod" => text(node, diagnostics).map(|pod| Planned::DeletePod { pod }),
        _ => None,
    }
}

/// Splits `registry` off a mapping whose other keys belong to a registry type.
fn split_registry(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<(String, Node)> {
    let Value::Mapping(entries) = &node.value else {
        diagnostics.error(
            node.position,
            format!(
                "expected a mapping with a registry, found {}",
                node.describe()
            ),
        );
        return None;
    };
    let Some(registry) = entries.iter().find(|entry| entry.key == "registry") else {
        diagnostics.error(
            node.position,
            format!("missing field {}", quote("registry")),
        );
        return None;
    };
    let position = registry.value.position;
    let registry = text(&registry.value, diagnostics)?;
    if !known.registry(&registry, position, diagnostics) {
        return None;
    }
    let rest = Node {
        position: node.position,
        value: Value::Mapping(
            entries
                .iter()
                .filter(|entry| entry.key != "registry")
                .cloned()
                .collect(),
        ),
    };
    Some((registry, rest))
}

/// The target of a tag move.
enum TagTarget {
    /// Whatever this tag of the same repository points at when the move happens.
    Tag(String),
    /// This manifest.
    Digest(Digest),
}

fn tag_target(node: &Node, diagnostics: &mut Diagnostics) -> Option<TagTarget> {
    let written = text(node, diagnostics)?;
    if written.contains(':') {
        return Digest::parse(&written)
            .map(TagTarget::Digest)
            .map_err(|error| {
                diagnostics.error(
                    node.position,
                    format!("invalid digest {}: {error}", quote(&written)),
                );
            })
            .ok();
    }
    Some(TagTarget::Tag(written))
}
