//! Real programs under test (skopeo, containerd, podman, any `--cmd` puller): finding them,
//! running them with a time limit, and stopping every process the harness or a test starts
//! by its process id.
//!
//! A missing program is an error naming the package that provides it: a missing puller
//! must never look like a passing test or a passing conformance run.

use std::fmt;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// Finds `program` on `PATH`, or fails with the command that installs it.
///
/// # Errors
///
/// When the program is not installed.
pub fn require(program: &str) -> anyhow::Result<PathBuf> {
    let package = match program {
        "ctr" | "containerd" => "containerd",
        other => other,
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
        .with_context(|| {
            format!(
                "`{program}` is not installed: install it with: apt-get install -y {package} \
                 (.ci/run does)"
            )
        })
}

/// How a program run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The command line, for messages.
    pub command: String,
    /// The exit status; `None` when the time limit killed it.
    pub status: Option<ExitStatus>,
    /// Everything it wrote to standard output.
    pub stdout: String,
    /// Everything it wrote to standard error.
    pub stderr: String,
}

impl Outcome {
    /// Whether it exited 0 within the time limit.
    pub fn success(&self) -> bool {
        self.status.is_some_and(|status| status.success())
    }

    /// Fails with the whole outcome unless the program succeeded.
    ///
    /// # Errors
    ///
    /// When the program failed or timed out.
    pub fn expect_success(self) -> anyhow::Result<Outcome> {
        if self.success() {
            Ok(self)
        } else {
            bail!("expected success:\n{self}")
        }
    }

    /// Fails unless the program exited non-zero (a timeout is not the refusal a test
    /// wants to see) and its standard error mentions `needle`.
    ///
    /// # Errors
    ///
    /// When the program succeeded, timed out, or failed for another reason.
    pub fn expect_failure_mentioning(self, needle: &str) -> anyhow::Result<Outcome> {
        match self.status {
            Some(status) if !status.success() && self.stderr.contains(needle) => Ok(self),
            _ => bail!("expected a failure mentioning {needle:?}:\n{self}"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = self
            .status
            .map_or_else(|| "killed at the time limit".to_owned(), |s| s.to_string());
        write!(
            f,
            "$ {}\n  ({status})\n  stdout: {}\n  stderr: {}",
            self.command,
            self.stdout.trim(),
            self.stderr.trim()
        )
    }
}

/// Runs `command` to its end, or kills it (by its process id) after `limit`. Output goes
/// to anonymous temporary files rather than pipes, so a chatty program cannot block.
///
/// # Errors
///
/// When the program cannot be started or its output cannot be read.
pub fn run(command: &mut Command, limit: Duration) -> anyhow::Result<Outcome> {
    let line = command_line(command);
    let mut stdout = tempfile::tempfile().context("temporary file for standard output")?;
    let mut stderr = tempfile::tempfile().context("temporary file for standard error")?;
    command
        .stdin(Stdio::null())
        .stdout(stdout.try_clone()?)
        .stderr(stderr.try_clone()?);
    let mut child = Guard::spawn(command).with_context(|| format!("could not start {line}"))?;
    let status = child.wait_for(limit)?;
    Ok(Outcome {
        command: line,
        status,
        stdout: read_all(&mut stdout)?,
        stderr: read_all(&mut stderr)?,
    })
}

fn read_all(file: &mut File) -> anyhow::Result<String> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    text.push_str(&String::from_utf8_lossy(&bytes));
    Ok(text)
}

fn command_line(command: &Command) -> String {
    let mut line = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

/// A started process that is killed by its process id when the guard is dropped, so a
/// failing or panicking test never leaves a daemon or a hung client behind.
#[derive(Debug)]
pub struct Guard {
    child: Child,
}

impl Guard {
    /// Starts `command`.
    ///
    /// # Errors
    ///
    /// When the program cannot be started.
    pub fn spawn(command: &mut Command) -> std::io::Result<Guard> {
        Ok(Guard {
            child: command.spawn()?,
        })
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the process to exit, killing it after `limit` (then `None`).
    ///
    /// # Errors
    ///
    /// When the process cannot be waited for.
    pub fn wait_for(&mut self, limit: Duration) -> anyhow::Result<Option<ExitStatus>> {
        let deadline = Deadline::after(limit);
        loop {
            if let Some(status) = self.child.try_wait()? {
                return Ok(Some(status));
            }
            if deadline.passed() {
                self.stop();
                return Ok(None);
            }
            pause(Duration::from_millis(5));
        }
    }

    /// Kills the process by its id (SIGKILL) and reaps it.
    pub fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            // Already gone is fine: the point is that it is not running afterwards.
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Waits until `path` exists (a daemon's socket), failing after `limit` or as soon as the
/// daemon exits.
///
/// # Errors
///
/// When the path does not appear in time or the daemon died.
pub fn wait_for_path(path: &Path, daemon: &mut Guard, limit: Duration) -> anyhow::Result<()> {
    let deadline = Deadline::after(limit);
    while !path.exists() {
        if !daemon.is_running() {
            bail!(
                "the daemon (pid {}) exited before creating {}",
                daemon.id(),
                path.display()
            );
        }
        if deadline.passed() {
            bail!("{} did not appear within {limit:?}", path.display());
        }
        pause(Duration::from_millis(10));
    }
    Ok(())
}

/// A wall-clock time limit: the harness is a shell and waits for real programs.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
}

impl Deadline {
    /// The instant `limit` from now.
    #[expect(
        clippy::disallowed_methods,
        reason = "real programs run in real time; their time limits are wall-clock limits"
    )]
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            at: Instant::now() + limit,
        }
    }

    /// Whether the limit has passed.
    #[expect(
        clippy::disallowed_methods,
        reason = "real programs run in real time; their time limits are wall-clock limits"
    )]
    pub fn passed(self) -> bool {
        Instant::now() >= self.at
    }
}

/// Sleeps the calling thread between polls of a real process.
#[expect(
    clippy::disallowed_methods,
    reason = "polling a real process for its exit needs a real pause"
)]
pub fn pause(duration: Duration) {
    std::thread::sleep(duration);
}
