//! The credential-provider part of `pullsim creds lookup`: for each provider of the kubelet's
//! configuration, in order, whether it is asked about the image, the request it would get, what
//! it answered and where the kubelet caches that (docs/credential-providers.md).

use std::collections::BTreeMap;

use pullsim_model::SimTime;
use pullsim_model::credentials::provider::{
    CacheDecision, CredentialProvider, CredentialProviderConfig, CredentialProviderRequest,
    ExecFailure, ServiceAccountRef, ServiceAccountTokenCacheType, cache_decision,
    echoed_token_error, exec_error_text, plugin_keyring, service_account_cache_key,
};
use pullsim_model::credentials::{BasicDockerKeyring, DockerConfig};
use pullsim_model::go_fmt::GoDuration;
use pullsim_model::go_text::quote;

use crate::CliError;
use crate::provider_files::Answer;

/// The pod's service account, as `--service-account` and `--service-account-annotation` give it.
#[derive(Debug, Clone, Default)]
pub(crate) struct PodServiceAccount {
    /// `NAMESPACE/NAME`, when the pod has one.
    pub(crate) account: Option<(String, String)>,
    /// Its annotations.
    pub(crate) annotations: BTreeMap<String, String>,
}

impl PodServiceAccount {
    /// Reads `--service-account NAMESPACE/NAME` and `--service-account-annotation KEY=VALUE`.
    pub(crate) fn from_flags(
        account: Option<&str>,
        annotations: &[String],
    ) -> Result<PodServiceAccount, CliError> {
        let account = account
            .map(|text| {
                text.split_once('/')
                    .filter(|(ns, name)| !ns.is_empty() && !name.is_empty() && !name.contains('/'))
                    .map(|(ns, name)| (ns.to_owned(), name.to_owned()))
                    .ok_or_else(|| {
                        CliError::usage(format!(
                            "--service-account {}: want NAMESPACE/NAME",
                            quote(text)
                        ))
                    })
            })
            .transpose()?;
        let mut map = BTreeMap::new();
        for pair in annotations {
            let (key, value) = pair.split_once('=').ok_or_else(|| {
                CliError::usage(format!(
                    "--service-account-annotation {}: want KEY=VALUE",
                    quote(pair)
                ))
            })?;
            map.insert(key.to_owned(), value.to_owned());
        }
        if account.is_none() && !map.is_empty() {
            return Err(CliError::usage(
                "--service-account-annotation needs --service-account",
            ));
        }
        Ok(PodServiceAccount {
            account,
            annotations: map,
        })
    }
}

/// What one provider does for the image.
#[derive(Debug, Clone)]
pub(crate) struct ProviderStep {
    /// The provider's name.
    pub(crate) name: String,
    /// Why it is or is not asked.
    pub(crate) matched: Result<String, String>,
    /// When asked: the request, the answer's fate, and the credentials it adds.
    pub(crate) asked: Option<Asked>,
}

/// A provider the kubelet asks.
#[derive(Debug, Clone)]
pub(crate) struct Asked {
    /// The request on the plugin's standard input.
    pub(crate) request: String,
    /// The service account it answers for.
    pub(crate) service_account: Option<ServiceAccountRef>,
    /// What became of the answer, in words.
    pub(crate) outcome: String,
    /// The cache key, when the answer is cached.
    pub(crate) cache_key: Option<String>,
    /// How long it is cached, when it is.
    pub(crate) cache_for: Option<String>,
    /// The credentials it adds to the plugin keyring (empty when it failed).
    pub(crate) config: DockerConfig,
    /// The kubelet's log line when the plugin failed or its answer was refused.
    pub(crate) error: Option<String>,
}

/// Where the plugins' answers come from.
pub(crate) enum Answers<'a> {
    /// `--provider-answers FILE`: what each plugin prints, by provider name.
    File {
        /// The file.
        path: &'a str,
        /// Its answers.
        answers: BTreeMap<String, Answer>,
    },
    /// `--provider-bin-dir DIR`: the real plugins, run as the kubelet runs them.
    BinDir(&'a str),
    /// Neither: the requests are shown, nothing is answered.
    Nothing,
}

impl Answers<'_> {
    /// Where an answer came from, for the credentials' sources.
    pub(crate) fn origin(&self) -> String {
        match self {
            Answers::File { path, .. } => format!("its answer in {path}"),
            Answers::BinDir(dir) => format!("its answer, run from {dir}"),
            Answers::Nothing => "its answer".to_owned(),
        }
    }

    fn answer(
        &self,
        provider: &CredentialProvider,
        request: &CredentialProviderRequest,
    ) -> Result<Result<Answer, String>, CliError> {
        Ok(match self {
            Answers::File { path, answers } => {
                answers.get(&provider.name).cloned().ok_or_else(|| {
                    format!(
                        "no answer in {path} for it: left out (the kubelet would run the plugin)"
                    )
                })
            }
            Answers::BinDir(dir) => Ok(crate::plugin_exec::run_plugin(dir, provider, request)?),
            Answers::Nothing => Err(
                "not run (give --provider-answers or --provider-bin-dir for its answer)".to_owned(),
            ),
        })
    }
}

/// Which providers are asked and what they add, in configuration order.
pub(crate) fn provider_steps(
    config: &CredentialProviderConfig,
    answers: &Answers<'_>,
    repo: &str,
    pod: &PodServiceAccount,
) -> Result<Vec<ProviderStep>, CliError> {
    config
        .providers
        .iter()
        .map(|provider| step(provider, answers, repo, pod))
        .collect()
}

fn not_asked(provider: &CredentialProvider, why: String) -> ProviderStep {
    ProviderStep {
        name: provider.name.clone(),
        matched: Err(why),
        asked: None,
    }
}

fn step(
    provider: &CredentialProvider,
    answers: &Answers<'_>,
    repo: &str,
    pod: &PodServiceAccount,
) -> Result<ProviderStep, CliError> {
    let matched = match provider.explain_match(repo) {
        Ok((glob, verdict)) => format!("matchImages {} matches: {verdict}", quote(&glob)),
        Err(misses) => {
            let each: Vec<String> = misses
                .iter()
                .map(|(glob, why)| format!("{}: {why}", quote(glob)))
                .collect();
            return Ok(not_asked(
                provider,
                format!("no matchImages glob matches ({})", each.join("; ")),
            ));
        }
    };
    let mut request = CredentialProviderRequest::new(&provider.api_version, repo);
    let mut sa_key = String::new();
    let mut service_account = None;
    if let Some(attributes) = &provider.token_attributes {
        match &pod.account {
            None if attributes.require_service_account => {
                return Ok(not_asked(
                    provider,
                    format!(
                        "{matched}, but the pod has no service account and requireServiceAccount is true"
                    ),
                ));
            }
            None => {}
            Some((namespace, name)) => {
                let mut passed = BTreeMap::new();
                for key in &attributes.required_service_account_annotation_keys {
                    let Some(value) = pod.annotations.get(key) else {
                        return Ok(not_asked(
                            provider,
                            format!(
                                "{matched}, but required annotation {key} not found on service account {namespace}/{name}"
                            ),
                        ));
                    };
                    passed.insert(key.clone(), value.clone());
                }
                for key in &attributes.optional_service_account_annotation_keys {
                    if let Some(value) = pod.annotations.get(key) {
                        passed.insert(key.clone(), value.clone());
                    }
                }
                let token = format!(
                    "<token of {namespace}/{name} for audience {}>",
                    attributes.service_account_token_audience
                );
                sa_key = service_account_cache_key(
                    namespace,
                    name,
                    "",
                    &passed,
                    attributes.cache_type,
                    &token,
                );
                request.service_account_token = Some(token);
                request.service_account_annotations = passed;
                service_account = Some(ServiceAccountRef {
                    namespace: namespace.clone(),
                    name: name.clone(),
                    uid: String::new(),
                });
            }
        }
    }
    let mut asked = Asked {
        request: request.to_json().trim_end().to_owned(),
        service_account,
        outcome: String::new(),
        cache_key: None,
        cache_for: None,
        config: DockerConfig::new(),
        error: None,
    };
    let answer = answers.answer(provider, &request)?;
    match answer.as_ref() {
        Err(why) => asked.outcome = why.clone(),
        Ok(Answer::Failed { failure, stderr }) => {
            let text = exec_error_text(&provider.name, repo, failure, stderr);
            asked.outcome = match failure {
                ExecFailure::Timeout => "the plugin runs past the kubelet's one-minute timeout and is killed: no credentials from it, nothing cached; the pull goes on with the others",
                ExecFailure::Exit(_) => "the plugin fails: no credentials from it, nothing cached; the pull goes on with the others",
            }
            .to_owned();
            asked.error = Some(format!(
                "Failed getting credential from external registry credential provider: {text}"
            ));
        }
        Ok(Answer::Refused(error)) => {
            asked.outcome =
                "the kubelet refuses the answer: no credentials from it, nothing cached".to_owned();
            let detail = match error {
                pullsim_model::credentials::provider::ProtocolError::Decode { detail } => {
                    format!(" ({detail})")
                }
                _ => String::new(),
            };
            asked.error = Some(format!("{}{detail}", error.kubelet_log()));
        }
        Ok(Answer::Response(response))
            if echo_error(provider, &request, response, repo).is_some() =>
        {
            asked.outcome =
                "the kubelet drops the answer: no credentials from it, nothing cached".to_owned();
            asked.error = echo_error(provider, &request, response, repo);
        }
        Ok(Answer::Response(response)) => {
            asked.config = response.docker_config();
            let count = response.auth.len();
            asked.outcome = format!(
                "answers cacheKeyType {} with {count} credential{}",
                response.cache_key_type,
                if count == 1 { "" } else { "s" }
            );
            match cache_decision(
                repo,
                &sa_key,
                response,
                provider.default_cache_duration,
                SimTime::EPOCH,
            ) {
                CacheDecision::NotCached => {
                    asked.cache_for = None;
                    asked.outcome.push_str(if response.cache_duration.is_some() {
                        "; not cached (cacheDuration 0): every pull runs the plugin"
                    } else {
                        "; not cached (no cacheDuration and defaultCacheDuration 0): every pull runs the plugin"
                    });
                }
                CacheDecision::Cached { key, expires_at } => {
                    let how_long = GoDuration::from_std(expires_at.since_epoch()).to_string();
                    let whose = if response.cache_duration.is_some() {
                        "the answer's cacheDuration"
                    } else {
                        "the provider's defaultCacheDuration"
                    };
                    let per = match (&asked.service_account, &provider.token_attributes) {
                        (Some(account), Some(attributes)) => format!(
                            " and service account {}/{}{}",
                            account.namespace,
                            account.name,
                            if attributes.cache_type == ServiceAccountTokenCacheType::Token {
                                " (this token only: cacheType Token)"
                            } else {
                                ""
                            }
                        ),
                        _ => String::new(),
                    };
                    asked.cache_key = Some(key.base.clone());
                    asked.cache_for = Some(how_long.clone());
                    asked.outcome.push_str(&format!(
                        "; cached under key {}{per} for {how_long} ({whose})",
                        quote(&key.base)
                    ));
                }
            }
        }
    }
    Ok(ProviderStep {
        name: provider.name.clone(),
        matched: Ok(matched),
        asked: Some(asked),
    })
}

/// The kubelet's refusal of an answer that hands the service-account token back as a password.
fn echo_error(
    provider: &CredentialProvider,
    request: &CredentialProviderRequest,
    response: &pullsim_model::credentials::provider::CredentialProviderResponse,
    repo: &str,
) -> Option<String> {
    let token = request.service_account_token.as_deref()?;
    let attributes = provider.token_attributes.as_ref()?;
    echoed_token_error(response, token, attributes.cache_type, repo)
}

/// The plugin keyring of every asked provider's credentials, in configuration order.
pub(crate) fn keyring_of(steps: &[ProviderStep]) -> BasicDockerKeyring {
    let answers: Vec<(&str, &DockerConfig, Option<&ServiceAccountRef>)> = steps
        .iter()
        .filter_map(|step| {
            let asked = step.asked.as_ref()?;
            Some((
                step.name.as_str(),
                &asked.config,
                asked.service_account.as_ref(),
            ))
        })
        .collect();
    plugin_keyring(&answers)
}
