//! `waitingReasons`: the waiting reasons a container went through, in order, each change
//! once, over every pod of that name in creation order. The list of waiting reasons an
//! expectation may name is here too (`state`'s `reason` uses it).

use super::order::{Order, matches_in_order, order_word, read_order};
use super::wording::subject_of_pod;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{list, text};
use crate::references::Known;
use crate::run::judge::{Entry, Evidence, Judged, Shown, Story};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

pub use pullsim_sim::WAITING_REASONS;

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "waitingReasons",
    docs: r"| `waitingReasons: [...]` | `pod` | `container`, `order` | the waiting reasons it went through, each change once |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// The waiting reasons a container went through, in order, each change once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingReasons {
    /// The pod.
    pub pod: String,
    /// The container; `None` when the pod has one.
    pub container: Option<String>,
    /// How the list must match the trace.
    pub order: Order,
    /// The reasons.
    pub reasons: Vec<String>,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    reading.check_container(true, known, diagnostics);
    let order = read_order(&mut reading.fields, diagnostics);
    let pod = reading.pod.take();
    let pod = reading.need(pod, "pod", diagnostics)?;
    let reasons: Vec<_> = list(reading.value, diagnostics)
        .iter()
        .map(|item| waiting_reason(item, diagnostics))
        .collect();
    Some(Check::WaitingReasons(WaitingReasons {
        pod,
        container: reading.container.take(),
        order: order?,
        reasons: reasons.into_iter().collect::<Option<_>>()?,
    }))
}

/// One of [`WAITING_REASONS`], or an error naming them.
pub(super) fn waiting_reason(node: &Node, diagnostics: &mut Diagnostics) -> Option<String> {
    let written = text(node, diagnostics)?;
    if WAITING_REASONS.contains(&written.as_str()) {
        return Some(written);
    }
    diagnostics.error(
        node.position,
        unknown_value_message("waiting reason", &written, WAITING_REASONS),
    );
    None
}

impl WaitingReasons {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let WaitingReasons {
            pod,
            container,
            order,
            reasons,
        } = self;
        let actual = waiting_reasons(evidence.story, pod, container.as_deref());
        let passed = matches_in_order(reasons, &actual, *order, |a, b| a == b);
        Judged {
            subject: subject_of_pod(pod, container.as_deref()),
            expected: format!(
                "waiting reasons {}[{}]",
                order_word(*order),
                reasons.join(", ")
            ),
            actual: format!("[{}]", actual.join(", ")),
            passed,
        }
    }
}

fn waiting_reasons(story: &Story, pod: &str, container: Option<&str>) -> Vec<String> {
    let mut reasons: Vec<String> = Vec::new();
    for record in &story.records {
        if let Entry::Status {
            pod: name,
            container: name_of,
            state: Shown::Waiting { reason, .. },
            ..
        } = &record.entry
            && name == pod
            && container.is_none_or(|c| c == name_of)
            && reasons.last() != Some(reason)
        {
            reasons.push(reason.clone());
        }
    }
    reasons
}
