//! `pullsim-cli`: the command-line shell over pullsim's core crates.

use std::process::ExitCode;

use clap::Parser;

/// pullsim: predict and test how Kubernetes pulls container images.
#[derive(Debug, Parser)]
#[command(name = "pullsim", version, about)]
struct Cli {}

/// Runs the command line of this process and returns its exit code.
pub fn main_from_env() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
