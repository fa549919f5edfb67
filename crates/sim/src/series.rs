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

use std::time::Duration;

use pullsim_model::{SimTime, WaitingReason};

use crate::api::ContainerRef;
use crate::trace::{ContainerState, PodId, WaitReason};

/// The length of one point.
pub const MINUTE: Duration = Duration::from_secs(60);

/// The states pods are counted in, in the order of [`PodStates::counts`].
pub const POD_STATES: [&str; 12] = [
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
];

const PENDING: u8 = 0;
const CONTAINER_CREATING: u8 = 1;
const WAITING: u8 = 10;
const RUNNING: u8 = 11;

/// How many pods were in each state at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodStates {
    /// The instant (the start of a minute).
    pub at: SimTime,
    /// Pods per state, in the order of [`POD_STATES`].
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

/// One pod's part of the fold.
#[derive(Debug, Clone, Default)]
struct PodState {
    /// Its state's index in [`POD_STATES`]; `None` before creation and after deletion.
    state: Option<u8>,
    running: bool,
    reported: bool,
    /// Waiting containers: `(order, state)`, where order puts init containers first.
    waiting: Vec<(u32, u8)>,
}

impl PodState {
    fn current(&self) -> u8 {
        if let Some(&(_, state)) = self.waiting.iter().min_by_key(|(order, _)| *order) {
            state
        } else if self.running {
            RUNNING
        } else if self.reported {
            CONTAINER_CREATING
        } else {
            PENDING
        }
    }
}

/// The running fold of the series.
#[derive(Debug, Clone, Default)]
pub(crate) struct SeriesRecorder {
    /// Requests per minute, by minute.
    requests: Vec<u64>,
    pods: Vec<PodState>,
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
        WaitReason::Other(_) => WAITING,
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
        let record = self.pod(pod);
        let Some(old) = record.state else {
            return;
        };
        let new = record.current();
        if new != old {
            record.state = Some(new);
            self.counts[old as usize] -= 1;
            self.counts[new as usize] += 1;
        }
    }

    pub(crate) fn created(&mut self, pod: PodId) {
        *self.pod(pod) = PodState {
            state: Some(PENDING),
            ..PodState::default()
        };
        self.counts[PENDING as usize] += 1;
    }

    pub(crate) fn deleted(&mut self, pod: PodId) {
        let record = self.pod(pod);
        if let Some(old) = record.state.take() {
            self.counts[old as usize] -= 1;
        }
    }

    pub(crate) fn running(&mut self, pod: PodId) {
        self.pod(pod).running = true;
        self.settle(pod);
    }

    pub(crate) fn status(&mut self, pod: PodId, container: ContainerRef, state: &ContainerState) {
        // Init containers first, each list in its order.
        let order = if container.init {
            u32::from(container.index)
        } else {
            (1 << 16) + u32::from(container.index)
        };
        let record = self.pod(pod);
        record.reported = true;
        record.waiting.retain(|(o, _)| *o != order);
        if let ContainerState::Waiting { reason, .. } = state {
            record.waiting.push((order, state_of(reason)));
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
            message: String::new(),
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
}
