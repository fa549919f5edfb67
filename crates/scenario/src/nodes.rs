//! `nodes:`: pools of identical nodes, each with a platform, network links to the
//! registries, images loaded before the run, docker config files, and the kubelet's pull
//! settings.
//!
//! ```yaml
//! nodes:
//!   - pool: arm
//!     count: 3                          # nodes arm-0, arm-1, arm-2
//!     platform: linux/arm64/v8          # default linux/amd64
//!     labels: {disk: ssd}
//!     bandwidth: 100Mbit/s              # default 1Gbit/s
//!     latency: 20ms                     # round trip; default 10ms
//!     links:
//!       registry.example.com: {bandwidth: 1Gbit/s, latency: 2ms}
//!     prepulled: [registry.example.com/team/app:v1]
//!     configFiles:
//!       - path: /var/lib/kubelet/config.json      # the default path
//!         content: {auths: {"*.example.com": {auth: dXNlcjpwYXNz}}}
//!     kubelet:
//!       serializeImagePulls: false
//!       maxParallelImagePulls: 3
//!       registryPullQPS: 5
//!       registryBurst: 10
//!       imagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages
//!       preloadedImagesVerificationAllowlist: [registry.example.com/base/*]
//!       credentialProviders: {file: kubelet/providers.yaml}   # or inline; see `providers`
//!     containerd: {version: "2.1", hosts: {docker.io: {toml: "..."}}}   # see `containerd_hosts`
//! ```
//!
//! The pools are read as the simulator's own [`NodePool`]s: links in bytes per second, the
//! docker config files already on the kubelet's search path, and the kubelet's settings
//! after its defaulting, written out in full.
//!
//! Kubelet settings are defaulted and validated by pullsim-model's rules, with the kubelet's
//! own messages; docker config files are kept byte for byte and must sit on the kubelet's
//! search path, because which file wins is part of what a scenario may show.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::credentials::{NodeConfigCandidate, kubelet_search_path};
use pullsim_model::go_text::quote;
use pullsim_model::kubelet_config::{KubeletConfigError, KubeletPullConfig};
use pullsim_model::verification::Allowlist;
use pullsim_model::{
    Bandwidth, CredentialVerification, KubeletPullSettings, Platform, VerificationPolicy,
    parse_image_name,
};
use pullsim_sim::{KubeletSettings, Link, NodePool};

use crate::caps::{IMAGE_MAX, within};
use crate::containerd_hosts::read_containerd;
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, bandwidth, boolean, duration, list, number, text, text_map};
use crate::providers::{ProviderFiles, read_credential_providers};
use crate::references::Known;
use crate::registries::RegistryHost;
use crate::tree::{Node, Value};

/// The kubelet's `--root-dir`, working directory and home directory on every node; they
/// place the docker config search path.
pub const KUBELET_ROOT_DIR: &str = "/var/lib/kubelet";
/// The kubelet's working directory.
pub const KUBELET_WORKING_DIR: &str = "/";
/// The kubelet user's home directory.
pub const KUBELET_HOME_DIR: &str = "/root";

/// The link of a node that says nothing: 1 Gbit/s, 10 ms round trip.
fn default_link() -> Link {
    Link {
        bandwidth_bytes_per_sec: Some(bytes_per_second(Bandwidth::GIGABIT_PER_SECOND)),
        latency: Duration::from_millis(10),
    }
}

/// The simulator's link speed: whole bytes per second, at least 1.
fn bytes_per_second(bandwidth: Bandwidth) -> u64 {
    (bandwidth.bits_per_second() / 8).max(1)
}

/// The kubelet's search path with `files` (path and bytes) in place, ready for
/// `credentials::select_node_config`.
fn node_config_candidates(files: &[(String, Vec<u8>)]) -> Vec<NodeConfigCandidate> {
    kubelet_search_path(KUBELET_ROOT_DIR, KUBELET_WORKING_DIR, KUBELET_HOME_DIR)
        .into_iter()
        .map(|(path, format)| NodeConfigCandidate {
            contents: files
                .iter()
                .find(|(file, _)| *file == path)
                .map(|(_, contents)| contents.clone()),
            path,
            format,
        })
        .collect()
}

/// The kubelet's pull settings after its defaulting, written out in full so that the
/// simulator's defaulting leaves them as they are.
fn written(settings: KubeletPullSettings) -> KubeletPullConfig {
    KubeletPullConfig {
        serialize_image_pulls: Some(settings.serialize_image_pulls),
        max_parallel_image_pulls: settings.max_parallel_image_pulls,
        registry_pull_qps: Some(settings.registry_pull_qps),
        registry_burst: Some(settings.registry_burst),
    }
}

/// What the pools are read with: the `kubernetes:` block's choices that every node's
/// kubelet takes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PoolDefaults {
    /// Whether allowlist matching normalises the image first.
    pub(crate) allowlist_normalizes: bool,
    /// The `KubeletEnsureSecretPulledImages` feature gate.
    pub(crate) ensure_secret_pulled_images: bool,
}

/// Reads `nodes:` as the simulator's pools. `defaults` are the `kubernetes:` block's
/// choices for every kubelet.
pub(crate) fn read_node_pools(
    node: &Node,
    defaults: PoolDefaults,
    registries: &[RegistryHost],
    known: &Known,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Vec<NodePool> {
    let mut pools: Vec<(NodePool, Position)> = Vec::new();
    for item in list(node, diagnostics) {
        let Some(pool) = read_pool(item, defaults, registries, known, files, diagnostics) else {
            continue;
        };
        if let Some((_, first)) = pools.iter().find(|(first, _)| first.name == pool.name) {
            diagnostics.error(
                item.position,
                format!(
                    "node pool {} is already described at line {}",
                    quote(&pool.name),
                    first.line
                ),
            );
            continue;
        }
        pools.push((pool, item.position));
    }
    pools.into_iter().map(|(pool, _)| pool).collect()
}

fn read_pool(
    node: &Node,
    defaults: PoolDefaults,
    registries: &[RegistryHost],
    known: &Known,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<NodePool> {
    let mut fields = Fields::of(node, "a node pool", diagnostics)?;
    let name = fields
        .require("pool", diagnostics)
        .and_then(|name| pool_name(name, diagnostics));
    let count = fields
        .get("count")
        .map_or(Some(1), |count| number::<u32>(count, diagnostics));
    let platform = fields
        .get("platform")
        .map_or(Some(Platform::new("linux", "amd64", "")), |platform| {
            read_platform(platform, diagnostics)
        });
    let labels = fields
        .get("labels")
        .map(|labels| text_map(labels, diagnostics))
        .unwrap_or_default();
    let default = default_link();
    let bandwidth_node = fields.get("bandwidth");
    let latency_node = fields.get("latency");
    let link = read_link_parts(bandwidth_node, latency_node, default, diagnostics);
    let links = fields
        .get("links")
        .map(|links| read_links(links, link.unwrap_or(default), known, diagnostics))
        .unwrap_or_default();
    let prepulled = fields
        .get("prepulled")
        .map(|images| {
            list(images, diagnostics)
                .iter()
                .filter_map(|image| read_prepulled(image, registries, diagnostics))
                .collect()
        })
        .unwrap_or_default();
    let config_files = fields
        .get("configFiles")
        .map(|files| read_config_files(files, diagnostics))
        .unwrap_or_default();
    let kubelet = match fields.get("kubelet") {
        Some(kubelet) => read_kubelet(kubelet, defaults, files, diagnostics),
        None => Some(KubeletSettings {
            pull: written(KubeletPullSettings::default()),
            ensure_secret_pulled_images: defaults.ensure_secret_pulled_images,
            verification: CredentialVerification {
                allowlist_normalizes: defaults.allowlist_normalizes,
                ..CredentialVerification::default()
            },
            credential_providers: Vec::new(),
        }),
    };
    let containerd = fields
        .get("containerd")
        .map_or(Some(Default::default()), |node| {
            read_containerd(node, files, diagnostics)
        });
    let egress = fields
        .get("egress")
        .and_then(|egress| text(egress, diagnostics));
    fields.finish(diagnostics);
    Some(NodePool {
        egress,
        name: name?,
        count: count?,
        platform: platform?,
        labels,
        links,
        default_link: link?,
        prepulled,
        node_config_files: node_config_candidates(&config_files),
        kubelet: kubelet?,
        containerd: containerd?,
    })
}

/// Pool names become node names, which are DNS labels: lowercase letters, digits and `-`.
fn pool_name(node: &Node, diagnostics: &mut Diagnostics) -> Option<String> {
    let name = text(node, diagnostics)?;
    let valid = name.len() <= 50
        && name
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if !valid {
        diagnostics.error(
            node.position,
            format!(
                "invalid pool name {} (expected lowercase letters, digits and '-', at most 50 characters)",
                quote(&name)
            ),
        );
        return None;
    }
    Some(name)
}

/// A node platform must parse as containerd parses it and name an OS and architecture Go
/// knows, since a node is a real machine.
fn read_platform(node: &Node, diagnostics: &mut Diagnostics) -> Option<Platform> {
    let written = text(node, diagnostics)?;
    match Platform::parse(&written) {
        Ok(platform) if platform.is_known() => Some(platform),
        Ok(_) => {
            diagnostics.error(
                node.position,
                format!(
                    "unknown platform {} (expected os/arch[/variant] such as linux/amd64, linux/arm64/v8 or linux/arm/v7)",
                    quote(&written)
                ),
            );
            None
        }
        Err(error) => {
            diagnostics.error(node.position, format!("unknown platform: {error}"));
            None
        }
    }
}

fn read_link_parts(
    bandwidth_node: Option<&Node>,
    latency_node: Option<&Node>,
    default: Link,
    diagnostics: &mut Diagnostics,
) -> Option<Link> {
    let speed = bandwidth_node.map_or(Some(default.bandwidth_bytes_per_sec), |node| {
        bandwidth(node, diagnostics).map(|speed| Some(bytes_per_second(speed)))
    });
    let delay = latency_node.map_or(Some(default.latency), |node| duration(node, diagnostics));
    Some(Link {
        bandwidth_bytes_per_sec: speed?,
        latency: delay?,
    })
}

fn read_links(
    node: &Node,
    default: Link,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> BTreeMap<String, Link> {
    let mut links = BTreeMap::new();
    let Some(entries) = node.entries() else {
        diagnostics.error(
            node.position,
            format!(
                "expected links by registry host (a mapping), found {}",
                node.describe()
            ),
        );
        return links;
    };
    for entry in entries {
        known.registry(&entry.key, entry.key_position, diagnostics);
        let Some(mut fields) = Fields::of(&entry.value, "a link", diagnostics) else {
            continue;
        };
        let bandwidth_node = fields.get("bandwidth");
        let latency_node = fields.get("latency");
        fields.finish(diagnostics);
        if let Some(link) = read_link_parts(bandwidth_node, latency_node, default, diagnostics) {
            links.insert(entry.key.clone(), link);
        }
    }
    links
}

/// A pre-pulled image must be a valid reference to an image a described registry holds at
/// the start (by tag), or a digest in a described registry.
fn read_prepulled(
    node: &Node,
    registries: &[RegistryHost],
    diagnostics: &mut Diagnostics,
) -> Option<String> {
    let image = text(node, diagnostics)?;
    if !within(
        node.position,
        &image,
        "pre-pulled image",
        IMAGE_MAX,
        diagnostics,
    ) {
        return None;
    }
    let name = match parse_image_name(&image) {
        Ok(name) => name,
        Err(error) => {
            diagnostics.error(node.position, format!("invalid pre-pulled image: {error}"));
            return None;
        }
    };
    let (host, repository) = name
        .repo
        .split_once('/')
        .unwrap_or((name.repo.as_str(), ""));
    let Some(registry) = registries.iter().find(|registry| registry.host == host) else {
        let hosts: Vec<&str> = registries
            .iter()
            .map(|registry| registry.host.as_str())
            .collect();
        diagnostics.error(
            node.position,
            format!(
                "pre-pulled image {} is on registry {}, which the scenario does not describe ({})",
                quote(&image),
                quote(host),
                if hosts.is_empty() {
                    "none are described".to_owned()
                } else {
                    format!("described: {}", hosts.join(", "))
                }
            ),
        );
        return None;
    };
    if name.digest.is_none()
        && let Some(tag) = name.tag.as_deref()
        && !registry.has_tag(repository, tag)
    {
        diagnostics.error(
            node.position,
            format!(
                "pre-pulled image {}: registry {host} has no image {repository}:{tag} at the start",
                quote(&image)
            ),
        );
        return None;
    }
    Some(image)
}

/// Reads `configFiles:`: each file's path (on the kubelet's search path) and its bytes, as
/// written (a mapping is written out as JSON).
fn read_config_files(node: &Node, diagnostics: &mut Diagnostics) -> Vec<(String, Vec<u8>)> {
    let search_path = kubelet_search_path(KUBELET_ROOT_DIR, KUBELET_WORKING_DIR, KUBELET_HOME_DIR);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for item in list(node, diagnostics) {
        let Some(mut fields) = Fields::of(item, "a docker config file", diagnostics) else {
            continue;
        };
        let path_node = fields.get("path");
        let content = fields.require("content", diagnostics);
        fields.finish(diagnostics);
        let path = match path_node {
            Some(path) => text(path, diagnostics),
            None => Some(format!("{KUBELET_ROOT_DIR}/config.json")),
        };
        let (Some(path), Some(content)) = (path, content) else {
            continue;
        };
        if !search_path.iter().any(|(candidate, _)| *candidate == path) {
            let mut paths: Vec<&str> = search_path.iter().map(|(path, _)| path.as_str()).collect();
            paths.dedup();
            diagnostics.error(
                path_node.map_or(item.position, |node| node.position),
                format!(
                    "{} is not on the kubelet's docker config search path (expected one of {})",
                    quote(&path),
                    paths.join(", ")
                ),
            );
            continue;
        }
        if files.iter().any(|(file, _)| *file == path) {
            diagnostics.error(item.position, format!("{} is given twice", quote(&path)));
            continue;
        }
        let contents = match &content.value {
            Value::Scalar { text, .. } => text.clone().into_bytes(),
            _ => match crate::bridge::deserialize::<serde_json::Value>(content) {
                Ok(json) => json.to_string().into_bytes(),
                Err((position, message)) => {
                    diagnostics.error(position, message);
                    continue;
                }
            },
        };
        files.push((path, contents));
    }
    files
}

fn read_kubelet(
    node: &Node,
    defaults: PoolDefaults,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<KubeletSettings> {
    let mut fields = Fields::of(node, "kubelet settings", diagnostics)?;
    let position = fields.position();
    let serialize = fields.get("serializeImagePulls");
    let max_parallel = fields.get("maxParallelImagePulls");
    let qps = fields.get("registryPullQPS");
    let burst = fields.get("registryBurst");
    let policy_node = fields.get("imagePullCredentialsVerificationPolicy");
    let allowlist_node = fields.get("preloadedImagesVerificationAllowlist");
    let providers_node = fields.get("credentialProviders");
    fields.finish(diagnostics);
    let errors_before = diagnostics.count();
    let credential_providers = providers_node.map_or(Some(Vec::new()), |node| {
        read_credential_providers(node, files, diagnostics)
    });
    let config = KubeletPullConfig {
        serialize_image_pulls: serialize.and_then(|node| boolean(node, diagnostics)),
        max_parallel_image_pulls: max_parallel.and_then(|node| number::<i32>(node, diagnostics)),
        registry_pull_qps: qps.and_then(|node| number::<i32>(node, diagnostics)),
        registry_burst: burst.and_then(|node| number::<i32>(node, diagnostics)),
    };
    let pull = config.with_defaults();
    if let Err(invalid) = pull.validate() {
        for error in invalid.errors {
            let at = match error {
                KubeletConfigError::NegativeRegistryBurst(_) => burst,
                KubeletConfigError::NegativeRegistryPullQps(_) => qps,
                KubeletConfigError::MaxParallelImagePullsNotPositive(_)
                | KubeletConfigError::ParallelLimitWithSerializedPulls => max_parallel,
            };
            diagnostics.error(at.map_or(position, |node| node.position), error.to_string());
        }
    }
    let policy = match policy_node {
        None => Some(VerificationPolicy::default()),
        Some(node) => text(node, diagnostics).and_then(|written| {
            written
                .parse::<VerificationPolicy>()
                .map_err(|error| diagnostics.error(node.position, error.to_string()))
                .ok()
        }),
    };
    let mut entries = Vec::new();
    for entry in allowlist_node
        .map(|node| list(node, diagnostics))
        .unwrap_or_default()
    {
        let Some(written) = entry.scalar() else {
            diagnostics.error(
                entry.position,
                format!("expected text, found {}", entry.describe()),
            );
            continue;
        };
        match Allowlist::parse(&[written]) {
            Ok(_) => entries.push(written.to_owned()),
            Err(error) => diagnostics.error(entry.position, error.to_string()),
        }
    }
    let allowlist = Allowlist::parse(&entries).unwrap_or_default();
    if diagnostics.count() > errors_before {
        return None;
    }
    Some(KubeletSettings {
        pull: written(pull),
        ensure_secret_pulled_images: defaults.ensure_secret_pulled_images,
        verification: CredentialVerification {
            policy: policy?,
            allowlist,
            allowlist_normalizes: defaults.allowlist_normalizes,
        },
        credential_providers: credential_providers?,
    })
}
