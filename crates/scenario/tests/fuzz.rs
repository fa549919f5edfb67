//! Fuzzing in `cargo xtask test` (issue 12 item 19): the library's scenarios, damaged the
//! ways people and tools damage YAML (lines deleted or duplicated, values retyped or made
//! huge, tabs, bytes that are not UTF-8), are read and, when they still read, simulated;
//! damaged `manifests:` files are read the same way; and random reference strings go
//! through every reference reader. Nothing may panic or abort, every error must name a
//! place inside the file in one short line, and the whole binary may hold at most
//! [`LIVE_BYTES_MAX`] at once (a counting allocator refuses more, which aborts the test).
//! Fixed seeds and bounded case counts keep it to seconds.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use cap::Cap;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use pullsim_model::{
    Reference, apply_default_image_tag, default_pull_policy, parse_docker_ref, parse_image_name,
};
use pullsim_scenario::Scenario;
use pullsim_scenario::run::{RequestDetail, RunOptions, run};

/// What this test binary may hold at once.
const LIVE_BYTES_MAX: usize = 512 << 20;

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, LIVE_BYTES_MAX);

/// A run of a damaged scenario stops after this many events; building its world (the
/// registry's layers) is most of a case's time, up to a few seconds in a debug build.
const EVENTS_MAX: u64 = 10_000;

/// The longest error line accepted: messages quote the start of long values only.
const MESSAGE_CHARS_MAX: usize = 4_096;

/// The library's scenarios, in path order.
fn library() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
    let mut paths = Vec::new();
    for topic in std::fs::read_dir(&root).expect("the scenario library") {
        let topic = topic.expect("entry").path();
        if !topic.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&topic).expect("a topic folder") {
            let path = file.expect("entry").path();
            if path.extension().is_some_and(|ext| ext == "yaml") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    assert!(paths.len() >= 30, "the library is there: {paths:?}");
    paths
        .iter()
        .map(|path| std::fs::read_to_string(path).expect("library text"))
        .collect()
}

/// One way to damage a scenario.
#[derive(Debug, Clone)]
enum Damage {
    DeleteLine(usize),
    DuplicateLine(usize),
    /// The value after a line's `: ` becomes another.
    Retype(usize, &'static str),
    /// The value after a line's `: ` gets this many more characters.
    Lengthen(usize, usize),
    InsertTab(usize),
    /// A byte that cannot start or continue UTF-8 here.
    InvalidUtf8(usize, u8),
}

const VALUES: [&str; 14] = [
    "true",
    "12",
    "-0",
    "-1",
    "[]",
    "{}",
    "~",
    "\"\"",
    "1e9",
    "99999999999999999999",
    "100000000",
    "5000",
    "*nothing",
    "&a [*a]",
];

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        any::<usize>().prop_map(Damage::DeleteLine),
        any::<usize>().prop_map(Damage::DuplicateLine),
        (any::<usize>(), prop::sample::select(VALUES.as_slice()))
            .prop_map(|(line, value)| Damage::Retype(line, value)),
        (
            any::<usize>(),
            prop_oneof![Just(64usize), Just(300), Just(5_000), Just(200_000)]
        )
            .prop_map(|(line, by)| Damage::Lengthen(line, by)),
        any::<usize>().prop_map(Damage::InsertTab),
        (
            any::<usize>(),
            prop_oneof![Just(0xffu8), Just(0xc3), Just(0x80)]
        )
            .prop_map(|(at, byte)| Damage::InvalidUtf8(at, byte)),
    ]
}

fn apply(text: &mut Vec<u8>, damage: &Damage) {
    let source = String::from_utf8_lossy(text).into_owned();
    let mut lines: Vec<String> = source.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return;
    }
    let count = lines.len();
    match damage {
        Damage::DeleteLine(line) => {
            lines.remove(line % count);
        }
        Damage::DuplicateLine(line) => {
            let copy = lines[line % count].clone();
            lines.insert(line % count, copy);
        }
        Damage::Retype(line, value) => {
            let line = &mut lines[line % count];
            if let Some(at) = line.find(": ") {
                line.truncate(at + 2);
                line.push_str(value);
            }
        }
        Damage::Lengthen(line, by) => {
            let line = &mut lines[line % count];
            if line.contains(": ") {
                line.push_str(&"x".repeat(*by));
            }
        }
        Damage::InsertTab(at) => {
            let line = &mut lines[at % count];
            let chars: Vec<char> = line.chars().collect();
            let at = at % (chars.len() + 1);
            *line = chars[..at]
                .iter()
                .chain(['\t'].iter())
                .chain(&chars[at..])
                .collect();
        }
        Damage::InvalidUtf8(at, byte) => {
            let at = at % (text.len() + 1);
            text.insert(at, *byte);
            return;
        }
    }
    *text = (lines.join("\n") + "\n").into_bytes();
}

/// Reads (and, when it reads, simulates) one damaged scenario, checking every answer.
fn check_scenario(bytes: &[u8]) -> Result<(), TestCaseError> {
    let lines = bytes.split(|b| *b == b'\n').count().max(1) as u32 + 1;
    let parsed = catch_unwind(|| Scenario::parse_bytes("f.yaml", bytes));
    let parsed = parsed.map_err(|_| TestCaseError::fail("Scenario::parse_bytes panicked"))?;
    match parsed {
        Err(errors) => {
            prop_assert!(!errors.errors.is_empty());
            for error in &errors.errors {
                prop_assert!(
                    (1..=lines).contains(&error.position.line) && error.position.column >= 1,
                    "{:?}",
                    error.position
                );
                prop_assert!(!error.message.is_empty() && !error.message.contains('\n'));
                prop_assert!(
                    error.message.chars().count() <= MESSAGE_CHARS_MAX,
                    "a {}-character message: {}...",
                    error.message.len(),
                    error.message.chars().take(200).collect::<String>()
                );
            }
        }
        Ok(mut scenario) => {
            scenario.run.events_max = scenario.run.events_max.min(EVENTS_MAX);
            let options = RunOptions {
                seed: None,
                until: None,
                requests: RequestDetail::Summary,
            };
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let outcome = run(&scenario, &options);
                (outcome.text().len(), outcome.json().len())
            }));
            prop_assert!(outcome.is_ok(), "the run of a scenario that reads panicked");
        }
    }
    Ok(())
}

fn config(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(64, 12))]

    #[test]
    fn damaged_library_scenarios_read_or_fail_with_positions_and_run_without_panics(
        which in any::<usize>(),
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let library = library();
        let mut text = library[which % library.len()].clone().into_bytes();
        for damage in &damages {
            apply(&mut text, damage);
        }
        check_scenario(&text)?;
    }
}

/// A scenario that reads its workloads from `app.yaml` ([`MANIFESTS`]).
const WITH_MANIFESTS: &str = "name: m
description: d
registries:
  - host: registry.example.com
    images: [{repository: team/web, tag: v1}]
nodes:
  - {pool: workers, count: 3}
manifests: [app.yaml]
run: {for: 10m}
";

/// A manifests file as `kubectl get -o yaml` prints its objects.
const MANIFESTS: &str = "apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: web, namespace: default, uid: 0b6c, resourceVersion: \"42\"}
  spec:
    replicas: 3
    selector:
      matchLabels: {app: web}
    strategy:
      rollingUpdate: {maxSurge: 25%, maxUnavailable: 0}
      type: RollingUpdate
    template:
      metadata:
        labels: {app: web}
      spec:
        containers:
        - name: web
          image: registry.example.com/team/web:v1
          readinessProbe: {initialDelaySeconds: 5}
  status: {replicas: 3}
---
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 2
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: registry.example.com/team/web:v1}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
";

proptest! {
    #![proptest_config(config(128, 15))]

    /// A damaged manifests file reads, or fails with errors that name a place inside it (or
    /// the entry that names it) in one short line; nothing panics. (Workload objects are
    /// not run here: the controllers' wiring runs them.)
    #[test]
    fn damaged_manifests_files_read_or_fail_with_positions_in_them(
        damages in prop::collection::vec(damage(), 1..4),
    ) {
        let mut file = MANIFESTS.as_bytes().to_vec();
        for damage in &damages {
            apply(&mut file, damage);
        }
        let lines = file.split(|b| *b == b'\n').count().max(1) as u32 + 1;
        let mut source = |path: &str| {
            if path == "app.yaml" { Ok(file.clone()) } else { Err("no such file".to_owned()) }
        };
        let parsed = catch_unwind(AssertUnwindSafe(|| {
            Scenario::parse_with("f.yaml", WITH_MANIFESTS, &mut source)
        }));
        let parsed = parsed.map_err(|_| TestCaseError::fail("Scenario::parse_with panicked"))?;
        if let Err(errors) = parsed {
            for error in &errors.errors {
                match error.file.as_deref() {
                    Some(file) => {
                        prop_assert_eq!(file, "app.yaml");
                        prop_assert!((1..=lines).contains(&error.position.line), "{:?}", error);
                    }
                    None => prop_assert_eq!(error.position.line, 8, "{:?}", error),
                }
                prop_assert!(error.position.column >= 1);
                prop_assert!(!error.message.is_empty() && !error.message.contains('\n'));
                prop_assert!(error.message.chars().count() <= MESSAGE_CHARS_MAX);
            }
        }
    }
}

/// Reference-looking text: the characters references are made of, and some that are not.
fn reference_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9./:@_-]{0,80}",
        "[a-zA-Z0-9./:@_+-]{0,300}",
        "(localhost|[a-z]{1,10}\\.[a-z]{2,3})(:[0-9]{1,6})?/[a-z0-9/._-]{0,60}(:[a-zA-Z0-9._-]{0,130})?(@sha(256|384|512):[0-9a-f]{0,130})?",
        "\\PC{0,40}",
        (1usize..5_000).prop_map(|n| format!("registry.example.com/{}:v1", "a".repeat(n))),
    ]
}

proptest! {
    #![proptest_config(config(3_000, 19))]

    #[test]
    fn every_reference_reader_answers_any_text(text in reference_text()) {
        let answers = catch_unwind(|| {
            let normalized = Reference::parse_normalized_named(&text).map(|r| r.to_string());
            let docker = parse_docker_ref(&text).map(|r| r.to_string());
            let kubelet = apply_default_image_tag(&text);
            let image = parse_image_name(&text).map(|name| name.repo);
            let _policy = default_pull_policy(&text);
            (normalized.is_ok(), docker.is_ok(), kubelet.is_ok(), image.is_ok())
        });
        prop_assert!(answers.is_ok(), "a reference reader panicked on {text:?}");
        let (normalized, docker, kubelet, image) = answers.unwrap_or_default();
        // The kubelet and containerd read whatever distribution reads.
        prop_assert!(!normalized || (docker && kubelet && image), "{text:?}");
    }
}

/// Cases the fuzzing found, kept as plain tests: a value lengthened where a word or number
/// is expected used to be quoted whole in its error (a 200,000-character line).
#[test]
fn found_cases_give_short_errors() {
    let library = library();
    let base = library
        .iter()
        .find(|text| text.contains("imagePullPolicy: "))
        .expect("a scenario with a pull policy");
    for from in ["imagePullPolicy: ", "seed: "] {
        let Some(at) = base.find(from) else { continue };
        let end = base[at..].find('\n').map_or(base.len(), |n| at + n);
        let mut text = base.clone();
        text.insert_str(end, &"x".repeat(200_000));
        let errors = Scenario::parse("f.yaml", &text).expect_err("a lengthened value is wrong");
        for error in &errors.errors {
            assert!(
                error.message.chars().count() <= MESSAGE_CHARS_MAX,
                "{from}: {}...",
                error.message.chars().take(200).collect::<String>()
            );
        }
        check_scenario(text.as_bytes()).expect("the checks hold");
    }
}
