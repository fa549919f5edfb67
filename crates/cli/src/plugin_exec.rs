//! Running a real credential-provider plugin as the kubelet runs it, for `pullsim creds lookup
//! --provider-bin-dir` (docs/credential-providers.md §4, §7): `<bin-dir>/<name> args...` with
//! the kubelet's environment plus the provider's `env`, the request on standard input, killed
//! after the kubelet's one-minute timeout.
//!
//! Upstream: kubernetes `pkg/credentialprovider/plugin/plugin.go` (`RegisterCredentialProviderPlugins`:
//! `plugin binary executable %s did not exist`; `ExecPlugin`, `runPlugin`, `mergeEnvVars`).

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pullsim_model::credentials::provider::{
    CredentialProvider, CredentialProviderRequest, CredentialProviderResponse, EXEC_TIMEOUT,
    ExecFailure,
};

use crate::CliError;
use crate::provider_files::Answer;

/// Checks, as the kubelet does when it starts, that every provider's executable exists.
pub(crate) fn check_binaries(
    bin_dir: &str,
    providers: &[CredentialProvider],
) -> Result<(), CliError> {
    if !Path::new(bin_dir).exists() {
        return Err(CliError::input(format!(
            "plugin binary directory {bin_dir} did not exist (the kubelet does not start)"
        )));
    }
    for provider in providers {
        let path = Path::new(bin_dir).join(&provider.name);
        if !path.is_file() {
            return Err(CliError::input(format!(
                "plugin binary executable {} did not exist (the kubelet does not start)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Runs the provider's executable with `request` and reads its answer as the kubelet does.
#[expect(
    clippy::disallowed_methods,
    reason = "a real plugin process: threads feed and drain its pipes, the wall clock times the kubelet's one-minute limit"
)]
pub(crate) fn run_plugin(
    bin_dir: &str,
    provider: &CredentialProvider,
    request: &CredentialProviderRequest,
) -> Result<Answer, CliError> {
    let path = Path::new(bin_dir).join(&provider.name);
    let mut child = Command::new(&path)
        .args(&provider.args)
        .envs(provider.env.iter().map(|var| (&var.name, &var.value)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| CliError::input(format!("{}: cannot run: {err}", path.display())))?;
    let mut stdin = child.stdin.take();
    let request = request.to_json();
    let writer = std::thread::spawn(move || {
        if let Some(stdin) = stdin.as_mut() {
            // A plugin that exits without reading its input closes the pipe; no failure.
            let _ = stdin.write_all(request.as_bytes());
        }
    });
    let mut stdout_pipe = child.stdout.take();
    let mut stderr_pipe = child.stderr.take();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stdout_pipe.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(pipe) = stderr_pipe.as_mut() {
            let _ = pipe.read_to_string(&mut text);
        }
        text
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= EXEC_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(err) => {
                return Err(CliError::input(format!(
                    "{}: cannot wait for it: {err}",
                    path.display()
                )));
            }
        }
    };
    let _ = writer.join();
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    Ok(match status {
        None => Answer::Failed {
            failure: ExecFailure::Timeout,
            stderr,
        },
        Some(status) if !status.success() => Answer::Failed {
            failure: ExecFailure::Exit(status.code().unwrap_or(-1)),
            stderr,
        },
        Some(_) => match CredentialProviderResponse::parse(&stdout, &provider.api_version) {
            Ok(response) => Answer::Response(response),
            Err(error) => Answer::Refused(error),
        },
    })
}
