//! basics: an OCI manifest by tag, by digest, a Docker schema 2 manifest, two images
//! sharing a layer, and the two ways a name can be unknown (tag, repository).

use pullsim_model::ByteSize;
use pullsim_registry::ImageFormat;

use super::{Case, Group, case};
use crate::evidence::{Evidence, Plan, Pull, Run, blob_gets, first_manifest_request, pings};
use crate::findings::{self, Check, Findings};
use crate::stage::Stage;

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "oci-manifest-by-tag",
            Group::Basics,
            "an OCI image manifest by tag",
            |stage| image_by_tag(stage, ImageFormat::Oci),
            judge_pulled,
        ),
        case(
            "by-digest",
            Group::Basics,
            "by digest, with no tag to resolve (the tag has moved on)",
            by_digest,
            judge_by_digest,
        ),
        case(
            "docker-schema2",
            Group::Basics,
            "a Docker schema 2 manifest by tag",
            |stage| image_by_tag(stage, ImageFormat::Docker),
            judge_pulled,
        ),
        case(
            "shared-layer",
            Group::Basics,
            "two multi-layer images sharing a base layer, pulled one after the other",
            shared_layer,
            judge_shared_layer,
        ),
        case(
            "unknown-tag",
            Group::Basics,
            "an unknown tag fails cleanly (MANIFEST_UNKNOWN)",
            unknown_tag,
            judge_unknown,
        ),
        case(
            "unknown-repository",
            Group::Basics,
            "an unknown repository fails cleanly (NAME_UNKNOWN)",
            |stage| Ok(Plan::one(Pull::tag(&stage.repository, "v1"), None)),
            judge_unknown,
        ),
    ]
}

fn image_by_tag(stage: &mut Stage, format: ImageFormat) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    spec.format = format;
    spec.layers = vec![ByteSize(8192), ByteSize(4096)];
    let loaded = stage.image(&spec)?;
    Ok(Plan::one(
        Pull::tag(&stage.repository, "v1"),
        Some(loaded.first().clone()),
    ))
}

/// MUST: pulled and holds the image, intact. Observed: how it found the manifest.
fn judge_pulled(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    observe_resolution(&mut findings, run);
    findings
}

/// Observed: whether it pinged `/v2/` and whether it resolved the reference with `HEAD`.
pub(super) fn observe_resolution(findings: &mut Findings, run: &Run) {
    findings.observe("pings_v2", pings(&run.log));
    if let Some(first) = first_manifest_request(&run.log, &run.job.repository) {
        findings.observe("first_manifest_request", first.method.clone());
    }
}

fn by_digest(stage: &mut Stage) -> anyhow::Result<Plan> {
    let first = stage.image(&stage.spec("v1"))?;
    let mut second = stage.spec("v1");
    second.build = 2;
    stage.image(&second)?;
    let want = first.first().clone();
    Ok(Plan::one(
        Pull::digest(&stage.repository, &want.manifest),
        Some(want),
    ))
}

fn judge_by_digest(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = judge_pulled(evidence);
    let tags: Vec<&str> = run
        .log
        .iter()
        .filter_map(|entry| entry.path.rsplit_once("/manifests/"))
        .map(|(_, reference)| reference)
        .filter(|reference| !reference.contains(':'))
        .collect();
    findings.must(Check::new(
        "asks for no tag",
        tags.is_empty(),
        if tags.is_empty() {
            "every manifest request named the digest".to_owned()
        } else {
            format!("asked for tag {}", tags[0])
        },
    ));
    findings
}

fn shared_layer(stage: &mut Stage) -> anyhow::Result<Plan> {
    let mut base = stage.spec("v1");
    base.layers = vec![ByteSize(8192), ByteSize(4096)];
    let first = stage.image(&base)?.first().clone();
    let mut side = stage.spec("side");
    side.layers = vec![ByteSize(6144)];
    let side = stage.image(&side)?.first().clone();
    let second = stage.compose("v2", &[first.layers[0].clone(), side.layers[0].clone()])?;
    Ok(Plan {
        pulls: vec![
            Pull::tag(&stage.repository, "v1"),
            Pull::tag(&stage.repository, "v2"),
        ],
        blob: Some(first.layers[0].digest.clone()),
        want: vec![first, second],
        others: vec![side],
    })
}

/// MUST: both pulls hold their image. Observed: whether the second pull fetched the
/// shared base layer again.
fn judge_shared_layer(evidence: &Evidence) -> Findings {
    let mut findings = Findings::default();
    for (run, want) in evidence.runs.iter().zip(&evidence.plan.want) {
        let mut pulled = findings::succeeds(run);
        pulled.check = format!("pulls {}", run.job.tag());
        let mut holds = findings::holds(run, want);
        holds.check = format!("stores {} whole", run.job.tag());
        findings.must(pulled).must(holds);
    }
    findings.must(findings::intact(evidence.last()));
    if let Some(shared) = &evidence.plan.blob {
        findings.observe(
            "refetches_shared_layer",
            !blob_gets(&evidence.last().log, shared).is_empty(),
        );
    }
    findings
}

fn unknown_tag(stage: &mut Stage) -> anyhow::Result<Plan> {
    let loaded = stage.image(&stage.spec("v1"))?;
    Ok(Plan {
        others: loaded.images,
        ..Plan::one(Pull::tag(&stage.repository, "missing"), None)
    })
}

/// MUST: fails cleanly and stores nothing. Observed: whether its error says "not found".
fn judge_unknown(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    let others: Vec<_> = evidence.plan.others.iter().collect();
    findings
        .must(findings::fails_cleanly(run))
        .must(findings::holds_nothing(run, &others));
    if let Some(says) = run.error_mentions(&["not found", "unknown", "404"]) {
        findings.observe("error_says_not_found", says);
    }
    findings
}
