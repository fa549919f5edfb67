//! Figures over time, one point per minute of virtual time: registry requests in each
//! minute, and how many pods are in each state at the start of each minute.
//!
//! Part of the metrics fold ([`crate::metrics::MetricsRecorder`]): fed every record, kept or
//! not, so a fleet run with the trace off has the series too. Bounded by the run's length
//! (a 6-hour run has 360 points), never by its number of pods or requests.
//!
//! A pod's state is what `kubectl get pods` shows in STATUS for the pull's part of a pod's
//! life: `Pending` until the kubelet reports a container, then the waiting reason of the
//! first waiting container (init containers first, each list in order), then `Running`
//! once every regular container runs. A waiting reason that is an error's own text (a bad
//! pull secret) counts as `Waiting`. Deleted pods are not counted.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::{SimTime, WaitingReason};
use serde::Serialize;

use crate::api::ContainerRef;
use crate::trace::{ContainerState, PodId, WaitReason};

/// The length of one point.
pub const MINUTE: Duration = Duration::from_secs(60);

/// A container's waiting reasons, as its status shows them: the kubelet's own
/// `ContainerCreating` and `PodInitializing`, then the image manager's (the part of
/// [`POD_STATES`] between `Pending` and `Waiting`).
pub const WAITING_REASONS: &[&str] = POD_STATES.split_at(1).1.split_at(9).0;

/// The states pods are counted in, in the order of [`PodStates::counts`].
pub const POD_STATES: [&str; 13] = [
    "Pending",
    "ContainerCreating",
    "PodInitializing",
    "ErrImagePull",
    "ImagePullBackOff",
    "ErrImageNeverPull",
    "InvalidImageName",
    "ImageInspectError",
    "RegistryUnavailable",
    "SignatureValidationFailed",
    "Waiting",
    "Running",
    "Completed",
];

const PENDING: u8 = 0;
const CONTAINER_CREATING: u8 = 1;
const WAITING: u8 = 10;
const RUNNING: u8 = 11;
const COMPLETED: u8 = 12;

/// How many pods were in each state at one instant.
///
/// Serialised as `{"at_ns": …, "pods": {"<state>": count, …}}`, states with no pod left
/// out, in the order of [`POD_STATES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodStates {
    /// The instant (the start of a minute).
    #[serde(rename = "at_ns")]
    pub at: SimTime,
    /// Pods per state, in the order of [`POD_STATES`].
    #[serde(rename = "pods", serialize_with = "nonzero_counts")]
    pub counts: [u32; POD_STATES.len()],
}

impl PodStates {
    /// The states with at least one pod, by name, in the order of [`POD_STATES`].
    pub fn nonzero(&self) -> impl Iterator<Item = (&'static str, u32)> + '_ {
        POD_STATES
            .iter()
            .zip(self.counts)
            .filter(|(_, count)| *count > 0)
            .map(|(name, count)| (*name, count))
    }
}

/// The states with at least one pod, as a map from name to count.
fn nonzero_counts<S: serde::Serializer>(
    counts: &[u32; POD_STATES.len()],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap as _;
    let states = POD_STATES
        .iter()
        .zip(counts)
        .filter(|(_, count)| **count > 0);
    let mut map = serializer.serialize_map(Some(states.clone().count()))?;
    for (state, count) in states {
        map.serialize_entry(state, count)?;
    }
    map.end()
}

/// One pod's part of the fold, eight bytes (a fleet creates hundreds of thousands of pods).
/// While at most one of its containers waits it is kept here (`solo`): most pods have one
/// container, and a status change then touches nothing else. Once a second container waits
/// at the same time, the pod's waiting containers are kept apart, in
/// [`SeriesRecorder::waiting`] ([`SPILLED_FLAG`]), for the rest of its life.
#[derive(Debug, Clone, Copy)]
struct PodState {
    /// Its state's index in [`POD_STATES`]; [`UNCOUNTED`] before creation and after deletion.
    state: u8,
    /// [`RUNNING_FLAG`], [`REPORTED_FLAG`], [`SUCCEEDED_FLAG`] and [`SPILLED_FLAG`].
    flags: u8,
    /// The state of its one waiting container, or [`NOT_WAITING`] (unused once spilled).
    solo: u8,
    /// That container's order (init containers first, as in [`SeriesRecorder::waiting`]).
    solo_order: u32,
}

const UNCOUNTED: u8 = u8::MAX;
const NOT_WAITING: u8 = u8::MAX;
const RUNNING_FLAG: u8 = 1;
const REPORTED_FLAG: u8 = 2;
const SUCCEEDED_FLAG: u8 = 4;
const SPILLED_FLAG: u8 = 8;

impl Default for PodState {
    fn default() -> PodState {
        PodState {
            state: UNCOUNTED,
            flags: 0,
            solo: NOT_WAITING,
            solo_order: 0,
        }
    }
}

/// The running fold of the series.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeriesRecorder {
    /// Requests per minute, by minute.
    requests: Vec<u64>,
    pods: Vec<PodState>,
    /// The containers waiting now of the pods that had two waiting at once, by
    /// `(pod, order)` where order puts init containers first, with their state: a pod's
    /// first entry is its state.
    waiting: BTreeMap<(u32, u32), u8>,
    counts: [u32; POD_STATES.len()],
    /// Counts at the start of each minute already passed.
    samples: Vec<[u32; POD_STATES.len()]>,
}

fn state_of(reason: &WaitReason) -> u8 {
    match reason {
        WaitReason::ContainerCreating => CONTAINER_CREATING,
        WaitReason::PodInitializing => 2,
        WaitReason::Pull(reason) => match reason {
            WaitingReason::ErrImagePull => 3,
            WaitingReason::ImagePullBackOff => 4,
            WaitingReason::ErrImageNeverPull => 5,
            WaitingReason::InvalidImageName => 6,
            WaitingReason::ImageInspectError => 7,
            WaitingReason::RegistryUnavailable => 8,
            WaitingReason::SignatureValidationFailed => 9,
        },
        WaitReason::Other(_) | WaitReason::CrashLoopBackOff => WAITING,
    }
}

fn minute_of(at: SimTime) -> usize {
    usize::try_from(at.since_epoch().as_secs() / MINUTE.as_secs()).unwrap_or(usize::MAX)
}

/// Minutes that start before `end` (at least one).
fn minutes_before(end: SimTime) -> usize {
    let nanos = end.since_epoch().as_nanos();
    let minute = MINUTE.as_nanos();
    usize::try_from(nanos.div_ceil(minute).max(1)).unwrap_or(usize::MAX)
}

impl SeriesRecorder {
    /// Takes the samples of every minute that starts before `now`: nothing at or before
    /// those instants can change any more.
    pub(crate) fn advance(&mut self, now: SimTime) {
        while MINUTE.saturating_mul(self.samples.len() as u32) < now.since_epoch() {
            self.samples.push(self.counts);
        }
    }

    fn pod(&mut self, pod: PodId) -> &mut PodState {
        let index = pod.0 as usize;
        if self.pods.len() <= index {
            self.pods.resize(index + 1, PodState::default());
        }
        &mut self.pods[index]
    }

    fn settle(&mut self, pod: PodId) {
        let record = *self.pod(pod);
        let first = if record.flags & SPILLED_FLAG != 0 {
            self.waiting
                .range((pod.0, 0)..=(pod.0, u32::MAX))
                .next()
                .map(|(_, state)| *state)
        } else {
            (record.solo != NOT_WAITING).then_some(record.solo)
        };
        let record = self.pod(pod);
        let old = record.state;
        if old == UNCOUNTED {
            return;
        }
        let new = match first {
            _ if record.flags & SUCCEEDED_FLAG != 0 => COMPLETED,
            Some(state) => state,
            None if record.flags & RUNNING_FLAG != 0 => RUNNING,
            None if record.flags & REPORTED_FLAG != 0 => CONTAINER_CREATING,
            None => PENDING,
        };
        if new != old {
            record.state = new;
            self.counts[old as usize] -= 1;
            self.counts[new as usize] += 1;
        }
    }

    pub(crate) fn created(&mut self, pod: PodId) {
        *self.pod(pod) = PodState {
            state: PENDING,
            ..PodState::default()
        };
        self.counts[PENDING as usize] += 1;
    }

    pub(crate) fn deleted(&mut self, pod: PodId) {
        let record = self.pod(pod);
        let old = std::mem::replace(&mut record.state, UNCOUNTED);
        record.solo = NOT_WAITING;
        let spilled = record.flags & SPILLED_FLAG != 0;
        if old != UNCOUNTED {
            self.counts[old as usize] -= 1;
        }
        if !spilled {
            return;
        }
        let keys: Vec<(u32, u32)> = self
            .waiting
            .range((pod.0, 0)..=(pod.0, u32::MAX))
            .map(|(key, _)| *key)
            .collect();
        for key in keys {
            self.waiting.remove(&key);
        }
    }

    /// The pod's phase became `Succeeded`: it counts as `Completed`, as `kubectl get pods`
    /// shows it, until it is deleted.
    pub(crate) fn succeeded(&mut self, pod: PodId) {
        self.pod(pod).flags |= SUCCEEDED_FLAG;
        self.settle(pod);
    }

    pub(crate) fn running(&mut self, pod: PodId) {
        self.pod(pod).flags |= RUNNING_FLAG;
        self.settle(pod);
    }

    pub(crate) fn status(&mut self, pod: PodId, container: ContainerRef, state: &ContainerState) {
        // Init containers first, each list in its order.
        let order = if container.init {
            u32::from(container.index)
        } else {
            (1 << 16) + u32::from(container.index)
        };
        let waiting = match state {
            ContainerState::Waiting { reason, .. } => Some(state_of(reason)),
            _ => None,
        };
        let record = self.pod(pod);
        record.flags |= REPORTED_FLAG;
        if record.flags & SPILLED_FLAG == 0 {
            match waiting {
                Some(state) if record.solo == NOT_WAITING || record.solo_order == order => {
                    record.solo = state;
                    record.solo_order = order;
                }
                Some(state) => {
                    // A second container waits at once: the pod's waiting containers are
                    // kept in the map from now on.
                    let solo = (record.solo_order, record.solo);
                    record.solo = NOT_WAITING;
                    record.flags |= SPILLED_FLAG;
                    self.waiting.insert((pod.0, solo.0), solo.1);
                    self.waiting.insert((pod.0, order), state);
                }
                None if record.solo_order == order => record.solo = NOT_WAITING,
                None => {}
            }
        } else {
            match waiting {
                Some(state) => {
                    self.waiting.insert((pod.0, order), state);
                }
                None => {
                    self.waiting.remove(&(pod.0, order));
                }
            }
        }
        self.settle(pod);
    }

    pub(crate) fn request(&mut self, at: SimTime) {
        let minute = minute_of(at);
        if self.requests.len() <= minute {
            self.requests.resize(minute + 1, 0);
        }
        self.requests[minute] += 1;
    }

    /// The series up to `end`: one point per minute that starts before it.
    pub(crate) fn snapshot(&self, end: SimTime) -> (Vec<u64>, Vec<PodStates>) {
        let points = minutes_before(end);
        let mut requests = self.requests.clone();
        requests.resize(points.max(requests.len()), 0);
        let mut samples = self.samples.clone();
        samples.truncate(points);
        while samples.len() < points {
            samples.push(self.counts);
        }
        let pods = samples
            .into_iter()
            .enumerate()
            .map(|(minute, counts)| PodStates {
                at: SimTime::from_duration(MINUTE.saturating_mul(minute as u32)),
                counts,
            })
            .collect();
        (requests, pods)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_reasons_are_the_kubelets_two_and_every_image_manager_reason() {
        assert_eq!(
            WAITING_REASONS[..2],
            ["ContainerCreating", "PodInitializing"]
        );
        assert_eq!(WAITING_REASONS.len(), 9);
        for reason in [
            WaitingReason::ImagePullBackOff,
            WaitingReason::ImageInspectError,
            WaitingReason::ErrImagePull,
            WaitingReason::ErrImageNeverPull,
            WaitingReason::InvalidImageName,
            WaitingReason::RegistryUnavailable,
            WaitingReason::SignatureValidationFailed,
        ] {
            assert!(WAITING_REASONS.contains(&reason.as_str()), "{reason:?}");
        }
        assert!(!WAITING_REASONS.contains(&"Pending") && !WAITING_REASONS.contains(&"Waiting"));
    }

    #[test]
    fn minutes_are_counted_from_the_start_and_cover_the_end() {
        assert_eq!(minutes_before(SimTime::EPOCH), 1);
        assert_eq!(minutes_before(SimTime::from_secs(60)), 1);
        assert_eq!(minutes_before(SimTime::from_millis(60_001)), 2);
        assert_eq!(minutes_before(SimTime::from_secs(6 * 3600)), 360);
    }

    #[test]
    fn a_sample_is_the_state_after_everything_at_its_instant() {
        let mut series = SeriesRecorder::default();
        let container = ContainerRef {
            init: false,
            index: 0,
        };
        let waiting = |reason| ContainerState::Waiting {
            reason,
            message: "".into(),
        };
        series.advance(SimTime::EPOCH);
        series.created(PodId(0));
        series.created(PodId(1));
        series.advance(SimTime::from_secs(30));
        series.status(PodId(0), container, &waiting(WaitReason::ContainerCreating));
        series.advance(SimTime::from_secs(60));
        series.status(
            PodId(0),
            container,
            &waiting(WaitReason::Pull(WaitingReason::ImagePullBackOff)),
        );
        series.advance(SimTime::from_secs(61));
        series.deleted(PodId(1));
        series.request(SimTime::from_secs(61));
        let (requests, pods) = series.snapshot(SimTime::from_secs(150));
        assert_eq!(requests, [0, 1, 0]);
        let named: Vec<Vec<(&str, u32)>> = pods.iter().map(|p| p.nonzero().collect()).collect();
        assert_eq!(
            named,
            [
                vec![("Pending", 2)],
                vec![("Pending", 1), ("ImagePullBackOff", 1)],
                vec![("ImagePullBackOff", 1)],
            ]
        );
        assert_eq!(pods[2].at, SimTime::from_secs(120));
    }

    #[test]
    fn a_pod_shows_its_first_waiting_container_init_containers_first() {
        let mut series = SeriesRecorder::default();
        let init = ContainerRef {
            init: true,
            index: 0,
        };
        let app = ContainerRef {
            init: false,
            index: 0,
        };
        let sidecar = ContainerRef {
            init: false,
            index: 1,
        };
        let waiting = |reason| ContainerState::Waiting {
            reason,
            message: "".into(),
        };
        let running = ContainerState::Running {
            image_id: crate::trace::DigestId(0),
            digest: crate::trace::DigestId(0),
        };
        let backoff = waiting(WaitReason::Pull(WaitingReason::ImagePullBackOff));
        let now = |series: &SeriesRecorder| {
            let mut states: Vec<(&str, u32)> = POD_STATES
                .iter()
                .zip(series.counts)
                .filter(|(_, count)| *count > 0)
                .map(|(name, count)| (*name, count))
                .collect();
            states.sort_unstable();
            states
        };
        // Pod 0: one container at a time (kept in its own state).
        series.created(PodId(0));
        series.status(PodId(0), app, &waiting(WaitReason::ContainerCreating));
        assert_eq!(now(&series), [("ContainerCreating", 1)]);
        series.status(PodId(0), app, &backoff);
        assert_eq!(now(&series), [("ImagePullBackOff", 1)]);
        series.status(PodId(0), app, &running);
        assert_eq!(
            now(&series),
            [("ContainerCreating", 1)],
            "reported, not running"
        );
        series.running(PodId(0));
        assert_eq!(now(&series), [("Running", 1)]);
        // Pod 1: an init container and two regular ones waiting at once.
        series.created(PodId(1));
        series.status(PodId(1), sidecar, &backoff);
        series.status(PodId(1), app, &waiting(WaitReason::PodInitializing));
        assert_eq!(now(&series), [("PodInitializing", 1), ("Running", 1)]);
        series.status(PodId(1), init, &waiting(WaitReason::ContainerCreating));
        assert_eq!(now(&series), [("ContainerCreating", 1), ("Running", 1)]);
        series.status(PodId(1), init, &ContainerState::Completed);
        assert_eq!(now(&series), [("PodInitializing", 1), ("Running", 1)]);
        series.status(PodId(1), app, &running);
        assert_eq!(now(&series), [("ImagePullBackOff", 1), ("Running", 1)]);
        series.status(PodId(1), sidecar, &running);
        assert_eq!(now(&series), [("ContainerCreating", 1), ("Running", 1)]);
        series.status(PodId(1), sidecar, &backoff);
        series.deleted(PodId(1));
        assert_eq!(now(&series), [("Running", 1)]);
        assert!(
            series.waiting.is_empty(),
            "a deleted pod's containers are forgotten"
        );
        series.deleted(PodId(0));
        assert_eq!(now(&series), []);
    }
}
