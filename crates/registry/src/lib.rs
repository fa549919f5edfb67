//! `pullsim-registry`: the fake OCI registry as a deterministic state machine.
//!
//! The simulator drives it in-process and `pullsim-server` puts it behind real HTTP, so
//! every registry behaviour (content, mutable tags, accounts, faults, the request log)
//! exists once, here. A request goes in with the virtual time it arrives at; a response
//! comes out in protocol terms (status, headers, body, and how to deliver it).
//!
//! Architecture Invariant: no I/O, no clock, no threads, no OS randomness. Time is a
//! [`SimTime`](pullsim_model::SimTime) argument; bodies are shared [`bytes::Bytes`], never
//! copied per request.
//!
//! Module map:
//! - [`protocol`]: the request and response types `handle` speaks.

pub mod protocol;

pub use protocol::{Delivery, Headers, Method, Request, Response};
