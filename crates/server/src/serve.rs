//! The server loop: accept connections on a listener the caller bound, route every request
//! to one fallback handler that asks the registry core, and stop when told to.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http;
use pullsim_model::SimTime;
use pullsim_registry::Registry;
use tokio::net::TcpListener;

use crate::exchange::{read_request, write_response};

/// Serves `registry` over HTTP/1.1 on `listener` until `shutdown` completes, then stops
/// accepting, lets requests in flight finish, and returns.
///
/// The caller binds the listener (tests bind `127.0.0.1:0`), so the server never chooses
/// an address. Every request, whatever its method or path, goes to the registry core's
/// `handle` with the wall time since this call as its [`SimTime`]: the core's clock starts
/// when the server does. The lock on `registry` is held only inside `handle`, so the
/// caller may share it to read the log or install faults while the server runs.
///
/// Transport limits (hyper's defaults, kept on purpose): at most 100 header lines and
/// about 400 KiB of request head; a request over either gets `431 Request Header Fields
/// Too Large`, a request hyper cannot parse gets `400 Bad Request`, and neither reaches
/// the core or its log. Bodies are capped as [`crate::body_limit_bytes`] says.
///
/// # Errors
///
/// Returns the listener's error if accepting connections fails for good, or the error
/// of the operating system's random source, which gives the registry its token key.
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Mutex<Registry>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Tokens are signed with a key nobody else has, so they validate on this server only.
    crate::secrets::key_registry(&registry)?;
    let front = Arc::new(Front {
        registry,
        clock: Clock::start(),
    });
    let app = Router::new().fallback(exchange).with_state(front);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// What every request handler shares: the registry and the clock.
#[derive(Debug)]
struct Front {
    registry: Arc<Mutex<Registry>>,
    clock: Clock,
}

/// The server's only clock: wall time since the server started, as the core's [`SimTime`].
#[derive(Debug, Clone, Copy)]
struct Clock {
    started: Instant,
}

impl Clock {
    #[expect(
        clippy::disallowed_methods,
        reason = "the HTTP server runs in real time: its SimTime is wall time since it started"
    )]
    fn start() -> Clock {
        Clock {
            started: Instant::now(),
        }
    }

    fn now(self) -> SimTime {
        SimTime::from_duration(self.started.elapsed())
    }
}

/// The one handler: translate, ask the core, translate back.
async fn exchange(
    State(front): State<Arc<Front>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: http::Request<Body>,
) -> http::Response<Body> {
    let request = read_request(request, peer.to_string()).await;
    let now = front.clock.now();
    let response = {
        // A panic inside the core would poison the lock; the registry's state is still
        // whole (handle() does not leave it half-changed on a panic it never has), so the
        // server keeps answering rather than failing every later request.
        let mut registry = front
            .registry
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        registry.handle(&request, now)
    };
    write_response(response, &request.method).await
}
