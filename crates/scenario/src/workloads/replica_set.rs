//! A ReplicaSet's `spec` (`apps/v1`, one created on its own): `replicas` (default 1),
//! `minReadySeconds` (0), `selector` and `template`, checked as `ValidateReplicaSetSpec`
//! (pkg/apis/apps/validation/validation.go) checks them.

use std::time::Duration;

use pullsim_sim::controllers::ReplicaSetSpec;
use pullsim_sim::{RestartPolicy, WorkloadSpec};

use crate::diagnostics::Diagnostics;
use crate::fields::Fields;
use crate::tree::Node;

use super::Context;
use super::template::{WithoutSelector, check_template, read_template};
use super::validation::FieldError;

/// Reads a ReplicaSet's `spec`.
pub(super) fn read(
    node: &Node,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let mut fields = Fields::of(node, "a ReplicaSet spec", diagnostics)?;
    let position = fields.position();
    let replicas = fields.get("replicas").map_or(Some(1), |node| {
        FieldError::nonnegative(node, "spec.replicas", diagnostics)
    });
    let min_ready = fields.get("minReadySeconds").map_or(Some(0), |node| {
        FieldError::nonnegative(node, "spec.minReadySeconds", diagnostics)
    });
    let selector = fields.get("selector");
    let template = read_template(&mut fields, name, namespace, run_for, context, diagnostics);
    fields.finish_manifest(diagnostics);
    let template = template?;
    // Upstream's message says "deployment" here too (ValidateReplicaSetSpec).
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
    Some(WorkloadSpec::ReplicaSet(ReplicaSetSpec {
        replicas: replicas?,
        min_ready: Duration::from_secs(u64::from(min_ready?)),
        template: template.template,
    }))
}
