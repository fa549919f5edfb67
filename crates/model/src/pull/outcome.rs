//! What the image manager records after a pull it started: the failure branch with the
//! runtime error's classification, the success event, and the text of a multi-credential
//! failure (docs/semantics.md §3.2, 3.3).

use std::collections::BTreeSet;
use std::time::Duration;

use super::{
    BackoffEffect, EventReason, EventType, KubeletBehavior, PullEvent, Texts, WaitingReason,
};
use crate::go::fmt::GoDuration;
use crate::go::text::quote as go_quote;

/// The image manager's record of a failed pull (`pullImage`'s failure branch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullFailure {
    /// Warning `Failed` `Failed to pull image "<image>": <err>`, then the caller's
    /// Warning `Failed` `Error: <reason>`.
    pub events: Vec<PullEvent>,
    /// The container's waiting reason.
    pub reason: WaitingReason,
    /// The container's waiting message.
    pub message: String,
    /// `<reason>: <message>`, which the kubelet stores under the back-off key and appends
    /// to later back-off messages (when [`KubeletBehavior::backoff_message_includes_previous_error`]).
    pub stored_error: String,
    /// Always [`BackoffEffect::Advance`]: every failed pull moves the back-off, whatever
    /// the reason (a throttle refusal included).
    pub backoff: BackoffEffect,
}

/// The image manager's record of a successful pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSuccess {
    /// Normal `Pulled` `Successfully pulled image ...`.
    pub events: Vec<PullEvent>,
    /// Always [`SUCCEEDED_BACKOFF`]: success does not reset the key.
    pub backoff: BackoffEffect,
}

/// What a successful pull does to the back-off, [`PullSuccess::backoff`]: `backOff.GC()`,
/// the key's own entry is not reset (docs/semantics.md §3.4). For callers that need the effect
/// without the event's text.
pub const SUCCEEDED_BACKOFF: BackoffEffect = BackoffEffect::CollectGarbage;

/// The failure branch of `pullImage` for `image` (the container's image string as
/// written) and the runtime's error text `err_text` (docs/semantics.md §3.2 step 7.4).
pub fn pull_failed(image: &str, err_text: &str, behavior: &KubeletBehavior) -> PullFailure {
    pull_failed_with(image, err_text, behavior, Texts::All)
}

/// [`pull_failed`], writing only the texts `texts` asks for: with [`Texts::StatusOnly`] no
/// event (the reason, message, stored error and back-off effect are the same).
pub fn pull_failed_with(
    image: &str,
    err_text: &str,
    behavior: &KubeletBehavior,
    texts: Texts,
) -> PullFailure {
    let (reason, message) = classify_pull_error(image, err_text, behavior);
    let events = match texts {
        Texts::All => vec![
            PullEvent::new(
                EventType::Warning,
                EventReason::Failed,
                format!("Failed to pull image {}: {err_text}", go_quote(image)),
            ),
            PullEvent::start_failed(reason),
        ],
        Texts::StatusOnly => Vec::new(),
    };
    PullFailure {
        events,
        reason,
        stored_error: format!("{reason}: {message}"),
        message,
        backoff: BackoffEffect::Advance,
    }
}

/// The success branch of `pullImage`: the `Pulled` event for `image` (as written), where
/// `pull_duration` is what the puller measured (from dequeue or token acquisition) and
/// `total_duration` runs from just before submitting to the puller, so it includes
/// queueing (docs/semantics.md §3.1, 3.2 step 7.5).
pub fn pull_succeeded(
    image: &str,
    pull_duration: Duration,
    total_duration: Duration,
    size_bytes: u64,
    behavior: &KubeletBehavior,
) -> PullSuccess {
    let quoted = go_quote(image);
    let message = if behavior.pulled_event_reports_waiting_and_size {
        let pull = GoDuration::from_std(pull_duration).truncate(GoDuration::MILLISECOND);
        let total = GoDuration::from_std(total_duration).truncate(GoDuration::MILLISECOND);
        format!(
            "Successfully pulled image {quoted} in {pull} ({total} including waiting). Image size: {size_bytes} bytes."
        )
    } else {
        let total = GoDuration::from_std(total_duration);
        format!("Successfully pulled image {quoted} in {total}")
    };
    PullSuccess {
        events: vec![PullEvent::new(
            EventType::Normal,
            EventReason::Pulled,
            message,
        )],
        backoff: SUCCEEDED_BACKOFF,
    }
}

/// `evalCRIPullErr(image, err)`: the waiting reason and message for a runtime pull error.
///
/// Mainline matches by prefix because gRPC errors cannot be compared by identity: text
/// starting `RegistryUnavailable` or `SignatureValidationFailed` gets a sentence naming the
/// image with the rest of the text appended; anything else is `ErrImagePull` with the text
/// unchanged (so an aggregated `[e1, e2]` is always `ErrImagePull`). The older rule is
/// described on [`KubeletBehavior::registry_error_by_prefix`].
pub fn classify_pull_error(
    image: &str,
    err_text: &str,
    behavior: &KubeletBehavior,
) -> (WaitingReason, String) {
    const REGISTRY: &str = "RegistryUnavailable";
    const SIGNATURE: &str = "SignatureValidationFailed";
    if !behavior.registry_error_by_prefix {
        return if err_text == REGISTRY {
            (
                WaitingReason::RegistryUnavailable,
                format!("image pull failed for {image} because the registry is unavailable."),
            )
        } else {
            (WaitingReason::ErrImagePull, err_text.to_owned())
        };
    }
    if let Some(rest) = err_text.strip_prefix(REGISTRY) {
        return (
            WaitingReason::RegistryUnavailable,
            format!("image pull failed for {image} because the registry is unavailable{rest}"),
        );
    }
    if let Some(rest) = err_text.strip_prefix(SIGNATURE) {
        return (
            WaitingReason::SignatureValidationFailed,
            format!("image pull failed for {image} because the signature validation failed{rest}"),
        );
    }
    (WaitingReason::ErrImagePull, err_text.to_owned())
}

/// The text of `utilerrors.NewAggregate(errs).Error()` for the errors of every credential
/// tried in one pull (docs/semantics.md §3.3; `k8s.io/apimachinery/pkg/util/errors/errors.go`):
/// `None` for no errors (the aggregate is nil), a single error's own text, otherwise the
/// messages with duplicates removed (first occurrence kept) joined as `[e1, e2]`, or the
/// lone message without brackets when every message was the same.
pub fn aggregate_error_text<S: AsRef<str>>(errors: &[S]) -> Option<String> {
    match errors {
        [] => None,
        [only] => Some(only.as_ref().to_owned()),
        many => {
            let mut seen = BTreeSet::new();
            let distinct: Vec<&str> = many
                .iter()
                .map(AsRef::as_ref)
                .filter(|message| seen.insert(*message))
                .collect();
            match distinct.as_slice() {
                [only] => Some((*only).to_owned()),
                _ => Some(format!("[{}]", distinct.join(", "))),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MAINLINE: KubeletBehavior = KubeletBehavior::MAINLINE;
    const LEGACY: KubeletBehavior = KubeletBehavior::LEGACY;

    fn check_classify(rows: &[(KubeletBehavior, &str, WaitingReason, &str)]) {
        for (behavior, err_text, want_reason, want_message) in rows {
            let (reason, message) = classify_pull_error("nginx:1.25", err_text, behavior);
            assert_eq!(
                (reason, message.as_str()),
                (*want_reason, *want_message),
                "{err_text}"
            );
        }
    }

    #[test]
    fn eval_cri_pull_err_by_prefix() {
        use WaitingReason::*;
        check_classify(&[
            (
                MAINLINE,
                "RegistryUnavailable: connection refused",
                RegistryUnavailable,
                "image pull failed for nginx:1.25 because the registry is unavailable: connection refused",
            ),
            (
                MAINLINE,
                "RegistryUnavailable",
                RegistryUnavailable,
                "image pull failed for nginx:1.25 because the registry is unavailable",
            ),
            (
                MAINLINE,
                "SignatureValidationFailed: untrusted key",
                SignatureValidationFailed,
                "image pull failed for nginx:1.25 because the signature validation failed: untrusted key",
            ),
            (
                MAINLINE,
                "rpc error: code = NotFound desc = not found",
                ErrImagePull,
                "rpc error: code = NotFound desc = not found",
            ),
            (
                MAINLINE,
                "[RegistryUnavailable, x]",
                ErrImagePull,
                "[RegistryUnavailable, x]",
            ),
            (
                MAINLINE,
                "registryunavailable",
                ErrImagePull,
                "registryunavailable",
            ),
            (
                LEGACY,
                "RegistryUnavailable",
                RegistryUnavailable,
                "image pull failed for nginx:1.25 because the registry is unavailable.",
            ),
            (
                LEGACY,
                "RegistryUnavailable: detail",
                ErrImagePull,
                "RegistryUnavailable: detail",
            ),
            (
                LEGACY,
                "SignatureValidationFailed: untrusted key",
                ErrImagePull,
                "SignatureValidationFailed: untrusted key",
            ),
        ]);
    }

    #[test]
    fn failure_records_events_reason_and_stored_error() {
        let failure = pull_failed(
            "sumit198/customer-api:1.0.1",
            "pull access denied",
            &MAINLINE,
        );
        let events: Vec<(EventType, EventReason, &str)> = failure
            .events
            .iter()
            .map(|e| (e.event_type, e.reason, e.message.as_str()))
            .collect();
        assert_eq!(
            events,
            [
                (
                    EventType::Warning,
                    EventReason::Failed,
                    "Failed to pull image \"sumit198/customer-api:1.0.1\": pull access denied"
                ),
                (
                    EventType::Warning,
                    EventReason::Failed,
                    "Error: ErrImagePull"
                ),
            ]
        );
        assert_eq!(failure.reason, WaitingReason::ErrImagePull);
        assert_eq!(failure.message, "pull access denied");
        assert_eq!(failure.stored_error, "ErrImagePull: pull access denied");
        assert_eq!(failure.backoff, BackoffEffect::Advance);
        let quiet = pull_failed_with(
            "sumit198/customer-api:1.0.1",
            "pull access denied",
            &MAINLINE,
            Texts::StatusOnly,
        );
        assert_eq!(
            quiet,
            PullFailure {
                events: Vec::new(),
                ..failure
            },
            "status only: the same outcome without events"
        );

        let unavailable = pull_failed("nginx", "RegistryUnavailable: down", &MAINLINE);
        assert_eq!(
            unavailable.stored_error,
            "RegistryUnavailable: image pull failed for nginx because the registry is unavailable: down"
        );
        assert_eq!(unavailable.events[1].message, "Error: RegistryUnavailable");
    }

    fn check_pulled(rows: &[(KubeletBehavior, u64, u64, u64, &str)]) {
        for &(behavior, pull_ns, total_ns, size_bytes, want) in rows {
            let success = pull_succeeded(
                "nginx:1.25",
                Duration::from_nanos(pull_ns),
                Duration::from_nanos(total_ns),
                size_bytes,
                &behavior,
            );
            assert_eq!(success.events.len(), 1);
            assert_eq!(success.events[0].event_type, EventType::Normal);
            assert_eq!(success.events[0].reason, EventReason::Pulled);
            assert_eq!(success.events[0].message, want);
            assert_eq!(success.backoff, BackoffEffect::CollectGarbage);
        }
    }

    #[test]
    fn pulled_event_formats_durations_like_go() {
        check_pulled(&[
            (
                MAINLINE,
                1_234_567_891,
                62_003_999_999,
                67_108_864,
                "Successfully pulled image \"nginx:1.25\" in 1.234s (1m2.003s including waiting). Image size: 67108864 bytes.",
            ),
            (
                MAINLINE,
                523_999_999,
                523_999_999,
                0,
                "Successfully pulled image \"nginx:1.25\" in 523ms (523ms including waiting). Image size: 0 bytes.",
            ),
            (
                MAINLINE,
                999_999,
                3_600_000_000_000,
                1,
                "Successfully pulled image \"nginx:1.25\" in 0s (1h0m0s including waiting). Image size: 1 bytes.",
            ),
            (
                LEGACY,
                1_000_000_000,
                2_345_678_901,
                5,
                "Successfully pulled image \"nginx:1.25\" in 2.345678901s",
            ),
        ]);
    }

    fn check_aggregate(rows: &[(&[&str], Option<&str>)]) {
        for &(errors, want) in rows {
            assert_eq!(aggregate_error_text(errors).as_deref(), want, "{errors:?}");
        }
    }

    #[test]
    fn aggregate_matches_apimachinery() {
        // k8s.io/apimachinery/pkg/util/errors/errors_test.go: TestEmptyAggregate,
        // TestSingularAggregate, TestPluralAggregate, TestDedupeAggregate,
        // TestDedupePluralAggregate; then credential-shaped rows.
        check_aggregate(&[
            (&[], None),
            (&["err"], Some("err")),
            (&["abc", "123"], Some("[abc, 123]")),
            (&["abc", "abc"], Some("abc")),
            (&["abc", "abc", "123"], Some("[abc, 123]")),
            (&["b", "a", "b", "c"], Some("[b, a, c]")),
            (
                &["401 unauthorized", "403 forbidden"],
                Some("[401 unauthorized, 403 forbidden]"),
            ),
        ]);
    }

    proptest! {
        #[test]
        fn aggregate_of_several_distinct_is_bracketed(
            errors in proptest::collection::btree_set("[a-z]{1,6}", 2..6)
        ) {
            let errors: Vec<String> = errors.into_iter().collect();
            let text = aggregate_error_text(&errors).unwrap_or_default();
            prop_assert!(text.starts_with('[') && text.ends_with(']'), "{text}");
            let (reason, _) = classify_pull_error("x", &text, &MAINLINE);
            prop_assert_eq!(reason, WaitingReason::ErrImagePull);
        }
    }
}
