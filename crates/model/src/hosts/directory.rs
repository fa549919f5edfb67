//! A node's `config_path` directory (`/etc/containerd/certs.d`) as data: which directory names
//! exist and what each holds, and which one containerd picks for a registry host.
//!
//! Source: containerd/containerd `core/remotes/docker/config/hosts.go` (`HostDirFromRoot`,
//! `hostDirectory`, `loadHostDir`) and `config_unix.go` (`hostPaths`).

use std::collections::BTreeMap;

use super::file::HostsFile;
use super::version::ContainerdVersion;
use crate::document::DocumentError;

/// The name of the directory that applies to every registry without its own.
pub const DEFAULT_DIRECTORY: &str = "_default";

/// What one directory under `config_path` holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostsDir {
    /// No `hosts.toml`, or an empty one: containerd falls back to Docker's certificate layout,
    /// which leaves the registry's own upstream as the only host.
    WithoutHostsToml,
    /// A `hosts.toml` containerd accepts.
    Hosts(HostsFile),
    /// A `hosts.toml` containerd cannot decode: logged (`failed to decode <dir>/hosts.toml`)
    /// and ignored, as [`HostsDir::WithoutHostsToml`].
    Invalid(DocumentError),
}

/// The directories of one node, by name (`docker.io`, `registry.example.com:5000`,
/// `registry.example.com_5000_`, `_default`), and the containerd release reading them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostsDirectory {
    /// The containerd release on the node.
    pub version: ContainerdVersion,
    dirs: BTreeMap<String, HostsDir>,
}

impl HostsDirectory {
    /// An empty `config_path` read by `version`.
    pub fn new(version: ContainerdVersion) -> HostsDirectory {
        HostsDirectory {
            version,
            dirs: BTreeMap::new(),
        }
    }

    /// Adds directory `name` holding the hosts.toml text `text` (empty text = no file).
    pub fn insert_toml(&mut self, name: &str, text: &str) {
        let dir = if text.is_empty() {
            HostsDir::WithoutHostsToml
        } else {
            match HostsFile::parse_toml(text) {
                Ok(file) => HostsDir::Hosts(file),
                Err(error) => HostsDir::Invalid(error),
            }
        };
        self.dirs.insert(name.to_owned(), dir);
    }

    /// Adds directory `name` with `dir` (a file read from a scenario, or none).
    pub fn insert(&mut self, name: &str, dir: HostsDir) {
        self.dirs.insert(name.to_owned(), dir);
    }

    /// The directory containerd uses for registry `host`, with its name: the first that exists
    /// of `host` with `:port` turned into `_port_`, `host` itself, then `_default`; never merged.
    pub fn lookup(&self, host: &str) -> Option<(&str, &HostsDir)> {
        directory_names(host)
            .into_iter()
            .find_map(|name| self.dirs.get_key_value(name.as_str()))
            .map(|(name, dir)| (name.as_str(), dir))
    }

    /// The line containerd logs when the chosen directory's hosts.toml is invalid
    /// (`failed to decode <dir>/hosts.toml`, v2.x; v1.7 says `failed to decode hosts.toml`),
    /// with `root` the `config_path`, followed by the reason.
    pub fn decode_error(&self, root: &str, host: &str) -> Option<String> {
        let (name, HostsDir::Invalid(error)) = self.lookup(host)? else {
            return None;
        };
        let what = if self.version >= ContainerdVersion::V2_0 {
            format!("failed to decode {root}/{name}/hosts.toml")
        } else {
            "failed to decode hosts.toml".to_owned()
        };
        Some(format!("{what}: {error}"))
    }
}

/// `hostPaths` (unix): the directory names tried for `host`, in order.
pub fn directory_names(host: &str) -> Vec<String> {
    let mut names = Vec::with_capacity(3);
    let underscored = host_directory(host);
    if underscored != host {
        names.push(underscored);
    }
    names.push(host.to_owned());
    names.push(DEFAULT_DIRECTORY.to_owned());
    names
}

/// `hostDirectory`: the last `:port` becomes `_port_` (`registry:5000` → `registry_5000_`).
pub fn host_directory(host: &str) -> String {
    match host.rfind(':') {
        Some(index) if index > 0 => format!("{}_{}_", &host[..index], &host[index + 1..]),
        _ => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_tried_in_containerd_order() {
        assert_eq!(
            directory_names("registry.example.com:5000"),
            [
                "registry.example.com_5000_",
                "registry.example.com:5000",
                "_default"
            ]
        );
        assert_eq!(directory_names("docker.io"), ["docker.io", "_default"]);
        assert_eq!(host_directory(":5000"), ":5000");
    }

    #[test]
    fn first_existing_directory_wins() {
        let mut dir = HostsDirectory::new(ContainerdVersion::V2_1);
        dir.insert_toml("_default", "server = \"https://d\"\n");
        dir.insert_toml("r:5000", "server = \"https://colon\"\n");
        assert_eq!(dir.lookup("r:5000").unwrap().0, "r:5000");
        dir.insert_toml("r_5000_", "");
        assert_eq!(
            dir.lookup("r:5000").unwrap(),
            ("r_5000_", &HostsDir::WithoutHostsToml)
        );
        assert_eq!(dir.lookup("other").unwrap().0, "_default");
        assert!(
            HostsDirectory::new(ContainerdVersion::V1_7)
                .lookup("x")
                .is_none()
        );
    }

    #[test]
    fn decode_error_names_the_file_per_release() {
        let mut dir = HostsDirectory::new(ContainerdVersion::V2_1);
        dir.insert_toml("docker.io", "server = [\n");
        let line = dir
            .decode_error("/etc/containerd/certs.d", "docker.io")
            .unwrap();
        assert!(
            line.starts_with(
                "failed to decode /etc/containerd/certs.d/docker.io/hosts.toml: line 1"
            ),
            "{line}"
        );
        dir.version = ContainerdVersion::V1_7;
        let line = dir
            .decode_error("/etc/containerd/certs.d", "docker.io")
            .unwrap();
        assert!(line.starts_with("failed to decode hosts.toml: "), "{line}");
        assert!(dir.decode_error("/r", "quay.io").is_none());
    }
}
