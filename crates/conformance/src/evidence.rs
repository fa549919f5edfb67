//! What a case planned and what happened: the pulls it asked for, and for each the exit
//! status, the time it took, the requests the registry logged, and what the puller stored.
//! The judges read only this, and the helpers here answer the questions they ask of the
//! request log ("did it ping `/v2/`?", "how long after the 429 did it come back?").

use std::time::Duration;

use pullsim_model::{Digest, Platform};
use pullsim_registry::LogEntry;

use crate::programs::Outcome;
use crate::puller::{Credentials, ImageRef, PullJob, Stored};
use crate::stage::ImageFacts;

/// One pull a case asks for.
#[derive(Debug, Clone)]
pub struct Pull {
    /// The repository.
    pub repository: String,
    /// The tag or digest.
    pub image: ImageRef,
    /// The platform to ask for.
    pub platform: Platform,
    /// Credentials, when the case gives any.
    pub credentials: Option<Credentials>,
}

impl Pull {
    /// Pull `repository:tag` for linux/amd64, anonymously.
    pub fn tag(repository: &str, tag: &str) -> Pull {
        Pull {
            repository: repository.to_owned(),
            image: ImageRef::Tag(tag.to_owned()),
            platform: Platform::new("linux", "amd64", ""),
            credentials: None,
        }
    }

    /// Pull `repository@digest` for linux/amd64, anonymously.
    pub fn digest(repository: &str, digest: &Digest) -> Pull {
        Pull {
            image: ImageRef::Digest(digest.clone()),
            ..Pull::tag(repository, "")
        }
    }

    /// The same pull for another platform.
    #[must_use]
    pub fn on(mut self, platform: Platform) -> Pull {
        self.platform = platform;
        self
    }

    /// The same pull with credentials.
    #[must_use]
    pub fn with_credentials(mut self, username: &str, password: &str) -> Pull {
        self.credentials = Some(Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
        });
        self
    }
}

/// What a case set up and expects, for its judge.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// The pulls, in order (most cases have one).
    pub pulls: Vec<Pull>,
    /// The images the pulls should end up holding, one per pull (empty when the pull must
    /// fail and store nothing).
    pub want: Vec<ImageFacts>,
    /// Other images the case knows about: the other build, the other platforms.
    pub others: Vec<ImageFacts>,
    /// The blob a fault, redirect or tamper is about, when there is one.
    pub blob: Option<Digest>,
}

impl Plan {
    /// A plan of one pull that should end up holding `want`.
    pub fn one(pull: Pull, want: Option<ImageFacts>) -> Plan {
        Plan {
            pulls: vec![pull],
            want: want.into_iter().collect(),
            ..Plan::default()
        }
    }
}

/// One pull as it happened.
#[derive(Debug)]
pub struct Run {
    /// What the puller was asked.
    pub job: PullJob,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it ran (wall clock).
    pub duration: Duration,
    /// The requests the main registry logged while it ran.
    pub log: Vec<LogEntry>,
    /// What its store held afterwards.
    pub stored: Stored,
}

impl Run {
    /// Whether it exited 0 before the time limit.
    pub fn succeeded(&self) -> bool {
        self.outcome.success()
    }

    /// Whether standard output or error mentions any of `needles` (any case).
    pub fn says_any(&self, needles: &[&str]) -> bool {
        let text = format!("{}\n{}", self.outcome.stdout, self.outcome.stderr).to_lowercase();
        needles.iter().any(|needle| text.contains(needle))
    }

    /// For a failed pull, whether its output mentions any of `needles`; `None` when it
    /// succeeded (a success prints no error to judge).
    pub fn error_mentions(&self, needles: &[&str]) -> Option<bool> {
        (!self.succeeded()).then(|| self.says_any(needles))
    }

    /// The last lines of what it printed, for check details.
    pub fn output_tail(&self) -> String {
        let text = if self.outcome.stderr.trim().is_empty() {
            &self.outcome.stdout
        } else {
            &self.outcome.stderr
        };
        let lines: Vec<&str> = text.trim().lines().collect();
        let tail = lines[lines.len().saturating_sub(2)..].join(" / ");
        if tail.chars().count() > 300 {
            format!("{}...", tail.chars().take(300).collect::<String>())
        } else {
            tail
        }
    }
}

/// Everything the judge of one case sees.
#[derive(Debug)]
pub struct Evidence {
    /// What the case set up.
    pub plan: Plan,
    /// Each pull, in order.
    pub runs: Vec<Run>,
    /// The requests the second origin logged (empty without one).
    pub mirror_log: Vec<LogEntry>,
}

impl Evidence {
    /// The last pull (every case has at least one).
    pub fn last(&self) -> &Run {
        &self.runs[self.runs.len() - 1]
    }

    /// Every request the main registry logged during the case, in order.
    pub fn log(&self) -> impl Iterator<Item = &LogEntry> {
        self.runs.iter().flat_map(|run| run.log.iter())
    }

    /// How many requests both origins served during the case.
    pub fn requests(&self) -> u64 {
        (self.log().count() + self.mirror_log.len()) as u64
    }
}

/// Whether the log shows a `GET` or `HEAD` of `/v2/` (the version check, or "ping").
pub fn pings<'a>(log: impl IntoIterator<Item = &'a LogEntry>) -> bool {
    log.into_iter().any(|entry| entry.path == "/v2/")
}

/// Whether `entry` asks for a manifest of `repository`.
pub fn is_manifest(entry: &LogEntry, repository: &str) -> bool {
    entry
        .path
        .starts_with(&format!("/v2/{repository}/manifests/"))
}

/// Whether `entry` asks for the blob `digest` (of any repository).
pub fn is_blob(entry: &LogEntry, digest: &Digest) -> bool {
    entry.path.contains("/blobs/") && entry.path.ends_with(&digest.to_string())
}

/// The first manifest request of the log, if any.
pub fn first_manifest_request<'a>(
    log: impl IntoIterator<Item = &'a LogEntry>,
    repository: &str,
) -> Option<&'a LogEntry> {
    log.into_iter().find(|entry| is_manifest(entry, repository))
}

/// The `GET`s of blob `digest` in the log.
pub fn blob_gets<'a>(
    log: impl IntoIterator<Item = &'a LogEntry>,
    digest: &Digest,
) -> Vec<&'a LogEntry> {
    log.into_iter()
        .filter(|entry| entry.method == "GET" && is_blob(entry, digest))
        .collect()
}

/// The time between `earlier` and `later` as the server's clock saw it.
pub fn gap(earlier: &LogEntry, later: &LogEntry) -> Duration {
    later.time.saturating_since(earlier.time)
}

/// Milliseconds, rounded, for reports.
pub fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use pullsim_model::SimTime;

    use super::*;

    fn entry(index: u64, millis: u64, method: &str, path: &str) -> LogEntry {
        LogEntry {
            index,
            time: SimTime::from_duration(Duration::from_millis(millis)),
            client: "127.0.0.1:1".into(),
            method: method.into(),
            path: path.into(),
            accept: None,
            range: None,
            auth_scheme: None,
            auth_user: None,
            status: 200,
            body_bytes: 0,
            digest: None,
            fault: None,
        }
    }

    #[test]
    fn log_questions_are_answered_from_paths_and_times() {
        let layer = Digest::sha256_of(b"layer");
        let log = [
            entry(0, 0, "GET", "/v2/"),
            entry(1, 5, "HEAD", "/v2/a/b/manifests/v1"),
            entry(2, 9, "GET", &format!("/v2/a/b/blobs/{layer}")),
            entry(3, 1509, "GET", &format!("/v2/a/b/blobs/{layer}")),
        ];
        assert!(pings(&log));
        assert!(!pings(&log[1..]));
        assert_eq!(
            first_manifest_request(&log, "a/b").map(|e| e.index),
            Some(1)
        );
        assert_eq!(first_manifest_request(&log, "a"), None);
        let gets = blob_gets(&log, &layer);
        assert_eq!(gets.len(), 2);
        assert_eq!(millis(gap(gets[0], gets[1])), 1500);
    }
}
