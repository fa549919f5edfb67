//! The text transcript: what a person reads and what snapshots pin, so it is short and
//! byte-stable. Its layout, top to bottom:
//!
//! 1. A header: the scenario's name, seed, how the run was to stop and when it did, and
//!    the description, wrapped; then the scenario's notes, if any (`note      ...`).
//! 2. The story, one line per thing that happened, in time order:
//!    `00:00:12.345  pod/web-0  Normal   Pulling  Pulling image "..."` — virtual time
//!    (always `HH:MM:SS.mmm`), the object, the type (kubectl's `Normal`/`Warning` for real
//!    Kubernetes events, whose reason and message are verbatim; pullsim's own words
//!    `pod`, `status`, `auth`, `request`, `action`, `node` otherwise), a reason and a text.
//!    What is a line is described in `lines.rs`; how lines of many objects fold in
//!    `fold.rs`; how lines that keep repeating become a summary in `repeats.rs`.
//! 3. `pods`: one row per pod (node, short digest, state and reason at the end, time to
//!    Running). Beyond [`POD_ROWS_UNFOLDED`] rows, consecutive pods of one workload with
//!    the same digest, state and reason share a row, with name and node ranges and the
//!    range of their times to Running.
//! 4. `metrics`: registry requests by host, method, kind and status with bytes; content
//!    fetched and found; pulls; the busiest second; the most pods in back-off; each
//!    workload's most digests at once and how long it ran mixed.
//! 5. `rollouts`, only when the run has workload objects (`rollouts.rs`): each one's
//!    state in `kubectl rollout status`' words, its pods per revision and its figures.
//! 6. `expectations`: one line each, `ok` or `FAILED`, with the position in the file; a
//!    failure adds what happened. Then the result.
//!
//! Digests are `sha256:` and 12 hex digits, sizes binary with one decimal, durations as Go
//! prints them; no wall time, ports or UIDs appear.

use std::fmt::Write as _;

use crate::run::Outcome;
use crate::run::fold::{Folded, fold, render, short_ranges};
use crate::run::format::{aligned, clock, duration, name_ranges, short_digests, size};
use crate::run::holdings::Holding;
use crate::run::lines::lines;
use crate::run::pods::PodRow;
use crate::run::repeats::collapse;
use crate::run::rollouts::rollouts;

/// Up to this many pods, the table has a row per pod.
pub(crate) const POD_ROWS_UNFOLDED: usize = 20;

/// The widest an object or reason column gets; a longer value (a long registry host, a
/// folded name with many ranges) is shortened in the middle to fit, so every line keeps
/// the columns aligned (the text column, last, is never cut).
const OBJECT_WIDTH_MAX: usize = 36;
const REASON_WIDTH_MAX: usize = 32;
/// Where the description wraps.
const WRAP_COLUMNS: usize = 88;

/// The whole transcript.
pub(crate) fn render_outcome(outcome: &Outcome) -> String {
    let mut out = String::new();
    header(&mut out, outcome);
    out.push('\n');
    story(&mut out, outcome);
    out.push('\n');
    pods(&mut out, &outcome.rows);
    out.push('\n');
    images_on_nodes(&mut out, &outcome.story.holdings);
    out.push('\n');
    metrics(&mut out, outcome);
    out.push('\n');
    rollouts(&mut out, &outcome.scenario, &outcome.metrics, outcome.end);
    expectations(&mut out, outcome);
    out
}

fn header(out: &mut String, outcome: &Outcome) {
    let scenario = &outcome.scenario;
    let _ = writeln!(out, "scenario  {}", scenario.name);
    let _ = writeln!(out, "seed      {}", outcome.seed);
    let _ = writeln!(out, "run       {}", outcome.stop_text());
    let mut first = true;
    for line in wrap(&scenario.description, WRAP_COLUMNS - 10) {
        let label = if first { "about     " } else { "          " };
        first = false;
        let _ = writeln!(out, "{label}{line}");
    }
    for note in &scenario.notes {
        let _ = writeln!(out, "note      {note}");
    }
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

fn story(out: &mut String, outcome: &Outcome) {
    let lines = lines(&outcome.story, outcome.requests);
    let folded: Vec<Folded> = collapse(fold(lines)).iter().map(render).collect();
    let object_width = column_width(folded.iter().map(|f| f.object.as_str()), OBJECT_WIDTH_MAX);
    let reason_width = column_width(folded.iter().map(|f| f.reason.as_str()), REASON_WIDTH_MAX);
    for Folded {
        at,
        object,
        line_type,
        reason,
        text,
    } in &folded
    {
        let object = fit(object, object_width);
        let reason = fit(reason, reason_width);
        let line = format!(
            "{}  {object:<object_width$}  {line_type:<7}  {reason:<reason_width$}  {text}",
            clock(*at)
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    if folded.is_empty() {
        out.push_str("(nothing happened)\n");
    }
}

fn column_width<'a>(values: impl Iterator<Item = &'a str>, cap: usize) -> usize {
    values
        .map(|value| value.chars().count())
        .max()
        .unwrap_or(0)
        .min(cap)
}

/// `value` shortened to `width` characters by an ellipsis in its middle, keeping its
/// start and its end (a host's domain, a folded name's `×N`).
fn fit(value: &str, width: usize) -> String {
    let count = value.chars().count();
    if count <= width || width < 3 {
        return value.to_owned();
    }
    let tail = (width - 1) / 2;
    let head = width - 1 - tail;
    let mut out: String = value.chars().take(head).collect();
    out.push('…');
    out.extend(value.chars().skip(count - tail));
    out
}

/// One printed row of the pods table.
struct TableRow {
    pod: String,
    node: String,
    digest: String,
    state: String,
    reason: String,
    time_to_running: String,
}

fn pods(out: &mut String, rows: &[PodRow]) {
    out.push_str("pods\n");
    if rows.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let table = if rows.len() > POD_ROWS_UNFOLDED {
        folded_rows(rows)
    } else {
        rows.iter()
            .map(|row| table_row(std::slice::from_ref(row)))
            .collect()
    };
    let header = TableRow {
        pod: "POD".to_owned(),
        node: "NODE".to_owned(),
        digest: "DIGEST".to_owned(),
        state: "STATE".to_owned(),
        reason: "REASON".to_owned(),
        time_to_running: "TO RUNNING".to_owned(),
    };
    let cells: Vec<Vec<String>> = std::iter::once(header)
        .chain(table)
        .map(|row| {
            vec![
                row.pod,
                row.node,
                row.digest,
                row.state,
                row.reason,
                row.time_to_running,
            ]
        })
        .collect();
    for line in aligned(&cells, &[false; 6]) {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
}

/// Which digest of each image the nodes hold at the end: a row per image and digest, with
/// its nodes as ranges (`fleet-{0..199} ×200`).
fn images_on_nodes(out: &mut String, holdings: &[Holding]) {
    out.push_str("images on nodes\n");
    if holdings.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let header = ["IMAGE", "DIGEST", "NODES"].map(str::to_owned).to_vec();
    let rows = holdings.iter().map(|holding| {
        let mut nodes = short_ranges(holding.nodes.iter().map(String::as_str));
        if holding.nodes.len() > 1 {
            nodes.push_str(&format!(" ×{}", holding.nodes.len()));
        }
        vec![holding.image.clone(), short_digests(&holding.digest), nodes]
    });
    let cells: Vec<Vec<String>> = std::iter::once(header).chain(rows).collect();
    for line in aligned(&cells, &[false; 3]) {
        out.push_str("  ");
        out.push_str(&line);
        out.push('\n');
    }
}

/// Consecutive pods of one workload with the same digest, state and reason share a row.
fn folded_rows(rows: &[PodRow]) -> Vec<TableRow> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let same = |row: &PodRow| {
            let first = &rows[start];
            row.workload.is_some()
                && row.workload == first.workload
                && row.digests == first.digests
                && row.state == first.state
                && row.reason == first.reason
        };
        let mut end = start + 1;
        while end < rows.len() && same(&rows[end]) {
            end += 1;
        }
        out.push(table_row(&rows[start..end]));
        start = end;
    }
    out
}

fn table_row(rows: &[PodRow]) -> TableRow {
    let first = &rows[0];
    let (pod, node) = if rows.len() == 1 {
        (
            first.pod.clone(),
            first.node.clone().unwrap_or_else(|| "-".to_owned()),
        )
    } else {
        let nodes: Vec<&str> = rows.iter().filter_map(|r| r.node.as_deref()).collect();
        (
            format!(
                "{} ×{}",
                name_ranges(rows.iter().map(|r| r.pod.as_str())),
                rows.len()
            ),
            if nodes.is_empty() {
                "-".to_owned()
            } else {
                name_ranges(nodes)
            },
        )
    };
    let digest = if first.digests.is_empty() {
        "-".to_owned()
    } else {
        first
            .digests
            .iter()
            .map(|d| short_digests(d))
            .collect::<Vec<_>>()
            .join(",")
    };
    let times: Vec<_> = rows.iter().filter_map(PodRow::time_to_running).collect();
    let time_to_running = match (times.iter().min(), times.iter().max()) {
        (Some(min), Some(max)) if min == max => duration(*min),
        (Some(min), Some(max)) => format!("{}..{}", duration(*min), duration(*max)),
        _ => "-".to_owned(),
    };
    TableRow {
        pod,
        node,
        digest,
        state: first.state.clone(),
        reason: first.reason.clone().unwrap_or_else(|| "-".to_owned()),
        time_to_running,
    }
}

fn metrics(out: &mut String, outcome: &Outcome) {
    let metrics = &outcome.metrics;
    out.push_str("metrics\n");
    if metrics.registry.is_empty() {
        out.push_str("  requests   none\n");
    } else {
        let rows: Vec<Vec<String>> = metrics
            .registry
            .iter()
            .map(|count| {
                vec![
                    count.host.clone(),
                    count.method.to_owned(),
                    count.kind.as_str().to_owned(),
                    count.status.to_string(),
                    count.requests.to_string(),
                    size(count.bytes),
                ]
            })
            .collect();
        for line in aligned(&rows, &[false, false, false, false, true, true]) {
            out.push_str("  requests   ");
            out.push_str(&line);
            out.push('\n');
        }
        let _ = write!(
            out,
            "  requests   {} in all, {}",
            metrics.requests,
            size(metrics.bytes_served)
        );
        if let Some(peak) = metrics.peak_requests_per_second {
            let _ = write!(
                out,
                "; busiest second {} with {}",
                clock(peak.second),
                counted(u64::from(peak.requests), "request", "requests")
            );
        }
        out.push('\n');
    }
    // Only a run with a mirror, a cache or peers has more than one source to compare.
    if metrics
        .sources
        .iter()
        .any(|count| count.source != pullsim_sim::Source::Origin)
    {
        for count in &metrics.sources {
            let _ = writeln!(
                out,
                "  sources    {:<6}  {}, {}; {} manifest GETs, {} answered 429",
                count.source.as_str(),
                counted(count.requests, "request", "requests"),
                size(count.bytes),
                count.manifest_gets,
                count.too_many_requests
            );
        }
    }
    let _ = writeln!(
        out,
        "  content    {} manifests and blobs fetched, {} found in the node's store",
        metrics.fetched, metrics.content_hits
    );
    let _ = writeln!(
        out,
        "  pulls      {} started, {} succeeded, {} failed; {} avoided (image present)",
        metrics.pulls_started, metrics.pulls_succeeded, metrics.pulls_failed, metrics.pulls_avoided
    );
    let peak_backoff = metrics.pods_in_backoff.iter().fold(
        None,
        |best: Option<(pullsim_model::SimTime, u32)>, &(at, count)| match best {
            Some((_, top)) if top >= count => best,
            _ => Some((at, count)),
        },
    );
    match peak_backoff {
        Some((at, count)) if count > 0 => {
            let _ = writeln!(
                out,
                "  back-off   at most {} in ImagePullBackOff at once, first reached at {}",
                counted(u64::from(count), "pod", "pods"),
                clock(at)
            );
        }
        _ => out.push_str("  back-off   no pod in ImagePullBackOff\n"),
    }
    for drift in &metrics.workloads {
        let digests = if drift.max_distinct_digests == 1 {
            "digest"
        } else {
            "digests"
        };
        let _ = writeln!(
            out,
            "  drift      workload {}: at most {} {digests} at once, mixed for {}",
            drift.workload,
            drift.max_distinct_digests,
            duration(drift.mixed_duration)
        );
    }
    let _ = writeln!(out, "  events     {} processed", outcome.events);
}

/// `1 pod`, `3 pods`.
fn counted(count: u64, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

fn expectations(out: &mut String, outcome: &Outcome) {
    out.push_str("expectations\n");
    if outcome.verdicts.is_empty() {
        out.push_str("  (none)\n");
    }
    let position_width = outcome
        .verdicts
        .iter()
        .map(|v| format!("{}:{}", v.line, v.column).len())
        .max()
        .unwrap_or(0);
    for verdict in &outcome.verdicts {
        let position = format!("{}:{}", verdict.line, verdict.column);
        let status = if verdict.passed { "ok" } else { "FAILED" };
        let _ = writeln!(
            out,
            "  {status:<6}  {position:<position_width$}  {}: {}",
            verdict.subject,
            short_digests(&verdict.expected)
        );
        if !verdict.passed {
            let _ = writeln!(
                out,
                "  {:<6}  {:<position_width$}  got {}",
                "",
                "",
                short_digests(&verdict.actual)
            );
        }
    }
    let failed = outcome.verdicts.iter().filter(|v| !v.passed).count();
    if let Some(failure) = &outcome.failure {
        let _ = writeln!(out, "result: FAILED: {failure}");
    } else if failed > 0 {
        let _ = writeln!(
            out,
            "result: FAILED ({failed} of {} expectations failed)",
            outcome.verdicts.len()
        );
    } else {
        let _ = match outcome.verdicts.len() {
            // Nothing was checked, so nothing "passed": the run finished and said what
            // happened. The exit code is 0, as for a run whose expectations hold.
            0 => writeln!(out, "result: ran (no expectations to check)"),
            1 => writeln!(out, "result: passed (1 expectation holds)"),
            count => writeln!(out, "result: passed ({count} expectations hold)"),
        };
    }
}
