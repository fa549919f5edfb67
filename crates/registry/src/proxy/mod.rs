//! The pull-through cache (distribution's proxy mode), sans-IO: [`Registry::begin`](crate::Registry::begin) either
//! answers a request or asks for an [`UpstreamRequest`]; the caller performs it and hands the
//! reply to [`Registry::resume`](crate::Registry::resume), which answers or asks for the next one. The rules, their
//! constants and their sources are in docs/pull-through-cache.md.
//!
//! - `config`: [`ProxyConfig`] and the seam types ([`Step`], [`UpstreamRequest`], ...).
//! - `upstream`: building upstream requests, reading challenges and token replies.
//! - `flow`: the per-ticket state machine (tag, manifest and blob flows).

mod config;
mod flow;
mod upstream;

#[cfg(test)]
mod tests;

pub use config::{
    DEFAULT_PROXY_TTL, PROXY_CLIENT, PROXY_PENDING_MAX, ProxyConfig, Step, Ticket, UpstreamReply,
    UpstreamRequest,
};
pub(crate) use flow::ProxyState;
pub use upstream::token_from_body;
