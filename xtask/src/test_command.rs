//! `cargo xtask test [--pure] [--no-install]`: what CI runs, and the fast loop.
//!
//! The whole run first makes sure the real pullers are there (`prerequisites`: installed
//! when missing and possible, otherwise a stop with the command to run), then runs every
//! check in order, each even when an earlier one failed, and ends with a summary.
//! `--pure` runs only what needs nothing but a Rust toolchain: rustfmt, clippy and the
//! tests of the pure crates (model, registry, sim, scenario) and of the xtask, and the
//! scenario library.

use std::path::Path;

use crate::prerequisites;

/// One check: a name and the cargo arguments that run it.
struct Step {
    name: &'static str,
    cargo_args: &'static [&'static str],
}

/// Every check CI runs.
const ALL_STEPS: &[Step] = &[
    Step {
        name: "rustfmt",
        cargo_args: &["fmt", "--all", "--", "--check"],
    },
    Step {
        name: "clippy",
        cargo_args: &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "tests",
        cargo_args: &["test", "--workspace", "--all-targets"],
    },
    Step {
        name: "doctests",
        cargo_args: &["test", "--workspace", "--doc"],
    },
    Step {
        name: "docs",
        cargo_args: &["doc", "--workspace", "--no-deps"],
    },
    Step {
        name: "scenarios",
        cargo_args: &["xtask", "run-scenarios"],
    },
    Step {
        name: "demo",
        cargo_args: &["xtask", "demo"],
    },
];

/// The checks that need nothing installed: the pure crates (no IO, no pullers) and the
/// scenario library, which runs them.
const PURE_STEPS: &[Step] = &[
    Step {
        name: "rustfmt",
        cargo_args: &["fmt", "--all", "--", "--check"],
    },
    Step {
        name: "clippy",
        cargo_args: &[
            "clippy",
            "--package",
            "pullsim-model",
            "--package",
            "pullsim-registry",
            "--package",
            "pullsim-sim",
            "--package",
            "pullsim-scenario",
            "--package",
            "xtask",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
    },
    Step {
        name: "tests",
        cargo_args: &[
            "test",
            "--package",
            "pullsim-model",
            "--package",
            "pullsim-registry",
            "--package",
            "pullsim-sim",
            "--package",
            "pullsim-scenario",
            "--package",
            "xtask",
        ],
    },
    Step {
        name: "scenarios",
        cargo_args: &["xtask", "run-scenarios"],
    },
];

/// What the command line asked for.
#[derive(Debug, PartialEq, Eq)]
struct Request {
    pure: bool,
    install: bool,
}

fn parse(args: &[String]) -> anyhow::Result<Request> {
    let mut request = Request {
        pure: false,
        install: true,
    };
    for arg in args {
        match arg.as_str() {
            "--pure" => request.pure = true,
            "--no-install" => request.install = false,
            other => anyhow::bail!(
                "unknown argument {other:?} (cargo xtask test takes --pure or --no-install)"
            ),
        }
    }
    Ok(request)
}

/// Runs the checks `args` ask for.
pub(crate) fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let request = parse(args)?;
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("\n==> xtask test: rustfmt and clippy");
    prerequisites::ensure_components(Path::new(&cargo), request.install && !request.pure)?;
    let steps = if request.pure {
        PURE_STEPS
    } else {
        eprintln!("\n==> xtask test: real pullers for the registry and conformance tests");
        let started = crate::now();
        prerequisites::ensure_pullers(request.install)?;
        eprintln!("    ready in {:.1}s", started.elapsed().as_secs_f64());
        ALL_STEPS
    };
    run_steps(root, steps)
}

/// Runs every step even when an earlier one fails, so one run reports everything that
/// is wrong, then fails if any step failed.
fn run_steps(root: &Path, steps: &[Step]) -> anyhow::Result<()> {
    let mut failed = Vec::new();
    let mut summary = Vec::new();
    let all_started = crate::now();
    for step in steps {
        eprintln!(
            "\n==> xtask test: {} (cargo {})",
            step.name,
            step.cargo_args.join(" ")
        );
        let started = crate::now();
        let ok = crate::cargo(root, step.cargo_args)?;
        let secs = started.elapsed().as_secs_f64();
        summary.push(format!(
            "{:<10} {:<4} {secs:>7.1}s",
            step.name,
            if ok { "ok" } else { "FAIL" }
        ));
        if !ok {
            failed.push(step.name);
        }
    }
    eprintln!("\n==> xtask test summary");
    for line in &summary {
        eprintln!("    {line}");
    }
    eprintln!(
        "    {:<15} {:>7.1}s",
        "total",
        all_started.elapsed().as_secs_f64()
    );
    if failed.is_empty() {
        eprintln!("all {} steps passed", steps.len());
        Ok(())
    } else {
        anyhow::bail!(
            "{} of {} steps failed: {}",
            failed.len(),
            steps.len(),
            failed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|arg| (*arg).to_string()).collect()
    }

    #[test]
    fn flags_are_read_and_unknown_ones_refused() {
        assert_eq!(
            parse(&args(&[])).unwrap(),
            Request {
                pure: false,
                install: true
            }
        );
        assert_eq!(
            parse(&args(&["--pure"])).unwrap(),
            Request {
                pure: true,
                install: true
            }
        );
        assert_eq!(
            parse(&args(&["--no-install"])).unwrap(),
            Request {
                pure: false,
                install: false
            }
        );
        let err = parse(&args(&["--fast"])).unwrap_err().to_string();
        assert!(err.contains("\"--fast\""), "{err}");
    }

    /// The fast loop touches no crate that runs a real program: no cli, server,
    /// conformance or whole-project tests except the scenario library.
    #[test]
    fn the_pure_steps_name_only_pure_crates() {
        let pure = [
            "pullsim-model",
            "pullsim-registry",
            "pullsim-sim",
            "pullsim-scenario",
            "xtask",
        ];
        for step in PURE_STEPS {
            assert!(!step.cargo_args.contains(&"--workspace"), "{}", step.name);
            for pair in step.cargo_args.windows(2) {
                if pair[0] == "--package" {
                    assert!(pure.contains(&pair[1]), "{} names {}", step.name, pair[1]);
                }
            }
        }
        let names: Vec<&str> = PURE_STEPS.iter().map(|step| step.name).collect();
        assert_eq!(names, ["rustfmt", "clippy", "tests", "scenarios"]);
    }
}
