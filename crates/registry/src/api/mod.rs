//! The distribution API: what a request asks for and how the registry answers it, over the
//! state in [`crate::state`] and the decisions of [`crate::access`].
//!
//! - [`protocol`]: the request and response types `handle` speaks.
//! - `route`, `range`, `names`: request targets, `Range` headers, repository names and tags.
//! - `pull`, `push`: the pull and push sides; `uploads`: open uploads, their idle expiry and caps.
//! - [`media`]: media types and `Accept` negotiation.
//! - [`errcode`]: the spec's error codes and envelopes.
//! - `control`: the `/_pullsim/` control API.

pub(crate) mod control;
pub mod errcode;
pub mod media;
pub(crate) mod names;
pub mod protocol;
pub(crate) mod pull;
pub(crate) mod push;
pub(crate) mod range;
pub(crate) mod route;
pub(crate) mod uploads;
