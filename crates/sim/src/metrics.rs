//! Metrics, computed as a fold over the trace: every record the simulation makes passes
//! through [`MetricsRecorder::observe`] whether or not the trace keeps it, so a benchmark
//! that keeps no trace still gets every figure, and folding a kept trace again gives the
//! same figures (a test checks it).

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::SimTime;
use serde::Serialize;

use crate::apiserver::watch::ApiChange;
use crate::engine::Chunked;
use crate::running_times::RunningTimes;
use crate::series::{PodStates, SeriesRecorder};
use crate::sim::Sim;
use crate::sources::SourceCount;
use crate::trace::{
    ContainerState, DigestId, HostId, PodId, RequestKind, TraceEvent, TraceRecord, WaitReason,
    WorkloadId,
};

/// Registry requests of one kind: `(host, method, kind, status)`.
pub type RegistryKey = (HostId, &'static str, RequestKind, u16);

/// The running fold.
#[derive(Debug, Clone, Default)]
pub struct MetricsRecorder {
    /// Every pod ever seen, by id (a fleet's hundreds of thousands: 32 bytes each).
    pods: Chunked<PodTally>,
    /// The container slots of pods that have them ([`PodTally::live`]); a deleted pod's
    /// entry goes to `free_live` and is reused, vectors and all, by a later pod.
    live: Vec<LiveTally>,
    free_live: Vec<u32>,
    registry: BTreeMap<RegistryKey, (u64, u64)>,
    second: u64,
    second_requests: u32,
    peak: Option<(u64, u32)>,
    content_hits: u64,
    fetched: u64,
    pulls_queued: u64,
    pulls_succeeded: u64,
    pulls_failed: u64,
    pulls_avoided: u64,
    workloads: Vec<DriftTally>,
    backoff_pods: u32,
    backoff_series: Vec<(SimTime, u32)>,
    series: SeriesRecorder,
    now: SimTime,
}

/// One pod's part of the fold. What only a pod that exists needs (its container slots)
/// is kept apart, in [`LiveTally`], so the record every pod keeps after its deletion is
/// small.
#[derive(Debug, Clone, Copy)]
struct PodTally {
    created: SimTime,
    /// When every regular container first ran (meaningful once `running` is set).
    running_at: SimTime,
    workload: Option<WorkloadId>,
    /// Its [`LiveTally`]'s index in [`MetricsRecorder::live`], or [`NO_LIVE`].
    live: u32,
    running: bool,
    deleted: bool,
}

/// [`PodTally::live`] of a pod without container slots.
const NO_LIVE: u32 = u32::MAX;

impl Default for PodTally {
    fn default() -> PodTally {
        PodTally {
            created: SimTime::EPOCH,
            running_at: SimTime::EPOCH,
            workload: None,
            live: NO_LIVE,
            running: false,
            deleted: false,
        }
    }
}

impl PodTally {
    fn running_at(&self) -> Option<SimTime> {
        self.running.then_some(self.running_at)
    }
}

/// A pod's container slots: per slot, the digest it runs, or whether it waits in back-off.
#[derive(Debug, Clone, Default)]
struct LiveTally {
    running: Vec<(u16, DigestId)>,
    backoff: Vec<u16>,
}

#[derive(Debug, Clone, Default)]
struct DriftTally {
    /// Per container index: running containers per digest.
    running: BTreeMap<(u16, DigestId), u32>,
    series: Vec<(SimTime, u32)>,
    max_distinct: u32,
    mixed_since: Option<SimTime>,
    mixed: Duration,
}

impl DriftTally {
    fn distinct(&self) -> u32 {
        let mut best = 0;
        let mut current: Option<(u16, u32)> = None;
        for (container, _) in self.running.keys() {
            current = match current {
                Some((index, count)) if index == *container => Some((index, count + 1)),
                _ => Some((*container, 1)),
            };
            best = best.max(current.map_or(0, |(_, count)| count));
        }
        best
    }

    fn update(&mut self, now: SimTime) {
        let distinct = self.distinct();
        self.max_distinct = self.max_distinct.max(distinct);
        match self.series.last_mut() {
            Some((time, value)) if *time == now => *value = distinct,
            Some((_, value)) if *value == distinct => {}
            _ => self.series.push((now, distinct)),
        }
        match (distinct > 1, self.mixed_since) {
            (true, None) => self.mixed_since = Some(now),
            (false, Some(since)) => {
                self.mixed += now.saturating_since(since);
                self.mixed_since = None;
            }
            _ => {}
        }
    }
}

impl MetricsRecorder {
    /// A recorder that knows `workloads` workloads (more are added as they appear).
    pub(crate) fn workload_added(&mut self, workload: WorkloadId) {
        let index = workload.0 as usize;
        if self.workloads.len() <= index {
            self.workloads.resize(index + 1, DriftTally::default());
        }
    }

    /// Counts a pull whose `PullQueued` record was not built (no trace kept).
    pub(crate) fn pull_queued(&mut self) {
        self.pulls_queued += 1;
    }

    /// Moves the clock (for durations still open at a snapshot).
    pub(crate) fn advance(&mut self, now: SimTime) {
        self.now = self.now.max(now);
    }

    /// Folds a whole trace, as if observed live.
    pub fn from_trace(trace: &[TraceRecord]) -> MetricsRecorder {
        let mut recorder = MetricsRecorder::default();
        for record in trace {
            recorder.observe(record.time, &record.event);
        }
        recorder
    }

    fn pod(&mut self, pod: PodId) -> &mut PodTally {
        self.pods.grown_to(pod.0 as usize)
    }

    /// The index of `pod`'s container slots in `live`, given them (empty) when it has
    /// none yet.
    fn live_of(&mut self, pod: PodId) -> usize {
        let existing = self.pod(pod).live;
        if existing != NO_LIVE {
            return existing as usize;
        }
        let index = match self.free_live.pop() {
            Some(index) => index,
            None => {
                self.live.push(LiveTally::default());
                (self.live.len() - 1) as u32
            }
        };
        self.pod(pod).live = index;
        index as usize
    }

    fn set_backoff(&mut self, now: SimTime, delta: i64) {
        self.backoff_pods = (i64::from(self.backoff_pods) + delta).max(0) as u32;
        let count = self.backoff_pods;
        match self.backoff_series.last_mut() {
            Some((time, value)) if *time == now => *value = count,
            _ => self.backoff_series.push((now, count)),
        }
    }

    /// Observes one trace record (a pod's lifecycle included, as the watch would have
    /// delivered it).
    pub fn observe(&mut self, now: SimTime, event: &TraceEvent) {
        match ApiChange::of_record(event) {
            Some(change) => self.observe_change(now, &change),
            None => self.observe_record(now, event),
        }
    }

    /// Observes one change from the API server's watch: pods created, running and
    /// deleted (bindings and nodes added feed no figure).
    pub(crate) fn observe_change(&mut self, now: SimTime, change: &ApiChange) {
        self.now = self.now.max(now);
        self.series.advance(now);
        match *change {
            ApiChange::PodCreated { pod, workload } => {
                self.series.created(pod);
                let tally = self.pod(pod);
                tally.created = now;
                tally.workload = workload;
                if let Some(workload) = workload {
                    self.workload_added(workload);
                }
            }
            ApiChange::PodRunning { pod } => {
                let tally = self.pod(pod);
                if !tally.running {
                    tally.running = true;
                    tally.running_at = now;
                }
                self.series.running(pod);
            }
            ApiChange::PodDeleted { pod } => {
                self.series.deleted(pod);
                let tally = self.pod(pod);
                tally.deleted = true;
                let workload = tally.workload;
                // Its container slots are emptied and go back for a later pod.
                let live = std::mem::replace(&mut tally.live, NO_LIVE);
                let mut running = Vec::new();
                let mut was_backoff = false;
                if live != NO_LIVE {
                    let slots = &mut self.live[live as usize];
                    was_backoff = !slots.backoff.is_empty();
                    slots.backoff.clear();
                    running = std::mem::take(&mut slots.running);
                }
                if was_backoff {
                    self.set_backoff(now, -1);
                }
                if let Some(workload) = workload {
                    let drift = &mut self.workloads[workload.0 as usize];
                    for key in &running {
                        if let Some(count) = drift.running.get_mut(key) {
                            *count -= 1;
                            if *count == 0 {
                                drift.running.remove(key);
                            }
                        }
                    }
                    drift.update(now);
                }
                if live != NO_LIVE {
                    running.clear();
                    self.live[live as usize].running = running;
                    self.free_live.push(live);
                }
            }
            ApiChange::PodBound { .. }
            | ApiChange::NodeAdded { .. }
            | ApiChange::PodReady { .. }
            | ApiChange::PodUnready { .. } => {}
            ApiChange::PodSucceeded { pod } => self.series.succeeded(pod),
        }
    }

    /// Observes one live trace record; a pod's lifecycle comes from the watch instead
    /// ([`MetricsRecorder::observe_change`]), so records that report one are skipped.
    pub(crate) fn observe_record(&mut self, now: SimTime, event: &TraceEvent) {
        self.now = self.now.max(now);
        self.series.advance(now);
        match event {
            TraceEvent::ContainerStatus {
                pod,
                container,
                state,
            } => {
                self.series.status(*pod, *container, state);
                let slot = if container.init {
                    u16::MAX - container.index
                } else {
                    container.index
                };
                let workload = self.pod(*pod).workload;
                let live = self.live_of(*pod);
                let tally = &mut self.live[live];
                let was_backoff = !tally.backoff.is_empty();
                tally.backoff.retain(|s| *s != slot);
                if let ContainerState::Waiting {
                    reason: WaitReason::Pull(pullsim_model::WaitingReason::ImagePullBackOff),
                    ..
                } = state
                {
                    tally.backoff.push(slot);
                }
                let is_backoff = !tally.backoff.is_empty();
                let mut started = None;
                let mut stopped = None;
                if let ContainerState::Running { digest, .. } = state
                    && !container.init
                    && !tally.running.iter().any(|(s, _)| *s == slot)
                {
                    tally.running.push((slot, *digest));
                    started = Some(*digest);
                } else if !matches!(state, ContainerState::Running { .. })
                    && !container.init
                    && let Some(index) = tally.running.iter().position(|(s, _)| *s == slot)
                {
                    // A regular container that ran exited (`runFor`) or waits to restart.
                    stopped = Some(tally.running.swap_remove(index).1);
                }
                if was_backoff != is_backoff {
                    self.set_backoff(now, if is_backoff { 1 } else { -1 });
                }
                if let (Some(digest), Some(workload)) = (started, workload) {
                    let drift = &mut self.workloads[workload.0 as usize];
                    *drift.running.entry((slot, digest)).or_insert(0) += 1;
                    drift.update(now);
                }
                if let (Some(digest), Some(workload)) = (stopped, workload) {
                    let drift = &mut self.workloads[workload.0 as usize];
                    if let Some(count) = drift.running.get_mut(&(slot, digest)) {
                        *count -= 1;
                        if *count == 0 {
                            drift.running.remove(&(slot, digest));
                        }
                    }
                    drift.update(now);
                }
            }
            TraceEvent::Registry {
                host,
                method,
                kind,
                status,
                body_bytes,
                ..
            } => {
                let entry = self
                    .registry
                    .entry((*host, method, *kind, *status))
                    .or_insert((0, 0));
                entry.0 += 1;
                entry.1 += body_bytes;
                self.series.request(now);
                let second = now.since_epoch().as_secs();
                if second != self.second {
                    self.second = second;
                    self.second_requests = 0;
                }
                self.second_requests += 1;
                if self
                    .peak
                    .is_none_or(|(_, peak)| self.second_requests > peak)
                {
                    self.peak = Some((second, self.second_requests));
                }
            }
            TraceEvent::PullQueued { .. } => self.pulls_queued += 1,
            TraceEvent::PullAvoided { .. } => self.pulls_avoided += 1,
            TraceEvent::PullFinished {
                succeeded,
                content_hits,
                fetched,
                ..
            } => {
                if *succeeded {
                    self.pulls_succeeded += 1;
                } else {
                    self.pulls_failed += 1;
                }
                self.content_hits += u64::from(*content_hits);
                self.fetched += u64::from(*fetched);
            }
            _ => {}
        }
    }

    /// Each workload's times to Running, in the order of the drift groups.
    fn running_times(&self, sim: &Sim) -> Vec<RunningTimes> {
        let groups = self.workloads.len().min(sim.api.workloads.len());
        let mut times: Vec<Vec<Option<Duration>>> = vec![Vec::new(); groups];
        for tally in self.pods.iter().take(sim.api.pods.len()) {
            let Some(workload) = tally.workload else {
                continue;
            };
            if tally.deleted && !tally.running {
                continue;
            }
            if let Some(list) = times.get_mut(workload.0 as usize) {
                list.push(
                    tally
                        .running_at()
                        .map(|at| at.saturating_since(tally.created)),
                );
            }
        }
        times
            .into_iter()
            .enumerate()
            .map(|(index, list)| {
                RunningTimes::of(sim.api.workloads[index].workload.name.clone(), list)
            })
            .collect()
    }

    /// The figures, with names from the simulation `sim` whose trace was folded; durations
    /// still open run to the simulation's current time.
    pub fn snapshot(&self, sim: &Sim) -> Metrics {
        let now = self.now.max(sim.now());
        // Sized once: a fleet's table has hundreds of thousands of rows.
        let mut pods = Vec::with_capacity(self.pods.len().min(sim.api.pods.len()));
        pods.extend(self.pods.iter().take(sim.api.pods.len()).map(|tally| {
            PodMetrics {
                created: tally.created,
                time_to_running: tally
                    .running_at()
                    .map(|at| at.saturating_since(tally.created)),
                deleted: tally.deleted,
            }
        }));
        let sources = crate::sources::per_source(self.registry.iter().map(
            |((host, method, kind, status), (requests, bytes))| {
                (
                    sim.host_source(*host),
                    *method,
                    *kind,
                    *status,
                    *requests,
                    *bytes,
                )
            },
        ));
        let registry = self
            .registry
            .iter()
            .map(
                |((host, method, kind, status), (requests, bytes))| RegistryCount {
                    host: sim.host_name(*host).to_owned(),
                    method,
                    kind: *kind,
                    status: *status,
                    requests: *requests,
                    bytes: *bytes,
                },
            )
            .collect::<Vec<_>>();
        let workloads = self
            .workloads
            .iter()
            .enumerate()
            .filter(|(index, _)| *index < sim.api.workloads.len())
            .map(|(index, drift)| WorkloadDrift {
                workload: sim.api.workloads[index].workload.name.clone(),
                distinct_digests: drift.series.clone(),
                max_distinct_digests: drift.max_distinct,
                mixed_duration: drift.mixed
                    + drift
                        .mixed_since
                        .map_or(Duration::ZERO, |since| now.saturating_since(since)),
            })
            .collect();
        let running_times = self.running_times(sim);
        let (requests_per_minute, pods_by_state) = self.series.snapshot(now);
        Metrics {
            requests: registry.iter().map(|r| r.requests).sum(),
            bytes_served: registry.iter().map(|r| r.bytes).sum(),
            registry,
            sources,
            content_hits: self.content_hits,
            fetched: self.fetched,
            pulls_started: self.pulls_queued,
            pulls_succeeded: self.pulls_succeeded,
            pulls_failed: self.pulls_failed,
            pulls_avoided: self.pulls_avoided,
            peak_requests_per_second: self.peak.map(|(second, requests)| PeakRate {
                second: SimTime::from_secs(second),
                requests,
            }),
            pods_in_backoff: self.backoff_series.clone(),
            requests_per_minute,
            pods_by_state,
            pods,
            workloads,
            running_times,
            rollouts: sim.rollout_metrics(),
        }
    }
}

/// The figures of a run.
///
/// Serialised as the run's JSON document writes its `metrics`: fields in this order,
/// instants and durations as integer nanoseconds (`*_ns`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// All registry requests.
    pub requests: u64,
    /// All body bytes the registries delivered.
    pub bytes_served: u64,
    /// Registry requests by host, method, kind and status, with bytes served.
    pub registry: Vec<RegistryCount>,
    /// The same requests added up by what answered them: origin, mirror, cache or peer.
    pub sources: Vec<SourceCount>,
    /// Manifests and blobs a pull found in its node's content store (or got from another
    /// pull's download).
    pub content_hits: u64,
    /// Manifests and blobs downloaded.
    pub fetched: u64,
    /// Pulls the kubelet started.
    pub pulls_started: u64,
    /// Of those, how many succeeded.
    pub pulls_succeeded: u64,
    /// And how many failed.
    pub pulls_failed: u64,
    /// `EnsureImageExists` calls that used the image already on the node.
    pub pulls_avoided: u64,
    /// The busiest second of registry traffic.
    pub peak_requests_per_second: Option<PeakRate>,
    /// Pods with a container in `ImagePullBackOff`, at every change.
    pub pods_in_backoff: Vec<(SimTime, u32)>,
    /// Registry requests in each minute of the run (index `k`: from `k` minutes to `k + 1`),
    /// every minute that starts before the end.
    pub requests_per_minute: Vec<u64>,
    /// Pods by state at the start of each of those minutes ([`crate::series`]).
    pub pods_by_state: Vec<PodStates>,
    /// Tag drift per workload.
    pub workloads: Vec<WorkloadDrift>,
    /// Time to Running per workload, as percentiles over its pods.
    pub running_times: Vec<RunningTimes>,
    /// Rollout figures per workload object (absent from the JSON when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rollouts: Vec<crate::rollouts::RolloutMetrics>,
    /// Every pod ever created, in creation order (not in the JSON document, whose `pods`
    /// table the runner writes).
    #[serde(skip)]
    pub pods: Vec<PodMetrics>,
}

/// One pod's figures, at the pod's index (its `PodId`); its name and node are the
/// simulation's (`Sim::pod_key`), not copied here: a fleet has hundreds of thousands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodMetrics {
    /// When it was created.
    pub created: SimTime,
    /// From creation to every regular container running.
    pub time_to_running: Option<Duration>,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// Requests of one kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegistryCount {
    /// The registry host.
    pub host: String,
    /// The method.
    pub method: &'static str,
    /// What it hit.
    pub kind: RequestKind,
    /// The status answered.
    pub status: u16,
    /// How many.
    pub requests: u64,
    /// Body bytes delivered.
    pub bytes: u64,
}

/// The busiest second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PeakRate {
    /// The second's start.
    #[serde(rename = "second_ns")]
    pub second: SimTime,
    /// Requests in it.
    pub requests: u32,
}

/// How many versions of its images a workload ran at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkloadDrift {
    /// The workload.
    pub workload: String,
    /// The most ever.
    pub max_distinct_digests: u32,
    /// How long more than one digest ran at once.
    #[serde(rename = "mixed_ns", serialize_with = "nanos")]
    pub mixed_duration: Duration,
    /// The most distinct digests running for one container of the workload, at every change.
    pub distinct_digests: Vec<(SimTime, u32)>,
}

/// A duration as its integer count of nanoseconds (saturating at `u64::MAX`).
fn nanos<S: serde::Serializer>(length: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(length.as_nanos()).unwrap_or(u64::MAX))
}
