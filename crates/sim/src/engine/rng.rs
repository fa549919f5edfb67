//! The simulation's one seeded random number generator.

use std::time::Duration;

use rand::RngExt as _;
use rand::SeedableRng as _;
use rand_chacha::ChaCha8Rng;

/// The simulation's one source of randomness: a ChaCha8 stream seeded from the
/// configuration, portable across platforms and `rand` releases, used for every random
/// choice (the pod worker's jitter, link noise) in the order the events ask for them.
#[derive(Debug, Clone)]
pub struct SimRng {
    rng: ChaCha8Rng,
}

impl SimRng {
    /// The stream for `seed`.
    pub fn new(seed: u64) -> SimRng {
        SimRng {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// A uniform number in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        self.rng.random::<f64>()
    }

    /// apimachinery's `wait.Jitter(duration, factor)`: `duration + rand * factor *
    /// duration`, so uniform in `[duration, (1 + factor) * duration)`, to the nanosecond.
    pub fn jitter(&mut self, duration: Duration, factor: f64) -> Duration {
        let extra_ns = self.unit() * factor * duration.as_nanos() as f64;
        duration + Duration::from_nanos(extra_ns as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_reproducible_and_bounded() {
        let mut a = SimRng::new(7);
        let mut b = SimRng::new(7);
        let ten = Duration::from_secs(10);
        for _ in 0..1000 {
            let x = a.jitter(ten, 0.5);
            assert_eq!(x, b.jitter(ten, 0.5));
            assert!(x >= ten && x < Duration::from_secs(15), "{x:?}");
        }
        assert_ne!(SimRng::new(1).unit(), SimRng::new(2).unit());
    }
}
