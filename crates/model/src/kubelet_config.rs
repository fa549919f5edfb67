//! The kubelet configuration fields that shape image pulling (`serializeImagePulls`,
//! `maxParallelImagePulls`, `registryPullQPS`, `registryBurst`), with the kubelet's
//! defaulting and validation, and the puller and throttle they select.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::pull::{PullThrottle, aggregate_error_text};

/// The pull settings as written in a `KubeletConfiguration` (`kubelet.config.k8s.io/v1beta1`);
/// absent fields are `None` and get the kubelet's defaults from [`KubeletPullConfig::with_defaults`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeletPullConfig {
    /// `serializeImagePulls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serialize_image_pulls: Option<bool>,
    /// `maxParallelImagePulls`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_parallel_image_pulls: Option<i32>,
    /// `registryPullQPS`.
    #[serde(
        default,
        rename = "registryPullQPS",
        skip_serializing_if = "Option::is_none"
    )]
    pub registry_pull_qps: Option<i32>,
    /// `registryBurst`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry_burst: Option<i32>,
}

/// The pull settings after defaulting, as the kubelet runs with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KubeletPullSettings {
    /// One pull at a time (serial puller) or concurrent pulls (parallel puller).
    pub serialize_image_pulls: bool,
    /// Concurrency cap of the parallel puller; `None` is unlimited.
    pub max_parallel_image_pulls: Option<i32>,
    /// Pulls per second allowed by the throttle; 0 disables it.
    #[serde(rename = "registryPullQPS")]
    pub registry_pull_qps: i32,
    /// Pulls the throttle allows at once.
    pub registry_burst: i32,
}

/// Which image puller `NewImageManager` builds (docs/semantics.md §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Puller {
    /// `newSerialImagePuller`: strictly FIFO, one pull at a time, with a queue of
    /// [`Puller::SERIAL_QUEUE_CAPACITY`] requests; the next caller blocks when it is full.
    Serial,
    /// `newParallelImagePuller`: every pull runs at once, up to `max` when set (a blocking
    /// slot whose hand-out order is not guaranteed FIFO).
    Parallel {
        /// `maxParallelImagePulls`, or `None` for no limit.
        max: Option<u32>,
    },
}

impl Puller {
    /// `maxImagePullRequests`: the serial puller's buffered channel capacity.
    pub const SERIAL_QUEUE_CAPACITY: usize = 10;
}

impl KubeletPullConfig {
    /// `SetDefaults_KubeletConfiguration` for these fields
    /// (`pkg/kubelet/apis/config/v1beta1/defaults.go`):
    ///
    /// - `registryPullQPS`: 5 when absent; an explicit 0 stays 0 (no throttle).
    /// - `registryBurst`: 10 when absent *or 0*, because the field is a plain integer whose
    ///   zero value means unset; a throttle with burst 0 cannot be configured.
    /// - `serializeImagePulls`: when absent, `true` unless `maxParallelImagePulls` is set
    ///   to 2 or more, so setting only the parallel cap is enough to go parallel.
    /// - `maxParallelImagePulls`: no default (unlimited when parallel).
    pub fn with_defaults(&self) -> KubeletPullSettings {
        let serialize_default = match self.max_parallel_image_pulls {
            None => true,
            Some(max) => max < 2,
        };
        KubeletPullSettings {
            serialize_image_pulls: self.serialize_image_pulls.unwrap_or(serialize_default),
            max_parallel_image_pulls: self.max_parallel_image_pulls,
            registry_pull_qps: self.registry_pull_qps.unwrap_or(5),
            registry_burst: match self.registry_burst {
                None | Some(0) => 10,
                Some(burst) => burst,
            },
        }
    }
}

impl Default for KubeletPullSettings {
    /// The settings of a kubelet with nothing configured.
    fn default() -> Self {
        KubeletPullConfig::default().with_defaults()
    }
}

/// One pull-related rule of `ValidateKubeletConfiguration`
/// (`pkg/kubelet/apis/config/validation/validation.go`), with the kubelet's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
pub enum KubeletConfigError {
    /// `registryBurst` below zero.
    #[error(
        "invalid configuration: registryBurst (--registry-burst) {0} must not be a negative number"
    )]
    NegativeRegistryBurst(i32),
    /// `registryPullQPS` below zero.
    #[error(
        "invalid configuration: registryPullQPS (--registry-qps) {0} must not be a negative number"
    )]
    NegativeRegistryPullQps(i32),
    /// `maxParallelImagePulls` set below one.
    #[error("invalid configuration: maxParallelImagePulls {0} must be a positive number")]
    MaxParallelImagePullsNotPositive(i32),
    /// `maxParallelImagePulls` above one while pulls are serialized.
    #[error(
        "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false"
    )]
    ParallelLimitWithSerializedPulls,
}

/// Every pull-related validation failure of one configuration, in the kubelet's order;
/// it prints as the kubelet's aggregate (`[e1, e2]` for several).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KubeletConfigInvalid {
    /// The failures, in the order the kubelet checks them.
    pub errors: Vec<KubeletConfigError>,
}

impl fmt::Display for KubeletConfigInvalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        f.write_str(&aggregate_error_text(&messages).unwrap_or_default())
    }
}

impl std::error::Error for KubeletConfigInvalid {}

impl KubeletPullSettings {
    /// The pull-related checks of `ValidateKubeletConfiguration`, in its order. The full
    /// kubelet validation has many more rules; these are the ones about pulling.
    pub fn validate(&self) -> Result<(), KubeletConfigInvalid> {
        let mut errors = Vec::new();
        if self.registry_burst < 0 {
            errors.push(KubeletConfigError::NegativeRegistryBurst(
                self.registry_burst,
            ));
        }
        if self.registry_pull_qps < 0 {
            errors.push(KubeletConfigError::NegativeRegistryPullQps(
                self.registry_pull_qps,
            ));
        }
        if let Some(max) = self.max_parallel_image_pulls {
            if max < 1 {
                errors.push(KubeletConfigError::MaxParallelImagePullsNotPositive(max));
            }
            if self.serialize_image_pulls && max > 1 {
                errors.push(KubeletConfigError::ParallelLimitWithSerializedPulls);
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(KubeletConfigInvalid { errors })
        }
    }

    /// The puller these settings select.
    pub fn puller(&self) -> Puller {
        if self.serialize_image_pulls {
            Puller::Serial
        } else {
            Puller::Parallel {
                max: self
                    .max_parallel_image_pulls
                    .and_then(|max| u32::try_from(max).ok()),
            }
        }
    }

    /// The throttle these settings select (none when `registryPullQPS` is 0).
    pub fn throttle(&self) -> PullThrottle {
        // The kubelet converts the int32 QPS to float32; every int32 in range converts.
        PullThrottle::new(self.registry_pull_qps as f32, self.registry_burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type DefaultRow = (KubeletPullConfig, bool, Option<i32>, i32, i32);

    fn config(
        serialize: Option<bool>,
        max: Option<i32>,
        qps: Option<i32>,
        burst: Option<i32>,
    ) -> KubeletPullConfig {
        KubeletPullConfig {
            serialize_image_pulls: serialize,
            max_parallel_image_pulls: max,
            registry_pull_qps: qps,
            registry_burst: burst,
        }
    }

    fn check_defaults(rows: &[DefaultRow]) {
        for &(written, serialize, max, qps, burst) in rows {
            let got = written.with_defaults();
            let want = KubeletPullSettings {
                serialize_image_pulls: serialize,
                max_parallel_image_pulls: max,
                registry_pull_qps: qps,
                registry_burst: burst,
            };
            assert_eq!(got, want, "{written:?}");
        }
    }

    #[test]
    fn defaulting_follows_v1beta1_defaults() {
        check_defaults(&[
            (config(None, None, None, None), true, None, 5, 10),
            (config(None, Some(1), None, None), true, Some(1), 5, 10),
            (config(None, Some(2), None, None), false, Some(2), 5, 10),
            (config(None, Some(0), None, None), true, Some(0), 5, 10),
            (
                config(Some(true), Some(5), None, None),
                true,
                Some(5),
                5,
                10,
            ),
            (config(Some(false), None, None, None), false, None, 5, 10),
            (config(None, None, Some(0), Some(0)), true, None, 0, 10),
            (config(None, None, Some(20), Some(3)), true, None, 20, 3),
        ]);
    }

    fn check_validate(rows: &[(KubeletPullSettings, Option<&str>)]) {
        for (settings, want) in rows {
            let got = settings.validate().err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), *want, "{settings:?}");
        }
    }

    fn settings(serialize: bool, max: Option<i32>, qps: i32, burst: i32) -> KubeletPullSettings {
        KubeletPullSettings {
            serialize_image_pulls: serialize,
            max_parallel_image_pulls: max,
            registry_pull_qps: qps,
            registry_burst: burst,
        }
    }

    #[test]
    fn validation_messages_are_the_kubelets() {
        check_validate(&[
            (settings(true, None, 5, 10), None),
            (settings(true, Some(1), 5, 10), None),
            (settings(false, Some(4), 0, 10), None),
            (
                settings(false, Some(0), 5, 10),
                Some("invalid configuration: maxParallelImagePulls 0 must be a positive number"),
            ),
            (
                settings(true, Some(3), 5, 10),
                Some(
                    "invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false",
                ),
            ),
            (
                settings(true, Some(-1), 5, 10),
                Some("invalid configuration: maxParallelImagePulls -1 must be a positive number"),
            ),
            (
                settings(true, None, -2, -3),
                Some(
                    "[invalid configuration: registryBurst (--registry-burst) -3 must not be a negative number, invalid configuration: registryPullQPS (--registry-qps) -2 must not be a negative number]",
                ),
            ),
        ]);
    }

    #[test]
    fn settings_select_puller_and_throttle() {
        let rows = [
            (settings(true, None, 5, 10), Puller::Serial, true),
            (
                settings(false, None, 0, 10),
                Puller::Parallel { max: None },
                false,
            ),
            (
                settings(false, Some(3), 5, 10),
                Puller::Parallel { max: Some(3) },
                true,
            ),
        ];
        for (settings, puller, throttled) in rows {
            assert_eq!(settings.puller(), puller, "{settings:?}");
            assert_eq!(settings.throttle().is_limited(), throttled, "{settings:?}");
        }
        assert_eq!(Puller::SERIAL_QUEUE_CAPACITY, 10);
        assert_eq!(KubeletPullSettings::default(), settings(true, None, 5, 10));
    }

    #[test]
    fn config_reads_kubelet_field_names() {
        let written: Result<KubeletPullConfig, _> =
            serde_json::from_str(r#"{"maxParallelImagePulls": 4, "registryPullQPS": 0}"#);
        assert_eq!(
            written.ok().map(|c| c.with_defaults()),
            Some(settings(false, Some(4), 0, 10))
        );
    }
}
