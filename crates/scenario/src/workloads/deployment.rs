//! A Deployment's `spec` (`apps/v1`): `replicas` (default 1), `selector`, `template`,
//! `strategy` (`RollingUpdate` with `maxSurge` and `maxUnavailable`, numbers or
//! percentages, 25% each by default; or `Recreate`), `minReadySeconds` (0),
//! `progressDeadlineSeconds` (600) and `revisionHistoryLimit` (10); `paused: true` is
//! refused (not modelled) and the rest is ignored. Checked as `ValidateDeploymentSpec` and `ValidateDeploymentStrategy`
//! (pkg/apis/apps/validation/validation.go) check them.

use std::time::Duration;

use pullsim_model::controllers::{IntOrPercent, deployment};
use pullsim_sim::controllers::{DeploymentSpec, DeploymentStrategy};
use pullsim_sim::{RestartPolicy, WorkloadSpec};

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};

use crate::tree::Node;

use super::Context;
use super::template::{WithoutSelector, check_template, read_template};
use super::validation::{
    FieldError, Value, at_most_100_percent, forbidden, int_or_percent, invalid, not_supported,
    refuse_true,
};

/// `progressDeadlineSeconds` written as `MaxInt32`: no deadline.
const NO_DEADLINE: u32 = i32::MAX as u32;

/// Reads a Deployment's `spec`.
pub(super) fn read(
    node: &Node,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let mut fields = Fields::of(node, "a Deployment spec", diagnostics)?;
    let position = fields.position();
    let replicas = fields.get("replicas").map_or(Some(1), |node| {
        FieldError::nonnegative(node, "spec.replicas", diagnostics)
    });
    let selector = fields.get("selector");
    let template = read_template(&mut fields, name, namespace, run_for, context, diagnostics);
    let strategy = fields
        .get("strategy")
        .map_or(Some(DeploymentStrategy::default()), |node| {
            read_strategy(node, diagnostics)
        });
    let min_ready = fields.get("minReadySeconds").map_or(Some(0), |node| {
        FieldError::nonnegative(node, "spec.minReadySeconds", diagnostics)
    });
    let deadline_node = fields.get("progressDeadlineSeconds");
    let deadline = deadline_node.map_or(
        Some(
            deployment::DEFAULT_PROGRESS_DEADLINE
                .as_secs()
                .try_into()
                .unwrap_or(600),
        ),
        |node| FieldError::nonnegative(node, "spec.progressDeadlineSeconds", diagnostics),
    );
    let paused = fields.get("paused").map_or(Some(()), |node| {
        refuse_true(
            node,
            "spec.paused: a paused Deployment is not modelled by pullsim (leave it out or false)",
            diagnostics,
        )
    });
    let history = fields
        .get("revisionHistoryLimit")
        .map_or(Some(deployment::DEFAULT_REVISION_HISTORY_LIMIT), |node| {
            FieldError::nonnegative(node, "spec.revisionHistoryLimit", diagnostics)
        });
    fields.finish_manifest(diagnostics);
    if let (Some(node), Some(deadline), Some(min_ready)) = (deadline_node, deadline, min_ready)
        && deadline <= min_ready
    {
        diagnostics.error(
            node.position,
            invalid(
                "spec.progressDeadlineSeconds",
                &Value::Int(i64::from(deadline)),
                "must be greater than minReadySeconds",
            ),
        );
        return None;
    }
    let template = template?;
    paused?;
    if !check_template(
        selector,
        position,
        WithoutSelector::Required,
        "deployment",
        &template,
        &[RestartPolicy::Always],
        diagnostics,
    ) {
        return None;
    }
    let deadline = deadline?;
    Some(WorkloadSpec::Deployment(DeploymentSpec {
        replicas: replicas?,
        strategy: strategy?,
        min_ready: Duration::from_secs(u64::from(min_ready?)),
        progress_deadline: (deadline != NO_DEADLINE)
            .then(|| Duration::from_secs(u64::from(deadline))),
        revision_history_limit: history?,
        template: template.template,
    }))
}

/// `spec.strategy`.
fn read_strategy(node: &Node, diagnostics: &mut Diagnostics) -> Option<DeploymentStrategy> {
    let mut fields = Fields::of(node, "a deployment strategy", diagnostics)?;
    let strategy_type = fields.get("type");
    let rolling_entry = fields.entry("rollingUpdate");
    fields.finish_manifest(diagnostics);
    let written = match strategy_type {
        None => "RollingUpdate".to_owned(),
        Some(node) => text(node, diagnostics)?,
    };
    match written.as_str() {
        "Recreate" => {
            if let Some(entry) = rolling_entry {
                diagnostics.error(
                    entry.key_position,
                    forbidden(
                        "spec.strategy.rollingUpdate",
                        "may not be specified when strategy `type` is 'Recreate'",
                    ),
                );
                return None;
            }
            Some(DeploymentStrategy::Recreate)
        }
        "RollingUpdate" => {
            let (surge_node, unavailable_node, at) = match rolling_entry {
                Some(entry) => {
                    let mut rolling = Fields::of(&entry.value, "a rolling update", diagnostics)?;
                    let surge = rolling.get("maxSurge");
                    let unavailable = rolling.get("maxUnavailable");
                    rolling.finish_manifest(diagnostics);
                    (surge, unavailable, entry.value.position)
                }
                None => (None, None, node.position),
            };
            let path = "spec.strategy.rollingUpdate";
            let read = |node: Option<&Node>,
                        field: &str,
                        default: IntOrPercent,
                        diagnostics: &mut Diagnostics| {
                node.map_or(Some(default), |node| {
                    int_or_percent(node, &format!("{path}.{field}"), diagnostics)
                })
            };
            let max_surge = read(
                surge_node,
                "maxSurge",
                deployment::DEFAULT_MAX_SURGE,
                diagnostics,
            );
            let max_unavailable = read(
                unavailable_node,
                "maxUnavailable",
                deployment::DEFAULT_MAX_UNAVAILABLE,
                diagnostics,
            );
            let (max_surge, max_unavailable) = (max_surge?, max_unavailable?);
            let unavailable_path = format!("{path}.maxUnavailable");
            if max_surge.is_zero() && max_unavailable.is_zero() {
                diagnostics.error(
                    unavailable_node.map_or(at, |node| node.position),
                    invalid(
                        &unavailable_path,
                        &Value::of(max_unavailable),
                        "may not be 0 when `maxSurge` is 0",
                    ),
                );
                return None;
            }
            if !at_most_100_percent(
                max_unavailable,
                unavailable_node,
                &unavailable_path,
                diagnostics,
            ) {
                return None;
            }
            Some(DeploymentStrategy::RollingUpdate {
                max_surge,
                max_unavailable,
            })
        }
        _ => {
            diagnostics.error(
                strategy_type.map_or(node.position, |node| node.position),
                not_supported(
                    "spec.strategy.type",
                    &Value::Text(written),
                    &["Recreate", "RollingUpdate"],
                ),
            );
            None
        }
    }
}
