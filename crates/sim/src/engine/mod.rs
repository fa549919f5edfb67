//! The discrete-event engine: the event queue ordered by `(time, sequence)`, the one
//! seeded random number generator, the limits every run is held to, the slab that holds
//! work in progress under stable keys, the chunked table for records by the hundred
//! thousand, and the event loop that drives the world.
//!
//! Ties in time are broken by the order events were scheduled in, never by hashing or
//! addresses, so the same world and seed replay the same way on every machine.

mod chunked;
mod event_loop;
mod limits;
mod queue;
mod rng;
mod slab;

pub(crate) use chunked::Chunked;
pub(crate) use event_loop::Event;
pub use limits::Limits;
pub use queue::EventQueue;
pub use rng::SimRng;
pub(crate) use slab::{Key, Slab};
