//! `expect:`: assertions on the run's trace and metrics, each about one pod, workload or
//! registry, each written so that it fails when the behaviour it pins is wrong.
//!
//! ```yaml
//! expect:
//!   - {pod: web-0, at: 5m, state: Waiting, reason: ImagePullBackOff}
//!   - pod: web-0
//!     container: app                       # default: the pod's only container
//!     events: [Pulling, Failed, Failed, BackOff, {reason: Pulling, at: 10s}]
//!     order: prefix                        # exact (default), prefix or subsequence
//!   - {pod: web-0, waitingReasons: [ErrImagePull, ImagePullBackOff, ErrImagePull]}
//!   - {workload: web, timeToRunning: {max: 1m}}
//!   - {pod: app, credentialsTried: [secret/wrong, secret/right, node as alice]}
//!   - {workload: web, distinctDigests: 2, mixedFor: {min: 1m}}
//!   - {registry: registry.example.com, requests: {method: HEAD, kind: manifest}, count: 1, bytes: 0B}
//!   - {registry: registry.example.com, peakRequestsPerSecond: {min: 150}}
//!   - {registry: registry.example.com, peakRequestsPerSecond: {max: 20}, from: 5m, until: 10m}
//! ```
//!
//! Values that name something of Kubernetes (states, waiting reasons, event reasons) are
//! checked against pullsim-model's lists here, so a misspelling fails the file, not the run.

use std::time::Duration;

use pullsim_model::pull::EventType;
use pullsim_model::{ByteSize, SimTime};

use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Bounds, Fields, bounds, duration, list, number, size, text, time};
use crate::references::Known;
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// What a registry request asks for: the simulator's own kind, which its trace records.
pub use pullsim_sim::RequestKind;

/// One assertion and where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// What must hold.
    pub check: Check,
    /// Where it is written, for the report of a failure.
    pub position: Position,
}

/// What an expectation asserts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// A container's (or, without `container`, the pod's) state at a time.
    State {
        /// The pod.
        pod: String,
        /// The container; `None` for the pod as a whole (Running when every container is).
        container: Option<String>,
        /// When; `None` for the end of the run.
        at: Option<SimTime>,
        /// The state.
        state: State,
        /// The waiting reason (`ErrImagePull`, `ImagePullBackOff`, ...), when given.
        reason: Option<String>,
        /// Text the waiting message must contain, when given.
        message: Option<String>,
    },
    /// The events recorded against a container, in order.
    Events {
        /// The pod.
        pod: String,
        /// The container; `None` when the pod has one.
        container: Option<String>,
        /// How the list must match the trace.
        order: Order,
        /// The events.
        events: Vec<ExpectedEvent>,
    },
    /// The waiting reasons a container went through, in order, each change once.
    WaitingReasons {
        /// The pod.
        pod: String,
        /// The container; `None` when the pod has one.
        container: Option<String>,
        /// How the list must match the trace.
        order: Order,
        /// The reasons.
        reasons: Vec<String>,
    },
    /// Time from creation to Running, for a pod or for every pod of a workload.
    TimeToRunning {
        /// A pod's or a workload's name.
        subject: String,
        /// The allowed range.
        within: Bounds<Duration>,
    },
    /// The credentials the kubelet tried for a container's image, in order (one pull, the
    /// first that contacted the registry).
    CredentialsTried {
        /// The pod.
        pod: String,
        /// The container; `None` when the pod has one.
        container: Option<String>,
        /// The credentials.
        credentials: Vec<CredentialRef>,
    },
    /// How many distinct image digests a workload's pods ran over the run, and for how long
    /// more than one ran at once.
    DistinctDigests {
        /// The workload.
        workload: String,
        /// How many digests.
        count: Bounds<u64>,
        /// How long the workload ran mixed versions, when asserted.
        mixed_for: Option<Bounds<Duration>>,
    },
    /// Requests a registry answered, filtered.
    Requests {
        /// The registry's host.
        registry: String,
        /// Which requests count.
        filter: RequestFilter,
        /// How many, when asserted.
        count: Option<Bounds<u64>>,
        /// How many body bytes they carried, when asserted.
        bytes: Option<Bounds<ByteSize>>,
    },
    /// The most requests the registry answered in one second of virtual time, among the
    /// whole seconds that start within `[from, until)`.
    PeakRequestsPerSecond {
        /// The registry's host.
        registry: String,
        /// The allowed range.
        value: Bounds<u64>,
        /// The window's start, when asserted (seconds starting at or after it count).
        from: Option<SimTime>,
        /// The window's end, when asserted (seconds starting before it count).
        until: Option<SimTime>,
    },
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

/// How an expected list matches what happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// The lists are equal.
    #[default]
    Exact,
    /// What happened starts with the list.
    Prefix,
    /// The list appears in what happened in order, with anything in between.
    Subsequence,
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

/// A credential, as the keyring hands it to the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialRef {
    /// From a pull Secret of the pod, by name (`secret/regcred`, optionally `as <user>`).
    Secret {
        /// The Secret's name.
        name: String,
        /// The user name, when asserted.
        user: Option<String>,
    },
    /// From the node's docker config file (`node`, optionally `as <user>`).
    NodeConfig {
        /// The user name, when asserted.
        user: Option<String>,
    },
    /// No credential at all (`anonymous`).
    Anonymous,
}

/// Which registry requests an expectation counts; every field that is set must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestFilter {
    /// The method (`GET`, `HEAD`).
    pub method: Option<String>,
    /// What was asked for.
    pub kind: Option<RequestKind>,
    /// The status answered.
    pub status: Option<u16>,
    /// The repository asked about.
    pub repository: Option<String>,
    /// The node that asked, or `admission` for the digest-pinning webhook.
    pub node: Option<String>,
    /// From this time (inclusive).
    pub from: Option<SimTime>,
    /// Until this time (exclusive).
    pub until: Option<SimTime>,
}

const CHECKS: [&str; 8] = [
    "state",
    "events",
    "waitingReasons",
    "timeToRunning",
    "credentialsTried",
    "distinctDigests",
    "requests",
    "peakRequestsPerSecond",
];

/// Waiting reasons a container can show: the image manager's (pullsim-model's
/// `WaitingReason`) and the kubelet's two generic ones.
pub const WAITING_REASONS: [&str; 9] = [
    "ContainerCreating",
    "PodInitializing",
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "SignatureValidationFailed",
];

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

/// Reads `expect:`.
pub(crate) fn read_expectations(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Vec<Expectation> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| read_expectation(item, known, diagnostics))
        .collect()
}

fn read_expectation(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<Expectation> {
    let mut fields = Fields::of(node, "an expectation", diagnostics)?;
    let position = fields.position();
    let pod_node = fields.get("pod");
    let pod = pod_node.and_then(|n| text(n, diagnostics));
    let workload_node = fields.get("workload");
    let workload = workload_node.and_then(|n| text(n, diagnostics));
    let registry = fields.get("registry").and_then(|n| {
        let host = text(n, diagnostics)?;
        known
            .registry(&host, n.position, diagnostics)
            .then_some(host)
    });
    let container_node = fields.get("container");
    let container = container_node.and_then(|n| text(n, diagnostics));
    // The pod must exist, and so must the container when one is named; events, reasons and
    // credentials are about one container, so a pod of several needs it named.
    let pod_namespace = match (&pod, pod_node) {
        (Some(name), Some(at)) => known
            .pod(name, at.position, diagnostics)
            .map(|(namespace, _)| namespace.clone()),
        _ => None,
    };
    let check_container = |needs_one: bool, diagnostics: &mut Diagnostics| {
        if let (Some(name), Some(at)) = (&pod, pod_node)
            && (needs_one || container.is_some())
        {
            let at = container_node.map_or(at.position, |node| node.position);
            known.container(name, container.as_deref(), at, diagnostics);
        }
    };
    if let (Some(name), Some(at)) = (&workload, workload_node) {
        if pod.is_some() {
            diagnostics.error(at.position, "name a pod or a workload, not both");
        } else if fields_has(node, "timeToRunning") {
            known.pod_or_workload(name, at.position, diagnostics);
        } else {
            known.workload(name, at.position, diagnostics);
        }
    }
    let written: Vec<(&'static str, &Node)> = CHECKS
        .iter()
        .filter_map(|&key| fields.get(key).map(|value| (key, value)))
        .collect();
    let [(check, value)] = written.as_slice() else {
        fields.finish(diagnostics);
        diagnostics.error(
            position,
            format!("an expectation needs exactly one of {}", CHECKS.join(", ")),
        );
        return None;
    };
    let need = |subject: Option<String>, name: &str, diagnostics: &mut Diagnostics| {
        if subject.is_none() {
            diagnostics.error(position, format!("{check} needs a {name}"));
        }
        subject
    };
    let check = match *check {
        "state" => {
            check_container(false, diagnostics);
            let at = fields
                .get("at")
                .and_then(|n| time_in_run(n, known, diagnostics));
            let reason = fields
                .get("reason")
                .and_then(|n| waiting_reason(n, diagnostics));
            let message = fields.get("message").and_then(|n| text(n, diagnostics));
            let state = state(value, diagnostics);
            Check::State {
                pod: need(pod, "pod", diagnostics)?,
                container,
                at,
                state: state?,
                reason,
                message,
            }
        }
        "events" | "waitingReasons" => {
            check_container(true, diagnostics);
            let order = fields
                .get("order")
                .map_or(Some(Order::Exact), |n| order(n, diagnostics));
            let pod = need(pod, "pod", diagnostics)?;
            if *check == "events" {
                let events: Vec<_> = list(value, diagnostics)
                    .iter()
                    .map(|item| expected_event(item, known, diagnostics))
                    .collect();
                Check::Events {
                    pod,
                    container,
                    order: order?,
                    events: events.into_iter().collect::<Option<_>>()?,
                }
            } else {
                let reasons: Vec<_> = list(value, diagnostics)
                    .iter()
                    .map(|item| waiting_reason(item, diagnostics))
                    .collect();
                Check::WaitingReasons {
                    pod,
                    container,
                    order: order?,
                    reasons: reasons.into_iter().collect::<Option<_>>()?,
                }
            }
        }
        "timeToRunning" => {
            let subject = pod.or(workload);
            let within = bounds(value, diagnostics, duration);
            Check::TimeToRunning {
                subject: need(subject, "pod or workload", diagnostics)?,
                within: within?,
            }
        }
        "credentialsTried" => {
            check_container(true, diagnostics);
            let credentials: Vec<_> = list(value, diagnostics)
                .iter()
                .map(|item| {
                    let credential = credential(item, diagnostics)?;
                    if let (CredentialRef::Secret { name, .. }, Some(namespace)) =
                        (&credential, &pod_namespace)
                    {
                        known.secret(namespace, name, item.position, diagnostics);
                    }
                    Some(credential)
                })
                .collect();
            Check::CredentialsTried {
                pod: need(pod, "pod", diagnostics)?,
                container,
                credentials: credentials.into_iter().collect::<Option<_>>()?,
            }
        }
        "distinctDigests" => {
            let mixed_for = fields
                .get("mixedFor")
                .map(|n| bounds(n, diagnostics, duration));
            let count = bounds(value, diagnostics, number::<u64>);
            Check::DistinctDigests {
                workload: need(workload, "workload", diagnostics)?,
                count: count?,
                mixed_for: mixed_for.map_or(Some(None), |bounds| bounds.map(Some))?,
            }
        }
        "requests" => {
            let count = fields
                .get("count")
                .map(|n| bounds(n, diagnostics, number::<u64>));
            let bytes = fields.get("bytes").map(|n| bounds(n, diagnostics, size));
            let filter = request_filter(value, known, diagnostics);
            if count.is_none() && bytes.is_none() {
                diagnostics.error(position, "requests needs count, bytes or both");
            }
            Check::Requests {
                registry: need(registry, "registry", diagnostics)?,
                filter: filter?,
                count: count.map_or(Some(None), |bounds| bounds.map(Some))?,
                bytes: bytes.map_or(Some(None), |bounds| bounds.map(Some))?,
            }
        }
        _ => {
            let value = bounds(value, diagnostics, number::<u64>);
            let from = fields
                .get("from")
                .map(|n| time_in_run(n, known, diagnostics));
            let until = fields
                .get("until")
                .map(|n| time_in_run(n, known, diagnostics));
            if let (Some(Some(from)), Some(Some(until))) = (from, until)
                && until <= from
            {
                diagnostics.error(position, "until must be later than from");
                return None;
            }
            Check::PeakRequestsPerSecond {
                registry: need(registry, "registry", diagnostics)?,
                value: value?,
                from: from.map_or(Some(None), |at| at.map(Some))?,
                until: until.map_or(Some(None), |at| at.map(Some))?,
            }
        }
    };
    fields.finish(diagnostics);
    Some(Expectation { check, position })
}

/// Whether the expectation's mapping has `key`.
fn fields_has(node: &Node, key: &str) -> bool {
    node.entries()
        .is_some_and(|entries| entries.iter().any(|entry| entry.key == key))
}

/// A time that must fall within the run.
fn time_in_run(node: &Node, known: &Known, diagnostics: &mut Diagnostics) -> Option<SimTime> {
    let at = time(node, diagnostics)?;
    known.within_run(at, node.position, diagnostics);
    Some(at)
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

fn waiting_reason(node: &Node, diagnostics: &mut Diagnostics) -> Option<String> {
    let written = text(node, diagnostics)?;
    if WAITING_REASONS.contains(&written.as_str()) {
        return Some(written);
    }
    diagnostics.error(
        node.position,
        unknown_value_message("waiting reason", &written, &WAITING_REASONS),
    );
    None
}

fn order(node: &Node, diagnostics: &mut Diagnostics) -> Option<Order> {
    match text(node, diagnostics)?.as_str() {
        "exact" => Some(Order::Exact),
        "prefix" => Some(Order::Prefix),
        "subsequence" => Some(Order::Subsequence),
        other => {
            diagnostics.error(
                node.position,
                unknown_value_message("order", other, &["exact", "prefix", "subsequence"]),
            );
            None
        }
    }
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

/// `secret/<name>`, `node` or `anonymous`, the first two optionally followed by `as <user>`.
fn credential(node: &Node, diagnostics: &mut Diagnostics) -> Option<CredentialRef> {
    let written = text(node, diagnostics)?;
    let (source, user) = match written.split_once(" as ") {
        Some((source, user)) => (source.trim(), Some(user.trim().to_owned())),
        None => (written.trim(), None),
    };
    match (source, source.strip_prefix("secret/")) {
        (_, Some(name)) if !name.is_empty() => Some(CredentialRef::Secret {
            name: name.to_owned(),
            user,
        }),
        ("node", _) => Some(CredentialRef::NodeConfig { user }),
        ("anonymous", _) if user.is_none() => Some(CredentialRef::Anonymous),
        _ => {
            diagnostics.error(
                node.position,
                format!(
                    "unknown credential {} (expected secret/<name>, node or anonymous; the first two may end with \"as <user>\")",
                    pullsim_model::go_text::quote(&written)
                ),
            );
            None
        }
    }
}

/// The request kinds a filter may name, each with the simulator's [`RequestKind`] it
/// selects. `ping` is the API check `/v2/`, which the simulator's kind calls
/// [`RequestKind::Other`] and the story names `ping` (`run/story.rs`); the simulator sends
/// nothing else of that kind.
pub(crate) const REQUEST_KINDS: [(&str, RequestKind); 4] = [
    ("ping", RequestKind::Other),
    ("manifest", RequestKind::Manifest),
    ("blob", RequestKind::Blob),
    ("token", RequestKind::Token),
];

/// The name a filter writes for `kind` (every kind the simulator has is in
/// [`REQUEST_KINDS`]).
pub(crate) fn request_kind_name(kind: RequestKind) -> &'static str {
    REQUEST_KINDS
        .iter()
        .find(|(_, known)| *known == kind)
        .map_or(kind.as_str(), |&(name, _)| name)
}

/// The methods a registry is sent (case does not matter in a filter).
const REQUEST_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

fn request_filter(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<RequestFilter> {
    let mut fields = Fields::of(node, "a request filter", diagnostics)?;
    let errors_before = diagnostics.count();
    let method = fields.get("method").and_then(|n| {
        let written = text(n, diagnostics)?;
        let upper = written.to_uppercase();
        let valid = REQUEST_METHODS.contains(&upper.as_str());
        if !valid {
            diagnostics.error(
                n.position,
                unknown_value_message("request method", &written, &REQUEST_METHODS),
            );
        }
        valid.then_some(upper)
    });
    let kind = fields.get("kind").and_then(|n| {
        let written = text(n, diagnostics)?;
        let found = REQUEST_KINDS
            .iter()
            .find(|(name, _)| *name == written)
            .map(|&(_, kind)| kind);
        if found.is_none() {
            diagnostics.error(
                n.position,
                unknown_value_message(
                    "request kind",
                    &written,
                    &REQUEST_KINDS.map(|(name, _)| name),
                ),
            );
        }
        found
    });
    let status = fields
        .get("status")
        .and_then(|n| number::<u16>(n, diagnostics));
    let repository = fields.get("repository").and_then(|n| text(n, diagnostics));
    // `admission` is the digest-pinning webhook, which asks the registry too; node names
    // always end in `-<number>`, so it cannot be a node's.
    let from_node = fields.get("node").and_then(|n| {
        let name = text(n, diagnostics)?;
        (name == pullsim_sim::ADMISSION_CLIENT || known.node(&name, n.position, diagnostics))
            .then_some(name)
    });
    let from = fields
        .get("from")
        .and_then(|n| time_in_run(n, known, diagnostics));
    let until = fields
        .get("until")
        .and_then(|n| time_in_run(n, known, diagnostics));
    fields.finish(diagnostics);
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        diagnostics.error(node.position, "until must be later than from");
    }
    (diagnostics.count() == errors_before).then_some(RequestFilter {
        method,
        kind,
        status,
        repository,
        node: from_node,
        from,
        until,
    })
}

#[cfg(test)]
mod tests {
    use pullsim_model::pull::EventReason;

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
        assert_eq!(super::EVENT_REASONS[..6], model);
    }

    #[test]
    fn every_request_kind_of_the_simulator_has_the_name_a_filter_reads() {
        use super::{REQUEST_KINDS, RequestKind, request_kind_name};
        let kinds = [
            (RequestKind::Other, "ping"),
            (RequestKind::Manifest, "manifest"),
            (RequestKind::Blob, "blob"),
            (RequestKind::Token, "token"),
        ];
        for (kind, name) in kinds {
            assert_eq!(request_kind_name(kind), name);
            assert!(REQUEST_KINDS.contains(&(name, kind)));
        }
        assert_eq!(REQUEST_KINDS.len(), kinds.len());
    }
}
