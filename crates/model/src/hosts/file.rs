//! One `hosts.toml`, read as containerd's `parseHostsFile` reads it, from its TOML text or from
//! the same fields written as YAML in a scenario file.
//!
//! Source: containerd/containerd `core/remotes/docker/config/hosts.go` (`hostFileConfig`,
//! `parseHostsFile`, `getSortedHosts`, `parseHostConfig`); v1.7 `remotes/docker/config/hosts.go`.
//! Keys containerd does not know are ignored (go-toml's `Unmarshal` does not reject them);
//! a value of the wrong type, an unknown capability or a server that is not a URL makes the
//! whole file invalid, which containerd logs and then ignores (see [`super::directory`]).

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};

use super::capabilities::Capabilities;
use crate::document::DocumentError;
use crate::go::duration::parse_go_duration;
use crate::go::url::parse_go_url;

/// A hosts.toml that containerd accepts: the `[host."..."]` entries in file order and the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostsFile {
    /// `server`, when set: the host tried after every `[host]` entry.
    pub server: Option<HostUrl>,
    /// The root table's own settings (they apply to `server`, or to the implicit upstream).
    pub root: HostSettings,
    /// `[host."URL"]` tables in the order they appear in the file.
    pub hosts: Vec<(HostUrl, HostSettings)>,
}

/// A server URL after `parseHostConfig`: `https://` added when the text does not start with
/// `http`, the path cleaned and `/v2` appended unless it already ends in `/v2` or
/// `override_path = true`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostUrl {
    /// `https` or `http`.
    pub scheme: String,
    /// `host[:port]`.
    pub host: String,
    /// The API root (`/v2`, `/v2/proxy-project`, or the verbatim path with `override_path`).
    pub path: String,
}

/// The per-host fields of `hostFileConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostSettings {
    /// `capabilities`; all three when the key is absent or empty.
    pub capabilities: Capabilities,
    /// `skip_verify`, when written.
    pub skip_verify: Option<bool>,
    /// `override_path` (default false).
    pub override_path: bool,
    /// Whether `ca` or `client` is set (the certificate files themselves are not modelled).
    pub has_certificates: bool,
    /// `header`: name and values, in name order.
    pub header: Vec<(String, Vec<String>)>,
    /// `dial_timeout` as written; checked only by releases that read it.
    pub dial_timeout: DialTimeoutSetting,
}

/// `dial_timeout` as the file has it. containerd before 2.1 does not know the key, so a bad
/// value there is harmless; 2.1+ rejects the whole file for it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DialTimeoutSetting {
    /// Absent or `""`.
    #[default]
    Absent,
    /// A Go duration, in nanoseconds (may be zero or negative, as Go allows).
    Valid(i64),
    /// Not a Go duration, or not a string: the error containerd 2.1+ logs.
    Invalid(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSettings {
    capabilities: Option<Vec<String>>,
    ca: Option<StringOrList>,
    client: Option<ClientValue>,
    skip_verify: Option<bool>,
    header: Option<Ordered<StringOrList>>,
    override_path: bool,
    dial_timeout: Option<RawDialTimeout>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawFile {
    server: Option<String>,
    capabilities: Option<Vec<String>>,
    ca: Option<StringOrList>,
    client: Option<ClientValue>,
    skip_verify: Option<bool>,
    header: Option<Ordered<StringOrList>>,
    override_path: bool,
    dial_timeout: Option<RawDialTimeout>,
    host: Option<Ordered<RawSettings>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(#[allow(dead_code)] String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ClientValue {
    One(#[allow(dead_code)] String),
    Many(#[allow(dead_code)] Vec<ClientItem>),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum ClientItem {
    File(#[allow(dead_code)] String),
    Pair(#[allow(dead_code)] [String; 2]),
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum RawDialTimeout {
    Text(String),
    Other(de::IgnoredAny),
}

/// A map kept in document order (TOML tables and YAML mappings alike).
#[derive(Debug)]
struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Ordered<T> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderedVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for OrderedVisitor<T> {
            type Value = Ordered<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, T>()? {
                    entries.push((key, value));
                }
                Ok(Ordered(entries))
            }
        }
        deserializer.deserialize_map(OrderedVisitor(std::marker::PhantomData))
    }
}

impl HostsFile {
    /// Reads the literal text of a hosts.toml. Errors carry the TOML position when the toml
    /// crate gives one (syntax and type errors), otherwise none (a bad capability or server).
    pub fn parse_toml(text: &str) -> Result<HostsFile, DocumentError> {
        let raw: RawFile = toml::from_str(text).map_err(|error| toml_error(text, &error))?;
        HostsFile::from_raw(raw).map_err(|message| DocumentError {
            message,
            line: None,
            column: None,
        })
    }

    /// Reads the same fields written as YAML (a scenario's `hosts:` entry).
    pub fn parse_yaml(text: &str) -> Result<HostsFile, DocumentError> {
        let raw: RawFile =
            serde_saphyr::from_str(text).map_err(|error| DocumentError::from_yaml(&error))?;
        HostsFile::from_raw(raw).map_err(|message| DocumentError {
            message,
            line: None,
            column: None,
        })
    }

    fn from_raw(raw: RawFile) -> Result<HostsFile, String> {
        let mut hosts = Vec::new();
        for (server, settings) in raw.host.unwrap_or_default().0 {
            let settings = settings_from(
                settings.capabilities,
                settings.ca.is_some() || settings.client.is_some(),
                settings.skip_verify,
                settings.header,
                settings.override_path,
                settings.dial_timeout,
            )?;
            let url = host_url(&server, settings.override_path)?;
            hosts.push((url, settings));
        }
        let root = settings_from(
            raw.capabilities,
            raw.ca.is_some() || raw.client.is_some(),
            raw.skip_verify,
            raw.header,
            raw.override_path,
            raw.dial_timeout,
        )?;
        let server = match raw.server.as_deref() {
            None | Some("") => None,
            Some(server) => Some(host_url(server, root.override_path)?),
        };
        Ok(HostsFile {
            server,
            root,
            hosts,
        })
    }
}

fn toml_error(text: &str, error: &toml::de::Error) -> DocumentError {
    let (line, column) = match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() as u64 + 1;
            let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
            (Some(line), Some(column))
        }
        None => (None, None),
    };
    DocumentError {
        message: error.message().trim_end().to_owned(),
        line,
        column,
    }
}

fn settings_from(
    capabilities: Option<Vec<String>>,
    has_certificates: bool,
    skip_verify: Option<bool>,
    header: Option<Ordered<StringOrList>>,
    override_path: bool,
    dial_timeout: Option<RawDialTimeout>,
) -> Result<HostSettings, String> {
    let capabilities = match capabilities {
        Some(list) if !list.is_empty() => Capabilities::parse(&list)?,
        _ => Capabilities::ALL,
    };
    let mut header: Vec<(String, Vec<String>)> = header
        .unwrap_or_default()
        .0
        .into_iter()
        .map(|(name, value)| {
            let values = match value {
                StringOrList::One(one) => vec![one],
                StringOrList::Many(many) => many,
            };
            (name, values)
        })
        .collect();
    header.sort_by(|a, b| a.0.cmp(&b.0));
    let dial_timeout = match dial_timeout {
        None => DialTimeoutSetting::Absent,
        Some(RawDialTimeout::Text(text)) if text.is_empty() => DialTimeoutSetting::Absent,
        Some(RawDialTimeout::Text(text)) => match parse_go_duration(&text) {
            Ok(duration) => DialTimeoutSetting::Valid(duration.as_nanos()),
            Err(error) => DialTimeoutSetting::Invalid(error.to_string()),
        },
        Some(RawDialTimeout::Other(_)) => DialTimeoutSetting::Invalid(
            "dial_timeout: a string (a Go duration such as \"200ms\") was expected".to_owned(),
        ),
    };
    Ok(HostSettings {
        capabilities,
        skip_verify,
        override_path,
        has_certificates,
        header,
        dial_timeout,
    })
}

/// `parseHostConfig`'s URL handling for a non-empty server string.
fn host_url(server: &str, override_path: bool) -> Result<HostUrl, String> {
    let full = if server.starts_with("http") {
        server.to_owned()
    } else {
        format!("https://{server}")
    };
    let url = parse_go_url(&full).map_err(|error| {
        format!(
            "unable to parse server {full}: parse {}: {}",
            crate::go::text::quote(&error.url),
            error.reason
        )
    })?;
    let path = if url.path.is_empty() {
        if override_path {
            String::new()
        } else {
            "/v2".to_owned()
        }
    } else {
        let cleaned = clean_path(&url.path);
        if !cleaned.ends_with("/v2") && !override_path {
            format!("{cleaned}/v2")
        } else {
            cleaned
        }
    };
    Ok(HostUrl {
        scheme: url.scheme,
        host: url.host,
        path,
    })
}

/// Go's `path.Clean` for a rooted or relative slash path.
fn clean_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|last| *last != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_keep_file_order_and_server_is_separate() {
        let file = HostsFile::parse_toml(
            "server = \"https://registry-1.docker.io\"\n\
             [host.\"https://zzz.example\"]\n  capabilities = [\"pull\"]\n\
             [host.\"https://aaa.example\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
        )
        .unwrap();
        let names: Vec<&str> = file.hosts.iter().map(|(u, _)| u.host.as_str()).collect();
        assert_eq!(names, ["zzz.example", "aaa.example"]);
        assert_eq!(file.server.unwrap().host, "registry-1.docker.io");
        assert_eq!(file.hosts[0].1.capabilities, Capabilities::PULL);
    }

    #[test]
    fn url_rules_of_parse_host_config() {
        let url = |s: &str, o: bool| host_url(s, o).unwrap();
        assert_eq!(url("mirror.local:5000", false).scheme, "https");
        assert_eq!(url("mirror.local:5000", false).path, "/v2");
        assert_eq!(url("http://mirror", false).scheme, "http");
        assert_eq!(url("https://h/v2/proxy/", false).path, "/v2/proxy/v2");
        assert_eq!(url("https://h/a/../v2/", false).path, "/v2");
        assert_eq!(url("https://h/v2/proxy", true).path, "/v2/proxy");
        assert_eq!(url("https://h", true).path, "");
        assert_eq!(clean_path("a/./b/../../.."), "..");
    }

    #[test]
    fn missing_capabilities_mean_all_and_unknown_is_an_error() {
        let file = HostsFile::parse_toml("[host.\"https://m\"]\nskip_verify = true\n").unwrap();
        assert_eq!(file.hosts[0].1.capabilities, Capabilities::ALL);
        assert_eq!(file.hosts[0].1.skip_verify, Some(true));
        let empty = HostsFile::parse_toml("[host.\"https://m\"]\ncapabilities = []\n").unwrap();
        assert_eq!(empty.hosts[0].1.capabilities, Capabilities::ALL);
        let error =
            HostsFile::parse_toml("[host.\"https://m\"]\ncapabilities = [\"pul\"]\n").unwrap_err();
        assert_eq!(error.message, "unknown capability pul");
    }

    #[test]
    fn type_errors_carry_a_position_and_unknown_keys_are_ignored() {
        let error = HostsFile::parse_toml(
            "server = \"https://a\"\n\n[host.\"https://m\"]\nskip_verify = \"yes\"\n",
        )
        .unwrap_err();
        assert_eq!((error.line, error.column), (Some(4), Some(15)), "{error}");
        let syntax = HostsFile::parse_toml("server = \n").unwrap_err();
        assert_eq!(syntax.line, Some(1), "{syntax}");
        assert!(HostsFile::parse_toml("colour = \"blue\"\n[host.\"https://m\"]\nx = 1\n").is_ok());
        let bad_server = HostsFile::parse_toml("server = \"https://a b\"\n").unwrap_err();
        assert_eq!(
            bad_server.message,
            "unable to parse server https://a b: parse \"https://a b\": invalid character \" \" in host name"
        );
    }

    #[test]
    fn dial_timeout_is_kept_as_written() {
        let file = HostsFile::parse_toml(
            "dial_timeout = \"200ms\"\n[host.\"https://a\"]\ndial_timeout = \"fast\"\n[host.\"https://b\"]\ndial_timeout = 5\n",
        )
        .unwrap();
        assert_eq!(
            file.root.dial_timeout,
            DialTimeoutSetting::Valid(200_000_000)
        );
        assert_eq!(
            file.hosts[0].1.dial_timeout,
            DialTimeoutSetting::Invalid("time: invalid duration \"fast\"".to_owned())
        );
        assert!(matches!(
            file.hosts[1].1.dial_timeout,
            DialTimeoutSetting::Invalid(_)
        ));
    }

    #[test]
    fn yaml_gives_the_same_file() {
        let toml = HostsFile::parse_toml(
            "server = \"https://registry-1.docker.io\"\n[host.\"http://10.0.0.1:30020\"]\ncapabilities = [\"pull\", \"resolve\"]\ndial_timeout = \"200ms\"\n[host.\"https://b\"]\nheader = { x-a = \"1\", x-b = [\"2\", \"3\"] }\nca = \"ca.crt\"\n",
        )
        .unwrap();
        let yaml = HostsFile::parse_yaml(
            "server: https://registry-1.docker.io\nhost:\n  http://10.0.0.1:30020:\n    capabilities: [pull, resolve]\n    dial_timeout: 200ms\n  https://b:\n    header: {x-a: \"1\", x-b: [\"2\", \"3\"]}\n    ca: ca.crt\n",
        )
        .unwrap();
        assert_eq!(toml, yaml);
        assert!(toml.hosts[1].1.has_certificates);
        assert_eq!(
            toml.hosts[1].1.header[1],
            ("x-b".to_owned(), vec!["2".to_owned(), "3".to_owned()])
        );
    }
}
