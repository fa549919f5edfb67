//! `containerd:` in a node pool: the release and the hosts directory, written as YAML fields,
//! literal hosts.toml text or a file; a hosts.toml containerd would ignore is an error unless
//! `allowInvalid: true`.

use pullsim_model::hosts::{
    ContainerdVersion, HostsDir, Operation, hosts_for, hosts_for_operation,
};
use pullsim_scenario::Scenario;

const HEAD: &str = "name: r\ndescription: d\nnodes:\n  - pool: node\n";

fn read(text: &str) -> Scenario {
    Scenario::parse("r.yaml", text).unwrap_or_else(|errors| panic!("{errors}"))
}

fn error(text: &str) -> String {
    match Scenario::parse("r.yaml", text) {
        Ok(_) => panic!("expected an error"),
        Err(errors) => errors.to_string(),
    }
}

#[test]
fn a_pool_without_containerd_is_2_0_without_a_directory() {
    let scenario = read(HEAD);
    let containerd = &scenario.node_pools[0].containerd;
    assert_eq!(containerd.version, ContainerdVersion::V2_0);
    assert!(containerd.hosts.is_none());
}

#[test]
fn yaml_and_toml_directories_read_in_containerd_order() {
    let scenario = read(&format!(
        "{HEAD}    containerd:
      version: \"2.1\"
      hosts:
        docker.io:
          host:
            http://mirror.internal:5000: {{capabilities: [pull, resolve], dial_timeout: 200ms}}
        registry.example.com:5000: {{toml: \"[host.\\\"https://cache.internal\\\"]\\n  capabilities = [\\\"pull\\\"]\\n\"}}
"
    ));
    let containerd = &scenario.node_pools[0].containerd;
    assert_eq!(containerd.version, ContainerdVersion::V2_1);
    let dir = containerd.hosts.as_ref().unwrap();
    assert_eq!(dir.version, ContainerdVersion::V2_1);
    let urls = |registry: &str, op| -> Vec<String> {
        hosts_for_operation(&hosts_for(registry, dir), op)
            .iter()
            .map(pullsim_model::hosts::RegistryHost::base_url)
            .collect()
    };
    assert_eq!(
        urls("docker.io", Operation::Resolve),
        [
            "http://mirror.internal:5000/v2",
            "https://registry-1.docker.io/v2"
        ]
    );
    assert_eq!(
        urls("registry.example.com:5000", Operation::Resolve),
        ["https://registry.example.com:5000/v2"]
    );
    assert_eq!(
        urls("registry.example.com:5000", Operation::Fetch),
        [
            "https://cache.internal/v2",
            "https://registry.example.com:5000/v2"
        ]
    );
}

#[test]
fn an_invalid_hosts_toml_is_an_error_at_its_place_unless_allowed() {
    let text = format!(
        "{HEAD}    containerd:\n      hosts:\n        docker.io: {{toml: \"server = [\\n\"}}\n"
    );
    let message = error(&text);
    assert!(
        message.starts_with("r.yaml:7:27: invalid hosts.toml (containerd would ignore it; allowInvalid: true keeps it): line 1"),
        "{message}"
    );
    let allowed = read(&text.replace("hosts:", "allowInvalid: true\n      hosts:"));
    let dir = allowed.node_pools[0].containerd.hosts.as_ref().unwrap();
    assert!(matches!(
        dir.lookup("docker.io"),
        Some((_, HostsDir::Invalid(_)))
    ));
    assert!(
        dir.decode_error("/etc/containerd/certs.d", "docker.io")
            .unwrap()
            .starts_with("failed to decode /etc/containerd/certs.d/docker.io/hosts.toml: ")
    );
    let yaml = error(&format!(
        "{HEAD}    containerd:\n      hosts:\n        docker.io:\n          capabilities: [pull, push, fly]\n"
    ));
    assert!(yaml.starts_with("r.yaml:"), "{yaml}");
    assert!(
        yaml.contains("invalid hosts.toml (containerd would ignore it)"),
        "{yaml}"
    );
}

#[test]
fn unknown_versions_and_fields_are_named() {
    assert_eq!(
        error(&format!("{HEAD}    containerd: {{version: \"1.6\"}}\n")),
        "r.yaml:5:27: unknown containerd version \"1.6\" (expected one of 1.7, 2.0, 2.1, 2.2, 2.3)"
    );
    let message = error(&format!("{HEAD}    containerd: {{hostz: {{}}}}\n"));
    assert!(message.contains("hostz"), "{message}");
    let message = error(&format!("{HEAD}    containerd: {{hosts: [docker.io]}}\n"));
    assert!(
        message.contains("expected hosts by directory name"),
        "{message}"
    );
}
