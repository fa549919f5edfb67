//! protocol: `Accept` negotiation (the registry answers what was asked for, so a puller
//! that does not ask for an index gets distribution's fallback, the linux/amd64 child), a
//! manifest over 4 MiB, and blobs redirected to another origin as a CDN serves them.

use pullsim_model::{ByteSize, Platform};

use super::{Case, Group, case};
use crate::evidence::{Evidence, Plan, Pull, first_manifest_request};
use crate::findings::{self, Check, Findings};
use crate::stage::Stage;

/// The OCI index media type a puller must list to be answered with an index.
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The padded manifest's size: over distribution's 4 MiB cap.
const BIG_MANIFEST_BYTES: usize = (4 << 20) + (256 << 10);

pub(super) fn cases() -> Vec<Case> {
    vec![
        case(
            "accept-index",
            Group::Protocol,
            "Accept lists the OCI index type, so linux/arm64/v8 is found in an index",
            accept_index,
            judge_accept,
        ),
        case(
            "manifest-over-4mib",
            Group::Protocol,
            "a manifest over 4 MiB is pulled whole or refused cleanly",
            big_manifest,
            judge_big_manifest,
        ),
        Case {
            mirror: true,
            ..case(
                "blob-redirect",
                Group::Protocol,
                "blobs answered with 307 to another origin (CDN style) are fetched there",
                redirected,
                judge_redirected,
            )
        },
    ]
}

fn accept_index(stage: &mut Stage) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    let arm64 = Platform::new("linux", "arm64", "v8");
    spec.platforms = vec![Platform::new("linux", "amd64", ""), arm64.clone()];
    let loaded = stage.image(&spec)?;
    let want = loaded.platform(&arm64)?.clone();
    Ok(Plan {
        others: loaded.images,
        ..Plan::one(Pull::tag(&stage.repository, "v1").on(arm64), Some(want))
    })
}

/// MUST: the tag request lists the OCI index type, and the arm64 image is stored.
/// Observed: the media types it lists, shortened.
fn judge_accept(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    let first = first_manifest_request(&run.log, &run.job.repository);
    let accept = first
        .and_then(|entry| entry.accept.clone())
        .unwrap_or_default();
    let listed: Vec<&str> = accept.split(',').map(str::trim).collect();
    let asks = listed.iter().any(|entry| {
        entry.split(';').next().map(str::trim) == Some(OCI_INDEX) || entry.starts_with("*/*")
    });
    findings.must(Check::new(
        "lists the OCI index type when resolving the tag",
        asks,
        match first {
            None => "no manifest request".to_owned(),
            Some(_) if asks => "it does".to_owned(),
            Some(_) => format!(
                "Accept: {}",
                if accept.is_empty() { "(none)" } else { &accept }
            ),
        },
    ));
    findings
        .must(findings::succeeds(run))
        .must(findings::holds(run, &evidence.plan.want[0]))
        .must(findings::intact(run));
    findings.observe("accept", short_types(&listed));
    findings
}

/// Media types by short names, in the order sent (`oci-manifest,oci-index,docker-v2`).
fn short_types(listed: &[&str]) -> String {
    listed
        .iter()
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let bare = entry.split(';').next().unwrap_or(entry).trim();
            match bare {
                "application/vnd.oci.image.manifest.v1+json" => "oci-manifest",
                "application/vnd.oci.image.index.v1+json" => "oci-index",
                "application/vnd.docker.distribution.manifest.v2+json" => "docker-v2",
                "application/vnd.docker.distribution.manifest.list.v2+json" => "docker-list",
                "application/vnd.docker.distribution.manifest.v1+json" => "docker-v1",
                "application/vnd.docker.distribution.manifest.v1+prettyjws" => "docker-v1-signed",
                "application/json" => "json",
                "*/*" => "*/*",
                _ => "other",
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn big_manifest(stage: &mut Stage) -> anyhow::Result<Plan> {
    let image = stage.image(&stage.spec("small"))?.first().clone();
    let big = stage.padded(&image, "v1", BIG_MANIFEST_BYTES)?;
    Ok(Plan::one(Pull::tag(&stage.repository, "v1"), Some(big)))
}

/// MUST: whole, or a clean failure. Observed: whether it took the manifest.
fn judge_big_manifest(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::default();
    for check in findings::whole_or_clean_failure(run, &evidence.plan.want[0]) {
        findings.must(check);
    }
    findings.observe(
        "outcome",
        if run.succeeded() {
            "accepted"
        } else {
            "refused"
        },
    );
    findings
}

fn redirected(stage: &mut Stage) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    spec.layers = vec![ByteSize(8192), ByteSize(4096)];
    let want = stage.image(&spec)?.first().clone();
    Ok(Plan::one(Pull::tag(&stage.repository, "v1"), Some(want)))
}

/// MUST: pulled whole through the redirects. Observed: requests the other origin served.
fn judge_redirected(evidence: &Evidence) -> Findings {
    let run = evidence.last();
    let mut findings = Findings::pulled_whole(run, &evidence.plan.want[0]);
    findings.observe("blobs_from_other_origin", evidence.mirror_log.len());
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_shorten_in_order() {
        let listed = [
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.list.v2+json; q=0.5",
            "*/*",
            "text/plain",
        ];
        assert_eq!(short_types(&listed), "oci-manifest,docker-list,*/*,other");
        assert_eq!(short_types(&[""]), "");
    }
}
