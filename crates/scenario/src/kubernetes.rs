//! `kubernetes:`: the Kubernetes and containerd behaviour that differs between releases
//! (docs/semantics.md §8), the feature gates that change pulling, and the pod worker's
//! fixed delays.

use pullsim_model::{KubeletBehavior, PlatformsVersion};
use pullsim_sim::WorkerJitter;

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, boolean, duration, number, text};
use crate::registries::one;
use crate::suggest::{unknown_field_message, unknown_value_message};
use crate::tree::Node;

/// Kubernetes and containerd behaviour where releases differ (docs/semantics.md §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kubernetes {
    /// The image manager's version-dependent strings; mainline by default.
    pub behavior: KubeletBehavior,
    /// The `KubeletEnsureSecretPulledImages` feature gate (KEP-2535); on by default, as in
    /// 1.35 where it is beta.
    pub ensure_secret_pulled_images: bool,
    /// Which containerd/platforms release chooses from an index; v0.2 by default.
    pub platforms: PlatformsVersion,
    /// Whether `preloadedImagesVerificationAllowlist` matching normalises the image first
    /// (mainline, the default) or compares the raw string (older releases).
    pub allowlist_normalizes: bool,
    /// containerd's `max_concurrent_downloads`: layers of one pull fetched at once (3, the
    /// CRI default).
    pub max_concurrent_downloads: u32,
    /// The pod worker's requeue delays: `Seeded` draws them as the kubelet does (10 s and
    /// 1 m with jitter, from the seed); fixed delays reproduce a worked example to the
    /// second.
    pub pod_worker: WorkerJitter,
}

impl Default for Kubernetes {
    fn default() -> Kubernetes {
        Kubernetes {
            behavior: KubeletBehavior::MAINLINE,
            ensure_secret_pulled_images: true,
            platforms: PlatformsVersion::V0_2,
            allowlist_normalizes: true,
            max_concurrent_downloads: 3,
            pod_worker: WorkerJitter::Seeded,
        }
    }
}

pub(crate) fn read_kubernetes(node: &Node, diagnostics: &mut Diagnostics) -> Option<Kubernetes> {
    let mut fields = Fields::of(node, "the kubernetes block", diagnostics)?;
    let defaults = Kubernetes::default();
    let behavior = fields
        .get("behavior")
        .map_or(Some(defaults.behavior), |n| match n.scalar() {
            Some("mainline") => Some(KubeletBehavior::MAINLINE),
            Some("legacy") => Some(KubeletBehavior::LEGACY),
            Some(other) => {
                diagnostics.error(
                    n.position,
                    unknown_value_message(
                        "behavior",
                        other,
                        &["mainline", "legacy", "a mapping of switches"],
                    ),
                );
                None
            }
            None => one::<KubeletBehavior>(n, diagnostics),
        });
    let gate = fields
        .get("featureGates")
        .map_or(Some(defaults.ensure_secret_pulled_images), |n| {
            read_feature_gates(n, defaults.ensure_secret_pulled_images, diagnostics)
        });
    let platforms = fields
        .get("platforms")
        .map_or(Some(defaults.platforms), |n| {
            match text(n, diagnostics).as_deref() {
                Some("v0.2") => Some(PlatformsVersion::V0_2),
                Some("v1") => Some(PlatformsVersion::V1),
                Some(other) => {
                    diagnostics.error(
                        n.position,
                        unknown_value_message(
                            "containerd/platforms release",
                            other,
                            &["v0.2", "v1"],
                        ),
                    );
                    None
                }
                None => None,
            }
        });
    let normalizes = fields
        .get("allowlistNormalizes")
        .map_or(Some(defaults.allowlist_normalizes), |n| {
            boolean(n, diagnostics)
        });
    let downloads =
        fields
            .get("maxConcurrentDownloads")
            .map_or(Some(defaults.max_concurrent_downloads), |n| {
                number::<u32>(n, diagnostics).filter(|count| {
                    let positive = *count > 0;
                    if !positive {
                        diagnostics.error(n.position, "maxConcurrentDownloads must be at least 1");
                    }
                    positive
                })
            });
    let pod_worker = match fields.get("podWorker") {
        None => Some(WorkerJitter::Seeded),
        Some(n) => read_pod_worker(n, diagnostics),
    };
    fields.finish(diagnostics);
    Some(Kubernetes {
        behavior: behavior?,
        ensure_secret_pulled_images: gate?,
        platforms: platforms?,
        allowlist_normalizes: normalizes?,
        max_concurrent_downloads: downloads?,
        pod_worker: pod_worker?,
    })
}

/// `podWorker: {errorRequeue: 10s, resync: 1m}`: fixed delays instead of the seeded jitter.
fn read_pod_worker(node: &Node, diagnostics: &mut Diagnostics) -> Option<WorkerJitter> {
    let mut fields = Fields::of(node, "fixed pod worker delays", diagnostics)?;
    let error_requeue = fields
        .require("errorRequeue", diagnostics)
        .and_then(|n| duration(n, diagnostics));
    let resync = fields
        .require("resync", diagnostics)
        .and_then(|n| duration(n, diagnostics));
    fields.finish(diagnostics);
    Some(WorkerJitter::Fixed {
        error_requeue: error_requeue?,
        resync: resync?,
    })
}

/// The gates that change pulling; only `KubeletEnsureSecretPulledImages` exists so far.
const FEATURE_GATES: [&str; 1] = ["KubeletEnsureSecretPulledImages"];

fn read_feature_gates(node: &Node, default: bool, diagnostics: &mut Diagnostics) -> Option<bool> {
    let Some(entries) = node.entries() else {
        diagnostics.error(
            node.position,
            format!(
                "expected feature gates (a mapping), found {}",
                node.describe()
            ),
        );
        return None;
    };
    let mut gate = Some(default);
    for entry in entries {
        if entry.key == FEATURE_GATES[0] {
            gate = boolean(&entry.value, diagnostics);
        } else {
            diagnostics.error(
                entry.key_position,
                unknown_field_message(&entry.key, &FEATURE_GATES),
            );
        }
    }
    gate
}
