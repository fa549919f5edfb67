//! Reading the files `pullsim creds lookup` takes: docker config files and Secret manifests,
//! recognised by their content, with errors that name the file, line and column.

use pullsim_model::credentials::{
    ConfigError, DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, DOCKERCFG_KEY, DOCKERCFG_TYPE,
    DockerConfigFormat, NodeConfigCandidate, Secret, SecretError, parse_docker_config,
};

use crate::CliError;

/// What a credential file holds, judged from its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    /// A `kind: Secret` manifest (YAML, or JSON with `kind`/`apiVersion`/`type`).
    SecretManifest,
    /// A docker config document of the given shape.
    DockerConfig(DockerConfigFormat),
}

/// A JSON object with `auths` is a config.json; another JSON object with `kind`, `apiVersion`
/// or `type` is a Secret; any other JSON object is a legacy `.dockercfg` map; anything that is
/// not JSON is read as a YAML Secret manifest.
fn kind_of(text: &str) -> FileKind {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str::<serde_json::Value>(text)
    else {
        // Invalid JSON that starts like JSON is reported as a JSON error, not a YAML one.
        return if text.trim_start().starts_with('{') {
            FileKind::DockerConfig(DockerConfigFormat::ConfigJson)
        } else {
            FileKind::SecretManifest
        };
    };
    if object.contains_key("auths") {
        FileKind::DockerConfig(DockerConfigFormat::ConfigJson)
    } else if ["kind", "apiVersion", "type"]
        .iter()
        .any(|key| object.contains_key(*key))
    {
        FileKind::SecretManifest
    } else {
        FileKind::DockerConfig(DockerConfigFormat::Dockercfg)
    }
}

/// A file's text, or an error naming the file (and the place of bytes that are not UTF-8).
pub(crate) fn read_text_file(path: &str) -> Result<String, CliError> {
    let bytes = std::fs::read(path)
        .map_err(|err| CliError::input(format!("{path}: cannot read: {err}")))?;
    match pullsim_scenario::diagnostics::utf8_text(&bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(error) => Err(CliError::input(format!(
            "{path}:{}: {}",
            error.position, error.message
        ))),
    }
}

fn secret_error(path: &str, error: &SecretError) -> CliError {
    match error {
        SecretError::Document(document) => {
            CliError::document(path, "invalid Secret manifest", document)
        }
        other => CliError::input(format!("{path}: invalid Secret manifest: {other}")),
    }
}

/// Checks a docker config document now, so that a syntax error names the file with its line
/// and column rather than a Secret's `data` key.
fn check_docker_config(path: &str, text: &str, format: DockerConfigFormat) -> Result<(), CliError> {
    let what = match format {
        DockerConfigFormat::ConfigJson => "invalid docker config.json",
        DockerConfigFormat::Dockercfg => "invalid legacy .dockercfg",
    };
    match parse_docker_config(text.as_bytes(), format) {
        Ok(_) => Ok(()),
        Err(ConfigError::Syntax(document)) => Err(CliError::document(path, what, &document)),
        Err(other) => Err(CliError::input(format!("{path}: {what}: {other}"))),
    }
}

/// A file name without folders or extension, as the Secret name of a bare config file.
fn stem(path: &str) -> String {
    let name = std::path::Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned());
    name.filter(|name| !name.is_empty())
        .unwrap_or_else(|| "pull-secret".to_owned())
}

/// Reads a `--pod-secret` file as the Secret the kubelet would fetch. A bare docker config
/// file becomes a Secret of the matching type named after the file, in namespace `default`.
pub(crate) fn pod_secret(path: &str) -> Result<Secret, CliError> {
    let text = read_text_file(path)?;
    match kind_of(&text) {
        FileKind::SecretManifest => Secret::parse(&text).map_err(|err| secret_error(path, &err)),
        FileKind::DockerConfig(format) => {
            check_docker_config(path, &text, format)?;
            let (secret_type, key) = match format {
                DockerConfigFormat::ConfigJson => (DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY),
                DockerConfigFormat::Dockercfg => (DOCKERCFG_TYPE, DOCKERCFG_KEY),
            };
            Ok(Secret {
                name: stem(path),
                namespace: "default".to_owned(),
                uid: None,
                secret_type: secret_type.to_owned(),
                data: [(key.to_owned(), text.into_bytes())].into_iter().collect(),
            })
        }
    }
}

/// Reads a `--node-config` file as a candidate of the kubelet's search path, as the kubelet
/// does (docs/semantics.md §4.1, 4.4): a file that cannot be read or parsed is skipped and the
/// next one read. The candidate always comes back, so the search order and the numbering
/// `node-config[i]` stay those of the command line; the warning, when there is one, says
/// what was wrong with the file (a file named on the command line that does not parse is
/// almost always a mistake worth hearing about).
pub(crate) fn node_config_or_warning(path: &str) -> (NodeConfigCandidate, Option<String>) {
    match node_config(path) {
        Ok(candidate) => (candidate, None),
        Err(error) => {
            // What the kubelet's provider would find there: the bytes (which then fail to
            // parse and are skipped), or nothing for a file it cannot open.
            let contents = std::fs::read(path).ok();
            let format = if path.ends_with(".dockercfg") {
                DockerConfigFormat::Dockercfg
            } else {
                DockerConfigFormat::ConfigJson
            };
            let candidate = NodeConfigCandidate {
                path: path.to_owned(),
                format,
                contents,
            };
            let message = match error {
                CliError::Output(error) => error.to_string(),
                CliError::Usage(message)
                | CliError::Input(message)
                | CliError::Internal(message)
                | CliError::Diagnostics(message) => message,
            };
            let warning = format!("{message} (the kubelet skips this file and reads the next one)");
            (candidate, Some(warning))
        }
    }
}

/// Reads a `--node-config` file that must be a docker config that parses.
fn node_config(path: &str) -> Result<NodeConfigCandidate, CliError> {
    let text = read_text_file(path)?;
    let format = match kind_of(&text) {
        FileKind::DockerConfig(format) => format,
        FileKind::SecretManifest => {
            return Err(CliError::input(format!(
                "{path}: a node config must be a docker config.json or .dockercfg file, not a Secret \
                 manifest (pass Secrets with --pod-secret)"
            )));
        }
    };
    check_docker_config(path, &text, format)?;
    Ok(NodeConfigCandidate {
        path: path.to_owned(),
        format,
        contents: Some(text.into_bytes()),
    })
}
