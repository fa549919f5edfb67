//! platforms: choosing linux/amd64, linux/arm64/v8 or linux/arm/v7 from an OCI index and
//! from a Docker manifest list, and refusing an index that lacks the requested platform.

use pullsim_model::{ByteSize, Platform};
use pullsim_registry::ImageFormat;

use super::{Case, Group, case};
use crate::evidence::{Evidence, Plan, Pull, first_manifest_request, is_manifest};
use crate::findings::{self, Findings};
use crate::stage::Stage;

/// The three platforms of every index here.
fn three() -> Vec<Platform> {
    vec![
        Platform::new("linux", "amd64", ""),
        Platform::new("linux", "arm64", "v8"),
        Platform::new("linux", "arm", "v7"),
    ]
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "oci-index-amd64",
            Group::Platforms,
            "linux/amd64 from an OCI index",
            |stage| choose(stage, ImageFormat::Oci, 0),
            judge_choice,
        ),
        case(
            "oci-index-arm64-v8",
            Group::Platforms,
            "linux/arm64/v8 from an OCI index",
            |stage| choose(stage, ImageFormat::Oci, 1),
            judge_choice,
        ),
        case(
            "oci-index-arm-v7",
            Group::Platforms,
            "linux/arm/v7 from an OCI index",
            |stage| choose(stage, ImageFormat::Oci, 2),
            judge_choice,
        ),
        case(
            "docker-list-amd64",
            Group::Platforms,
            "linux/amd64 from a Docker manifest list",
            |stage| choose(stage, ImageFormat::Docker, 0),
            judge_choice,
        ),
        case(
            "docker-list-arm64-v8",
            Group::Platforms,
            "linux/arm64/v8 from a Docker manifest list",
            |stage| choose(stage, ImageFormat::Docker, 1),
            judge_choice,
        ),
        case(
            "docker-list-arm-v7",
            Group::Platforms,
            "linux/arm/v7 from a Docker manifest list",
            |stage| choose(stage, ImageFormat::Docker, 2),
            judge_choice,
        ),
        case(
            "platform-missing",
            Group::Platforms,
            "an index without the requested platform (linux/s390x) fails and stores nothing",
            missing,
            judge_missing,
        ),
    ]
}

fn choose(stage: &mut Stage, format: ImageFormat, wanted: usize) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    spec.format = format;
    spec.platforms = three();
    spec.layers = vec![ByteSize(4096)];
    let loaded = stage.image(&spec)?;
    let platform = spec.platforms[wanted].clone();
    let want = loaded.platform(&platform)?.clone();
    let others = loaded
        .images
        .iter()
        .filter(|image| image.manifest != want.manifest)
        .cloned()
        .collect();
    Ok(Plan {
        others,
        ..Plan::one(Pull::tag(&stage.repository, "v1").on(platform), Some(want))
    })
}

/// MUST: pulled, holds the requested platform's image, intact. Observed: whether it
/// fetched other platforms' manifests too, and how it resolved the tag.
fn judge_choice(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    let others = evidence
        .plan
        .others
        .iter()
        .filter(|other| {
            run.log.iter().any(|entry| {
                entry.method == "GET"
                    && is_manifest(entry, &run.job.repository)
                    && entry.path.ends_with(&other.manifest.to_string())
            })
        })
        .count();
    findings.observe("other_platforms_fetched", others);
    if let Some(first) = first_manifest_request(&run.log, &run.job.repository) {
        findings.observe("first_manifest_request", first.method.clone());
    }
    findings
}

fn missing(stage: &mut Stage) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    spec.platforms = vec![
        Platform::new("linux", "amd64", ""),
        Platform::new("linux", "arm64", "v8"),
    ];
    let loaded = stage.image(&spec)?;
    Ok(Plan {
        others: loaded.images,
        ..Plan::one(
            Pull::tag(&stage.repository, "v1").on(Platform::new("linux", "s390x", "")),
            None,
        )
    })
}

/// MUST: fails cleanly and stores no image manifest or layer. Observed: whether the error
/// names the platform.
fn judge_missing(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    let others: Vec<_> = evidence.plan.others.iter().collect();
    findings
        .must(findings::fails_cleanly(run))
        .must(findings::holds_nothing(run, &others));
    if let Some(says) = run.error_mentions(&["platform", "s390x", "no match"]) {
        findings.observe("error_names_platform", says);
    }
    findings
}
