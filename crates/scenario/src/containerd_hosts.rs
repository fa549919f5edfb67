//! `containerd:` in a node pool: the containerd release on the nodes and their registry host
//! directory (`config_path`, `/etc/containerd/certs.d`), one `hosts.toml` per directory name.
//!
//! ```yaml
//! nodes:
//!   - pool: node
//!     containerd:
//!       version: "2.1"                    # 1.7, 2.0 (default), 2.1, 2.2, 2.3
//!       hosts:
//!         docker.io:                      # the fields of hosts.toml, as YAML
//!           server: https://registry-1.docker.io
//!           host:
//!             http://mirror.internal:5000: {capabilities: [pull, resolve]}
//!         registry.example.com:5000: {toml: "server = \"https://registry.example.com:5000\"\n"}
//!         _default: {file: certs.d/default-hosts.toml}   # beside the scenario
//!       allowInvalid: false               # default: a hosts.toml containerd would ignore is an error
//! ```
//!
//! Each directory's file is decoded by pullsim-model's `HostsFile` rules. A file containerd
//! cannot decode is ignored by containerd (it logs `failed to decode .../hosts.toml` and uses
//! the registry itself); since that is nearly always a typo, the reader reports it as an error
//! at the place of the mistake unless the pool says `allowInvalid: true`, which keeps the
//! broken file so that the run shows containerd's behaviour.

use pullsim_model::go_text::quote;
use pullsim_model::hosts::{ContainerdVersion, HostsDir, HostsDirectory, HostsFile};
use pullsim_sim::ContainerdSettings;

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, boolean, text};
use crate::providers::{Json, ProviderFiles};
use crate::tree::Node;

/// Reads a pool's `containerd:` block.
pub(crate) fn read_containerd(
    node: &Node,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<ContainerdSettings> {
    let mut fields = Fields::of(node, "containerd", diagnostics)?;
    let version = fields
        .get("version")
        .map_or(Some(ContainerdSettings::default().version), |version| {
            read_version(version, diagnostics)
        });
    let allow_invalid = fields
        .get("allowInvalid")
        .map_or(Some(false), |allow| boolean(allow, diagnostics));
    let hosts_node = fields.get("hosts");
    fields.finish(diagnostics);
    let version = version?;
    let allow_invalid = allow_invalid?;
    let hosts = match hosts_node {
        Some(hosts) => Some(read_hosts(
            hosts,
            version,
            allow_invalid,
            files,
            diagnostics,
        )?),
        None => None,
    };
    Some(ContainerdSettings { version, hosts })
}

fn read_version(node: &Node, diagnostics: &mut Diagnostics) -> Option<ContainerdVersion> {
    let written = text(node, diagnostics)?;
    let found = ContainerdVersion::ALL
        .into_iter()
        .find(|version| version.as_str() == written);
    if found.is_none() {
        let known: Vec<&str> = ContainerdVersion::ALL.iter().map(|v| v.as_str()).collect();
        diagnostics.error(
            node.position,
            format!(
                "unknown containerd version {} (expected one of {})",
                quote(&written),
                known.join(", ")
            ),
        );
    }
    found
}

fn read_hosts(
    node: &Node,
    version: ContainerdVersion,
    allow_invalid: bool,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<HostsDirectory> {
    let Some(entries) = node.entries() else {
        diagnostics.error(
            node.position,
            format!(
                "expected hosts by directory name (a mapping such as docker.io: {{...}}), found {}",
                node.describe()
            ),
        );
        return None;
    };
    let before = diagnostics.count();
    let mut directory = HostsDirectory::new(version);
    for entry in entries {
        if entry.key.is_empty() || entry.key.contains('/') {
            diagnostics.error(
                entry.key_position,
                format!(
                    "invalid hosts directory name {} (expected a registry host such as docker.io or registry.example.com:5000, or _default)",
                    quote(&entry.key)
                ),
            );
            continue;
        }
        if let Some(dir) = read_dir(&entry.value, allow_invalid, files, diagnostics) {
            directory.insert(&entry.key, dir);
        }
    }
    (diagnostics.count() == before).then_some(directory)
}

/// Which of the three ways a directory's hosts.toml is written.
fn single_key<'a>(node: &'a Node, key: &str) -> Option<&'a Node> {
    match node.entries() {
        Some([entry]) if entry.key == key => Some(&entry.value),
        _ => None,
    }
}

fn read_dir(
    node: &Node,
    allow_invalid: bool,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<HostsDir> {
    if let Some(literal) = single_key(node, "toml") {
        let toml = text(literal, diagnostics)?;
        let parsed = parse_toml(&toml);
        if let HostsDir::Invalid(error) = &parsed
            && !allow_invalid
        {
            diagnostics.error(literal.position, invalid_text(error));
            return None;
        }
        return Some(parsed);
    }
    if let Some(path_node) = single_key(node, "file") {
        return read_file(path_node, allow_invalid, files, diagnostics);
    }
    let mut json = Json::default();
    json.value(node);
    match HostsFile::parse_yaml(&json.text) {
        Ok(file) => Some(HostsDir::Hosts(file)),
        Err(error) if allow_invalid => Some(HostsDir::Invalid(error)),
        Err(error) => {
            let at = error
                .line
                .and_then(|line| json.lines.get(line.saturating_sub(1) as usize).copied())
                .unwrap_or(node.position);
            diagnostics.error(
                at,
                format!(
                    "invalid hosts.toml (containerd would ignore it): {}",
                    error.message
                ),
            );
            None
        }
    }
}

fn parse_toml(toml: &str) -> HostsDir {
    if toml.is_empty() {
        return HostsDir::WithoutHostsToml;
    }
    match HostsFile::parse_toml(toml) {
        Ok(file) => HostsDir::Hosts(file),
        Err(error) => HostsDir::Invalid(error),
    }
}

/// The error for a hosts.toml containerd would ignore, with the parser's `detail`.
fn invalid_text(detail: &dyn std::fmt::Display) -> String {
    format!(
        "invalid hosts.toml (containerd would ignore it; allowInvalid: true keeps it): {detail}"
    )
}

fn read_file(
    path_node: &Node,
    allow_invalid: bool,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<HostsDir> {
    files.read_file(
        path_node,
        "hosts.toml",
        diagnostics,
        |toml, inside| match parse_toml(toml) {
            HostsDir::Invalid(error) if !allow_invalid => {
                let at = match (error.line, error.column) {
                    (Some(line), Some(column)) => Position::new(
                        u32::try_from(line).unwrap_or(u32::MAX),
                        u32::try_from(column).unwrap_or(u32::MAX),
                    ),
                    _ => Position::START,
                };
                inside.error(at, invalid_text(&error.message));
                None
            }
            dir => Some(dir),
        },
    )
}
