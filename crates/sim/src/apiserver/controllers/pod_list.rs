//! A controller's pods as its reconciler sees them: the live pods it owns and, side by
//! side, their [`PodView`]s, which a sync is given as one slice with their [`PodIndex`]
//! (pods by name, counts by owner). Pods are added when the watch reports them created,
//! updated in place on each change, and removed (the last one moved into the gap) when
//! deleted: every change costs O(log n) at most, whatever the pod count, and so does a sync
//! that only reads counts.

use crate::controllers::{PodIndex, PodView, Pods};
use crate::trace::PodId;

/// The live pods of one controller and their views, at the same positions.
#[derive(Debug, Default)]
pub(crate) struct PodList {
    pods: Vec<PodId>,
    views: Vec<PodView>,
    index: PodIndex,
}

impl PodList {
    /// The views and their index, for a sync.
    pub(crate) fn indexed(&self) -> Pods<'_> {
        Pods::new(&self.views, &self.index)
    }

    /// The views, in the pods' order.
    pub(crate) fn views(&self) -> &[PodView] {
        &self.views
    }

    /// The pods, in the views' order.
    pub(crate) fn pods(&self) -> &[PodId] {
        &self.pods
    }

    /// Adds a pod; returns its slot.
    pub(crate) fn push(&mut self, pod: PodId, view: PodView) -> u32 {
        let slot = self.pods.len() as u32;
        self.index.push(&view);
        self.pods.push(pod);
        self.views.push(view);
        slot
    }

    /// Updates the view at `slot` (never its name).
    pub(crate) fn update(&mut self, slot: u32, update: impl FnOnce(&mut PodView)) {
        let view = &mut self.views[slot as usize];
        self.index.changing(slot, view, true);
        update(view);
        self.index.changing(slot, view, false);
    }

    /// Removes the pod at `slot`; returns the pod moved into that slot, if any, whose
    /// owner column must be told its new slot.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<PodId> {
        let at = slot as usize;
        self.pods.swap_remove(at);
        let removed = self.views.swap_remove(at);
        self.index.swap_remove(slot, &removed, self.views.get(at));
        self.pods.get(at).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pullsim_model::SimTime;

    #[test]
    fn removal_moves_the_last_pod_into_the_gap() {
        let mut list = PodList::default();
        for (i, name) in ["a", "b", "c"].into_iter().enumerate() {
            let slot = list.push(
                PodId(i as u32),
                PodView::pending(name, "o", "r", SimTime::EPOCH),
            );
            assert_eq!(slot, i as u32);
        }
        assert_eq!(list.remove(0), Some(PodId(2)));
        assert_eq!(list.pods(), [PodId(2), PodId(1)]);
        let names: Vec<&str> = list.views().iter().map(|v| v.name.as_str()).collect();
        assert_eq!(names, ["c", "b"]);
        assert_eq!(list.indexed().get("c").map(|v| v.name.as_str()), Some("c"));
        assert_eq!(list.indexed().owner("o").active, 2);
        assert_eq!(list.remove(1), None);
        list.update(0, |view| view.deleting = true);
        assert!(list.views()[0].deleting);
        assert_eq!(list.indexed().active(), 0);
        assert_eq!(list.index, PodIndex::of(&list.views));
    }
}
