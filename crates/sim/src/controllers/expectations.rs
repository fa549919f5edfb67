//! `ControllerExpectations` (`pkg/controller/controller_utils.go`): the creations and
//! deletions a controller asked for and has not yet seen in its pod view. While some are
//! outstanding a sync only refreshes status, so a view that lags behind the API server never
//! makes a controller create twice; after `ExpectationsTimeout` (5 minutes) it stops waiting.

use std::collections::BTreeSet;

use pullsim_model::SimTime;
use pullsim_model::controllers::replica_set::EXPECTATIONS_TIMEOUT;

use super::{PodView, Pods};

/// Outstanding creations and deletions, by pod name, and when they were set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expectations {
    creations: BTreeSet<String>,
    deletions: BTreeSet<String>,
    set_at: Option<SimTime>,
}

impl Expectations {
    /// Expects `creations` to appear and `deletions` to go, from `now`.
    pub fn expect(
        &mut self,
        creations: impl IntoIterator<Item = String>,
        deletions: impl IntoIterator<Item = String>,
        now: SimTime,
    ) {
        self.creations.extend(creations);
        self.deletions.extend(deletions);
        if !self.creations.is_empty() || !self.deletions.is_empty() {
            self.set_at = Some(now);
        }
    }

    /// Expects a creation named `name` from `now`, unless one of that name is expected
    /// already; whether it was not (a sync that creates from satisfied expectations draws
    /// each name until it is new here and not in its view).
    pub fn expect_creation(&mut self, name: &str, now: SimTime) -> bool {
        // One walk down the set: a name taken already (rare: a drawn collision) costs
        // only its copy.
        if !self.creations.insert(name.to_owned()) {
            return false;
        }
        self.set_at = Some(now);
        true
    }

    /// A creation that will never be seen (the API server refused it): upstream's
    /// `CreationObserved` for it. With nothing left outstanding there is no wait to time out.
    pub fn creation_refused(&mut self, name: &str) {
        self.creations.remove(name);
        if self.creations.is_empty() && self.deletions.is_empty() {
            self.set_at = None;
        }
    }

    /// Crosses off what `pods` shows done; whether nothing is outstanding, or the wait has
    /// passed `ExpectationsTimeout` (then everything is forgotten).
    pub fn satisfied(&mut self, pods: &[PodView], now: SimTime) -> bool {
        if !self.creations.is_empty() || !self.deletions.is_empty() {
            // One pass over the view, looking each pod up among the few outstanding names
            // (a view holds thousands of pods; a sync used to copy all their names).
            let mut still_present: BTreeSet<String> = BTreeSet::new();
            for pod in pods {
                if !self.creations.is_empty() {
                    self.creations.remove(pod.name.as_str());
                }
                if !pod.deleting
                    && let Some(name) = self.deletions.take(pod.name.as_str())
                {
                    still_present.insert(name);
                }
            }
            self.deletions = still_present;
        }
        self.settle(now)
    }

    /// [`Expectations::satisfied`] with the pods' index: each outstanding name looked up,
    /// no pass over the views.
    pub fn satisfied_in(&mut self, pods: Pods<'_>, now: SimTime) -> bool {
        self.creations.retain(|name| !pods.contains(name));
        self.deletions
            .retain(|name| pods.get(name).is_some_and(|pod| !pod.deleting));
        self.settle(now)
    }

    /// Whether nothing is outstanding or the wait timed out (everything is then forgotten).
    fn settle(&mut self, now: SimTime) -> bool {
        if self.creations.is_empty() && self.deletions.is_empty() {
            self.set_at = None;
            return true;
        }
        if self
            .set_at
            .is_some_and(|at| now.saturating_since(at) > EXPECTATIONS_TIMEOUT)
        {
            *self = Expectations::default();
            return true;
        }
        false
    }

    /// When the wait for outstanding expectations times out.
    pub fn timeout_at(&self) -> Option<SimTime> {
        self.set_at
            .map(|at| at + EXPECTATIONS_TIMEOUT + std::time::Duration::from_nanos(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::PodIndex;

    #[test]
    fn outstanding_work_blocks_until_seen_or_timed_out() {
        let t0 = SimTime::from_secs(1);
        let mut e = Expectations::default();
        assert!(e.satisfied(&[], t0));
        e.expect(["a".to_owned()], ["old".to_owned()], t0);
        let old = PodView::pending("old", "rs", "rs", SimTime::EPOCH);
        let a = PodView::pending("a", "rs", "rs", t0);
        assert!(!e.satisfied(std::slice::from_ref(&old), t0));
        assert!(!e.satisfied(&[old.clone(), a.clone()], t0));
        assert!(e.satisfied(std::slice::from_ref(&a), t0));
        e.expect(["b".to_owned()], [], t0);
        assert_eq!(
            e.timeout_at(),
            Some(t0 + EXPECTATIONS_TIMEOUT + std::time::Duration::from_nanos(1))
        );
        assert!(!e.satisfied(&[], t0 + EXPECTATIONS_TIMEOUT));
        assert!(e.satisfied(
            &[],
            t0 + EXPECTATIONS_TIMEOUT + std::time::Duration::from_secs(1)
        ));
        e.expect(["c".to_owned()], [], t0);
        e.creation_refused("c");
        assert_eq!(e.timeout_at(), None);
        assert!(e.satisfied(&[], t0));
    }

    #[test]
    fn looking_names_up_in_the_index_crosses_off_what_a_scan_does() {
        let t0 = SimTime::from_secs(1);
        let mut gone = PodView::pending("gone", "rs", "rs", SimTime::EPOCH);
        gone.deleting = true;
        let views = [
            PodView::pending("old", "rs", "rs", SimTime::EPOCH),
            PodView::pending("a", "rs", "rs", t0),
            gone,
        ];
        let index = PodIndex::of(&views);
        let creations = ["a", "b"].map(str::to_owned);
        let deletions = ["old", "gone", "never"].map(str::to_owned);
        let mut scanned = Expectations::default();
        scanned.expect(creations.clone(), deletions.clone(), t0);
        let mut looked_up = scanned.clone();
        assert!(!scanned.satisfied(&views, t0));
        assert!(!looked_up.satisfied_in(Pods::new(&views, &index), t0));
        assert_eq!(scanned, looked_up);
        assert_eq!(
            (scanned.creations.len(), scanned.deletions.len()),
            (1, 1),
            "b not seen yet, old not gone yet"
        );
        let late = t0 + EXPECTATIONS_TIMEOUT + std::time::Duration::from_secs(1);
        assert!(looked_up.satisfied_in(Pods::new(&views, &index), late));
        assert_eq!(looked_up, Expectations::default());
    }

    #[test]
    fn a_creation_is_expected_once_by_name() {
        let t0 = SimTime::from_secs(1);
        let mut e = Expectations::default();
        assert!(e.expect_creation("a", t0));
        assert!(!e.expect_creation("a", t0));
        let mut by_expect = Expectations::default();
        by_expect.expect(["a".to_owned()], [], t0);
        assert_eq!(e, by_expect);
    }

    #[test]
    fn a_refused_creation_leaves_no_timeout() {
        let t0 = SimTime::from_secs(1);
        let mut e = Expectations::default();
        e.expect(["c".to_owned()], [], t0);
        e.creation_refused("c");
        assert_eq!(e.timeout_at(), None);
        assert!(e.satisfied(&[], t0));
    }
}
