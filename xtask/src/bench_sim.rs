//! `cargo xtask bench sim [--runs N]`: builds the `sim-fleet` binary in release mode and runs
//! the simulator's three benchmark worlds, each size `N` times (default 5), every run its own
//! process so each peak RSS is its own:
//!
//! - the fleet (`benches/fleet.yaml`: 5,000 nodes x 20 pods, 6 virtual hours, a tag move
//!   every ten minutes, a twenty-minute outage), then the same with twice the nodes;
//! - the Deployment-based fleet (`benches/deployments.yaml`: the fleet's registry and
//!   timeline, 20 Deployments of one replica per node placed by the scheduler, each
//!   restarted once) at 5,000 nodes;
//! - the outage-shaped fleet (`benches/outage.yaml`: one pod per node, a 50 MiB image, the
//!   registry answering 503 for the first hour, run until every pod is Running) at 1,000,
//!   2,000 and 5,000 nodes.
//!
//! Each size prints one line with the median wall time of its runs (and the largest peak
//! RSS), then the goals of issue 14 against it:
//! `sim fleet: <nodes> nodes, <pods> pods, <hours> virtual hours: <events> events in <secs> s wall = <rate> events/s, peak RSS <mib> MiB (median of 5 runs; goal >= 3000000 events/s: met, goal <= 256 MiB: not met)`.
//! A last line per world says how the time grew with the nodes against the goal of
//! linear growth (at most 1.05x the time per node of the smallest size: twice the nodes
//! in at most 2.1x the time).
//! A fleet variant (the Deployment-based fleet) has no rate of its own: its second line
//! gives its time per event and its memory against the plain fleet at 5,000 nodes, which
//! it may exceed by at most 2x (issue 14, item 4).

use std::path::Path;
use std::process::Command;

/// One size of one world and the goals its line is judged against.
struct Size {
    world: &'static str,
    nodes: u32,
    /// At least this many events per second, when the issue sets a rate of its own.
    rate_goal: Option<f64>,
    /// At most this peak RSS, when the issue sets one.
    rss_goal_mib: Option<u64>,
    /// A variant of the plain fleet that a later issue added: judged against the fleet at
    /// 5,000 nodes (issue 14, item 4: at most [`VARIANT_FACTOR`] its time per event and
    /// its memory) instead of a rate of its own.
    fleet_variant: bool,
}

/// The sizes to run, world by world, smallest first within a world.
const SIZES: [Size; 6] = [
    Size {
        world: "fleet",
        nodes: 5000,
        rate_goal: Some(3_000_000.0),
        rss_goal_mib: Some(256),
        fleet_variant: false,
    },
    Size {
        world: "fleet",
        nodes: 10_000,
        rate_goal: Some(3_000_000.0),
        rss_goal_mib: None,
        fleet_variant: false,
    },
    Size {
        world: "outage",
        nodes: 1000,
        rate_goal: Some(1_000_000.0),
        rss_goal_mib: None,
        fleet_variant: false,
    },
    Size {
        world: "outage",
        nodes: 2000,
        rate_goal: Some(1_000_000.0),
        rss_goal_mib: None,
        fleet_variant: false,
    },
    Size {
        world: "outage",
        nodes: 5000,
        rate_goal: Some(1_000_000.0),
        rss_goal_mib: None,
        fleet_variant: false,
    },
    Size {
        world: "deployments",
        nodes: 5000,
        rate_goal: None,
        rss_goal_mib: None,
        fleet_variant: true,
    },
];

/// How much more time per node a larger size may take than the smallest and still count as
/// linear (issue 14: twice the nodes in at most 2.1x the time).
const LINEAR_SLACK: f64 = 1.05;

/// How much more time per event and memory a fleet variant may take than the plain fleet
/// (issue 14, item 4).
const VARIANT_FACTOR: f64 = 2.0;

/// Runs per size when `--runs` is not given (the goals are medians of five).
const DEFAULT_RUNS: usize = 5;

pub(crate) fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let runs =
        match args {
            [] => DEFAULT_RUNS,
            [flag, count] if flag == "--runs" => count
                .parse::<usize>()
                .ok()
                .filter(|runs| *runs > 0)
                .ok_or_else(|| anyhow::anyhow!("--runs takes a positive count, not {count:?}"))?,
            _ => anyhow::bail!("usage: cargo xtask bench sim [--runs N]"),
        };
    let built = crate::cargo_command()
        .args([
            "build",
            "--release",
            "--quiet",
            "--package",
            "pullsim-benches",
            "--bin",
            "sim-fleet",
        ])
        .current_dir(root)
        .status()
        .map_err(|err| anyhow::anyhow!("could not start cargo build: {err}"))?;
    anyhow::ensure!(built.success(), "building sim-fleet failed");
    let binary = root.join("target/release/sim-fleet");
    // The smallest size of the current world: (world, nodes, median seconds).
    let mut smallest: Option<(&str, u32, f64)> = None;
    // The plain fleet at 5,000 nodes, which its variants are judged against.
    let mut plain_fleet: Option<FleetLine> = None;
    for size in &SIZES {
        let mut lines = Vec::with_capacity(runs);
        for _ in 0..runs {
            let output = Command::new(&binary)
                .args(["--world", size.world, "--nodes", &size.nodes.to_string()])
                .current_dir(root)
                .output()
                .map_err(|err| anyhow::anyhow!("could not start {}: {err}", binary.display()))?;
            let stdout = String::from_utf8_lossy(&output.stdout);
            eprint!("{}", String::from_utf8_lossy(&output.stderr));
            anyhow::ensure!(
                output.status.success(),
                "sim-fleet --world {} --nodes {} failed",
                size.world,
                size.nodes
            );
            let line = FleetLine::parse(&stdout)
                .ok_or_else(|| anyhow::anyhow!("sim-fleet printed an unexpected line: {stdout}"))?;
            lines.push(line);
        }
        let Some(median) = FleetLine::median(&lines) else {
            anyhow::bail!(
                "sim-fleet --world {} gave runs that disagree on their events (a change in behaviour between runs)",
                size.world
            );
        };
        println!("{}", median.judged(runs, size));
        if size.world == "fleet" && size.nodes == 5000 {
            plain_fleet = Some(median.clone());
        }
        if size.fleet_variant
            && let Some(fleet) = &plain_fleet
        {
            println!("{}", against_fleet(size.world, &median, fleet));
        }
        match smallest {
            Some((world, nodes, secs)) if world == size.world => {
                println!("{}", growth(world, nodes, secs, size.nodes, median.secs));
            }
            _ => smallest = Some((size.world, size.nodes, median.secs)),
        }
    }
    Ok(())
}

/// The line about time against nodes: `sim outage: 5x the nodes (1000 -> 5000) took 5.10x the time: linear (goal: at most 5.25x)`.
fn growth(world: &str, from: u32, from_secs: f64, to: u32, to_secs: f64) -> String {
    let nodes = f64::from(to) / f64::from(from);
    let time = to_secs / from_secs;
    let most = nodes * LINEAR_SLACK;
    let verdict = if time <= most {
        "linear, goal met"
    } else {
        "more than linear, goal not met"
    };
    format!(
        "sim {world}: {nodes}x the nodes ({from} -> {to}) took {time:.2}x the time: {verdict} (at most {most:.2}x)"
    )
}

/// The line about a fleet variant against the plain fleet: `sim deployments: 1.24 us per
/// event, 3.36x the plain fleet's 0.37 us (goal at most 2x): not met; peak RSS 174 MiB,
/// 0.87x the fleet's 199 MiB (goal at most 2x): met`.
fn against_fleet(world: &str, variant: &FleetLine, fleet: &FleetLine) -> String {
    let met = |yes: bool| if yes { "met" } else { "not met" };
    let per_event = |line: &FleetLine| line.secs * 1e6 / (line.events.max(1) as f64);
    let time = per_event(variant) / per_event(fleet);
    let memory = match (variant.rss_mib, fleet.rss_mib) {
        (Some(mine), Some(theirs)) if theirs > 0 => {
            let ratio = mine as f64 / theirs as f64;
            format!(
                "peak RSS {mine} MiB, {ratio:.2}x the fleet's {theirs} MiB (goal at most {VARIANT_FACTOR}x): {}",
                met(ratio <= VARIANT_FACTOR)
            )
        }
        _ => "peak RSS unknown".to_owned(),
    };
    format!(
        "sim {world}: {:.2} us per event, {time:.2}x the plain fleet's {:.2} us (goal at most {VARIANT_FACTOR}x): {}; {memory}",
        per_event(variant),
        per_event(fleet),
        met(time <= VARIANT_FACTOR)
    )
}

/// The figures of one `sim <world>: ...` line of `sim-fleet`.
#[derive(Debug, Clone, PartialEq)]
struct FleetLine {
    /// Everything before ` events in `, the event count included.
    head: String,
    events: u64,
    secs: f64,
    rss_mib: Option<u64>,
}

impl FleetLine {
    /// Reads `sim fleet: ... : <events> events in <secs> s wall = <rate> events/s, peak RSS <mib> MiB`.
    fn parse(line: &str) -> Option<FleetLine> {
        let line = line.trim_end();
        let (head, rest) = line.split_once(" events in ")?;
        let events = head.rsplit_once(' ')?.1.parse().ok()?;
        let secs = rest.split_once(" s wall")?.0.parse().ok()?;
        let rss_mib = rest
            .split_once("peak RSS ")
            .and_then(|(_, mib)| mib.split_once(" MiB"))
            .and_then(|(mib, _)| mib.parse().ok());
        Some(FleetLine {
            head: head.to_owned(),
            events,
            secs,
            rss_mib,
        })
    }

    /// The runs' median wall time with the largest peak RSS, or `None` when the runs did
    /// not all process the same events (or there are none).
    fn median(lines: &[FleetLine]) -> Option<FleetLine> {
        let first = lines.first()?;
        if lines.iter().any(|line| line.head != first.head) {
            return None;
        }
        let mut secs: Vec<f64> = lines.iter().map(|line| line.secs).collect();
        secs.sort_by(f64::total_cmp);
        let middle = secs.len() / 2;
        let median = if secs.len() % 2 == 1 {
            secs[middle]
        } else {
            (secs[middle - 1] + secs[middle]) / 2.0
        };
        Some(FleetLine {
            secs: median,
            rss_mib: lines.iter().filter_map(|line| line.rss_mib).max(),
            ..first.clone()
        })
    }

    fn rate(&self) -> f64 {
        self.events as f64 / self.secs.max(1e-9)
    }

    /// The line as `sim-fleet` prints it, with how many runs it is the median of and the
    /// goals of `size` against it.
    fn judged(&self, runs: usize, size: &Size) -> String {
        let met = |yes: bool| if yes { "met" } else { "not met" };
        let rss = self
            .rss_mib
            .map_or_else(|| "?".to_owned(), |mib| mib.to_string());
        let mut goals = Vec::new();
        if let Some(least) = size.rate_goal {
            goals.push(format!(
                "goal >= {least:.0} events/s: {}",
                met(self.rate() >= least)
            ));
        }
        if let Some(most) = size.rss_goal_mib {
            let within = self.rss_mib.is_some_and(|mib| mib <= most);
            goals.push(format!("goal <= {most} MiB: {}", met(within)));
        }
        if size.fleet_variant {
            goals.push("judged against the plain fleet on the next line".to_owned());
        }
        let goals = goals.join(", ");
        format!(
            "{} events in {:.2} s wall = {:.0} events/s, peak RSS {rss} MiB (median of {runs} runs; {goals})",
            self.head,
            self.secs,
            self.rate()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = "sim fleet: 5000 nodes, 100000 pods, 6 virtual hours: 3397748 events in 2.07 s wall = 1644246 events/s, peak RSS 242 MiB\n";

    #[test]
    fn reads_the_figures_of_a_fleet_line() {
        let line = FleetLine::parse(LINE).unwrap_or_else(|| panic!("parses"));
        assert_eq!(line.events, 3_397_748);
        assert_eq!(line.secs, 2.07);
        assert_eq!(line.rss_mib, Some(242));
        assert_eq!(
            line.head,
            "sim fleet: 5000 nodes, 100000 pods, 6 virtual hours: 3397748"
        );
        assert_eq!(FleetLine::parse("sim-fleet: time limit reached"), None);
    }

    #[test]
    fn the_median_takes_the_middle_time_and_the_largest_memory() {
        let at = |secs: f64, rss: u64| FleetLine {
            secs,
            rss_mib: Some(rss),
            ..FleetLine::parse(LINE).unwrap_or_else(|| panic!("parses"))
        };
        let median = FleetLine::median(&[at(3.0, 200), at(1.0, 250), at(2.0, 240)]);
        assert_eq!(median, Some(at(2.0, 250)));
        let even = FleetLine::median(&[at(3.0, 200), at(1.0, 250)]);
        assert_eq!(even.map(|line| line.secs), Some(2.0));
        let mut other = at(1.0, 1);
        other.head.push('9');
        assert_eq!(FleetLine::median(&[at(1.0, 1), other]), None);
        assert_eq!(FleetLine::median(&[]), None);
    }

    #[test]
    fn says_whether_each_goal_is_met() {
        let line = FleetLine::parse(LINE).unwrap_or_else(|| panic!("parses"));
        let judged = line.judged(5, &SIZES[0]);
        assert_eq!(
            judged,
            "sim fleet: 5000 nodes, 100000 pods, 6 virtual hours: 3397748 events in 2.07 s wall = 1641424 events/s, peak RSS 242 MiB (median of 5 runs; goal >= 3000000 events/s: not met, goal <= 256 MiB: met)"
        );
        assert!(
            line.judged(1, &SIZES[2])
                .ends_with("(median of 1 runs; goal >= 1000000 events/s: met)")
        );
    }

    #[test]
    fn a_fleet_variant_is_judged_per_event_against_the_plain_fleet() {
        let fleet = FleetLine::parse(LINE).unwrap_or_else(|| panic!("parses"));
        let variant = FleetLine::parse(
            "sim deployments: 5000 nodes, 100000 pods, 6 virtual hours: 1074495 events in 1.34 s wall = 801862 events/s, peak RSS 174 MiB",
        )
        .unwrap_or_else(|| panic!("parses"));
        assert_eq!(
            against_fleet("deployments", &variant, &fleet),
            "sim deployments: 1.25 us per event, 2.05x the plain fleet's 0.61 us (goal at most 2x): not met; peak RSS 174 MiB, 0.72x the fleet's 242 MiB (goal at most 2x): met"
        );
        let quicker = FleetLine {
            secs: 1.0,
            ..variant.clone()
        };
        assert!(against_fleet("deployments", &quicker, &fleet).contains("(goal at most 2x): met;"));
        assert!(
            variant
                .judged(3, &SIZES[5])
                .ends_with("(median of 3 runs; judged against the plain fleet on the next line)")
        );
    }

    #[test]
    fn linear_growth_allows_five_percent_per_node() {
        assert_eq!(
            growth("outage", 1000, 1.0, 2000, 2.1),
            "sim outage: 2x the nodes (1000 -> 2000) took 2.10x the time: linear, goal met (at most 2.10x)"
        );
        assert!(growth("outage", 1000, 1.0, 5000, 5.3).contains("goal not met"));
    }
}
