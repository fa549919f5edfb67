//! The server's reliability limits over raw TCP on 127.0.0.1, with short timeouts so the
//! tests are quick: a half-sent or never-sent request head is closed after the
//! header-read timeout, an idle connection (keep-alive, stalled body) after the idle
//! timeout, a connection over the limit gets a prompt 503, a body that ends early leaves
//! the upload as it was, and idle uploads are expired by the server's timer.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pullsim_registry::{FaultMatch, FaultRule, Registry, RegistryConfig, UploadLimits, Verdict};
use pullsim_server::ServerLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::time::Instant;

/// A server on a free port of 127.0.0.1, stopped when dropped.
struct Running {
    addr: SocketAddr,
    registry: Arc<Mutex<Registry>>,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(limits: ServerLimits) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let registry = Arc::new(Mutex::new(Registry::with_demo_catalog(
        RegistryConfig::default(),
    )));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(pullsim_server::serve_with_limits(
        listener,
        Arc::clone(&registry),
        limits,
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        registry,
        stop: Some(stop),
    }
}

fn quick(header: Duration, idle: Duration) -> ServerLimits {
    ServerLimits {
        header_read_timeout: header,
        idle_timeout: idle,
        ..ServerLimits::default()
    }
}

/// Reads until the server closes the connection (or 10 s pass); answers what arrived and
/// how long after `since` the close came.
async fn until_closed(stream: &mut TcpStream, since: Instant) -> (Vec<u8>, Duration) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    let deadline = since + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(Ok(0) | Err(_)) => return (got, since.elapsed()),
            Ok(Ok(n)) => got.extend_from_slice(&chunk[..n]),
            Err(_) => panic!(
                "still open after 10 s; got {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
}

/// Sends one complete request on `stream` and reads one response head and its body.
async fn ask(stream: &mut TcpStream, request: &[u8]) -> (u16, String) {
    stream.write_all(request).await.unwrap();
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .unwrap();
        assert!(
            n > 0,
            "closed before an answer: {:?}",
            String::from_utf8_lossy(&got)
        );
        got.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&got).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            if body.len() >= length {
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                return (status, text);
            }
        }
    }
}

/// A manifest `GET` that the demo catalog answers 200.
const GET_BASE: &[u8] = b"GET /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: registry.test\r\n\
Accept: application/vnd.oci.image.manifest.v1+json\r\n\r\n";

#[tokio::test]
async fn half_a_request_head_is_closed_after_the_header_read_timeout() {
    let server = start(quick(Duration::from_millis(300), Duration::from_secs(30))).await;
    let mut half = TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET /v2/ HTTP/1.1\r\nHost: regi")
        .await
        .unwrap();
    let sent = Instant::now();
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    let (_, waited) = until_closed(&mut half, sent).await;
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "closed after {waited:?}"
    );
    let (nothing, waited) = until_closed(&mut silent, sent).await;
    assert!(waited < Duration::from_secs(3), "closed after {waited:?}");
    assert!(!String::from_utf8_lossy(&nothing).contains(" 200 "));
    // The server still serves everyone else.
    let mut fresh = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(ask(&mut fresh, GET_BASE).await.0, 200);
}

#[tokio::test]
async fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = start(quick(Duration::from_secs(30), Duration::from_millis(300))).await;
    // A keep-alive connection that asked once and then went quiet.
    let mut keep_alive = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(ask(&mut keep_alive, GET_BASE).await.0, 200);
    let asked = Instant::now();
    // A body that stopped arriving after 10 of its 1000 bytes.
    let mut stalled = TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"POST /v2/demo/x/blobs/uploads/ HTTP/1.1\r\nHost: r\r\nContent-Length: 1000\r\n\r\n0123456789")
        .await
        .unwrap();
    let (_, waited) = until_closed(&mut keep_alive, asked).await;
    assert!(
        waited < Duration::from_secs(3),
        "keep-alive closed after {waited:?}"
    );
    let (_, waited) = until_closed(&mut stalled, asked).await;
    assert!(
        waited < Duration::from_secs(3),
        "stalled body closed after {waited:?}"
    );
    assert_eq!(server.registry.lock().unwrap().open_uploads(), (0, 0));
}

/// A delay fault longer than the idle timeout is the server's doing, not an idle client:
/// the answer still comes.
#[tokio::test]
async fn a_slow_answer_is_not_idle() {
    let server = start(quick(Duration::from_secs(30), Duration::from_millis(200))).await;
    server.registry.lock().unwrap().add_fault(FaultRule {
        matcher: FaultMatch {
            path: Some("/v2/demo/hello/manifests/v1".to_owned()),
            ..FaultMatch::default()
        },
        verdict: Verdict::Delay(Duration::from_millis(700)),
        uses: Some(1),
    });
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    assert_eq!(ask(&mut stream, GET_BASE).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(700));
}

#[tokio::test]
async fn connections_over_the_limit_get_a_prompt_503() {
    let server = start(ServerLimits {
        max_connections: 2,
        ..ServerLimits::default()
    })
    .await;
    let mut first = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(ask(&mut first, GET_BASE).await.0, 200);
    let mut second = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(ask(&mut second, GET_BASE).await.0, 200);
    let mut third = TcpStream::connect(server.addr).await.unwrap();
    let started = Instant::now();
    let _ = third.write_all(GET_BASE).await;
    let (answer, waited) = until_closed(&mut third, started).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(answer.starts_with("HTTP/1.1 503 "), "{answer:?}");
    assert!(answer.contains("Retry-After: 1"), "{answer:?}");
    assert!(waited < Duration::from_secs(2), "refused after {waited:?}");
    // A slot freed is a slot taken again.
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut again = TcpStream::connect(server.addr).await.unwrap();
        let _ = again.write_all(GET_BASE).await;
        let mut head = [0u8; 12];
        let read = again.read_exact(&mut head).await;
        if read.is_ok() && &head == b"HTTP/1.1 200" {
            break;
        }
        assert!(Instant::now() < deadline, "no slot came free");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A `PATCH` announcing 1000 bytes that sends 500 and closes leaves the upload as it was.
#[tokio::test]
async fn a_short_body_leaves_the_upload_unchanged() {
    let server = start(ServerLimits::default()).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let (status, answer) = ask(
        &mut stream,
        b"POST /v2/demo/x/blobs/uploads/ HTTP/1.1\r\nHost: r\r\nContent-Length: 3\r\n\r\nabc",
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    let location = answer
        .lines()
        .find_map(|line| line.strip_prefix("location: "))
        .unwrap()
        .to_owned();
    let mut patch = TcpStream::connect(server.addr).await.unwrap();
    let mut request =
        format!("PATCH {location} HTTP/1.1\r\nHost: r\r\nContent-Length: 1000\r\n\r\n")
            .into_bytes();
    request.extend([b'x'; 500]);
    patch.write_all(&request).await.unwrap();
    patch.shutdown().await.unwrap();
    let (answer, _) = until_closed(&mut patch, Instant::now()).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400 "),
        "{answer:?}"
    );
    assert_eq!(server.registry.lock().unwrap().open_uploads(), (1, 3));
    let (status, answer) = ask(
        &mut stream,
        format!("GET {location} HTTP/1.1\r\nHost: r\r\n\r\n").as_bytes(),
    )
    .await;
    assert_eq!(status, 204);
    assert!(answer.contains("range: 0-2"), "{answer}");
}

/// An abandoned upload is freed by the server's timer, with no further request.
#[tokio::test]
async fn abandoned_uploads_expire_without_a_request() {
    let server = start(ServerLimits::default()).await;
    server
        .registry
        .lock()
        .unwrap()
        .set_upload_limits(UploadLimits {
            idle: Duration::from_millis(200),
            ..UploadLimits::default()
        });
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    let mut request =
        b"POST /v2/demo/x/blobs/uploads/ HTTP/1.1\r\nHost: r\r\nContent-Length: 65536\r\n\r\n"
            .to_vec();
    request.extend([7; 65536]);
    assert_eq!(ask(&mut stream, &request).await.0, 202);
    assert_eq!(server.registry.lock().unwrap().open_uploads(), (1, 65536));
    let deadline = Instant::now() + Duration::from_secs(5);
    while server.registry.lock().unwrap().open_uploads() != (0, 0) {
        assert!(Instant::now() < deadline, "the upload never expired");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.registry.lock().unwrap().expired_uploads(), 1);
}

/// The header-read timeout runs while a head is awaited: whether an idle keep-alive
/// connection outlives it is what this pins down (the idle timeout is the longer one).
#[tokio::test]
async fn keep_alive_between_requests_is_bounded_by_the_idle_timeout_only() {
    let server = start(quick(Duration::from_millis(200), Duration::from_secs(5))).await;
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    assert_eq!(ask(&mut stream, GET_BASE).await.0, 200);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(ask(&mut stream, GET_BASE).await.0, 200);
}
