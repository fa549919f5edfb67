//! The `hosts.toml` Spegel writes into a node's containerd `config_path` at start.
//!
//! Source: spegel `pkg/oci/containerd/mirror.go` (`AddMirrorConfiguration`, `templateHosts`):
//! one directory per mirrored registry (or `_default` when the list is empty, i.e. every
//! registry), existing files replaced (`--prepend-existing=false`), holding
//!
//! ```toml
//! server = 'https://registry-1.docker.io'
//!
//! [host.'http://<node-ip>:30020']
//! capabilities = ['pull', 'resolve']
//! dial_timeout = '200ms'
//! ```
//!
//! `resolve` is there because `--resolve-tags` defaults to true. For `_default` there is no
//! single upstream, so no `server` line: containerd then falls back to the requested registry.

use crate::hosts::{ContainerdVersion, DEFAULT_DIRECTORY, HostsDirectory};

use super::constants::{DIAL_TIMEOUT_TEXT, DOCKER_HUB_UPSTREAM, NODE_PORT};

/// The `server` Spegel writes for `registry`: `docker.io` is rewritten to Docker Hub's API host.
pub fn upstream_server(registry: &str) -> String {
    if registry == "docker.io" {
        DOCKER_HUB_UPSTREAM.to_owned()
    } else {
        format!("https://{registry}")
    }
}

/// The text of the `hosts.toml` for `registry` (`None` = the `_default` directory) on the node
/// at `node_address`, with tag resolution through Spegel when `resolve_tags`.
pub fn spegel_hosts_toml(node_address: &str, registry: Option<&str>, resolve_tags: bool) -> String {
    let mut text = String::new();
    if let Some(registry) = registry {
        text.push_str(&format!("server = '{}'\n\n", upstream_server(registry)));
    }
    let capabilities = if resolve_tags {
        "['pull', 'resolve']"
    } else {
        "['pull']"
    };
    text.push_str(&format!(
        "[host.'http://{node_address}:{NODE_PORT}']\ncapabilities = {capabilities}\ndial_timeout = '{DIAL_TIMEOUT_TEXT}'\n"
    ));
    text
}

/// The node's whole `config_path` after Spegel starts: one directory per registry in
/// `registries`, or `_default` alone when it is empty.
pub fn spegel_hosts_directory(
    version: ContainerdVersion,
    node_address: &str,
    registries: &[String],
    resolve_tags: bool,
) -> HostsDirectory {
    let mut directory = HostsDirectory::new(version);
    if registries.is_empty() {
        directory.insert_toml(
            DEFAULT_DIRECTORY,
            &spegel_hosts_toml(node_address, None, resolve_tags),
        );
    }
    for registry in registries {
        directory.insert_toml(
            registry,
            &spegel_hosts_toml(node_address, Some(registry), resolve_tags),
        );
    }
    directory
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::{Capabilities, HostsDir, hosts_for};
    use std::time::Duration;

    #[test]
    fn docker_hub_file_text() {
        assert_eq!(
            spegel_hosts_toml("10.0.0.7", Some("docker.io"), true),
            "server = 'https://registry-1.docker.io'\n\n[host.'http://10.0.0.7:30020']\ncapabilities = ['pull', 'resolve']\ndial_timeout = '200ms'\n"
        );
    }

    #[test]
    fn containerd_tries_spegel_first_then_the_upstream() {
        let dir = spegel_hosts_directory(
            ContainerdVersion::V2_1,
            "10.0.0.7",
            &["docker.io".to_owned()],
            true,
        );
        assert!(matches!(
            dir.lookup("docker.io"),
            Some(("docker.io", HostsDir::Hosts(_)))
        ));
        let hosts = hosts_for("docker.io", &dir);
        assert_eq!(hosts.len(), 2);
        assert_eq!(hosts[0].host, "10.0.0.7:30020");
        assert_eq!(hosts[0].scheme, "http");
        assert_eq!(
            hosts[0].capabilities,
            Capabilities {
                pull: true,
                resolve: true,
                push: false
            }
        );
        assert_eq!(hosts[0].dial_timeout, Some(Duration::from_millis(200)));
        assert_eq!(hosts[1].host, "registry-1.docker.io");
        // A registry Spegel does not mirror keeps containerd's default: the upstream alone.
        assert_eq!(hosts_for("quay.io", &dir).len(), 1);
    }

    #[test]
    fn an_empty_list_mirrors_every_registry_through_default() {
        let dir = spegel_hosts_directory(ContainerdVersion::V2_1, "10.0.0.7", &[], false);
        assert!(matches!(
            dir.lookup("quay.io"),
            Some(("_default", HostsDir::Hosts(_)))
        ));
        let hosts = hosts_for("quay.io", &dir);
        assert_eq!(hosts[0].host, "10.0.0.7:30020");
        assert_eq!(hosts[0].capabilities, Capabilities::PULL);
        assert_eq!(hosts.last().map(|h| h.host.as_str()), Some("quay.io"));
    }

    #[test]
    fn dial_timeout_is_ignored_before_containerd_2_1() {
        let dir = spegel_hosts_directory(
            ContainerdVersion::V2_0,
            "10.0.0.7",
            &["docker.io".to_owned()],
            true,
        );
        let hosts = hosts_for("docker.io", &dir);
        assert_eq!(hosts[0].dial_timeout, None);
    }
}
