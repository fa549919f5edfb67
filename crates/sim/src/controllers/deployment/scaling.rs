//! A Deployment's scaling sync (`sync.go` `isScalingEvent`, `scale`;
//! `deployment_util.go` `FindActiveOrLatest`, `IsSaturated`, `GetReplicaSetProportion`):
//! when `replicas` changed since a ReplicaSet was last scaled, the sync only resizes. The one
//! active ReplicaSet (or the newest, when none is) goes to `replicas`; a saturated new one
//! leaves the old ones at 0; otherwise, for a rolling Deployment, `replicas + maxSurge` less
//! the pods of every active ReplicaSet is shared out in proportion to each one's size
//! against the `max-replicas` it was last scaled for, largest first (newer first when
//! growing, older first when shrinking), the rounding's leftover going to the first.

use std::cmp::Reverse;

use pullsim_model::controllers::deployment as rules;

use super::{ControllerAction, Deployment, DeploymentStrategy};

impl Deployment {
    /// `isScalingEvent`: an active ReplicaSet was last scaled for another `replicas`.
    pub(super) fn is_scaling_event(&self) -> bool {
        self.revisions.iter().any(|r| {
            r.replica_set.replicas() > 0 && r.desired.is_some_and(|d| d != self.spec.replicas)
        })
    }

    /// `scale`.
    pub(super) fn scale_to_replicas(&mut self, actions: &mut Vec<ControllerAction>) {
        let replicas = self.spec.replicas;
        let new = self.new_index();
        let active: Vec<usize> = (0..self.revisions.len())
            .filter(|&i| self.revisions[i].replica_set.replicas() > 0)
            .collect();
        let active_or_latest = match active.as_slice() {
            [] => new.or(self.revisions.len().checked_sub(1)),
            [one] => Some(*one),
            _ => None,
        };
        if let Some(index) = active_or_latest {
            self.scale_as(index, replicas, None, actions);
            return;
        }
        if let Some(index) = new {
            let r = &self.revisions[index];
            let saturated = r.replica_set.replicas() == replicas
                && r.desired == Some(replicas)
                && r.replica_set.status().available == replicas;
            if saturated {
                for i in active.into_iter().filter(|&i| i != index) {
                    self.scale(i, 0, actions);
                }
                return;
            }
        }
        if self.spec.strategy == DeploymentStrategy::Recreate {
            return;
        }
        let (surge, _) = self.surge_and_unavailable();
        let max_now = if replicas > 0 { replicas + surge } else { 0 };
        let total: u32 = active
            .iter()
            .map(|&i| self.revisions[i].replica_set.replicas())
            .sum();
        let to_add = i64::from(max_now) - i64::from(total);
        let mut order = active;
        let size = |d: &Deployment, i: usize| d.revisions[i].replica_set.replicas();
        if to_add > 0 {
            order.sort_by_key(|&i| (Reverse(size(self, i)), Reverse(i)));
        } else {
            order.sort_by_key(|&i| (Reverse(size(self, i)), i));
        }
        let mut added = 0i64;
        let mut sizes = Vec::with_capacity(order.len());
        for &i in &order {
            let current = i64::from(size(self, i));
            let proportion = self.proportion(i, max_now, to_add, added);
            sizes.push((i, current + proportion));
            added += proportion;
        }
        let direction = if to_add > 0 { "up" } else { "down" };
        for (k, (i, mut target)) in sizes.into_iter().enumerate() {
            if k == 0 && to_add != 0 {
                target = (target + to_add - added).max(0);
            }
            let target = u32::try_from(target).unwrap_or(u32::MAX);
            self.scale_as(i, target, Some(direction), actions);
        }
    }

    /// `GetReplicaSetProportion`: ReplicaSet `index`'s share, never past what is left.
    fn proportion(&self, index: usize, max_now: u32, to_add: i64, added: i64) -> i64 {
        let r = &self.revisions[index];
        let size = r.replica_set.replicas();
        if size == 0 || to_add == 0 || to_add == added {
            return 0;
        }
        let max_before = r.max.filter(|&m| m > 0).unwrap_or(self.status.replicas);
        let fraction = rules::replica_set_fraction(size, self.spec.replicas, max_now, max_before);
        let allowed = to_add - added;
        if to_add > 0 {
            fraction.min(allowed)
        } else {
            fraction.max(allowed)
        }
    }
}
