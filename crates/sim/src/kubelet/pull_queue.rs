//! The puller's admission (docs/semantics.md §3.1): which submitted pulls start and when.
//! The serial puller is a buffered channel of 10 with one worker, callers beyond the
//! channel's capacity blocking until a slot frees; the parallel puller starts pulls while
//! fewer than `maxParallelImagePulls` run (unbounded without it). `puller.rs` is the glue
//! that starts what this returns.

use std::collections::VecDeque;

use pullsim_model::Puller;

use crate::engine::Key;

/// The puller's queues.
#[derive(Debug, Default)]
pub(crate) struct PullerQueues {
    /// Serial: the buffered channel (at most 10); parallel: callers waiting for a slot.
    queue: VecDeque<Key>,
    /// Serial: callers blocked because the channel is full.
    blocked: VecDeque<Key>,
    /// Pulls running now.
    active: u32,
    /// The puller's loop is starting a pull of this node, and only tail calls have
    /// happened since (`pump_puller` -> `start_pull` -> ... -> `kubelet_pull_done`): a
    /// pull that ends there frees its slot without pumping again, since the loop that
    /// started it goes on exactly as the nested pump would have (no unbounded recursion
    /// when queued pulls fail at once).
    pub(crate) starting: bool,
}

impl PullerQueues {
    /// A caller hands a pull to the puller: it joins the channel, or blocks when a serial
    /// puller's channel is full.
    pub(crate) fn submit(&mut self, puller: Puller, pull: Key) {
        match puller {
            Puller::Serial if self.queue.len() >= Puller::SERIAL_QUEUE_CAPACITY => {
                self.blocked.push_back(pull);
            }
            Puller::Serial | Puller::Parallel { .. } => self.queue.push_back(pull),
        }
    }

    /// The next pull to take off the channel, if the puller has a free slot: taking it
    /// makes room in a serial channel for the first blocked caller. The caller then
    /// [`begin`](PullerQueues::begin)s it, or drops it (its pod is gone) and asks again.
    pub(crate) fn next(&mut self, puller: Puller) -> Option<Key> {
        let limit = match puller {
            Puller::Serial => 1,
            Puller::Parallel { max } => max.unwrap_or(u32::MAX),
        };
        if self.active >= limit {
            return None;
        }
        let pull = self.queue.pop_front()?;
        if let Some(blocked) = self.blocked.pop_front() {
            self.queue.push_back(blocked);
        }
        Some(pull)
    }

    /// The pull [`next`](PullerQueues::next) returned starts: it takes a slot, and the
    /// puller's loop is starting it. Returns the previous `starting` flag, which
    /// [`started`](PullerQueues::started) restores.
    pub(crate) fn begin(&mut self) -> bool {
        self.active += 1;
        std::mem::replace(&mut self.starting, true)
    }

    /// The call that started a pull has returned (the pull may still run).
    pub(crate) fn started(&mut self, outer: bool) {
        self.starting = outer;
    }

    /// A running pull ended: its slot frees up.
    pub(crate) fn release(&mut self) {
        debug_assert!(
            self.active > 0,
            "a pull ends once, and only a pull that began holds a slot"
        );
        self.active = self.active.saturating_sub(1);
    }

    /// Pulls running now.
    #[cfg(test)]
    pub(crate) fn active(&self) -> u32 {
        self.active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Takes every pull the puller would start now, beginning each.
    fn start_all(queues: &mut PullerQueues, puller: Puller) -> Vec<Key> {
        let mut started = Vec::new();
        while let Some(pull) = queues.next(puller) {
            let outer = queues.begin();
            queues.started(outer);
            started.push(pull);
        }
        started
    }

    #[test]
    fn serial_puller_buffers_ten_then_blocks_and_runs_one_at_a_time() {
        let mut queues = PullerQueues::default();
        let serial = Puller::Serial;
        for pull in 1..=13 {
            queues.submit(serial, pull);
        }
        assert_eq!(queues.queue.len(), 10, "the channel holds 10");
        assert_eq!(queues.blocked, [11, 12, 13], "callers beyond it block");
        assert_eq!(start_all(&mut queues, serial), [1], "one pull at a time");
        assert_eq!(
            queues.blocked,
            [12, 13],
            "taking one let the first blocked caller in"
        );
        assert_eq!(queues.queue.back(), Some(&11));
        assert_eq!(start_all(&mut queues, serial), Vec::<Key>::new());
        queues.release();
        assert_eq!(start_all(&mut queues, serial), [2]);
        for expected in 3..=13 {
            queues.release();
            assert_eq!(
                start_all(&mut queues, serial),
                [expected],
                "FIFO order kept"
            );
        }
        queues.release();
        assert_eq!(start_all(&mut queues, serial), Vec::<Key>::new());
        assert_eq!(queues.active(), 0);
    }

    #[test]
    fn parallel_puller_is_bounded_by_max_parallel_image_pulls() {
        let mut queues = PullerQueues::default();
        let parallel = Puller::Parallel { max: Some(3) };
        for pull in 1..=15 {
            queues.submit(parallel, pull);
        }
        assert!(
            queues.blocked.is_empty(),
            "a parallel puller never blocks callers"
        );
        assert_eq!(start_all(&mut queues, parallel), [1, 2, 3]);
        assert_eq!(queues.active(), 3);
        queues.release();
        queues.release();
        assert_eq!(start_all(&mut queues, parallel), [4, 5]);
    }

    #[test]
    fn parallel_puller_without_a_maximum_starts_every_pull() {
        let mut queues = PullerQueues::default();
        let parallel = Puller::Parallel { max: None };
        for pull in 1..=50 {
            queues.submit(parallel, pull);
        }
        assert_eq!(
            start_all(&mut queues, parallel),
            (1..=50).collect::<Vec<_>>()
        );
        assert_eq!(queues.active(), 50);
    }

    #[test]
    fn a_dropped_pull_frees_no_slot_it_never_took() {
        let mut queues = PullerQueues::default();
        let serial = Puller::Serial;
        queues.submit(serial, 1);
        queues.submit(serial, 2);
        // The caller drops 1 (its pod was deleted) without beginning it.
        assert_eq!(queues.next(serial), Some(1));
        assert_eq!(queues.next(serial), Some(2), "the slot is still free");
    }

    #[test]
    fn begin_marks_the_loop_as_starting_and_started_restores_it() {
        let mut queues = PullerQueues::default();
        assert!(!queues.begin());
        assert!(queues.starting);
        assert!(queues.begin(), "a nested start sees the outer one");
        queues.started(true);
        assert!(queues.starting);
        queues.started(false);
        assert!(!queues.starting);
    }
}
