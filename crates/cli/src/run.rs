//! `pullsim run`: simulate one scenario file and print its transcript (or JSON, or only the
//! metrics as JSON), exiting 0
//! when every expectation holds, 1 when one fails or the run hits a limit, and 2 when the
//! file cannot be read or is not a valid scenario (every mistake printed as
//! `FILE:LINE:COLUMN: message` on standard error, nothing on standard output).

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use pullsim_model::units::parse_duration;
use pullsim_scenario::Scenario;
use pullsim_scenario::run::{RequestDetail, RunOptions, run as run_scenario, run_metrics};

use crate::{CliError, Outcome};

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FormatArg {
    /// The transcript: events, pods, metrics and expectations, for people.
    Text,
    /// Everything in full (every trace record, full digests), for programs.
    Json,
    /// Only the JSON document's `metrics` object (no trace records: small for a fleet).
    Metrics,
}

/// The options of `pullsim run`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct RunArgs {
    /// The scenario file (YAML).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Replace the file's seed, which drives every random choice (the pod workers'
    /// jittered resync); e.g. `--seed 7`.
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// `text` (the transcript), `json` (the same data in full) or `metrics` (only the JSON's
    /// metrics object); e.g. `--format json`.
    #[arg(long, value_enum, default_value = "text")]
    format: FormatArg,
    /// Replace the run's end (`run.for`, or the limit of `run.until: allRunning`) with a
    /// Go duration; e.g. `--until 90s` or `--until 1h30m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_until)]
    until: Option<Duration>,
    /// Show every registry request on its own line instead of one summary line per burst
    /// of a node's requests to a registry; e.g. `--requests`.
    #[arg(long)]
    requests: bool,
}

fn parse_until(text: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|error| error.to_string())
}

/// Runs `pullsim run`.
pub(crate) fn run(args: &RunArgs, out: &mut dyn Write) -> Result<Outcome, CliError> {
    let name = args.file.display().to_string();
    let bytes = std::fs::read(&args.file)
        .map_err(|error| CliError::input(format!("{name}: cannot read the scenario: {error}")))?;
    // `manifests:` paths are relative to the scenario file.
    let folder = args
        .file
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let mut manifests =
        |path: &str| std::fs::read(folder.join(path)).map_err(|error| error.to_string());
    let scenario = Scenario::parse_bytes_with(&name, &bytes, &mut manifests)
        .map_err(|errors| CliError::Diagnostics(errors.to_string()))?;
    let options = RunOptions {
        seed: args.seed,
        until: args.until,
        requests: if args.requests {
            RequestDetail::Full
        } else {
            RequestDetail::Summary
        },
    };
    // Figures alone need no trace unless an expectation is judged from it: a fleet-sized
    // run then holds no records however long it runs.
    let outcome = match args.format {
        FormatArg::Metrics => run_metrics(&scenario, &options),
        FormatArg::Text | FormatArg::Json => run_scenario(&scenario, &options),
    };
    let printed = match args.format {
        FormatArg::Text => outcome.text(),
        FormatArg::Json => outcome.json(),
        FormatArg::Metrics => outcome.metrics_json(),
    };
    out.write_all(printed.as_bytes())
        .map_err(CliError::output)?;
    Ok(if outcome.passed() {
        Outcome::Yes
    } else {
        Outcome::No
    })
}
