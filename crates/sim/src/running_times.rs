//! Time to Running per workload, as percentiles over its pods: what a rollout through a
//! mirror, a cache or peers gains is read from these, not from one pod.
//!
//! A percentile is the nearest-rank one: the `p`-th percentile of `n` sorted times is the
//! `ceil(p * n / 100)`-th smallest (at least the first), so it is always a time some pod
//! took, and `p100` is the maximum. Pods deleted before they ran are left out; pods still
//! waiting at the end are counted in `pods` but not in `running`, and the percentiles are
//! over the pods that ran.

use std::time::Duration;

use serde::Serialize;

/// One workload's times from creation to Running.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunningTimes {
    /// The workload (its drift group: `web`, `deployment/web`).
    pub workload: String,
    /// Its pods, replacements included, less those deleted before they ran.
    pub pods: u32,
    /// Of those, how many ran.
    pub running: u32,
    /// The median.
    #[serde(rename = "p50_ns", serialize_with = "nanos")]
    pub p50: Option<Duration>,
    /// The 90th percentile.
    #[serde(rename = "p90_ns", serialize_with = "nanos")]
    pub p90: Option<Duration>,
    /// The 99th percentile.
    #[serde(rename = "p99_ns", serialize_with = "nanos")]
    pub p99: Option<Duration>,
    /// The slowest.
    #[serde(rename = "max_ns", serialize_with = "nanos")]
    pub max: Option<Duration>,
}

impl RunningTimes {
    /// The figures of `workload` from its pods' times (`None`: the pod never ran).
    pub fn of(workload: String, times: impl IntoIterator<Item = Option<Duration>>) -> Self {
        let mut pods = 0;
        let mut ran: Vec<Duration> = Vec::new();
        for time in times {
            pods += 1;
            ran.extend(time);
        }
        ran.sort_unstable();
        RunningTimes {
            workload,
            pods,
            running: ran.len() as u32,
            p50: nearest_rank(&ran, 50),
            p90: nearest_rank(&ran, 90),
            p99: nearest_rank(&ran, 99),
            max: ran.last().copied(),
        }
    }

    /// The percentile by its name (`p50`, `p90`, `p99`, `max`).
    pub fn by_name(&self, name: &str) -> Option<Option<Duration>> {
        match name {
            "p50" => Some(self.p50),
            "p90" => Some(self.p90),
            "p99" => Some(self.p99),
            "max" => Some(self.max),
            _ => None,
        }
    }
}

/// The names [`RunningTimes::by_name`] takes, in the order reports print them.
pub const PERCENTILES: [&str; 4] = ["p50", "p90", "p99", "max"];

/// The nearest-rank `percent`-th percentile of `sorted` (ascending); `None` when empty.
pub fn nearest_rank(sorted: &[Duration], percent: u32) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (percent as usize * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank.min(sorted.len()) - 1).copied()
}

/// An optional duration as integer nanoseconds, `null` when absent.
fn nanos<S: serde::Serializer>(
    length: &Option<Duration>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match length {
        Some(length) => {
            serializer.serialize_u64(u64::try_from(length.as_nanos()).unwrap_or(u64::MAX))
        }
        None => serializer.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(list: &[u64]) -> Vec<Duration> {
        list.iter().map(|s| Duration::from_secs(*s)).collect()
    }

    #[test]
    fn nearest_rank_takes_a_time_some_pod_took() {
        let ten = secs(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(nearest_rank(&ten, 50), Some(Duration::from_secs(5)));
        assert_eq!(nearest_rank(&ten, 90), Some(Duration::from_secs(9)));
        assert_eq!(nearest_rank(&ten, 99), Some(Duration::from_secs(10)));
        assert_eq!(nearest_rank(&ten, 100), Some(Duration::from_secs(10)));
        assert_eq!(nearest_rank(&ten, 0), Some(Duration::from_secs(1)));
        let one = secs(&[7]);
        assert_eq!(nearest_rank(&one, 50), Some(Duration::from_secs(7)));
        assert_eq!(nearest_rank(&[], 50), None);
        // 200 pods: p99 is the 198th, not the slowest.
        let many: Vec<Duration> = (1..=200).map(Duration::from_secs).collect();
        assert_eq!(nearest_rank(&many, 99), Some(Duration::from_secs(198)));
    }

    #[test]
    fn pods_that_never_ran_count_as_pods_but_not_in_the_percentiles() {
        let times = RunningTimes::of(
            "web".to_owned(),
            [
                Some(Duration::from_secs(3)),
                None,
                Some(Duration::from_secs(1)),
            ],
        );
        assert_eq!((times.pods, times.running), (3, 2));
        assert_eq!(times.p50, Some(Duration::from_secs(1)));
        assert_eq!(times.max, Some(Duration::from_secs(3)));
        assert_eq!(times.by_name("p90"), Some(Some(Duration::from_secs(3))));
        assert_eq!(times.by_name("p42"), None);
        let none = RunningTimes::of("idle".to_owned(), [None]);
        assert_eq!((none.p50, none.max), (None, None));
        let json = serde_json::to_string(&none).unwrap_or_default();
        assert!(json.contains("\"p50_ns\":null"), "{json}");
    }
}
