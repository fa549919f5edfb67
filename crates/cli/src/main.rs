//! The `pullsim` binary: parses the command line and hands over to the library.

fn main() -> std::process::ExitCode {
    pullsim_cli::main_from_env()
}
