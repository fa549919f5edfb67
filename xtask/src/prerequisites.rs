//! What `cargo xtask test` needs beyond a Rust toolchain, found or installed before any
//! check runs.
//!
//! The fake registry's and the conformance harness's tests run real pullers against a
//! server on 127.0.0.1: skopeo, containerd (`containerd` and `ctr`) and podman from the
//! distribution's packages, and oras-py 0.2.43 from PyPI. Each is looked for on `PATH` (oras
//! as a Python module); what is missing is installed with `apt-get` (as root, or through
//! `sudo`) and `pip` when that is possible, and otherwise the run stops before its first
//! step with the exact command that installs it. `--no-install` only looks and reports.
//! podman runs rootful with the vfs driver and private folders, so it needs nothing beyond
//! its package; the tests write their own `policy.json` and `registries.conf`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Where a missing program comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// A Debian package.
    Apt(&'static str),
    /// A Python module (`import NAME`) and the pip requirement that provides it.
    Pip {
        module: &'static str,
        requirement: &'static str,
    },
}

/// One program the tests run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tool {
    /// The name on `PATH`, or the puller's name for a Python module.
    pub(crate) name: &'static str,
    pub(crate) source: Source,
}

/// The real pullers of the registry and conformance tests.
pub(crate) const PULLERS: [Tool; 5] = [
    Tool {
        name: "skopeo",
        source: Source::Apt("skopeo"),
    },
    Tool {
        name: "containerd",
        source: Source::Apt("containerd"),
    },
    Tool {
        name: "ctr",
        source: Source::Apt("containerd"),
    },
    Tool {
        name: "podman",
        source: Source::Apt("podman"),
    },
    Tool {
        name: "oras-py",
        source: Source::Pip {
            module: "oras",
            requirement: "oras==0.2.43",
        },
    },
];

/// What this machine offers for installing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Machine {
    /// `apt-get` is on `PATH`.
    pub(crate) apt_get: bool,
    /// The process runs as root.
    pub(crate) root: bool,
    /// `sudo` is on `PATH` and can be used (without a password, or from a terminal).
    pub(crate) sudo: bool,
    /// `python3` is on `PATH`.
    pub(crate) python3: bool,
}

/// One thing to do about the missing programs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// Run this command (program and arguments).
    Run(Vec<String>),
    /// It cannot be done here: the message says what the person must run.
    Stop(String),
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

/// What to do to get `missing` onto `machine`: commands to run, or messages naming the
/// command the person must run. Pure, so every case is tested.
pub(crate) fn plan(missing: &[Tool], machine: Machine) -> Vec<Step> {
    let mut packages: Vec<&str> = missing
        .iter()
        .filter_map(|tool| match tool.source {
            Source::Apt(package) => Some(package),
            Source::Pip { .. } => None,
        })
        .collect();
    packages.sort_unstable();
    packages.dedup();
    let mut steps = Vec::new();
    if !packages.is_empty() {
        let list = packages.join(" ");
        let prefix = if machine.root {
            Some("")
        } else if machine.sudo {
            Some("sudo -E ")
        } else {
            None
        };
        match (machine.apt_get, prefix) {
            (true, Some(prefix)) => {
                steps.push(Step::Run(words(&format!("{prefix}apt-get update -qq"))));
                steps.push(Step::Run(words(&format!(
                    "{prefix}apt-get install -y -qq {list}"
                ))));
            }
            (true, None) => steps.push(Step::Stop(format!(
                "missing {list}: run as root (there is no sudo here): \
                 apt-get update && apt-get install -y {list}"
            ))),
            (false, _) => steps.push(Step::Stop(format!(
                "missing {list} and there is no apt-get here: install the packages {list} \
                 with this system's package manager (on Debian or Ubuntu: \
                 sudo apt-get install -y {list})"
            ))),
        }
    }
    for tool in missing {
        if let Source::Pip { requirement, .. } = tool.source {
            if machine.python3 {
                steps.push(Step::Run(words(&format!(
                    "python3 -m pip install --quiet --disable-pip-version-check {requirement}"
                ))));
            } else {
                steps.push(Step::Stop(format!(
                    "missing {}: install python3 with pip, then run: \
                     python3 -m pip install {requirement}",
                    tool.name
                )));
            }
        }
    }
    steps
}

/// Whether `program` is an executable file in a folder of `PATH`.
pub(crate) fn on_path(program: &str) -> bool {
    find_on_path(program).is_some()
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

fn quiet_success(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether `tool` is there.
pub(crate) fn present(tool: &Tool) -> bool {
    match tool.source {
        Source::Apt(_) => on_path(tool.name),
        Source::Pip { module, .. } => {
            on_path("python3") && quiet_success("python3", &["-c", &format!("import {module}")])
        }
    }
}

fn machine() -> Machine {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| String::from_utf8_lossy(&output.stdout).trim() == "0");
    let sudo = on_path("sudo")
        && (quiet_success("sudo", &["-n", "true"])
            || std::io::IsTerminal::is_terminal(&std::io::stdin()));
    Machine {
        apt_get: on_path("apt-get"),
        root,
        sudo,
        python3: on_path("python3"),
    }
}

/// Makes sure every puller is there: installs what is missing when it can (unless
/// `install` is false) and fails, naming the command to run, when something is still
/// missing.
pub(crate) fn ensure_pullers(install: bool) -> anyhow::Result<()> {
    let missing: Vec<Tool> = PULLERS
        .iter()
        .filter(|tool| !present(tool))
        .copied()
        .collect();
    if missing.is_empty() {
        print_versions();
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|tool| tool.name).collect();
    eprintln!("missing: {}", names.join(", "));
    let steps = plan(&missing, machine());
    if !install {
        let commands: Vec<String> = steps
            .iter()
            .map(|step| match step {
                Step::Run(command) => command.join(" "),
                Step::Stop(message) => message.clone(),
            })
            .collect();
        anyhow::bail!(
            "the real-puller tests need {} (--no-install: nothing was installed); run:\n    {}\n\
             or run only the pure checks, which need nothing installed: cargo xtask test --pure",
            names.join(", "),
            commands.join("\n    ")
        );
    }
    let mut stops = Vec::new();
    for step in &steps {
        match step {
            Step::Run(command) => {
                eprintln!("installing: {}", command.join(" "));
                // dpkg's progress lines say nothing a failure's messages on stderr do not.
                let quiet = command.iter().any(|word| word == "apt-get");
                let status = Command::new(&command[0])
                    .args(&command[1..])
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
                    .stdout(if quiet {
                        Stdio::null()
                    } else {
                        Stdio::inherit()
                    })
                    .status();
                let problem = match status {
                    Ok(status) if status.success() => continue,
                    Ok(status) => format!(
                        "failed ({status}); fix what it printed and run it again{}",
                        if command.iter().any(|word| word == "pip") {
                            " (a python3 that refuses system-wide installs, PEP 668, takes \
                             `--user --break-system-packages`, or run from a virtualenv)"
                        } else {
                            ""
                        }
                    ),
                    Err(err) => format!("could not start: {err}"),
                };
                stops.push(format!("`{}` {problem}", command.join(" ")));
            }
            Step::Stop(message) => stops.push(message.clone()),
        }
    }
    let still: Vec<Tool> = PULLERS
        .iter()
        .filter(|tool| !present(tool))
        .copied()
        .collect();
    for tool in &still {
        let source = match tool.source {
            Source::Apt(package) => package,
            Source::Pip { requirement, .. } => requirement,
        };
        if !stops.iter().any(|stop| stop.contains(source)) {
            // Its install succeeded, and yet it is not there.
            stops.push(format!(
                "`{}` is still not found after installing {source}: is its folder on PATH?",
                tool.name
            ));
        }
    }
    let still: Vec<&str> = still.iter().map(|tool| tool.name).collect();
    if still.is_empty() {
        print_versions();
        return Ok(());
    }
    anyhow::bail!(
        "the real-puller tests need {}, still missing:\n    {}\n\
         or run only the pure checks, which need nothing installed: cargo xtask test --pure",
        still.join(", "),
        stops.join("\n    ")
    )
}

fn print_versions() {
    for (program, args) in [
        ("skopeo", &["--version"][..]),
        ("containerd", &["--version"][..]),
        ("podman", &["--version"][..]),
        (
            "python3",
            &["-c", "import oras; print('oras-py', oras.__version__)"][..],
        ),
    ] {
        let version = Command::new(program)
            .args(args)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
            .unwrap_or_default();
        eprintln!("    {version}");
    }
}

/// rustfmt and clippy, which every run of the checks uses: `rust-toolchain.toml` asks
/// rustup for them, and when they are still absent they are added with rustup (unless
/// `install` is false).
pub(crate) fn ensure_components(cargo: &Path, install: bool) -> anyhow::Result<()> {
    let has = |sub: &str| {
        Command::new(cargo)
            .args([sub, "--version"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if has("fmt") && has("clippy") {
        return Ok(());
    }
    let command = "rustup component add rustfmt clippy";
    anyhow::ensure!(
        install && on_path("rustup"),
        "cargo fmt or cargo clippy is missing; run: {command}"
    );
    eprintln!("installing: {command}");
    anyhow::ensure!(
        quiet_success("rustup", &["component", "add", "rustfmt", "clippy"])
            && has("fmt")
            && has("clippy"),
        "`{command}` did not make cargo fmt and cargo clippy work; run it yourself"
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MACHINE: Machine = Machine {
        apt_get: true,
        root: true,
        sudo: false,
        python3: true,
    };

    fn run(command: &str) -> Step {
        Step::Run(words(command))
    }

    #[test]
    fn nothing_missing_means_nothing_to_do() {
        assert_eq!(plan(&[], MACHINE), Vec::new());
    }

    #[test]
    fn root_installs_each_package_once_then_oras_with_pip() {
        assert_eq!(
            plan(&PULLERS, MACHINE),
            [
                run("apt-get update -qq"),
                run("apt-get install -y -qq containerd podman skopeo"),
                run("python3 -m pip install --quiet --disable-pip-version-check oras==0.2.43"),
            ]
        );
    }

    #[test]
    fn a_user_with_sudo_installs_through_it() {
        let machine = Machine {
            root: false,
            sudo: true,
            ..MACHINE
        };
        assert_eq!(
            plan(&PULLERS[2..3], machine),
            [
                run("sudo -E apt-get update -qq"),
                run("sudo -E apt-get install -y -qq containerd"),
            ]
        );
    }

    #[test]
    fn without_root_sudo_apt_or_python_it_names_the_command_to_run() {
        let user = Machine {
            root: false,
            sudo: false,
            ..MACHINE
        };
        assert_eq!(
            plan(&PULLERS[..1], user),
            [Step::Stop(
                "missing skopeo: run as root (there is no sudo here): \
                 apt-get update && apt-get install -y skopeo"
                    .to_string()
            )]
        );
        let other = Machine {
            apt_get: false,
            python3: false,
            ..MACHINE
        };
        let steps = plan(&PULLERS[3..], other);
        assert!(
            matches!(&steps[..], [Step::Stop(apt), Step::Stop(pip)]
                if apt.contains("sudo apt-get install -y podman")
                    && pip == "missing oras-py: install python3 with pip, then run: \
                               python3 -m pip install oras==0.2.43"),
            "{steps:?}"
        );
    }

    #[test]
    fn a_program_is_found_on_path_only_when_executable() {
        assert!(on_path("sh"));
        assert!(!on_path("pullsim-no-such-program"));
    }
}
