//! A controller's pods as a sync reads them ([`Pods`]): the views, plus an index
//! ([`PodIndex`]) that answers what a ReplicaSet asks of them on every sync without a pass
//! over thousands of views: whether a pod of a given name exists (expectations, names
//! already taken), and per owner how many pods are active and ready (its status). The
//! simulator's API server keeps the index beside the views and updates it with each change
//! of the watch (O(log n) a change); a caller holding only views builds it with
//! [`PodIndex::of`], and then the answers are the same as a scan of the views.

use std::collections::BTreeMap;

use pullsim_model::SimTime;

use super::PodView;

/// Counts of one owner's pods (a ReplicaSet, or the object itself).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OwnerTally {
    /// Its active pods (`controller.IsPodActive`).
    pub active: u32,
    /// Its active pods that are ready.
    pub ready: u32,
    /// No active ready pod of it became ready after this instant (the latest `ready_since`
    /// counted since its ready count was last zero: an upper bound).
    pub ready_until: Option<SimTime>,
}

impl OwnerTally {
    /// Adds (`add`) or takes away the part `view` contributes.
    fn count(&mut self, view: &PodView, add: bool) {
        if !view.is_active() {
            return;
        }
        if add {
            self.active += 1;
        } else {
            self.active -= 1;
        }
        if let Some(since) = view.ready_since {
            if add {
                self.ready += 1;
                self.ready_until = Some(self.ready_until.map_or(since, |at| at.max(since)));
            } else {
                self.ready -= 1;
                if self.ready == 0 {
                    self.ready_until = None;
                }
            }
        }
    }

    /// The owner's (replicas, ready, available) at `now` when every ready pod is available
    /// (`minReadySeconds` of 0, and none became ready after `now`); `None` otherwise, when
    /// availability must be read from each pod's `ready_since`.
    pub fn status_without_min_ready(&self, now: SimTime) -> Option<(u32, u32, u32)> {
        self.ready_until
            .is_none_or(|at| at <= now)
            .then_some((self.active, self.ready, self.ready))
    }
}

/// The index of one pod list: each pod's position by name, and the tallies by owner.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodIndex {
    by_name: BTreeMap<String, u32>,
    /// A controller's pods have one to a few owners (a Deployment's ReplicaSets).
    owners: Vec<(String, OwnerTally)>,
    active: u32,
}

impl PodIndex {
    /// The index of `views` (names are unique in one controller's pods, as in a namespace).
    pub fn of(views: &[PodView]) -> PodIndex {
        let mut index = PodIndex::default();
        for (slot, view) in views.iter().enumerate() {
            index.insert(view, slot as u32);
        }
        index
    }

    /// A view joined the list at `slot`.
    pub fn insert(&mut self, view: &PodView, slot: u32) {
        let previous = self.by_name.insert(view.name.clone(), slot);
        debug_assert!(previous.is_none(), "pod names are unique: {}", view.name);
        self.count(view, true);
    }

    /// The view at some slot is about to leave the list.
    pub fn remove(&mut self, view: &PodView) {
        self.by_name.remove(view.name.as_str());
        self.count(view, false);
    }

    /// The view named `name` moved to `slot`.
    pub fn moved(&mut self, name: &str, slot: u32) {
        if let Some(at) = self.by_name.get_mut(name) {
            *at = slot;
        }
    }

    /// A view is about to change (`before`: true) or has changed (false) in place, its name
    /// kept: its counts are taken away before and added again after.
    pub fn changing(&mut self, view: &PodView, before: bool) {
        self.count(view, !before);
    }

    fn count(&mut self, view: &PodView, add: bool) {
        if view.is_active() {
            if add {
                self.active += 1;
            } else {
                self.active -= 1;
            }
        }
        let tally = match self.owners.iter().position(|(o, _)| *o == view.owner) {
            Some(i) => &mut self.owners[i].1,
            None => {
                self.owners
                    .push((view.owner.clone(), OwnerTally::default()));
                &mut self.owners.last_mut().expect("just pushed").1
            }
        };
        tally.count(view, add);
    }
}

/// A controller's pod views with their index, as one sync reads them.
#[derive(Debug, Clone, Copy)]
pub struct Pods<'a> {
    views: &'a [PodView],
    index: &'a PodIndex,
}

impl<'a> Pods<'a> {
    /// `views` with their index (kept with them, or [`PodIndex::of`] them).
    pub fn new(views: &'a [PodView], index: &'a PodIndex) -> Self {
        debug_assert_eq!(index.by_name.len(), views.len(), "an index of these views");
        Pods { views, index }
    }

    /// Every view.
    pub fn views(&self) -> &'a [PodView] {
        self.views
    }

    /// The pod named `name`.
    pub fn get(&self, name: &str) -> Option<&'a PodView> {
        let slot = *self.index.by_name.get(name)?;
        self.views.get(slot as usize)
    }

    /// Whether a pod is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.index.by_name.contains_key(name)
    }

    /// The counts of `owner`'s pods.
    pub fn owner(&self, owner: &str) -> OwnerTally {
        self.index
            .owners
            .iter()
            .find(|(o, _)| o == owner)
            .map(|(_, tally)| *tally)
            .unwrap_or_default()
    }

    /// How many pods are active.
    pub fn active(&self) -> u32 {
        self.index.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::PodPhase;

    fn view(name: &str, owner: &str, ready: Option<u64>, deleting: bool) -> PodView {
        let mut view = PodView::pending(name, owner, owner, SimTime::EPOCH);
        if let Some(at) = ready {
            view.phase = PodPhase::Running;
            view.ready_since = Some(SimTime::from_secs(at));
        }
        view.deleting = deleting;
        view
    }

    /// What a scan of `views` says the index should say.
    fn scanned(views: &[PodView], owner: &str) -> (u32, u32) {
        let active: Vec<&PodView> = views
            .iter()
            .filter(|p| p.owner == owner && p.is_active())
            .collect();
        let ready = active.iter().filter(|p| p.is_ready()).count();
        (active.len() as u32, ready as u32)
    }

    #[test]
    fn an_index_kept_through_changes_answers_as_one_built_from_the_views() {
        let mut views = vec![
            view("a-1", "a", None, false),
            view("a-2", "a", Some(5), false),
            view("b-1", "b", Some(7), false),
            view("b-2", "b", Some(9), true),
        ];
        let mut index = PodIndex::of(&views);
        let pods = Pods::new(&views, &index);
        assert_eq!(pods.active(), 3);
        assert_eq!(pods.get("b-2").map(|p| p.deleting), Some(true));
        assert!(pods.contains("a-1") && !pods.contains("c-1"));
        let a = pods.owner("a");
        assert_eq!((a.active, a.ready), scanned(&views, "a"));
        assert_eq!(a.ready_until, Some(SimTime::from_secs(5)));
        assert_eq!(pods.owner("c"), OwnerTally::default());
        assert_eq!(
            pods.owner("b")
                .status_without_min_ready(SimTime::from_secs(7)),
            Some((1, 1, 1))
        );
        assert_eq!(
            pods.owner("b")
                .status_without_min_ready(SimTime::from_secs(6)),
            None
        );

        // a-1 turns ready; a-2 is removed, b-2 moving into its slot.
        index.changing(&views[0], true);
        views[0].ready_since = Some(SimTime::from_secs(11));
        views[0].phase = PodPhase::Running;
        index.changing(&views[0], false);
        index.remove(&views[1]);
        views.swap_remove(1);
        index.moved(&views[1].name, 1);
        assert_eq!(index, PodIndex::of(&views));
        let pods = Pods::new(&views, &index);
        assert_eq!(pods.get("b-2").map(|p| p.name.as_str()), Some("b-2"));
        let a = pods.owner("a");
        assert_eq!((a.active, a.ready), scanned(&views, "a"));
        assert_eq!(a.ready_until, Some(SimTime::from_secs(11)));
        // Its last ready pod gone, the owner's bound is forgotten.
        index.remove(&views[0]);
        views.swap_remove(0);
        index.moved(&views[0].name, 0);
        assert_eq!(Pods::new(&views, &index).owner("a"), OwnerTally::default());
    }
}
