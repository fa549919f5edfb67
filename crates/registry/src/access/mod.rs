//! Access: who a request says it is and what it may do.
//!
//! - `rules`: accounts, access rules and credentials.
//! - `rotation`: account passwords that rotate (short-lived tokens).
//! - `auth`: `GET /v2/`, challenges and the 401-versus-403 decision.
//! - `token`: the Docker token flow and the tokens it hands out.

pub(crate) mod auth;
pub(crate) mod rotation;
pub(crate) mod rules;
pub(crate) mod token;
