//! The kubelet image manager's pull decision and its outcomes (docs/semantics.md §3.2, 3.3,
//! 3.7): which events it records, which waiting reason a container gets, and when the
//! back-off moves, as pure functions the simulator calls around its own pull machinery.
//!
//! One `EnsureImageExists` call is [`decide`]; when it says [`PullAction::Pull`], the
//! caller runs the pull (throttle, puller, runtime) and reports the result through
//! [`pull_failed`] or [`pull_succeeded`]. Everything that differs between kubelet
//! releases in these strings is a field of [`KubeletBehavior`].

mod decision;
mod outcome;
mod throttle;

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::backoff::Backoff;
use crate::time::SimTime;

pub use decision::{
    Decision, Presence, PullAction, PullRequest, Texts, backoff_message, decide, decide_with,
};
pub use outcome::{
    PullFailure, PullSuccess, SUCCEEDED_BACKOFF, aggregate_error_text, classify_pull_error,
    pull_failed, pull_failed_with, pull_succeeded,
};
pub use throttle::PullThrottle;

/// The type of a Kubernetes event (`v1.EventTypeNormal` / `v1.EventTypeWarning`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// `Normal`.
    Normal,
    /// `Warning`.
    Warning,
}

impl EventType {
    /// The type as `kubectl describe` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Normal => "Normal",
            EventType::Warning => "Warning",
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reason of an event the image manager (or its caller) records, from
/// `pkg/kubelet/events/event.go` (docs/semantics.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventReason {
    /// `PullingImage = "Pulling"`: a pull is starting.
    Pulling,
    /// `PulledImage = "Pulled"`: the image is ready (pulled now or already present).
    Pulled,
    /// `FailedToPullImage` / `FailedToCreateContainer`, both `"Failed"`.
    Failed,
    /// `FailedToInspectImage = "InspectFailed"`: bad reference or a presence-check error.
    InspectFailed,
    /// `ErrImageNeverPullPolicy = "ErrImageNeverPull"`.
    ErrImageNeverPull,
    /// `BackOffPullImage = "BackOff"`: the pull was skipped because of the back-off.
    BackOff,
}

impl EventReason {
    /// The reason as `kubectl describe` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            EventReason::Pulling => "Pulling",
            EventReason::Pulled => "Pulled",
            EventReason::Failed => "Failed",
            EventReason::InspectFailed => "InspectFailed",
            EventReason::ErrImageNeverPull => "ErrImageNeverPull",
            EventReason::BackOff => "BackOff",
        }
    }
}

impl fmt::Display for EventReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One event recorded against the container's object reference, in the order the
/// kubelet records them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PullEvent {
    /// `Normal` or `Warning`.
    pub event_type: EventType,
    /// The short reason (`Pulling`, `Failed`, ...).
    pub reason: EventReason,
    /// The message, verbatim.
    pub message: String,
}

impl PullEvent {
    /// An event of the given type and reason.
    pub fn new(event_type: EventType, reason: EventReason, message: impl Into<String>) -> Self {
        PullEvent {
            event_type,
            reason,
            message: message.into(),
        }
    }

    /// The caller's event after any failed `EnsureImageExists` (`kuberuntime_container.go
    /// startContainer`): Warning `Failed` `Error: <reason>`.
    pub fn start_failed(reason: WaitingReason) -> PullEvent {
        PullEvent::new(
            EventType::Warning,
            EventReason::Failed,
            format!("Error: {reason}"),
        )
    }
}

/// Why a container waits after a failed `EnsureImageExists`: the error's text, which
/// becomes `state.waiting.reason` (docs/semantics.md §3.2; `pkg/kubelet/images/types.go`,
/// `k8s.io/cri-api/pkg/errors`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WaitingReason {
    /// `ErrImagePullBackOff`: skipped because the key is in back-off.
    ImagePullBackOff,
    /// `ErrImageInspect`: the presence check (CRI `ImageStatus`) failed.
    ImageInspectError,
    /// `ErrImagePull`: the pull failed.
    ErrImagePull,
    /// `ErrImageNeverPull`: policy `Never` and no usable local image.
    ErrImageNeverPull,
    /// `ErrInvalidImageName`: the image string does not parse.
    InvalidImageName,
    /// CRI `ErrRegistryUnavailable`: the runtime reported the registry unavailable.
    RegistryUnavailable,
    /// CRI `ErrSignatureValidationFailed`: the runtime rejected the image's signature.
    SignatureValidationFailed,
}

impl WaitingReason {
    /// The reason string, exactly as it appears in the container status.
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingReason::ImagePullBackOff => "ImagePullBackOff",
            WaitingReason::ImageInspectError => "ImageInspectError",
            WaitingReason::ErrImagePull => "ErrImagePull",
            WaitingReason::ErrImageNeverPull => "ErrImageNeverPull",
            WaitingReason::InvalidImageName => "InvalidImageName",
            WaitingReason::RegistryUnavailable => "RegistryUnavailable",
            WaitingReason::SignatureValidationFailed => "SignatureValidationFailed",
        }
    }
}

impl fmt::Display for WaitingReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a pull outcome does to the image back-off for its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BackoffEffect {
    /// A failed pull: `backOff.Next(key, now)`.
    Advance,
    /// A successful pull: `backOff.GC()`; the key's own entry is not reset.
    CollectGarbage,
}

impl BackoffEffect {
    /// Applies the effect for `key` at `now`.
    pub fn apply(self, backoff: &mut Backoff, key: &str, now: SimTime) {
        match self {
            BackoffEffect::Advance => backoff.next(key, now),
            BackoffEffect::CollectGarbage => backoff.gc(now),
        }
    }
}

/// The image-manager strings that changed between Kubernetes releases (docs/semantics.md §8).
/// [`Default`] is current mainline (1.33-1.35); each field says what the older releases
/// did. Exact release boundaries are unconfirmed upstream, so scenarios pick by behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeletBehavior {
    /// `true`: `Successfully pulled image %q in %v (%v including waiting). Image size: %v
    /// bytes.` with both durations truncated to milliseconds. `false` (older): `Successfully
    /// pulled image %q in %v` with the total time (including queueing), not truncated.
    pub pulled_event_reports_waiting_and_size: bool,
    /// `true`: a back-off waiting message ends with `: <reason>: <message>` of the last
    /// failed pull when one is stored. `false` (older): `Back-off pulling image %q` only.
    pub backoff_message_includes_previous_error: bool,
    /// `true`: runtime errors are classified by prefix (`RegistryUnavailable...`,
    /// `SignatureValidationFailed...`) with the rest appended. `false` (older): only an
    /// error whose whole text is `RegistryUnavailable` maps to that reason, with the message
    /// `image pull failed for <image> because the registry is unavailable.`; signature
    /// failures are not recognised.
    pub registry_error_by_prefix: bool,
    /// `false` (mainline): a presence-check failure reads `Failed to inspect image "": ...`
    /// because the kubelet formats the (empty) image reference it got back. `true` (older):
    /// it names the container's image.
    pub inspect_error_names_image: bool,
    /// `false` (mainline): the throttle refuses with `pull QPS exceeded`. `true` (very old
    /// releases): `pull QPS exceeded.`.
    pub pull_qps_error_has_period: bool,
}

impl KubeletBehavior {
    /// Current mainline behaviour (the default).
    pub const MAINLINE: KubeletBehavior = KubeletBehavior {
        pulled_event_reports_waiting_and_size: true,
        backoff_message_includes_previous_error: true,
        registry_error_by_prefix: true,
        inspect_error_names_image: false,
        pull_qps_error_has_period: false,
    };

    /// Every field at its older value, for scenarios that reproduce old clusters.
    pub const LEGACY: KubeletBehavior = KubeletBehavior {
        pulled_event_reports_waiting_and_size: false,
        backoff_message_includes_previous_error: false,
        registry_error_by_prefix: false,
        inspect_error_names_image: true,
        pull_qps_error_has_period: true,
    };

    /// The error text of a pull refused by the `registryPullQPS` throttle.
    pub fn pull_qps_exceeded_text(self) -> &'static str {
        if self.pull_qps_error_has_period {
            "pull QPS exceeded."
        } else {
            "pull QPS exceeded"
        }
    }
}

impl Default for KubeletBehavior {
    fn default() -> Self {
        KubeletBehavior::MAINLINE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_strings_match_upstream_constants() {
        // pkg/kubelet/images/types.go, k8s.io/cri-api/pkg/errors, pkg/kubelet/events.
        let waiting = [
            (WaitingReason::ImagePullBackOff, "ImagePullBackOff"),
            (WaitingReason::ImageInspectError, "ImageInspectError"),
            (WaitingReason::ErrImagePull, "ErrImagePull"),
            (WaitingReason::ErrImageNeverPull, "ErrImageNeverPull"),
            (WaitingReason::InvalidImageName, "InvalidImageName"),
            (WaitingReason::RegistryUnavailable, "RegistryUnavailable"),
            (
                WaitingReason::SignatureValidationFailed,
                "SignatureValidationFailed",
            ),
        ];
        for (reason, text) in waiting {
            assert_eq!(reason.to_string(), text);
        }
        let events = [
            (EventReason::Pulling, "Pulling"),
            (EventReason::Pulled, "Pulled"),
            (EventReason::Failed, "Failed"),
            (EventReason::InspectFailed, "InspectFailed"),
            (EventReason::ErrImageNeverPull, "ErrImageNeverPull"),
            (EventReason::BackOff, "BackOff"),
        ];
        for (reason, text) in events {
            assert_eq!(reason.to_string(), text);
        }
        assert_eq!(EventType::Warning.to_string(), "Warning");
        assert_eq!(
            PullEvent::start_failed(WaitingReason::ImagePullBackOff).message,
            "Error: ImagePullBackOff"
        );
    }

    #[test]
    fn behavior_defaults_to_mainline_and_reads_from_yaml() {
        assert_eq!(KubeletBehavior::default(), KubeletBehavior::MAINLINE);
        assert_eq!(
            KubeletBehavior::MAINLINE.pull_qps_exceeded_text(),
            "pull QPS exceeded"
        );
        assert_eq!(
            KubeletBehavior::LEGACY.pull_qps_exceeded_text(),
            "pull QPS exceeded."
        );
        let parsed: Result<KubeletBehavior, _> =
            serde_json::from_str(r#"{"pulledEventReportsWaitingAndSize": false}"#);
        let expected = KubeletBehavior {
            pulled_event_reports_waiting_and_size: false,
            ..KubeletBehavior::MAINLINE
        };
        assert_eq!(parsed.ok(), Some(expected));
        let misspelled: Result<KubeletBehavior, _> =
            serde_json::from_str(r#"{"pulledEventReportsWaiting": false}"#);
        assert!(misspelled.is_err());
    }
}
