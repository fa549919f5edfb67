//! One client connection: HTTP/1.1 through hyper, a watchdog for the header-read and idle
//! timeouts, a graceful stop, and the prompt refusal of a connection over the limit.
//!
//! The watchdog closes a connection when a request head is awaited for longer than the
//! header-read timeout (from the connection's start, or from the first byte of a later
//! request: half a head, or nothing at all), or when no byte moved either way for the idle
//! timeout while none of its requests was being answered (a keep-alive connection between
//! requests, a body that stopped arriving, a client that stopped reading). A request the
//! core is answering (a delay fault, say) is never idle. hyper's own header-read timeout
//! is not used: it also runs between keep-alive requests, which would make the idle
//! timeout the shorter header-read one.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::HttpService;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::limits::ServerLimits;

/// `head_since_ms` when no request head is being awaited.
const NO_HEAD: u64 = u64::MAX;

/// What the watchdog knows of a connection: when a byte last moved, since when a request
/// head is awaited, and how many of its requests are in the handler or being answered.
#[derive(Debug)]
pub(crate) struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` that a byte last moved.
    moved_ms: AtomicU64,
    /// Milliseconds after `opened` that the head now awaited began ([`NO_HEAD`]: none).
    head_since_ms: AtomicU64,
    /// Requests handed to the handler and not yet answered.
    requests: AtomicUsize,
    /// Requests whose body is read and whose answer is being decided or delayed.
    answering: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            moved_ms: AtomicU64::new(0),
            head_since_ms: AtomicU64::new(0),
            requests: AtomicUsize::new(0),
            answering: AtomicUsize::new(0),
        }
    }

    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(NO_HEAD - 1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.opened + Duration::from_millis(ms)
    }

    /// Bytes arrived (`read`) or left: outside a request, arriving bytes begin a head.
    fn moved(&self, read: bool) {
        let now = self.elapsed_ms();
        self.moved_ms.store(now, Ordering::Relaxed);
        if read && self.requests.load(Ordering::Relaxed) == 0 {
            let _ = self.head_since_ms.compare_exchange(
                NO_HEAD,
                now,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
    }

    /// Marks a request as handed to the handler (its head is whole) until the guard drops.
    pub(crate) fn request(self: &Arc<Activity>) -> InRequest {
        self.requests.fetch_add(1, Ordering::Relaxed);
        self.head_since_ms.store(NO_HEAD, Ordering::Relaxed);
        InRequest(Arc::clone(self))
    }

    /// Marks a request as being answered until the guard is dropped.
    pub(crate) fn answering(self: &Arc<Activity>) -> Answering {
        self.answering.fetch_add(1, Ordering::Relaxed);
        Answering(Arc::clone(self))
    }

    /// When the watchdog should close the connection if nothing changes: the head's
    /// deadline, or the idle one (`None` for the idle one while a request is answered).
    fn deadline(&self, limits: &ServerLimits) -> Option<Instant> {
        let head = match self.head_since_ms.load(Ordering::Relaxed) {
            NO_HEAD => None,
            since => Some(self.at(since) + limits.header_read_timeout),
        };
        let idle = (self.answering.load(Ordering::Relaxed) == 0)
            .then(|| self.at(self.moved_ms.load(Ordering::Relaxed)) + limits.idle_timeout);
        match (head, idle) {
            (Some(head), Some(idle)) => Some(head.min(idle)),
            (head, idle) => head.or(idle),
        }
    }
}

/// A request in the handler (see [`Activity::request`]).
#[derive(Debug)]
pub(crate) struct InRequest(Arc<Activity>);

impl Drop for InRequest {
    fn drop(&mut self) {
        self.0.requests.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A request being answered (see [`Activity::answering`]).
#[derive(Debug)]
pub(crate) struct Answering(Arc<Activity>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.moved(false);
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The socket, noting every byte that moves.
#[derive(Debug)]
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.moved(true);
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.moved(false);
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

/// A new connection's activity record, for its service to mark requests being answered.
pub(crate) fn activity() -> Arc<Activity> {
    Arc::new(Activity::new())
}

/// Serves one connection until the client closes it, a timeout closes it, or `closing`
/// turns true (then the request in flight, if any, is finished first).
pub(crate) async fn serve_connection<S>(
    stream: TcpStream,
    activity: Arc<Activity>,
    service: S,
    limits: ServerLimits,
    mut closing: watch::Receiver<bool>,
) where
    S: HttpService<Incoming>,
    S::Future: Send + 'static,
    S::ResBody: 'static,
    <S::ResBody as http_body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let _ = stream.set_nodelay(true);
    let io = TokioIo::new(Watched {
        stream,
        activity: Arc::clone(&activity),
    });
    let connection = http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, service);
    tokio::pin!(connection);
    let mut stopping = *closing.borrow();
    if stopping {
        connection.as_mut().graceful_shutdown();
    }
    loop {
        // Asleep until the connection could be due; while a request is answered (no
        // deadline), look again a little later.
        let wake = activity
            .deadline(&limits)
            .unwrap_or_else(|| Instant::now() + limits.idle_timeout.min(Duration::from_secs(1)));
        tokio::select! {
            _ = connection.as_mut() => return,
            changed = closing.changed(), if !stopping => {
                if changed.is_err() || *closing.borrow() {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
            () = tokio::time::sleep_until(wake) => {
                if activity
                    .deadline(&limits)
                    .is_some_and(|deadline| deadline <= Instant::now())
                {
                    // Dropping the connection closes the socket.
                    return;
                }
            }
        }
    }
}

/// The answer to a connection over the limit: a complete `503` with `Retry-After: 1` and
/// `Connection: close`, written without reading the request, then the socket is closed.
/// It never reaches the core (it is a transport refusal, like hyper's 400 and 431).
const OVER_LIMIT: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\n\
Content-Type: application/json\r\n\
Retry-After: 1\r\n\
Connection: close\r\n\
Content-Length: 104\r\n\
\r\n\
{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"service unavailable\",\"detail\":\"too many open connections\"}]}";

/// How long a refused connection is given to take its 503 before it is closed.
const REFUSAL_GRACE: Duration = Duration::from_millis(500);

/// Answers a connection over the limit (see [`OVER_LIMIT`]).
pub(crate) async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(REFUSAL_GRACE, async {
        stream.write_all(OVER_LIMIT).await?;
        stream.shutdown().await?;
        // Read what the client sent until it closes, so the close is a FIN it can read
        // the answer before, not a reset that may discard it.
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<(), io::Error>(())
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::OVER_LIMIT;

    #[test]
    fn the_refusal_announces_its_own_length() {
        let text = std::str::from_utf8(OVER_LIMIT).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(
            head.contains(&format!("Content-Length: {}", body.len())),
            "{head}"
        );
        let _: serde_json::Value = serde_json::from_str(body).unwrap();
    }
}
