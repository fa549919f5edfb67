//! The kubelet's image-pull back-off: client-go's `flowcontrol.Backoff` as the image
//! manager uses it, keyed by pod UID and image string, on virtual time. The key type is a
//! parameter (`String` by default): a simulator that knows its pods and images by id keys
//! the back-off by those ids and builds no key text per check.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::time::Duration;

use crate::time::SimTime;

/// One key's back-off state: the current window and when it was last advanced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffEntry {
    /// The current window: after a failure at `last_update`, pulls are refused until
    /// `last_update + backoff`.
    pub backoff: Duration,
    /// When `Next` last ran for this key.
    pub last_update: SimTime,
}

/// Exponential back-off per key, exactly as client-go's `flowcontrol.Backoff` behaves when
/// built with `NewBackOff(initial, max)` (no jitter, default expiry), which is how the
/// kubelet builds its image back-off (docs/semantics.md §3.4;
/// `k8s.io/client-go/util/flowcontrol/backoff.go`, `pkg/kubelet/kubelet.go`).
///
/// - A key's first failure opens a window of `initial`; each later failure doubles it, up
///   to `max` (10, 20, 40, 80, 160, 300, 300, ... seconds for images).
/// - An entry *expires* when more than `2 * max` has passed since its last update
///   (strictly greater: 600 s is still live, 600 s + 1 ns is expired); the next failure
///   then starts again at `initial`.
/// - A success does not reset a key. The image manager only calls [`Backoff::gc`] after a
///   successful pull, which drops every expired entry (of every key).
/// - State lives in memory only: a kubelet restart is modelled by starting from a new
///   `Backoff`, which forgets every key.
///
/// Go's `Next(id, eventTime)` stamps `lastUpdate` from the back-off's own clock rather
/// than from `eventTime`; in a simulation both are "now", so [`Backoff::next`] takes one
/// instant for both.
///
/// `K` is the key: the image manager's `<podUID>_<image>` text ([`backoff_key`]) by
/// default; any ordered key that tells the same (pod, image) pairs apart behaves the same
/// ([`Backoff::keyed`]), since no answer depends on the keys' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff<K = String> {
    initial: Duration,
    max: Duration,
    entries: BTreeMap<K, BackoffEntry>,
}

/// The key the image manager uses: `<podUID>_<image>`, with the container's image string
/// exactly as written in the Pod spec (not normalised), so two containers of one pod
/// that use the same string share a key and different pods never do (docs/semantics.md §3.2).
pub fn backoff_key(pod_uid: &str, image: &str) -> String {
    // Concatenated directly: the kubelet asks for this key on every image check, and the
    // formatting machinery cost more than the copy.
    let mut key = String::with_capacity(pod_uid.len() + 1 + image.len());
    key.push_str(pod_uid);
    key.push('_');
    key.push_str(image);
    key
}

impl Backoff {
    /// `imageBackOffPeriod`: the first window after an image pull fails.
    pub const IMAGE_PULL_INITIAL: Duration = Duration::from_secs(10);
    /// `MaxImageBackOff`: the largest window.
    pub const IMAGE_PULL_MAX: Duration = Duration::from_secs(300);

    /// An empty back-off with the given first and largest windows (`NewBackOff`).
    pub fn new(initial: Duration, max: Duration) -> Backoff {
        Backoff {
            initial,
            max,
            entries: BTreeMap::new(),
        }
    }

    /// The kubelet's image back-off: 10 s doubling to 300 s, no jitter.
    pub fn image_pull() -> Backoff {
        Backoff::new(Backoff::IMAGE_PULL_INITIAL, Backoff::IMAGE_PULL_MAX)
    }

    /// `backOffPeriod`: the first window of the crash-loop back-off (`pkg/kubelet/kubelet.go`).
    pub const CRASH_LOOP_INITIAL: Duration = Duration::from_secs(10);
    /// `MaxContainerBackOff`: its largest window (`KubeletCrashLoopBackOffMax` unset).
    pub const CRASH_LOOP_MAX: Duration = Duration::from_secs(300);

    /// The kubelet's crash-loop back-off: a separate object from the image back-off, with
    /// the same 10 s doubling to 300 s, keyed per container (`getStableKey`).
    pub fn crash_loop() -> Backoff {
        Backoff::new(Backoff::CRASH_LOOP_INITIAL, Backoff::CRASH_LOOP_MAX)
    }
}

impl<K: Ord> Backoff<K> {
    /// An empty back-off keyed by `K` (ids, say, instead of texts), with the given first
    /// and largest windows; it behaves exactly as [`Backoff::new`] for keys that tell the
    /// same things apart.
    pub fn keyed(initial: Duration, max: Duration) -> Backoff<K> {
        Backoff {
            initial,
            max,
            entries: BTreeMap::new(),
        }
    }

    /// Go's `IsInBackOffSince(id, eventTime)` as the kubelet's `doBackOff` asks it, with
    /// `eventTime` the exited container's `finishedAt`: false without an entry or when the
    /// entry expired relative to `event_time` (more than `2 * max` after its last update),
    /// else `now - event_time < backoff`.
    pub fn is_in_backoff_since<Q>(&self, key: &Q, event_time: SimTime, now: SimTime) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.entries.get(key) {
            Some(entry) if !self.has_expired(event_time, entry.last_update) => {
                now < event_time + entry.backoff
            }
            _ => false,
        }
    }

    /// Go's `Next(id, eventTime)` with the clock at `now`: the expiry is judged from
    /// `event_time`, the entry is stamped `now` (the restart's instant).
    pub fn next_since<Q>(&mut self, key: &Q, event_time: SimTime, now: SimTime)
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        self.advance(key, event_time, now);
    }

    /// Records a failure for `key` at `now` (Go's `Next`): a missing or expired entry
    /// restarts at the initial window, a live one doubles up to the maximum.
    pub fn next<Q>(&mut self, key: &Q, now: SimTime)
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        self.advance(key, now, now);
    }

    /// `Next` with the expiry judged from `event_time` and the entry stamped `now`; a key
    /// already present is updated in place (no new key is built).
    fn advance<Q>(&mut self, key: &Q, event_time: SimTime, now: SimTime)
    where
        K: Borrow<Q>,
        Q: Ord + ToOwned<Owned = K> + ?Sized,
    {
        let (initial, max) = (self.initial, self.max);
        let window = |entry: Option<&BackoffEntry>| match entry {
            Some(entry) if !expired_after(event_time, entry.last_update, max) => entry
                .backoff
                .checked_mul(2)
                .map_or(max, |doubled| doubled.min(max)),
            _ => initial,
        };
        match self.entries.get_mut(key) {
            Some(entry) => {
                *entry = BackoffEntry {
                    backoff: window(Some(entry)),
                    last_update: now,
                };
            }
            None => {
                self.entries.insert(
                    key.to_owned(),
                    BackoffEntry {
                        backoff: window(None),
                        last_update: now,
                    },
                );
            }
        }
    }

    /// Whether `key` is still inside its window at `now` (Go's `IsInBackOffSinceUpdate`):
    /// false without an entry or with an expired one, else `now - last_update < backoff`
    /// (strict, so at exactly `last_update + backoff` the pull goes ahead).
    pub fn is_in_backoff_since_update<Q>(&self, key: &Q, now: SimTime) -> bool
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        match self.entries.get(key) {
            Some(entry) if !self.has_expired(now, entry.last_update) => {
                now < entry.last_update + entry.backoff
            }
            _ => false,
        }
    }

    /// Drops every entry last updated more than `2 * max` before `now` (Go's `GC`).
    pub fn gc(&mut self, now: SimTime) {
        let max = self.max;
        self.entries
            .retain(|_, entry| !expired_after(now, entry.last_update, max));
    }

    /// The current window of `key`, if it has an entry (Go's `Get` returns 0 instead).
    pub fn get<Q>(&self, key: &Q) -> Option<Duration>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(key).map(|entry| entry.backoff)
    }

    /// The full entry of `key`, for transcripts and tests.
    pub fn entry<Q>(&self, key: &Q) -> Option<BackoffEntry>
    where
        K: Borrow<Q>,
        Q: Ord + ?Sized,
    {
        self.entries.get(key).copied()
    }

    /// Every entry in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&K, BackoffEntry)> {
        self.entries.iter().map(|(key, entry)| (key, *entry))
    }

    /// Go's `hasExpired(eventTime, lastUpdate, max)`.
    fn has_expired(&self, now: SimTime, last_update: SimTime) -> bool {
        expired_after(now, last_update, self.max)
    }
}

/// `now - last_update > 2 * max`, written without subtraction so that an instant before
/// `last_update` (a negative difference in Go) is simply "not expired".
fn expired_after(now: SimTime, last_update: SimTime, max: Duration) -> bool {
    let lifetime = max.checked_mul(2).unwrap_or(Duration::MAX);
    now > last_update + lifetime
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KEY: &str = "uid-1_nginx";

    fn secs(s: u64) -> SimTime {
        SimTime::from_secs(s)
    }

    #[test]
    fn crash_loop_windows_count_from_the_exit_and_expire_from_it() {
        let mut crash = Backoff::crash_loop();
        // The first exit: no entry, so the container restarts at once and a 10 s window opens.
        assert!(!crash.is_in_backoff_since(KEY, secs(100), secs(101)));
        crash.next_since(KEY, secs(100), secs(101));
        // It exits again 5 s later: in back-off until 10 s after that exit.
        assert!(crash.is_in_backoff_since(KEY, secs(106), secs(107)));
        assert!(crash.is_in_backoff_since(KEY, secs(106), secs(115) + Duration::from_millis(999)));
        assert!(!crash.is_in_backoff_since(KEY, secs(106), secs(116)));
        crash.next_since(KEY, secs(106), secs(116));
        assert_eq!(crash.get(KEY), Some(Duration::from_secs(20)));
        assert_eq!(crash.entry(KEY).map(|e| e.last_update), Some(secs(116)));
        // An exit more than 600 s after the last restart finds the entry expired.
        assert!(!crash.is_in_backoff_since(KEY, secs(717), secs(717)));
        crash.next_since(KEY, secs(717), secs(718));
        assert_eq!(crash.get(KEY), Some(Duration::from_secs(10)));
    }

    #[test]
    fn consecutive_failures_double_to_the_cap() {
        let mut backoff = Backoff::image_pull();
        let mut windows = Vec::new();
        let mut now = SimTime::EPOCH;
        for _ in 0..7 {
            backoff.next(KEY, now);
            let window = backoff.get(KEY).unwrap_or_default();
            windows.push(window.as_secs());
            // Fail again exactly when the window closes, well before expiry.
            now = now + window;
        }
        assert_eq!(windows, [10, 20, 40, 80, 160, 300, 300]);
    }

    fn check_expiry(rows: &[(Duration, u64)]) {
        for &(gap, want_window_secs) in rows {
            let mut backoff = Backoff::image_pull();
            backoff.next(KEY, secs(100));
            backoff.next(KEY, secs(100) + gap);
            assert_eq!(
                backoff.get(KEY),
                Some(Duration::from_secs(want_window_secs)),
                "second failure {gap:?} after the first"
            );
        }
    }

    #[test]
    fn entry_expires_strictly_after_twice_the_max() {
        check_expiry(&[
            (Duration::from_secs(599), 20),
            (Duration::from_secs(600), 20),
            (Duration::from_secs(600) + Duration::from_nanos(1), 10),
            (Duration::from_secs(3600), 10),
        ]);
    }

    fn check_in_backoff(rows: &[(Duration, bool)]) {
        let mut backoff = Backoff::image_pull();
        backoff.next(KEY, secs(50));
        for &(since_failure, want) in rows {
            let now = secs(50) + since_failure;
            assert_eq!(
                backoff.is_in_backoff_since_update(KEY, now),
                want,
                "{since_failure:?} after a 10 s window opened"
            );
        }
    }

    #[test]
    fn in_backoff_is_strict_at_the_window_end() {
        check_in_backoff(&[
            (Duration::ZERO, true),
            (Duration::from_secs(10) - Duration::from_nanos(1), true),
            (Duration::from_secs(10), false),
            (Duration::from_secs(11), false),
            // An expired entry is never in back-off.
            (Duration::from_secs(601), false),
        ]);
        assert!(!Backoff::image_pull().is_in_backoff_since_update(KEY, secs(1)));
        // A clock reading before the last update counts as inside the window, as in Go.
        let mut backoff = Backoff::image_pull();
        backoff.next(KEY, secs(50));
        assert!(backoff.is_in_backoff_since_update(KEY, secs(40)));
    }

    #[test]
    fn gc_drops_only_expired_entries() {
        let mut backoff = Backoff::image_pull();
        backoff.next("old", secs(0));
        backoff.next("edge", secs(100));
        backoff.next("fresh", secs(650));
        backoff.gc(secs(700));
        let kept: Vec<&str> = backoff.entries().map(|(key, _)| key.as_str()).collect();
        assert_eq!(kept, ["edge", "fresh"]);
        backoff.gc(secs(700) + Duration::from_nanos(1));
        let kept: Vec<&str> = backoff.entries().map(|(key, _)| key.as_str()).collect();
        assert_eq!(kept, ["fresh"]);
    }

    #[test]
    fn success_does_not_reset_a_live_key() {
        // Fail, fail, then succeed (GC keeps the live entry), then fail again: doubling
        // continues from 20 s instead of restarting at 10 s (docs/semantics.md §3.4).
        let mut backoff = Backoff::image_pull();
        backoff.next(KEY, secs(0));
        backoff.next(KEY, secs(10));
        backoff.gc(secs(40));
        backoff.next(KEY, secs(45));
        assert_eq!(backoff.get(KEY), Some(Duration::from_secs(40)));
        // A kubelet restart (a new Backoff) forgets the key.
        assert_eq!(Backoff::image_pull().get(KEY), None);
    }

    #[test]
    fn key_is_pod_uid_and_raw_image() {
        assert_eq!(backoff_key("7f3c", "nginx"), "7f3c_nginx");
        assert_eq!(
            backoff_key("7f3c", "docker.io/library/nginx:latest"),
            "7f3c_docker.io/library/nginx:latest"
        );
    }

    proptest! {
        /// A back-off keyed by ids answers every question as the one keyed by text does,
        /// for the same failures, garbage collections and checks.
        #[test]
        fn keyed_by_ids_answers_as_keyed_by_text(
            steps in proptest::collection::vec((0u32..3, 0u64..900, 0u8..3), 1..60)
        ) {
            let mut by_text = Backoff::image_pull();
            let mut by_id: Backoff<u32> =
                Backoff::keyed(Backoff::IMAGE_PULL_INITIAL, Backoff::IMAGE_PULL_MAX);
            let mut elapsed = 0;
            for (key, gap, op) in steps {
                elapsed += gap;
                let now = secs(elapsed);
                let text = backoff_key("uid", &key.to_string());
                match op {
                    0 => {
                        by_text.next(&text, now);
                        by_id.next(&key, now);
                    }
                    1 => {
                        by_text.gc(now);
                        by_id.gc(now);
                    }
                    _ => {
                        let since = secs(elapsed - gap / 2);
                        by_text.next_since(&text, since, now);
                        by_id.next_since(&key, since, now);
                    }
                }
                for probe in 0u32..3 {
                    let text = backoff_key("uid", &probe.to_string());
                    prop_assert_eq!(by_text.entry(&text), by_id.entry(&probe));
                    prop_assert_eq!(
                        by_text.is_in_backoff_since_update(&text, now),
                        by_id.is_in_backoff_since_update(&probe, now)
                    );
                }
            }
        }

        #[test]
        fn window_stays_between_initial_and_max(
            gaps in proptest::collection::vec(0u64..2_000, 1..40)
        ) {
            let mut backoff = Backoff::image_pull();
            let mut now = SimTime::EPOCH;
            for gap in gaps {
                now = now + Duration::from_secs(gap);
                backoff.next(KEY, now);
                let window = backoff.get(KEY).unwrap_or_default();
                prop_assert!(window >= Backoff::IMAGE_PULL_INITIAL);
                prop_assert!(window <= Backoff::IMAGE_PULL_MAX);
                prop_assert!(backoff.is_in_backoff_since_update(KEY, now));
            }
        }
    }
}
