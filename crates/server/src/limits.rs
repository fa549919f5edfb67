//! The server's own limits on connections, as opposed to the registry's limits on what
//! requests may hold: how long a client may take to send a request head, how long a
//! connection may sit idle, and how many connections may be open at once.

use std::time::Duration;

/// How long a client may take to send a whole request head (request line and headers),
/// unless configured. A connection that sent half a head, or nothing at all, is closed
/// after this long.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a connection may go without a byte moving either way while no request of it
/// is being answered, unless configured: an idle keep-alive connection, a body that
/// stopped arriving, a client that stopped reading its response.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many connections may be open at once, unless configured. One more is answered
/// `503 Service Unavailable` with `Retry-After: 1` and closed at once.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The server's limits on connections (see the constants for what each means).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The time a client has to send a request head.
    pub header_read_timeout: Duration,
    /// The time a connection may sit idle.
    pub idle_timeout: Duration,
    /// The most connections open at once (at least 1).
    pub max_connections: usize,
}

impl Default for ServerLimits {
    fn default() -> ServerLimits {
        ServerLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}
