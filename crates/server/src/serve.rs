//! The server loop: accept connections on a listener the caller bound (at most
//! [`ServerLimits::max_connections`] at once), hand every request to one handler that asks
//! the registry core, expire idle uploads on a timer, and stop when told to.

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http;
use hyper::body::Incoming;
use pullsim_model::SimTime;
use pullsim_registry::Registry;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use crate::connection::{self, Activity};
use crate::exchange::{read_request, short_body_refusal, write_response};
use crate::limits::ServerLimits;

/// How often idle uploads are expired when no request does it.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(1);

/// How long the loop waits after a failed `accept` (out of file descriptors, say) before
/// it tries again.
const ACCEPT_RETRY: Duration = Duration::from_millis(50);

/// Serves `registry` over HTTP/1.1 on `listener` with the default [`ServerLimits`] until
/// `shutdown` completes; see [`serve_with_limits`].
///
/// # Errors
///
/// As [`serve_with_limits`]: only the operating system's random source can fail it.
pub async fn serve(
    listener: TcpListener,
    registry: Arc<Mutex<Registry>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with_limits(listener, registry, ServerLimits::default(), shutdown).await
}

/// Serves `registry` over HTTP/1.1 on `listener` until `shutdown` completes, then stops
/// accepting, lets requests in flight finish, and returns.
///
/// The caller binds the listener (tests bind `127.0.0.1:0`), so the server never chooses
/// an address. Every request, whatever its method or path, goes to the registry core's
/// `handle` with the wall time since this call as its [`SimTime`]: the core's clock starts
/// when the server does. The lock on `registry` is held only inside `handle` (and once a
/// second to expire idle uploads), so the caller may share it to read the log or install
/// faults while the server runs.
///
/// Transport limits: at most 100 header lines and about 400 KiB of request head (hyper's
/// defaults; a request over either gets `431 Request Header Fields Too Large`, a request
/// hyper cannot parse `400 Bad Request`); the header-read and idle timeouts and the
/// connection limit of `limits` (see [`crate::limits`]); a body that ends before its
/// `Content-Length` gets `400` and never reaches the core. None of these answers reach the
/// core or its log. Bodies are capped as [`crate::body_limit_bytes`] says.
///
/// # Errors
///
/// Returns the error of the operating system's random source, which gives the registry
/// its token key. A failed `accept` (a handshake the client aborted, no file descriptor
/// left) is retried after a short pause rather than stopping the server.
pub async fn serve_with_limits(
    listener: TcpListener,
    registry: Arc<Mutex<Registry>>,
    limits: ServerLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    // Tokens are signed with a key nobody else has, so they validate on this server only.
    crate::secrets::key_registry(&registry)?;
    let front = Arc::new(Front {
        registry,
        clock: Clock::start(),
    });
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let slots = Arc::new(Semaphore::new(max_connections));
    let (close, closing) = watch::channel(false);
    let expiry = tokio::spawn(expire_uploads(Arc::clone(&front)));
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, peer)) = accepted else {
            tokio::time::sleep(ACCEPT_RETRY).await;
            continue;
        };
        let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
            tokio::spawn(connection::refuse(stream));
            continue;
        };
        let activity = connection::activity();
        let service = {
            let front = Arc::clone(&front);
            let activity = Arc::clone(&activity);
            hyper::service::service_fn(move |request| {
                let front = Arc::clone(&front);
                let activity = Arc::clone(&activity);
                async move { Ok::<_, Infallible>(exchange(&front, &activity, peer, request).await) }
            })
        };
        let closing = closing.clone();
        tokio::spawn(async move {
            connection::serve_connection(stream, activity, service, limits, closing).await;
            drop(slot);
        });
    }
    drop(listener);
    expiry.abort();
    let _ = close.send(true);
    // Every connection holds a slot until it ends: having them all back means every
    // request in flight is finished.
    let all = u32::try_from(max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
    Ok(())
}

/// What every request handler shares: the registry and the clock.
#[derive(Debug)]
struct Front {
    registry: Arc<Mutex<Registry>>,
    clock: Clock,
}

impl Front {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        // A panic inside the core would poison the lock; the registry's state is still
        // whole (handle() does not leave it half-changed on a panic it never has), so the
        // server keeps answering rather than failing every later request.
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }
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

/// Expires idle uploads once a second, so an abandoned upload's bytes are freed even when
/// no request comes to do it.
async fn expire_uploads(front: Arc<Front>) {
    let mut ticks = tokio::time::interval(EXPIRY_INTERVAL);
    loop {
        ticks.tick().await;
        let now = front.clock.now();
        front.registry().expire_uploads(now);
    }
}

/// The one handler: translate, ask the core, translate back. From the moment the request
/// is whole until its answer is ready the connection is not idle (see `connection.rs`).
async fn exchange(
    front: &Front,
    activity: &Arc<Activity>,
    peer: SocketAddr,
    request: http::Request<Incoming>,
) -> http::Response<Body> {
    let _in_request = activity.request();
    let request = request.map(Body::new);
    let Ok(mut request) = read_request(request, peer.to_string()).await else {
        return short_body_refusal();
    };
    // `client` is `ip:port`; rules that count per address (the rate limit) want the IP.
    request.address = Some(peer.ip().to_string().into());
    let _answering = activity.answering();
    let now = front.clock.now();
    let response = front.registry().handle(&request, now);
    write_response(response, &request.method).await
}
