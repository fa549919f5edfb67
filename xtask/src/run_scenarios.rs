//! `cargo xtask run-scenarios [FILTER] [--accept]`: the scenario library, run and compared
//! with its reviewed snapshots.
//!
//! It runs the `scenarios` test of the `pullsim-tests` package (tests/tests/scenarios.rs),
//! which prints one line per scenario (name, verdict, virtual time, events, wall time) and a
//! summary, and shows a diff for every transcript that changed. `FILTER` keeps the
//! scenarios whose path under `scenarios/` contains it (`PULLSIM_SCENARIOS` for the test).
//! Snapshots are never written unless asked: `--accept` rewrites the changed ones after the
//! person has read the diffs, and, when no filter narrows the run, deletes snapshots whose
//! scenario is gone. Expectations are judged either way; a failed one fails the command.

use std::path::{Path, PathBuf};

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    filter: Option<String>,
    accept: bool,
}

fn parse(args: &[String]) -> anyhow::Result<Request> {
    let mut request = Request {
        filter: None,
        accept: false,
    };
    for arg in args {
        match arg.as_str() {
            "--accept" => request.accept = true,
            flag if flag.starts_with('-') => {
                anyhow::bail!("unknown flag {flag:?} (run-scenarios takes [FILTER] [--accept])")
            }
            filter if request.filter.is_none() => request.filter = Some(filter.to_owned()),
            extra => anyhow::bail!("more than one FILTER given ({extra:?})"),
        }
    }
    Ok(request)
}

/// Every scenario file, as its path under `scenarios/` with `/` separators.
fn scenarios(root: &Path) -> Vec<String> {
    fn walk(dir: &Path, base: &Path, found: &mut Vec<String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, base, found);
            } else if path.extension().is_some_and(|ext| ext == "yaml") {
                let relative = path.strip_prefix(base).unwrap_or(&path);
                found.push(
                    relative
                        .components()
                        .map(|part| part.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/"),
                );
            }
        }
    }
    let base = root.join("scenarios");
    let mut found = Vec::new();
    walk(&base, &base, &mut found);
    found.sort();
    found
}

/// Snapshots of transcripts whose scenario file no longer exists.
fn stale_snapshots(root: &Path, scenarios: &[String]) -> Vec<PathBuf> {
    let expected: Vec<String> = scenarios
        .iter()
        .map(|name| format!("scenarios__transcript@{}.snap", name.replace('/', "__")))
        .collect();
    let Ok(entries) = std::fs::read_dir(root.join("tests/tests/snapshots")) else {
        return Vec::new();
    };
    let mut stale: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.starts_with("scenarios__transcript@")
                && name.ends_with(".snap")
                && !expected.contains(&name)
        })
        .map(|entry| entry.path())
        .collect();
    stale.sort();
    stale
}

pub(crate) fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let request = parse(args)?;
    let all = scenarios(root);
    anyhow::ensure!(
        !all.is_empty(),
        "no scenarios under {}",
        root.join("scenarios").display()
    );
    if let Some(filter) = &request.filter {
        let matching = all
            .iter()
            .filter(|name| name.contains(filter.as_str()))
            .count();
        anyhow::ensure!(
            matching > 0,
            "no scenario path contains {filter:?}; there are {} under scenarios/",
            all.len()
        );
    }
    let mut command = crate::cargo_command();
    command
        .args([
            "test",
            "--quiet",
            "--package",
            "pullsim-tests",
            "--test",
            "scenarios",
            "--",
            "--nocapture",
        ])
        .current_dir(root)
        // A person reads the diffs here and accepts with --accept; no .snap.new files
        // are left behind for another tool to review.
        .env("INSTA_UPDATE", if request.accept { "always" } else { "no" });
    if request.accept {
        // Write every changed transcript and carry on; expectations still fail the run.
        command.env("INSTA_FORCE_PASS", "1");
    } else {
        command.env_remove("INSTA_FORCE_PASS");
    }
    match &request.filter {
        Some(filter) => command.env("PULLSIM_SCENARIOS", filter),
        None => command.env_remove("PULLSIM_SCENARIOS"),
    };
    // A failure's own message says what went wrong; a backtrace of the harness does not.
    command.env("RUST_BACKTRACE", "0");
    let status = command
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo test: {err}"))?;
    if request.accept && request.filter.is_none() {
        for stale in stale_snapshots(root, &all) {
            std::fs::remove_file(&stale)
                .map_err(|err| anyhow::anyhow!("removing {}: {err}", stale.display()))?;
            println!("removed {} (its scenario is gone)", stale.display());
        }
    }
    anyhow::ensure!(
        status.success(),
        "the scenario library failed (see the lines marked FAILED and the diffs above){}",
        if request.accept {
            ""
        } else {
            "; after reviewing changed transcripts, `cargo xtask run-scenarios --accept` rewrites them"
        }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{Request, parse};

    fn check(args: &[&str], expected: Result<Request, &str>) {
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        match (parse(&args), expected) {
            (Ok(got), Ok(want)) => assert_eq!(got, want, "{args:?}"),
            (Err(got), Err(want)) => assert_eq!(got.to_string(), want, "{args:?}"),
            (got, want) => panic!("{args:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn command_lines() {
        check(
            &[],
            Ok(Request {
                filter: None,
                accept: false,
            }),
        );
        check(
            &["backoff", "--accept"],
            Ok(Request {
                filter: Some("backoff".to_owned()),
                accept: true,
            }),
        );
        check(
            &["--accept"],
            Ok(Request {
                filter: None,
                accept: true,
            }),
        );
        check(
            &["--acept"],
            Err("unknown flag \"--acept\" (run-scenarios takes [FILTER] [--accept])"),
        );
        check(&["a", "b"], Err("more than one FILTER given (\"b\")"));
    }
}
