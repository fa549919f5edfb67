//! The node's docker config file as the kubelet's file provider finds it: the first existing and
//! parseable file of a fixed search path, `config.json` candidates before `.dockercfg` ones
//! (docs/semantics.md §4.4).
//!
//! Upstream: kubernetes `pkg/credentialprovider/config.go` (`ReadDockerConfigFile`,
//! `ReadDockerConfigJSONFile`, `ReadDockercfgFile`, `DefaultDockerConfigJSONPaths`,
//! `DefaultDockercfgPaths`) and `provider.go` (`defaultDockerConfigProvider`). Facts kept:
//! - search order: `<root-dir>/config.json`, `<cwd>/config.json`, `$HOME/.docker/config.json`,
//!   `/.docker/config.json`, then `<root-dir>/.dockercfg`, `<cwd>/.dockercfg`, `$HOME/.dockercfg`,
//!   `/.dockercfg` (`<root-dir>` is the kubelet's `--root-dir`, `/var/lib/kubelet` by default);
//! - a missing, unreadable or unparseable file is skipped (the kubelet only logs it, at level 4,
//!   as `error occurred while trying to unmarshal json` without detail; the detail is kept here);
//! - the first parseable file wins even when it holds no credentials: a `config.json` with only
//!   `credsStore` is "found", and no `.dockercfg` is read after it;
//! - when no file is usable the node contributes no credentials.
//!
//! Not modelled here: the provider caches its result for 5 minutes (`CachingDockerConfigProvider`),
//! so a file edit takes up to 5 minutes to apply; callers with a clock apply that delay.

use std::fmt;

use super::config::{ConfigError, DockerConfig, DockerConfigFormat, parse_docker_config};
use super::keyring::{AddedEntry, BasicDockerKeyring, CredentialSource};
use crate::go::text::quote as go_quote;

/// One file the kubelet may read, as found on the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeConfigCandidate {
    /// Its absolute path (only used in reports).
    pub path: String,
    /// `config.json` shape or legacy `.dockercfg` shape.
    pub format: DockerConfigFormat,
    /// Its bytes, or `None` when the file does not exist or cannot be read.
    pub contents: Option<Vec<u8>>,
}

/// The kubelet's search path for a node: eight files, `config.json` ones first.
///
/// `root_dir` is the kubelet's `--root-dir`, `working_dir` its working directory and `home_dir`
/// the home directory of its user (`/root` for a kubelet running as root). Paths are joined as
/// Go's `filepath.Join` would for clean absolute inputs.
pub fn kubelet_search_path(
    root_dir: &str,
    working_dir: &str,
    home_dir: &str,
) -> Vec<(String, DockerConfigFormat)> {
    let join = |dir: &str, file: &str| format!("{}/{file}", dir.trim_end_matches('/'));
    let home_docker = join(home_dir, ".docker");
    vec![
        (
            join(root_dir, "config.json"),
            DockerConfigFormat::ConfigJson,
        ),
        (
            join(working_dir, "config.json"),
            DockerConfigFormat::ConfigJson,
        ),
        (
            join(&home_docker, "config.json"),
            DockerConfigFormat::ConfigJson,
        ),
        (
            "/.docker/config.json".to_owned(),
            DockerConfigFormat::ConfigJson,
        ),
        (join(root_dir, ".dockercfg"), DockerConfigFormat::Dockercfg),
        (
            join(working_dir, ".dockercfg"),
            DockerConfigFormat::Dockercfg,
        ),
        (join(home_dir, ".dockercfg"), DockerConfigFormat::Dockercfg),
        ("/.dockercfg".to_owned(), DockerConfigFormat::Dockercfg),
    ]
}

/// Why a candidate file was passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// The file does not exist or cannot be read.
    Missing,
    /// The file is not a valid document of its shape.
    Unparseable(ConfigError),
}

/// A candidate that was looked at and passed over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedNodeConfig {
    /// Its position in the candidate list.
    pub index: usize,
    /// Its path.
    pub path: String,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// Says `"/var/lib/kubelet/config.json" skipped: no such file`, for CLIs.
impl fmt::Display for SkippedNodeConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            SkipReason::Missing => write!(f, "{} skipped: no such file", go_quote(&self.path)),
            SkipReason::Unparseable(error) => {
                write!(
                    f,
                    "{} skipped: cannot be parsed: {error}",
                    go_quote(&self.path)
                )
            }
        }
    }
}

/// Which node config file the kubelet uses, and what it passed over on the way.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeConfigChoice {
    /// The file used: its position in the candidate list and its credentials.
    pub used: Option<(usize, DockerConfig)>,
    /// Candidates looked at before it, in the order they were looked at.
    pub skipped: Vec<SkippedNodeConfig>,
    /// Candidates never looked at because an earlier one was used.
    pub not_read: Vec<usize>,
}

impl NodeConfigChoice {
    /// The node's keyring: the used file's credentials with source `node-config[index]`, and what
    /// happened to each of its entries.
    pub fn keyring(&self) -> (BasicDockerKeyring, Vec<AddedEntry>) {
        let mut keyring = BasicDockerKeyring::new();
        let report = match &self.used {
            Some((index, config)) => {
                keyring.add(&CredentialSource::NodeConfig { index: *index }, config)
            }
            None => Vec::new(),
        };
        (keyring, report)
    }
}

/// Picks the file the kubelet's file provider reads: every `config.json`-shaped candidate in the
/// given order, then every `.dockercfg`-shaped one, stopping at the first that exists and parses.
pub fn select_node_config(candidates: &[NodeConfigCandidate]) -> NodeConfigChoice {
    let mut choice = NodeConfigChoice::default();
    let search_order = [
        DockerConfigFormat::ConfigJson,
        DockerConfigFormat::Dockercfg,
    ]
    .into_iter()
    .flat_map(|format| {
        candidates
            .iter()
            .enumerate()
            .filter(move |(_, candidate)| candidate.format == format)
    });
    for (index, candidate) in search_order {
        if choice.used.is_some() {
            choice.not_read.push(index);
            continue;
        }
        let Some(contents) = &candidate.contents else {
            choice.skipped.push(SkippedNodeConfig {
                index,
                path: candidate.path.clone(),
                reason: SkipReason::Missing,
            });
            continue;
        };
        match parse_docker_config(contents, candidate.format) {
            Ok(config) => choice.used = Some((index, config)),
            Err(error) => choice.skipped.push(SkippedNodeConfig {
                index,
                path: candidate.path.clone(),
                reason: SkipReason::Unparseable(error),
            }),
        }
    }
    choice
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(files: &[Option<&str>]) -> Vec<NodeConfigCandidate> {
        kubelet_search_path("/var/lib/kubelet", "/", "/root")
            .into_iter()
            .zip(files)
            .map(|((path, format), contents)| NodeConfigCandidate {
                path,
                format,
                contents: contents.map(|text| text.as_bytes().to_vec()),
            })
            .collect()
    }

    #[test]
    fn search_path_matches_the_kubelet() {
        let paths: Vec<String> = kubelet_search_path("/var/lib/kubelet", "/", "/root")
            .into_iter()
            .map(|(path, _)| path)
            .collect();
        assert_eq!(
            paths,
            [
                "/var/lib/kubelet/config.json",
                "/config.json",
                "/root/.docker/config.json",
                "/.docker/config.json",
                "/var/lib/kubelet/.dockercfg",
                "/.dockercfg",
                "/root/.dockercfg",
                "/.dockercfg",
            ]
        );
    }

    /// One row: the eight files (None = absent), the index used, the skipped indexes.
    type Row = (
        [Option<&'static str>; 8],
        Option<usize>,
        &'static [usize],
        &'static [&'static str],
    );

    #[test]
    fn first_existing_parseable_file_wins() {
        const HUB: &str = r#"{"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}"#;
        const LEGACY: &str = r#"{"https://index.docker.io/v1/": {"auth": "dTpw"}}"#;
        let rows: &[Row] = &[
            ([None; 8], None, &[0, 1, 2, 3, 4, 5, 6, 7], &[]),
            (
                [Some(HUB), None, None, None, None, None, None, None],
                Some(0),
                &[],
                &["https://index.docker.io/v1/"],
            ),
            (
                [None, None, Some(HUB), Some(HUB), None, None, None, None],
                Some(2),
                &[0, 1],
                &["https://index.docker.io/v1/"],
            ),
            // Unparseable files are skipped; a legacy-shaped file at a config.json path parses
            // as a config.json without `auths` and wins with no credentials.
            (
                [
                    Some("{"),
                    Some(LEGACY),
                    Some(HUB),
                    None,
                    None,
                    None,
                    None,
                    None,
                ],
                Some(1),
                &[0],
                &[],
            ),
            (
                [
                    Some("{"),
                    Some("[]"),
                    None,
                    None,
                    Some(LEGACY),
                    None,
                    None,
                    None,
                ],
                Some(4),
                &[0, 1, 2, 3],
                &["https://index.docker.io/v1/"],
            ),
            // A config.json without credentials still wins over a .dockercfg.
            (
                [
                    None,
                    None,
                    Some(r#"{"credsStore": "desktop"}"#),
                    None,
                    Some(LEGACY),
                    None,
                    None,
                    None,
                ],
                Some(2),
                &[0, 1],
                &[],
            ),
            (
                [
                    None,
                    None,
                    None,
                    None,
                    Some("not json"),
                    None,
                    None,
                    Some(LEGACY),
                ],
                Some(7),
                &[0, 1, 2, 3, 4, 5, 6],
                &["https://index.docker.io/v1/"],
            ),
        ];
        for (files, used, skipped, locations) in rows {
            let choice = select_node_config(&candidates(files));
            assert_eq!(
                choice.used.as_ref().map(|(index, _)| *index),
                *used,
                "{files:?}"
            );
            let skipped_indexes: Vec<usize> = choice.skipped.iter().map(|s| s.index).collect();
            assert_eq!(skipped_indexes, *skipped, "{files:?}");
            let used_locations: Vec<&str> = choice
                .used
                .iter()
                .flat_map(|(_, config)| config.entries().iter().map(|(l, _)| l.as_str()))
                .collect();
            assert_eq!(used_locations, *locations, "{files:?}");
            let read = choice.skipped.len() + usize::from(choice.used.is_some());
            assert_eq!(read + choice.not_read.len(), 8);
        }
    }

    #[test]
    fn candidates_are_searched_by_shape_then_order() {
        let files = vec![
            NodeConfigCandidate {
                path: "/n/.dockercfg".to_owned(),
                format: DockerConfigFormat::Dockercfg,
                contents: Some(br#"{"a.io": {}}"#.to_vec()),
            },
            NodeConfigCandidate {
                path: "/n/config.json".to_owned(),
                format: DockerConfigFormat::ConfigJson,
                contents: Some(br#"{"auths": {"b.io": {}}}"#.to_vec()),
            },
        ];
        let choice = select_node_config(&files);
        assert_eq!(choice.used.as_ref().map(|(index, _)| *index), Some(1));
        assert_eq!(choice.not_read, [0]);
        let (keyring, report) = choice.keyring();
        assert_eq!(keyring.index(), ["b.io"]);
        assert_eq!(report.len(), 1);
        assert_eq!(
            keyring
                .lookup("b.io/x")
                .first()
                .map(|c| c.source.to_string()),
            Some("node-config[1]".to_owned())
        );
    }

    #[test]
    fn skip_reasons_read_well() {
        let choice = select_node_config(&candidates(&[
            Some("{"),
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]));
        let lines: Vec<String> = choice
            .skipped
            .iter()
            .take(2)
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            lines,
            [
                "\"/var/lib/kubelet/config.json\" skipped: cannot be parsed: line 1 column 1: EOF while parsing an object",
                "\"/config.json\" skipped: no such file",
            ]
        );
        assert!(choice.keyring().0.is_empty());
    }
}
