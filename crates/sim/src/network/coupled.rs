//! Node-to-node transfers (a peer serving a layer to another node): each body uses the
//! sender's uplink and the receiver's link at once. The sender's uplink is shared fairly by the
//! transfers it serves, the receiver's link by the transfers it receives, and a transfer runs at
//! the smaller of its two fair shares, recomputed whenever a transfer starts or ends on either
//! side. (Not max-min fair: bandwidth a transfer cannot use on one side is not handed to others.)
//!
//! Not wired into the simulation yet: the Spegel peer contact that would start these transfers
//! needs the per-node host walk (see docs/peer-to-peer.md).
#![cfg_attr(not(test), allow(dead_code))]

use std::time::Duration;

use pullsim_model::SimTime;

use super::links::Key;

/// One body from `sender` to `receiver`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Transfer {
    owner: Key,
    sender: usize,
    receiver: usize,
    remaining_bytes: f64,
}

/// Below this many bytes a transfer counts as done (as in `links`).
const DONE_BYTES: f64 = 0.5;

/// The peer transfers of a pool, with each node's link bandwidth (bytes/s, both directions).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CoupledLinks {
    bandwidth: Vec<u64>,
    transfers: Vec<Transfer>,
    updated: SimTime,
    /// Bumped on every change; a completion check carrying an older version is stale.
    pub(crate) version: u32,
}

impl CoupledLinks {
    /// Links for nodes `0..bandwidth.len()`, node `i` with `bandwidth[i]` bytes/s.
    pub(crate) fn new(bandwidth: Vec<u64>) -> CoupledLinks {
        CoupledLinks {
            bandwidth,
            ..CoupledLinks::default()
        }
    }

    /// The rate of `transfer` now: the smaller of its share of the sender's uplink and of the
    /// receiver's link.
    fn rate(&self, transfer: &Transfer) -> f64 {
        let sending = self
            .transfers
            .iter()
            .filter(|t| t.sender == transfer.sender)
            .count()
            .max(1);
        let receiving = self
            .transfers
            .iter()
            .filter(|t| t.receiver == transfer.receiver)
            .count()
            .max(1);
        let up = self.bandwidth[transfer.sender] as f64 / sending as f64;
        let down = self.bandwidth[transfer.receiver] as f64 / receiving as f64;
        up.min(down)
    }

    fn advance(&mut self, now: SimTime) {
        let elapsed = now.saturating_since(self.updated).as_secs_f64();
        self.updated = now;
        if elapsed == 0.0 {
            return;
        }
        let rates: Vec<f64> = self.transfers.iter().map(|t| self.rate(t)).collect();
        for (transfer, rate) in self.transfers.iter_mut().zip(rates) {
            transfer.remaining_bytes -= rate * elapsed;
        }
    }

    /// Starts `bytes` from `sender` to `receiver` for `owner`; returns the next completion.
    pub(crate) fn start(
        &mut self,
        now: SimTime,
        owner: Key,
        sender: usize,
        receiver: usize,
        bytes: u64,
    ) -> SimTime {
        self.advance(now);
        self.transfers.push(Transfer {
            owner,
            sender,
            receiver,
            remaining_bytes: bytes as f64,
        });
        self.version = self.version.wrapping_add(1);
        self.next_completion(now)
    }

    /// At a completion check: removes and returns (in start order) the finished owners, and the
    /// next completion when any transfer is left.
    pub(crate) fn complete(&mut self, now: SimTime, done: &mut Vec<Key>) -> Option<SimTime> {
        self.advance(now);
        self.transfers.retain(|t| {
            let finished = t.remaining_bytes <= DONE_BYTES;
            if finished {
                done.push(t.owner);
            }
            !finished
        });
        self.version = self.version.wrapping_add(1);
        (!self.transfers.is_empty()).then(|| self.next_completion(now))
    }

    /// When the first transfer finishes at the current rates, rounded up to the nanosecond.
    fn next_completion(&self, now: SimTime) -> SimTime {
        let secs = self
            .transfers
            .iter()
            .map(|t| t.remaining_bytes.max(0.0) / self.rate(t))
            .fold(f64::INFINITY, f64::min);
        let nanos = (secs * 1e9).ceil();
        now + Duration::from_nanos(if nanos.is_finite() { nanos as u64 } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1_000_000;

    #[test]
    fn one_transfer_runs_at_the_slower_side() {
        let mut links = CoupledLinks::new(vec![100 * MB, 50 * MB]);
        let next = links.start(SimTime::default(), 1, 0, 1, 100 * MB);
        assert_eq!(next, SimTime::from_secs(2));
    }

    #[test]
    fn a_sender_serving_two_receivers_halves_each() {
        let mut links = CoupledLinks::new(vec![100 * MB, 100 * MB, 100 * MB]);
        links.start(SimTime::default(), 1, 0, 1, 100 * MB);
        let next = links.start(SimTime::default(), 2, 0, 2, 100 * MB);
        assert_eq!(next, SimTime::from_secs(2));
        let mut done = Vec::new();
        assert_eq!(links.complete(next, &mut done), None);
        assert_eq!(done, vec![1, 2]);
    }

    #[test]
    fn a_receiver_fed_by_two_senders_halves_each() {
        let mut links = CoupledLinks::new(vec![100 * MB, 100 * MB, 100 * MB]);
        links.start(SimTime::default(), 1, 1, 0, 100 * MB);
        let next = links.start(SimTime::default(), 2, 2, 0, 100 * MB);
        assert_eq!(next, SimTime::from_secs(2));
    }

    #[test]
    fn rates_are_recomputed_when_a_transfer_ends() {
        // Node 0 sends 50 MB to 1 and 150 MB to 2: both at 50 MB/s until 1 s, then the second
        // gets the whole uplink for its last 100 MB: done at 2 s.
        let mut links = CoupledLinks::new(vec![100 * MB, 100 * MB, 100 * MB]);
        links.start(SimTime::default(), 1, 0, 1, 50 * MB);
        let first = links.start(SimTime::default(), 2, 0, 2, 150 * MB);
        assert_eq!(first, SimTime::from_secs(1));
        let mut done = Vec::new();
        let next = links.complete(first, &mut done);
        assert_eq!(done, vec![1]);
        assert_eq!(next, Some(SimTime::from_secs(2)));
    }
}
