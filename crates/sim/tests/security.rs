//! The seed's security point (docs/semantics.md §5): with the KEP-2535 gate off, a pod without
//! credentials runs a private image that another tenant's pod pulled onto the node; the
//! `AlwaysPullImages` admission plugin, or a KEP-2535 verification policy, stops it.

mod common;

use common::*;
use pullsim_model::{CredentialVerification, PullPolicy, Secret, SimTime, VerificationPolicy};
use pullsim_sim::{AdmissionConfig, Sim, SimConfig};

const PRIVATE: &str = "registry.example.com/private/app:v1";

enum Guard {
    None,
    AlwaysPullImages,
    Verification(VerificationPolicy),
}

/// Tenant A (with alice's secret) pulls the private image at 0 s; tenant B (no secret) and
/// tenant A's second pod (same secret) ask for it on the same node at 10 s. Returns
/// whether each runs, and how many registry requests tenant B's pod caused.
fn run(guard: Guard) -> (bool, bool, bool, usize) {
    let mut config = SimConfig::default();
    if matches!(guard, Guard::AlwaysPullImages) {
        config.admission = AdmissionConfig {
            always_pull_images: true,
            ..AdmissionConfig::default()
        };
    }
    let mut sim = Sim::new(config);
    sim.add_registry(HOST, registry(Default::default()))
        .unwrap();
    let mut node_pool = pool("node", 1);
    if let Guard::Verification(policy) = guard {
        node_pool.kubelet.ensure_secret_pulled_images = true;
        node_pool.kubelet.verification = CredentialVerification::new(policy);
    }
    sim.add_node_pool(node_pool).unwrap();
    sim.add_secret(
        Secret::parse(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: alice\n  namespace: tenant-a\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry.example.com\": {\"username\": \"alice\", \"password\": \"wonderland\"}}}'\n",
        )
        .unwrap(),
    );
    let in_namespace = |name: &str, namespace: &str, secret: bool| {
        let mut pod = pod(name, PRIVATE, Some(PullPolicy::IfNotPresent));
        pod.namespace = namespace.to_owned();
        if secret {
            pod.spec.image_pull_secrets = vec!["alice".to_owned()];
        }
        pod
    };
    sim.create_pod(SimTime::EPOCH, in_namespace("a", "tenant-a", true));
    sim.run_until(SimTime::from_secs(5)).unwrap();
    let before = requests(&sim).len();
    sim.create_pod(SimTime::from_secs(10), in_namespace("b", "tenant-b", false));
    sim.run_until(SimTime::from_secs(11)).unwrap();
    let by_b = requests(&sim).len() - before;
    sim.create_pod(SimTime::from_secs(20), in_namespace("a2", "tenant-a", true));
    sim.run_until(SimTime::from_secs(25)).unwrap();
    let a = sim.pod_id("tenant-a", "a").unwrap();
    let b = sim.pod_id("tenant-b", "b").unwrap();
    let a2 = sim.pod_id("tenant-a", "a2").unwrap();
    (running(&sim, a), running(&sim, b), running(&sim, a2), by_b)
}

#[test]
fn without_a_guard_another_tenant_runs_the_private_image() {
    assert_eq!(run(Guard::None), (true, true, true, 0));
}

#[test]
fn always_pull_images_makes_every_pod_prove_access() {
    let (a, b, a2, by_b) = run(Guard::AlwaysPullImages);
    assert!(a && a2 && !b);
    assert!(by_b > 0, "tenant B's pod had to ask the registry");
}

#[test]
fn kep_2535_policies_make_pods_without_the_credential_pull() {
    for policy in [
        VerificationPolicy::NeverVerifyPreloadedImages,
        VerificationPolicy::AlwaysVerify,
    ] {
        let (a, b, a2, by_b) = run(Guard::Verification(policy));
        assert!(a && a2, "{policy}: tenant A's pods run");
        assert!(!b, "{policy}: tenant B cannot use the image");
        assert!(by_b > 0, "{policy}: tenant B's pod had to pull");
    }
    assert_eq!(
        run(Guard::Verification(VerificationPolicy::NeverVerify)),
        (true, true, true, 0)
    );
}
