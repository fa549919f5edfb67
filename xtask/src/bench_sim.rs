//! `cargo xtask bench sim`: builds the `sim-fleet` binary in release mode and runs the
//! fleet of the simulator issue (5,000 nodes x 20 pods, 6 virtual hours, a tag move every
//! ten minutes, a twenty-minute outage), then the same with twice the nodes, so the
//! scaling shows. Each run prints one line:
//! `sim fleet: <nodes> nodes, <pods> pods, <hours> virtual hours: <events> events in <secs> s wall = <rate> events/s, peak RSS <mib> MiB`.
//! Each run is its own process, so each peak RSS is its own. A last line gives how much
//! longer twice the nodes took (the issue asks for at most 2.3x).

use std::path::Path;
use std::process::Command;

/// The node counts to run.
const NODES: [u32; 2] = [5000, 10_000];

pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
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
    let mut seconds = Vec::new();
    for nodes in NODES {
        let output = Command::new(&binary)
            .args(["--nodes", &nodes.to_string(), "--hours", "6"])
            .current_dir(root)
            .output()
            .map_err(|err| anyhow::anyhow!("could not start {}: {err}", binary.display()))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        print!("{stdout}");
        eprint!("{}", String::from_utf8_lossy(&output.stderr));
        anyhow::ensure!(output.status.success(), "sim-fleet --nodes {nodes} failed");
        seconds.push(wall_seconds(&stdout));
    }
    if let [Some(one), Some(two)] = seconds[..] {
        println!(
            "sim fleet: {}x the nodes took {:.2}x the time",
            NODES[1] / NODES[0],
            two / one
        );
    }
    Ok(())
}

/// The wall time a `sim fleet: ...` line reports (`... events in <secs> s wall ...`).
fn wall_seconds(line: &str) -> Option<f64> {
    let (_, rest) = line.split_once(" events in ")?;
    rest.split_once(" s wall")?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_wall_time_of_a_fleet_line() {
        let line = "sim fleet: 5000 nodes, 100000 pods, 6 virtual hours: 3397748 events in 2.07 s wall = 1644246 events/s, peak RSS 242 MiB\n";
        assert_eq!(wall_seconds(line), Some(2.07));
        assert_eq!(wall_seconds("sim-fleet: time limit reached"), None);
    }
}
