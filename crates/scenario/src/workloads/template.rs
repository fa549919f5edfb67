//! A workload's pod template (`spec.template`: its labels, annotations and pod spec) and
//! its label selector (`spec.selector`: `matchLabels` and `matchExpressions` with `In`,
//! `NotIn`, `Exists`, `DoesNotExist`), checked as the API server checks them: the selector
//! must not be empty and must match the template's labels
//! (`ValidatePodTemplateSpecForReplicaSet`, `ValidateDaemonSetSpec`,
//! `ValidateStatefulSetSpec`, `ValidateJobSpec`; the requirement checks are apimachinery's
//! `ValidateLabelSelectorRequirement`), and the template's `restartPolicy` must be one its
//! controller takes.
//!
//! Labels only decide validity here: the simulator's controllers own their pods directly,
//! so a template's labels are not carried into the simulation.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use pullsim_sim::controllers::PodTemplate;
use pullsim_sim::{Pod, RestartPolicy};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, list, text, text_map};
use crate::tree::Node;

use super::Context;
use super::pod::read_spec;
use super::validation::{Value, forbidden, invalid, not_supported, required};

/// A pod template as read, with what its checks need.
pub(super) struct Template {
    /// The template as the controllers take it.
    pub(super) template: PodTemplate,
    /// `template.metadata.labels`.
    labels: BTreeMap<String, String>,
    /// Where the labels are (or the template, when it has none).
    labels_position: Position,
    /// Where `restartPolicy` is (or the template's spec).
    restart_position: Position,
}

/// Reads `spec.template` of an object named `name`: its pod is named as the object, and its
/// regular containers run for `run_for` when given.
pub(super) fn read_template(
    spec: &mut Fields<'_>,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Template> {
    let node = spec.require("template", diagnostics)?;
    let mut fields = Fields::of(node, "a pod template", diagnostics)?;
    let mut labels = BTreeMap::new();
    let mut annotations = BTreeMap::new();
    let mut labels_position = fields.position();
    if let Some(metadata) = fields.get("metadata")
        && let Some(mut metadata) = Fields::of(metadata, "template metadata", diagnostics)
    {
        labels_position = metadata.position();
        if let Some(written) = metadata.get("labels") {
            labels = text_map(written, diagnostics);
            labels_position = written.position;
        }
        if let Some(written) = metadata.get("annotations") {
            annotations = read_annotations(written, diagnostics);
        }
        metadata.finish_manifest(diagnostics);
    }
    let spec_node = fields.require("spec", diagnostics);
    fields.finish_manifest(diagnostics);
    let spec_node = spec_node?;
    let restart_position = spec_node
        .entries()
        .and_then(|entries| entries.iter().find(|entry| entry.key == "restartPolicy"))
        .map_or(spec_node.position, |entry| entry.value.position);
    let mut pod_spec = read_spec(
        spec_node,
        "spec.template.spec",
        namespace,
        false,
        context,
        diagnostics,
    )?;
    pod_spec.run_for = run_for;
    Some(Template {
        template: PodTemplate {
            pod: Arc::new(Pod {
                name: name.to_owned(),
                namespace: namespace.to_owned(),
                spec: pod_spec,
            }),
            annotations,
        },
        labels,
        labels_position,
        restart_position,
    })
}

/// `annotations`: text values of any length (a `checksum/config` is 64 hex digits, longer
/// than a label value may be).
fn read_annotations(node: &Node, diagnostics: &mut Diagnostics) -> BTreeMap<String, String> {
    let Some(entries) = node.entries() else {
        diagnostics.error(
            node.position,
            format!(
                "expected annotations (a mapping), found {}",
                node.describe()
            ),
        );
        return BTreeMap::new();
    };
    entries
        .iter()
        .filter_map(|entry| match entry.value.scalar() {
            Some(value) => Some((entry.key.clone(), value.to_owned())),
            None => {
                diagnostics.error(
                    entry.value.position,
                    format!("expected text, found {}", entry.value.describe()),
                );
                None
            }
        })
        .collect()
}

impl Template {
    /// Checks that `restartPolicy` is among `allowed` (`Always` for the controllers that
    /// keep pods running, `OnFailure` or `Never` for a Job).
    pub(super) fn check_restart_policy(
        &self,
        allowed: &[RestartPolicy],
        diagnostics: &mut Diagnostics,
    ) -> bool {
        let policy = self.template.pod.spec.restart_policy;
        if allowed.contains(&policy) {
            return true;
        }
        let names: Vec<&str> = allowed.iter().map(|policy| policy.as_str()).collect();
        diagnostics.error(
            self.restart_position,
            not_supported(
                "spec.template.spec.restartPolicy",
                &Value::Text(policy.as_str().to_owned()),
                &names,
            ),
        );
        false
    }
}

/// What a kind's validation says of a missing `spec.selector`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WithoutSelector {
    /// `spec.selector: Required value` (Deployment, ReplicaSet, StatefulSet).
    Required,
    /// It selects nothing, so it does not match the template (DaemonSet: its selector is
    /// turned into `labels.Nothing()`).
    MatchesNothing,
    /// It is generated (Job).
    Generated,
}

/// The checks every controller's spec makes of its template, each reporting its own
/// error: `spec.selector` against the template's labels ([`check_selector`]) and the
/// template's `restartPolicy` among `policies`. Whether both hold.
pub(super) fn check_template(
    selector: Option<&Node>,
    spec: Position,
    without: WithoutSelector,
    kind: &str,
    template: &Template,
    policies: &[RestartPolicy],
    diagnostics: &mut Diagnostics,
) -> bool {
    let selected = check_selector(selector, spec, without, kind, template, diagnostics);
    let restarts = template.check_restart_policy(policies, diagnostics);
    selected && restarts
}

/// Checks `spec.selector` (at `selector`, in a spec starting at `spec`) against the
/// template; `kind` is the word of the "empty selector is invalid for ..." message.
fn check_selector(
    selector: Option<&Node>,
    spec: Position,
    without: WithoutSelector,
    kind: &str,
    template: &Template,
    diagnostics: &mut Diagnostics,
) -> bool {
    let Some(node) = selector else {
        return match without {
            WithoutSelector::Required => {
                diagnostics.error(spec, required("spec.selector", ""));
                false
            }
            WithoutSelector::MatchesNothing => {
                template.report_mismatch(diagnostics);
                false
            }
            WithoutSelector::Generated => true,
        };
    };
    let Some(selector) = read_selector(node, diagnostics) else {
        return false;
    };
    if selector.is_empty() && without != WithoutSelector::Generated {
        diagnostics.error(
            node.position,
            invalid(
                "spec.selector",
                &Value::Json("{}".to_owned()),
                &format!("empty selector is invalid for {kind}"),
            ),
        );
        return false;
    }
    if !selector.matches(&template.labels) {
        template.report_mismatch(diagnostics);
        return false;
    }
    true
}

impl Template {
    fn report_mismatch(&self, diagnostics: &mut Diagnostics) {
        diagnostics.error(
            self.labels_position,
            invalid(
                "spec.template.metadata.labels",
                &Value::Labels(self.labels.clone()),
                "`selector` does not match template `labels`",
            ),
        );
    }
}

/// A label selector.
#[derive(Debug, Default)]
struct Selector {
    match_labels: BTreeMap<String, String>,
    expressions: Vec<Requirement>,
}

/// One `matchExpressions` item.
#[derive(Debug)]
struct Requirement {
    key: String,
    operator: Operator,
    values: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl Selector {
    fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.expressions.is_empty()
    }

    /// `labels.Selector.Matches`.
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(key, value)| labels.get(key) == Some(value))
            && self.expressions.iter().all(|requirement| {
                let value = labels.get(&requirement.key);
                match requirement.operator {
                    Operator::In => value.is_some_and(|value| requirement.values.contains(value)),
                    Operator::NotIn => {
                        !value.is_some_and(|value| requirement.values.contains(value))
                    }
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }
}

fn read_selector(node: &Node, diagnostics: &mut Diagnostics) -> Option<Selector> {
    let mut fields = Fields::of(node, "a label selector", diagnostics)?;
    let errors_before = diagnostics.count();
    let match_labels = fields
        .get("matchLabels")
        .map(|labels| text_map(labels, diagnostics))
        .unwrap_or_default();
    let expressions = fields
        .get("matchExpressions")
        .map(|expressions| {
            list(expressions, diagnostics)
                .iter()
                .enumerate()
                .filter_map(|(index, item)| read_requirement(item, index, diagnostics))
                .collect()
        })
        .unwrap_or_default();
    fields.finish(diagnostics);
    (diagnostics.count() == errors_before).then_some(Selector {
        match_labels,
        expressions,
    })
}

fn read_requirement(
    node: &Node,
    index: usize,
    diagnostics: &mut Diagnostics,
) -> Option<Requirement> {
    let path = format!("spec.selector.matchExpressions[{index}]");
    let mut fields = Fields::of(node, "a selector requirement", diagnostics)?;
    let key = fields
        .require("key", diagnostics)
        .and_then(|key| text(key, diagnostics));
    let operator_node = fields.require("operator", diagnostics);
    let values_entry = fields.entry("values");
    fields.finish(diagnostics);
    let values: Vec<String> = values_entry
        .map(|entry| {
            list(&entry.value, diagnostics)
                .iter()
                .filter_map(|value| text(value, diagnostics))
                .collect()
        })
        .unwrap_or_default();
    let operator = operator_node.and_then(|node| {
        let written = text(node, diagnostics)?;
        let operator = match written.as_str() {
            "In" => Operator::In,
            "NotIn" => Operator::NotIn,
            "Exists" => Operator::Exists,
            "DoesNotExist" => Operator::DoesNotExist,
            _ => {
                diagnostics.error(
                    node.position,
                    invalid(
                        &format!("{path}.operator"),
                        &Value::Text(written),
                        "not a valid selector operator",
                    ),
                );
                return None;
            }
        };
        Some(operator)
    })?;
    let values_position = values_entry.map_or(node.position, |entry| entry.key_position);
    match operator {
        Operator::In | Operator::NotIn if values.is_empty() => {
            diagnostics.error(
                values_position,
                required(
                    &format!("{path}.values"),
                    "must be specified when `operator` is 'In' or 'NotIn'",
                ),
            );
            return None;
        }
        Operator::Exists | Operator::DoesNotExist if !values.is_empty() => {
            diagnostics.error(
                values_position,
                forbidden(
                    &format!("{path}.values"),
                    "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                ),
            );
            return None;
        }
        _ => {}
    }
    Some(Requirement {
        key: key?,
        operator,
        values,
    })
}
