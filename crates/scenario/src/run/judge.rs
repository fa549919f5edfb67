//! Expectations judged against the story of a run: each gives a [`Verdict`] that keeps
//! where it is written, what it expected and what happened, concretely (the list of
//! events, the credentials, the count), so a failure explains itself.
//!
//! What each kind reads (docs/scenario-format.md, "Running a scenario"):
//! - `state`: the pod of that name that exists at `at` (the latest created by then). A
//!   container's state is its last status by then (`Pending` before the kubelet wrote
//!   one); a pod is `Running` once every regular container runs, otherwise it shows its
//!   first waiting container, init containers first, as `kubectl get pods` does.
//! - `events`, `waitingReasons`: every pod of that name in creation order, the named
//!   container's records only; waiting reasons keep each change once.
//! - `timeToRunning`: every pod of the name (or of the workload), replacements included; a
//!   pod deleted before it ran is skipped, one still waiting at the end fails.
//! - `credentialsTried`: the credential attempts of the first pull that made any.
//! - `distinctDigests`: the most digests one container of the workload ran at the same
//!   moment (the simulator's drift metric); `mixedFor`, how long more than one ran.
//! - `requests`, `peakRequestsPerSecond`: the registry's exchanges in the trace, the
//!   digest-pinning webhook's included; a second is a whole second of virtual time.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::Metrics;
use serde::Serialize;

use crate::expect::{
    Check, CredentialRef, ExpectedEvent, Order, RequestFilter, State, request_kind_name,
};
use crate::fields::Bounds;
use crate::run::format::{clock, duration, size};
use crate::run::pods::{Seen, instance_at, seen};
use crate::run::story::{Credential, Entry, State as Shown, Story, request_repository};
use crate::scenario::Scenario;
use crate::{Expectation, Position};

/// The judgement of one expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Where the expectation is written.
    pub line: u32,
    /// Its column.
    pub column: u32,
    /// What it is about: `pod web-0`, `workload web`, `registry registry.example.com`.
    pub subject: String,
    /// What it expected, in words.
    pub expected: String,
    /// What happened, concretely.
    pub actual: String,
    /// Whether it holds.
    pub passed: bool,
}

/// What judging needs besides the expectation.
pub(crate) struct Evidence<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) story: &'a Story,
    pub(crate) metrics: &'a Metrics,
    /// When the run ended.
    pub(crate) end: SimTime,
}

/// Judges one expectation.
pub(crate) fn judge(expectation: &Expectation, evidence: &Evidence<'_>) -> Verdict {
    let Position { line, column } = expectation.position;
    let (subject, expected, actual, passed) = match &expectation.check {
        Check::State {
            pod,
            container,
            at,
            state,
            reason,
            message,
        } => {
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
            (
                subject_of_pod(pod, container.as_deref()),
                expected,
                seen.describe(),
                passed,
            )
        }
        Check::Events {
            pod,
            container,
            order,
            events,
        } => {
            let actual = events_of(evidence.story, pod, container.as_deref());
            let passed = matches_in_order(events, &actual, *order, |expected, seen| {
                event_matches(expected, seen)
            });
            let expected = format!(
                "events {}[{}]",
                order_word(*order),
                events
                    .iter()
                    .map(expected_event)
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
            (
                subject_of_pod(pod, container.as_deref()),
                expected,
                actual,
                passed,
            )
        }
        Check::WaitingReasons {
            pod,
            container,
            order,
            reasons,
        } => {
            let actual = waiting_reasons(evidence.story, pod, container.as_deref());
            let passed = matches_in_order(reasons, &actual, *order, |a, b| a == b);
            (
                subject_of_pod(pod, container.as_deref()),
                format!(
                    "waiting reasons {}[{}]",
                    order_word(*order),
                    reasons.join(", ")
                ),
                format!("[{}]", actual.join(", ")),
                passed,
            )
        }
        Check::TimeToRunning { subject, within } => time_to_running(evidence, subject, *within),
        Check::CredentialsTried {
            pod,
            container,
            credentials,
        } => {
            let actual = credentials_tried(evidence.story, pod, container.as_deref());
            let passed = actual.len() == credentials.len()
                && credentials
                    .iter()
                    .zip(&actual)
                    .all(|(expected, (credential, user))| {
                        credential_matches(expected, credential, user)
                    });
            (
                subject_of_pod(pod, container.as_deref()),
                format!(
                    "credentials tried [{}]",
                    credentials
                        .iter()
                        .map(expected_credential)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "[{}]",
                    actual
                        .iter()
                        .map(|(credential, user)| match credential {
                            Credential::Anonymous => credential.label(),
                            _ => format!("{} as {user}", credential.label()),
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                passed,
            )
        }
        Check::DistinctDigests {
            workload,
            count,
            mixed_for,
        } => {
            let (distinct, mixed) = drift(evidence, workload);
            let mut expected = format!(
                "distinct digests {}",
                bounds_text(count, |n: u64| n.to_string())
            );
            if let Some(mixed_for) = mixed_for {
                let _ = write!(expected, ", mixed for {}", bounds_text(mixed_for, duration));
            }
            let passed =
                count.contains(distinct) && mixed_for.is_none_or(|bounds| bounds.contains(mixed));
            (
                format!("workload {workload}"),
                expected,
                format!("{distinct}, mixed for {}", duration(mixed)),
                passed,
            )
        }
        Check::Requests {
            registry,
            filter,
            count,
            bytes,
        } => {
            let (requests, body_bytes) = requests(evidence.story, registry, filter);
            let mut expected = format!("requests {}", filter_text(filter));
            let mut passed = true;
            if let Some(count) = count {
                let _ = write!(
                    expected,
                    " count {}",
                    bounds_text(count, |n: u64| n.to_string())
                );
                passed &= count.contains(requests);
            }
            if let Some(bytes) = bytes {
                let _ = write!(
                    expected,
                    " bytes {}",
                    bounds_text(bytes, |b| size(b.bytes()))
                );
                passed &= bytes.contains(pullsim_model::ByteSize(body_bytes));
            }
            (
                format!("registry {registry}"),
                expected,
                format!("{requests} requests, {}", size(body_bytes)),
                passed,
            )
        }
        Check::PeakRequestsPerSecond {
            registry,
            value,
            from,
            until,
        } => {
            let peak = peak_per_second(evidence.story, registry, *from, *until);
            let actual = match peak {
                Some((second, count)) => format!("{count} at {}", clock(second)),
                None => "no requests".to_owned(),
            };
            let mut window = String::new();
            if let Some(from) = from {
                let _ = write!(window, " from {}", clock(*from));
            }
            if let Some(until) = until {
                let _ = write!(window, " until {}", clock(*until));
            }
            (
                format!("registry {registry}"),
                format!(
                    "peak requests per second {}{window}",
                    bounds_text(value, |n: u64| n.to_string())
                ),
                actual,
                value.contains(peak.map_or(0, |(_, count)| count)),
            )
        }
    };
    Verdict {
        line,
        column,
        subject,
        expected,
        actual,
        passed,
    }
}

fn subject_of_pod(pod: &str, container: Option<&str>) -> String {
    match container {
        Some(container) => format!("pod {pod} container {container}"),
        None => format!("pod {pod}"),
    }
}

fn order_word(order: Order) -> &'static str {
    match order {
        Order::Exact => "",
        Order::Prefix => "starting with ",
        Order::Subsequence => "including in order ",
    }
}

fn bounds_text<T: Copy>(bounds: &Bounds<T>, show: impl Fn(T) -> String) -> String {
    match (bounds.min, bounds.max) {
        (Some(min), Some(max)) => {
            let (min, max) = (show(min), show(max));
            if min == max {
                min
            } else {
                format!("{min}..{max}")
            }
        }
        (Some(min), None) => format!(">= {}", show(min)),
        (None, Some(max)) => format!("<= {}", show(max)),
        (None, None) => "any".to_owned(),
    }
}

/// Whether `actual` holds `expected` as `order` says.
fn matches_in_order<E, A>(
    expected: &[E],
    actual: &[A],
    order: Order,
    matches: impl Fn(&E, &A) -> bool,
) -> bool {
    match order {
        Order::Exact => {
            expected.len() == actual.len()
                && expected.iter().zip(actual).all(|(e, a)| matches(e, a))
        }
        Order::Prefix => {
            expected.len() <= actual.len()
                && expected.iter().zip(actual).all(|(e, a)| matches(e, a))
        }
        Order::Subsequence => {
            let mut remaining = actual.iter();
            expected
                .iter()
                .all(|e| remaining.by_ref().any(|a| matches(e, a)))
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

fn expected_event(event: &ExpectedEvent) -> String {
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

/// The pods an expectation about `subject` covers: a replicated workload's pods, or the
/// pods of that name.
fn pod_names(scenario: &Scenario, subject: &str) -> Vec<String> {
    scenario
        .workloads
        .iter()
        .find(|w| w.name() == subject && w.is_replicated())
        .map_or_else(
            || vec![subject.to_owned()],
            crate::workloads::Workload::pod_names,
        )
}

fn time_to_running(
    evidence: &Evidence<'_>,
    subject: &str,
    within: Bounds<Duration>,
) -> (String, String, String, bool) {
    let names = pod_names(evidence.scenario, subject);
    let is_workload = evidence
        .scenario
        .workloads
        .iter()
        .any(|w| w.name() == subject && w.is_replicated());
    let mut times: Vec<(String, Duration)> = Vec::new();
    let mut never: Vec<String> = Vec::new();
    for (index, info) in evidence.story.pods.iter().enumerate() {
        if !names.contains(&info.pod) {
            continue;
        }
        let Some(figures) = evidence.metrics.pods.get(index) else {
            continue;
        };
        match figures.time_to_running {
            Some(time) => times.push((info.pod.clone(), time)),
            None if figures.deleted => {}
            None => never.push(info.pod.clone()),
        }
    }
    let outside: Vec<&(String, Duration)> =
        times.iter().filter(|(_, t)| !within.contains(*t)).collect();
    let passed = never.is_empty() && outside.is_empty() && !(times.is_empty());
    let mut actual = match (
        times.iter().map(|(_, t)| *t).min(),
        times.iter().map(|(_, t)| *t).max(),
    ) {
        (Some(min), Some(max)) if times.len() == 1 || min == max => duration(min),
        (Some(min), Some(max)) => format!(
            "{}..{} over {} pods",
            duration(min),
            duration(max),
            times.len()
        ),
        _ => "never Running".to_owned(),
    };
    if !outside.is_empty() {
        let listed: Vec<String> = outside
            .iter()
            .take(5)
            .map(|(pod, t)| format!("{pod} {}", duration(*t)))
            .collect();
        let _ = write!(actual, "; outside: {}", listed.join(", "));
        if outside.len() > 5 {
            let _ = write!(actual, " and {} more", outside.len() - 5);
        }
    }
    if !never.is_empty() && !times.is_empty() {
        let listed = crate::run::format::name_ranges(never.iter().map(String::as_str));
        let _ = write!(actual, "; never Running: {listed}");
    }
    (
        format!("{} {subject}", if is_workload { "workload" } else { "pod" }),
        format!("time to Running {}", bounds_text(&within, duration)),
        actual,
        passed,
    )
}

fn credentials_tried(
    story: &Story,
    pod: &str,
    container: Option<&str>,
) -> Vec<(Credential, String)> {
    let mut pull: Vec<(Credential, String)> = Vec::new();
    for record in &story.records {
        match &record.entry {
            Entry::CredentialAttempt {
                pod: name,
                container: name_of,
                credential,
                username,
                ..
            } if name == pod && container.is_none_or(|c| c == name_of) => {
                pull.push((credential.clone(), username.clone()));
            }
            // A pull of the pod ended: the first that tried anything is the answer.
            Entry::PullFinished { pod: name, .. } if name == pod && !pull.is_empty() => {
                return pull;
            }
            _ => {}
        }
    }
    pull
}

fn credential_matches(expected: &CredentialRef, credential: &Credential, user: &str) -> bool {
    match (expected, credential) {
        (CredentialRef::Secret { name, user: want }, Credential::Secret { name: seen, .. }) => {
            name == seen && want.as_ref().is_none_or(|w| w == user)
        }
        (CredentialRef::NodeConfig { user: want }, Credential::Node { .. }) => {
            want.as_ref().is_none_or(|w| w == user)
        }
        (CredentialRef::Anonymous, Credential::Anonymous) => true,
        _ => false,
    }
}

fn expected_credential(credential: &CredentialRef) -> String {
    match credential {
        CredentialRef::Secret { name, user: None } => format!("secret/{name}"),
        CredentialRef::Secret {
            name,
            user: Some(user),
        } => format!("secret/{name} as {user}"),
        CredentialRef::NodeConfig { user: None } => "node".to_owned(),
        CredentialRef::NodeConfig { user: Some(user) } => format!("node as {user}"),
        CredentialRef::Anonymous => "anonymous".to_owned(),
    }
}

/// The most digests one container of the workload ran at once, and how long more than one
/// did. A workload of one pod runs one pod at a time, so at most one digest at once.
fn drift(evidence: &Evidence<'_>, workload: &str) -> (u64, Duration) {
    if let Some(figures) = evidence
        .metrics
        .workloads
        .iter()
        .find(|w| w.workload == workload)
    {
        return (
            u64::from(figures.max_distinct_digests),
            figures.mixed_duration,
        );
    }
    let ran =
        evidence.story.records.iter().any(
            |record| matches!(&record.entry, Entry::PodRunning { pod, .. } if pod == workload),
        );
    (u64::from(ran), Duration::ZERO)
}

fn filter_text(filter: &RequestFilter) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(method) = &filter.method {
        parts.push(method.clone());
    }
    if let Some(kind) = filter.kind {
        parts.push(request_kind_name(kind).to_owned());
    }
    if let Some(status) = filter.status {
        parts.push(format!("status {status}"));
    }
    if let Some(repository) = &filter.repository {
        parts.push(format!("repository {repository}"));
    }
    match filter.node.as_deref() {
        Some(pullsim_sim::ADMISSION_CLIENT) => parts.push("from the admission webhook".to_owned()),
        Some(node) => parts.push(format!("from node {node}")),
        None => {}
    }
    if let Some(from) = filter.from {
        parts.push(format!("since {}", clock(from)));
    }
    if let Some(until) = filter.until {
        parts.push(format!("before {}", clock(until)));
    }
    if parts.is_empty() {
        "(all)".to_owned()
    } else {
        format!("({})", parts.join(", "))
    }
}

fn requests(story: &Story, registry: &str, filter: &RequestFilter) -> (u64, u64) {
    let mut count = 0;
    let mut bytes = 0;
    for record in &story.records {
        let Entry::Request {
            host,
            client,
            method,
            target,
            request_kind,
            status,
            bytes: body,
        } = &record.entry
        else {
            continue;
        };
        let matches = host == registry
            && filter.method.as_ref().is_none_or(|m| m == method)
            && filter
                .kind
                .is_none_or(|k| request_kind_name(k) == request_kind)
            && filter.status.is_none_or(|s| s == *status)
            && filter
                .repository
                .as_ref()
                .is_none_or(|r| request_repository(target).as_ref() == Some(r))
            && filter.node.as_ref().is_none_or(|n| n == client)
            && filter.from.is_none_or(|from| record.at_ns >= from)
            && filter.until.is_none_or(|until| record.at_ns < until);
        if matches {
            count += 1;
            bytes += body;
        }
    }
    (count, bytes)
}

/// The busiest whole second of one registry's traffic among the seconds that start in
/// `[from, until)`: when it starts and how many requests it had (the earliest, on a tie).
pub(crate) fn peak_per_second(
    story: &Story,
    registry: &str,
    from: Option<SimTime>,
    until: Option<SimTime>,
) -> Option<(SimTime, u64)> {
    let mut per_second: BTreeMap<u64, u64> = BTreeMap::new();
    let starts_in = |second: u64| {
        let start = SimTime::from_secs(second);
        from.is_none_or(|from| start >= from) && until.is_none_or(|until| start < until)
    };
    for record in &story.records {
        if let Entry::Request { host, .. } = &record.entry
            && host == registry
            && starts_in(record.at_ns.since_epoch().as_secs())
        {
            *per_second
                .entry(record.at_ns.since_epoch().as_secs())
                .or_insert(0) += 1;
        }
    }
    per_second
        .into_iter()
        .fold(
            None,
            |best: Option<(u64, u64)>, (second, count)| match best {
                Some((_, top)) if top >= count => best,
                _ => Some((second, count)),
            },
        )
        .map(|(second, count)| (SimTime::from_secs(second), count))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pullsim_model::SimTime;

    use super::same_millisecond;

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
