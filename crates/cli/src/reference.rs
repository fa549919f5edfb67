//! `pullsim ref`: how the kubelet, the API server and containerd read an image reference.

use std::io::{BufRead, Write};

use serde::Serialize;

use pullsim_model::{
    PullPolicy, Reference, apply_default_image_tag, default_pull_policy, parse_docker_ref,
};

use crate::{CliError, Outcome};

/// What `pullsim ref --json` prints for one input, in this key order (scripts depend on it).
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Report {
    Parsed(Parsed),
    Invalid(Invalid),
}

#[derive(Debug, Serialize)]
struct Parsed {
    input: String,
    name: String,
    domain: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
    familiar: String,
    string: String,
    default_pull_policy: PullPolicy,
    kubelet_image: String,
    containerd_ref: String,
}

#[derive(Debug, Serialize)]
struct Invalid {
    input: String,
    error: String,
    default_pull_policy: PullPolicy,
}

/// Reads a reference the way every consumer in a cluster does.
fn report(input: &str) -> Report {
    let reference = match Reference::parse_normalized_named(input) {
        Ok(reference) => reference,
        Err(err) => {
            return Report::Invalid(Invalid {
                input: input.to_owned(),
                error: err.to_string(),
                default_pull_policy: default_pull_policy(input),
            });
        }
    };
    // Both succeed whenever ParseNormalizedNamed does: they start with it. Should that ever
    // change, the error text is more useful than a panic.
    let kubelet_image = apply_default_image_tag(input).unwrap_or_else(|err| err.to_string());
    let containerd_ref =
        parse_docker_ref(input).map_or_else(|err| err.to_string(), |r| r.to_string());
    Report::Parsed(Parsed {
        input: input.to_owned(),
        name: reference.name(),
        domain: reference.domain().to_owned(),
        path: reference.path().to_owned(),
        tag: reference.tag().map(str::to_owned),
        digest: reference.digest().map(ToString::to_string),
        familiar: reference.familiar_string(),
        string: reference.to_string(),
        default_pull_policy: default_pull_policy(input),
        kubelet_image,
        containerd_ref,
    })
}

/// Calls `each` with every input in order, `-` expanded into the lines of standard input
/// (blank lines skipped), one at a time: nothing is held, so `ref --json -` prints each
/// result as its line arrives and a million lines take no more memory than one.
fn for_each_input(
    args: &[String],
    stdin: &mut dyn BufRead,
    mut each: impl FnMut(&str) -> Result<(), CliError>,
) -> Result<(), CliError> {
    if args.iter().filter(|arg| *arg == "-").count() > 1 {
        return Err(CliError::usage(
            "`-` (standard input) may be given only once",
        ));
    }
    for arg in args {
        if arg != "-" {
            each(arg)?;
            continue;
        }
        let mut line = String::new();
        let mut number = 0usize;
        loop {
            line.clear();
            number += 1;
            let read = stdin
                .read_line(&mut line)
                .map_err(|err| CliError::input(format!("standard input, line {number}: {err}")))?;
            if read == 0 {
                break;
            }
            let text = line.strip_suffix('\n').unwrap_or(&line);
            let text = text.strip_suffix('\r').unwrap_or(text);
            if !text.is_empty() {
                each(text)?;
            }
        }
    }
    Ok(())
}

/// Runs `pullsim ref`; exit 1 when any reference is invalid. `--json` prints one JSON
/// object per line (JSON Lines) as each input is read; the table needs every row for its
/// widths, so it prints at the end.
pub(crate) fn run(
    args: &[String],
    json: bool,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let mut all_valid = true;
    if json {
        for_each_input(args, stdin, |input| {
            let report = report(input);
            all_valid &= matches!(report, Report::Parsed(_));
            let line = serde_json::to_string(&report)
                .map_err(|err| CliError::internal(err.to_string()))?;
            writeln!(out, "{line}").map_err(CliError::output)
        })?;
    } else {
        let mut reports = Vec::new();
        for_each_input(args, stdin, |input| {
            reports.push(report(input));
            Ok(())
        })?;
        all_valid = reports
            .iter()
            .all(|report| matches!(report, Report::Parsed(_)));
        write_table(&reports, out).map_err(CliError::output)?;
    }
    Ok(if all_valid { Outcome::Yes } else { Outcome::No })
}

const HEADERS: [&str; 7] = [
    "INPUT",
    "NAME",
    "TAG",
    "DIGEST",
    "POLICY",
    "KUBELET IMAGE",
    "CONTAINERD REF",
];

/// Digests shortened to 12 hex digits in the table; `--json` has them whole.
fn short(text: &str) -> String {
    match text.split_once('@') {
        Some((before, digest)) => format!("{before}@{}", short_digest(digest)),
        None => text.to_owned(),
    }
}

fn short_digest(digest: &str) -> String {
    match digest.split_once(':') {
        Some((algorithm, hex)) if hex.len() > 12 => format!("{algorithm}:{}…", &hex[..12]),
        _ => digest.to_owned(),
    }
}

fn cells(parsed: &Parsed) -> [String; 7] {
    [
        short(&parsed.input),
        parsed.name.clone(),
        match (&parsed.tag, &parsed.digest) {
            (Some(tag), _) => tag.clone(),
            (None, None) => "(latest)".to_owned(),
            (None, Some(_)) => "-".to_owned(),
        },
        parsed
            .digest
            .as_deref()
            .map_or_else(|| "-".to_owned(), short_digest),
        parsed.default_pull_policy.to_string(),
        short(&parsed.kubelet_image),
        short(&parsed.containerd_ref),
    ]
}

/// An aligned table, one row per input in input order; an invalid input's row carries its
/// error after the INPUT column. Widths come from valid rows only, so one long error does
/// not stretch every column.
fn write_table(reports: &[Report], out: &mut dyn Write) -> std::io::Result<()> {
    let rows: Vec<Option<[String; 7]>> = reports
        .iter()
        .map(|report| match report {
            Report::Parsed(parsed) => Some(cells(parsed)),
            Report::Invalid(_) => None,
        })
        .collect();
    let mut widths = HEADERS.map(|header| header.chars().count());
    for row in rows.iter().flatten() {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    write_row(out, &HEADERS.map(str::to_owned), &widths)?;
    for (report, row) in reports.iter().zip(&rows) {
        match (report, row) {
            (_, Some(row)) => write_row(out, row, &widths)?,
            (Report::Invalid(invalid), None) => {
                let pad = widths[0].saturating_sub(invalid.input.chars().count());
                writeln!(
                    out,
                    "{}{}  invalid: {}",
                    invalid.input,
                    " ".repeat(pad),
                    invalid.error
                )?;
            }
            (Report::Parsed(_), None) => {}
        }
    }
    if reports
        .iter()
        .any(|report| matches!(report, Report::Parsed(p) if p.tag.is_none() && p.digest.is_none()))
    {
        writeln!(
            out,
            "\n(latest): no tag given; the kubelet pulls :latest and the API server defaults the policy to Always."
        )?;
    }
    if reports
        .iter()
        .any(|report| matches!(report, Report::Invalid(_)))
    {
        writeln!(
            out,
            "\nAn invalid image defaults to IfNotPresent; the kubelet fails its container with InvalidImageName."
        )?;
    }
    Ok(())
}

fn write_row(out: &mut dyn Write, cells: &[String; 7], widths: &[usize; 7]) -> std::io::Result<()> {
    let mut line = String::new();
    for (index, (cell, width)) in cells.iter().zip(widths).enumerate() {
        line.push_str(cell);
        if index + 1 < cells.len() {
            line.push_str(&" ".repeat(width - cell.chars().count() + 2));
        }
    }
    writeln!(out, "{line}")
}
