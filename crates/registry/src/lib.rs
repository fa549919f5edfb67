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
//! - [`registry`]: [`Registry`] itself: `handle`, authentication, tag and fault operations.
//! - [`catalog`]: catalogs, image specs, access rules and the built-in demo catalog.
//! - `builder`: the deterministic synthetic image builder (layers, configs, manifests).
//! - `store`: content by digest, repositories, tags with history; `tags`: tag moves,
//!   deletes, history and the live list from outside the protocol.
//! - `pull`, `push`: the distribution API's pull and push sides; `uploads`: open uploads, their idle expiry and caps.
//! - `access`, `auth`, `token`: accounts and access rules, the 401/403 decision and challenges, and the Docker token flow.
//! - [`fault`]: fault rules and verdicts.
//! - [`trigger`]: one-shot content changes (tag moves) that a client's own request sets off.
//! - [`log`]: the request log.
//! - `memo`: answers `handle_shared` gives again to repeated reads, and when it may.
//! - `control`: the `/_pullsim/` control API.
//! - [`media`]: media types and `Accept` negotiation.
//! - [`errcode`]: the spec's error codes and envelopes.
//! - `route`, `range`, `names`: request targets, `Range` headers, names and globs.
//! - [`error`]: errors of operations from outside the protocol.

mod access;
mod auth;
mod builder;
pub mod catalog;
mod control;
pub mod errcode;
pub mod error;
pub mod fault;
pub mod log;
pub mod media;
mod memo;
mod names;
mod pull;
mod push;
mod range;
pub mod registry;
mod route;
mod store;
mod tags;
mod token;
pub mod trigger;
mod uploads;

pub mod protocol;

pub use access::{ANONYMOUS, AUTHENTICATED, AuthMode};
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
pub use push::MANIFEST_MAX_BYTES;
pub use registry::{Registry, RegistryConfig, TagSummary};
pub use store::TagEvent;
pub use token::{TOKEN_LIFETIME, TokenKey};
pub use trigger::{InstalledTrigger, Trigger, TriggerAction};
pub use uploads::{
    DEFAULT_UPLOAD_IDLE, DEFAULT_UPLOAD_MAX_BYTES, DEFAULT_UPLOADS_TOTAL_MAX_BYTES, UploadLimits,
};
