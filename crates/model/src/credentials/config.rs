//! Docker config documents as the kubelet decodes them: `config.json` (`{"auths": {...}}`, also
//! the payload of `kubernetes.io/dockerconfigjson` Secrets) and the legacy `.dockercfg` (the bare
//! registry map, also in `kubernetes.io/dockercfg` Secrets). docs/semantics.md §4.4.
//!
//! Upstream: kubernetes `pkg/credentialprovider/config.go` (`DockerConfigJSON`, `DockerConfig`,
//! `DockerConfigEntry.UnmarshalJSON`, `decodeDockerConfigFieldAuth`) and `config_test.go`.
//! Rules kept:
//! - entry fields `username`, `password`, `email`, `auth` (matched case-insensitively, as Go's
//!   `encoding/json` does); unknown fields, `credsStore`, `credHelpers` and `HttpHeaders` are not
//!   used (the latter is still type-checked, as Go decodes it);
//! - a non-empty `auth` overrides username and password: base64 with padding when the trimmed value
//!   ends with `=`, else without; decoded text split at the first `:`; errors abort the document;
//! - Go's `json: cannot unmarshal ...` wording for values of the wrong type, with the struct and
//!   field path Go prints (see [`GoTypeError`]).
//!
//! Choice where Go is undefined: a Go map has no order, so the kubelet adds the entries of one
//! document to its keyring in a random order; here they keep the document's key order, so runs are
//! reproducible. The order only matters for two locations that derive the same keyring key, whose
//! credentials the kubelet then tries in a random order. A duplicated location keeps its first
//! position and its last value (Go decodes later duplicates over earlier ones).

use std::collections::BTreeMap;

use thiserror::Error;

use crate::document::DocumentError;
use crate::go::base64::{Base64Error, Base64Padding, go_base64_decode};
use crate::go::json::{GoJson, GoTypeError, go_field_name_matches, parse_go_json};

/// One registry's credentials: kubernetes `DockerConfigEntry` without the lazy `Provider`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DockerConfigEntry {
    /// The user name (from `username`, or from `auth` when that is set).
    pub username: String,
    /// The password (from `password`, or from `auth` when that is set).
    pub password: String,
    /// The e-mail address, deprecated by Docker and never sent by the kubelet.
    pub email: String,
}

/// A docker config: registry locations (keys as written) to credentials, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DockerConfig {
    entries: Vec<(String, DockerConfigEntry)>,
    /// Where each location is in `entries`, so that inserting and looking up do not scan
    /// (a config.json of 100,000 locations took a minute to read). Only ever derived from
    /// `entries`, so comparing it too changes nothing.
    positions: BTreeMap<String, usize>,
}

impl DockerConfig {
    /// An empty config.
    pub fn new() -> DockerConfig {
        DockerConfig::default()
    }

    /// Adds or replaces the entry for `location`; a replaced entry keeps its position.
    pub fn insert(&mut self, location: impl Into<String>, entry: DockerConfigEntry) {
        let location = location.into();
        match self.positions.get(&location) {
            Some(&at) => self.entries[at].1 = entry,
            None => {
                self.positions.insert(location.clone(), self.entries.len());
                self.entries.push((location, entry));
            }
        }
    }

    /// The entries in document order.
    pub fn entries(&self) -> &[(String, DockerConfigEntry)] {
        &self.entries
    }

    /// The entry for exactly `location`, if any.
    pub fn get(&self, location: &str) -> Option<&DockerConfigEntry> {
        self.positions.get(location).map(|&at| &self.entries[at].1)
    }

    /// How many locations the config names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the config names no location.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<L: Into<String>> FromIterator<(L, DockerConfigEntry)> for DockerConfig {
    fn from_iter<I: IntoIterator<Item = (L, DockerConfigEntry)>>(iter: I) -> DockerConfig {
        let mut config = DockerConfig::new();
        for (location, entry) in iter {
            config.insert(location, entry);
        }
        config
    }
}

/// The two document shapes the kubelet reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DockerConfigFormat {
    /// `config.json` and `.dockerconfigjson`: `{"auths": {location: entry}}`.
    ConfigJson,
    /// Legacy `.dockercfg` and `.dockercfg` Secrets: `{location: entry}`.
    Dockercfg,
}

/// Why a docker config document was rejected; the texts are the kubelet's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    /// Not JSON at all.
    #[error(transparent)]
    Syntax(Box<DocumentError>),
    /// JSON with a value of the wrong type somewhere Go decodes it.
    #[error(transparent)]
    Type(GoTypeError),
    /// An `auth` field that is not base64.
    #[error(transparent)]
    AuthBase64(Base64Error),
    /// An `auth` field whose decoded text has no `:`.
    #[error("unable to parse auth field, must be formatted as base64(username:password)")]
    AuthFormat,
}

/// Decodes a docker config document of the given shape as `json.Unmarshal` does in the kubelet.
pub fn parse_docker_config(
    bytes: &[u8],
    format: DockerConfigFormat,
) -> Result<DockerConfig, ConfigError> {
    let json = parse_go_json(bytes)
        .map_err(|error| ConfigError::Syntax(Box::new(DocumentError::from_json(&error))))?;
    match format {
        DockerConfigFormat::ConfigJson => decode_config_json(&json),
        DockerConfigFormat::Dockercfg => decode_dockercfg(&json),
    }
}

/// `json.Unmarshal` into `DockerConfigJSON` and take `.Auths` (config.json, `.dockerconfigjson`).
pub fn parse_docker_config_json(bytes: &[u8]) -> Result<DockerConfig, ConfigError> {
    parse_docker_config(bytes, DockerConfigFormat::ConfigJson)
}

/// `json.Unmarshal` into `DockerConfig` (legacy `.dockercfg`, `.dockercfg` Secrets).
pub fn parse_dockercfg(bytes: &[u8]) -> Result<DockerConfig, ConfigError> {
    parse_docker_config(bytes, DockerConfigFormat::Dockercfg)
}

const DOCKER_CONFIG_TYPE: &str = "credentialprovider.DockerConfig";
const DOCKER_CONFIG_JSON_STRUCT: &str = "DockerConfigJSON";
const ENTRY_STRUCT: &str = "dockerConfigEntryWithAuth";

/// Decoding state shared by the walkers: Go keeps the first type error and goes on, while an
/// error returned by an `UnmarshalJSON` method stops decoding at once.
#[derive(Default)]
struct Decoding {
    first_type_error: Option<GoTypeError>,
}

impl Decoding {
    fn save(&mut self, error: GoTypeError) {
        self.first_type_error.get_or_insert(error);
    }

    fn finish(self, config: DockerConfig) -> Result<DockerConfig, ConfigError> {
        match self.first_type_error {
            Some(error) => Err(ConfigError::Type(error)),
            None => Ok(config),
        }
    }
}

fn decode_config_json(json: &GoJson) -> Result<DockerConfig, ConfigError> {
    let mut decoding = Decoding::default();
    let mut auths = DockerConfig::new();
    match json {
        GoJson::Null => {}
        GoJson::Object(members) => {
            for (key, value) in members {
                if go_field_name_matches(key, "auths") {
                    match value {
                        GoJson::Null => {}
                        GoJson::Object(entries) => {
                            decode_entries(entries, Some("auths"), &mut auths)?;
                        }
                        other => decoding.save(GoTypeError {
                            value: other.go_kind(),
                            go_type: DOCKER_CONFIG_TYPE,
                            field: Some((DOCKER_CONFIG_JSON_STRUCT, "auths".to_owned())),
                        }),
                    }
                } else if go_field_name_matches(key, "HttpHeaders") {
                    check_http_headers(value, &mut decoding);
                }
            }
        }
        other => decoding.save(GoTypeError {
            value: other.go_kind(),
            go_type: "credentialprovider.DockerConfigJSON",
            field: None,
        }),
    }
    decoding.finish(auths)
}

/// `HttpHeaders map[string]string` is decoded (so its type errors count) but not used.
fn check_http_headers(value: &GoJson, decoding: &mut Decoding) {
    let field = || Some((DOCKER_CONFIG_JSON_STRUCT, "HttpHeaders".to_owned()));
    match value {
        GoJson::Null => {}
        GoJson::Object(headers) => {
            for (_, header) in headers {
                if !matches!(header, GoJson::String(_) | GoJson::Null) {
                    decoding.save(GoTypeError {
                        value: header.go_kind(),
                        go_type: "string",
                        field: field(),
                    });
                }
            }
        }
        other => decoding.save(GoTypeError {
            value: other.go_kind(),
            go_type: "map[string]string",
            field: field(),
        }),
    }
}

fn decode_dockercfg(json: &GoJson) -> Result<DockerConfig, ConfigError> {
    let mut decoding = Decoding::default();
    let mut config = DockerConfig::new();
    match json {
        GoJson::Null => {}
        GoJson::Object(entries) => decode_entries(entries, None, &mut config)?,
        other => decoding.save(GoTypeError {
            value: other.go_kind(),
            go_type: DOCKER_CONFIG_TYPE,
            field: None,
        }),
    }
    decoding.finish(config)
}

/// Decodes a `DockerConfig` map into `config` (merging, as Go decodes into an existing map).
/// `outer_field` is the struct field the map sits in, which Go adds to entry type errors.
fn decode_entries(
    entries: &[(String, GoJson)],
    outer_field: Option<&str>,
    config: &mut DockerConfig,
) -> Result<(), ConfigError> {
    for (location, value) in entries {
        let entry = decode_entry(value).map_err(|error| match (error, outer_field) {
            (ConfigError::Type(type_error), Some(field)) => {
                ConfigError::Type(type_error.within(DOCKER_CONFIG_JSON_STRUCT, field))
            }
            (error, _) => error,
        })?;
        config.insert(location.clone(), entry);
    }
    Ok(())
}

/// `DockerConfigEntry.UnmarshalJSON`: decode into `dockerConfigEntryWithAuth`, then let a
/// non-empty `auth` override username and password.
fn decode_entry(value: &GoJson) -> Result<DockerConfigEntry, ConfigError> {
    let members = match value {
        GoJson::Null => return Ok(DockerConfigEntry::default()),
        GoJson::Object(members) => members,
        other => {
            return Err(ConfigError::Type(GoTypeError {
                value: other.go_kind(),
                go_type: "credentialprovider.dockerConfigEntryWithAuth",
                field: None,
            }));
        }
    };
    let mut entry = DockerConfigEntry::default();
    let mut auth = String::new();
    let mut first_type_error = None;
    for (key, value) in members {
        let (field_name, slot) = if go_field_name_matches(key, "username") {
            ("username", &mut entry.username)
        } else if go_field_name_matches(key, "password") {
            ("password", &mut entry.password)
        } else if go_field_name_matches(key, "email") {
            ("email", &mut entry.email)
        } else if go_field_name_matches(key, "auth") {
            ("auth", &mut auth)
        } else {
            continue;
        };
        match value {
            GoJson::String(text) => *slot = text.clone(),
            GoJson::Null => {}
            other => {
                first_type_error.get_or_insert(GoTypeError {
                    value: other.go_kind(),
                    go_type: "string",
                    field: Some((ENTRY_STRUCT, field_name.to_owned())),
                });
            }
        }
    }
    if let Some(error) = first_type_error {
        return Err(ConfigError::Type(error));
    }
    if !auth.is_empty() {
        let (username, password) = decode_auth_field(&auth)?;
        entry.username = username;
        entry.password = password;
    }
    Ok(entry)
}

/// The kubelet's `decodeDockerConfigFieldAuth`: `base64(username:password)`, padded base64 when
/// the value (ignoring surrounding white space) ends with `=`, unpadded otherwise; Go's decoder
/// skips newlines but not spaces. Decoded bytes that are not UTF-8 become U+FFFD here.
pub fn decode_auth_field(field: &str) -> Result<(String, String), ConfigError> {
    let padding = if field.trim().ends_with('=') {
        Base64Padding::Padded
    } else {
        Base64Padding::Unpadded
    };
    let decoded = go_base64_decode(field.as_bytes(), padding).map_err(ConfigError::AuthBase64)?;
    let text = String::from_utf8_lossy(&decoded);
    let (username, password) = text.split_once(':').ok_or(ConfigError::AuthFormat)?;
    Ok((username.to_owned(), password.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 12 item 19: a config.json of 100,000 locations (with a repeated one, which keeps
    /// its first position and takes its last value) reads in linear time. The linear scan
    /// made this a minute even in a release build; here it must take well under one
    /// (the bound is far above the few hundred milliseconds a debug build needs, so load
    /// on the machine cannot fail it).
    #[test]
    fn a_hundred_thousand_locations_read_quickly_in_document_order() {
        const LOCATIONS: usize = 100_000;
        let mut document = String::from("{\"auths\": {");
        for index in 0..LOCATIONS {
            document.push_str(&format!(
                "\"r{index}.example.com\": {{\"username\": \"u{index}\", \"password\": \"p\"}}, "
            ));
        }
        document.push_str("\"r0.example.com\": {\"username\": \"last\", \"password\": \"p\"}}}");
        #[expect(
            clippy::disallowed_methods,
            reason = "a test's own time bound, not the model's clock"
        )]
        let started = std::time::Instant::now();
        let config = parse_docker_config_json(document.as_bytes()).expect("valid");
        let elapsed = started.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
        assert_eq!(config.len(), LOCATIONS);
        assert_eq!(config.entries()[0].0, "r0.example.com");
        assert_eq!(config.entries()[0].1.username, "last");
        assert_eq!(
            config.entries()[LOCATIONS - 1].0,
            format!("r{}.example.com", LOCATIONS - 1)
        );
        assert_eq!(
            config.get("r7.example.com").map(|e| e.username.as_str()),
            Some("u7")
        );
        assert_eq!(config.get("r7.example.com:443"), None);
    }

    fn entry(username: &str, password: &str, email: &str) -> DockerConfigEntry {
        DockerConfigEntry {
            username: username.to_owned(),
            password: password.to_owned(),
            email: email.to_owned(),
        }
    }

    /// `TestDecodeDockerConfigFieldAuth` of kubernetes `config_test.go` (mainline rows, as also
    /// copied into cloud-provider-gcp's `TestDecodeRegistryConfigFieldAuth`), with the errors.
    #[test]
    fn upstream_decode_auth_field() {
        type Row = (
            &'static str,
            Result<(&'static str, &'static str), &'static str>,
        );
        let rows: &[Row] = &[
            ("Zm9vOmJhcg==", Ok(("foo", "bar"))),
            ("Zm9vOmJhcg", Ok(("foo", "bar"))),
            ("Zm9vOm\nJhcg==\n", Ok(("foo", "bar"))),
            ("Zm9vOmJhcg==", Ok(("foo", "bar"))), // base64.StdEncoding of "foo:bar"
            ("Zm9vOmJhcg", Ok(("foo", "bar"))),   // base64.RawStdEncoding of "foo:bar"
            (
                "cGFudHM=",
                Err("unable to parse auth field, must be formatted as base64(username:password)"),
            ),
            ("Zm9vOmJhcg== ", Err("illegal base64 data at input byte 12")),
            ("pants", Err("illegal base64 data at input byte 4")),
            // Beyond upstream: the split is at the first colon, and empty parts are fine.
            ("dTpwOnE=", Ok(("u", "p:q"))),
            ("Og==", Ok(("", ""))),
            ("Zm9vOmJhcg=", Err("illegal base64 data at input byte 11")),
            (" Zm9vOmJhcg==", Err("illegal base64 data at input byte 0")),
        ];
        for (input, expected) in rows {
            let got = decode_auth_field(input).map_err(|e| e.to_string());
            let expected = expected
                .map(|(u, p)| (u.to_owned(), p.to_owned()))
                .map_err(str::to_owned);
            assert_eq!(got, expected, "decodeDockerConfigFieldAuth({input:?})");
        }
    }

    /// `TestDockerConfigEntryJSONDecode` of kubernetes `config_test.go`, decoded as the single
    /// entry of a `.dockercfg` map so the entry decoder is exercised end to end.
    #[test]
    fn upstream_entry_json_decode() {
        let rows: &[(&str, Result<DockerConfigEntry, &str>)] = &[
            (
                r#"{"username": "foo", "password": "bar", "email": "foo@example.com"}"#,
                Ok(entry("foo", "bar", "foo@example.com")),
            ),
            (
                r#"{"auth": "Zm9vOmJhcg==", "email": "foo@example.com"}"#,
                Ok(entry("foo", "bar", "foo@example.com")),
            ),
            (
                r#"{"username": "foo", "password": "bar", "auth": "cGluZzpwb25n", "email": "foo@example.com"}"#,
                Ok(entry("ping", "pong", "foo@example.com")),
            ),
            (
                r#"{"auth": "pants", "email": "foo@example.com"}"#,
                Err("illegal base64 data at input byte 4"),
            ),
            (
                r#"{"email": false}"#,
                Err(
                    "json: cannot unmarshal bool into Go struct field dockerConfigEntryWithAuth.email of type string",
                ),
            ),
        ];
        for (input, expected) in rows {
            let document = format!(r#"{{"registry.io": {input}}}"#);
            let got = parse_dockercfg(document.as_bytes())
                .map(|config| config.get("registry.io").cloned().unwrap_or_default())
                .map_err(|e| e.to_string());
            let expected = expected.clone().map_err(str::to_owned);
            assert_eq!(got, expected, "entry {input}");
        }
    }

    /// `TestDockerConfigJsonJSONDecode` and `TestDockerConfigJSONDecode` of `config_test.go`.
    #[test]
    fn upstream_document_decode() {
        let expected: DockerConfig = [
            (
                "http://foo.example.com",
                entry("foo", "bar", "foo@example.com"),
            ),
            (
                "http://bar.example.com",
                entry("bar", "baz", "bar@example.com"),
            ),
        ]
        .into_iter()
        .collect();
        let config_json = br#"{"auths": {"http://foo.example.com":{"username": "foo", "password": "bar", "email": "foo@example.com"}, "http://bar.example.com":{"username": "bar", "password": "baz", "email": "bar@example.com"}}}"#;
        assert_eq!(parse_docker_config_json(config_json), Ok(expected.clone()));
        let dockercfg = br#"{"http://foo.example.com":{"username": "foo", "password": "bar", "email": "foo@example.com"}, "http://bar.example.com":{"username": "bar", "password": "baz", "email": "bar@example.com"}}"#;
        assert_eq!(parse_dockercfg(dockercfg), Ok(expected));
        // `TestReadDockerConfigFile`'s document: auth "foo:bar\n" keeps the newline in the password.
        let file = br#"{ "auths": { "http://foo.example.com":{"auth":"Zm9vOmJhcgo=","email":"foo@example.com"}}}"#;
        assert_eq!(
            parse_docker_config_json(file).map(|c| c.entries().to_vec()),
            Ok(vec![(
                "http://foo.example.com".to_owned(),
                entry("foo", "bar\n", "foo@example.com")
            )])
        );
    }

    /// How Go's decoder shows through: field folding, nulls, duplicates, ignored fields, order.
    #[test]
    fn go_decoding_details() {
        type Entries = Vec<(&'static str, DockerConfigEntry)>;
        type Row = (
            DockerConfigFormat,
            &'static str,
            Result<Entries, &'static str>,
        );
        let rows: &[Row] = &[
            (
                DockerConfigFormat::ConfigJson,
                r#"{"AUTHS": {"r.io": {"USERNAME": "u", "Password": "p"}}}"#,
                Ok(vec![("r.io", entry("u", "p", ""))]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"r.io": {"username": "u", "username": null}}}"#,
                Ok(vec![("r.io", entry("u", "", ""))]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"r.io": null}}"#,
                Ok(vec![("r.io", entry("", "", ""))]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"b.io": {}, "a.io": {"username": "x"}, "b.io": {"username": "y"}}}"#,
                Ok(vec![
                    ("b.io", entry("y", "", "")),
                    ("a.io", entry("x", "", "")),
                ]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"a.io": {}}, "auths": {"b.io": {}}}"#,
                Ok(vec![
                    ("a.io", entry("", "", "")),
                    ("b.io", entry("", "", "")),
                ]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"r.io": {"auth": "", "username": "u"}}}"#,
                Ok(vec![("r.io", entry("u", "", ""))]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"credsStore": "desktop", "credHelpers": {"r.io": "x"}, "auths": {"r.io": {"identitytoken": "t", "x": 1}}}"#,
                Ok(vec![("r.io", entry("", "", ""))]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"credsStore": "desktop"}"#,
                Ok(vec![]),
            ),
            (DockerConfigFormat::ConfigJson, "null", Ok(vec![])),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": null}"#,
                Ok(vec![]),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": "x"}"#,
                Err(
                    "json: cannot unmarshal string into Go struct field DockerConfigJSON.auths of type credentialprovider.DockerConfig",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"r.io": {"username": 5}}}"#,
                Err(
                    "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths.username of type string",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": {"r.io": "x"}}"#,
                Err(
                    "json: cannot unmarshal string into Go struct field DockerConfigJSON.auths of type credentialprovider.dockerConfigEntryWithAuth",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"HttpHeaders": {"User-Agent": 1}}"#,
                Err(
                    "json: cannot unmarshal number into Go struct field DockerConfigJSON.HttpHeaders of type string",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"HttpHeaders": []}"#,
                Err(
                    "json: cannot unmarshal array into Go struct field DockerConfigJSON.HttpHeaders of type map[string]string",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"[]"#,
                Err(
                    "json: cannot unmarshal array into Go value of type credentialprovider.DockerConfigJSON",
                ),
            ),
            // A type error is kept while decoding goes on; an auth error stops it and wins.
            (
                DockerConfigFormat::ConfigJson,
                r#"{"auths": 1, "HttpHeaders": []}"#,
                Err(
                    "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths of type credentialprovider.DockerConfig",
                ),
            ),
            (
                DockerConfigFormat::ConfigJson,
                r#"{"HttpHeaders": [], "auths": {"r.io": {"auth": "eA"}}}"#,
                Err("unable to parse auth field, must be formatted as base64(username:password)"),
            ),
            (
                DockerConfigFormat::Dockercfg,
                r#"{"r.io": {"username": 5}}"#,
                Err(
                    "json: cannot unmarshal number into Go struct field dockerConfigEntryWithAuth.username of type string",
                ),
            ),
            (
                DockerConfigFormat::Dockercfg,
                r#"{"r.io": ["x"]}"#,
                Err(
                    "json: cannot unmarshal array into Go value of type credentialprovider.dockerConfigEntryWithAuth",
                ),
            ),
            (
                DockerConfigFormat::Dockercfg,
                r#"{"auths": {"r.io": {}}}"#,
                Ok(vec![("auths", entry("", "", ""))]),
            ),
            (
                DockerConfigFormat::Dockercfg,
                r#""x""#,
                Err(
                    "json: cannot unmarshal string into Go value of type credentialprovider.DockerConfig",
                ),
            ),
            (
                DockerConfigFormat::Dockercfg,
                "{\"r.io\": {\n  \"username\": \"u\",\n}}",
                Err("line 3 column 1: trailing comma"),
            ),
            (
                DockerConfigFormat::Dockercfg,
                "",
                Err("line 1 column 0: EOF while parsing a value"),
            ),
        ];
        for (format, input, expected) in rows {
            let got = parse_docker_config(input.as_bytes(), *format)
                .map(|config| config.entries().to_vec())
                .map_err(|e| e.to_string());
            let expected = expected
                .clone()
                .map(|entries| {
                    entries
                        .into_iter()
                        .map(|(l, e)| (l.to_owned(), e))
                        .collect::<Vec<_>>()
                })
                .map_err(str::to_owned);
            assert_eq!(got, expected, "{format:?} {input}");
        }
    }

    #[test]
    fn syntax_errors_keep_position() {
        let error = parse_docker_config_json(b"{\n  \"auths\": {\n    \"r.io\": {,}\n  }\n}")
            .expect_err("invalid JSON");
        let ConfigError::Syntax(syntax) = error else {
            panic!("expected a syntax error, got {error:?}");
        };
        assert_eq!((syntax.line, syntax.column), (Some(3), Some(14)));
        assert_eq!(syntax.to_string(), "line 3 column 14: key must be a string");
    }
}
