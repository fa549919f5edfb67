//! The controllers' work queue rate limiter (client-go `util/workqueue`): a sync that
//! returns an error (a pod creation the API server refused) puts its object back with
//! `AddRateLimited`, after a per-object delay that doubles with each failure in a row; a
//! sync without error calls `Forget`, which resets it.
//!
//! `DefaultTypedControllerRateLimiter` (default_rate_limiters.go), used by the ReplicaSet,
//! Deployment, DaemonSet and StatefulSet controllers, is the max of
//! `NewTypedItemExponentialFailureRateLimiter(5*time.Millisecond, 1000*time.Second)` and a
//! 10 qps / 100 burst token bucket shared by all objects; the bucket is not modelled (it
//! only bites beyond 100 failing syncs in a burst). The Job controller uses the exponential
//! limiter alone, `DefaultJobApiBackOff` = 1 s to `MaxJobApiBackOff` = 1 min
//! (pkg/controller/job/job_controller.go).

use std::time::Duration;

/// `ItemExponentialFailureRateLimiter`'s base and cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureBackoff {
    /// The delay after the first failure.
    pub base: Duration,
    /// The longest delay.
    pub max: Duration,
}

/// `DefaultTypedControllerRateLimiter`'s per-item part: 5 ms doubling to 1000 s.
pub const CONTROLLER_BACKOFF: FailureBackoff = FailureBackoff {
    base: Duration::from_millis(5),
    max: Duration::from_secs(1000),
};

/// The Job controller's queue: `DefaultJobApiBackOff` 1 s doubling to `MaxJobApiBackOff` 1 min.
pub const JOB_API_BACKOFF: FailureBackoff = FailureBackoff {
    base: Duration::from_secs(1),
    max: Duration::from_secs(60),
};

impl FailureBackoff {
    /// `When(item)`: the delay after the failure that follows `failures` earlier ones in a
    /// row (`base * 2^failures`, capped at `max`).
    pub fn delay(self, failures: u32) -> Duration {
        let factor = 1u32.checked_shl(failures).unwrap_or(0);
        if factor == 0 {
            return self.max;
        }
        self.base
            .checked_mul(factor)
            .map_or(self.max, |delay| delay.min(self.max))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_base_up_to_the_cap() {
        let ms = Duration::from_millis;
        let delays: Vec<Duration> = (0..4).map(|n| CONTROLLER_BACKOFF.delay(n)).collect();
        assert_eq!(delays, [ms(5), ms(10), ms(20), ms(40)]);
        // 5 ms * 2^17 = 655.36 s; 2^18 passes 1000 s.
        assert_eq!(CONTROLLER_BACKOFF.delay(17), ms(655_360));
        assert_eq!(CONTROLLER_BACKOFF.delay(18), Duration::from_secs(1000));
        assert_eq!(CONTROLLER_BACKOFF.delay(40), Duration::from_secs(1000));
        assert_eq!(JOB_API_BACKOFF.delay(0), Duration::from_secs(1));
        assert_eq!(JOB_API_BACKOFF.delay(5), Duration::from_secs(32));
        assert_eq!(JOB_API_BACKOFF.delay(6), Duration::from_secs(60));
    }
}
