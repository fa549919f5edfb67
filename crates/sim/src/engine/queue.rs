//! The event queue ordered by `(time, sequence)`: near events in a sorted run and a heap,
//! far ones in a calendar of slots.
//!
//! Ties in time are broken by the order events were scheduled in, never by hashing or
//! addresses, so the same world and seed replay the same way on every machine.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};
use std::time::Duration;

use pullsim_model::SimTime;

/// A queue of events of type `E`, popped in `(time, sequence)` order: earliest first, and
/// among events at the same instant, the one scheduled first.
///
/// A fleet keeps far events by the hundred thousand (each pod's next resync and
/// replacement) while near ones (requests, transfers) churn, and starts with bursts of
/// tens of thousands of events at one instant, so the queue has three parts:
/// - `far`: every event at or after `near_until`, in a slot of [`EventQueue::SLOT`] by its
///   time, each slot a list in scheduling order (a `Calendar`), so scheduling far ahead
///   is an append rather than a climb through a heap that no longer fits in the cache;
/// - `run`: near events (before `near_until`) that arrived in order, each no earlier than
///   the one before it: a sorted list, so a burst costs an append and a pop from the front;
/// - `heap`: the other near events, a binary heap.
///
/// Every near event is earlier than every far one, so the earlier of the run's front and
/// the heap's top is the earliest of all. When both have run dry and the next event is
/// asked for, the earliest slot is sorted by `(time, sequence)` and becomes the run, and
/// `near_until` moves to that slot's end. That is done when asked, not as the last near
/// event leaves: the handler of that event schedules the next ones first, and taking a
/// slot an hour ahead before them made that hour near (in the heap) for everything they
/// scheduled. An event scheduled while the near parts are empty goes to `far` (or opens
/// the window, when it comes before every far slot). Every choice compares `(time,
/// sequence)`, so the order is exactly that of one heap.
///
/// An event scheduled on an empty queue opens the near window at its own slot, however
/// far ahead (a world's first event may be an outage's end an hour away), so events then
/// scheduled before that slot would all be near, in the heap: every pod of a fleet in
/// back-off for that hour, thousands deep. Such a window (`opened`) moves back instead: an
/// event before its slot sends the near events, all in that slot, to `far`, and opens the
/// window at its own slot.
#[derive(Debug, Clone)]
pub struct EventQueue<E> {
    run: VecDeque<Scheduled<E>>,
    heap: BinaryHeap<Scheduled<E>>,
    far: Calendar<E>,
    near_until: SimTime,
    /// The near window was opened by an event scheduled on an empty queue (not by taking
    /// the earliest slot of `far`), and holds only events of its own slot.
    opened: bool,
    sequence: u64,
}

/// The far events of an [`EventQueue`] by slot: the next [`Calendar::RING`] slots from
/// `base` (the first slot not yet taken) in a ring of lists with a bitmap of the ones in
/// use, so adding an event is an index and an append; slots beyond the ring wait in an
/// ordered map and move into the ring as `base` comes near. Every ring slot is earlier than
/// every slot in the map.
///
/// A slot's list, once taken, goes to `spare` and is handed to the next slot that starts
/// one: a slot of the ring comes round again only a ring later (hours), and a list kept
/// there until then made every new slot grow a list in memory never touched before (page
/// faults and cache misses on most pushes of a fleet in back-off).
#[derive(Debug, Clone)]
struct Calendar<E> {
    base: u64,
    ring: Vec<Vec<Scheduled<E>>>,
    occupied: Vec<u64>,
    later: BTreeMap<u64, Vec<Scheduled<E>>>,
    len: usize,
    spare: Vec<Vec<Scheduled<E>>>,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Calendar {
            base: 0,
            ring: Vec::new(),
            occupied: Vec::new(),
            later: BTreeMap::new(),
            len: 0,
            spare: Vec::new(),
        }
    }
}

impl<E> Calendar<E> {
    /// Slots in the ring: 2^16 slots of 134 ms, about 2.4 hours ahead.
    const RING: u64 = 1 << 16;

    /// Adds an event to slot `slot` (never before `base`: the queue gives far events only
    /// at or after the near window's end, which is where `base` starts).
    fn push(&mut self, slot: u64, scheduled: Scheduled<E>) {
        debug_assert!(slot >= self.base, "slot {slot} before base {}", self.base);
        self.len += 1;
        if slot.saturating_sub(self.base) < Self::RING {
            if self.ring.is_empty() {
                self.ring.resize_with(Self::RING as usize, Vec::new);
                self.occupied = vec![0; (Self::RING / 64) as usize];
            }
            let index = (slot % Self::RING) as usize;
            let list = &mut self.ring[index];
            if list.capacity() == 0
                && let Some(spare) = self.spare.pop()
            {
                *list = spare;
            }
            list.push(scheduled);
            self.occupied[index / 64] |= 1 << (index % 64);
        } else {
            self.later.entry(slot).or_default().push(scheduled);
        }
    }

    /// Moves the earliest slot's events onto the end of `into`, in scheduling order, and
    /// returns that slot; `base` moves past it.
    fn take_first(&mut self, into: &mut VecDeque<Scheduled<E>>) -> Option<u64> {
        let slot = match self.first_in_ring() {
            Some(slot) => {
                let index = (slot % Self::RING) as usize;
                self.occupied[index / 64] &= !(1 << (index % 64));
                let mut list = std::mem::take(&mut self.ring[index]);
                self.len -= list.len();
                into.extend(list.drain(..));
                self.spare.push(list);
                slot
            }
            None => {
                let (slot, events) = self.later.pop_first()?;
                self.len -= events.len();
                into.extend(events);
                slot
            }
        };
        self.base = slot + 1;
        while let Some(entry) = self.later.first_entry()
            && entry.key().saturating_sub(self.base) < Self::RING
        {
            let (slot, events) = entry.remove_entry();
            self.len -= events.len();
            for scheduled in events {
                self.push(slot, scheduled);
            }
        }
        Some(slot)
    }

    /// The earliest slot in the ring that holds events.
    fn first_in_ring(&self) -> Option<u64> {
        let words = self.occupied.len();
        if words == 0 {
            return None;
        }
        let start = (self.base % Self::RING) as usize;
        let first_word = start / 64;
        // The first word from `start` on, then the others in ring order, then the first
        // word's bits before `start` (slots a whole ring later).
        let masked = self.occupied[first_word] & (u64::MAX << (start % 64));
        let found = if masked != 0 {
            Some(first_word * 64 + masked.trailing_zeros() as usize)
        } else {
            (1..=words).find_map(|step| {
                let word = (first_word + step) % words;
                let bits = self.occupied[word];
                (bits != 0).then(|| word * 64 + bits.trailing_zeros() as usize)
            })
        }?;
        let offset = (found as u64 + Self::RING - start as u64) % Self::RING;
        Some(self.base + offset)
    }
}

/// The order of events: time, then the order they were scheduled in.
fn key<E>(scheduled: &Scheduled<E>) -> (SimTime, u64) {
    (scheduled.time, scheduled.sequence)
}

/// One queued event with its ordering key.
#[derive(Debug, Clone)]
struct Scheduled<E> {
    time: SimTime,
    sequence: u64,
    event: E,
}

impl<E> PartialEq for Scheduled<E> {
    fn eq(&self, other: &Self) -> bool {
        self.time == other.time && self.sequence == other.sequence
    }
}

impl<E> Eq for Scheduled<E> {}

impl<E> PartialOrd for Scheduled<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Scheduled<E> {
    /// Reversed, because `BinaryHeap` pops the greatest element and we want the earliest.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.time, other.sequence).cmp(&(self.time, self.sequence))
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue::new()
    }
}

impl<E> EventQueue<E> {
    /// The width of a far slot (2^27 ns, about 134 ms): a few dozen events of a busy fleet,
    /// so the near heap stays small, and few enough slots that finding one is quick.
    pub const SLOT: Duration = Duration::from_nanos(1 << Self::SLOT_BITS);

    /// [`EventQueue::SLOT`] as a power of two of nanoseconds, so a time's slot is a shift.
    const SLOT_BITS: u32 = 27;

    /// An empty queue.
    pub fn new() -> EventQueue<E> {
        EventQueue {
            run: VecDeque::new(),
            heap: BinaryHeap::new(),
            far: Calendar::default(),
            near_until: SimTime::EPOCH,
            opened: false,
            sequence: 0,
        }
    }

    /// The slot of `time`.
    fn slot(time: SimTime) -> u64 {
        u64::try_from(time.since_epoch().as_nanos()).unwrap_or(u64::MAX) >> Self::SLOT_BITS
    }

    /// The first instant after slot `slot`.
    fn slot_end(slot: u64) -> SimTime {
        SimTime::from_duration(Duration::from_nanos(
            slot.saturating_add(1).saturating_mul(1 << Self::SLOT_BITS),
        ))
    }

    /// Schedules `event` at `time`, after every event already scheduled for that instant.
    pub fn push(&mut self, time: SimTime, event: E) {
        self.sequence += 1;
        let scheduled = Scheduled {
            time,
            sequence: self.sequence,
            event,
        };
        if time < self.near_until {
            let slot = Self::slot(time);
            let window = Self::slot(self.near_until) - 1;
            if self.opened && slot < window && window >= self.far.base {
                // The window moves back to this event's slot; the near events (all in
                // the old window's slot) wait in `far`, where they come first.
                for near in self.run.drain(..).chain(self.heap.drain()) {
                    self.far.push(window, near);
                }
                self.near_until = Self::slot_end(slot);
            }
            self.push_near(scheduled);
        } else if self.near_is_empty() && (self.far.len == 0 || Self::slot(time) < self.far.base) {
            // This event opens a new near window (before every far slot).
            self.near_until = Self::slot_end(Self::slot(time));
            self.opened = true;
            self.run.push_back(scheduled);
        } else {
            self.far.push(Self::slot(time), scheduled);
        }
    }

    /// A near event goes to the end of the run when it is no earlier than the run's last,
    /// else into the heap.
    fn push_near(&mut self, scheduled: Scheduled<E>) {
        match self.run.back() {
            Some(last) if key(last) > key(&scheduled) => self.heap.push(scheduled),
            _ => self.run.push_back(scheduled),
        }
    }

    /// The earliest event and its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if self.near_is_empty() {
            self.refill()?;
        }
        let from_run = match (self.run.front(), self.heap.peek()) {
            (Some(front), Some(top)) => key(front) < key(top),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let scheduled = if from_run {
            self.run.pop_front()
        } else {
            self.heap.pop()
        }?;
        Some((scheduled.time, scheduled.event))
    }

    /// The near parts ran dry: the earliest far slot becomes the run (`None`: the queue
    /// is empty).
    fn refill(&mut self) -> Option<()> {
        let slot = self.far.take_first(&mut self.run)?;
        self.near_until = Self::slot_end(slot);
        self.opened = false;
        // Keys are unique (the sequence), so the sort has one answer.
        self.run.make_contiguous().sort_unstable_by_key(key);
        Some(())
    }

    /// Whether the run and the heap are both empty.
    fn near_is_empty(&self) -> bool {
        self.run.is_empty() && self.heap.is_empty()
    }

    /// When the earliest event is due.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        if self.near_is_empty() {
            self.refill()?;
        }
        match (self.run.front(), self.heap.peek()) {
            (Some(front), Some(top)) => Some(front.time.min(top.time)),
            (Some(one), None) | (None, Some(one)) => Some(one.time),
            (None, None) => None,
        }
    }

    /// How many events are waiting.
    pub fn len(&self) -> usize {
        self.run.len() + self.heap.len() + self.far.len
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.near_is_empty() && self.far.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut queue = EventQueue::new();
        queue.push(SimTime::from_secs(2), "late");
        queue.push(SimTime::from_secs(1), "first");
        queue.push(SimTime::from_secs(1), "second");
        queue.push(SimTime::from_secs(1), "third");
        let order: Vec<&str> = std::iter::from_fn(|| queue.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["first", "second", "third", "late"]);
    }

    proptest! {
        /// Against a reference (a sorted list): every pop is the earliest of what is
        /// queued then, ties in scheduling order, with pops interleaved so the near window
        /// moves and events land near, far (in the ring and beyond it), in one slot and
        /// before the window.
        #[test]
        fn pops_are_the_earliest_by_time_then_sequence(
            steps in proptest::collection::vec((0u64..400, any::<bool>()), 0..300),
            // Seconds as they are, packed a few to a slot, or spread over 11 hours so that
            // slots wait beyond the calendar's ring.
            (scale, slot_fraction) in prop_oneof![
                Just((1u64, 1u64)),
                Just((1, 7)),
                Just((1, 1000)),
                Just((100, 1)),
            ],
        ) {
            let mut queue = EventQueue::new();
            let mut reference: Vec<(SimTime, usize)> = Vec::new();
            for (index, (secs, pop)) in steps.into_iter().enumerate() {
                // Times in whole seconds, or packed a few to a slot.
                let time =
                    SimTime::from_duration(Duration::from_nanos(secs * scale * 1_000_000_000 / slot_fraction));
                queue.push(time, index);
                reference.push((time, index));
                prop_assert_eq!(queue.len(), reference.len());
                if pop {
                    reference.sort();
                    let expected = reference.remove(0);
                    prop_assert_eq!(queue.pop(), Some(expected));
                }
            }
            reference.sort();
            for expected in reference {
                prop_assert_eq!(queue.peek_time(), Some(expected.0));
                prop_assert_eq!(queue.pop(), Some(expected));
            }
            prop_assert!(queue.is_empty());
        }
    }
}
