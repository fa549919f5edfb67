//! A StatefulSet's `spec` (`apps/v1`): `replicas` (default 1), `selector`, `template`,
//! `podManagementPolicy` (`OrderedReady`, the default, or `Parallel`) and `updateStrategy`
//! (`RollingUpdate` with `partition`, default 0; or `OnDelete`); `serviceName`,
//! `volumeClaimTemplates`, `minReadySeconds` and the rest are accepted and ignored. Checked
//! as `ValidateStatefulSetSpec` (pkg/apis/apps/validation/validation.go) checks them.

use std::time::Duration;

use pullsim_sim::controllers::{PodManagementPolicy, StatefulSetSpec, StatefulSetUpdateStrategy};
use pullsim_sim::{RestartPolicy, WorkloadSpec};

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::tree::Node;

use super::Context;
use super::template::{WithoutSelector, check_template, read_template};
use super::validation::{FieldError, Value, invalid};

/// Reads a StatefulSet's `spec`.
pub(super) fn read(
    node: &Node,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let mut fields = Fields::of(node, "a StatefulSet spec", diagnostics)?;
    let position = fields.position();
    let replicas = fields.get("replicas").map_or(Some(1), |node| {
        FieldError::nonnegative(node, "spec.replicas", diagnostics)
    });
    let selector = fields.get("selector");
    let template = read_template(&mut fields, name, namespace, run_for, context, diagnostics);
    let policy =
        fields
            .get("podManagementPolicy")
            .map_or(Some(PodManagementPolicy::default()), |node| {
                let written = text(node, diagnostics)?;
                match written.as_str() {
                    "OrderedReady" => Some(PodManagementPolicy::OrderedReady),
                    "Parallel" => Some(PodManagementPolicy::Parallel),
                    _ => {
                        diagnostics.error(
                            node.position,
                            invalid(
                                "spec.podManagementPolicy",
                                &Value::Text(written),
                                "must be 'OrderedReady' or 'Parallel'",
                            ),
                        );
                        None
                    }
                }
            });
    let strategy = fields
        .get("updateStrategy")
        .map_or(Some(StatefulSetUpdateStrategy::default()), |node| {
            read_update_strategy(node, diagnostics)
        });
    // Accepted: a headless Service's name, which pullsim does not model.
    fields.get("serviceName");
    fields.finish_manifest(diagnostics);
    let template = template?;
    if !check_template(
        selector,
        position,
        WithoutSelector::Required,
        "statefulset",
        &template,
        &[RestartPolicy::Always],
        diagnostics,
    ) {
        return None;
    }
    Some(WorkloadSpec::StatefulSet(StatefulSetSpec {
        replicas: replicas?,
        pod_management_policy: policy?,
        update_strategy: strategy?,
        template: template.template,
    }))
}

/// `spec.updateStrategy`.
fn read_update_strategy(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Option<StatefulSetUpdateStrategy> {
    let mut fields = Fields::of(node, "a StatefulSet update strategy", diagnostics)?;
    let strategy_type = fields.get("type");
    let rolling = fields.entry("rollingUpdate");
    fields.finish_manifest(diagnostics);
    let partition = match rolling {
        None => Some(None),
        Some(entry) => {
            let mut rolling = Fields::of(&entry.value, "a rolling update", diagnostics)?;
            let partition = rolling.get("partition");
            rolling.finish_manifest(diagnostics);
            match partition {
                None => Some(Some(0)),
                Some(node) => FieldError::nonnegative(
                    node,
                    "spec.updateStrategy.rollingUpdate.partition",
                    diagnostics,
                )
                .map(Some),
            }
        }
    };
    let written = match strategy_type {
        None => "RollingUpdate".to_owned(),
        Some(node) => text(node, diagnostics)?,
    };
    match written.as_str() {
        "RollingUpdate" => Some(StatefulSetUpdateStrategy::RollingUpdate {
            partition: partition?.unwrap_or(0),
        }),
        "OnDelete" => match (rolling, partition?) {
            (Some(entry), written) => {
                let json = written.map_or_else(
                    || "{}".to_owned(),
                    |partition| format!("{{\"partition\":{partition}}}"),
                );
                diagnostics.error(
                    entry.key_position,
                    invalid(
                        "spec.updateStrategy.rollingUpdate",
                        &Value::Json(json),
                        "only allowed for updateStrategy 'RollingUpdate'",
                    ),
                );
                None
            }
            (None, _) => Some(StatefulSetUpdateStrategy::OnDelete),
        },
        _ => {
            diagnostics.error(
                strategy_type.map_or(node.position, |node| node.position),
                invalid(
                    "spec.updateStrategy",
                    &Value::Json(format!("{{\"type\":{}}}", Value::Text(written).json())),
                    "must be 'RollingUpdate' or 'OnDelete'",
                ),
            );
            None
        }
    }
}
