//! Which pods a controller deletes first when it has too many (`controller.ActivePodsWithRanks`
//! in `pkg/controller/controller_utils.go`, as `getPodsToDelete` of the ReplicaSet controller
//! sorts them): unassigned before assigned, Pending before Running, not ready before ready,
//! more pods of the same owner's family on the node first, then ready for less time first
//! and created more recently first, both compared on a log2 scale of their age
//! (`LogarithmicScaleDown`, on by default since 1.22). Not modelled: `pod-deletion-cost`
//! (no annotations) and restart counts (pullsim's containers do not restart). Upstream breaks
//! log-scale ties by UID, a random order; pullsim by name, the same kind of arbitrary but
//! fixed order, so the sort is a total order.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use pullsim_model::SimTime;

use super::{PodView, Pods};

/// `floor(log2(now - t))` in nanoseconds, -1 for none (`logarithmicRankDiff`'s rank).
fn log_rank(now: SimTime, at: SimTime) -> i64 {
    let ns = u64::try_from(now.saturating_since(at).as_nanos()).unwrap_or(u64::MAX);
    if ns == 0 { -1 } else { i64::from(ns.ilog2()) }
}

/// The rank of one candidate with `colocated` active related pods on its node: deletion
/// order is ascending rank (the name last, so the order is total).
type Rank<'a> = (bool, u8, bool, Reverse<u32>, Option<i64>, i64, &'a str);

fn rank(pod: &PodView, colocated: u32, now: SimTime) -> Rank<'_> {
    (
        pod.node.is_some(),
        pod.phase.victim_ordinal(),
        pod.is_ready(),
        Reverse(colocated),
        pod.ready_since.map(|since| log_rank(now, since)),
        log_rank(now, pod.created),
        pod.name.as_str(),
    )
}

/// `candidates` in deletion order. `related` are the pods the colocation rank counts (the
/// owner's and, for a Deployment's ReplicaSet, its siblings'); only active ones count.
pub fn deletion_order<'a>(
    candidates: &[&'a PodView],
    related: &[PodView],
    now: SimTime,
) -> Vec<&'a PodView> {
    let mut on_node: BTreeMap<&str, u32> = BTreeMap::new();
    for pod in related.iter().filter(|p| p.is_active()) {
        if let Some(node) = &pod.node {
            *on_node.entry(node.as_str()).or_default() += 1;
        }
    }
    let mut sorted = candidates.to_vec();
    sorted.sort_by_cached_key(|pod| {
        let pod: &'a PodView = pod;
        let colocated = pod
            .node
            .as_deref()
            .map_or(0, |n| on_node.get(n).copied().unwrap_or(0));
        rank(pod, colocated, now)
    });
    sorted
}

/// The first `count` of [`deletion_order`], for candidates given by their slot in `pods`
/// (every pod of `pods` is related): the colocation counts come from the pods' index, and
/// only the first `count` are sorted, so a sync that deletes a few of thousands of pods
/// ranks each once.
pub fn first_victims<'a>(
    candidates: &[u32],
    pods: Pods<'a>,
    now: SimTime,
    count: usize,
) -> Vec<&'a PodView> {
    let views = pods.views();
    let mut ranked: Vec<Rank<'a>> = candidates
        .iter()
        .map(|&slot| rank(&views[slot as usize], pods.colocated(slot), now))
        .collect();
    if count < ranked.len() {
        if count == 0 {
            return Vec::new();
        }
        ranked.select_nth_unstable(count - 1);
        ranked.truncate(count);
    }
    ranked.sort_unstable();
    ranked
        .into_iter()
        .map(|rank| pods.get(rank.6).expect("a candidate is one of the pods"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::controllers::PodPhase;

    fn pod(
        name: &str,
        node: Option<&str>,
        phase: PodPhase,
        ready: Option<u64>,
        created: u64,
    ) -> PodView {
        PodView {
            name: name.to_owned(),
            owner: "rs".to_owned(),
            revision: "rs".to_owned(),
            phase,
            ready_since: ready.map(SimTime::from_secs),
            node: node.map(str::to_owned),
            created: SimTime::from_secs(created),
            deleting: false,
        }
    }

    #[test]
    fn unscheduled_pending_unready_and_young_pods_go_first() {
        let now = SimTime::from_secs(10_000);
        let pods = vec![
            pod("ready-old", Some("n1"), PodPhase::Running, Some(10), 0),
            pod(
                "ready-young",
                Some("n2"),
                PodPhase::Running,
                Some(9_000),
                8_000,
            ),
            pod("running-unready", Some("n3"), PodPhase::Running, None, 0),
            pod("pending-bound", Some("n4"), PodPhase::Pending, None, 0),
            pod("unscheduled", None, PodPhase::Pending, None, 0),
        ];
        let refs: Vec<&PodView> = pods.iter().collect();
        let order: Vec<&str> = deletion_order(&refs, &pods, now)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        assert_eq!(
            order,
            [
                "unscheduled",
                "pending-bound",
                "running-unready",
                "ready-young",
                "ready-old"
            ]
        );
    }

    #[test]
    fn the_first_victims_from_the_index_are_the_head_of_the_full_order() {
        let now = SimTime::from_secs(10_000);
        let phases = [PodPhase::Pending, PodPhase::Running, PodPhase::Succeeded];
        let mut pods = Vec::new();
        for i in 0..60u64 {
            let node = (i % 7 != 0).then(|| format!("n{}", i % 5));
            let ready = (i % 3 != 0).then_some(i * 97 % 9_000);
            let mut view = pod(
                &format!("p{:02}", (i * 37) % 60),
                node.as_deref(),
                phases[(i % 3) as usize],
                ready,
                i * 131 % 9_500,
            );
            view.owner = if i % 4 == 0 { "other" } else { "rs" }.to_owned();
            view.deleting = i % 11 == 0;
            pods.push(view);
        }
        let index = crate::controllers::PodIndex::of(&pods);
        let indexed = Pods::new(&pods, &index);
        let slots: Vec<u32> = (0..pods.len() as u32)
            .filter(|&s| pods[s as usize].owner == "rs" && pods[s as usize].is_active())
            .collect();
        let refs: Vec<&PodView> = slots.iter().map(|&s| &pods[s as usize]).collect();
        let full: Vec<&str> = deletion_order(&refs, &pods, now)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        for count in [0, 1, 5, refs.len() - 1, refs.len(), refs.len() + 3] {
            let first: Vec<&str> = first_victims(&slots, indexed, now, count)
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            assert_eq!(first, full[..count.min(full.len())], "{count}");
        }
    }

    #[test]
    fn doubled_up_nodes_lose_pods_first_and_close_ages_tie_by_name() {
        let now = SimTime::from_secs(10_000);
        let pods = vec![
            pod("b-alone", Some("n1"), PodPhase::Running, Some(100), 0),
            pod("c-pair", Some("n2"), PodPhase::Running, Some(100), 0),
            pod("a-pair", Some("n2"), PodPhase::Running, Some(101), 0),
        ];
        let refs: Vec<&PodView> = pods.iter().collect();
        let order: Vec<&str> = deletion_order(&refs, &pods, now)
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        // Both n2 pods first; their ready times share a log2 bucket, so the name decides.
        assert_eq!(order, ["a-pair", "c-pair", "b-alone"]);
        assert_eq!(log_rank(now, now), -1);
        assert_eq!(
            log_rank(
                SimTime::from_duration(std::time::Duration::from_nanos(8)),
                SimTime::EPOCH
            ),
            3
        );
    }
}
