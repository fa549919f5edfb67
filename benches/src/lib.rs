//! Inputs shared by pullsim's criterion benches (the benches themselves are in `benches/`),
//! and the simulator's worlds that `cargo xtask bench sim` runs: `benches/fleet.yaml` (the
//! fleet, [`fleet_scenario`]) and `benches/outage.yaml` (the outage-shaped fleet,
//! [`outage_scenario`]), scenario files run by `pullsim_scenario::run::simulate`.
//!
//! Keeping the inputs here lets a test check that they are what the benches claim: valid
//! references of realistic shapes, and a keyring of realistic size.

use pullsim_scenario::Scenario;

/// The fleet's scenario file, `benches/fleet.yaml`, built into the binaries.
pub const FLEET_YAML: &str = include_str!("../fleet.yaml");

/// The fleet of `cargo xtask bench sim`, read from [`FLEET_YAML`]; the error lists every
/// mistake with its line and column.
pub fn fleet_scenario() -> Result<Scenario, String> {
    Scenario::parse("benches/fleet.yaml", FLEET_YAML).map_err(|errors| errors.to_string())
}

/// The outage-shaped fleet's scenario file, `benches/outage.yaml`, built into the binaries:
/// one pod per node, created while the registry answers 503 for an hour, run until every
/// pod is Running.
pub const OUTAGE_YAML: &str = include_str!("../outage.yaml");

/// The outage-shaped fleet of `cargo xtask bench sim`, read from [`OUTAGE_YAML`].
pub fn outage_scenario() -> Result<Scenario, String> {
    Scenario::parse("benches/outage.yaml", OUTAGE_YAML).map_err(|errors| errors.to_string())
}

/// The Deployment-based fleet (`benches/deployments.yaml`): the fleet's registry and
/// timeline with twenty Deployments placed by the scheduler and restarted once each.
pub const DEPLOYMENTS_YAML: &str = include_str!("../deployments.yaml");

/// The Deployment-based fleet of `cargo xtask bench sim`, read from [`DEPLOYMENTS_YAML`].
pub fn deployments_scenario() -> Result<Scenario, String> {
    Scenario::parse("benches/deployments.yaml", DEPLOYMENTS_YAML)
        .map_err(|errors| errors.to_string())
}

/// A world `sim-fleet --world NAME` runs: its name and its scenario.
pub fn world_scenario(name: &str) -> Option<Result<Scenario, String>> {
    match name {
        "fleet" => Some(fleet_scenario()),
        "outage" => Some(outage_scenario()),
        "deployments" => Some(deployments_scenario()),
        _ => None,
    }
}

use pullsim_model::credentials::{
    BasicDockerKeyring, CredentialSource, DockerConfig, DockerConfigEntry,
};

/// References of the shapes clusters use, from a bare Docker Hub name to a private registry
/// with port, deep path, tag and digest.
pub const REFERENCES: [&str; 10] = [
    "nginx",
    "nginx:1.25",
    "library/redis:7.2-alpine",
    "quay.io/prometheus/node-exporter:v1.8.2",
    "registry.k8s.io/kube-apiserver:v1.31.0",
    "gcr.io/distroless/static-debian12@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "registry.example.com:5000/team/platform/api:2024.11.26-abcdef0",
    "ghcr.io/org/app:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "[::1]:5000/repo:v1",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/service/backend:release-42",
];

/// A keyring shaped like a busy node's: `hosts` registries, each with a host key, a team path
/// key and a wildcard key.
pub fn keyring(hosts: usize) -> BasicDockerKeyring {
    let mut config = DockerConfig::new();
    for host in 0..hosts {
        let entry = DockerConfigEntry {
            username: format!("user{host}"),
            password: "pw".to_owned(),
            email: String::new(),
        };
        config.insert(format!("registry{host}.example.com"), entry.clone());
        config.insert(
            format!("https://registry{host}.example.com/v2/team"),
            entry.clone(),
        );
        config.insert(format!("*.mirror{host}.example.com"), entry);
    }
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&CredentialSource::NodeConfig { index: 0 }, &config);
    keyring
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_inputs_are_valid_and_match() {
        for reference in REFERENCES {
            assert!(
                pullsim_model::Reference::parse_normalized_named(reference).is_ok(),
                "{reference}"
            );
        }
        let keyring = keyring(50);
        assert_eq!(keyring.index().len(), 150);
        assert_eq!(keyring.lookup("registry7.example.com/team/app").len(), 2);
        assert_eq!(keyring.lookup("eu.mirror7.example.com/app").len(), 1);
    }

    /// The outage-shaped fleet does what its file says: every pod sits in back-off through
    /// the outage, and the run ends when every pod is Running, after the outage.
    #[test]
    fn the_outage_fleet_waits_out_the_outage() {
        use pullsim_scenario::run::simulate::{Overrides, Trace, simulate};
        let scenario = outage_scenario().unwrap_or_else(|errors| panic!("{errors}"));
        let overrides = Overrides {
            nodes: Some(20),
            ..Overrides::default()
        };
        let run = simulate(&scenario, Trace::Off, &overrides);
        assert_eq!(run.failure(), None);
        let metrics = run.metrics();
        assert_eq!(metrics.pulls_succeeded, 20);
        assert!(metrics.pulls_failed > 20, "every pod retried in back-off");
        let hour = pullsim_model::SimTime::from_secs(3600);
        assert!(run.end() > hour && run.end() < hour + std::time::Duration::from_secs(600));
        assert!(world_scenario("outage").is_some() && world_scenario("nope").is_none());
    }

    /// The simulator skips texts nobody reads when it keeps no trace (events, quoted
    /// references, durations); the run must be the same: as many events, the same metrics.
    #[test]
    fn keeping_no_trace_changes_nothing_but_the_trace() {
        use pullsim_scenario::run::simulate::{Overrides, Trace, simulate};
        let scenario = fleet_scenario().unwrap_or_else(|errors| panic!("{errors}"));
        let overrides = Overrides {
            seed: Some(7),
            nodes: Some(12),
            until: Some(std::time::Duration::from_secs(4 * 3600)),
        };
        let full = simulate(&scenario, Trace::Full, &overrides);
        let off = simulate(&scenario, Trace::Off, &overrides);
        assert_eq!((full.failure(), off.failure()), (None, None));
        assert!(full.trace_records() > 0 && off.trace_records() == 0);
        assert_eq!(off.events(), full.events());
        assert_eq!(off.metrics(), full.metrics());
        let metrics = full.metrics();
        assert!(metrics.pulls_failed > 0, "the outage made pulls fail");
        assert!(metrics.pulls_avoided > 0 && metrics.pulls_succeeded > 0);
    }
}
