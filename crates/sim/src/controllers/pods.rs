//! A controller's pods as a sync reads them ([`Pods`]): the views, plus an index
//! ([`PodIndex`]) that answers what a ReplicaSet asks of them on every sync without a pass
//! over thousands of views: whether a pod of a given name exists (expectations, names
//! already taken), and per owner how many pods are active and ready (its status). The
//! simulator's API server keeps the index beside the views and updates it with each change
//! of the watch (O(log n) a change); a caller holding only views builds it with
//! [`PodIndex::of`], and then the answers are the same as a scan of the views.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

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

/// FNV-1a of a pod's name: fixed, so the same on every machine (the index is searched by
/// it, never iterated in an order that matters).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Slots by name hash: one slot per hash in a map (one walk down it a lookup), and the
/// rare second pod whose name has the same hash in a list beside it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct NameSlots {
    first: BTreeMap<u64, u32>,
    more: Vec<(u64, u32)>,
}

impl NameSlots {
    fn len(&self) -> usize {
        self.first.len() + self.more.len()
    }

    fn insert(&mut self, hash: u64, slot: u32) {
        match self.first.entry(hash) {
            Entry::Vacant(entry) => {
                entry.insert(slot);
            }
            Entry::Occupied(_) => self.more.push((hash, slot)),
        }
    }

    fn remove(&mut self, hash: u64, slot: u32) {
        if self.first.get(&hash) == Some(&slot) {
            match self.more.iter().position(|(h, _)| *h == hash) {
                Some(at) => {
                    let (_, other) = self.more.swap_remove(at);
                    self.first.insert(hash, other);
                }
                None => {
                    self.first.remove(&hash);
                }
            }
        } else if let Some(at) = self.more.iter().position(|e| *e == (hash, slot)) {
            self.more.swap_remove(at);
        }
    }

    fn moved(&mut self, hash: u64, from: u32, to: u32) {
        if let Some(at) = self.first.get_mut(&hash)
            && *at == from
        {
            *at = to;
        } else if let Some(entry) = self.more.iter_mut().find(|e| **e == (hash, from)) {
            entry.1 = to;
        }
    }

    /// The slots of the names with this hash.
    fn candidates(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let more = self.more.iter().filter(move |(h, _)| *h == hash);
        (self.first.get(&hash).copied().into_iter()).chain(more.map(|(_, slot)| *slot))
    }
}

/// No node (`PodIndex::slot_node` of an unbound pod).
const NO_NODE: u32 = u32::MAX;

/// The index of one pod list (appended to, and swap-removed from, as the API server's
/// list is): each pod's position by name, the tallies by owner, and the active pods on
/// each node (the victims' colocation rank).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodIndex {
    /// Each pod's slot by a hash of its name (`name_hash`; a hit is confirmed against the
    /// view's name), so the index holds no copy of the names and compares integers.
    by_name: NameSlots,
    /// A controller's pods have one to a few owners (a Deployment's ReplicaSets).
    owners: Vec<(String, OwnerTally)>,
    active: u32,
    /// Node names seen, by key.
    node_keys: BTreeMap<String, u32>,
    node_names: Vec<String>,
    /// Active pods on each node, by key.
    on_node: Vec<u32>,
    /// Each slot's node key (`NO_NODE` while unbound), as its view was last counted.
    slot_node: Vec<u32>,
    /// Each slot's position in `owners`, as its view was last counted.
    slot_owner: Vec<u32>,
}

impl PodIndex {
    /// The index of `views` (names are unique in one controller's pods, as in a namespace).
    pub fn of(views: &[PodView]) -> PodIndex {
        let mut index = PodIndex::default();
        for view in views {
            index.push(view);
        }
        index
    }

    /// A view joined the list, at its end.
    pub fn push(&mut self, view: &PodView) {
        let slot = self.slot_node.len() as u32;
        self.by_name.insert(name_hash(&view.name), slot);
        self.slot_node.push(NO_NODE);
        self.slot_owner.push(0);
        self.count(slot, view, true);
    }

    /// The view `removed` at `slot` left the list and the last one, `moved` (none when
    /// `removed` was the last), took its slot.
    pub fn swap_remove(&mut self, slot: u32, removed: &PodView, moved: Option<&PodView>) {
        self.count(slot, removed, false);
        let last = self.slot_node.len() as u32 - 1;
        self.by_name.remove(name_hash(&removed.name), slot);
        self.slot_node.swap_remove(slot as usize);
        self.slot_owner.swap_remove(slot as usize);
        if let Some(moved) = moved {
            self.by_name.moved(name_hash(&moved.name), last, slot);
        }
    }

    /// The view at `slot` is about to change (`before`: true) or has changed (false) in
    /// place, its name kept: its counts are taken away before and added again after. A view
    /// changes only between the two calls, so its counts are taken away under the owner and
    /// node they were added under (no name compared); adding looks them up again, a compare
    /// each when they did not change.
    pub fn changing(&mut self, slot: u32, view: &PodView, before: bool) {
        self.count(slot, view, !before);
    }

    /// The key of the node a view at `slot` is on, interned on first sight.
    fn node_key(&mut self, slot: u32, node: &str) -> u32 {
        let kept = self.slot_node[slot as usize];
        if kept != NO_NODE && self.node_names[kept as usize] == node {
            return kept;
        }
        let key = match self.node_keys.get(node) {
            Some(key) => *key,
            None => {
                let key = self.node_names.len() as u32;
                self.node_keys.insert(node.to_owned(), key);
                self.node_names.push(node.to_owned());
                self.on_node.push(0);
                key
            }
        };
        self.slot_node[slot as usize] = key;
        key
    }

    /// The position of `owner` in `owners` for the view at `slot`, added when new.
    fn owner_key(&mut self, slot: u32, owner: &str) -> u32 {
        let kept = self.slot_owner[slot as usize];
        if self
            .owners
            .get(kept as usize)
            .is_some_and(|(o, _)| o == owner)
        {
            return kept;
        }
        let key = match self.owners.iter().position(|(o, _)| o == owner) {
            Some(at) => at as u32,
            None => {
                self.owners.push((owner.to_owned(), OwnerTally::default()));
                (self.owners.len() - 1) as u32
            }
        };
        self.slot_owner[slot as usize] = key;
        key
    }

    fn count(&mut self, slot: u32, view: &PodView, add: bool) {
        if view.is_active() {
            if add {
                self.active += 1;
            } else {
                self.active -= 1;
            }
            if let Some(node) = &view.node {
                if add {
                    let key = self.node_key(slot, node) as usize;
                    self.on_node[key] += 1;
                } else {
                    let key = self.slot_node[slot as usize] as usize;
                    self.on_node[key] -= 1;
                }
            }
        }
        let owner = if add {
            self.owner_key(slot, &view.owner)
        } else {
            self.slot_owner[slot as usize]
        };
        self.owners[owner as usize].1.count(view, add);
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
        let slot = self.slot(name)?;
        self.views.get(slot as usize)
    }

    /// Whether a pod is named `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.slot(name).is_some()
    }

    /// The slot of the pod named `name`.
    pub fn slot(&self, name: &str) -> Option<u32> {
        self.index
            .by_name
            .candidates(name_hash(name))
            .find(|slot| self.views[*slot as usize].name == name)
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

    /// The slots of `owner`'s active pods, in slot order, found by the owner each view was
    /// counted under (no name compared per view).
    pub fn active_slots_of(&self, owner: &str) -> Vec<u32> {
        let Some(key) = self.index.owners.iter().position(|(o, _)| o == owner) else {
            return Vec::new();
        };
        let key = key as u32;
        (self.index.slot_owner.iter().enumerate())
            .filter(|(slot, of)| **of == key && self.views[*slot].is_active())
            .map(|(slot, _)| slot as u32)
            .collect()
    }

    /// How many pods are active.
    pub fn active(&self) -> u32 {
        self.index.active
    }

    /// How many active pods are on the node of the pod at `slot` (0 while it is unbound).
    pub fn colocated(&self, slot: u32) -> u32 {
        match self.index.slot_node.get(slot as usize) {
            Some(&key) if key != NO_NODE && self.views[slot as usize].node.is_some() => {
                self.index.on_node[key as usize]
            }
            _ => 0,
        }
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
        assert_eq!(pods.slot("b-1"), Some(2));
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
        index.changing(0, &views[0], true);
        views[0].ready_since = Some(SimTime::from_secs(11));
        views[0].phase = PodPhase::Running;
        views[0].node = Some("n1".to_owned());
        index.changing(0, &views[0], false);
        let removed = views.swap_remove(1);
        index.swap_remove(1, &removed, views.get(1));
        assert_eq!(index.by_name, PodIndex::of(&views).by_name);
        assert_eq!(index.slot_node.len(), views.len());
        let pods = Pods::new(&views, &index);
        assert_eq!(pods.get("b-2").map(|p| p.name.as_str()), Some("b-2"));
        let a = pods.owner("a");
        assert_eq!((a.active, a.ready), scanned(&views, "a"));
        assert_eq!(a.ready_until, Some(SimTime::from_secs(11)));
        for owner in ["a", "b", "c"] {
            let slots: Vec<u32> = (0..views.len() as u32)
                .filter(|s| views[*s as usize].owner == owner && views[*s as usize].is_active())
                .collect();
            assert_eq!(pods.active_slots_of(owner), slots, "{owner}");
        }
        // Its last ready pod gone, the owner's bound is forgotten.
        let removed = views.swap_remove(0);
        index.swap_remove(0, &removed, views.first());
        assert_eq!(Pods::new(&views, &index).owner("a"), OwnerTally::default());
        assert_eq!(index.by_name, PodIndex::of(&views).by_name);
    }

    #[test]
    fn names_of_the_same_hash_keep_their_own_slots() {
        let mut slots = NameSlots::default();
        slots.insert(7, 0);
        slots.insert(7, 1);
        slots.insert(9, 2);
        assert_eq!(slots.candidates(7).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(slots.len(), 3);
        slots.remove(7, 0);
        assert_eq!(slots.candidates(7).collect::<Vec<_>>(), [1]);
        slots.moved(7, 1, 5);
        slots.moved(9, 2, 0);
        assert_eq!(slots.candidates(7).collect::<Vec<_>>(), [5]);
        assert_eq!(slots.candidates(9).collect::<Vec<_>>(), [0]);
        slots.insert(7, 6);
        slots.remove(7, 6);
        slots.remove(7, 5);
        assert_eq!(slots.candidates(7).count(), 0);
        assert_eq!(slots.len(), 1);
    }

    #[test]
    fn colocation_counts_the_active_pods_on_each_node() {
        let mut views = vec![
            view("a-1", "a", Some(1), false),
            view("a-2", "a", Some(1), false),
            view("b-1", "b", Some(1), false),
            view("b-2", "b", None, true),
        ];
        for (view, node) in views.iter_mut().zip(["n1", "n1", "n2", "n2"]) {
            view.node = Some(node.to_owned());
        }
        views.push(view("c-1", "c", None, false));
        let mut index = PodIndex::of(&views);
        let counts = |views: &[PodView], index: &PodIndex| -> Vec<u32> {
            let pods = Pods::new(views, index);
            (0..views.len() as u32).map(|s| pods.colocated(s)).collect()
        };
        // b-2 is being deleted: not counted, though on n2 (and not a victim: 0); c-1 is unbound.
        assert_eq!(counts(&views, &index), [2, 2, 1, 0, 0]);
        // c-1 bound to n2; a-1 deleted (a-2 moves nowhere: c-1 takes its slot).
        index.changing(4, &views[4], true);
        views[4].node = Some("n2".to_owned());
        index.changing(4, &views[4], false);
        assert_eq!(counts(&views, &index), [2, 2, 2, 0, 2]);
        let removed = views.swap_remove(0);
        index.swap_remove(0, &removed, views.first());
        assert_eq!(counts(&views, &index), [2, 1, 2, 0]);
        assert_eq!(
            counts(&views, &index),
            counts(&views, &PodIndex::of(&views))
        );
    }
}
