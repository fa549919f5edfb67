//! Reading what `pullsim creds lookup` takes about credential-provider plugins: the kubelet's
//! `--image-credential-provider-config` (a file, or a directory of `*.json`, `*.yaml` and
//! `*.yml` files read in lexicographic order, as the kubelet reads it) and the answers the
//! plugins give (`--provider-answers`), with errors that name the file, line and column.

use std::collections::BTreeMap;

use pullsim_model::credentials::provider::{
    CredentialProviderConfig, CredentialProviderResponse, DecodedConfig, ExecFailure,
    ProtocolError, ProviderConfigError, RESPONSE_KIND, decode_credential_provider_config,
    merge_configs,
};
use pullsim_model::go_text::quote;

use crate::CliError;
use crate::credential_files::read_text_file;

fn located(file: &str, error: &ProviderConfigError) -> String {
    match error.position() {
        Some(position) => format!("{file}:{}:{}", position.line, position.column),
        None => file.to_owned(),
    }
}

/// The configuration's files, in the order the kubelet reads them.
fn config_files(path: &str) -> Result<Vec<String>, CliError> {
    let metadata = std::fs::metadata(path)
        .map_err(|err| CliError::input(format!("unable to access path {}: {err}", quote(path))))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let entries = std::fs::read_dir(path).map_err(|err| {
        CliError::input(format!("unable to read directory {}: {err}", quote(path)))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| {
            CliError::input(format!("unable to read directory {}: {err}", quote(path)))
        })?;
        let file_path = entry.path();
        let is_config = matches!(
            file_path.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "yml")
        );
        if is_config && !entry.file_type().is_ok_and(|t| t.is_dir()) {
            files.push(file_path.to_string_lossy().into_owned());
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(CliError::input(format!(
            "no configuration files found in directory {} (the kubelet does not start)",
            quote(path)
        )));
    }
    Ok(files)
}

/// Reads `--provider-config` as the kubelet does, refusing it as the kubelet would refuse
/// to start: each validation error on its own `FILE:LINE:COLUMN:` line, then the kubelet's text.
pub(crate) fn provider_config(path: &str) -> Result<CredentialProviderConfig, CliError> {
    let mut decoded: Vec<(String, DecodedConfig)> = Vec::new();
    for file in config_files(path)? {
        let text = read_text_file(&file)?;
        let config = decode_credential_provider_config(&text).map_err(|error| {
            CliError::input(format!(
                "{}: error decoding config {}: {} (the kubelet does not start)",
                located(&file, &error),
                quote(&file),
                error.message()
            ))
        })?;
        decoded.push((file, config));
    }
    merge_configs(&decoded).map_err(|error| {
        let fallback = decoded.first().map_or(path, |(file, _)| file.as_str());
        match &error {
            ProviderConfigError::Invalid(errors) => {
                let mut lines: Vec<String> = errors
                    .iter()
                    .map(|field| {
                        let file = field.file.as_deref().unwrap_or(fallback);
                        match field.position {
                            Some(p) => format!("{file}:{}:{}: {field}", p.line, p.column),
                            None => format!("{file}: {field}"),
                        }
                    })
                    .collect();
                lines.push(format!(
                    "pullsim: error: the kubelet does not start: {}",
                    error.message()
                ));
                CliError::Diagnostics(lines.join("\n"))
            }
            ProviderConfigError::DuplicateProvider { file, .. } => CliError::input(format!(
                "{}: {} (the kubelet does not start)",
                located(file.as_deref().unwrap_or(fallback), &error),
                error.message()
            )),
            _ => CliError::input(format!(
                "{}: {}",
                located(fallback, &error),
                error.message()
            )),
        }
    })
}

/// What a plugin answered, as `--provider-answers` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    /// The plugin exited 0 with a response the kubelet accepts.
    Response(CredentialProviderResponse),
    /// The plugin exited 0, but the kubelet refuses what it printed.
    Refused(ProtocolError),
    /// The plugin failed (a non-zero exit, or killed at the timeout) with this on standard
    /// error.
    Failed {
        /// How it failed.
        failure: ExecFailure,
        /// What it wrote on standard error.
        stderr: String,
    },
}

/// Reads `--provider-answers`: a YAML or JSON map of provider name to what the plugin prints
/// (a `CredentialProviderResponse`; `kind` and `apiVersion` may be left out and are then the
/// response kind and the provider's `apiVersion`), or `{error: TEXT}` for a plugin that fails.
/// An answer for a provider the configuration does not have is left out, with a warning.
pub(crate) fn provider_answers(
    path: &str,
    config: &CredentialProviderConfig,
    warnings: &mut Vec<String>,
) -> Result<BTreeMap<String, Answer>, CliError> {
    let text = read_text_file(path)?;
    let map: serde_json::Map<String, serde_json::Value> =
        pullsim_model::document::parse_json_or_yaml(&text)
            .map_err(|error| CliError::document(path, "invalid provider answers", &error))?;
    let mut answers = BTreeMap::new();
    for (name, value) in map {
        let Some(provider) = config.providers.iter().find(|p| p.name == name) else {
            let known: Vec<String> = config.providers.iter().map(|p| quote(&p.name)).collect();
            warnings.push(format!(
                "{path}: an answer for provider {}, which the provider config does not have (it has {}): left out",
                quote(&name),
                known.join(", ")
            ));
            continue;
        };
        let serde_json::Value::Object(mut object) = value else {
            return Err(CliError::input(format!(
                "{path}: the answer for provider {} must be a map (a CredentialProviderResponse, or error: TEXT)",
                quote(&name)
            )));
        };
        if let Some(error) = object.get("error") {
            let Some(stderr) = error.as_str().filter(|_| object.len() == 1) else {
                return Err(CliError::input(format!(
                    "{path}: the answer for provider {}: `error` takes a text and no other field",
                    quote(&name)
                )));
            };
            answers.insert(
                name,
                Answer::Failed {
                    failure: ExecFailure::Exit(1),
                    stderr: stderr.to_owned(),
                },
            );
            continue;
        }
        object
            .entry("kind")
            .or_insert_with(|| serde_json::Value::String(RESPONSE_KIND.to_owned()));
        object
            .entry("apiVersion")
            .or_insert_with(|| serde_json::Value::String(provider.api_version.clone()));
        let json = serde_json::Value::Object(object).to_string();
        let answer = match CredentialProviderResponse::parse(&json, &provider.api_version) {
            Ok(response) => Answer::Response(response),
            Err(error) => Answer::Refused(error),
        };
        answers.insert(name, answer);
    }
    Ok(answers)
}
