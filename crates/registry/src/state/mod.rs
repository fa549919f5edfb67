//! The registry's state outside any one request: content, tags, fault rules, triggers,
//! the request log, and the memo of answers `handle_shared` may give again.
//!
//! - `store`: content by digest, repositories, tags with history; `tags`: tag moves,
//!   deletes, history and the live list from outside the protocol.
//! - [`fault`]: fault rules and verdicts.
//! - [`trigger`]: one-shot content changes (tag moves) that a client's own request sets off.
//! - [`log`]: the request log.
//! - [`rate_limit`]: Docker Hub's pull rate limit.
//! - `memo`: answers `handle_shared` gives again to repeated reads, and when it may.

pub mod fault;
pub mod log;
pub(crate) mod memo;
pub mod rate_limit;
pub(crate) mod store;
pub(crate) mod tags;
pub mod trigger;
