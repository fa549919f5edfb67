//! The scenario library, verified: every `scenarios/**/*.yaml` is read, simulated twice
//! (the two runs must give the same bytes, text and JSON), its transcript compared with
//! its reviewed insta snapshot, and its expectations judged.
//!
//! One line per scenario goes to stderr (name, verdict, virtual time, wall time), then a
//! summary, so `cargo xtask run-scenarios` (which runs this test with `--nocapture`) is
//! readable. Failures are collected: every scenario runs, and the test fails at the end
//! naming each one that went wrong. Snapshot mismatches are deferred the same way by
//! insta's `glob!`, which shows each diff. `PULLSIM_SCENARIOS=<text>` (what
//! `cargo xtask run-scenarios FILTER` sets) keeps only the scenarios whose path under
//! `scenarios/` contains the text.
//!
//! Wall time is printed for the person reading, never asserted: tests assert behaviour.

#![expect(
    clippy::print_stderr,
    reason = "the per-scenario progress lines are this harness's output"
)]

use std::path::Path;
use std::time::Duration;

use pullsim_scenario::Scenario;
use pullsim_scenario::run::{Outcome, RequestDetail, RunOptions, run};
use pullsim_tests::{relative_slash_path, workspace_root};

/// What one scenario's check found.
struct Checked {
    name: String,
    problems: Vec<String>,
    virtual_time: String,
    events: u64,
    wall: Duration,
}

/// The scenario's path under `scenarios/`, with `/` separators, for lines and messages.
fn display_name(path: &Path) -> String {
    relative_slash_path(&workspace_root().join("scenarios"), path)
}

fn simulate(scenario: &Scenario) -> Outcome {
    run(
        scenario,
        &RunOptions {
            seed: None,
            until: None,
            requests: RequestDetail::Summary,
        },
    )
}

/// Reads, runs twice and snapshots one scenario; returns what went wrong (the snapshot
/// comparison itself is insta's, deferred to the end of the glob).
fn check(path: &Path) -> Checked {
    #[expect(
        clippy::disallowed_methods,
        reason = "wall time is reported to the person running the library, never asserted"
    )]
    let started = std::time::Instant::now();
    let name = display_name(path);
    let mut problems = Vec::new();
    let unread = |problem: String| Checked {
        name: name.clone(),
        problems: vec![problem],
        virtual_time: "-".to_owned(),
        events: 0,
        wall: started.elapsed(),
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) => return unread(format!("cannot read the file: {err}")),
    };
    // `manifests:` paths are relative to the scenario file.
    let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut manifests =
        |file: &str| std::fs::read(folder.join(file)).map_err(|error| error.to_string());
    let scenario = match Scenario::parse_with(&format!("scenarios/{name}"), &text, &mut manifests) {
        Ok(scenario) => scenario,
        Err(errors) => return unread(format!("invalid scenario:\n{errors}")),
    };
    let stem = path
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    if scenario.name != stem {
        problems.push(format!(
            "its name is {:?} but its file is {stem}.yaml; name a scenario after its file",
            scenario.name
        ));
    }
    let first = simulate(&scenario);
    let second = simulate(&scenario);
    let transcript = first.text();
    if transcript != second.text() {
        problems.push("two runs with the same seed gave different text transcripts".to_owned());
    }
    if first.json() != second.json() {
        problems.push("two runs with the same seed gave different JSON".to_owned());
    }
    if !first.passed() {
        problems.push("an expectation failed (see FAILED in the transcript)".to_owned());
    }
    insta::assert_snapshot!("transcript", transcript);
    Checked {
        name,
        problems,
        virtual_time: first.virtual_time().to_string(),
        events: first.events(),
        wall: started.elapsed(),
    }
}

/// The `PULLSIM_SCENARIOS` filter, if set.
fn filter() -> Option<String> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the test harness, not the pure core: the person running it narrows the run"
    )]
    let value = std::env::var("PULLSIM_SCENARIOS").ok();
    value.filter(|text| !text.is_empty())
}

#[test]
fn library() {
    let filter = filter();
    let mut checked = Vec::new();
    insta::glob!("../../scenarios", "**/*.yaml", |path| {
        if filter
            .as_deref()
            .is_some_and(|text| !display_name(path).contains(text))
        {
            return;
        }
        let result = check(path);
        eprintln!(
            "{:<52} {:<6} virtual {:>14}  {:>8} events  wall {:>7.1} ms",
            result.name,
            if result.problems.is_empty() {
                "ok"
            } else {
                "FAILED"
            },
            result.virtual_time,
            result.events,
            result.wall.as_secs_f64() * 1000.0
        );
        for problem in &result.problems {
            eprintln!("    {problem}");
        }
        checked.push(result);
    });
    let failed: Vec<&Checked> = checked
        .iter()
        .filter(|result| !result.problems.is_empty())
        .collect();
    let wall: Duration = checked.iter().map(|result| result.wall).sum();
    eprintln!(
        "{} scenarios: {} passed, {} failed (wall {:.2} s)",
        checked.len(),
        checked.len() - failed.len(),
        failed.len(),
        wall.as_secs_f64()
    );
    assert!(
        failed.is_empty(),
        "{} scenario(s) failed:\n{}",
        failed.len(),
        failed
            .iter()
            .map(|result| format!("  {}: {}", result.name, result.problems.join("; ")))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
