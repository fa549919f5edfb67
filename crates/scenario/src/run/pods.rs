//! Pods as `kubectl get pods` would show them at a moment of the run: a container's
//! state is its last status written by then; a pod is Running once every regular
//! container runs, otherwise it shows its first waiting container (init containers
//! first), and it is Pending before it has a node or a status. The final table of the
//! transcript and the `state` expectations both read pods this way.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_sim::Metrics;
use serde::Serialize;

use crate::expect::State as Expected;
use crate::run::story::{Entry, Instance, PodInfo, Record, State, Story};

/// A pod's or container's state, as an expectation compares it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Seen {
    /// The state, when it is one an expectation can name.
    pub(crate) state: Option<Expected>,
    /// The waiting reason.
    pub(crate) reason: Option<String>,
    /// The waiting message.
    pub(crate) message: Option<String>,
    /// `Completed` for a finished init container, which no expectation names.
    pub(crate) other: Option<&'static str>,
}

impl Seen {
    fn of(state: Expected) -> Seen {
        Seen {
            state: Some(state),
            ..Seen::default()
        }
    }

    fn shown(state: &State) -> Seen {
        match state {
            State::Waiting { reason, message } => Seen {
                state: Some(Expected::Waiting),
                reason: Some(reason.clone()),
                message: Some(message.clone()),
                other: None,
            },
            State::Running { .. } => Seen::of(Expected::Running),
            State::Completed => Seen {
                other: Some("Completed"),
                ..Seen::default()
            },
        }
    }

    /// The state's word (`Running`, `Waiting`, `Completed`, ...).
    pub(crate) fn word(&self) -> String {
        match (self.state, self.other) {
            (Some(state), _) => format!("{state:?}"),
            (None, Some(other)) => other.to_owned(),
            (None, None) => "Pending".to_owned(),
        }
    }

    /// The state with its reason and message, for a verdict.
    pub(crate) fn describe(&self) -> String {
        let mut text = self.word();
        if let Some(reason) = &self.reason {
            text.push(' ');
            text.push_str(reason);
        }
        if let Some(message) = self.message.as_ref().filter(|m| !m.is_empty()) {
            text.push_str(": ");
            text.push_str(message);
        }
        text
    }
}

/// The pod named `name` that exists at `at`: the latest created by then.
pub(crate) fn instance_at(story: &Story, name: &str, at: SimTime) -> Option<Instance> {
    story
        .records
        .iter()
        .take_while(|record| record.at_ns <= at)
        .filter_map(|record| match &record.entry {
            Entry::PodCreated { pod, instance, .. } if pod == name => Some(*instance),
            _ => None,
        })
        .last()
}

/// One pod instance's (or one of its containers') state at `at`.
pub(crate) fn seen(
    story: &Story,
    instance: Instance,
    container: Option<&str>,
    at: SimTime,
) -> Seen {
    let Some(info) = story.pod(instance) else {
        return Seen::of(Expected::Pending);
    };
    let own = story
        .records
        .iter()
        .filter(|record| instance_of(&record.entry) == Some(instance));
    seen_in(info, own, container, at)
}

/// The pod instance a record changes the state of: its deletion, its Running, a
/// container's status. Other records do not change what `seen` shows.
fn instance_of(entry: &Entry) -> Option<Instance> {
    match entry {
        Entry::PodDeleted { instance, .. }
        | Entry::PodRunning { instance, .. }
        | Entry::PodSucceeded { instance, .. }
        | Entry::Status { instance, .. } => Some(*instance),
        _ => None,
    }
}

/// The records of each pod instance that `seen` reads, by instance number, in trace
/// order: one pass over the story, so the final table costs the records once, not once
/// per pod.
fn records_by_instance(story: &Story) -> Vec<Vec<&Record>> {
    let mut by_instance: Vec<Vec<&Record>> = vec![Vec::new(); story.pods.len()];
    for record in &story.records {
        if let Some(slot) =
            instance_of(&record.entry).and_then(|i| by_instance.get_mut(i.0 as usize))
        {
            slot.push(record);
        }
    }
    by_instance
}

/// [`seen`] over `own`, the records of that one pod instance in trace order.
fn seen_in<'a>(
    info: &PodInfo,
    own: impl Iterator<Item = &'a Record>,
    container: Option<&str>,
    at: SimTime,
) -> Seen {
    let mut deleted = false;
    let mut running = false;
    let mut succeeded = false;
    // The last status of each container, init containers first, then by spec order.
    let names: Vec<(bool, &String)> = info
        .init_containers
        .iter()
        .map(|c| (true, c))
        .chain(info.containers.iter().map(|c| (false, c)))
        .collect();
    let mut statuses: Vec<Option<&State>> = vec![None; names.len()];
    for record in own.take_while(|r| r.at_ns <= at) {
        match &record.entry {
            Entry::PodDeleted { .. } => deleted = true,
            Entry::PodRunning { .. } => running = true,
            Entry::PodSucceeded { .. } => succeeded = true,
            Entry::Status {
                container: name,
                init,
                state,
                ..
            } => {
                if let Some(slot) = names.iter().position(|(i, n)| i == init && *n == name) {
                    statuses[slot] = Some(state);
                }
            }
            _ => {}
        }
    }
    if deleted {
        return Seen::of(Expected::Deleted);
    }
    if let Some(container) = container {
        return names
            .iter()
            .position(|(_, name)| *name == container)
            .and_then(|slot| statuses[slot])
            .map_or_else(|| Seen::of(Expected::Pending), Seen::shown);
    }
    if succeeded {
        // `kubectl get pods` shows a Succeeded pod as `Completed`.
        return Seen {
            other: Some("Completed"),
            ..Seen::default()
        };
    }
    if running {
        // Once Running, a regular container that exited (`runFor`) shows: waiting to restart
        // (`CrashLoopBackOff`, a pull) or `Completed`.
        let regular = names
            .iter()
            .zip(&statuses)
            .filter(|((init, _), _)| !init)
            .filter_map(|(_, state)| *state);
        return regular
            .clone()
            .find(|state| matches!(state, State::Waiting { .. }))
            .or_else(|| {
                regular
                    .clone()
                    .find(|state| matches!(state, State::Completed))
            })
            .map_or_else(|| Seen::of(Expected::Running), Seen::shown);
    }
    statuses
        .iter()
        .flatten()
        .find(|state| matches!(state, State::Waiting { .. }))
        .map_or_else(|| Seen::of(Expected::Pending), |state| Seen::shown(state))
}

/// One row of the final table of pods (and of the JSON's `pods`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PodRow {
    pub(crate) pod: String,
    pub(crate) namespace: String,
    /// The simulator's deterministic UID (JSON only; the transcript leaves it out).
    pub(crate) uid: String,
    pub(crate) workload: Option<String>,
    pub(crate) node: Option<String>,
    /// The digests its regular containers run at the end, in full.
    pub(crate) digests: Vec<String>,
    pub(crate) state: String,
    pub(crate) reason: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) created_ns: SimTime,
    pub(crate) time_to_running_ns: Option<u64>,
}

impl PodRow {
    /// The time to Running as a duration.
    pub(crate) fn time_to_running(&self) -> Option<Duration> {
        self.time_to_running_ns.map(Duration::from_nanos)
    }
}

/// Every pod instance at the end of the run, in creation order.
pub(crate) fn rows(story: &Story, metrics: &Metrics, end: SimTime) -> Vec<PodRow> {
    let by_instance = records_by_instance(story);
    story
        .pods
        .iter()
        .zip(&by_instance)
        .enumerate()
        .map(|(index, (info, own))| {
            let state = seen_in(info, own.iter().copied(), None, end);
            let figures = metrics.pods.get(index);
            let mut digests: Vec<(usize, String)> = Vec::new();
            for record in own {
                if let Entry::Status {
                    container,
                    init: false,
                    state: State::Running { digest, .. },
                    ..
                } = &record.entry
                    && let Some(slot) = info.containers.iter().position(|c| c == container)
                {
                    digests.retain(|(s, _)| *s != slot);
                    digests.push((slot, digest.clone()));
                }
            }
            digests.sort();
            PodRow {
                pod: info.pod.clone(),
                namespace: info.namespace.clone(),
                uid: info.uid.clone(),
                workload: info.workload.clone(),
                node: info.node.clone(),
                digests: digests.into_iter().map(|(_, digest)| digest).collect(),
                state: state.word(),
                reason: state.reason.clone(),
                message: state.message.clone().filter(|m| !m.is_empty()),
                created_ns: figures.map_or(SimTime::EPOCH, |f| f.created),
                time_to_running_ns: figures
                    .and_then(|f| f.time_to_running)
                    .map(|t| u64::try_from(t.as_nanos()).unwrap_or(u64::MAX)),
            }
        })
        .collect()
}
