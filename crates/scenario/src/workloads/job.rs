//! A Job's `spec` (`batch/v1`): `completions` and `parallelism` (both 1 when neither is
//! written; `parallelism` alone makes a work-queue Job without a completion count),
//! `backoffLimit` (6), `activeDeadlineSeconds`, `completionMode` (only `NonIndexed`),
//! `selector` (generated when absent; when written it must match) and `template`, whose
//! `restartPolicy` must be `OnFailure` or `Never`; `suspend: true` is refused (not
//! modelled). Checked as `validateJobSpec`
//! (pkg/apis/batch/validation/validation.go) checks them.

use std::time::Duration;

use pullsim_model::controllers::job;
use pullsim_sim::controllers::JobSpec;
use pullsim_sim::{RestartPolicy, WorkloadSpec};

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, text};
use crate::tree::Node;

use super::Context;
use super::template::{WithoutSelector, check_template, read_template};
use super::validation::{FieldError, Value, not_supported, refuse_true};

/// Reads a Job's `spec`.
pub(super) fn read(
    node: &Node,
    name: &str,
    namespace: &str,
    run_for: Option<Duration>,
    context: &Context<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<WorkloadSpec> {
    let mut fields = Fields::of(node, "a Job spec", diagnostics)?;
    let position = fields.position();
    let mut count = |fields: &mut Fields<'_>, key: &'static str| match fields.get(key) {
        None => Some(None),
        Some(node) => FieldError::nonnegative(node, &format!("spec.{key}"), diagnostics).map(Some),
    };
    let parallelism = count(&mut fields, "parallelism");
    let completions = count(&mut fields, "completions");
    let backoff_limit = count(&mut fields, "backoffLimit");
    let deadline = count(&mut fields, "activeDeadlineSeconds");
    let mode = fields.get("completionMode").map_or(Some(()), |node| {
        let written = text(node, diagnostics)?;
        match written.as_str() {
            "NonIndexed" => Some(()),
            "Indexed" => {
                diagnostics.error(
                    node.position,
                    "spec.completionMode: Indexed Jobs are not modelled by pullsim (only NonIndexed, the default)",
                );
                None
            }
            _ => {
                diagnostics.error(
                    node.position,
                    not_supported(
                        "spec.completionMode",
                        &Value::Text(written),
                        &["NonIndexed", "Indexed"],
                    ),
                );
                None
            }
        }
    });
    let suspended = fields.get("suspend").map_or(Some(()), |node| {
        refuse_true(
            node,
            "spec.suspend: a suspended Job is not modelled by pullsim (leave it out or false)",
            diagnostics,
        )
    });
    let selector = fields.get("selector");
    let template = read_template(&mut fields, name, namespace, run_for, context, diagnostics);
    fields.finish_manifest(diagnostics);
    let template = template?;
    if !check_template(
        selector,
        position,
        WithoutSelector::Generated,
        "job",
        &template,
        &[RestartPolicy::OnFailure, RestartPolicy::Never],
        diagnostics,
    ) {
        return None;
    }
    let (parallelism, completions) = (parallelism?, completions?);
    mode?;
    suspended?;
    // SetDefaults_Job: both 1 when neither is written; parallelism 1 when absent.
    let completions = match (completions, parallelism) {
        (None, None) => Some(1),
        (completions, _) => completions,
    };
    Some(WorkloadSpec::Job(JobSpec {
        completions,
        parallelism: parallelism.unwrap_or(job::DEFAULT_PARALLELISM),
        backoff_limit: backoff_limit?.unwrap_or(job::DEFAULT_BACKOFF_LIMIT),
        active_deadline: deadline?.map(|seconds| Duration::from_secs(u64::from(seconds))),
        max_pod_failure_backoff: job::MAX_POD_FAILURE_BACKOFF,
        template: template.template,
    }))
}
