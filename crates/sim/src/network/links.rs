//! A node's link to one registry host: response bodies are transfers that share the
//! link's bandwidth fairly (each of `n` running transfers gets `1/n` of it), so layers of
//! concurrent pulls slow each other down as they do on a real node.
//!
//! The link keeps each transfer's remaining bytes; whenever a transfer starts or ends,
//! every remaining count is advanced at the old share and the next completion is
//! recomputed at the new one. A version number lets the simulation drop completion
//! checks that a later change made stale.

use pullsim_model::SimTime;

/// Who a transfer is for (a simulation key).
pub(crate) type Key = u64;
use std::time::Duration;

/// One body being received.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Transfer {
    /// Who is waiting for it (an exchange id of the simulation).
    owner: Key,
    /// Bytes still to come.
    remaining_bytes: f64,
}

/// The transfers running on one link and when their remaining counts were last advanced.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LinkState {
    transfers: Vec<Transfer>,
    updated: SimTime,
    /// Bumped on every change; a completion check carrying an older version is stale.
    pub(crate) version: u32,
}

/// Below this many bytes a transfer counts as done (absorbs floating-point remainders).
const DONE_BYTES: f64 = 0.5;

impl LinkState {
    /// How many transfers run.
    #[cfg(test)]
    fn active(&self) -> usize {
        self.transfers.len()
    }

    /// Brings every remaining count up to `now` at the current share.
    fn advance(&mut self, now: SimTime, bandwidth_bytes_per_sec: u64) {
        let elapsed = now.saturating_since(self.updated);
        self.updated = now;
        if self.transfers.is_empty() || elapsed.is_zero() {
            return;
        }
        let share = bandwidth_bytes_per_sec as f64 / self.transfers.len() as f64;
        let delivered = share * elapsed.as_secs_f64();
        for transfer in &mut self.transfers {
            transfer.remaining_bytes -= delivered;
        }
    }

    /// Starts a transfer of `bytes` for `owner` at `now`; returns when the next transfer
    /// will finish (to schedule a check with the new version).
    pub(crate) fn start(
        &mut self,
        now: SimTime,
        bandwidth_bytes_per_sec: u64,
        owner: Key,
        bytes: u64,
    ) -> SimTime {
        debug_assert!(
            self.transfers
                .iter()
                .all(|transfer| transfer.owner != owner),
            "an exchange receives one body at a time, so it owns at most one transfer"
        );
        self.advance(now, bandwidth_bytes_per_sec);
        self.transfers.push(Transfer {
            owner,
            remaining_bytes: bytes as f64,
        });
        self.version = self.version.wrapping_add(1);
        self.next_completion(now, bandwidth_bytes_per_sec)
    }

    /// Removes every transfer of an owner `cancelled` accepts (a cancelled pull); returns
    /// the next completion when any transfer is left.
    pub(crate) fn cancel(
        &mut self,
        now: SimTime,
        bandwidth_bytes_per_sec: u64,
        mut cancelled: impl FnMut(Key) -> bool,
    ) -> Option<SimTime> {
        self.advance(now, bandwidth_bytes_per_sec);
        let before = self.transfers.len();
        self.transfers.retain(|transfer| !cancelled(transfer.owner));
        if before == self.transfers.len() {
            return None;
        }
        self.version = self.version.wrapping_add(1);
        (!self.transfers.is_empty()).then(|| self.next_completion(now, bandwidth_bytes_per_sec))
    }

    /// At a completion check: removes and returns (in start order) the owners whose
    /// transfers are done, and the next completion when any transfer is left.
    pub(crate) fn complete(
        &mut self,
        now: SimTime,
        bandwidth_bytes_per_sec: u64,
        done: &mut Vec<Key>,
    ) -> Option<SimTime> {
        self.advance(now, bandwidth_bytes_per_sec);
        self.transfers.retain(|transfer| {
            let finished = transfer.remaining_bytes <= DONE_BYTES;
            if finished {
                done.push(transfer.owner);
            }
            !finished
        });
        self.version = self.version.wrapping_add(1);
        (!self.transfers.is_empty()).then(|| self.next_completion(now, bandwidth_bytes_per_sec))
    }

    /// When the transfer with the least left finishes at the current share, rounded up
    /// to the nanosecond so that the check never comes early.
    fn next_completion(&self, now: SimTime, bandwidth_bytes_per_sec: u64) -> SimTime {
        let least = self
            .transfers
            .iter()
            .map(|transfer| transfer.remaining_bytes)
            .fold(f64::INFINITY, f64::min)
            .max(0.0);
        let share = bandwidth_bytes_per_sec as f64 / self.transfers.len().max(1) as f64;
        let nanos = (least / share * 1e9).ceil();
        now + Duration::from_nanos(if nanos.is_finite() { nanos as u64 } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    fn finish_all(link: &mut LinkState, mut next: SimTime) -> Vec<(Key, SimTime)> {
        let mut finished = Vec::new();
        loop {
            let mut done = Vec::new();
            let after = link.complete(next, MB, &mut done);
            finished.extend(done.into_iter().map(|owner| (owner, next)));
            match after {
                Some(time) => next = time,
                None => return finished,
            }
        }
    }

    #[test]
    fn one_transfer_takes_size_over_bandwidth() {
        let mut link = LinkState::default();
        let next = link.start(SimTime::EPOCH, MB, 1, 2 * MB);
        assert_eq!(next, SimTime::from_secs(2));
        assert_eq!(finish_all(&mut link, next), [(1, SimTime::from_secs(2))]);
    }

    #[test]
    fn concurrent_transfers_share_fairly() {
        // Two 1 MB transfers on a 1 MB/s link: both finish at 2 s. A third 1 MB transfer
        // joining at 1 s finds each of the first two half done, and then all three share.
        let mut link = LinkState::default();
        link.start(SimTime::EPOCH, MB, 1, MB);
        let next = link.start(SimTime::EPOCH, MB, 2, MB);
        assert_eq!(next, SimTime::from_secs(2));
        let mut link3 = link.clone();
        assert_eq!(
            finish_all(&mut link, next),
            [(1, SimTime::from_secs(2)), (2, SimTime::from_secs(2))]
        );
        let next = link3.start(SimTime::from_secs(1), MB, 3, MB);
        // 0.5 MB left each for 1 and 2 at a third of the link: 1.5 s more.
        assert_eq!(next, SimTime::from_millis(2500));
        let finished = finish_all(&mut link3, next);
        assert_eq!(
            finished,
            [
                (1, SimTime::from_millis(2500)),
                (2, SimTime::from_millis(2500)),
                (3, SimTime::from_secs(3))
            ]
        );
    }

    #[test]
    fn cancelling_frees_the_share() {
        let mut link = LinkState::default();
        link.start(SimTime::EPOCH, MB, 1, MB);
        link.start(SimTime::EPOCH, MB, 2, MB);
        let next = link.cancel(SimTime::from_secs(1), MB, |owner| owner == 2);
        assert_eq!(next, Some(SimTime::from_millis(1500)));
        assert_eq!(link.active(), 1);
    }
}
