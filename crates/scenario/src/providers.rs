//! `credentialProviders:` in a node pool's `kubelet` settings: the kubelet's
//! `CredentialProviderConfig` (`--image-credential-provider-config`), written inline or
//! read from a file beside the scenario, decoded and validated by pullsim-model's parser
//! with the kubelet's messages (docs/credential-providers.md).
//!
//! ```yaml
//! nodes:
//!   - pool: node
//!     kubelet:
//!       credentialProviders:
//!         apiVersion: kubelet.config.k8s.io/v1
//!         kind: CredentialProviderConfig
//!         providers:
//!           - name: ecr-credential-provider
//!             matchImages: ["*.dkr.ecr.*.amazonaws.com"]
//!             defaultCacheDuration: 12h
//!             apiVersion: credentialprovider.kubelet.k8s.io/v1
//!   - pool: other
//!     kubelet:
//!       credentialProviders: {file: kubelet/credential-providers.yaml}
//! ```
//!
//! An inline config is handed to the parser as JSON written one value per line, so a
//! mistake the parser places on a line is reported where that value is written in the
//! scenario; a file's mistakes are reported in the file, as `manifests:` files' are. Each
//! provider must be answered by a plugin of `credentialPlugins:` (the kubelet would not
//! start without the plugin's binary).

use pullsim_model::credentials::provider::{CredentialProvider, parse_credential_provider_config};
use pullsim_model::go_text::quote;

use crate::diagnostics::{Diagnostics, Position, utf8_text};
use crate::fields::{Fields, text};
use crate::manifests::ManifestSource;
use crate::tree::{Node, Value};

/// What reading `credentialProviders:` needs besides its node: where files come from and
/// which plugins the scenario describes.
pub(crate) struct ProviderFiles<'a> {
    /// The scenario file's name, which `file:` paths are relative to.
    pub(crate) scenario_file: &'a str,
    /// Where files come from.
    pub(crate) source: &'a mut dyn ManifestSource,
    /// The names of `credentialPlugins:`.
    pub(crate) plugins: Vec<String>,
    /// `credentialPlugins:` had a mistake, so a name missing from it is not reported.
    pub(crate) plugins_uncertain: bool,
}

impl ProviderFiles<'_> {
    /// Reads the file a `file:` field names, relative to the scenario, and parses its text
    /// with `parse`, whose diagnostics are reported inside that file (FILE:LINE:COLUMN);
    /// a file that cannot be read is reported at the field, as "cannot read WHAT PATH".
    pub(crate) fn read_file<T>(
        &mut self,
        path_node: &Node,
        what: &str,
        diagnostics: &mut Diagnostics,
        parse: impl FnOnce(&str, &mut Diagnostics) -> Option<T>,
    ) -> Option<T> {
        let path = text(path_node, diagnostics)?;
        let bytes = match self.source.read(&path) {
            Ok(bytes) => bytes,
            Err(error) => {
                diagnostics.error(
                    path_node.position,
                    format!("cannot read {what} {}: {error}", quote(&path)),
                );
                return None;
            }
        };
        let folder = self
            .scenario_file
            .rfind('/')
            .map_or("", |slash| &self.scenario_file[..=slash]);
        let name = format!("{folder}{path}");
        let mut inside = Diagnostics::default();
        let parsed = match utf8_text(&bytes) {
            Ok(text) => parse(text, &mut inside),
            Err(error) => {
                inside.error(error.position, error.message);
                None
            }
        };
        diagnostics.absorb(&name, inside);
        parsed
    }
}

/// Reads `credentialProviders:` (inline, or `{file: path}`).
pub(crate) fn read_credential_providers(
    node: &Node,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<CredentialProvider>> {
    let is_file = node
        .entries()
        .is_some_and(|entries| entries.len() == 1 && entries[0].key == "file");
    let providers = if is_file {
        read_file(node, files, diagnostics)?
    } else {
        read_inline(node, diagnostics)?
    };
    let mut missing = false;
    for provider in &providers {
        if !files.plugins_uncertain && !files.plugins.contains(&provider.name) {
            diagnostics.error(
                node.position,
                format!(
                    "credential provider {} has no plugin in credentialPlugins (the kubelet would not start without its binary)",
                    quote(&provider.name)
                ),
            );
            missing = true;
        }
    }
    (!missing).then_some(providers)
}

fn read_file(
    node: &Node,
    files: &mut ProviderFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> Option<Vec<CredentialProvider>> {
    let mut fields = Fields::of(node, "credentialProviders", diagnostics)?;
    let path_node = fields.require("file", diagnostics)?;
    fields.finish(diagnostics);
    files.read_file(
        path_node,
        "credential provider config",
        diagnostics,
        |text, inside| match parse_credential_provider_config(text) {
            Ok(config) => Some(config.providers),
            Err(error) => {
                let at = error_position(&error).unwrap_or(Position::START);
                inside.error(at, error.message());
                None
            }
        },
    )
}

fn read_inline(node: &Node, diagnostics: &mut Diagnostics) -> Option<Vec<CredentialProvider>> {
    let mut json = Json::default();
    json.value(node);
    match parse_credential_provider_config(&json.text) {
        Ok(config) => Some(config.providers),
        Err(error) => {
            let at = error_position(&error)
                .and_then(|at| json.lines.get(at.line.saturating_sub(1) as usize).copied())
                .unwrap_or(node.position);
            diagnostics.error(at, error.message());
            None
        }
    }
}

/// Where the parser places a mistake, when it does.
fn error_position(
    error: &pullsim_model::credentials::provider::ProviderConfigError,
) -> Option<Position> {
    error.position().map(|at| Position {
        line: u32::try_from(at.line).unwrap_or(u32::MAX),
        column: u32::try_from(at.column).unwrap_or(u32::MAX),
    })
}

/// A YAML tree written as JSON, one value per line, with the scenario position of each
/// line: plain scalars typed as YAML (and so as the kubelet's YAML decoder) types them.
#[derive(Default)]
pub(crate) struct Json {
    pub(crate) text: String,
    pub(crate) lines: Vec<Position>,
}

impl Json {
    fn line(&mut self, at: Position, text: &str) {
        self.text.push_str(text);
        self.text.push('\n');
        self.lines.push(at);
    }

    pub(crate) fn value(&mut self, node: &Node) {
        match &node.value {
            Value::Scalar { text, plain } => {
                let written = scalar(text, *plain);
                self.line(node.position, &written);
            }
            Value::Sequence(items) => {
                self.line(node.position, "[");
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        self.line(item.position, ",");
                    }
                    self.value(item);
                }
                self.line(node.position, "]");
            }
            Value::Mapping(entries) => {
                self.line(node.position, "{");
                for (index, entry) in entries.iter().enumerate() {
                    if index > 0 {
                        self.line(entry.key_position, ",");
                    }
                    self.line(entry.key_position, &format!("{}:", json_string(&entry.key)));
                    self.value(&entry.value);
                }
                self.line(node.position, "}");
            }
        }
    }
}

/// A scalar as JSON: a plain `true`, `false`, `null` or number as such, else a string.
fn scalar(text: &str, plain: bool) -> String {
    if plain {
        match text {
            "true" | "True" | "TRUE" => return "true".to_owned(),
            "false" | "False" | "FALSE" => return "false".to_owned(),
            "" | "~" | "null" | "Null" | "NULL" => return "null".to_owned(),
            _ => {}
        }
        if text.parse::<i64>().is_ok()
            || (text.parse::<f64>().is_ok_and(f64::is_finite) && !text.starts_with(['.', '+']))
        {
            return text.to_owned();
        }
    }
    json_string(text)
}

fn json_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::parse_document;

    fn json_of(yaml: &str) -> Json {
        let mut diagnostics = Diagnostics::default();
        let node = parse_document(yaml, &mut diagnostics).expect("parses");
        let mut json = Json::default();
        json.value(&node);
        json
    }

    #[test]
    fn yaml_becomes_json_with_the_scalars_typed_and_each_line_placed() {
        let json =
            json_of("name: ecr\nmatchImages: ['*.example.com', x]\ncount: 3\nok: true\ntag: '1'\n");
        let value: serde_json::Value = serde_json::from_str(&json.text).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!({"name": "ecr", "matchImages": ["*.example.com", "x"], "count": 3, "ok": true, "tag": "1"})
        );
        let count_line = json
            .text
            .lines()
            .position(|line| line == "\"count\":")
            .expect("a line for the key");
        assert_eq!(json.lines[count_line], Position { line: 3, column: 1 });
    }
}
