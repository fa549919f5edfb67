//! Inputs shared by pullsim's criterion benches (the benches themselves are in `benches/`),
//! and the simulator's fleet ([`fleet`]) that `cargo xtask bench sim` runs.
//!
//! Keeping the inputs here lets a test check that they are what the benches claim: valid
//! references of realistic shapes, and a keyring of realistic size.

pub mod fleet;

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
}
