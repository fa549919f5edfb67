//! Many pulls queued on one node that end at one instant (issue 12 item 16): the puller
//! takes the next request in a loop, so the stack does not grow with the queue. With
//! `Always` on one image, the `registryPullQPS` burst (10) is spent at once and every other
//! queued pull fails synchronously with "pull QPS exceeded", which used to recurse through
//! `pump_puller` and `kubelet_pull_done` once per queued pull.

mod common;

use common::*;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_sim::SimConfig;

/// Far more pods than a small stack allowed before: each queued pull cost a few stack
/// frames (about 1 KiB in a debug build), so 3,000 of them overflowed 1 MiB.
const PODS: u32 = 3_000;
const STACK_BYTES: usize = 1 << 20;

#[test]
fn thousands_of_pulls_failing_at_once_run_in_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(STACK_BYTES)
        .spawn(|| {
            let mut sim = one_node(SimConfig::default());
            for index in 0..PODS {
                sim.create_pod(
                    SimTime::EPOCH,
                    pod(
                        &format!("p-{index}"),
                        "registry.example.com/app:v1",
                        Some(PullPolicy::Always),
                    ),
                );
            }
            sim.run_until(SimTime::from_secs(1)).expect("the run ends");
            sim.metrics()
        })
        .expect("a thread");
    let metrics = handle.join().expect("no panic and no overflow");
    // The burst of ten went to the registry; every other pull was refused by the throttle.
    assert!(metrics.pulls_failed >= u64::from(PODS) - 10, "{metrics:?}");
}
