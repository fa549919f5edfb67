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
