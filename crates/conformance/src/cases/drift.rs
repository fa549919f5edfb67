//! drift: the tag moves to another build right after the puller's first manifest request
//! (a registry trigger, so the move lands between the puller's own requests however fast
//! it is). The stored image must be wholly one build; a pull by digest must not notice.

use pullsim_model::ByteSize;
use pullsim_registry::{FaultMatch, Trigger, TriggerAction};

use super::{Case, Group, case};
use crate::evidence::{Evidence, Plan, Pull, first_manifest_request, is_manifest};
use crate::findings::{self, Check, Findings};
use crate::stage::{ImageFacts, Stage};

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "tag-moves-mid-pull",
            Group::Drift,
            "the tag moves between the manifest and blob requests: the stored image is wholly one build",
            |stage| two_builds(stage, false),
            judge_one_build,
        ),
        case(
            "digest-ignores-tag-move",
            Group::Drift,
            "a pull by digest is unaffected by a tag move during the pull",
            |stage| two_builds(stage, true),
            judge_pinned,
        ),
    ]
}

/// Build 1 tagged `v1`, build 2 tagged `v2`, and a trigger that points `v1` at build 2
/// once the first manifest request (by tag, or by digest when `by_digest`) is answered.
fn two_builds(stage: &mut Stage, by_digest: bool) -> anyhow::Result<Plan> {
    let mut first = stage.spec("v1");
    first.layers = vec![ByteSize(8192), ByteSize(4096)];
    let first = stage.image(&first)?.first().clone();
    let mut second = stage.spec("v2");
    second.layers = vec![ByteSize(8192), ByteSize(4096)];
    second.build = 2;
    let second = stage.image(&second)?.first().clone();
    let watched = if by_digest {
        first.manifest.to_string()
    } else {
        "v1".to_owned()
    };
    stage.trigger(Trigger {
        matcher: FaultMatch {
            path: Some(format!("/v2/{}/manifests/{watched}", stage.repository)),
            ..FaultMatch::default()
        },
        action: TriggerAction::MoveTag {
            repository: stage.repository.clone(),
            tag: "v1".to_owned(),
            digest: second.top.clone(),
        },
    })?;
    let pull = if by_digest {
        Pull::digest(&stage.repository, &first.manifest)
    } else {
        Pull::tag(&stage.repository, "v1")
    };
    Ok(Plan {
        pulls: vec![pull],
        want: if by_digest {
            vec![first.clone()]
        } else {
            Vec::new()
        },
        others: vec![first, second],
        blob: None,
    })
}

/// MUST: pulled, and the store holds build 1 whole or build 2 whole, never a mixture.
/// Observed: which build it ended with and how often it asked for the tag.
fn judge_one_build(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let builds: [&ImageFacts; 2] = [&evidence.plan.others[0], &evidence.plan.others[1]];
    let mut findings = Findings::default();
    findings.must(findings::succeeds(run));
    let held: Vec<usize> = builds
        .iter()
        .enumerate()
        .filter(|(_, build)| findings::holds(run, build).pass)
        .map(|(number, _)| number + 1)
        .collect();
    let detail = match held.as_slice() {
        [one] => format!("build {one} whole"),
        [] => format!(
            "neither build whole: {}",
            findings::holds(run, builds[0]).detail
        ),
        _ => "both builds".to_owned(),
    };
    findings.must(Check::new(
        "stores one build whole, never a mixture",
        held.len() == 1,
        detail,
    ));
    findings.must(findings::intact(run));
    if let [one] = held.as_slice() {
        findings.observe("ended_with_build", *one);
    }
    let tag_requests = run
        .log
        .iter()
        .filter(|entry| {
            is_manifest(entry, &run.job.repository) && entry.path.ends_with("/manifests/v1")
        })
        .count();
    findings.observe("tag_requests", tag_requests);
    findings
}

/// MUST: pulled build 1 whole, intact.
fn judge_pinned(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    if let Some(first) = first_manifest_request(&run.log, &run.job.repository) {
        findings.observe("first_manifest_request", first.method.clone());
    }
    findings
}
