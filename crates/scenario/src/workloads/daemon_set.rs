//! A DaemonSet's `spec` (`apps/v1`): `selector`, `template` (its `nodeSelector` chooses the
//! nodes; the simulator matches it against its nodes), `updateStrategy` (`RollingUpdate`
//! with `maxUnavailable`, default 1, and `maxSurge`, default 0; or `OnDelete`) and
//! `minReadySeconds` (0), checked as `ValidateDaemonSetSpec` and
//! `ValidateRollingUpdateDaemonSet` (pkg/apis/apps/validation/validation.go) check them.

use std::collections::BTreeSet;
use std::time::Duration;

use pullsim_model::controllers::{IntOrPercent, daemon_set};
use pullsim_sim::controllers::{DaemonSetSpec, DaemonSetUpdateStrategy};
use pullsim_sim::{RestartPolicy, WorkloadSpec};

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::tree::Node;

use super::Context;
use super::template::{WithoutSelector, check_template, read_template};
use super::validation::{
    FieldError, Value, at_most_100_percent, int_or_percent, invalid, not_supported, required,
};

/// Reads a DaemonSet's `spec`.
pub(super) fn read(
    node: &Node,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let mut fields = Fields::of(node, "a DaemonSet spec", diagnostics)?;
    let position = fields.position();
    let selector = fields.get("selector");
    let template = read_template(&mut fields, name, namespace, run_for, context, diagnostics);
    let strategy = fields
        .get("updateStrategy")
        .map_or(Some(DaemonSetUpdateStrategy::default()), |node| {
            read_update_strategy(node, diagnostics)
        });
    let min_ready = fields.get("minReadySeconds").map_or(Some(0), |node| {
        FieldError::nonnegative(node, "spec.minReadySeconds", diagnostics)
    });
    fields.finish_manifest(diagnostics);
    let template = template?;
    if !check_template(
        selector,
        position,
        WithoutSelector::MatchesNothing,
        "daemonset",
        &template,
        &[RestartPolicy::Always],
        diagnostics,
    ) {
        return None;
    }
    Some(WorkloadSpec::DaemonSet(DaemonSetSpec {
        update_strategy: strategy?,
        min_ready: Duration::from_secs(u64::from(min_ready?)),
        // Chosen by the simulator from the template's nodeSelector.
        nodes: BTreeSet::new(),
        template: template.template,
    }))
}

/// `spec.updateStrategy`.
fn read_update_strategy(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Option<DaemonSetUpdateStrategy> {
    let mut fields = Fields::of(node, "a DaemonSet update strategy", diagnostics)?;
    let strategy_type = fields.get("type");
    let rolling = fields.get("rollingUpdate");
    fields.finish_manifest(diagnostics);
    let written = match strategy_type {
        None => "RollingUpdate".to_owned(),
        Some(node) => text(node, diagnostics)?,
    };
    match written.as_str() {
        "OnDelete" => Some(DaemonSetUpdateStrategy::OnDelete),
        "RollingUpdate" => {
            let (surge_node, unavailable_node, at) = match rolling {
                Some(rolling_node) => {
                    let mut rolling = Fields::of(rolling_node, "a rolling update", diagnostics)?;
                    let surge = rolling.get("maxSurge");
                    let unavailable = rolling.get("maxUnavailable");
                    rolling.finish_manifest(diagnostics);
                    (surge, unavailable, rolling_node.position)
                }
                None => (None, None, node.position),
            };
            let path = "spec.updateStrategy.rollingUpdate";
            let surge_path = format!("{path}.maxSurge");
            let unavailable_path = format!("{path}.maxUnavailable");
            let read = |node: Option<&Node>,
                        path: &str,
                        default: IntOrPercent,
                        diagnostics: &mut Diagnostics| {
                node.map_or(Some(default), |node| {
                    int_or_percent(node, path, diagnostics)
                })
            };
            let max_unavailable = read(
                unavailable_node,
                &unavailable_path,
                daemon_set::DEFAULT_MAX_UNAVAILABLE,
                diagnostics,
            );
            let max_surge = read(
                surge_node,
                &surge_path,
                daemon_set::DEFAULT_MAX_SURGE,
                diagnostics,
            );
            let (max_unavailable, max_surge) = (max_unavailable?, max_surge?);
            let within = at_most_100_percent(
                max_unavailable,
                unavailable_node,
                &unavailable_path,
                diagnostics,
            ) & at_most_100_percent(max_surge, surge_node, &surge_path, diagnostics);
            if !within {
                return None;
            }
            match (max_unavailable.is_zero(), max_surge.is_zero()) {
                (false, false) => {
                    diagnostics.error(
                        surge_node.map_or(at, |node| node.position),
                        invalid(
                            &surge_path,
                            &Value::of(max_surge),
                            "may not be set when maxUnavailable is non-zero",
                        ),
                    );
                    None
                }
                (true, true) => {
                    diagnostics.error(
                        unavailable_node.map_or(at, |node| node.position),
                        required(&unavailable_path, "cannot be 0 when maxSurge is 0"),
                    );
                    None
                }
                _ => Some(DaemonSetUpdateStrategy::RollingUpdate {
                    max_unavailable,
                    max_surge,
                }),
            }
        }
        _ => {
            diagnostics.error(
                strategy_type.map_or(node.position, |node| node.position),
                not_supported(
                    "spec.updateStrategy",
                    &Value::Text(written),
                    &["RollingUpdate", "OnDelete"],
                ),
            );
            None
        }
    }
}
