//! `pullsim conformance`: runs the conformance suite against real pullers and prints the
//! reports (a table per puller, JSON lines, or the Markdown matrix), optionally JUnit XML.
//!
//! The harness lives in `pullsim-conformance`; this file only turns arguments into pullers
//! and cases, picks the progress display, and maps results to exit codes: 0 when every
//! MUST check passed, 1 when any failed (or a case could not be carried out), 2 when a
//! puller cannot be run at all (the message says how to install it) or the usage is wrong.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use pullsim_conformance::adapters::{self, command::CommandPuller};
use pullsim_conformance::progress::{Bar, Lines, Progress};
use pullsim_conformance::report::{junit, matrix, text};
use pullsim_conformance::{Case, Puller, RunOptions, SuiteReport, cases};

use crate::{CliError, Outcome};

/// How reports are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    /// A table per puller, the failed checks under it.
    Text,
    /// One JSON object per puller, one per line.
    Json,
}

/// The options of `pullsim conformance`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct ConformanceArgs {
    /// A puller to test: skopeo, ctr, podman or oras-py (repeatable).
    #[arg(long = "puller", value_name = "NAME")]
    pullers: Vec<String>,
    /// Test any other puller: a shell command with placeholders {registry} {repo} {tag}
    /// {digest} {ref} {os} {arch} {variant} {username} {password} {authfile} {out}.
    #[arg(long, value_name = "TEMPLATE")]
    cmd: Option<String>,
    /// With --cmd: a command (same placeholders) that prints the digest it pulled.
    #[arg(long, value_name = "TEMPLATE", requires = "cmd")]
    read_result: Option<String>,
    /// With --cmd: the puller's name in reports.
    #[arg(long, value_name = "NAME", default_value = "cmd", requires = "cmd")]
    name: String,
    /// Only these cases: an id (`corrupt-blob`), a group (`auth`) or `group/id`
    /// (repeatable).
    #[arg(long = "case", value_name = "PATTERN")]
    cases: Vec<String>,
    /// How to print the reports.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Print a Markdown matrix of results and behaviours across the pullers instead of
    /// the tables.
    #[arg(long, conflicts_with = "format")]
    matrix: bool,
    /// Also write JUnit XML to FILE.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// How many cases run at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    jobs: usize,
    /// The time limit of one pull (`30s`, `2m`); a puller still running is killed.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_limit)]
    timeout: Duration,
    /// List the cases and exit.
    #[arg(long)]
    list: bool,
}

fn parse_limit(text: &str) -> Result<Duration, String> {
    pullsim_model::units::parse_duration(text).map_err(|err| err.to_string())
}

/// Runs the suite as `args` say.
pub(crate) fn run(
    args: &ConformanceArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let cases = select(&args.cases)?;
    if args.list {
        for case in &cases {
            writeln!(
                out,
                "{:<10} {:<26} {}",
                case.group.as_str(),
                case.id,
                case.title
            )
            .map_err(CliError::output)?;
        }
        return Ok(Outcome::Yes);
    }
    let pullers = pullers(args)?;
    let root = tempfile::Builder::new()
        .prefix("pullsim-conformance-")
        .tempdir()
        .map_err(|error| CliError::internal(format!("temporary folder: {error}")))?;
    let options = RunOptions {
        jobs: args.jobs.max(1),
        limit: args.timeout,
    };
    let mut reports = Vec::new();
    for puller in &pullers {
        let folder = root.path().join(puller.name());
        let progress: &mut dyn Progress = if std::io::stderr().is_terminal() {
            &mut Bar::default()
        } else {
            &mut Lines::new(&mut *err)
        };
        let report = pullsim_conformance::run(puller.as_ref(), &cases, options, &folder, progress);
        reports.push(report);
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, junit::render(&reports)).map_err(|error| {
            CliError::input(format!(
                "{}: cannot write JUnit XML: {error}",
                path.display()
            ))
        })?;
    }
    if args.matrix {
        write!(out, "{}", matrix::render(&reports)).map_err(CliError::output)?;
    } else {
        for report in &reports {
            match args.format {
                Format::Text => write!(out, "{}", text::render(report)),
                Format::Json => {
                    let json = report
                        .to_json()
                        .map_err(|error| CliError::internal(error.to_string()))?;
                    writeln!(out, "{json}")
                }
            }
            .map_err(CliError::output)?;
        }
    }
    if reports.iter().all(SuiteReport::all_must_pass) {
        Ok(Outcome::Yes)
    } else {
        Ok(Outcome::No)
    }
}

/// The cases the patterns pick (every case without patterns).
fn select(patterns: &[String]) -> Result<Vec<Case>, CliError> {
    let all = cases::all();
    if patterns.is_empty() {
        return Ok(all);
    }
    let chosen: Vec<Case> = all
        .iter()
        .filter(|case| {
            patterns.iter().any(|pattern| {
                *pattern == case.id
                    || *pattern == case.group.as_str()
                    || *pattern == format!("{}/{}", case.group.as_str(), case.id)
            })
        })
        .copied()
        .collect();
    if chosen.is_empty() {
        return Err(CliError::usage(format!(
            "no case matches {patterns:?}: see `pullsim conformance --list`"
        )));
    }
    Ok(chosen)
}

/// Every puller asked for, ready to run; a missing program stops everything before any
/// case runs (exit 2), with the command that installs it.
fn pullers(args: &ConformanceArgs) -> Result<Vec<Box<dyn Puller>>, CliError> {
    if args.pullers.is_empty() && args.cmd.is_none() {
        return Err(CliError::usage(format!(
            "name a puller with --puller ({}) or give --cmd 'TEMPLATE'",
            adapters::NAMES.join(", ")
        )));
    }
    let mut pullers: Vec<Box<dyn Puller>> = Vec::new();
    for name in &args.pullers {
        let puller = adapters::by_name(name)
            .map_err(|error| CliError::input(format!("cannot run puller {name}: {error:#}")))?;
        pullers.push(puller);
    }
    if let Some(template) = &args.cmd {
        let puller = CommandPuller::new(&args.name, template, args.read_result.as_deref())
            .map_err(CliError::usage)?;
        pullers.push(Box::new(puller));
    }
    Ok(pullers)
}
