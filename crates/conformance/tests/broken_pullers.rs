//! The suite tells a careful puller from careless ones. `python/naive_puller.py`, run as a
//! `--cmd` puller, passes every MUST check; with `--ignore-digests` (it resolves the tag
//! twice and checks no digest) the drift and integrity cases catch it; with
//! `--credentials-everywhere` (its Authorization header follows redirects) the case whose
//! blobs redirect to another port catches it, and nothing else does. The reports of the
//! broken runs are snapshot-tested with durations, ports and folders filtered out.

use std::collections::BTreeSet;
use std::path::Path;

use pullsim_conformance::adapters::command::CommandPuller;
use pullsim_conformance::progress::Lines;
use pullsim_conformance::report::text;
use pullsim_conformance::{CaseResult, Group, RunOptions, SuiteReport, cases, programs};

/// One puller: its switches and the cases whose MUST checks must fail, by id.
struct Row {
    name: &'static str,
    flags: &'static str,
    failing: &'static [&'static str],
}

const ROWS: &[Row] = &[
    Row {
        name: "naive",
        flags: "",
        failing: &[],
    },
    Row {
        name: "naive-ignores-digests",
        flags: "--ignore-digests",
        failing: &[
            "tag-moves-mid-pull",
            "corrupt-blob",
            "manifest-digest-mismatch",
        ],
    },
    Row {
        name: "naive-credentials-everywhere",
        flags: "--credentials-everywhere",
        failing: &["credentials-stay-home"],
    },
];

fn run(row: &Row) -> anyhow::Result<SuiteReport> {
    programs::require("python3")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/naive_puller.py");
    let template = format!(
        "python3 '{}' --ref {{ref}} --platform {{os}}/{{arch}}/{{variant}} \
         --authfile {{authfile}} --out {{out}} {}",
        script.display(),
        row.flags
    );
    let puller = CommandPuller::new(row.name, &template, None).map_err(anyhow::Error::msg)?;
    let root = tempfile::tempdir()?;
    let mut progress = Lines::new(std::io::sink());
    Ok(pullsim_conformance::run(
        &puller,
        &cases::all(),
        RunOptions::default(),
        root.path(),
        &mut progress,
    ))
}

fn check(row: &Row) -> anyhow::Result<SuiteReport> {
    let report = run(row)?;
    let failing: BTreeSet<&str> = report
        .cases
        .iter()
        .filter(|case| case.result != CaseResult::Pass)
        .map(|case| case.id.as_str())
        .collect();
    let want: BTreeSet<&str> = row.failing.iter().copied().collect();
    anyhow::ensure!(
        failing == want && report.cases.len() == cases::all().len(),
        "{}: cases not passing {failing:?}, want {want:?}:\n{}",
        row.name,
        text::render(&report)
    );
    Ok(report)
}

/// Replaces what changes from run to run (times, ports, folders) with placeholders.
fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d+\.\d+s\b", "[secs]");
    settings.add_filter(r"waited_ms=\d+", "waited_ms=[ms]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]");
    settings.add_filter(r"/tmp/[^\s'\x22]+", "[tmp]");
    settings
}

#[test]
fn a_careful_puller_passes_every_case() -> anyhow::Result<()> {
    check(&ROWS[0])?;
    Ok(())
}

#[test]
fn a_puller_that_ignores_digests_is_caught_by_drift_and_integrity() -> anyhow::Result<()> {
    let report = check(&ROWS[1])?;
    settings().bind(|| {
        insta::assert_snapshot!("ignores_digests_table", text::render(&report));
        // The JSON of the integrity group: the issue's shape, with passing and failing
        // cases, short enough to review.
        let integrity = SuiteReport {
            cases: report
                .cases
                .iter()
                .filter(|case| case.group == Group::Integrity)
                .cloned()
                .collect(),
            ..report.clone()
        };
        let json: serde_json::Value = serde_json::from_str(&integrity.to_json().unwrap()).unwrap();
        insta::assert_snapshot!(
            "ignores_digests_integrity_json",
            serde_json::to_string_pretty(&json).unwrap()
        );
    });
    Ok(())
}

#[test]
fn a_puller_that_sends_credentials_everywhere_is_caught_by_the_redirect() -> anyhow::Result<()> {
    let report = check(&ROWS[2])?;
    settings().bind(|| {
        insta::assert_snapshot!("credentials_everywhere_table", text::render(&report));
    });
    Ok(())
}
