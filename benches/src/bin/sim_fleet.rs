//! `sim-fleet`: runs one world of `cargo xtask bench sim` (`benches/fleet.yaml`,
//! `benches/outage.yaml` or `benches/deployments.yaml`, through the scenario crate) once and prints one line with the
//! event count, wall time, event rate and peak memory (the process's `VmHWM`):
//! `sim <world>: <nodes> nodes, <pods> pods, <hours> virtual hours: <events> events in <secs> s wall = <rate> events/s, peak RSS <mib> MiB`
//! (the virtual hours are where the run ended: the outage-shaped fleet stops when every
//! pod is Running).
//!
//! Usage: `sim-fleet [--world fleet|outage|deployments] [--nodes N] [--hours H] [--seed S] [--metrics]`
//! (defaults: the fleet, with the file's nodes, length and seed); `--hours` replaces the
//! run's length (`for`) or its limit (`until: allRunning`); `--metrics` also prints the
//! run's headline metrics to standard error, `--metrics-digest` a digest of every figure
//! (FNV-1a of the `Metrics`' debug text, every pod's row included), so a change that must
//! keep results identical can be checked on a fleet.

#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark binary's job is to print its figures"
)]

use std::process::ExitCode;

/// mimalloc instead of glibc's malloc: the simulator allocates small strings on most
/// events, and glibc's allocator slows down as millions of them come and go (its
/// consolidation and unlinking grew to a third of the run at 10,000 nodes). Built with its
/// `no_thp` feature (benches/Cargo.toml): no transparent huge pages, whose zeroing on every
/// refault was a quarter of the run's time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Duration;

use pullsim_benches::world_scenario;
use pullsim_scenario::run::simulate::{Overrides, Trace, simulate};

#[expect(
    clippy::disallowed_methods,
    reason = "the bench times the simulator with the wall clock, outside the core"
)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

const USAGE: &str = "usage: sim-fleet [--world fleet|outage|deployments] [--nodes N] [--hours H] [--seed S] [--metrics] [--metrics-digest]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let world = args
        .iter()
        .position(|arg| arg == "--world")
        .map_or(Some("fleet"), |at| args.get(at + 1).map(String::as_str));
    let Some(Some(scenario)) = world.map(world_scenario) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let world = world.unwrap_or("fleet");
    let scenario = match scenario {
        Ok(scenario) => scenario,
        Err(error) => {
            eprintln!("sim-fleet: {error}");
            return ExitCode::FAILURE;
        }
    };
    let mut nodes = scenario
        .node_pools
        .iter()
        .map(|pool| pool.count)
        .sum::<u32>();
    let mut hours = scenario.run.end().since_epoch().as_secs() / 3600;
    let mut seed = scenario.seed;
    let mut show_metrics = false;
    let mut show_digest = false;
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        if flag == "--metrics" {
            show_metrics = true;
            continue;
        }
        if flag == "--metrics-digest" {
            show_digest = true;
            continue;
        }
        let value = iter.next().and_then(|v| v.parse::<u64>().ok());
        match (flag.as_str(), value) {
            ("--world", _) => {}
            ("--nodes", Some(v)) => nodes = u32::try_from(v).unwrap_or(u32::MAX),
            ("--hours", Some(v)) => hours = v,
            ("--seed", Some(v)) => seed = v,
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let overrides = Overrides {
        seed: Some(seed),
        nodes: Some(nodes),
        until: Some(Duration::from_secs(hours * 3600)),
    };
    let started = now();
    let run = simulate(&scenario, Trace::Off, &overrides);
    if let Some(failure) = run.failure() {
        eprintln!("sim-fleet: {failure}");
        return ExitCode::FAILURE;
    }
    let secs = started.elapsed().as_secs_f64();
    let events = run.events();
    let pods = u64::from(nodes) * scenario.workloads.len() as u64;
    println!(
        "sim {world}: {nodes} nodes, {pods} pods, {} virtual hours: {events} events in {secs:.2} s wall = {:.0} events/s, peak RSS {} MiB",
        virtual_hours(run.end().since_epoch()),
        events as f64 / secs,
        peak_rss_mib().map_or_else(|| "?".to_owned(), |mib| mib.to_string())
    );
    if show_metrics {
        let metrics = run.metrics();
        eprintln!(
            "requests {} bytes {} pulls {}/{} ok, {} failed, {} avoided, content hits {}, fetched {}, peak {:?}",
            metrics.requests,
            metrics.bytes_served,
            metrics.pulls_succeeded,
            metrics.pulls_started,
            metrics.pulls_failed,
            metrics.pulls_avoided,
            metrics.content_hits,
            metrics.fetched,
            metrics.peak_requests_per_second
        );
    }
    if show_digest {
        let text = format!("{:?}", run.metrics());
        eprintln!(
            "metrics digest {:016x} of {} bytes",
            fnv1a(text.as_bytes()),
            text.len()
        );
    }
    ExitCode::SUCCESS
}

/// 64-bit FNV-1a of `bytes`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// A virtual length in hours: whole hours as an integer (`6`), others with two decimals
/// (`1.02`).
fn virtual_hours(length: Duration) -> String {
    if length.as_nanos().is_multiple_of(3_600_000_000_000) {
        (length.as_secs() / 3600).to_string()
    } else {
        format!("{:.2}", length.as_secs_f64() / 3600.0)
    }
}

/// `VmHWM` of this process in MiB (Linux), the peak resident set size.
fn peak_rss_mib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024)
}
