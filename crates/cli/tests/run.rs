//! `pullsim run` end to end: exit codes (0 when every expectation holds, 1 when one fails
//! or a limit is hit, 2 for a file that cannot be read or is not a scenario), the same
//! bytes on every run, `--seed` moving only jittered times, and precise errors for a
//! malformed file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pullsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(args)
        .output()
        .expect("the pullsim binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temporary file is writable");
    path
}

/// A pod whose tag is missing, retried on the kubelet's jittered cadence: in 45 s it pulls
/// twice and backs off once whatever the seed, at times the seed decides.
const MISSING: &str = r#"
name: missing-tag
description: A tag that does not exist, retried on the kubelet's jittered cadence.
seed: 3
registries:
  - host: registry.example.com
    images: [{repository: team/app, tag: v1}]
nodes: [{pool: node}]
workloads:
  - {metadata: {name: app}, spec: {containers: [{name: c, image: registry.example.com/team/app:v1}]}}
  - {metadata: {name: missing}, spec: {containers: [{name: c, image: registry.example.com/team/app:nope}]}}
run: {for: 45s}
expect:
  - {pod: app, state: Running}
  - {pod: missing, state: Waiting}
  - {pod: missing, events: [Pulling, Failed, Failed, Pulling, Failed, Failed, BackOff, Failed]}
"#;

#[test]
fn a_passing_scenario_exits_0_and_prints_its_transcript() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(dir.path(), "missing.yaml", MISSING);
    let output = pullsim(&["run", file.to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{text}{}", stderr(&output));
    assert!(
        text.starts_with("scenario  missing-tag\nseed      3\n"),
        "{text}"
    );
    assert!(text.contains("  Normal   Pulling "), "{text}");
    assert!(
        text.contains("result: passed (3 expectations hold)"),
        "{text}"
    );
    assert!(stderr(&output).is_empty());
}

#[test]
fn a_failed_expectation_exits_1_with_what_was_expected_and_what_happened() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(
        dir.path(),
        "wrong.yaml",
        &MISSING.replace("{pod: app, state: Running}", "{pod: app, state: Deleted}"),
    );
    let output = pullsim(&["run", file.to_str().unwrap()]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains("FAILED  14:5  pod app: Deleted at 00:00:45.000\n"),
        "{text}"
    );
    assert!(text.contains("got Running"), "{text}");
    assert!(
        text.contains("result: FAILED (1 of 3 expectations failed)"),
        "{text}"
    );
}

#[test]
fn a_limit_exits_1_naming_the_seed() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(
        dir.path(),
        "limit.yaml",
        &MISSING.replace("run: {for: 45s}", "run: {until: allRunning, limit: 45s}"),
    );
    let output = pullsim(&["run", file.to_str().unwrap(), "--seed", "8"]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(
        text.contains(
            "not every pod was Running when the run reached its limit of 45s; replay with seed 8"
        ),
        "{text}"
    );
}

#[test]
fn the_same_run_prints_the_same_bytes_in_text_and_json() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(dir.path(), "missing.yaml", MISSING);
    let path = file.to_str().unwrap();
    for args in [
        vec!["run", path],
        vec!["run", path, "--requests"],
        vec!["run", path, "--format", "json"],
    ] {
        let first = pullsim(&args);
        let second = pullsim(&args);
        assert_eq!(first.status.code(), Some(0), "{args:?}");
        assert_eq!(first.stdout, second.stdout, "{args:?}");
    }
    let json: serde_json::Value =
        serde_json::from_slice(&pullsim(&["run", path, "--format", "json"]).stdout).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["scenario"]["name"], "missing-tag");
    assert!(json["records"].as_array().is_some_and(|r| !r.is_empty()));
}

#[test]
fn format_metrics_prints_the_json_metrics_alone() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(dir.path(), "missing.yaml", MISSING);
    let path = file.to_str().unwrap();
    let output = pullsim(&["run", path, "--format", "metrics"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let alone: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let full: serde_json::Value =
        serde_json::from_slice(&pullsim(&["run", path, "--format", "json"]).stdout).unwrap();
    assert_eq!(alone, full["metrics"]);
    assert!(alone.get("records").is_none());
    // 45 s of run: one minute.
    assert_eq!(
        alone["requests_per_minute"].as_array().map(Vec::len),
        Some(1)
    );
}

/// The story's lines with their time column cut off.
fn story_without_times(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.len() > 14 && line.as_bytes()[2] == b':' && line.as_bytes()[5] == b':')
        .map(|line| line[14..].to_owned())
        .collect()
}

fn times(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.len() > 14 && line.as_bytes()[2] == b':' && line.as_bytes()[5] == b':')
        .map(|line| line[..12].to_owned())
        .collect()
}

#[test]
fn another_seed_moves_only_jittered_times() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(dir.path(), "missing.yaml", MISSING);
    let path = file.to_str().unwrap();
    let three = stdout(&pullsim(&["run", path]));
    let four = stdout(&pullsim(&["run", path, "--seed", "4"]));
    assert!(four.contains("seed      4\n"), "{four}");
    assert_eq!(story_without_times(&three), story_without_times(&four));
    assert_ne!(times(&three), times(&four), "the jittered resync moved");
    // Nothing before the first jittered resync (10 s) moves.
    let early = |text: &str| {
        text.lines()
            .filter(|line| line.starts_with("00:00:0"))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(early(&three), early(&four));
}

#[test]
fn until_and_requests_change_the_run_and_its_detail() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let file = write(dir.path(), "missing.yaml", MISSING);
    let path = file.to_str().unwrap();
    let short = stdout(&pullsim(&["run", path, "--until", "5s"]));
    assert!(
        short.contains("run       for 5s; ended at 00:00:05.000"),
        "{short}"
    );
    let full = stdout(&pullsim(&["run", path, "--requests"]));
    assert!(
        full.contains("HEAD /v2/team/app/manifests/nope 404"),
        "{full}"
    );
    let bad = pullsim(&["run", path, "--until", "5 minutes"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("--until"), "{}", stderr(&bad));
}

#[test]
fn a_malformed_scenario_exits_2_with_every_error_at_its_place() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let text = MISSING
        .replace(
            "image: registry.example.com/team/app:v1}",
            "image: registry.example.com/team/app:v1, imagePullPolicy: Allways}",
        )
        .replace("run: {for: 45s}", "run: {for: 45 seconds}");
    let file = write(dir.path(), "broken.yaml", &text);
    let path = file.to_str().unwrap();
    let output = pullsim(&["run", path]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stdout(&output).is_empty(), "{}", stdout(&output));
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with(&format!("{path}:10:"))
            && lines[0].contains(
                "unknown pull policy \"Allways\" (expected Always, IfNotPresent or Never)"
            ),
        "{err}"
    );
    assert!(lines[1].starts_with(&format!("{path}:12:")), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_missing_file_exits_2_naming_it() {
    let output = pullsim(&["run", "/nonexistent/scenario.yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with("pullsim: error: /nonexistent/scenario.yaml: cannot read the scenario"),
        "{err}"
    );
    assert!(stdout(&output).is_empty());
}

#[test]
fn help_explains_each_flag_with_an_example() {
    let output = pullsim(&["run", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = stdout(&output);
    for flag in ["--seed", "--format", "--until", "--requests"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
    for example in [
        "--seed 7",
        "--format json",
        "--until 90s",
        "e.g. `--requests`",
    ] {
        assert!(help.contains(example), "{example} in {help}");
    }
}

#[test]
fn a_scenario_that_is_not_utf8_is_an_error_at_the_byte() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let path = dir.path().join("latin1.yaml");
    std::fs::write(&path, b"name: t\ndescription: caf\xe9\n").expect("temporary file is writable");
    let path = path.to_str().unwrap();
    let output = pullsim(&["run", path]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        format!("{path}:2:17: invalid UTF-8 (byte 0xe9); the file must be UTF-8 text\n")
    );
}
