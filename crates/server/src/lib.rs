//! `pullsim-server`: the fake OCI registry over real HTTP, for real pullers (skopeo,
//! containerd, podman, ...) to pull from and push to.
//!
//! The server is an adapter. It turns each HTTP request into a
//! [`pullsim_registry::Request`], asks [`pullsim_registry::Registry::handle`] with the wall
//! time since the server started, and writes the answer back, carrying out the answer's
//! delivery (a delay, or a connection cut after some body bytes). When the registry is a
//! pull-through cache the handler goes through `Registry::begin`/`resume` instead, performing
//! each upstream exchange the core asks for with [`UpstreamClient`].
//!
//! Architecture Invariant: the server decides no protocol behaviour. Every status,
//! header, body and error envelope comes from the core, so the simulator (which calls the
//! same core in-process) sees exactly what real clients see. The server's only own
//! answers are transport refusals, which never reach the core: hyper's 400 for an
//! unparsable request and 431 for a header flood, 400 for a body that ended before its
//! length, and 503 for a connection over the limit.
//!
//! Module map:
//! - [`serve`](mod@serve): the accept loop on a caller-bound listener, the clock, the
//!   handler, the upload-expiry timer.
//! - `connection`: one connection (header-read timeout, idle watchdog, graceful stop) and
//!   the refusal over the connection limit.
//! - [`limits`]: [`ServerLimits`] and their defaults.
//! - [`exchange`]: HTTP request to core request, core response to HTTP response, body caps.
//! - [`upstream`]: the pull-through cache's HTTP client (timeouts, body cap); the handler
//!   drives the core's `begin`/`resume` through it when the registry is a proxy.
//! - [`secrets`]: the random token key every served registry gets, and control tokens.

mod connection;
pub mod exchange;
pub mod limits;
pub mod secrets;
pub mod serve;
pub mod upstream;

pub use exchange::{MANIFEST_BODY_LIMIT_BYTES, UPLOAD_BODY_LIMIT_BYTES, body_limit_bytes};
pub use limits::{
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_CONNECTIONS, ServerLimits,
};
pub use secrets::{random_control_token, random_token_key};
pub use serve::{serve, serve_with_limits};
pub use upstream::{
    DEFAULT_UPSTREAM_BODY_CAP_BYTES, DEFAULT_UPSTREAM_CONNECT_TIMEOUT,
    DEFAULT_UPSTREAM_READ_TIMEOUT, UpstreamClient,
};
