//! `state`: a container's (or, without `container`, the pod's) state at a time.
//!
//! It reads the pod of that name that exists at `at` (the latest created by then). A
//! container's state is its last status by then (`Pending` before the kubelet wrote one); a
//! pod is `Running` once every regular container runs, otherwise it shows its first waiting
//! container, init containers first, as `kubectl get pods` does.

use std::fmt::Write as _;

use pullsim_model::SimTime;

use super::waiting_reasons::waiting_reason;
use super::wording::subject_of_pod;
use super::{Check, Kind, Reading, time_in_run};
use crate::diagnostics::Diagnostics;
use crate::fields::text;
use crate::references::Known;
use crate::run::judge::{Evidence, Judged, Seen, Story, clock, instance_at, seen};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "state",
    docs: r"| `state: Pending\|Waiting\|Running\|Deleted` | `pod` | `at` (default: end of run), `container`, `reason`, `message` (text the waiting message contains) | the container's (or the pod's, when no container is named) state |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// A container's (or, without `container`, the pod's) state at a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateAt {
    /// The pod.
    pub pod: String,
    /// The container; `None` for the pod as a whole (Running when every container is).
    pub container: Option<String>,
    /// When; `None` for the end of the run.
    pub at: Option<SimTime>,
    /// The state.
    pub state: State,
    /// The waiting reason (`ErrImagePull`, `ImagePullBackOff`, ...), when given.
    pub reason: Option<String>,
    /// Text the waiting message must contain, when given.
    pub message: Option<String>,
}

/// A container's state as `kubectl get pods` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Not yet created, or not yet placed on a node.
    Pending,
    /// Waiting, with a reason.
    Waiting,
    /// Running.
    Running,
    /// Deleted.
    Deleted,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    reading.check_container(false, known, diagnostics);
    let at = reading
        .fields
        .get("at")
        .and_then(|n| time_in_run(n, known, diagnostics));
    let reason = reading
        .fields
        .get("reason")
        .and_then(|n| waiting_reason(n, diagnostics));
    let message = reading
        .fields
        .get("message")
        .and_then(|n| text(n, diagnostics));
    let state = state(reading.value, diagnostics);
    let pod = reading.pod.take();
    Some(Check::State(StateAt {
        pod: reading.need(pod, "pod", diagnostics)?,
        container: reading.container.take(),
        at,
        state: state?,
        reason,
        message,
    }))
}

fn state(node: &Node, diagnostics: &mut Diagnostics) -> Option<State> {
    let written = text(node, diagnostics)?;
    let states = [
        ("Pending", State::Pending),
        ("Waiting", State::Waiting),
        ("Running", State::Running),
        ("Deleted", State::Deleted),
    ];
    let found = states
        .iter()
        .find(|(name, _)| *name == written)
        .map(|&(_, state)| state);
    if found.is_none() {
        let names: Vec<&str> = states.iter().map(|(name, _)| *name).collect();
        diagnostics.error(
            node.position,
            unknown_value_message("state", &written, &names),
        );
    }
    found
}

impl StateAt {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let StateAt {
            pod,
            container,
            at,
            state,
            reason,
            message,
        } = self;
        let at = at.unwrap_or(evidence.end);
        let seen = state_at(evidence.story, pod, container.as_deref(), at);
        let mut expected = format!("{state:?}");
        if let Some(reason) = reason {
            let _ = write!(expected, " {reason}");
        }
        if let Some(message) = message {
            let _ = write!(expected, " with message containing {message:?}");
        }
        let _ = write!(expected, " at {}", clock(at));
        let passed = seen.state == Some(*state)
            && reason
                .as_ref()
                .is_none_or(|r| seen.reason.as_ref() == Some(r))
            && message
                .as_ref()
                .is_none_or(|m| seen.message.as_deref().is_some_and(|s| s.contains(m)));
        Judged {
            subject: subject_of_pod(pod, container.as_deref()),
            expected,
            actual: seen.describe(),
            passed,
        }
    }
}

fn state_at(story: &Story, pod: &str, container: Option<&str>, at: SimTime) -> Seen {
    match instance_at(story, pod, at) {
        Some(instance) => seen(story, instance, container, at),
        None => Seen {
            state: Some(State::Pending),
            ..Seen::default()
        },
    }
}
