//! Fault rules: scripted misbehaviour, consulted in order for every protocol request,
//! the first rule that matches firing. A rule is a match (method, path glob, repository
//! glob, client glob, from the n-th matching request on, a time window) and a verdict (an
//! error status, added latency, a connection drop after N body bytes, a corrupted body),
//! limited to N uses or unlimited.

use std::time::Duration;

use pullsim_model::units::option_duration_text;
use pullsim_model::{ByteSize, SimTime};
use serde::{Deserialize, Serialize};

use crate::api::names::glob_matches;

/// A fault rule's id, handed out by the registry in installation order from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FaultId(pub u64);

/// Which requests a rule applies to; every field that is set must match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultMatch {
    /// The method (`GET`, `HEAD`, ...), compared without regard to case.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// A glob over the request path without its query (`*` is any run of characters,
    /// slashes included; `?` one character), e.g. `/v2/*/blobs/*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A glob over the repository the request is about, e.g. `demo/*`; requests without
    /// a repository (`/v2/`, `/token`, `_catalog`) never match a rule that sets this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// A glob over the client identity (the peer address for the server, the node's name
    /// in the simulator), e.g. `127.0.0.1:*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Fire from the n-th request that matches everything else on (1-based); with
    /// `uses: 1` the rule fires on exactly the n-th.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nth: Option<u64>,
    /// The start of the rule's time window (inclusive), as time since the epoch (`10s`).
    #[serde(
        default,
        with = "option_duration_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub from: Option<Duration>,
    /// The end of the rule's time window (exclusive).
    #[serde(
        default,
        with = "option_duration_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub until: Option<Duration>,
}

/// What a firing rule does to the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Answer this status (401, 403, 404, 429, 500, 502 or 503) with an error envelope
    /// instead of handling the request; `Retry-After` in whole seconds when given.
    Status {
        /// The status.
        status: u16,
        /// The `Retry-After` value, rounded up to whole seconds.
        retry_after: Option<Duration>,
    },
    /// Handle the request, then deliver the response this much later.
    Delay(Duration),
    /// Handle the request, send the headers (full `Content-Length`) and only this many
    /// body bytes, then drop the connection.
    DropAfter(u64),
    /// Handle the request and flip bytes of the body so its digest no longer matches;
    /// `Content-Length` is unchanged.
    Corrupt,
}

/// The statuses a [`Verdict::Status`] may answer.
pub const FAULT_STATUSES: [u16; 7] = [401, 403, 404, 429, 500, 502, 503];

/// One rule: a match, a verdict and how many times it may fire (`None`: unlimited).
///
/// In a file a rule is written flat, with exactly one verdict key:
/// `{match: {method: GET, path: "/v2/*/blobs/*"}, status: 429, retry_after: 5s, uses: 2}`,
/// `{delay: 2s}`, `{drop_after: 1KiB}`, `{corrupt: true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FaultRuleForm", into = "FaultRuleForm")]
pub struct FaultRule {
    /// Which requests it applies to.
    pub matcher: FaultMatch,
    /// What it does.
    pub verdict: Verdict,
    /// How many times it may fire; `None` is unlimited.
    pub uses: Option<u64>,
}

impl FaultRule {
    /// A rule that fires on every request matching `matcher`.
    pub fn new(matcher: FaultMatch, verdict: Verdict) -> FaultRule {
        FaultRule {
            matcher,
            verdict,
            uses: None,
        }
    }
}

/// The flat form of a rule in files and the control API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRuleForm {
    #[serde(rename = "match", default)]
    matcher: FaultMatch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    #[serde(
        default,
        with = "option_duration_text",
        skip_serializing_if = "Option::is_none"
    )]
    retry_after: Option<Duration>,
    #[serde(
        default,
        with = "option_duration_text",
        skip_serializing_if = "Option::is_none"
    )]
    delay: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    drop_after: Option<ByteSize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    corrupt: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    uses: Option<u64>,
}

impl TryFrom<FaultRuleForm> for FaultRule {
    type Error = String;
    fn try_from(form: FaultRuleForm) -> Result<FaultRule, String> {
        let mut verdicts = Vec::new();
        if let Some(status) = form.status {
            if !FAULT_STATUSES.contains(&status) {
                return Err(format!(
                    "status {status} is not a fault status: want 401, 403, 404, 429, 500, 502 or 503"
                ));
            }
            verdicts.push(Verdict::Status {
                status,
                retry_after: form.retry_after,
            });
        } else if form.retry_after.is_some() {
            return Err("retry_after needs a status".to_owned());
        }
        if let Some(delay) = form.delay {
            verdicts.push(Verdict::Delay(delay));
        }
        if let Some(bytes) = form.drop_after {
            verdicts.push(Verdict::DropAfter(bytes.bytes()));
        }
        match form.corrupt {
            Some(true) => verdicts.push(Verdict::Corrupt),
            Some(false) => return Err("corrupt: false is not a verdict; leave it out".to_owned()),
            None => {}
        }
        if verdicts.len() != 1 {
            return Err(
                "a fault rule needs exactly one verdict: status, delay, drop_after or corrupt"
                    .to_owned(),
            );
        }
        if form.matcher.nth == Some(0) {
            return Err("nth counts from 1".to_owned());
        }
        Ok(FaultRule {
            matcher: form.matcher,
            verdict: verdicts[0],
            uses: form.uses,
        })
    }
}

impl From<FaultRule> for FaultRuleForm {
    fn from(rule: FaultRule) -> FaultRuleForm {
        let mut form = FaultRuleForm {
            matcher: rule.matcher,
            uses: rule.uses,
            ..FaultRuleForm::default()
        };
        match rule.verdict {
            Verdict::Status {
                status,
                retry_after,
            } => {
                form.status = Some(status);
                form.retry_after = retry_after;
            }
            Verdict::Delay(delay) => form.delay = Some(delay),
            Verdict::DropAfter(bytes) => form.drop_after = Some(ByteSize(bytes)),
            Verdict::Corrupt => form.corrupt = Some(true),
        }
        form
    }
}

/// What a rule needs to know about a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Facts<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) repository: Option<&'a str>,
    pub(crate) client: &'a str,
    pub(crate) now: SimTime,
}

/// An installed rule with its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledFault {
    /// The rule's id.
    pub id: FaultId,
    /// The rule.
    pub rule: FaultRule,
    /// How many requests matched it (counted towards `nth`).
    pub matched: u64,
    /// How many times it fired.
    pub fired: u64,
}

/// The installed rules, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSet {
    rules: Vec<InstalledFault>,
    next_id: u64,
}

impl FaultSet {
    /// Installs `rule` after the others and returns its id.
    pub(crate) fn add(&mut self, rule: FaultRule) -> FaultId {
        self.next_id += 1;
        let id = FaultId(self.next_id);
        self.rules.push(InstalledFault {
            id,
            rule,
            matched: 0,
            fired: 0,
        });
        id
    }

    /// Removes every rule (ids keep counting, so an old id never names a new rule).
    pub(crate) fn clear(&mut self) {
        self.rules.clear();
    }

    /// Removes one rule; whether it was there.
    pub(crate) fn remove(&mut self, id: FaultId) -> bool {
        let before = self.rules.len();
        self.rules.retain(|installed| installed.id != id);
        self.rules.len() != before
    }

    /// The installed rules.
    pub(crate) fn list(&self) -> &[InstalledFault] {
        &self.rules
    }

    /// Whether no rule can match any request at `now` (each has fired its last time or is
    /// outside its time window), so consulting the rules would neither count nor fire.
    pub(crate) fn quiet_at(&self, now: SimTime) -> bool {
        self.rules.iter().all(|installed| {
            installed
                .rule
                .uses
                .is_some_and(|uses| installed.fired >= uses)
                || !in_window(&installed.rule.matcher, now)
        })
    }

    /// The first rule that fires for this request, counting matches on the way.
    pub(crate) fn consult(&mut self, facts: &Facts<'_>) -> Option<(FaultId, Verdict)> {
        if self.rules.is_empty() {
            return None;
        }
        for installed in &mut self.rules {
            if installed
                .rule
                .uses
                .is_some_and(|uses| installed.fired >= uses)
            {
                continue;
            }
            if !matches(&installed.rule.matcher, facts) {
                continue;
            }
            installed.matched += 1;
            if installed.matched < installed.rule.matcher.nth.unwrap_or(1) {
                continue;
            }
            installed.fired += 1;
            return Some((installed.id, installed.rule.verdict));
        }
        None
    }
}

/// Whether every field `matcher` sets matches the request (triggers share this).
pub(crate) fn matches(matcher: &FaultMatch, facts: &Facts<'_>) -> bool {
    matcher
        .method
        .as_deref()
        .is_none_or(|method| method.eq_ignore_ascii_case(facts.method))
        && matcher
            .path
            .as_deref()
            .is_none_or(|glob| glob_matches(glob, facts.path))
        && matcher.repository.as_deref().is_none_or(|glob| {
            facts
                .repository
                .is_some_and(|repo| glob_matches(glob, repo))
        })
        && matcher
            .client
            .as_deref()
            .is_none_or(|glob| glob_matches(glob, facts.client))
        && in_window(matcher, facts.now)
}

/// Whether `now` is inside the time window `matcher` sets (always, when it sets none).
pub(crate) fn in_window(matcher: &FaultMatch, now: SimTime) -> bool {
    let since_epoch = now.since_epoch();
    matcher.from.is_none_or(|from| since_epoch >= from)
        && matcher.until.is_none_or(|until| since_epoch < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(method: &'static str, path: &'static str, secs: u64) -> Facts<'static> {
        Facts {
            method,
            path,
            repository: path
                .strip_prefix("/v2/")
                .and_then(|rest| {
                    rest.split_once("/blobs/")
                        .or(rest.split_once("/manifests/"))
                })
                .map(|(name, _)| name),
            client: "127.0.0.1:5555",
            now: SimTime::from_secs(secs),
        }
    }

    fn rule(yaml: &str) -> FaultRule {
        serde_saphyr::from_str(yaml).unwrap_or_else(|err| panic!("{yaml}: {err}"))
    }

    /// One row: the rules (YAML), then requests and the id expected to fire (0 for none).
    fn check(rules: &[&str], requests: &[(Facts<'static>, u64)]) {
        let mut set = FaultSet::default();
        for yaml in rules {
            set.add(rule(yaml));
        }
        for (index, (request, want)) in requests.iter().enumerate() {
            let got = set.consult(request).map_or(0, |(id, _)| id.0);
            assert_eq!(
                got, *want,
                "request {index} {request:?} with rules {rules:?}"
            );
        }
    }

    #[test]
    fn rules_match_in_order_and_count() {
        let blob = facts("GET", "/v2/demo/hello/blobs/sha256:aa", 0);
        let manifest = facts("GET", "/v2/demo/hello/manifests/v1", 0);
        let head = facts("HEAD", "/v2/demo/hello/manifests/v1", 0);
        check(
            &[
                "{match: {path: '/v2/*/blobs/*'}, status: 503}",
                "{status: 500}",
            ],
            &[(blob, 1), (manifest, 2)],
        );
        check(
            &["{match: {method: head}, status: 404, uses: 1}"],
            &[(manifest, 0), (head, 1), (head, 0)],
        );
        check(
            &["{match: {nth: 2}, corrupt: true, uses: 1}"],
            &[(blob, 0), (blob, 1), (blob, 0)],
        );
        check(
            &["{match: {nth: 2}, delay: 1s}"],
            &[(blob, 0), (blob, 1), (blob, 1)],
        );
        check(
            &[
                "{match: {repository: 'private/*'}, status: 401}",
                "{match: {client: '10.*'}, status: 401}",
            ],
            &[
                (blob, 0),
                (facts("GET", "/v2/private/app/manifests/v1", 0), 1),
            ],
        );
        check(
            &["{match: {from: 10s, until: 20s}, drop_after: 1KiB}"],
            &[
                (facts("GET", "/v2/a/blobs/x", 9), 0),
                (facts("GET", "/v2/a/blobs/x", 10), 1),
                (facts("GET", "/v2/a/blobs/x", 20), 0),
            ],
        );
    }

    #[test]
    fn rules_read_flat_and_round_trip() {
        let parsed = rule("{match: {method: GET}, status: 429, retry_after: 5s, uses: 2}");
        assert_eq!(
            parsed.verdict,
            Verdict::Status {
                status: 429,
                retry_after: Some(Duration::from_secs(5))
            }
        );
        assert_eq!(parsed.uses, Some(2));
        let json = serde_json::to_string(&parsed).unwrap();
        assert_eq!(
            json,
            r#"{"match":{"method":"GET"},"status":429,"retry_after":"5s","uses":2}"#
        );
        assert_eq!(serde_json::from_str::<FaultRule>(&json).unwrap(), parsed);
        assert_eq!(rule("{drop_after: 1KiB}").verdict, Verdict::DropAfter(1024));
    }

    #[test]
    fn bad_rules_are_refused_with_a_reason() {
        for (yaml, want) in [
            ("{status: 418}", "status 418 is not a fault status"),
            ("{status: 503, delay: 1s}", "exactly one verdict"),
            ("{}", "exactly one verdict"),
            ("{retry_after: 1s}", "retry_after needs a status"),
            ("{corrupt: false}", "corrupt: false"),
            ("{match: {nth: 0}, corrupt: true}", "nth counts from 1"),
            ("{match: {methd: GET}, corrupt: true}", "methd"),
            ("{stauts: 503}", "stauts"),
        ] {
            let err = serde_saphyr::from_str::<FaultRule>(yaml)
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{yaml}: {err}");
        }
    }
}
