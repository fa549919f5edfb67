//! `EnsureImageExists` up to the moment a pull starts: default tag, presence check,
//! KEP-2535 verification, policy and back-off, with the events each branch records
//! (docs/semantics.md §3.2 steps 1-7.3 and the 3.7 decision matrix).

use std::borrow::Cow;
use std::sync::Arc;

use super::{EventReason, EventType, KubeletBehavior, PullEvent, WaitingReason};
use crate::go::text::quote as go_quote;
use crate::policy::PullPolicy;
use crate::reference::apply_default_image_tag;

/// What the runtime's presence check (CRI `ImageStatus` via `GetImageRef`) found.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Presence {
    /// The image is on the node; `image_ref` is its ID. An empty `image_ref` means absent,
    /// as in the kubelet, which treats an empty reference as "not found".
    Present {
        /// The local image's ID (`resp.Image.Id`).
        image_ref: String,
    },
    /// The image is not on the node.
    Absent,
    /// The presence check failed with this error text.
    InspectError(String),
}

/// The inputs of one `EnsureImageExists` call that decide what happens before a pull.
/// The image texts may be borrowed from the caller (a simulation asks at every sync of a
/// pod in back-off, and copying them was an allocation each).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PullRequest<'a> {
    /// `container.image`, verbatim: events, messages and the back-off key use it.
    pub image: Cow<'a, str>,
    /// `applyDefaultImageTag(image)`: the tagged image to hand to the runtime, or the
    /// parse error's text ([`PullRequest::new`] fills it in).
    pub tagged_image: Result<Cow<'a, str>, Cow<'a, str>>,
    /// The container's pull policy.
    pub policy: PullPolicy,
    /// What the presence check would report. Not consulted for `Always`, which skips it.
    pub presence: Presence,
    /// `None` when the `KubeletEnsureSecretPulledImages` gate is off; otherwise the result
    /// of `MustAttemptImagePull` for this pod (`true`: the pod must prove access by pulling).
    pub verification: Option<bool>,
    /// `IsInBackOffSinceUpdate(<podUID>_<image>, now)`; consulted only when a pull is needed.
    pub in_backoff: bool,
    /// The error stored for the back-off key by the last failed pull (`<reason>: <message>`),
    /// shared with the kubelet's store rather than copied on every call.
    pub previous_error: Option<Arc<str>>,
    /// The back-off waiting message for this image and `previous_error`, when the caller
    /// kept it from an earlier decision ([`backoff_message`] writes it): a key in back-off
    /// asks the same question on every sync, and the message is used as is instead of
    /// being written again. `None`: the decision writes it.
    pub backoff_message: Option<Arc<str>>,
}

/// What the image manager does with the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PullAction {
    /// Start the container from the local image.
    UseLocal {
        /// The local image's ID.
        image_ref: String,
    },
    /// Pull now. The kubelet has already dropped the back-off key's stored error (the caller
    /// must forget it too) and recorded `Pulling`; the caller runs the pull and reports the
    /// result with [`super::pull_failed`] or [`super::pull_succeeded`].
    Pull {
        /// The tagged image string handed to the runtime (`ImageSpec.Image`).
        image: String,
    },
    /// The container cannot start; it waits with this reason and message.
    Fail {
        /// The waiting reason.
        reason: WaitingReason,
        /// The waiting message (shared: a pod in back-off shows the same one sync after
        /// sync).
        message: Arc<str>,
    },
}

/// One `EnsureImageExists` decision: the action and the events recorded so far, in order
/// (including the caller's `Error: <reason>` event when the action is a failure).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    /// What happens next.
    pub action: PullAction,
    /// Events in the order the kubelet records them.
    pub events: Vec<PullEvent>,
}

impl PullRequest<'static> {
    /// A request for `image` under `policy` with the image's presence; the tagged image is
    /// `applyDefaultImageTag(image)`, the gate is off, and the key is not in back-off.
    pub fn new(image: &str, policy: PullPolicy, presence: Presence) -> PullRequest<'static> {
        PullRequest {
            image: Cow::Owned(image.to_owned()),
            tagged_image: apply_default_image_tag(image)
                .map(Cow::Owned)
                .map_err(|err| Cow::Owned(err.to_string())),
            policy,
            presence,
            verification: None,
            in_backoff: false,
            previous_error: None,
            backoff_message: None,
        }
    }
}

impl Decision {
    /// A failure with its event and the caller's `Error: <reason>`, or no events when
    /// `events` is false ([`Texts::StatusOnly`]).
    fn failed(
        events: bool,
        event: impl FnOnce() -> PullEvent,
        reason: WaitingReason,
        message: Arc<str>,
    ) -> Decision {
        Decision {
            action: PullAction::Fail { reason, message },
            events: if events {
                vec![event(), PullEvent::start_failed(reason)]
            } else {
                Vec::new()
            },
        }
    }

    fn use_local(image_ref: String, message: Option<String>) -> Decision {
        Decision {
            action: PullAction::UseLocal { image_ref },
            events: message
                .map(|message| PullEvent::new(EventType::Normal, EventReason::Pulled, message))
                .into_iter()
                .collect(),
        }
    }
}

/// Decides one `EnsureImageExists` call (mainline order, docs/semantics.md §3.2):
///
/// 1. an image string that does not parse fails with `InvalidImageName`;
/// 2. `IfNotPresent`/`Never` check presence (`Always` does not): a check error fails with
///    `ImageInspectError`, `Never` with no image fails with `ErrImageNeverPull`;
/// 3. a present image is used as is when the verification gate is off, or when
///    verification says the pod need not pull;
/// 4. `Never` that reaches here (present but not verified) fails with `ErrImageNeverPull`,
///    hiding that the image is present;
/// 5. a key in back-off fails with `ImagePullBackOff` without contacting the runtime;
/// 6. otherwise the pull starts.
///
/// Credential lookup errors and KEP-2535 record errors (which the kubelet returns as is,
/// with their own text as the reason) are outside this function: they need the keyring.
pub fn decide(request: &PullRequest<'_>, behavior: &KubeletBehavior) -> Decision {
    decide_with(request, behavior, Texts::All)
}

/// Which texts [`decide_with`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Texts {
    /// Every event and waiting message, as [`decide`] does.
    All,
    /// Only what the pod's status holds (a failure's waiting message): no event is
    /// written, with its quoting. For callers that keep no events (a simulation that
    /// records no trace).
    StatusOnly,
}

/// [`decide`], writing only the texts `texts` asks for; the action is the same.
pub fn decide_with(
    request: &PullRequest<'_>,
    behavior: &KubeletBehavior,
    texts: Texts,
) -> Decision {
    let image = &*request.image;
    let events = texts == Texts::All;
    // Quoted only for the texts that are written.
    let quoted = || go_quote(image);
    let tagged = match &request.tagged_image {
        Ok(tagged) => tagged,
        Err(parse_error) => {
            let message: Arc<str> = format!(
                "Failed to apply default image tag {}: {parse_error}",
                quoted()
            )
            .into();
            let event =
                || PullEvent::new(EventType::Warning, EventReason::InspectFailed, &*message);
            return Decision::failed(
                events,
                event,
                WaitingReason::InvalidImageName,
                message.clone(),
            );
        }
    };

    let never_pull = || {
        let message: Arc<str> = format!(
            "Container image {} is not present with pull policy of Never",
            quoted()
        )
        .into();
        let event = || {
            PullEvent::new(
                EventType::Warning,
                EventReason::ErrImageNeverPull,
                &*message,
            )
        };
        Decision::failed(
            events,
            event,
            WaitingReason::ErrImageNeverPull,
            message.clone(),
        )
    };

    let image_ref = match (request.policy, &request.presence) {
        (PullPolicy::Always, _) => None,
        (_, Presence::InspectError(err)) => {
            // Mainline formats the image reference it got back, which is empty on error.
            let named = if behavior.inspect_error_names_image {
                quoted()
            } else {
                go_quote("")
            };
            let message: Arc<str> = format!("Failed to inspect image {named}: {err}").into();
            let event =
                || PullEvent::new(EventType::Warning, EventReason::InspectFailed, &*message);
            return Decision::failed(
                events,
                event,
                WaitingReason::ImageInspectError,
                message.clone(),
            );
        }
        (_, Presence::Present { image_ref }) if !image_ref.is_empty() => Some(image_ref),
        (PullPolicy::Never, _) => return never_pull(),
        (_, _) => None,
    };

    if let Some(image_ref) = image_ref {
        match request.verification {
            None => {
                let message = events
                    .then(|| format!("Container image {} already present on machine", quoted()));
                return Decision::use_local(image_ref.clone(), message);
            }
            Some(false) => {
                let message = events.then(|| format!(
                    "Container image {} already present on machine and can be accessed by the pod", quoted()
                ));
                return Decision::use_local(image_ref.clone(), message);
            }
            Some(true) => {}
        }
    }

    if request.policy == PullPolicy::Never {
        return never_pull();
    }

    if request.in_backoff {
        let previous = request.previous_error.as_deref();
        let message = match &request.backoff_message {
            Some(kept) => {
                debug_assert_eq!(
                    **kept,
                    *backoff_message(image, previous, behavior),
                    "a kept back-off message is the one for this image and previous error"
                );
                Arc::clone(kept)
            }
            None => backoff_message(image, previous, behavior).into(),
        };
        let event = || {
            PullEvent::new(
                EventType::Normal,
                EventReason::BackOff,
                format!("Back-off pulling image {}", quoted()),
            )
        };
        return Decision::failed(events, event, WaitingReason::ImagePullBackOff, message);
    }

    Decision {
        action: PullAction::Pull {
            image: tagged.to_string(),
        },
        events: events
            .then(|| {
                PullEvent::new(
                    EventType::Normal,
                    EventReason::Pulling,
                    format!("Pulling image {}", quoted()),
                )
            })
            .into_iter()
            .collect(),
    }
}

/// The waiting message of a key in back-off (docs/semantics.md §3.2 step 7.3): `Back-off
/// pulling image "<image>"`, followed by `: <previous error>` when one is stored and
/// [`KubeletBehavior::backoff_message_includes_previous_error`] (`pkg/kubelet/images/
/// image_manager.go`, `EnsureImageExists`). The same for every sync until the next failed
/// pull stores another error, so callers may keep it ([`PullRequest::backoff_message`]).
pub fn backoff_message(
    image: &str,
    previous_error: Option<&str>,
    behavior: &KubeletBehavior,
) -> String {
    let quoted = go_quote(image);
    match previous_error {
        Some(previous) if behavior.backoff_message_includes_previous_error => {
            format!("Back-off pulling image {quoted}: {previous}")
        }
        _ => format!("Back-off pulling image {quoted}"),
    }
}

#[cfg(test)]
mod tests;
