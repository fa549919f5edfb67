//! `events`: the events recorded against a container, in order, over every pod of that
//! name in creation order; an event about the pod as a whole
//! (FailedToRetrieveImagePullSecret) is among every container's. An event's `at` matches
//! anywhere in that millisecond, as the transcript prints it.

use pullsim_model::SimTime;
use pullsim_model::pull::EventType;

use super::order::{Order, matches_in_order, order_word, read_order};
use super::wording::subject_of_pod;
use super::{Check, Kind, Reading, time_in_run};
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, list, text};
use crate::references::Known;
use crate::run::judge::{Entry, Evidence, Judged, Story, clock};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "events",
    docs: r"| `events: [...]` | `pod` | `container`, `order` | the events recorded against the container, and those about the whole pod |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// The events recorded against a container, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Events {
    /// The pod.
    pub pod: String,
    /// The container; `None` when the pod has one.
    pub container: Option<String>,
    /// How the list must match the trace.
    pub order: Order,
    /// The events.
    pub events: Vec<ExpectedEvent>,
}

/// One expected event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedEvent {
    /// Its reason, one of [`EVENT_REASONS`].
    pub reason: &'static str,
    /// Its type, when asserted.
    pub event_type: Option<EventType>,
    /// Its whole message, when asserted.
    pub message: Option<String>,
    /// Text its message contains, when asserted.
    pub contains: Option<String>,
    /// When it is recorded, when asserted.
    pub at: Option<SimTime>,
}

/// The event reasons an expectation may name: the image manager's (pullsim-model's
/// `EventReason`), then the kubelet's warning for pull Secrets it cannot find
/// (`getPullSecretsForPod` in `pkg/kubelet/kubelet_pods.go`).
pub const EVENT_REASONS: [&str; 7] = [
    "Pulling",
    "Pulled",
    "Failed",
    "InspectFailed",
    "ErrImageNeverPull",
    "BackOff",
    "FailedToRetrieveImagePullSecret",
];

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    reading.check_container(true, known, diagnostics);
    let order = read_order(&mut reading.fields, diagnostics);
    let pod = reading.pod.take();
    let pod = reading.need(pod, "pod", diagnostics)?;
    let events: Vec<_> = list(reading.value, diagnostics)
        .iter()
        .map(|item| expected_event(item, known, diagnostics))
        .collect();
    Some(Check::Events(Events {
        pod,
        container: reading.container.take(),
        order: order?,
        events: events.into_iter().collect::<Option<_>>()?,
    }))
}

fn event_reason(node: &Node, diagnostics: &mut Diagnostics) -> Option<&'static str> {
    let written = text(node, diagnostics)?;
    let found = EVENT_REASONS.into_iter().find(|reason| *reason == written);
    if found.is_none() {
        diagnostics.error(
            node.position,
            unknown_value_message("event reason", &written, &EVENT_REASONS),
        );
    }
    found
}

/// A reason alone, or `{reason, type, message, contains, at}`.
fn expected_event(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<ExpectedEvent> {
    if node.scalar().is_some() {
        return event_reason(node, diagnostics).map(|reason| ExpectedEvent {
            reason,
            event_type: None,
            message: None,
            contains: None,
            at: None,
        });
    }
    let mut fields = Fields::of(node, "an event", diagnostics)?;
    let reason = fields
        .require("reason", diagnostics)
        .and_then(|n| event_reason(n, diagnostics));
    let event_type = fields
        .get("type")
        .map(|n| match text(n, diagnostics).as_deref() {
            Some("Normal") => Some(EventType::Normal),
            Some("Warning") => Some(EventType::Warning),
            Some(other) => {
                diagnostics.error(
                    n.position,
                    unknown_value_message("event type", other, &["Normal", "Warning"]),
                );
                None
            }
            None => None,
        });
    let message = fields.get("message").and_then(|n| text(n, diagnostics));
    let contains = fields.get("contains").and_then(|n| text(n, diagnostics));
    let at = fields.get("at").map(|n| time_in_run(n, known, diagnostics));
    fields.finish(diagnostics);
    Some(ExpectedEvent {
        reason: reason?,
        event_type: event_type.map_or(Some(None), |kind| kind.map(Some))?,
        message,
        contains,
        at: at.map_or(Some(None), |at| at.map(Some))?,
    })
}

impl Events {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let Events {
            pod,
            container,
            order,
            events,
        } = self;
        let actual = events_of(evidence.story, pod, container.as_deref());
        let passed = matches_in_order(events, &actual, *order, event_matches);
        let expected = format!(
            "events {}[{}]",
            order_word(*order),
            events
                .iter()
                .map(expected_event_text)
                .collect::<Vec<_>>()
                .join(", ")
        );
        let actual = format!(
            "[{}]",
            actual
                .iter()
                .map(|e| format!("{} {}", e.reason, clock(e.at)))
                .collect::<Vec<_>>()
                .join(", ")
        );
        Judged {
            subject: subject_of_pod(pod, container.as_deref()),
            expected,
            actual,
            passed,
        }
    }
}

/// One event as an expectation sees it.
#[derive(Debug)]
struct SeenEvent {
    at: SimTime,
    event_type: String,
    reason: String,
    message: String,
}

fn events_of(story: &Story, pod: &str, container: Option<&str>) -> Vec<SeenEvent> {
    story
        .records
        .iter()
        .filter_map(|record| match &record.entry {
            // An event about the pod as a whole (FailedToRetrieveImagePullSecret) is among
            // every container's events, as `kubectl describe pod` lists it with theirs.
            Entry::Event {
                pod: name,
                container: name_of,
                event_type,
                reason,
                message,
                ..
            } if name == pod
                && name_of
                    .as_deref()
                    .is_none_or(|name_of| container.is_none_or(|c| c == name_of)) =>
            {
                Some(SeenEvent {
                    at: record.at_ns,
                    event_type: event_type.clone(),
                    reason: reason.clone(),
                    message: message.clone(),
                })
            }
            _ => None,
        })
        .collect()
}

fn event_matches(expected: &ExpectedEvent, seen: &SeenEvent) -> bool {
    expected.reason == seen.reason
        && expected
            .event_type
            .is_none_or(|t| t.as_str() == seen.event_type)
        && expected.message.as_ref().is_none_or(|m| *m == seen.message)
        && expected
            .contains
            .as_ref()
            .is_none_or(|c| seen.message.contains(c.as_str()))
        && expected.at.is_none_or(|at| same_millisecond(at, seen.at))
}

/// An event's `at` is written as the transcript prints times, to the millisecond, so it
/// matches an event anywhere within that millisecond (a pull that ends 10.020003929 s
/// into the run is the `00:00:10.020` a person reads and writes as `at: 10020ms`).
fn same_millisecond(written: SimTime, seen: SimTime) -> bool {
    written.since_epoch().as_millis() == seen.since_epoch().as_millis()
}

fn expected_event_text(event: &ExpectedEvent) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(event_type) = event.event_type {
        parts.push(event_type.as_str().to_owned());
    }
    parts.push(event.reason.to_owned());
    if let Some(at) = event.at {
        parts.push(clock(at));
    }
    if let Some(message) = &event.message {
        parts.push(format!("{message:?}"));
    }
    if let Some(contains) = &event.contains {
        parts.push(format!("containing {contains:?}"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pullsim_model::pull::EventReason;

    use super::*;

    #[test]
    fn the_image_managers_reasons_are_the_models() {
        let model = [
            EventReason::Pulling,
            EventReason::Pulled,
            EventReason::Failed,
            EventReason::InspectFailed,
            EventReason::ErrImageNeverPull,
            EventReason::BackOff,
        ]
        .map(EventReason::as_str);
        assert_eq!(EVENT_REASONS[..6], model);
    }

    #[test]
    fn an_event_time_matches_the_millisecond_the_transcript_prints() {
        let check = |written_ms: u64, seen_ns: u64, expected: bool| {
            let seen = SimTime::from_duration(Duration::from_nanos(seen_ns));
            assert_eq!(
                same_millisecond(SimTime::from_millis(written_ms), seen),
                expected,
                "at {written_ms}ms against an event at {seen_ns}ns"
            );
        };
        check(10_020, 10_020_000_000, true);
        check(10_020, 10_020_003_929, true);
        check(10_020, 10_020_999_999, true);
        check(10_020, 10_021_000_000, false);
        check(10_020, 10_019_999_999, false);
        check(0, 0, true);
    }
}
