//! What a credential-provider plugin answers in the simulation: per image glob a user name
//! and password (fixed, or the current password of a registry account that rotates), the
//! `cacheKeyType` and `cacheDuration` of its response, how long one exec takes, and the
//! windows in which it exits non-zero or hangs. The kubelet's side of the exchange (which
//! providers run, the cache, singleflight, the timeout) is `kubelet/plugin_lookup.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::credentials::provider::{
    AuthConfig, CacheKeyType, CredentialProviderResponse, EXEC_TIMEOUT, ExecFailure,
};
use pullsim_model::credentials::url_match::urls_match_str;

/// A plugin binary as the simulation runs it, by the name the kubelet's
/// `CredentialProviderConfig` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPlugin {
    /// The provider's `name` (the binary's name in the kubelet's plugin directory).
    pub name: String,
    /// How long one exec takes before it answers (or exits).
    pub latency: Duration,
    /// What it answers, first match wins.
    pub answers: Vec<PluginAnswer>,
    /// When it fails instead of answering.
    pub failures: Vec<PluginFailure>,
}

/// One answer: for requests whose image matches `image` (and whose service account
/// matches, when given), these credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginAnswer {
    /// A glob in `matchImages` syntax the request's image must match; it is also the key
    /// of the response's `auth` map.
    pub image: String,
    /// For a plugin in service-account-token mode: the namespace (and, when given, the
    /// service account) the pod must have for this answer.
    pub service_account: Option<(String, Option<String>)>,
    /// The user name.
    pub username: String,
    /// The password.
    pub password: PluginPassword,
    /// The response's `cacheKeyType`.
    pub cache_key_type: CacheKeyType,
    /// The response's `cacheDuration` (`None`: not set, the provider's
    /// `defaultCacheDuration` applies).
    pub cache_duration: Option<Duration>,
}

/// Where an answer's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginPassword {
    /// Always this one.
    Fixed(String),
    /// The password of the answer's user on registry `host` at the moment of the exec
    /// (for an account that rotates, the one current then: an ECR-like token).
    CurrentOf {
        /// The registry host.
        host: String,
    },
}

/// A window in which the plugin fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluginFailure {
    /// From this instant (an exec started at or after it fails).
    pub from: SimTime,
    /// Until this instant (excluded); `None`: for the rest of the run.
    pub until: Option<SimTime>,
    /// How it fails.
    pub mode: FailureMode,
}

/// How a plugin fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// It exits with status 1 after its latency, writing why on standard error.
    Exit,
    /// It never answers: the kubelet kills it at the exec timeout.
    Hang,
}

/// What one exec comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecOutcome {
    /// A response on standard output.
    Answered(CredentialProviderResponse),
    /// The exec failed (exited non-zero or timed out), with what it wrote on standard
    /// error.
    Failed {
        /// How.
        failure: ExecFailure,
        /// Its standard error.
        stderr: String,
    },
}

/// One exec: when it ends and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// How long it runs (at most [`EXEC_TIMEOUT`]).
    pub duration: Duration,
    /// Its outcome.
    pub outcome: ExecOutcome,
}

/// The standard error of a simulated plugin that is down.
pub const OUTAGE_STDERR: &str = "simulated outage";

impl CredentialPlugin {
    /// The exec of a request for `image` (with the pod's service account when the
    /// provider sends one) started at `now`. `password_of(host, user)` gives a registry
    /// account's password at `now`. `api_version` is the provider's configured one, which
    /// the response carries.
    pub fn exec(
        &self,
        image: &str,
        service_account: Option<(&str, &str)>,
        api_version: &str,
        now: SimTime,
        password_of: impl Fn(&str, &str) -> Option<String>,
    ) -> Exec {
        let failing = self
            .failures
            .iter()
            .find(|window| window.from <= now && window.until.is_none_or(|until| now < until));
        let timed_out = || Exec {
            duration: EXEC_TIMEOUT,
            outcome: ExecOutcome::Failed {
                failure: ExecFailure::Timeout,
                stderr: String::new(),
            },
        };
        if self.latency >= EXEC_TIMEOUT || failing.is_some_and(|w| w.mode == FailureMode::Hang) {
            return timed_out();
        }
        let exit = |stderr: String| Exec {
            duration: self.latency,
            outcome: ExecOutcome::Failed {
                failure: ExecFailure::Exit(1),
                stderr,
            },
        };
        if failing.is_some() {
            return exit(OUTAGE_STDERR.to_owned());
        }
        let Some(answer) = self.answers.iter().find(|answer| {
            urls_match_str(&answer.image, image).unwrap_or(false)
                && answer
                    .service_account
                    .as_ref()
                    .is_none_or(|(namespace, name)| {
                        service_account.is_some_and(|(ns, sa)| {
                            ns == namespace && name.as_deref().is_none_or(|name| name == sa)
                        })
                    })
        }) else {
            return exit(format!("no credentials for image {image}"));
        };
        let password = match &answer.password {
            PluginPassword::Fixed(password) => Some(password.clone()),
            PluginPassword::CurrentOf { host } => password_of(host, &answer.username),
        };
        let Some(password) = password else {
            return exit(format!(
                "no password for {} on the registry it names",
                answer.username
            ));
        };
        let auth = BTreeMap::from([(
            answer.image.clone(),
            AuthConfig {
                username: answer.username.clone(),
                password,
            },
        )]);
        Exec {
            duration: self.latency,
            outcome: ExecOutcome::Answered(CredentialProviderResponse {
                api_version: api_version.to_owned(),
                cache_key_type: answer.cache_key_type,
                cache_duration: answer.cache_duration,
                auth,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin() -> CredentialPlugin {
        CredentialPlugin {
            name: "ecr".to_owned(),
            latency: Duration::from_millis(300),
            answers: vec![
                PluginAnswer {
                    image: "*.dkr.ecr.*.amazonaws.com".to_owned(),
                    service_account: None,
                    username: "AWS".to_owned(),
                    password: PluginPassword::CurrentOf {
                        host: "1.dkr.ecr.us-east-1.amazonaws.com".to_owned(),
                    },
                    cache_key_type: CacheKeyType::Registry,
                    cache_duration: Some(Duration::from_secs(3600)),
                },
                PluginAnswer {
                    image: "team.example.com".to_owned(),
                    service_account: Some(("team-a".to_owned(), None)),
                    username: "a".to_owned(),
                    password: PluginPassword::Fixed("pa".to_owned()),
                    cache_key_type: CacheKeyType::Image,
                    cache_duration: None,
                },
            ],
            failures: vec![
                PluginFailure {
                    from: SimTime::from_secs(100),
                    until: Some(SimTime::from_secs(200)),
                    mode: FailureMode::Exit,
                },
                PluginFailure {
                    from: SimTime::from_secs(300),
                    until: None,
                    mode: FailureMode::Hang,
                },
            ],
        }
    }

    fn exec(image: &str, sa: Option<(&str, &str)>, at: u64) -> Exec {
        plugin().exec(
            image,
            sa,
            "credentialprovider.kubelet.k8s.io/v1",
            SimTime::from_secs(at),
            |host, user| Some(format!("{host}/{user}@{at}")),
        )
    }

    #[test]
    fn the_first_matching_answer_is_given_with_the_current_password() {
        let got = exec("1.dkr.ecr.us-east-1.amazonaws.com/app", None, 5);
        assert_eq!(got.duration, Duration::from_millis(300));
        let ExecOutcome::Answered(response) = got.outcome else {
            panic!("answered: {got:?}");
        };
        assert_eq!(response.cache_key_type, CacheKeyType::Registry);
        assert_eq!(
            response.auth["*.dkr.ecr.*.amazonaws.com"].password,
            "1.dkr.ecr.us-east-1.amazonaws.com/AWS@5"
        );
        assert_eq!(response.api_version, "credentialprovider.kubelet.k8s.io/v1");
    }

    #[test]
    fn an_image_it_has_nothing_for_exits_non_zero() {
        let got = exec("docker.io/library/nginx", None, 5);
        assert_eq!(
            got.outcome,
            ExecOutcome::Failed {
                failure: ExecFailure::Exit(1),
                stderr: "no credentials for image docker.io/library/nginx".to_owned()
            }
        );
    }

    #[test]
    fn service_account_answers_need_the_namespace() {
        assert!(matches!(
            exec("team.example.com/app", Some(("team-a", "default")), 5).outcome,
            ExecOutcome::Answered(_)
        ));
        assert!(matches!(
            exec("team.example.com/app", Some(("team-b", "default")), 5).outcome,
            ExecOutcome::Failed { .. }
        ));
        assert!(matches!(
            exec("team.example.com/app", None, 5).outcome,
            ExecOutcome::Failed { .. }
        ));
    }

    #[test]
    fn failure_windows_exit_or_hang_until_the_timeout() {
        let image = "1.dkr.ecr.us-east-1.amazonaws.com/app";
        assert_eq!(
            exec(image, None, 100).outcome,
            ExecOutcome::Failed {
                failure: ExecFailure::Exit(1),
                stderr: OUTAGE_STDERR.to_owned()
            }
        );
        assert!(matches!(
            exec(image, None, 200).outcome,
            ExecOutcome::Answered(_)
        ));
        let hung = exec(image, None, 300);
        assert_eq!(hung.duration, EXEC_TIMEOUT);
        assert_eq!(
            hung.outcome,
            ExecOutcome::Failed {
                failure: ExecFailure::Timeout,
                stderr: String::new()
            }
        );
        let slow = CredentialPlugin {
            latency: Duration::from_secs(61),
            failures: Vec::new(),
            ..plugin()
        };
        let got = slow.exec(image, None, "v1", SimTime::from_secs(0), |_, _| None);
        assert_eq!(got.duration, EXEC_TIMEOUT);
    }
}
