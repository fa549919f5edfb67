//! Every example a user can copy is run: each `pullsim ... --help` text's "Examples:" lines
//! and every `console` and `sh` block of the README that starts with `pullsim` or `cargo
//! xtask`. A dead file, a removed flag or a changed output line fails the test, which names
//! the example.
//!
//! Examples run with `bash -o pipefail` in a temporary folder that links the repository's
//! `scenarios/`, `examples/`, `crates/` and `docs/`, with the built `pullsim` first on `PATH`.
//! Two kinds cannot simply run: `pullsim registry serve` serves until stopped (it is started
//! on a free port, must print its address, and is stopped by its pid), and `pullsim
//! conformance` needs real pullers (its arguments are parsed and its cases chosen with
//! `--list` added). A `cargo xtask` example must name a command and flags the xtask's usage
//! text lists. Lines of a `console` block's output without `...` must appear in what the
//! command prints.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

fn pullsim_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pullsim"))
        .parent()
        .expect("the binary is in a folder")
        .to_path_buf()
}

/// One example: where it was found, the command (continuation lines joined), and the output
/// lines the documentation shows for it.
#[derive(Debug)]
struct Example {
    origin: String,
    command: String,
    shown_output: Vec<String>,
}

/// A folder to run examples in, with the repository's inputs linked into it, so files an
/// example writes (`--log requests.jsonl`, `--junit report.xml`) land in a temporary place.
fn sandbox() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let root = workspace_root();
    for name in ["scenarios", "examples", "crates", "docs"] {
        std::os::unix::fs::symlink(root.join(name), dir.path().join(name))
            .expect("the link is created");
    }
    dir
}

fn shell(command: &str, cwd: &Path) -> Command {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![pullsim_dir()];
    dirs.extend(std::env::split_paths(&path));
    let mut shell = Command::new("bash");
    shell
        .args(["-o", "pipefail", "-c", command])
        .current_dir(cwd)
        .env("PATH", std::env::join_paths(dirs).expect("PATH joins"))
        .stdin(Stdio::null());
    shell
}

fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(program).is_file()))
}

/// The command without its trailing `# comment` (only a `#` after white space outside
/// quotes starts one), and the comment.
fn split_comment(command: &str) -> (&str, Option<&str>) {
    let mut quote = None;
    let mut previous = ' ';
    for (at, ch) in command.char_indices() {
        match (quote, ch) {
            (None, '\'' | '"') => quote = Some(ch),
            (Some(open), _) if ch == open => quote = None,
            (None, '#') if previous.is_whitespace() => {
                return (command[..at].trim_end(), Some(command[at + 1..].trim()));
            }
            _ => {}
        }
        previous = ch;
    }
    (command.trim_end(), None)
}

/// Joins lines that end with `\` to the next one; returns whole commands with their first
/// line's index.
fn join_continuations<'a>(lines: impl Iterator<Item = (usize, &'a str)>) -> Vec<(usize, String)> {
    let mut joined: Vec<(usize, String)> = Vec::new();
    let mut open = false;
    for (index, line) in lines {
        let trimmed = line.trim();
        let (text, continues) = match trimmed.strip_suffix('\\') {
            Some(head) => (head.trim_end(), true),
            None => (trimmed, false),
        };
        match joined.last_mut() {
            Some((_, command)) if open => {
                command.push(' ');
                command.push_str(text);
            }
            _ => joined.push((index, text.to_string())),
        }
        open = continues;
    }
    joined
}

/// Every subcommand path (`[]`, `["run"]`, `["creds", "match"]`, ...) from the `Commands:`
/// sections of the help texts.
fn subcommands(path: &[String], found: &mut Vec<Vec<String>>) {
    found.push(path.to_vec());
    let help = help_text(path);
    let mut in_commands = false;
    for line in help.lines() {
        if line == "Commands:" {
            in_commands = true;
        } else if in_commands && line.starts_with("  ") {
            let name = line.split_whitespace().next().unwrap_or_default();
            if name != "help" {
                let mut child = path.to_vec();
                child.push(name.to_string());
                subcommands(&child, found);
            }
        } else {
            in_commands = false;
        }
    }
}

fn help_text(path: &[String]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(path)
        .arg("--help")
        .output()
        .expect("pullsim --help runs");
    assert!(output.status.success(), "pullsim {path:?} --help failed");
    String::from_utf8(output.stdout).expect("help is UTF-8")
}

/// The examples of one help text. Every line of its "Examples:" section must be a command
/// (`pullsim ...` or a puller's) or the continuation of one, so a line clap wrapped at the
/// terminal's width fails here instead of running half a command.
fn help_examples(path: &[String], problems: &mut Vec<String>) -> Vec<Example> {
    let help = help_text(path);
    let origin =
        format!("`pullsim {} --help`", path.join(" ")).replace("pullsim  --help", "pullsim --help");
    let Some((_, section)) = help.split_once("\nExamples:\n") else {
        return Vec::new();
    };
    let lines: Vec<&str> = section
        .lines()
        .take_while(|line| !line.is_empty())
        .collect();
    let mut continued = false;
    for line in &lines {
        let first = line.split_whitespace().next().unwrap_or_default();
        if !continued && !matches!(first, "pullsim" | "skopeo" | "ctr" | "podman") {
            problems.push(format!(
                "{origin}: example line {line:?} is neither a command nor the continuation of one \
                 (wrapped at 100 columns? keep example lines shorter)"
            ));
        }
        continued = line.trim_end().ends_with('\\');
    }
    join_continuations(lines.into_iter().enumerate())
        .into_iter()
        .map(|(_, command)| Example {
            origin: origin.clone(),
            command,
            shown_output: Vec::new(),
        })
        .collect()
}

/// The README's `console` blocks (`$ ` lines and the output under them) and `sh` blocks
/// (one command a line, continuations joined).
fn readme_examples() -> Vec<Example> {
    let text = std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md");
    let lines: Vec<&str> = text.lines().collect();
    let mut examples = Vec::new();
    let mut at = 0;
    while at < lines.len() {
        let kind = lines[at].trim();
        if kind != "```console" && kind != "```sh" {
            at += 1;
            continue;
        }
        let start = at + 1;
        let end = (start..lines.len())
            .find(|&index| lines[index].trim() == "```")
            .expect("every README code block is closed");
        let block = &lines[start..end];
        if kind == "```sh" {
            let numbered = block.iter().enumerate().map(|(i, line)| (start + i, *line));
            for (index, command) in join_continuations(numbered) {
                if !command.is_empty() && !command.starts_with('#') {
                    examples.push(Example {
                        origin: format!("README.md:{}", index + 1),
                        command,
                        shown_output: Vec::new(),
                    });
                }
            }
        } else {
            let mut index = 0;
            while index < block.len() {
                let Some(first) = block[index].strip_prefix("$ ") else {
                    index += 1;
                    continue;
                };
                let origin = format!("README.md:{}", start + index + 1);
                let mut command_lines = vec![first];
                while command_lines
                    .last()
                    .is_some_and(|line| line.ends_with('\\'))
                {
                    index += 1;
                    command_lines.push(block.get(index).copied().unwrap_or_default());
                }
                index += 1;
                let output_start = index;
                while index < block.len() && !block[index].starts_with("$ ") {
                    index += 1;
                }
                let command = join_continuations(command_lines.into_iter().enumerate())
                    .pop()
                    .map(|(_, command)| command)
                    .unwrap_or_default();
                examples.push(Example {
                    origin,
                    command,
                    shown_output: block[output_start..index]
                        .iter()
                        .map(|line| line.trim_end().to_string())
                        .collect(),
                });
            }
        }
        at = end + 1;
    }
    examples
}

/// What one example needs to be checked, decided from its first words.
enum Kind {
    /// Runs to the end.
    Run,
    /// `pullsim registry serve`: serves until stopped.
    Serve,
    /// `pullsim conformance` without `--list`: needs real pullers.
    Conformance,
    /// `cargo xtask ...`: checked against the xtask's usage text.
    Xtask,
    /// Another program's command (kubectl, skopeo, ctr, podman): not ours to run.
    Foreign,
}

fn kind(command: &str) -> Kind {
    let words: Vec<&str> = command.split_whitespace().collect();
    match words.as_slice() {
        ["pullsim", "registry", "serve", ..] => Kind::Serve,
        ["pullsim", "conformance", rest @ ..] if !rest.contains(&"--list") => Kind::Conformance,
        ["pullsim", ..] => Kind::Run,
        ["cargo", "xtask", ..] => Kind::Xtask,
        _ => Kind::Foreign,
    }
}

fn check(example: &Example, xtask_usage: &str) -> Result<(), String> {
    let (command, comment) = split_comment(&example.command);
    match kind(command) {
        Kind::Foreign => Ok(()),
        Kind::Xtask => check_xtask(command, xtask_usage),
        Kind::Serve => check_serve(command),
        Kind::Conformance => {
            let output = run(&format!("{command} --list"))?;
            judge(&output, comment, &[])
        }
        Kind::Run => {
            let mut command = command.to_string();
            if !on_path("jq") {
                // Without jq, the part of the pipeline that is ours still runs.
                if let Some((head, _)) = command.split_once("| jq ") {
                    command = head.trim_end().to_string();
                }
            }
            let output = run(&command)?;
            judge(&output, comment, &example.shown_output)
        }
    }
}

fn run(command: &str) -> Result<Output, String> {
    let dir = sandbox();
    shell(command, dir.path())
        .output()
        .map_err(|err| format!("bash does not start: {err}"))
}

/// Exit 0 or 1 (1 is an answer: an invalid reference, a failed expectation); no error on
/// standard error; the comment's `true`/`false` is what it prints; every shown output line.
fn judge(output: &Output, comment: Option<&str>, shown: &[String]) -> Result<(), String> {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !matches!(output.status.code(), Some(0 | 1)) || stderr.contains("error") {
        return Err(format!("exited with {}: {}", output.status, stderr.trim()));
    }
    if let Some(expected @ ("true" | "false")) = comment
        .and_then(|comment| comment.split([' ', ':']).next())
        .filter(|word| matches!(*word, "true" | "false"))
        && stdout.trim() != expected
    {
        return Err(format!(
            "printed {:?}, its comment says {expected}",
            stdout.trim()
        ));
    }
    let printed: Vec<&str> = stdout.lines().map(str::trim_end).collect();
    let missing: Vec<&String> = shown
        .iter()
        .filter(|line| !line.is_empty() && !line.contains("..."))
        .filter(|line| !printed.contains(&line.as_str()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the documented output lines {missing:#?} are not in what it printed:\n{stdout}"
        ))
    }
}

/// Starts the server on a free port (replacing the example's `--listen`), waits for its
/// address line, and stops it by its pid.
fn check_serve(command: &str) -> Result<(), String> {
    let mut words: Vec<String> = command.split_whitespace().map(String::from).collect();
    match words.iter().position(|word| word == "--listen") {
        Some(at) if at + 1 < words.len() => words[at + 1] = "127.0.0.1:0".to_string(),
        _ => words.extend(["--listen".to_string(), "127.0.0.1:0".to_string()]),
    }
    let dir = sandbox();
    let mut child = shell(&format!("exec {}", words.join(" ")), dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| format!("bash does not start: {err}"))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (sender, receiver) = mpsc::channel();
    std::thread::Builder::new()
        .name("serve-stdout".to_string())
        .spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if line.contains("listening on http://127.0.0.1:") {
                    let _ = sender.send(line);
                    break;
                }
            }
        })
        .map_err(|err| format!("no reader thread: {err}"))?;
    let listening = receiver.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let output = child.wait_with_output().map_err(|err| err.to_string())?;
    match listening {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "printed no address line ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        )),
    }
}

/// `cargo xtask COMMAND --flag` must be a command the xtask's usage text lists, with every
/// flag on one of that command's usage lines.
fn check_xtask(command: &str, usage: &str) -> Result<(), String> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let Some(name) = words.get(2) else {
        return Err("names no xtask command".to_string());
    };
    let prefix = format!("cargo xtask {name}");
    let lines: Vec<&str> = usage
        .lines()
        .map(str::trim)
        .filter(|line| {
            line.strip_prefix(&prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        })
        .collect();
    if lines.is_empty() {
        return Err(format!("the xtask's usage has no `{prefix}`"));
    }
    for flag in words.iter().skip(3).filter(|word| word.starts_with('-')) {
        if !lines.iter().any(|line| line.contains(flag)) {
            return Err(format!("the xtask's usage of `{prefix}` has no {flag}"));
        }
    }
    Ok(())
}

fn xtask_usage() -> String {
    let main = std::fs::read_to_string(workspace_root().join("xtask/src/main.rs"))
        .expect("xtask/src/main.rs");
    let (_, rest) = main
        .split_once("const USAGE: &str = \"")
        .expect("the xtask has a USAGE text");
    rest.split_once("\";")
        .map(|(usage, _)| usage.to_string())
        .unwrap_or_default()
}

fn check_all(examples: &[Example], mut problems: Vec<String>) {
    let usage = xtask_usage();
    for example in examples {
        if let Err(problem) = check(example, &usage) {
            problems.push(format!(
                "{}: `{}`: {problem}",
                example.origin, example.command
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} example(s) do not work:\n\n{}",
        problems.len(),
        problems.join("\n\n")
    );
}

#[test]
fn every_help_example_runs() {
    let mut paths = Vec::new();
    subcommands(&[], &mut paths);
    assert!(paths.len() >= 7, "found only the subcommands {paths:?}");
    let mut problems = Vec::new();
    let mut examples = Vec::new();
    for path in &paths {
        examples.extend(help_examples(path, &mut problems));
    }
    assert!(
        examples.len() >= 20,
        "found only {} help examples",
        examples.len()
    );
    check_all(&examples, problems);
}

#[test]
fn every_readme_example_runs() {
    let examples = readme_examples();
    let ours = examples
        .iter()
        .filter(|example| !matches!(kind(&example.command), Kind::Foreign))
        .count();
    assert!(
        ours >= 10,
        "found only {ours} README examples: {examples:#?}"
    );
    check_all(&examples, Vec::new());
}

#[test]
fn comments_and_continuations_are_read_like_a_shell() {
    assert_eq!(
        split_comment("pullsim creds match '#a' b  # true: prefix"),
        ("pullsim creds match '#a' b", Some("true: prefix"))
    );
    assert_eq!(split_comment("pullsim ref a#b"), ("pullsim ref a#b", None));
    let joined = join_continuations(
        ["pullsim ref \\", "    nginx", "pullsim run x"]
            .into_iter()
            .enumerate(),
    );
    assert_eq!(
        joined,
        vec![
            (0, "pullsim ref nginx".to_string()),
            (2, "pullsim run x".to_string())
        ]
    );
}
