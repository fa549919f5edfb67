//! The kubelet's `registryPullQPS`/`registryBurst` throttle: client-go's token bucket
//! (`golang.org/x/time/rate`) checked without waiting, on virtual time.

use crate::time::SimTime;

/// The pull throttle of `throttleImagePulling` (docs/semantics.md §3.1;
/// `pkg/kubelet/images/helpers.go`, `k8s.io/client-go/util/flowcontrol/throttle.go`,
/// `golang.org/x/time/rate/rate.go`).
///
/// - `qps == 0` means no throttle at all: every pull is accepted.
/// - Otherwise a token bucket `NewTokenBucketRateLimiter(qps, burst)`: it starts full with
///   `burst` tokens, refills continuously at `qps` tokens per second (fractional tokens
///   count), never holds more than `burst`, and [`PullThrottle::try_accept`] takes one
///   token if a whole one is there right now (Go's `AllowN(now, 1)`). A refusal changes
///   nothing, so tokens keep accruing from the last accepted pull.
/// - Arithmetic is Go's, in `f64`: elapsed time converts to seconds as whole seconds plus
///   nanoseconds / 1e9, and the wait for a missing fraction is truncated to whole
///   nanoseconds, so a deficit under a nanosecond's worth of tokens is still accepted.
/// - `burst <= 0` with `qps > 0` refuses everything; a negative `qps` (rejected by kubelet
///   validation) refuses everything too, as `x/time/rate` does.
///
/// The throttle wraps the image service the puller calls, so a pull is checked when the
/// puller starts it (after the serial queue or a parallel slot), not when the pod syncs.
/// A refusal is an ordinary failed pull whose error text is
/// [`crate::pull::KubeletBehavior::pull_qps_exceeded_text`]: `ErrImagePull`, back-off advanced.
#[derive(Debug, Clone, PartialEq)]
pub struct PullThrottle {
    bucket: Option<TokenBucket>,
}

/// `rate.Limiter` state: `last` is `None` until the first accepted event, standing for
/// Go's zero `time.Time`, which is so far in the past that the bucket reads as full.
#[derive(Debug, Clone, PartialEq)]
struct TokenBucket {
    limit: f64,
    burst: i64,
    tokens: f64,
    last: Option<SimTime>,
}

/// `time.Duration(1<<63 - 1)`, Go's `InfDuration`, in nanoseconds.
const INF_DURATION_NS: i64 = i64::MAX;

impl PullThrottle {
    /// The throttle for `registryPullQPS` and `registryBurst`; the kubelet passes the QPS
    /// as a `float32`, so it is taken as one here.
    pub fn new(qps: f32, burst: i32) -> PullThrottle {
        if qps == 0.0 {
            return PullThrottle::unlimited();
        }
        PullThrottle {
            bucket: Some(TokenBucket {
                limit: f64::from(qps),
                burst: i64::from(burst),
                tokens: 0.0,
                last: None,
            }),
        }
    }

    /// No throttle (`registryPullQPS: 0`).
    pub fn unlimited() -> PullThrottle {
        PullThrottle { bucket: None }
    }

    /// Whether pulls are rate limited at all.
    pub fn is_limited(&self) -> bool {
        self.bucket.is_some()
    }

    /// `TryAccept()` at `now`: true (and one token spent) if a pull may start now.
    pub fn try_accept(&mut self, now: SimTime) -> bool {
        match &mut self.bucket {
            None => true,
            Some(bucket) => bucket.allow(now),
        }
    }
}

impl TokenBucket {
    /// `reserveN(now, 1, 0).ok`, updating the state only when the event is allowed.
    fn allow(&mut self, now: SimTime) -> bool {
        let tokens = self.advance(now) - 1.0;
        let wait_ns = if tokens < 0.0 {
            duration_from_tokens(self.limit, -tokens)
        } else {
            0
        };
        let ok = 1 <= self.burst && wait_ns <= 0;
        if ok {
            self.last = Some(now);
            self.tokens = tokens;
        }
        ok
    }

    /// Go's `advance`: the token count at `now`, capped at `burst`.
    fn advance(&self, now: SimTime) -> f64 {
        let elapsed_ns = match self.last {
            // Go's zero Time is ~2000 years back; `Sub` saturates at the maximum Duration.
            None => i64::MAX,
            Some(last) => i64::try_from(now.saturating_since(last).as_nanos()).unwrap_or(i64::MAX),
        };
        let mut tokens = self.tokens + tokens_from_duration(self.limit, elapsed_ns);
        // Written as Go writes it, so a NaN limit behaves as in Go.
        let burst = self.burst as f64;
        if tokens > burst {
            tokens = burst;
        }
        tokens
    }
}

/// Go's `Limit.tokensFromDuration`: `d.Seconds() * limit`, zero for a non-positive limit.
fn tokens_from_duration(limit: f64, elapsed_ns: i64) -> f64 {
    if limit <= 0.0 {
        return 0.0;
    }
    let seconds = (elapsed_ns / 1_000_000_000) as f64 + (elapsed_ns % 1_000_000_000) as f64 / 1e9;
    seconds * limit
}

/// Go's `Limit.durationFromTokens`, in nanoseconds: truncated toward zero, infinite for a
/// non-positive limit or an overflow.
fn duration_from_tokens(limit: f64, tokens: f64) -> i64 {
    if limit <= 0.0 {
        return INF_DURATION_NS;
    }
    let duration_ns = (tokens / limit) * 1e9;
    if duration_ns > i64::MAX as f64 {
        return INF_DURATION_NS;
    }
    duration_ns as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One step of a throttle script: the time in milliseconds, how many pulls try to start
    /// then, and how many of them the throttle accepts.
    type Step = (u64, u32, u32);

    fn check(qps: f32, burst: i32, script: &[Step]) {
        let mut throttle = PullThrottle::new(qps, burst);
        for &(at_ms, attempts, want_accepted) in script {
            let now = SimTime::from_millis(at_ms);
            let accepted = (0..attempts).filter(|_| throttle.try_accept(now)).count();
            assert_eq!(
                accepted, want_accepted as usize,
                "qps={qps} burst={burst} at {at_ms} ms"
            );
        }
    }

    #[test]
    fn kubelet_default_five_per_second_burst_ten() {
        check(
            5.0,
            10,
            &[
                // Starts full: ten at once, the eleventh refused.
                (0, 11, 10),
                // Half a token after 100 ms is not enough, and the refusal costs nothing.
                (100, 1, 0),
                (200, 2, 1),
                // 1 s later: five more tokens.
                (1_200, 6, 5),
                // A long pause refills to the burst, never beyond.
                (60_000, 12, 10),
            ],
        );
    }

    #[test]
    fn zero_qps_means_no_throttle() {
        check(0.0, 0, &[(0, 1_000, 1_000), (1, 1_000, 1_000)]);
        assert!(!PullThrottle::new(0.0, 10).is_limited());
        assert!(PullThrottle::new(5.0, 10).is_limited());
    }

    #[test]
    fn degenerate_settings_refuse_everything() {
        check(5.0, 0, &[(0, 3, 0), (10_000, 3, 0)]);
        check(-1.0, 10, &[(0, 3, 0), (10_000, 3, 0)]);
    }

    #[test]
    fn fractional_refill_at_low_rates() {
        check(
            1.0,
            1,
            &[
                (0, 2, 1),
                (999, 1, 0),
                (1_000, 1, 1),
                (1_500, 1, 0),
                (2_000, 1, 1),
            ],
        );
        check(2.5, 2, &[(0, 3, 2), (399, 1, 0), (400, 1, 1), (800, 2, 1)]);
    }

    proptest! {
        #[test]
        fn accepts_at_most_burst_plus_refill(
            qps in 1u8..20,
            burst in 1i32..20,
            mut times_ms in proptest::collection::vec(0u64..10_000, 1..200),
        ) {
            times_ms.sort_unstable();
            let mut throttle = PullThrottle::new(f32::from(qps), burst);
            let mut accepted = 0u32;
            for &at in &times_ms {
                if throttle.try_accept(SimTime::from_millis(at)) {
                    accepted += 1;
                }
                let allowed = f64::from(burst) + f64::from(qps) * at as f64 / 1000.0;
                prop_assert!(f64::from(accepted) <= allowed + 1e-6, "{accepted} > {allowed} at {at} ms");
            }
        }
    }
}
