//! The host list containerd's resolver walks for one registry, and the part of it each
//! operation uses.
//!
//! Source: containerd/containerd `core/remotes/docker/config/hosts.go` (`ConfigureHosts`,
//! `loadHostDir`, `loadCertFiles`), `core/remotes/docker/resolver.go` (`Resolve`, `filterHosts`),
//! `core/remotes/docker/fetcher.go` (`Fetch`), `core/remotes/docker/registry.go` (`isProxy`).

use core::net::IpAddr;
use std::time::Duration;

use super::capabilities::Capabilities;
use super::directory::{HostsDir, HostsDirectory};
use super::file::{DialTimeoutSetting, HostSettings, HostUrl, HostsFile};
use super::version::DEFAULT_DIAL_TIMEOUT;

/// One host of the list, as `docker.RegistryHost` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHost {
    /// `host[:port]` contacted.
    pub host: String,
    /// `https` or `http`.
    pub scheme: String,
    /// The API root: `/v2`, or the `override_path` path.
    pub path: String,
    /// What the host is used for.
    pub capabilities: Capabilities,
    /// `skip_verify`, when written.
    pub skip_verify: Option<bool>,
    /// The host's own dial timeout (containerd 2.1+ with `dial_timeout`); `None` = the
    /// default dialer's [`DEFAULT_DIAL_TIMEOUT`]. Zero or negative values are kept as zero.
    pub dial_timeout: Option<Duration>,
    /// An `http://` host with TLS settings (not on port 80): containerd tries HTTPS first and
    /// falls back to HTTP on a TLS error (`scheme` is then `https`).
    pub http_fallback: bool,
}

impl RegistryHost {
    /// The timeout a dial to this host waits for before failing.
    pub fn effective_dial_timeout(&self) -> Duration {
        self.dial_timeout.unwrap_or(DEFAULT_DIAL_TIMEOUT)
    }

    /// `<scheme>://<host><path>`.
    pub fn base_url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.host, self.path)
    }

    /// Whether requests to this host for images of `registry` carry `?ns=<registry>`
    /// (`isProxy`: any other host, except `registry-1.docker.io` for `docker.io`).
    pub fn is_proxy_for(&self, registry: &str) -> bool {
        !(self.host == registry || (registry == "docker.io" && self.host == "registry-1.docker.io"))
    }
}

/// The operations whose host lists differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A tag (or a digest reference) resolved to a descriptor: `HEAD .../manifests/<ref>`.
    Resolve,
    /// A manifest, config or layer fetched by digest.
    Fetch,
}

/// `ConfigureHosts(...)(upstream)`: the ordered hosts for registry `upstream` (`docker.io`,
/// `registry.example.com:5000`) under `directory`.
///
/// `[host."..."]` entries in file order, then `server`; without `server` the last entry is the
/// registry itself: `https://registry-1.docker.io/v2` for `docker.io`, `https://<upstream>/v2`
/// otherwise (localhost: `http` with skip-verify unless the port is absent or 443), with all
/// capabilities whatever the root table says. No directory, no hosts.toml or an invalid one:
/// that implicit upstream alone.
pub fn hosts_for(upstream: &str, directory: &HostsDirectory) -> Vec<RegistryHost> {
    let file = match directory.lookup(upstream) {
        Some((_, HostsDir::Hosts(file))) => file_hosts(file, directory),
        _ => None,
    };
    let mut entries = file.unwrap_or_else(|| vec![Entry::implicit()]);
    if let Some(last) = entries.last_mut()
        && last.url.is_none()
    {
        *last = Entry {
            url: Some(implicit_upstream(upstream)),
            capabilities: Capabilities::ALL,
            skip_verify: if is_localhost(upstream) && port_of(upstream) != "80" {
                Some(true)
            } else {
                last.skip_verify
            },
            ..last.clone()
        };
    }
    entries.into_iter().map(Entry::into_host).collect()
}

/// The hosts `operation` tries, in order.
///
/// Resolve: the hosts with both `pull` and `resolve` (`filterHosts(HostCapabilityPull |
/// HostCapabilityResolve)`). Fetch: every host when at least one has `pull` (`Fetch` checks
/// the filtered list is non-empty and then loops over `r.hosts`, unfiltered), else none
/// (`Fetch` then fails with [`super::NO_PULL_HOSTS`]).
pub fn hosts_for_operation(hosts: &[RegistryHost], operation: Operation) -> Vec<RegistryHost> {
    match operation {
        Operation::Resolve => hosts
            .iter()
            .filter(|h| h.capabilities.pull && h.capabilities.resolve)
            .cloned()
            .collect(),
        Operation::Fetch => {
            if hosts.iter().any(|h| h.capabilities.pull) {
                hosts.to_vec()
            } else {
                Vec::new()
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    url: Option<HostUrl>,
    capabilities: Capabilities,
    skip_verify: Option<bool>,
    tls: bool,
    dial_timeout: Option<Duration>,
}

impl Entry {
    fn implicit() -> Entry {
        Entry {
            url: None,
            capabilities: Capabilities::ALL,
            skip_verify: None,
            tls: false,
            dial_timeout: None,
        }
    }

    fn into_host(self) -> RegistryHost {
        let url = self.url.unwrap_or_else(|| HostUrl {
            scheme: String::new(),
            host: String::new(),
            path: String::new(),
        });
        let explicit_tls = self.tls || self.skip_verify.is_some();
        let http_fallback = url.scheme == "http" && explicit_tls && port_of(&url.host) != "80";
        RegistryHost {
            scheme: if http_fallback {
                "https".to_owned()
            } else {
                url.scheme
            },
            host: url.host,
            path: url.path,
            capabilities: self.capabilities,
            skip_verify: self.skip_verify,
            dial_timeout: self.dial_timeout,
            http_fallback,
        }
    }
}

/// The entries of an accepted file, or `None` when this release rejects it (a bad
/// `dial_timeout` is an error only where the key is read).
fn file_hosts(file: &HostsFile, directory: &HostsDirectory) -> Option<Vec<Entry>> {
    let entry = |url: Option<&HostUrl>, settings: &HostSettings| -> Option<Entry> {
        let dial_timeout = if directory.version.reads_dial_timeout() {
            match settings.dial_timeout {
                DialTimeoutSetting::Absent => None,
                DialTimeoutSetting::Valid(nanos) => {
                    Some(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
                }
                DialTimeoutSetting::Invalid(_) => return None,
            }
        } else {
            None
        };
        Some(Entry {
            url: url.cloned(),
            capabilities: settings.capabilities,
            skip_verify: settings.skip_verify,
            tls: settings.has_certificates,
            dial_timeout,
        })
    };
    let mut entries = Vec::with_capacity(file.hosts.len() + 1);
    for (url, settings) in &file.hosts {
        entries.push(entry(Some(url), settings)?);
    }
    entries.push(entry(file.server.as_ref(), &file.root)?);
    Some(entries)
}

fn implicit_upstream(upstream: &str) -> HostUrl {
    let (scheme, host) = if upstream == "docker.io" {
        ("https", "registry-1.docker.io")
    } else if is_localhost(upstream) && !matches!(port_of(upstream), "" | "443") {
        ("http", upstream)
    } else {
        ("https", upstream)
    };
    HostUrl {
        scheme: scheme.to_owned(),
        host: host.to_owned(),
        path: "/v2".to_owned(),
    }
}

/// The port of `host[:port]` (`net.SplitHostPort`), empty when there is none.
fn port_of(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once("]:").map_or("", |(_, port)| port);
    }
    match host.split_once(':') {
        Some((_, port)) if !port.contains(':') => port,
        _ => "",
    }
}

/// `docker.IsLocalhost`: `localhost` or a loopback IP, port ignored.
fn is_localhost(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else if host.matches(':').count() == 1 {
        host.split(':').next().unwrap_or("")
    } else {
        host
    };
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hosts::version::ContainerdVersion;

    fn dir(version: ContainerdVersion, name: &str, text: &str) -> HostsDirectory {
        let mut d = HostsDirectory::new(version);
        d.insert_toml(name, text);
        d
    }

    fn urls(hosts: &[RegistryHost]) -> Vec<String> {
        hosts.iter().map(RegistryHost::base_url).collect()
    }

    #[test]
    fn no_configuration_gives_the_default_upstream() {
        let empty = HostsDirectory::new(ContainerdVersion::V2_1);
        assert_eq!(
            urls(&hosts_for("docker.io", &empty)),
            ["https://registry-1.docker.io/v2"]
        );
        assert_eq!(urls(&hosts_for("quay.io", &empty)), ["https://quay.io/v2"]);
        let host = &hosts_for("quay.io", &empty)[0];
        assert_eq!(host.capabilities, Capabilities::ALL);
        assert_eq!(host.effective_dial_timeout(), Duration::from_secs(30));
        assert!(!host.is_proxy_for("quay.io"));
    }

    #[test]
    fn mirrors_come_first_then_the_implicit_upstream() {
        let d = dir(
            ContainerdVersion::V2_1,
            "docker.io",
            "capabilities = [\"pull\"]\noverride_path = true\n[host.\"https://m1\"]\ncapabilities = [\"pull\"]\n[host.\"http://m2:5000\"]\n",
        );
        let hosts = hosts_for("docker.io", &d);
        assert_eq!(
            urls(&hosts),
            [
                "https://m1/v2",
                "http://m2:5000/v2",
                "https://registry-1.docker.io/v2"
            ]
        );
        // Without `server`, the root table's capabilities and path do not apply.
        assert_eq!(hosts[2].capabilities, Capabilities::ALL);
        assert!(hosts[0].is_proxy_for("docker.io"));
        assert!(!hosts[2].is_proxy_for("docker.io"));
    }

    #[test]
    fn server_replaces_the_upstream() {
        let d = dir(
            ContainerdVersion::V2_1,
            "_default",
            "server = \"https://only-mirror/v2/hub\"\noverride_path = true\ncapabilities = [\"pull\", \"resolve\"]\n",
        );
        let hosts = hosts_for("docker.io", &d);
        assert_eq!(urls(&hosts), ["https://only-mirror/v2/hub"]);
        assert!(!hosts[0].capabilities.push);
    }

    #[test]
    fn invalid_file_falls_back_to_the_upstream_alone() {
        let d = dir(
            ContainerdVersion::V2_1,
            "docker.io",
            "[host.\"https://m\"]\ncapabilities = [\"pulls\"]\n",
        );
        assert_eq!(
            urls(&hosts_for("docker.io", &d)),
            ["https://registry-1.docker.io/v2"]
        );
    }

    #[test]
    fn dial_timeout_only_from_2_1_and_a_bad_one_only_breaks_2_1() {
        let text = "[host.\"http://10.0.0.1:30020\"]\ncapabilities = [\"pull\", \"resolve\"]\ndial_timeout = \"200ms\"\n";
        let new = hosts_for(
            "docker.io",
            &dir(ContainerdVersion::V2_1, "docker.io", text),
        );
        assert_eq!(new[0].dial_timeout, Some(Duration::from_millis(200)));
        assert_eq!(new[1].dial_timeout, None);
        let old = hosts_for(
            "docker.io",
            &dir(ContainerdVersion::V2_0, "docker.io", text),
        );
        assert_eq!(old[0].effective_dial_timeout(), DEFAULT_DIAL_TIMEOUT);
        let bad = "[host.\"https://m\"]\ndial_timeout = \"soon\"\n";
        assert_eq!(
            hosts_for("docker.io", &dir(ContainerdVersion::V1_7, "docker.io", bad)).len(),
            2
        );
        assert_eq!(
            hosts_for("docker.io", &dir(ContainerdVersion::V2_1, "docker.io", bad)).len(),
            1
        );
    }

    #[test]
    fn localhost_and_http_with_tls() {
        let empty = HostsDirectory::new(ContainerdVersion::V2_1);
        let local = &hosts_for("localhost:5000", &empty)[0];
        // http with skip-verify, so HTTPS is tried first with an HTTP fallback.
        assert_eq!(
            (
                local.scheme.as_str(),
                local.skip_verify,
                local.http_fallback
            ),
            ("https", Some(true), true)
        );
        let plain = &hosts_for("127.0.0.1", &empty)[0];
        assert_eq!(
            (
                plain.scheme.as_str(),
                plain.skip_verify,
                plain.http_fallback
            ),
            ("https", Some(true), false)
        );
        let port80 = &hosts_for("localhost:80", &empty)[0];
        assert_eq!((port80.scheme.as_str(), port80.skip_verify), ("http", None));
        let d = dir(
            ContainerdVersion::V2_1,
            "r.example",
            "[host.\"http://m:5000\"]\nskip_verify = true\n[host.\"http://n:80\"]\nskip_verify = true\n",
        );
        let hosts = hosts_for("r.example", &d);
        assert_eq!(
            (hosts[0].scheme.as_str(), hosts[0].http_fallback),
            ("https", true)
        );
        assert_eq!(
            (hosts[1].scheme.as_str(), hosts[1].http_fallback),
            ("http", false)
        );
    }

    #[test]
    fn operations_filter_as_containerd_does() {
        let d = dir(
            ContainerdVersion::V2_1,
            "docker.io",
            "[host.\"https://pull-only\"]\ncapabilities = [\"pull\"]\n[host.\"https://resolve-only\"]\ncapabilities = [\"resolve\"]\n",
        );
        let hosts = hosts_for("docker.io", &d);
        assert_eq!(
            urls(&hosts_for_operation(&hosts, Operation::Resolve)),
            ["https://registry-1.docker.io/v2"]
        );
        // Fetch walks every host, even the resolve-only one.
        assert_eq!(hosts_for_operation(&hosts, Operation::Fetch).len(), 3);
        let no_pull = dir(
            ContainerdVersion::V2_1,
            "x",
            "server = \"https://x\"\ncapabilities = [\"push\"]\n",
        );
        assert!(hosts_for_operation(&hosts_for("x", &no_pull), Operation::Fetch).is_empty());
    }
}
