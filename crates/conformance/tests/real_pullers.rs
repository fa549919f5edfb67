//! The whole suite against the real pullers of this machine (skopeo, containerd's ctr,
//! podman, oras-py), as CI runs it. Each case must be carried out (no harness errors, no
//! skips), and the cases whose MUST checks fail must be exactly the findings recorded
//! here for these versions. A puller that is missing fails its test with the command that
//! installs it; a change in a puller's behaviour fails with the whole report, so the
//! expectation (and the README's matrix) can be updated knowingly.

use std::collections::BTreeSet;

use pullsim_conformance::progress::Lines;
use pullsim_conformance::report::text;
use pullsim_conformance::{CaseResult, RunOptions, adapters, cases};

/// A puller and the cases it fails, with why.
struct Row {
    puller: &'static str,
    failing: &'static [&'static str],
}

const ROWS: &[Row] = &[
    Row {
        puller: "skopeo",
        failing: &[],
    },
    // containerd records the image (pointing at the index) before it finds no child for
    // linux/s390x, and keeps the record after the pull fails.
    Row {
        puller: "ctr",
        failing: &["platform-missing"],
    },
    Row {
        puller: "podman",
        failing: &[],
    },
    // oras-py 0.2.43 checks no digest, and download_blob() leaves a partial (empty) file
    // under the blob's name when the connection drops.
    Row {
        puller: "oras-py",
        failing: &[
            "corrupt-blob",
            "manifest-digest-mismatch",
            "truncated-blob",
            "dropped-first-attempt",
        ],
    },
];

fn check(row: &Row) -> anyhow::Result<()> {
    let puller = adapters::by_name(row.puller)?;
    let root = tempfile::tempdir()?;
    let mut progress = Lines::new(std::io::sink());
    let report = pullsim_conformance::run(
        puller.as_ref(),
        &cases::all(),
        RunOptions::default(),
        root.path(),
        &mut progress,
    );
    let table = text::render(&report);
    anyhow::ensure!(
        report.cases.len() == cases::all().len()
            && report
                .cases
                .iter()
                .all(|case| matches!(case.result, CaseResult::Pass | CaseResult::Fail)),
        "{}: a case was not carried out:\n{table}",
        row.puller
    );
    let failing: BTreeSet<&str> = report
        .cases
        .iter()
        .filter(|case| case.result == CaseResult::Fail)
        .map(|case| case.id.as_str())
        .collect();
    let want: BTreeSet<&str> = row.failing.iter().copied().collect();
    anyhow::ensure!(
        failing == want,
        "{}: failing cases {failing:?}, want {want:?}:\n{table}",
        row.puller
    );
    Ok(())
}

#[test]
fn skopeo_passes_the_suite() -> anyhow::Result<()> {
    check(&ROWS[0])
}

#[test]
fn ctr_passes_all_but_the_missing_platform() -> anyhow::Result<()> {
    check(&ROWS[1])
}

#[test]
fn podman_passes_the_suite() -> anyhow::Result<()> {
    check(&ROWS[2])
}

#[test]
fn oras_py_fails_the_integrity_cases() -> anyhow::Result<()> {
    check(&ROWS[3])
}
