//! The pod view a controller reconciles against: what the API server's pod table says about
//! each pod a workload owns (name, owner and template revision, phase, readiness, node,
//! deletion), and the readiness and availability rules every controller shares
//! (`podutil.IsPodReady`, `podutil.IsPodAvailable`, `controller.IsPodActive`).

use std::time::Duration;

use pullsim_model::SimTime;

/// `status.phase` of a pod, as controllers read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodPhase {
    /// Accepted, not every container running yet (waiting for a node, pulling, starting).
    /// A pod stuck in `ImagePullBackOff` stays here: it never becomes `Failed`.
    Pending,
    /// Bound and its containers running.
    Running,
    /// Every container exited 0 and will not restart.
    Succeeded,
    /// A container exited non-zero and will not restart.
    Failed,
}

impl PodPhase {
    /// `podPhaseToOrdinal` of the ReplicaSet's victim order: Pending 0 < Unknown 1 < Running 2
    /// (pullsim has no Unknown; terminal pods are never victims, they are not active).
    pub(crate) fn victim_ordinal(self) -> u8 {
        match self {
            PodPhase::Pending => 0,
            PodPhase::Running | PodPhase::Succeeded | PodPhase::Failed => 2,
        }
    }

    /// Whether the pod has finished for good.
    pub fn is_terminal(self) -> bool {
        matches!(self, PodPhase::Succeeded | PodPhase::Failed)
    }
}

/// One pod as a controller sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    /// `metadata.name`.
    pub name: String,
    /// The object that created it (a ReplicaSet, DaemonSet, StatefulSet or Job name).
    pub owner: String,
    /// The template revision it was created from: the ReplicaSet's name for a ReplicaSet's
    /// pods, the `controller-revision-hash` for a DaemonSet's or StatefulSet's, the Job's
    /// name for a Job's.
    pub revision: String,
    /// `status.phase`.
    pub phase: PodPhase,
    /// When its `Ready` condition last became true (`lastTransitionTime`), while it is ready.
    pub ready_since: Option<SimTime>,
    /// `spec.nodeName`, once bound; for a DaemonSet's pod, the node it targets from its
    /// creation on (upstream's `GetTargetNodeName` reads the node affinity of a pod not yet
    /// bound).
    pub node: Option<String>,
    /// `metadata.creationTimestamp`.
    pub created: SimTime,
    /// `metadata.deletionTimestamp` is set: the pod is terminating.
    pub deleting: bool,
}

impl PodView {
    /// A pending, unbound, unready pod created at `created`.
    pub fn pending(
        name: impl Into<String>,
        owner: impl Into<String>,
        revision: impl Into<String>,
        created: SimTime,
    ) -> PodView {
        PodView {
            name: name.into(),
            owner: owner.into(),
            revision: revision.into(),
            phase: PodPhase::Pending,
            ready_since: None,
            node: None,
            created,
            deleting: false,
        }
    }

    /// `controller.IsPodActive`: not terminal and not being deleted.
    pub fn is_active(&self) -> bool {
        !self.phase.is_terminal() && !self.deleting
    }

    /// `podutil.IsPodReady`.
    pub fn is_ready(&self) -> bool {
        self.ready_since.is_some()
    }

    /// When the pod becomes available: `minReadySeconds` after it became ready.
    pub fn available_at(&self, min_ready: Duration) -> Option<SimTime> {
        self.ready_since.map(|since| since + min_ready)
    }

    /// `podutil.IsPodAvailable`: ready, and ready for `min_ready` at `now`. Upstream compares
    /// `readySince + minReadySeconds` strictly before a clock that has always moved on by the
    /// time the controller's requeue after `minReadySeconds` runs; on a virtual clock that
    /// requeue lands exactly on the instant, which therefore counts as available.
    pub fn is_available(&self, min_ready: Duration, now: SimTime) -> bool {
        self.available_at(min_ready).is_some_and(|at| at <= now)
    }

    /// Whether it runs and is ready (`isRunningAndReady` of the StatefulSet controller).
    pub fn is_running_and_ready(&self) -> bool {
        self.phase == PodPhase::Running && self.is_ready()
    }
}

/// The earliest of two optional instants.
pub(crate) fn earliest(a: Option<SimTime>, b: Option<SimTime>) -> Option<SimTime> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_waits_for_min_ready_after_ready() {
        let mut pod = PodView::pending("web-abcde", "web", "web", SimTime::EPOCH);
        assert!(pod.is_active() && !pod.is_ready());
        assert!(!pod.is_available(Duration::ZERO, SimTime::from_secs(100)));
        pod.phase = PodPhase::Running;
        pod.ready_since = Some(SimTime::from_secs(10));
        assert!(pod.is_running_and_ready());
        assert!(pod.is_available(Duration::ZERO, SimTime::from_secs(10)));
        let five = Duration::from_secs(5);
        assert!(!pod.is_available(five, SimTime::from_secs(14)));
        assert!(pod.is_available(five, SimTime::from_secs(15)));
        pod.deleting = true;
        assert!(!pod.is_active());
        pod.deleting = false;
        pod.phase = PodPhase::Succeeded;
        assert!(!pod.is_active());
        assert_eq!(
            earliest(Some(SimTime::from_secs(3)), Some(SimTime::from_secs(2))),
            Some(SimTime::from_secs(2))
        );
        assert_eq!(
            earliest(None, Some(SimTime::from_secs(2))),
            Some(SimTime::from_secs(2))
        );
        assert_eq!(earliest(None, None), None);
    }
}
