//! integrity: a blob whose bytes do not match its digest, a manifest served under a digest
//! it does not have, and a blob whose connection drops mid-body on every attempt. Content
//! that does not match its digest must never be kept as if it did.

use bytes::Bytes;
use pullsim_registry::Verdict;

use super::{Case, Group, base_layer_fault, case};
use crate::evidence::{Evidence, Plan, Pull, blob_gets};
use crate::findings::{self, Findings};
use crate::stage::Stage;

/// Where the connection of the truncated blob drops: after 1 KiB of its 8 KiB.
const CUT_BYTES: u64 = 1024;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "corrupt-blob",
            Group::Integrity,
            "a layer whose bytes do not match its digest is rejected and not stored",
            |stage| base_layer_fault(stage, None, Verdict::Corrupt),
            judge_corrupt,
        ),
        case(
            "manifest-digest-mismatch",
            Group::Integrity,
            "a manifest pulled by digest whose body has another digest is rejected",
            tampered_manifest,
            judge_tampered,
        ),
        case(
            "truncated-blob",
            Group::Integrity,
            "a layer cut short (connection dropped mid-body, every time) is not stored as complete",
            |stage| base_layer_fault(stage, None, Verdict::DropAfter(CUT_BYTES)),
            judge_truncated,
        ),
    ]
}

/// MUST: fails, records no image, keeps nothing under a wrong digest. Observed: how many
/// times it fetched the layer and whether its error talks about digests.
fn judge_corrupt(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    findings
        .must(findings::fails_cleanly(run))
        .must(findings::holds_nothing(run, &[]))
        .must(findings::intact(run));
    if let Some(blob) = &evidence.plan.blob {
        findings.observe("blob_attempts", blob_gets(&run.log, blob).len());
    }
    if let Some(says) = run.error_mentions(&["digest", "checksum", "sha256", "hash"]) {
        findings.observe("error_names_digest", says);
    }
    findings
}

/// Build 1 and build 2; the registry serves build 2's manifest bytes under build 1's
/// digest, and the puller asks for build 1 by digest.
fn tampered_manifest(stage: &mut Stage) -> anyhow::Result<Plan> {
    let first = stage.image(&stage.spec("v1"))?.first().clone();
    let mut second = stage.spec("v2");
    second.build = 2;
    let second = stage.image(&second)?.first().clone();
    let body: Bytes = stage.read(&format!(
        "/v2/{}/manifests/{}",
        stage.repository, second.manifest
    ))?;
    stage.tamper(&first.manifest, body)?;
    Ok(Plan {
        pulls: vec![Pull::digest(&stage.repository, &first.manifest)],
        want: Vec::new(),
        others: vec![first, second],
        blob: None,
    })
}

/// MUST: fails, records no image, keeps nothing under a wrong digest. Observed: whether it
/// went on to fetch the other build's layers before noticing.
fn judge_tampered(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    findings
        .must(findings::fails_cleanly(run))
        .must(findings::holds_nothing(run, &[]))
        .must(findings::intact(run));
    let other = &evidence.plan.others[1];
    let fetched = other
        .layers
        .iter()
        .any(|layer| !blob_gets(&run.log, &layer.digest).is_empty())
        || !blob_gets(&run.log, &other.config).is_empty();
    findings.observe("fetched_blobs_of_the_body", fetched);
    findings
}

/// MUST: the image whole, or a clean failure; nothing kept under a wrong digest.
/// Observed: attempts, and whether it resumed with `Range`.
fn judge_truncated(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    for check in findings::whole_or_clean_failure(run, &evidence.plan.want[0]) {
        findings.must(check);
    }
    if let Some(blob) = &evidence.plan.blob {
        let gets = blob_gets(&run.log, blob);
        findings.observe("blob_attempts", gets.len());
        findings.observe(
            "resumed_with_range",
            gets.iter().any(|entry| entry.range.is_some()),
        );
    }
    findings.observe("outcome", if run.succeeded() { "pulled" } else { "failed" });
    findings
}
