//! Malformed workload objects, credential providers and plugins: each mistake at its own
//! place, in the pasted object or in the file beside the scenario.

use pullsim_scenario::Scenario;

use super::{check, edit};

#[test]
fn workload_objects_are_checked_where_they_are_written() {
    check(
        &edit(
            "  - apiVersion: v1\n    kind: Pod",
            "  - apiVersion: apps/v1\n    kind: Deployment\n    runFor: 0s",
        ),
        &[
            "x.yaml:12:13: runFor must be longer than 0s",
            // `containers` straight under a Deployment's spec is not its template.
            "x.yaml:15:7: missing field \"template\"",
        ],
    );
    check(
        &edit(
            "run: {for: 10m}",
            "timeline:\n  - {at: 1m, createPod: {kind: Deployment, metadata: {name: x}, spec: {containers: [{name: c, image: registry.example.com/app:v1}]}}}\nrun: {for: 10m}",
        ),
        // createPod creates bare Pods only.
        &["x.yaml:18:32: kind \"Deployment\" does not belong here (expected Pod)"],
    );
}

#[test]
fn credential_providers_and_plugins_are_checked_where_they_are_written() {
    let plugins = "credentialPlugins:\n  - name: vault\n    answers: [{image: registry.example.com, username: u, password: p, cacheKeyType: Registry}]\nnodes:";
    let providers = |provider: &str| {
        edit(
            "nodes:\n  - pool: workers\n    count: 2",
            &format!(
                "{plugins}\n  - pool: workers\n    count: 2\n    kubelet:\n      credentialProviders:\n        apiVersion: kubelet.config.k8s.io/v1\n        kind: CredentialProviderConfig\n        providers:\n          - {provider}"
            ),
        )
    };
    let valid = "{name: vault, matchImages: [registry.example.com], defaultCacheDuration: 10m, apiVersion: credentialprovider.kubelet.k8s.io/v1}";
    check(&providers(valid), &[]);
    // The kubelet's own message, at the value's line and column in the scenario.
    check(
        &providers(&valid.replace("10m", "10 minutes")),
        &["x.yaml:17:86: time: unknown unit \" minutes\" in duration \"10 minutes\""],
    );
    // A provider no plugin answers for: the kubelet would not find its binary.
    check(
        &providers(&valid.replace("name: vault", "name: ecr")),
        &[
            "x.yaml:14:9: credential provider \"ecr\" has no plugin in credentialPlugins (the kubelet would not start without its binary)",
        ],
    );
    check(
        &edit(
            "nodes:",
            "credentialPlugins:\n  - name: vault\n    answers: [{image: registry.example.com, username: u, password: {currentOf: nowhere.example.com}, cacheKeyType: Shared}]\nnodes:",
        ),
        &[
            "x.yaml:8:80: unknown registry \"nowhere.example.com\" (expected registry.example.com)",
            "x.yaml:8:116: unknown cacheKeyType \"Shared\" (expected Image, Registry or Global)",
        ],
    );
}

#[test]
fn a_credential_provider_config_file_is_read_beside_the_scenario() {
    let text = edit(
        "nodes:\n  - pool: workers\n    count: 2",
        "credentialPlugins:\n  - name: vault\n    answers: [{image: registry.example.com, username: u, password: p, cacheKeyType: Registry}]\nnodes:\n  - pool: workers\n    count: 2\n    kubelet:\n      credentialProviders: {file: kubelet/providers.yaml}",
    );
    let config = "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n  - name: vault\n    matchImages: [registry.example.com]\n    defaultCacheDuration: -1h\n    apiVersion: credentialprovider.kubelet.k8s.io/v1\n";
    let mut source = |path: &str| match path {
        "kubelet/providers.yaml" => Ok(config.as_bytes().to_vec()),
        _ => Err("no such file".to_owned()),
    };
    let errors = Scenario::parse_with("dir/x.yaml", &text, &mut source)
        .expect_err("a negative defaultCacheDuration is refused");
    assert_eq!(
        errors.to_string().lines().collect::<Vec<_>>(),
        [
            "dir/kubelet/providers.yaml:6:27: failed to validate credential provider config: providers.defaultCacheDuration: Invalid value: \"-1h0m0s\": must be greater than or equal to 0"
        ]
    );
    let fixed = config.replace("-1h", "1h");
    let mut source = |_: &str| Ok(fixed.as_bytes().to_vec());
    let scenario = Scenario::parse_with("dir/x.yaml", &text, &mut source).expect("valid");
    let providers = &scenario.node_pools[0].kubelet.credential_providers;
    assert_eq!(providers.len(), 1);
    assert_eq!(
        providers[0].default_cache_duration,
        std::time::Duration::from_secs(3600)
    );
    assert_eq!(scenario.credential_plugins[0].name, "vault");
}

#[test]
fn plugin_outages_name_a_described_plugin() {
    let text = edit(
        "nodes:",
        "credentialPlugins:\n  - {name: vault, answers: []}\nnodes:",
    )
    .replace(
        "run: {for: 10m}",
        "timeline:\n  - {at: 1m, pluginOutage: {plugin: valut, until: 30s, mode: stall}}\n  - {at: 2m, setPassword: {registry: registry.example.com, account: 'a:b', password: p}}\nrun: {for: 10m}",
    );
    check(
        &text,
        &[
            "x.yaml:20:37: unknown credential plugin \"valut\" (did you mean vault? expected vault)",
            "x.yaml:20:51: an outage must end after it starts",
            "x.yaml:20:62: unknown mode \"stall\" (expected exit or hang)",
            "x.yaml:21:69: an account's name must be non-empty and have no ':'",
        ],
    );
}
