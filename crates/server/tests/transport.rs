//! The server as a transport, tested over raw TCP on 127.0.0.1 so every byte is visible:
//! `HEAD` keeps `Content-Length` without a body, repeated `Accept` lines reach the core,
//! a drop verdict cuts the body after N bytes, a delay verdict waits, oversized manifests
//! are refused without reading the whole body, and malformed requests, header floods and
//! random garbage never get a 5xx or take the server down.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use pullsim_registry::{FaultMatch, FaultRule, Registry, RegistryConfig, Verdict};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// How long one exchange may take before the test calls it hung.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(10);

/// A server on a free port of 127.0.0.1, stopped when dropped.
struct Running {
    addr: std::net::SocketAddr,
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

async fn start() -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let registry = Arc::new(Mutex::new(Registry::with_demo_catalog(
        RegistryConfig::default(),
    )));
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(pullsim_server::serve(
        listener,
        Arc::clone(&registry),
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

/// What came back on the wire.
#[derive(Debug)]
struct Wire {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Whether the connection ended before the announced `Content-Length`.
    cut: bool,
}

impl Wire {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> Option<usize> {
        self.header("content-length")?.parse().ok()
    }
}

/// Sends `request` as raw bytes on a fresh connection and reads one response (no body
/// for `HEAD`, otherwise up to `Content-Length` or the connection's end).
async fn exchange(addr: std::net::SocketAddr, request: &[u8], head: bool) -> Wire {
    tokio::time::timeout(EXCHANGE_LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // The server may answer and close before reading everything (oversized bodies);
        // a failed write is then expected, and the answer is still there to read.
        let _ = stream.write_all(request).await;
        read_response(&mut stream, head).await
    })
    .await
    .expect("the server answered within the limit")
}

async fn read_response(stream: &mut TcpStream, head: bool) -> Wire {
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    let header_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        assert!(
            n > 0,
            "connection closed before a full response head: {bytes:?}"
        );
        bytes.extend_from_slice(&chunk[..n]);
    };
    let head_text = String::from_utf8_lossy(&bytes[..header_end]).into_owned();
    let mut lines = head_text.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let mut wire = Wire {
        status,
        headers,
        body: bytes[header_end..].to_vec(),
        cut: false,
    };
    if head {
        return wire;
    }
    let want = wire.content_length().unwrap_or(usize::MAX);
    while wire.body.len() < want {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => {
                wire.cut = want != usize::MAX;
                break;
            }
            Ok(n) => wire.body.extend_from_slice(&chunk[..n]),
        }
    }
    wire
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: registry.test\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

fn head(path: &str, extra: &str) -> Vec<u8> {
    format!("HEAD {path} HTTP/1.1\r\nHost: registry.test\r\n{extra}Connection: close\r\n\r\n")
        .into_bytes()
}

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Every Accept line containers/image sends, each on its own header line.
fn six_accept_lines() -> String {
    [
        OCI_MANIFEST,
        OCI_INDEX,
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        "application/vnd.docker.distribution.manifest.v1+json",
    ]
    .iter()
    .map(|media_type| format!("Accept: {media_type}\r\n"))
    .collect()
}

#[tokio::test]
async fn head_keeps_content_length_and_sends_no_body() {
    let server = start().await;
    let accept = six_accept_lines();
    let got = exchange(
        server.addr,
        &get("/v2/demo/multi/manifests/v1", &accept),
        false,
    )
    .await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.content_length(), Some(got.body.len()));
    let headed = exchange(
        server.addr,
        &head("/v2/demo/multi/manifests/v1", &accept),
        true,
    )
    .await;
    assert_eq!(headed.status, 200, "{headed:?}");
    assert_eq!(headed.content_length(), Some(got.body.len()));
    assert!(headed.body.is_empty(), "HEAD sent a body: {headed:?}");
    assert_eq!(
        headed.header("docker-content-digest"),
        got.header("docker-content-digest")
    );
}

/// A 204 (an upload's status) goes out as the core wrote it: no `Content-Length`, no body.
#[tokio::test]
async fn a_204_carries_no_content_length() {
    let server = start().await;
    let started = exchange(
        server.addr,
        b"POST /v2/demo/upload/blobs/uploads/ HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        false,
    )
    .await;
    assert_eq!(started.status, 202, "{started:?}");
    let location = started.header("location").expect("a Location").to_owned();
    let status = exchange(server.addr, &get(&location, ""), true).await;
    assert_eq!(status.status, 204, "{status:?}");
    assert_eq!(status.header("content-length"), None, "{status:?}");
    assert!(status.body.is_empty());
}

/// The index is only acceptable because of the second of six separate Accept lines.
#[tokio::test]
async fn separate_accept_lines_all_reach_the_core() {
    let server = start().await;
    let got = exchange(
        server.addr,
        &get("/v2/demo/multi/manifests/v1", &six_accept_lines()),
        false,
    )
    .await;
    assert_eq!(got.status, 200, "{got:?}");
    assert_eq!(got.header("content-type"), Some(OCI_INDEX));
    let log = server.registry.lock().unwrap().log_since(0).to_vec();
    let accept = log
        .last()
        .and_then(|entry| entry.accept.clone())
        .unwrap_or_default();
    assert!(
        accept.contains(OCI_INDEX) && accept.contains(OCI_MANIFEST),
        "{accept}"
    );
}

/// The drop verdict: the full Content-Length is announced, N bytes arrive, then the
/// connection ends.
#[tokio::test]
async fn a_drop_verdict_cuts_the_body_after_n_bytes() {
    let server = start().await;
    let accept = format!("Accept: {OCI_MANIFEST}\r\n");
    let manifest = exchange(
        server.addr,
        &get("/v2/demo/hello/manifests/v1", &accept),
        false,
    )
    .await;
    let manifest: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap().to_owned();
    let path = format!("/v2/demo/hello/blobs/{layer}");
    let full = exchange(server.addr, &get(&path, ""), false).await;
    assert_eq!(full.status, 200);
    assert!(full.body.len() > 100, "the layer is large enough to cut");

    server.registry.lock().unwrap().add_fault(FaultRule {
        matcher: FaultMatch {
            path: Some(path.clone()),
            ..FaultMatch::default()
        },
        verdict: Verdict::DropAfter(100),
        uses: Some(1),
    });
    let cut = exchange(server.addr, &get(&path, ""), false).await;
    assert_eq!(cut.status, 200);
    assert_eq!(cut.content_length(), Some(full.body.len()));
    assert_eq!(
        cut.body,
        full.body[..100],
        "the first 100 bytes, then nothing"
    );
    assert!(cut.cut, "the connection ended early");

    // The rule is used up; the server is still serving.
    let again = exchange(server.addr, &get(&path, ""), false).await;
    assert_eq!(again.body, full.body);
}

#[tokio::test]
async fn a_delay_verdict_holds_the_response() {
    let server = start().await;
    server.registry.lock().unwrap().add_fault(FaultRule {
        matcher: FaultMatch {
            path: Some("/v2/".to_owned()),
            ..FaultMatch::default()
        },
        verdict: Verdict::Delay(Duration::from_millis(300)),
        uses: Some(1),
    });
    let started = tokio::time::Instant::now();
    let got = exchange(server.addr, &get("/v2/", ""), false).await;
    assert!(got.status < 500, "{got:?}");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "answered after {:?}",
        started.elapsed()
    );
}

/// A manifest PUT announcing 64 MiB gets the core's refusal after the server has read
/// just over 4 MiB: the client never has to send the rest.
#[tokio::test]
async fn an_oversized_manifest_is_refused_without_reading_it_all() {
    let server = start().await;
    let announced = 64 * 1024 * 1024;
    let mut request = format!(
        "PUT /v2/demo/big/manifests/v1 HTTP/1.1\r\nHost: registry.test\r\n\
         Content-Type: {OCI_MANIFEST}\r\nContent-Length: {announced}\r\n\r\n"
    )
    .into_bytes();
    request.extend(std::iter::repeat_n(b' ', 5 * 1024 * 1024));
    let got = exchange(server.addr, &request, false).await;
    assert!(
        (400..500).contains(&got.status),
        "want a 4xx refusal, got {} {}",
        got.status,
        String::from_utf8_lossy(&got.body)
    );
}

/// hyper's limits answer header floods with 431 before the core sees them; the server
/// keeps serving.
#[tokio::test]
async fn header_floods_get_431_and_the_server_stays_up() {
    let server = start().await;
    let many: String = (0..500).map(|i| format!("X-Flood-{i}: {i}\r\n")).collect();
    let got = exchange(server.addr, &get("/v2/", &many), false).await;
    assert_eq!(got.status, 431, "{got:?}");
    let huge = format!("X-Huge: {}\r\n", "a".repeat(1024 * 1024));
    let got = exchange(server.addr, &get("/v2/", &huge), false).await;
    assert_eq!(got.status, 431, "{got:?}");
    let got = exchange(server.addr, &get("/v2/", ""), false).await;
    assert!(got.status < 500, "{got:?}");
}

#[tokio::test]
async fn malformed_requests_get_4xx() {
    let server = start().await;
    for raw in [
        &b"NONSENSE\r\n\r\n"[..],
        b"GET /v2/ HTTP/9.9\r\n\r\n",
        b"GET /v2/\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v2/../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /v2/demo/hello/blobs/sha256:zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /v2/%2e%2e/x/manifests/v1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    ] {
        let got = exchange(server.addr, raw, false).await;
        assert!(
            (400..500).contains(&got.status),
            "{:?} got {got:?}",
            String::from_utf8_lossy(raw)
        );
    }
}

/// Random request lines, targets and headers over real TCP: every answer is a well-formed
/// response below 500 whose body matches its Content-Length.
fn random_request() -> impl Strategy<Value = (String, String, Vec<(String, String)>)> {
    let method = prop_oneof![
        Just("GET"),
        Just("HEAD"),
        Just("PUT"),
        Just("POST"),
        Just("PATCH"),
        Just("DELETE"),
        Just("BREW"),
    ]
    .prop_map(str::to_owned);
    let segment = prop_oneof![
        Just("v2".to_owned()),
        Just("demo".to_owned()),
        Just("hello".to_owned()),
        Just("manifests".to_owned()),
        Just("blobs".to_owned()),
        Just("tags".to_owned()),
        Just("list".to_owned()),
        Just("..".to_owned()),
        Just("_pullsim".to_owned()),
        Just("sha256:0".to_owned()),
        "[a-zA-Z0-9._%-]{0,12}",
    ];
    let target = prop::collection::vec(segment, 0..6).prop_map(|s| format!("/{}", s.join("/")));
    let header = ("[A-Za-z-]{1,12}", "[ -~]{0,40}");
    (method, target, prop::collection::vec(header, 0..8))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_requests_never_get_a_5xx((method, target, headers) in random_request()) {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let server = start().await;
            let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: registry.test\r\n");
            for (name, value) in &headers {
                raw.push_str(&format!("{name}: {value}\r\n"));
            }
            raw.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
            let got = exchange(server.addr, raw.as_bytes(), method == "HEAD").await;
            assert!(got.status < 500, "{raw:?} got {got:?}");
            if method != "HEAD" && !got.cut {
                assert_eq!(got.content_length(), Some(got.body.len()), "{raw:?}");
            }
        });
    }
}

/// A sized blob (declared length, no bytes) is for the in-process simulator only: the
/// server refuses it with a 500 and an error envelope instead of promising a length it
/// cannot send, while the same image's manifest and config are served normally.
#[tokio::test]
async fn sized_blobs_are_refused_over_http() {
    let server = start().await;
    let loaded = {
        let mut registry = server.registry.lock().unwrap();
        let spec = pullsim_registry::ImageSpec {
            sized: true,
            layers: vec![pullsim_model::ByteSize(300 << 20)],
            ..pullsim_registry::ImageSpec::new("sized/app", "v1")
        };
        registry
            .push_build(&spec, pullsim_model::SimTime::EPOCH)
            .unwrap()
    };
    let manifest = exchange(
        server.addr,
        &get(
            &format!("/v2/sized/app/manifests/{}", loaded.digest),
            &format!("Accept: {OCI_MANIFEST}\r\n"),
        ),
        false,
    )
    .await;
    assert_eq!(manifest.status, 200, "{manifest:?}");
    let text = String::from_utf8_lossy(&manifest.body).into_owned();
    let layer = text
        .split("\"digest\":\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let config = text
        .split("\"digest\":\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let blob = exchange(
        server.addr,
        &get(&format!("/v2/sized/app/blobs/{layer}"), ""),
        false,
    )
    .await;
    assert_eq!(blob.status, 500, "{blob:?}");
    assert!(!blob.cut, "{blob:?}");
    assert_eq!(blob.content_length(), Some(blob.body.len()));
    assert!(
        String::from_utf8_lossy(&blob.body).contains("sized only"),
        "{blob:?}"
    );
    let config = exchange(
        server.addr,
        &get(&format!("/v2/sized/app/blobs/{config}"), ""),
        false,
    )
    .await;
    assert_eq!(config.status, 200, "{config:?}");
}
