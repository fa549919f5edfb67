//! `cargo xtask bench sim`: builds the `sim-fleet` binary in release mode and runs the
//! fleet of the simulator issue (5,000 nodes x 20 pods, 6 virtual hours, a tag move every
//! ten minutes, a twenty-minute outage), then the same with twice the nodes, so the
//! scaling shows. Each run prints one line:
//! `sim fleet: <nodes> nodes, <pods> pods, <hours> virtual hours: <events> events in <secs> s wall = <rate> events/s, peak RSS <mib> MiB`.
//! Each run is its own process, so each peak RSS is its own.

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
    for nodes in NODES {
        let status = Command::new(&binary)
            .args(["--nodes", &nodes.to_string(), "--hours", "6"])
            .current_dir(root)
            .status()
            .map_err(|err| anyhow::anyhow!("could not start {}: {err}", binary.display()))?;
        anyhow::ensure!(status.success(), "sim-fleet --nodes {nodes} failed");
    }
    Ok(())
}
