//! Triggers: a change to the registry's content that a client's own request sets off.
//!
//! Some races cannot be staged with the clock: "the tag moves after the puller resolved it
//! but before it fetched the layers" needs the move to land between two requests of one
//! client, however fast that client is. A trigger does exactly that: it counts requests
//! with the same matcher fault rules use, and once the n-th matching request has been
//! answered with a 2xx status, it applies its action (once). Counting only successful
//! answers keeps a 401 challenge round trip from setting it off early.

use pullsim_model::{Digest, SimTime};
use serde::{Deserialize, Serialize};

use crate::state::fault::{Facts, FaultMatch, in_window, matches};

/// What a trigger does when it fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TriggerAction {
    /// Points `repository:tag` at a manifest already in the repository, as
    /// [`Registry::move_tag`](crate::Registry::move_tag) does.
    MoveTag {
        /// The repository.
        repository: String,
        /// The tag to move.
        tag: String,
        /// The manifest it points at afterwards.
        digest: Digest,
    },
}

/// A one-shot rule: after the n-th request matching `matcher` is answered 2xx, `action`.
///
/// In a file: `{match: {method: GET, path: "/v2/demo/app/manifests/v1"}, action:
/// {move_tag: {repository: demo/app, tag: v1, digest: "sha256:..."}}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// Which requests count; `nth` (default 1) says which successful one fires it.
    #[serde(rename = "match", default)]
    pub matcher: FaultMatch,
    /// What it does.
    pub action: TriggerAction,
}

/// An installed trigger with its counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstalledTrigger {
    /// The trigger.
    pub trigger: Trigger,
    /// How many successful requests matched it so far.
    pub matched: u64,
    /// Whether it has fired (it fires once).
    pub fired: bool,
}

/// The installed triggers, in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct TriggerSet {
    triggers: Vec<InstalledTrigger>,
}

impl TriggerSet {
    /// Installs a trigger after the others.
    pub(crate) fn add(&mut self, trigger: Trigger) {
        self.triggers.push(InstalledTrigger {
            trigger,
            matched: 0,
            fired: false,
        });
    }

    /// Removes every trigger.
    pub(crate) fn clear(&mut self) {
        self.triggers.clear();
    }

    /// The installed triggers.
    pub(crate) fn list(&self) -> &[InstalledTrigger] {
        &self.triggers
    }

    /// Whether no trigger can count a request at `now` (each has fired or is outside its
    /// time window).
    pub(crate) fn quiet_at(&self, now: SimTime) -> bool {
        self.triggers
            .iter()
            .all(|installed| installed.fired || !in_window(&installed.trigger.matcher, now))
    }

    /// Counts a request answered with `status` and returns the actions of the triggers it
    /// fires, in installation order.
    pub(crate) fn observe(&mut self, facts: &Facts<'_>, status: u16) -> Vec<TriggerAction> {
        if self.triggers.is_empty() || !(200..300).contains(&status) {
            return Vec::new();
        }
        let mut fired = Vec::new();
        for installed in &mut self.triggers {
            if installed.fired || !matches(&installed.trigger.matcher, facts) {
                continue;
            }
            installed.matched += 1;
            if installed.matched >= installed.trigger.matcher.nth.unwrap_or(1) {
                installed.fired = true;
                fired.push(installed.trigger.action.clone());
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(method: &'static str, path: &'static str) -> Facts<'static> {
        Facts {
            method,
            path,
            repository: Some("demo/app"),
            client: "127.0.0.1:5555",
            now: SimTime::EPOCH,
        }
    }

    fn trigger(yaml: &str) -> Trigger {
        serde_saphyr::from_str(yaml).unwrap_or_else(|err| panic!("{yaml}: {err}"))
    }

    /// One row: a trigger (YAML), then requests with their status and whether the
    /// trigger fires on that request.
    fn check(yaml: &str, requests: &[(Facts<'static>, u16, bool)]) {
        let mut set = TriggerSet::default();
        set.add(trigger(yaml));
        for (index, (request, status, want)) in requests.iter().enumerate() {
            let fired = !set.observe(request, *status).is_empty();
            assert_eq!(
                fired, *want,
                "request {index} {request:?} ({status}) with {yaml}"
            );
        }
    }

    #[test]
    fn triggers_fire_once_on_the_nth_successful_match() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let tag = facts("GET", "/v2/demo/app/manifests/v1");
        let head = facts("HEAD", "/v2/demo/app/manifests/v1");
        let blob = facts("GET", "/v2/demo/app/blobs/sha256:bb");
        let action =
            format!("action: {{move_tag: {{repository: demo/app, tag: v1, digest: '{digest}'}}}}");
        check(
            &format!("{{match: {{path: '/v2/*/manifests/v1'}}, {action}}}"),
            &[
                (blob, 200, false),
                (head, 401, false),
                (head, 200, true),
                (tag, 200, false),
            ],
        );
        check(
            &format!("{{match: {{method: GET, path: '/v2/*/manifests/*', nth: 2}}, {action}}}"),
            &[
                (head, 200, false),
                (tag, 200, false),
                (tag, 404, false),
                (tag, 200, true),
            ],
        );
        check(
            &format!("{{{action}}}"),
            &[(blob, 307, false), (blob, 206, true)],
        );
    }

    #[test]
    fn triggers_read_from_files_and_refuse_typos() {
        let parsed = trigger(
            "{match: {nth: 3}, action: {move_tag: {repository: a/b, tag: v2, digest: 'sha256:0000000000000000000000000000000000000000000000000000000000000000'}}}",
        );
        assert_eq!(parsed.matcher.nth, Some(3));
        assert!(matches!(parsed.action, TriggerAction::MoveTag { ref tag, .. } if tag == "v2"));
        let err = serde_saphyr::from_str::<Trigger>("{action: {move_tga: {}}}")
            .unwrap_err()
            .to_string();
        assert!(err.contains("move_tga"), "{err}");
    }
}
