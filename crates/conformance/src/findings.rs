//! What a case concludes: MUST checks that pass or fail, and observed behaviours that are
//! reported without judgement. The checks most cases share live here, so that "stores the
//! expected image" or "fails cleanly" means the same thing in every case.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::evidence::Run;
use crate::stage::ImageFacts;

/// One MUST check's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What is required, as a sentence fragment ("stores the linux/arm64/v8 image").
    pub check: String,
    /// Whether it held (`"result": "pass"` or `"fail"` in JSON).
    #[serde(rename = "result", serialize_with = "pass_or_fail")]
    pub pass: bool,
    /// Why, in a few words (what was found instead, or how it held).
    pub detail: String,
}

fn pass_or_fail<S: serde::Serializer>(pass: &bool, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(if *pass { "pass" } else { "fail" })
}

impl Check {
    /// A check with its result and detail.
    pub fn new(check: impl Into<String>, pass: bool, detail: impl Into<String>) -> Check {
        Check {
            check: check.into(),
            pass,
            detail: detail.into(),
        }
    }
}

/// A case's conclusions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Findings {
    /// The MUST checks, in order.
    pub must: Vec<Check>,
    /// Observed behaviours by name (`pings_v2`, `retried`, `waited_ms`), not judged.
    pub observed: BTreeMap<String, Value>,
}

impl Findings {
    /// The MUSTs of every case that expects a good pull: exited 0, holds `want`, and
    /// keeps nothing under a wrong digest.
    pub fn pulled_whole(run: &Run, want: &ImageFacts) -> Findings {
        let mut findings = Findings::default();
        findings
            .must(succeeds(run))
            .must(holds(run, want))
            .must(intact(run));
        findings
    }

    /// Adds a MUST check.
    pub fn must(&mut self, check: Check) -> &mut Findings {
        self.must.push(check);
        self
    }

    /// Records an observed behaviour.
    pub fn observe(&mut self, name: &str, value: impl Into<Value>) -> &mut Findings {
        self.observed.insert(name.to_owned(), value.into());
        self
    }
}

/// MUST: exited 0 before the time limit.
pub fn succeeds(run: &Run) -> Check {
    let detail = match run.outcome.status {
        Some(status) if status.success() => "exit 0".to_owned(),
        Some(status) => format!("{status}: {}", run.output_tail()),
        None => "still running at the time limit, killed".to_owned(),
    };
    Check::new("pulls successfully", run.succeeded(), detail)
}

/// MUST: exited non-zero before the time limit (a hang is not a clean failure).
pub fn fails_cleanly(run: &Run) -> Check {
    let (pass, detail) = match run.outcome.status {
        Some(status) if status.success() => (false, "exit 0: it reported success".to_owned()),
        Some(status) => (true, status.to_string()),
        None => (false, "still running at the time limit, killed".to_owned()),
    };
    Check::new("fails with a non-zero exit", pass, detail)
}

/// MUST: the store holds `want`: the manifest recorded for the reference (or the index
/// listing it, with the manifest itself in the store), its config and every layer (by
/// digest, or by diff id for stores that keep layers unpacked).
pub fn holds(run: &Run, want: &ImageFacts) -> Check {
    let name = format!("stores the {} image", want.platform);
    let stored = &run.stored;
    let recorded = stored.images.contains(&want.manifest)
        || (stored.images.contains(&want.top)
            && (!stored.content_known || stored.has(&want.manifest)));
    let layers: Vec<&pullsim_model::Digest> = want.layers.iter().map(|l| &l.digest).collect();
    let converted = stored.references.iter().find(|(_, references)| {
        references.len() == layers.len() + 1
            && references[1..].iter().zip(&layers).all(|(a, b)| a == *b)
    });
    if let (false, Some((manifest, references))) = (recorded, converted) {
        // A new manifest and config over exactly the same layers: the puller converted
        // the format (skopeo rewrites a Docker image as OCI for an OCI layout), which
        // keeps the content. Its own config and every layer must be stored.
        let converted_want = ImageFacts {
            config: references[0].clone(),
            ..want.clone()
        };
        let mut check = holds_content(name, stored, &converted_want);
        if check.pass {
            check.detail = format!(
                "converted: manifest {}, config {}, the same {} layer{}",
                short(manifest),
                short(&references[0]),
                want.layers.len(),
                if want.layers.len() == 1 { "" } else { "s" }
            );
        }
        return check;
    }
    if !recorded {
        let found = if stored.images.is_empty() {
            "no image recorded".to_owned()
        } else {
            format!("recorded {}", short_list(&stored.images))
        };
        return Check::new(
            name,
            false,
            format!("{found}, want {}", short(&want.manifest)),
        );
    }
    if !stored.content_known {
        return Check::new(name, true, format!("manifest {}", short(&want.manifest)));
    }
    holds_content(name, stored, want)
}

/// The part of [`holds`] after the manifest: the config and every layer are stored.
fn holds_content(name: String, stored: &crate::puller::Stored, want: &ImageFacts) -> Check {
    let mut missing = Vec::new();
    if !stored.has(&want.config) {
        missing.push(format!("config {}", short(&want.config)));
    }
    for (index, layer) in want.layers.iter().enumerate() {
        if !stored.has(&layer.digest) && !stored.has(&layer.diff_id) {
            missing.push(format!("layer {} {}", index + 1, short(&layer.digest)));
        }
    }
    if missing.is_empty() {
        let detail = format!(
            "manifest {}, config and {} layer{}",
            short(&want.manifest),
            want.layers.len(),
            if want.layers.len() == 1 { "" } else { "s" }
        );
        Check::new(name, true, detail)
    } else {
        Check::new(name, false, format!("missing {}", missing.join(", ")))
    }
}

/// MUST: nothing in the store is kept under a digest its bytes do not match.
pub fn intact(run: &Run) -> Check {
    let bad = run.stored.mismatched();
    let detail = match bad.first() {
        None => "every readable blob matches its digest".to_owned(),
        Some((name, actual)) => format!(
            "{} holds bytes of {}{}",
            short(name),
            short(actual),
            if bad.len() > 1 {
                format!(" (and {} more)", bad.len() - 1)
            } else {
                String::new()
            }
        ),
    };
    Check::new(
        "keeps no content under a digest it does not match",
        bad.is_empty(),
        detail,
    )
}

/// MUST: no image recorded for the reference, and none of `images`' manifests or layers
/// in the store (an index fetched to look for a platform may stay cached).
pub fn holds_nothing(run: &Run, images: &[&ImageFacts]) -> Check {
    let stored = &run.stored;
    let mut found: Vec<String> = stored
        .images
        .iter()
        .map(|digest| {
            let index = images
                .iter()
                .any(|image| image.top == *digest && image.manifest != *digest);
            format!(
                "an image record of {}{}",
                short(digest),
                if index { " (the index)" } else { "" }
            )
        })
        .collect();
    if stored.content_known {
        for image in images {
            if stored.has(&image.manifest) {
                found.push(format!("manifest {}", short(&image.manifest)));
            }
            for layer in &image.layers {
                if stored.has(&layer.digest) || stored.has(&layer.diff_id) {
                    found.push(format!("layer {}", short(&layer.digest)));
                }
            }
        }
    }
    found.dedup();
    let detail = if found.is_empty() {
        "nothing stored".to_owned()
    } else {
        format!("stored {}", found.join(", "))
    };
    Check::new("stores no image", found.is_empty(), detail)
}

/// MUST for a case where failing is allowed: either it pulled `want` whole, or it failed
/// cleanly and kept none of it. Content is never kept under a wrong digest either way.
pub fn whole_or_clean_failure(run: &Run, want: &ImageFacts) -> Vec<Check> {
    let mut checks = if run.succeeded() {
        vec![holds(run, want)]
    } else {
        let mut clean = fails_cleanly(run);
        clean.check = "pulls the image or fails with a non-zero exit".to_owned();
        let nothing = holds_nothing(run, &[]);
        vec![clean, nothing]
    };
    checks.push(intact(run));
    checks
}

/// A digest shortened for reports: `sha256:` and the first 12 hex digits.
pub fn short(digest: &pullsim_model::Digest) -> String {
    let text = digest.to_string();
    let cut = text
        .find(':')
        .map_or(12, |colon| colon + 13)
        .min(text.len());
    text[..cut].to_owned()
}

fn short_list(digests: &[pullsim_model::Digest]) -> String {
    digests.iter().map(short).collect::<Vec<_>>().join(", ")
}
