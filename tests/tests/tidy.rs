//! House rules checked as ordinary tests, so `cargo test` catches a broken rule before review does.

use std::path::{Path, PathBuf};

use pullsim_tests::{files_with_suffix, relative_slash_path, workspace_root};

fn relative(path: &Path) -> String {
    path.strip_prefix(workspace_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn fail_with(rule: &str, offenders: &[String]) {
    assert!(
        offenders.is_empty(),
        "{rule}:\n  {}",
        offenders.join("\n  ")
    );
}

fn rust_files() -> Vec<PathBuf> {
    let root = workspace_root();
    let files = files_with_suffix(&root, ".rs");
    assert!(
        files.len() > 5,
        "tidy found only {} .rs files under {}",
        files.len(),
        root.display()
    );
    files
}

/// Every Rust file opens with a `//!` line that says why it exists.
#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let offenders: Vec<String> = rust_files()
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.starts_with("//!")
        })
        .map(|path| relative(path))
        .collect();
    fail_with(
        "these .rs files do not start with a `//!` line saying why they exist",
        &offenders,
    );
}

/// No placeholder code lands: the todo and unimplemented macros, and ignored tests, prove nothing.
#[test]
fn no_placeholders_or_ignored_tests() {
    let banned = [
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
    ];
    let mut offenders = Vec::new();
    for path in rust_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            if banned.iter().any(|needle| line.contains(needle)) {
                offenders.push(format!(
                    "{}:{}: {}",
                    relative(&path),
                    number + 1,
                    line.trim()
                ));
            }
        }
    }
    fail_with("placeholders or ignored tests", &offenders);
}

/// Every package opts into the shared `[workspace.lints]`, so the determinism bans of
/// clippy.toml and the lint levels apply everywhere.
#[test]
fn every_package_uses_the_workspace_lints() {
    let root = workspace_root();
    let mut manifests = files_with_suffix(&root.join("crates"), "Cargo.toml");
    for package in ["tests", "benches", "xtask"] {
        manifests.push(root.join(package).join("Cargo.toml"));
    }
    let offenders: Vec<String> = manifests
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.contains("[lints]\nworkspace = true")
        })
        .map(|path| relative(path))
        .collect();
    fail_with(
        "these packages do not have `[lints] workspace = true`",
        &offenders,
    );
}

/// ARCHITECTURE.md's code map names every crate, so a new crate cannot arrive undocumented.
#[test]
fn architecture_md_maps_every_crate() {
    let root = workspace_root();
    let architecture = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap_or_default();
    let mut offenders = Vec::new();
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        panic!("no crates/ folder under {}", root.display());
    };
    let mut names: Vec<String> = entries
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        if !architecture.contains(&format!("`crates/{name}`")) {
            offenders.push(format!("crates/{name}"));
        }
    }
    fail_with(
        "ARCHITECTURE.md's code map does not mention these crates (as `crates/<name>`)",
        &offenders,
    );
}

/// Review is the point of snapshot tests: a pending, unreviewed snapshot must not land.
#[test]
fn no_pending_snapshots() {
    let root = workspace_root();
    let mut offenders: Vec<String> = files_with_suffix(&root, ".snap.new")
        .iter()
        .map(|p| relative(p))
        .collect();
    offenders.extend(
        files_with_suffix(&root, ".pending-snap")
            .iter()
            .map(|p| relative(p)),
    );
    fail_with(
        "pending snapshots (review them with `cargo insta review`)",
        &offenders,
    );
}

/// The snapshot of a scenario's transcript, as insta's `glob!` in tests/tests/scenarios.rs
/// names it: the test's name, `@`, and the path under `scenarios/` with `/` as `__`.
fn scenario_snapshot_name(relative_yaml: &str) -> String {
    format!(
        "scenarios__transcript@{}.snap",
        relative_yaml.replace('/', "__")
    )
}

/// Every scenario has a reviewed snapshot and every scenario snapshot has its scenario, so a
/// new scenario cannot land unpinned and a renamed one leaves no stale transcript behind.
#[test]
fn every_scenario_has_a_snapshot_and_every_snapshot_a_scenario() {
    let root = workspace_root();
    let scenarios_dir = root.join("scenarios");
    let snapshots_dir = root.join("tests/tests/snapshots");
    let scenarios: Vec<String> = files_with_suffix(&scenarios_dir, ".yaml")
        .iter()
        .map(|path| relative_slash_path(&scenarios_dir, path))
        .collect();
    let expected: Vec<String> = scenarios
        .iter()
        .map(|name| scenario_snapshot_name(name))
        .collect();
    let snapshots: Vec<String> = files_with_suffix(&snapshots_dir, ".snap")
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .filter(|name| name.starts_with("scenarios__transcript@"))
        .collect();
    let mut offenders: Vec<String> = scenarios
        .iter()
        .zip(&expected)
        .filter(|(_, snapshot)| !snapshots.contains(snapshot))
        .map(|(scenario, snapshot)| {
            format!("scenarios/{scenario} has no snapshot tests/tests/snapshots/{snapshot}")
        })
        .collect();
    offenders.extend(
        snapshots
            .iter()
            .filter(|snapshot| !expected.contains(snapshot))
            .map(|snapshot| {
                format!("tests/tests/snapshots/{snapshot} belongs to no scenario under scenarios/")
            }),
    );
    fail_with(
        "scenarios and their transcript snapshots do not pair up (run `cargo xtask run-scenarios`, review, then `--accept`)",
        &offenders,
    );
}

/// The README's count of the library ("a library of N reviewed scenarios") is the number
/// of scenario files, so it cannot go stale as scenarios are added.
#[test]
fn the_readme_counts_the_library() {
    let root = workspace_root();
    let count = files_with_suffix(&root.join("scenarios"), ".yaml").len();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
    let stated = flat
        .split_once("a library of ")
        .and_then(|(_, rest)| rest.split_once(" reviewed scenarios"))
        .map(|(number, _)| number.to_owned());
    assert_eq!(
        stated,
        Some(count.to_string()),
        "README.md says \"a library of {stated:?} reviewed scenarios\"; scenarios/ holds {count}"
    );
}

/// The promise: a library of at least 30 scenarios, in the topic folders.
#[test]
fn the_library_covers_every_topic() {
    let root = workspace_root();
    let scenarios_dir = root.join("scenarios");
    let all = files_with_suffix(&scenarios_dir, ".yaml");
    assert!(
        all.len() >= 30,
        "the library has {} scenarios; it promises at least 30",
        all.len()
    );
    let missing: Vec<String> = pullsim_scenario::LIBRARY_TOPICS
        .iter()
        .filter(|topic| files_with_suffix(&scenarios_dir.join(topic), ".yaml").is_empty())
        .map(|topic| format!("scenarios/{topic}/"))
        .collect();
    fail_with("topic folders without a scenario", &missing);
}

// Rules over file texts (issue 13): each is a function from (path, text) to offences, so a
// unit test can show it failing on a bad sample as well as passing on the real tree.

/// The pure crates: no I/O, no clock, no OS randomness (ARCHITECTURE.md).
const PURE_CRATES: [&str; 4] = ["model", "registry", "sim", "scenario"];

/// Crates a pure crate must never depend on: runtimes, sockets, HTTP, files, OS randomness.
const IO_CRATES: [&str; 16] = [
    "tokio",
    "hyper",
    "hyper-util",
    "axum",
    "reqwest",
    "ureq",
    "mio",
    "socket2",
    "async-std",
    "tempfile",
    "getrandom",
    "indicatif",
    "clap",
    "pullsim-server",
    "pullsim-conformance",
    "pullsim-cli",
];

/// What the pure crates do use; a dependency on neither list is refused until reviewed
/// and added to one of them.
const PURE_DEPENDENCIES: [&str; 16] = [
    "pullsim-model",
    "pullsim-registry",
    "pullsim-sim",
    "base64",
    "bytes",
    "crc32fast",
    "hmac",
    "oci-spec",
    "rand",
    "rand_chacha",
    "serde",
    "serde_json",
    "serde-saphyr",
    "sha2",
    "thiserror",
    "toml",
];

/// The names in a Cargo.toml's `[dependencies]` table.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && !line.is_empty() && !line.starts_with('#') {
            let end = line.find(['.', '=', ' ']).unwrap_or(line.len());
            names.push(line[..end].to_owned());
        }
    }
    names
}

/// Rule (a), manifests: a pure crate's `[dependencies]` name no I/O crate.
fn pure_manifest_offences(path: &str, manifest: &str) -> Vec<String> {
    dependencies(manifest)
        .into_iter()
        .filter_map(|name| {
            if IO_CRATES.contains(&name.as_str()) {
                Some(format!("{path}: depends on {name}, an I/O crate"))
            } else if !PURE_DEPENDENCIES.contains(&name.as_str()) {
                Some(format!(
                    "{path}: depends on {name}, on neither list of tests/tests/tidy.rs (review it, then add it to PURE_DEPENDENCIES or IO_CRATES)"
                ))
            } else {
                None
            }
        })
        .collect()
}

/// The text of a source file outside `#[cfg(test)]` code: unit tests are at the bottom by
/// convention, so everything from the first `#[cfg(test)]` on is test code; comments are
/// dropped.
fn production_code(text: &str) -> String {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    code.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Rule (a), sources: a pure crate's production code uses no `std::fs`, `std::net` or
/// `std::process`.
fn pure_source_offences(path: &str, text: &str) -> Vec<String> {
    let code = production_code(text);
    ["std::fs", "std::net", "std::process"]
        .into_iter()
        .filter(|module| code.contains(module))
        .map(|module| format!("{path}: uses {module} outside #[cfg(test)] code"))
        .collect()
}

/// Whether a source file of a pure crate is unit-test code as a whole (`tests.rs`, or a
/// file of a `tests/` folder inside `src/`).
fn is_test_file(path: &str) -> bool {
    path.ends_with("/tests.rs") || path.contains("/tests/")
}

#[test]
fn pure_crates_do_no_io() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    for krate in PURE_CRATES {
        let manifest = format!("crates/{krate}/Cargo.toml");
        let text = std::fs::read_to_string(root.join(&manifest)).expect("a pure crate's manifest");
        assert!(
            !dependencies(&text).is_empty(),
            "{manifest} lists no dependencies"
        );
        offenders.extend(pure_manifest_offences(&manifest, &text));
        for file in files_with_suffix(&root.join(format!("crates/{krate}/src")), ".rs") {
            let path = relative_slash_path(&root, &file);
            if is_test_file(&path) {
                continue;
            }
            let text = std::fs::read_to_string(&file).expect("a source file");
            offenders.extend(pure_source_offences(&path, &text));
        }
    }
    fail_with("the pure crates do no I/O", &offenders);
}

#[test]
fn the_pure_crate_rule_fails_on_a_bad_sample() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\nserde.workspace = true\ntokio = { workspace = true }\nleft-pad = \"1\"\n\n[dev-dependencies]\ntempfile.workspace = true\n";
    assert_eq!(
        pure_manifest_offences("crates/x/Cargo.toml", manifest),
        [
            "crates/x/Cargo.toml: depends on tokio, an I/O crate",
            "crates/x/Cargo.toml: depends on left-pad, on neither list of tests/tests/tidy.rs (review it, then add it to PURE_DEPENDENCIES or IO_CRATES)",
        ]
    );
    let source = "//! A module.\n// std::fs in a comment is fine\nfn f() { let _ = std::net::TcpStream::connect(\"x\"); }\n#[cfg(test)]\nmod tests { fn g() { std::fs::read(\"x\"); } }\n";
    assert_eq!(
        pure_source_offences("crates/x/src/a.rs", source),
        ["crates/x/src/a.rs: uses std::net outside #[cfg(test)] code"]
    );
    assert!(is_test_file("crates/x/src/a/tests.rs") && !is_test_file("crates/x/src/a/mod.rs"));
}

/// Files outside the simulator and its runner (crates/scenario) that may name the
/// simulator, each with why.
const SIM_NAMED_BY: [(&str, &str); 5] = [
    // This file: the rule names what it looks for.
    ("tests/tests/tidy.rs", "the rule itself"),
    // The workspace declares every member once.
    ("Cargo.toml", "the workspace's dependency table"),
    // `cargo xtask test --pure` runs the pure crates' tests by package name.
    ("xtask/src/test_command.rs", "runs the pure crates by name"),
    // The micro-benchmarks of the simulator's own hot paths (event queue, one pod start);
    // the fleet itself goes through the scenario crate (benches/fleet.yaml).
    ("benches/benches/sim.rs", "the event queue and a pod start"),
    ("benches/Cargo.toml", "for benches/benches/sim.rs"),
];

/// Rule (b): a file outside crates/sim and crates/scenario that names the simulator.
fn sim_named_offence(path: &str, text: &str) -> Option<String> {
    let inside = path.starts_with("crates/sim/") || path.starts_with("crates/scenario/");
    let listed = SIM_NAMED_BY.iter().any(|(file, _)| *file == path);
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with(['/', '#']) || line.contains("[dependencies"))
        .collect::<Vec<_>>()
        .join("\n");
    (!inside && !listed && (code.contains("pullsim_sim") || code.contains("pullsim-sim")))
        .then(|| format!("{path}: names the simulator; go through pullsim_scenario (the runner)"))
}

#[test]
fn only_the_runner_names_the_simulator() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    let mut files = files_with_suffix(&root, ".rs");
    files.extend(files_with_suffix(&root, "Cargo.toml"));
    for file in files {
        let path = relative_slash_path(&root, &file);
        let text = std::fs::read_to_string(&file).expect("a source file");
        offenders.extend(sim_named_offence(&path, &text));
    }
    fail_with("nothing outside the runner names pullsim_sim", &offenders);
}

#[test]
fn the_runner_rule_fails_on_a_bad_sample() {
    assert_eq!(
        sim_named_offence("crates/cli/src/run.rs", "//! Run.\nuse pullsim_sim::Sim;\n"),
        Some(
            "crates/cli/src/run.rs: names the simulator; go through pullsim_scenario (the runner)"
                .to_owned()
        )
    );
    assert!(
        sim_named_offence(
            "crates/cli/Cargo.toml",
            "[dependencies]\npullsim-sim.workspace = true\n"
        )
        .is_some()
    );
    assert_eq!(
        sim_named_offence("crates/scenario/src/run/world.rs", "use pullsim_sim::Sim;"),
        None
    );
}

/// `#[allow(...)]`s that cannot be `#[expect(...)]`, each with why.
const ALLOWS: [(&str, &str); 2] = [
    // A module every integration test binary includes; each binary uses a different part,
    // so `dead_code` fires in some binaries and not others, and an expect would be unfulfilled.
    (
        "crates/registry/tests/common/mod.rs",
        "dead_code, unreachable_pub",
    ),
    (
        "crates/sim/tests/common/mod.rs",
        "dead_code, unreachable_pub",
    ),
];

/// Rule (c): `#[allow(` or `#![allow(` where `#[expect(` would do.
fn allow_offences(path: &str, text: &str) -> Vec<String> {
    if ALLOWS.iter().any(|(file, _)| *file == path) {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| {
            let line = line.trim_start();
            line.starts_with("#[allow(") || line.starts_with("#![allow(")
        })
        .map(|(number, _)| {
            format!(
                "{path}:{}: #[allow] of a lint; use #[expect(lint, reason = \"...\")], or list the file in ALLOWS with why expect cannot work",
                number + 1
            )
        })
        .collect()
}

#[test]
fn lints_are_expected_not_allowed() {
    let root = workspace_root();
    let mut offenders = Vec::new();
    for folder in ["crates", "tests", "benches", "xtask"] {
        for file in files_with_suffix(&root.join(folder), ".rs") {
            let path = relative_slash_path(&root, &file);
            let text = std::fs::read_to_string(&file).expect("a source file");
            offenders.extend(allow_offences(&path, &text));
        }
    }
    fail_with("#[expect] rather than #[allow]", &offenders);
}

#[test]
fn the_allow_rule_fails_on_a_bad_sample() {
    let source = "//! A module.\n#![allow(clippy::print_stdout)]\nfn f() {}\n    #[allow(dead_code)]\nstruct S;\n#[expect(dead_code, reason = \"x\")]\nstruct T;\n";
    assert_eq!(
        allow_offences("crates/x/src/lib.rs", source),
        [
            "crates/x/src/lib.rs:2: #[allow] of a lint; use #[expect(lint, reason = \"...\")], or list the file in ALLOWS with why expect cannot work",
            "crates/x/src/lib.rs:4: #[allow] of a lint; use #[expect(lint, reason = \"...\")], or list the file in ALLOWS with why expect cannot work",
        ]
    );
    assert!(allow_offences("crates/sim/tests/common/mod.rs", source).is_empty());
}
