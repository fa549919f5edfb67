//! `cargo xtask`: the project's automation, written in Rust so it runs wherever cargo does.
//!
//! `cargo xtask run-scenarios` is the README's main job: the scenario library, simulated,
//! judged and compared with its reviewed snapshots. `cargo xtask test` is what CI runs
//! (through `.ci/run`) and what the README promises: the real pullers installed when
//! missing, then every check, in order, with a summary of what failed (`test_command.rs`);
//! `cargo xtask test --pure` is the fast loop that needs nothing installed. `cargo xtask
//! bench` runs the criterion benches and prints their figures; `cargo xtask bench registry`
//! loads the fake registry over HTTP; `cargo xtask bench soak` sends it a million requests
//! watching its memory; `cargo xtask bench sim` runs the simulator's fleet;
//! `cargo xtask conformance` prints the behaviour matrix of the real pullers.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask is a shell whose job is to print"
)]

mod bench_registry;
mod bench_sim;
mod bench_soak;
mod prerequisites;
mod run_scenarios;
mod test_command;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
#[expect(
    clippy::disallowed_methods,
    reason = "xtask is a shell: it times its own steps with the wall clock"
)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

const USAGE: &str = "\
cargo xtask: pullsim's automation

USAGE:
    cargo xtask run-scenarios [FILTER] [--accept]
                                the main job: simulate every scenario under scenarios/ (or those whose
                                path contains FILTER), judge its expectations, compare its transcript
                                with the reviewed snapshot; --accept rewrites changed snapshots
    cargo xtask demo            the main job on the built-in content: pullsim ref and creds on examples/
    cargo xtask test [--no-install]
                                run every check CI runs: rustfmt, clippy (-D warnings), all tests,
                                the scenario library, the demo; first installs the real pullers the
                                tests run (skopeo, containerd, podman: apt-get; oras-py: pip) when
                                missing, or with --no-install stops with the commands to run
    cargo xtask test --pure     the fast loop, nothing installed: rustfmt, clippy and tests of
                                model, registry, sim and scenario, and the scenario library
    cargo xtask bench [FILTER]  run the criterion benches (optionally only those matching FILTER)
    cargo xtask bench registry  load `pullsim registry serve` with wrk: manifest GETs/s and 1 MiB blob MiB/s
    cargo xtask bench soak      1,000,000 requests at `pullsim registry serve`: RSS at the start, every
                                100k and the end (fails above +64 MiB), and the req/s
    cargo xtask bench sim [--runs N]
                                the simulator's fleet (5,000 nodes x 20 pods, 6 virtual hours) and twice
                                the nodes, and the outage-shaped fleet at 1,000, 2,000 and 5,000 nodes:
                                the median of N runs (default 5) of each, against issue 14's goals
    cargo xtask conformance [PULLER...]
                                the conformance suite against real pullers (default: skopeo, ctr,
                                podman, oras-py) with the release binary, as the README's matrix
    cargo xtask help            print this message
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test_command::run(&workspace_root(), &args[1..]),
        Some("demo") if args.len() == 1 => demo(),
        Some("run-scenarios") => run_scenarios::run(&workspace_root(), &args[1..]),
        Some("bench")
            if args.get(1).is_some_and(|filter| filter == "registry") && args.len() == 2 =>
        {
            bench_registry::run(&workspace_root())
        }
        Some("bench") if args.get(1).is_some_and(|filter| filter == "soak") && args.len() == 2 => {
            bench_soak::run(&workspace_root())
        }
        Some("bench") if args.get(1).is_some_and(|filter| filter == "sim") => {
            bench_sim::run(&workspace_root(), &args[2..])
        }
        Some("bench") if args.len() <= 2 => bench(args.get(1).map(String::as_str)),
        Some("conformance") => conformance(&args[1..]),
        Some("help" | "-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprint!("error: unknown or malformed command {args:?}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The README's main job: how the kubelet reads the references in `examples/references.txt`,
/// and which credentials it tries for a private image given the example pull secrets and
/// node config, then with the example credential-provider plugins. The reference list deliberately holds invalid references, so `pullsim ref`
/// exits 1 there; any other exit code fails the demo.
fn demo() -> anyhow::Result<()> {
    let root = workspace_root();
    let references = std::fs::read_to_string(root.join("examples/references.txt"))
        .map_err(|err| anyhow::anyhow!("examples/references.txt: {err}"))?;
    let mut ref_args = vec!["ref", "--"];
    ref_args.extend(references.lines().filter(|line| !line.trim().is_empty()));
    println!("$ pullsim ref -- <examples/references.txt>\n");
    let code = pullsim(&root, &ref_args)?;
    anyhow::ensure!(
        matches!(code, Some(0 | 1)),
        "pullsim ref exited with {code:?}"
    );

    let lookup = [
        "creds",
        "lookup",
        "registry.example.com/team/app:v1",
        "--pod-secret",
        "examples/secrets/regcred.yaml",
        "--pod-secret",
        "examples/secrets/other-team.json",
        "--node-config",
        "examples/node/config.json",
    ];
    println!("\n$ pullsim {}\n", lookup.join(" "));
    let code = pullsim(&root, &lookup)?;
    anyhow::ensure!(code == Some(0), "pullsim creds lookup exited with {code:?}");

    // The same image with the kubelet's credential-provider plugins: their answers come last.
    let with_plugins = [
        "creds",
        "lookup",
        "registry.example.com/team/app:v1",
        "--pod-secret",
        "examples/secrets/regcred.yaml",
        "--provider-config",
        "examples/providers/kubelet",
        "--provider-answers",
        "examples/providers/answers.yaml",
        "--service-account",
        "team/puller",
        "--service-account-annotation",
        "example.com/role=puller",
    ];
    println!("\n$ pullsim {}\n", with_plugins.join(" "));
    let code = pullsim(&root, &with_plugins)?;
    anyhow::ensure!(code == Some(0), "pullsim creds lookup exited with {code:?}");
    Ok(())
}

fn pullsim(root: &Path, args: &[&str]) -> anyhow::Result<Option<i32>> {
    let status = cargo_command()
        .args([
            "run",
            "--quiet",
            "--package",
            "pullsim-cli",
            "--bin",
            "pullsim",
            "--",
        ])
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo run: {err}"))?;
    Ok(status.code())
}

/// Runs the criterion benches of the `pullsim-benches` package; criterion prints each
/// figure (and the benches print their own throughput lines).
fn bench(filter: Option<&str>) -> anyhow::Result<()> {
    let root = workspace_root();
    let mut args = vec!["bench", "--package", "pullsim-benches", "--"];
    args.extend(filter);
    if cargo(&root, &args)? {
        Ok(())
    } else {
        anyhow::bail!("cargo bench failed")
    }
}

/// The README's behaviour matrix: `pullsim conformance --matrix` (release build) against
/// the named pullers, or every puller the harness knows. Exit 1 from the suite (a MUST
/// failed) is a finding, not an error of this command.
fn conformance(pullers: &[String]) -> anyhow::Result<()> {
    let root = workspace_root();
    let defaults = ["skopeo", "ctr", "podman", "oras-py"].map(String::from);
    let pullers = if pullers.is_empty() {
        &defaults[..]
    } else {
        pullers
    };
    let mut args = vec![
        "run",
        "--release",
        "--quiet",
        "--package",
        "pullsim-cli",
        "--bin",
        "pullsim",
        "--",
        "conformance",
        "--matrix",
    ];
    for puller in pullers {
        args.extend(["--puller", puller.as_str()]);
    }
    let status = cargo_command()
        .args(&args)
        .current_dir(&root)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo run: {err}"))?;
    anyhow::ensure!(
        matches!(status.code(), Some(0 | 1)),
        "pullsim conformance exited with {status}"
    );
    Ok(())
}

fn cargo(root: &Path, args: &[&str]) -> anyhow::Result<bool> {
    let status = cargo_command()
        .args(args)
        .current_dir(root)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo {}: {err}", args.join(" ")))?;
    Ok(status.success())
}

/// The cargo that runs this xtask (cargo sets `CARGO`), so every step uses one toolchain.
fn cargo_command() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}
