//! The proxy's configuration and the types of the begin/resume seam.

use std::time::Duration;

use crate::protocol::{Request, Response};

/// distribution's default `proxy.ttl`: `repositoryTTL = 24 * 7 * time.Hour`
/// (registry/proxy/proxyregistry.go).
pub const DEFAULT_PROXY_TTL: Duration = Duration::from_secs(168 * 3600);

/// At most this many client requests may wait on the upstream at once; one more is answered
/// `503 TOOMANYREQUESTS` without asking the upstream (a pullsim bound, not distribution's).
pub const PROXY_PENDING_MAX: usize = 1024;

/// The `client` of every request the proxy sends upstream.
pub const PROXY_CLIENT: &str = "pullsim-proxy";

/// What makes a registry a pull-through cache of another one.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The upstream's base URL (`https://registry-1.docker.io`, `http://127.0.0.1:5001`).
    pub upstream: String,
    /// How long fetched content stays cached, counted from caching; `None` never expires
    /// it (distribution's `ttl: 0`).
    pub ttl: Option<Duration>,
    /// Credentials for the upstream's Basic challenge or token endpoint.
    pub username: Option<String>,
    /// The password that goes with `username`.
    pub password: Option<String>,
}

impl ProxyConfig {
    /// A proxy of `upstream` with the default TTL and no credentials.
    pub fn new(upstream: impl Into<String>) -> ProxyConfig {
        ProxyConfig {
            upstream: upstream.into(),
            ttl: Some(DEFAULT_PROXY_TTL),
            username: None,
            password: None,
        }
    }
}

impl std::fmt::Debug for ProxyConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProxyConfig")
            .field("upstream", &self.upstream)
            .field("ttl", &self.ttl)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// What the registry does next with a client request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The answer to send the client.
    Answer(Response),
    /// Perform this upstream exchange and pass its reply to `Registry::resume`.
    Upstream(UpstreamRequest),
}

/// One exchange with the upstream the caller must perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamRequest {
    /// Which pending client request this belongs to.
    pub ticket: Ticket,
    /// The absolute URL.
    pub url: String,
    /// `host[:port]` of `url`.
    pub host: String,
    /// Method, target (path and query), headers as sent upstream; `client` is
    /// [`PROXY_CLIENT`].
    pub request: Request,
}

/// What came back from an upstream exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpstreamReply {
    /// A response, whatever its status.
    Response(Response),
    /// No response: the transport error's text (refused, timed out, ...).
    Failed(String),
}

/// A pending client request of a proxy.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ticket(pub(crate) u64);
