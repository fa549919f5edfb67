//! A controller's pods as its reconciler sees them: the live pods it owns and, side by
//! side, their [`PodView`]s, which a sync is given as one slice. Pods are added when the
//! watch reports them created, updated in place on each change, and removed (the last one
//! moved into the gap) when deleted: every change costs O(1), whatever the pod count.

use crate::controllers::PodView;
use crate::trace::PodId;

/// The live pods of one controller and their views, at the same positions.
#[derive(Debug, Default)]
pub(crate) struct PodList {
    pods: Vec<PodId>,
    views: Vec<PodView>,
}

impl PodList {
    /// The views, for a sync.
    pub(crate) fn views(&self) -> &[PodView] {
        &self.views
    }

    /// The pods, in the views' order.
    pub(crate) fn pods(&self) -> &[PodId] {
        &self.pods
    }

    /// Adds a pod; returns its slot.
    pub(crate) fn push(&mut self, pod: PodId, view: PodView) -> u32 {
        self.pods.push(pod);
        self.views.push(view);
        (self.pods.len() - 1) as u32
    }

    /// The view at `slot`, to update it.
    pub(crate) fn view_mut(&mut self, slot: u32) -> &mut PodView {
        &mut self.views[slot as usize]
    }

    /// Removes the pod at `slot`; returns the pod moved into that slot, if any, whose
    /// owner column must be told its new slot.
    pub(crate) fn remove(&mut self, slot: u32) -> Option<PodId> {
        let slot = slot as usize;
        self.pods.swap_remove(slot);
        self.views.swap_remove(slot);
        self.pods.get(slot).copied()
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
        assert_eq!(list.remove(1), None);
        list.view_mut(0).deleting = true;
        assert!(list.views()[0].deleting);
    }
}
