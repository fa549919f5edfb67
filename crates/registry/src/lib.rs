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
//! - [`registry`]: [`Registry`] itself: `handle`, authentication, tag and fault operations.
//! - [`catalog`]: catalogs, image specs, access rules and the built-in demo catalog.
//! - `builder`: the deterministic synthetic image builder (layers, configs, manifests).
//! - `api`: the distribution API: [`protocol`] (the request and response types `handle`
//!   speaks), routes, `Range`, names, the pull and push sides, open uploads, [`media`] types
//!   and negotiation, [`errcode`]s, and the `/_pullsim/` control API.
//! - `access`: accounts and access rules, the 401/403 decision and challenges, and the
//!   Docker token flow.
//! - `state`: content, repositories and tags (`store`, `tags`), [`fault`] rules,
//!   [`trigger`]s, the request [`log`], and the `memo` behind `handle_shared`.
//! - [`proxy`]: the pull-through cache ([`Registry::begin`]/[`Registry::resume`]).
//! - [`error`]: errors of operations from outside the protocol.
//!
//! [`protocol`], [`media`], [`errcode`], [`fault`], [`trigger`] and [`log`] are re-exported
//! at the top under the paths they always had.

mod access;
mod api;
mod builder;
pub mod catalog;
pub mod error;
pub mod proxy;
pub mod registry;
mod state;

pub use api::{errcode, media, protocol};
pub use state::{fault, log, rate_limit, trigger};

pub use access::rotation::PasswordRotation;
pub use access::rules::{ANONYMOUS, AUTHENTICATED, AuthMode};
pub use access::token::{TOKEN_LIFETIME, TokenKey};
pub use api::push::MANIFEST_MAX_BYTES;
pub use api::uploads::{
    DEFAULT_UPLOAD_IDLE, DEFAULT_UPLOAD_MAX_BYTES, DEFAULT_UPLOADS_TOTAL_MAX_BYTES, UploadLimits,
};
pub use builder::LAYER_MAX_BYTES;
pub use catalog::{AccessRule, BaseLayers, Catalog, ImageFormat, ImageSpec, LoadedImage};
pub use errcode::ErrorCode;
pub use error::{CatalogError, RegistryError};
pub use fault::{FAULT_STATUSES, FaultId, FaultMatch, FaultRule, InstalledFault, Verdict};
pub use log::{
    DEFAULT_LOG_WINDOW, LOG_PAGE_DEFAULT, LOG_PAGE_MAX, LogEntry, LogPage, LogTap, TAP_MAX,
};
pub use media::ManifestKind;
pub use protocol::{DeclaredBody, Delivery, Headers, Method, Request, Response};
pub use proxy::{
    DEFAULT_PROXY_TTL, PROXY_CLIENT, PROXY_PENDING_MAX, ProxyConfig, Step, Ticket, UpstreamReply,
    UpstreamRequest, token_from_body,
};
pub use rate_limit::RateLimit;
pub use registry::{Registry, RegistryConfig, TagSummary};
pub use state::store::TagEvent;
pub use trigger::{InstalledTrigger, Trigger, TriggerAction};
