//! `pullsim creds`: which registry credentials the kubelet matches to an image, and in which
//! order it tries them (docs/semantics.md §4).

use std::io::Write;

use serde::Serialize;

use pullsim_model::credentials::{
    EntryOutcome, LookupExplanation, MatchReason, NodeConfigChoice, PullKeyring, SecretOutcome,
    make_pull_keyring_with_plugins, select_node_config, urls_match_str,
};
use pullsim_model::{CredentialSource, Secret, TrackedCredential, parse_image_name};

use crate::creds_plugins::{Answers, PodServiceAccount, ProviderStep, keyring_of, provider_steps};
use crate::{CliError, Outcome, credential_files, provider_files};

/// What `creds lookup` is told about credential-provider plugins.
#[derive(Debug, Default)]
pub(crate) struct ProviderFlags<'a> {
    /// `--provider-config FILE-or-DIR`.
    pub(crate) config: Option<&'a str>,
    /// `--provider-answers FILE`.
    pub(crate) answers: Option<&'a str>,
    /// `--provider-bin-dir DIR`.
    pub(crate) bin_dir: Option<&'a str>,
    /// `--service-account NAMESPACE/NAME`.
    pub(crate) service_account: Option<&'a str>,
    /// `--service-account-annotation KEY=VALUE`, repeated.
    pub(crate) annotations: &'a [String],
}

/// `pullsim creds match`: `true` or `false` as `URLsMatchStr` decides; an error is "no match",
/// as it is for the kubelet's lookup, with the reason on standard error.
pub(crate) fn run_match(
    pattern: &str,
    target: &str,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, CliError> {
    let matched = match urls_match_str(pattern, target) {
        Ok(matched) => matched,
        Err(error) => {
            writeln!(
                err,
                "pullsim: note: {error} (the kubelet treats this as no match)"
            )
            .map_err(CliError::output)?;
            false
        }
    };
    writeln!(out, "{matched}").map_err(CliError::output)?;
    Ok(Outcome::Yes)
}

/// One credential in `pullsim creds lookup --json` (scripts depend on these keys).
#[derive(Debug, Serialize)]
struct CredentialReport {
    source: String,
    key: String,
    username: String,
}

/// One provider in `pullsim creds lookup --json`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ProviderReport {
    name: String,
    asked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_for: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct LookupReport<'a> {
    image: &'a str,
    repo: &'a str,
    credentials: Vec<CredentialReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    providers: Vec<ProviderReport>,
}

/// Everything `lookup` read, kept for the explanation.
struct Inputs {
    secrets: Vec<Secret>,
    secret_paths: Vec<String>,
    node_paths: Vec<String>,
    node_choice: NodeConfigChoice,
    provider_config: Option<String>,
    provider_origin: String,
    providers: Vec<ProviderStep>,
}

/// `pullsim creds lookup`. A `--node-config` file that cannot be read or parsed is skipped
/// with a warning on standard error, as the kubelet skips it and reads the next one.
pub(crate) fn run_lookup(
    image: &str,
    pod_secret_paths: &[String],
    node_config_paths: &[String],
    plugins: &ProviderFlags<'_>,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, CliError> {
    if (plugins.answers.is_some() || plugins.bin_dir.is_some()) && plugins.config.is_none() {
        return Err(CliError::usage(
            "--provider-answers and --provider-bin-dir need --provider-config (which providers the kubelet runs)",
        ));
    }
    if plugins.answers.is_some() && plugins.bin_dir.is_some() {
        return Err(CliError::usage(
            "--provider-answers and --provider-bin-dir are two ways to get the plugins' answers: give one",
        ));
    }
    let pod_account = PodServiceAccount::from_flags(plugins.service_account, plugins.annotations)?;
    let repo = parse_image_name(image)
        .map_err(|err| {
            CliError::input(format!(
                "{err} (the kubelet fails the container with InvalidImageName)"
            ))
        })?
        .repo;
    let secrets = pod_secret_paths
        .iter()
        .map(|path| credential_files::pod_secret(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut candidates = Vec::with_capacity(node_config_paths.len());
    for path in node_config_paths {
        let (candidate, warning) = credential_files::node_config_or_warning(path);
        if let Some(warning) = warning {
            writeln!(err, "pullsim: warning: {warning}").map_err(CliError::output)?;
        }
        candidates.push(candidate);
    }
    let node_choice = select_node_config(&candidates);
    let (node_keyring, _) = node_choice.keyring();
    let mut origin = String::new();
    let providers = match plugins.config {
        None => Vec::new(),
        Some(path) => {
            let config = provider_files::provider_config(path)?;
            let mut warnings = Vec::new();
            let answers = match (plugins.answers, plugins.bin_dir) {
                (Some(path), _) => Answers::File {
                    path,
                    answers: provider_files::provider_answers(path, &config, &mut warnings)?,
                },
                (None, Some(dir)) => {
                    crate::plugin_exec::check_binaries(dir, &config.providers)?;
                    Answers::BinDir(dir)
                }
                (None, None) => Answers::Nothing,
            };
            for warning in warnings {
                writeln!(err, "pullsim: warning: {warning}").map_err(CliError::output)?;
            }
            origin = answers.origin();
            provider_steps(&config, &answers, &repo, &pod_account)?
        }
    };
    let fetched: Vec<Option<Secret>> = secrets.iter().cloned().map(Some).collect();
    let keyring = make_pull_keyring_with_plugins(&fetched, node_keyring, keyring_of(&providers))
        .map_err(|err| {
        let path = pod_secret_paths.get(err.index).map_or("?", String::as_str);
        CliError::input(format!(
            "{path}: {} (the kubelet's credential lookup fails, and so does every pull for this pod)",
            err.payload
        ))
    })?;
    let explanation = keyring.explain_lookup(&repo);
    if json {
        let report = LookupReport {
            image,
            repo: &repo,
            credentials: explanation
                .matches
                .iter()
                .map(|(credential, _)| CredentialReport {
                    source: credential.source.to_string(),
                    key: credential.key.clone(),
                    username: credential.username.clone(),
                })
                .collect(),
            providers: providers
                .iter()
                .map(|step| ProviderReport {
                    name: step.name.clone(),
                    asked: step.asked.is_some(),
                    cache_key: step.asked.as_ref().and_then(|a| a.cache_key.clone()),
                    cache_for: step.asked.as_ref().and_then(|a| a.cache_for.clone()),
                    error: step.asked.as_ref().and_then(|a| a.error.clone()),
                })
                .collect(),
        };
        let line =
            serde_json::to_string(&report).map_err(|err| CliError::internal(err.to_string()))?;
        writeln!(out, "{line}").map_err(CliError::output)?;
    } else {
        let inputs = Inputs {
            secrets,
            secret_paths: pod_secret_paths.to_vec(),
            node_paths: node_config_paths.to_vec(),
            node_choice,
            provider_config: plugins.config.map(str::to_owned),
            provider_origin: origin,
            providers,
        };
        write_text(out, image, &repo, &keyring, &explanation, &inputs).map_err(CliError::output)?;
    }
    Ok(Outcome::Yes)
}

/// Where a credential came from, in words: `pod-secret[0] (Secret default/regcred, regcred.yaml)`.
fn describe_source(source: &CredentialSource, inputs: &Inputs) -> String {
    match source {
        CredentialSource::PodSecret {
            index,
            namespace,
            name,
            ..
        } => {
            let path = inputs.secret_paths.get(*index).map_or("?", String::as_str);
            format!("{source} (Secret {namespace}/{name}, {path})")
        }
        CredentialSource::NodeConfig { index } => {
            let path = inputs.node_paths.get(*index).map_or("?", String::as_str);
            format!("{source} ({path})")
        }
        CredentialSource::Plugin {
            service_account, ..
        } => {
            let origin = &inputs.provider_origin;
            match service_account {
                Some(account) => format!(
                    "{source} ({origin} for service account {}/{})",
                    account.namespace, account.name
                ),
                None => format!("{source} ({origin})"),
            }
        }
    }
}

fn describe_credential(credential: &TrackedCredential) -> String {
    if credential.username.is_empty() {
        "an empty username".to_owned()
    } else {
        format!(
            "user {}",
            pullsim_model::go_text::quote(&credential.username)
        )
    }
}

fn write_text(
    out: &mut dyn Write,
    image: &str,
    repo: &str,
    keyring: &PullKeyring,
    explanation: &LookupExplanation,
    inputs: &Inputs,
) -> std::io::Result<()> {
    writeln!(out, "image:      {image}")?;
    writeln!(
        out,
        "repository: {repo}  (what the kubelet looks credentials up for)"
    )?;
    writeln!(out)?;
    if explanation.matches.is_empty() {
        writeln!(
            out,
            "No credential matches: the kubelet pulls anonymously (one attempt, no credentials)."
        )?;
    } else {
        if explanation.matches.len() == 1 {
            writeln!(
                out,
                "The kubelet tries this credential. If the pull fails with it, the pull fails:"
            )?;
            writeln!(out, "there is no anonymous attempt after it.")?;
        } else {
            writeln!(
                out,
                "The kubelet tries these {} credentials in order and stops at the first pull that succeeds.",
                explanation.matches.len()
            )?;
            writeln!(
                out,
                "If every one fails, the pull fails: there is no anonymous attempt after them."
            )?;
        }
        for (number, (credential, reason)) in explanation.matches.iter().enumerate() {
            writeln!(
                out,
                "  {}. {} from {}",
                number + 1,
                describe_credential(credential),
                describe_source(&credential.source, inputs)
            )?;
            let why = match reason {
                MatchReason::Key { .. } => reason.to_string(),
                MatchReason::DockerHubFallback { .. } => format!("{reason} (no key matched)"),
            };
            writeln!(out, "     {why}")?;
        }
    }
    if !explanation.misses.is_empty() {
        writeln!(out, "\nKeys that do not match:")?;
        for miss in &explanation.misses {
            writeln!(out, "  - {miss}")?;
        }
    }
    if let Some(config) = &inputs.provider_config {
        write_providers(out, config, &inputs.providers)?;
    }
    let mut notes = Vec::new();
    for (index, (outcome, secret)) in keyring.secrets.iter().zip(&inputs.secrets).enumerate() {
        let path = inputs.secret_paths.get(index).map_or("?", String::as_str);
        let who = format!(
            "pod-secret[{index}] (Secret {}/{}, {path})",
            secret.namespace, secret.name
        );
        match outcome {
            SecretOutcome::NotUsed(reason) => notes.push(format!("{who} is not used: {reason}")),
            SecretOutcome::Missing => notes.push(format!("{who} could not be fetched")),
            SecretOutcome::Used(entries) => notes.extend(
                entries
                    .iter()
                    .filter(|entry| {
                        !matches!(entry.outcome, EntryOutcome::Filed { warning: None, .. })
                    })
                    .map(|entry| format!("{who}: {entry}")),
            ),
        }
    }
    for skipped in &inputs.node_choice.skipped {
        notes.push(format!("node-config[{}] {skipped}", skipped.index));
    }
    if let Some((used, _)) = &inputs.node_choice.used {
        for index in &inputs.node_choice.not_read {
            let path = inputs.node_paths.get(*index).map_or("?", String::as_str);
            notes.push(format!(
                "node-config[{index}] ({path}) is not read: the kubelet uses only the first node config file \
                 that parses, node-config[{used}]"
            ));
        }
        let (_, entries) = inputs.node_choice.keyring();
        notes.extend(
            entries
                .iter()
                .filter(|entry| !matches!(entry.outcome, EntryOutcome::Filed { warning: None, .. }))
                .map(|entry| format!("node-config[{used}]: {entry}")),
        );
    }
    if !notes.is_empty() {
        writeln!(out, "\nNotes:")?;
        for note in notes {
            writeln!(out, "  - {note}")?;
        }
    }
    Ok(())
}

/// The providers' part: each provider in configuration order, whether it is asked, the
/// request, and what becomes of its answer.
fn write_providers(
    out: &mut dyn Write,
    config: &str,
    providers: &[ProviderStep],
) -> std::io::Result<()> {
    writeln!(
        out,
        "\nCredential providers ({config}), in configuration order; their credentials come after \
         the pod secrets' and the node config's:"
    )?;
    for (number, step) in providers.iter().enumerate() {
        match (&step.matched, &step.asked) {
            (Err(why), _) => writeln!(out, "  {}. {}: not asked: {why}", number + 1, step.name)?,
            (Ok(why), asked) => {
                writeln!(out, "  {}. {}: asked: {why}", number + 1, step.name)?;
                if let Some(asked) = asked {
                    writeln!(out, "     request: {}", asked.request)?;
                    writeln!(out, "     {}", asked.outcome)?;
                    if let Some(error) = &asked.error {
                        writeln!(out, "     kubelet log: {error}")?;
                    }
                }
            }
        }
    }
    Ok(())
}
