//! The scheduler's `ImageLocality` score (docs/semantics.md §10.9): nodes that already hold a
//! pod's images are preferred, each image weighted by its size and by how far it has spread
//! (`pkg/scheduler/framework/plugins/imagelocality/image_locality.go`), and the score pullsim
//! adds it to: the node's share of free pod slots, standing in for the resource scores of a
//! pod without requests.
//!
//! - Each container's image (init containers included) is looked up among the node's image
//!   names after `normalizedImageName` (`:latest` appended when the name has no tag), so, as
//!   upstream's TODO says, `nginx` in a pod spec never matches the node's
//!   `docker.io/library/nginx:latest`.
//! - An image present counts `size * nodes_holding_it / total_nodes` (the "spread", against
//!   node heating); the sum is clamped to `[23 MiB, 1000 MiB * containers]` and mapped onto
//!   `0..=100` with integer division.

use std::borrow::Cow;

/// One mebibyte (`mb` in the plugin).
pub const MB: i64 = 1024 * 1024;
/// `minThreshold`: a sum below it scores 0.
pub const MIN_THRESHOLD: i64 = 23 * MB;
/// `maxContainerThreshold`: the sum that scores 100, per container.
pub const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;
/// `framework.MaxNodeScore`.
pub const MAX_NODE_SCORE: i64 = 100;
/// The kubelet's default `maxPods`: the pod slots of the free-slots score.
pub const DEFAULT_MAX_PODS: i64 = 110;

/// `normalizedImageName`: the name with `:latest` when it has no tag (its last `:` is not
/// after its last `/`; a digest's `sha256:` counts as one).
pub fn normalized_image_name(name: &str) -> Cow<'_, str> {
    let colon = name.rfind(':');
    let slash = name.rfind('/');
    let has_tag = match (colon, slash) {
        (Some(colon), Some(slash)) => colon > slash,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if has_tag {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(format!("{name}:latest"))
    }
}

/// `scaledImageScore`: an image's size scaled by the fraction of nodes holding it (Go's
/// `int64(float64(size) * spread)`).
pub fn scaled_image_score(size: i64, nodes_holding: usize, total_nodes: usize) -> i64 {
    if total_nodes == 0 {
        return 0;
    }
    let spread = nodes_holding as f64 / total_nodes as f64;
    (size as f64 * spread) as i64
}

/// `calculatePriority`: the sum of scaled scores of a pod's `containers` images on one node,
/// clamped and mapped onto `0..=100`.
pub fn calculate_priority(sum: i64, containers: usize) -> i64 {
    let max = MAX_CONTAINER_THRESHOLD * i64::try_from(containers.max(1)).unwrap_or(i64::MAX);
    let clamped = sum.clamp(MIN_THRESHOLD, max);
    MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) / (max - MIN_THRESHOLD)
}

/// The free-slots score pullsim adds to `ImageLocality`: `100 * (maxPods - pods) / maxPods`,
/// never below 0. It falls as a node fills, so without images anywhere the highest total is
/// the node with the fewest pods (ties broken by fewer pods, then creation order).
pub fn free_slots_score(pods: u32) -> i64 {
    let free = (DEFAULT_MAX_PODS - i64::from(pods)).max(0);
    MAX_NODE_SCORE * free / DEFAULT_MAX_PODS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_without_a_tag_get_latest() {
        assert_eq!(normalized_image_name("nginx"), "nginx:latest");
        assert_eq!(normalized_image_name("nginx:1.25"), "nginx:1.25");
        assert_eq!(
            normalized_image_name("localhost:5000/app"),
            "localhost:5000/app:latest"
        );
        assert_eq!(
            normalized_image_name("registry.example.com/app@sha256:abcd"),
            "registry.example.com/app@sha256:abcd"
        );
    }

    #[test]
    fn the_priority_is_clamped_and_scaled_as_upstream_computes_it() {
        // A 500 MiB image on every one of 10 nodes, one container: (500-23)/(1000-23) of 100.
        let sum = scaled_image_score(500 * MB, 10, 10);
        assert_eq!(calculate_priority(sum, 1), 48);
        // On 1 of 10 nodes it counts a tenth: 50 MiB -> 2.
        assert_eq!(
            calculate_priority(scaled_image_score(500 * MB, 1, 10), 1),
            2
        );
        // Below the threshold: 0; far above: 100; with two containers the ceiling doubles.
        assert_eq!(calculate_priority(10 * MB, 1), 0);
        assert_eq!(calculate_priority(5000 * MB, 1), 100);
        assert_eq!(calculate_priority(1000 * MB, 2), 49);
        assert_eq!(scaled_image_score(MB, 1, 0), 0);
    }

    #[test]
    fn free_slots_fall_as_a_node_fills_and_never_go_negative() {
        assert_eq!(free_slots_score(0), 100);
        assert_eq!(free_slots_score(1), 99);
        assert_eq!(free_slots_score(110), 0);
        assert_eq!(free_slots_score(500), 0);
        let scores: Vec<i64> = (0..=120).map(free_slots_score).collect();
        assert!(scores.windows(2).all(|pair| pair[0] >= pair[1]));
    }
}
