//! The pull-through cache over real HTTP: two servers on 127.0.0.1, an origin with the demo
//! catalog and a cache whose registry proxies it, and a plain HTTP/1.1 client over raw TCP.
//! A cold pull reaches the origin once, a warm one not at all, and with the origin stopped
//! a cached blob is still served while an uncached one gets `500 UNKNOWN`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pullsim_registry::{LogEntry, ProxyConfig, Registry, RegistryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

const ACCEPT: &str =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

/// How long one exchange may take before the test calls it hung.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(20);

/// A server on a free port of 127.0.0.1; `stop` ends it and waits until it has stopped.
struct Running {
    addr: SocketAddr,
    registry: Arc<Mutex<Registry>>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("the server task").expect("the server");
        }
    }

    fn log(&self) -> Vec<LogEntry> {
        self.registry.lock().unwrap().log_since(0).to_vec()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn start(registry: Registry) -> Running {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let registry = Arc::new(Mutex::new(registry));
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(pullsim_server::serve(
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
        task: Some(task),
    }
}

/// What came back on the wire.
#[derive(Debug)]
struct Wire {
    status: u16,
    head: String,
    body: Vec<u8>,
}

impl Wire {
    fn header(&self, name: &str) -> Option<String> {
        self.head.split("\r\n").find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// `GET path` with `Connection: close`, read to the end.
async fn get(addr: SocketAddr, path: &str) -> Wire {
    tokio::time::timeout(EXCHANGE_LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {ACCEPT}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a response head")
            + 4;
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("a status");
        Wire {
            status,
            head,
            body: bytes[end..].to_vec(),
        }
    })
    .await
    .expect("answered within the limit")
}

fn gets(log: &[LogEntry]) -> Vec<String> {
    log.iter()
        .filter(|entry| entry.method == "GET")
        .map(|entry| entry.path.clone())
        .collect()
}

#[tokio::test]
async fn the_cache_pulls_once_then_serves_from_its_store_even_with_the_origin_down() {
    let mut origin = start(Registry::with_demo_catalog(RegistryConfig::default())).await;
    let mut cache_registry = Registry::new(RegistryConfig::default());
    cache_registry.set_proxy(ProxyConfig::new(format!("http://{}", origin.addr)));
    let cache = start(cache_registry).await;

    // Cold: the manifest by tag, then its first layer.
    let manifest = get(cache.addr, "/v2/demo/hello/manifests/v1").await;
    assert_eq!(manifest.status, 200, "{manifest:?}");
    let digest = manifest.header("docker-content-digest").expect("a digest");
    let document = manifest.json();
    let layer = document["layers"][0]["digest"].as_str().unwrap().to_owned();
    let config = document["config"]["digest"].as_str().unwrap().to_owned();
    let manifest_gets = gets(&origin.log());
    assert_eq!(
        manifest_gets,
        [format!("/v2/demo/hello/manifests/{digest}")],
        "one upstream GET for the manifest"
    );

    let blob_path = format!("/v2/demo/hello/blobs/{layer}");
    let blob = get(cache.addr, &blob_path).await;
    assert_eq!(blob.status, 200, "{blob:?}");
    assert_eq!(
        blob.header("docker-content-digest").as_deref(),
        Some(layer.as_str())
    );
    let length: usize = blob.header("content-length").unwrap().parse().unwrap();
    assert_eq!(blob.body.len(), length);
    let after_cold = origin.log();
    assert_eq!(
        &gets(&after_cold)[1..],
        std::slice::from_ref(&blob_path),
        "one upstream GET for the blob"
    );

    // Warm: the blob and the manifest by digest come from the cache's store.
    let again = get(cache.addr, &blob_path).await;
    assert_eq!(again.status, 200);
    assert_eq!(again.body, blob.body);
    let by_digest = get(cache.addr, &format!("/v2/demo/hello/manifests/{digest}")).await;
    assert_eq!(by_digest.status, 200, "{by_digest:?}");
    assert_eq!(by_digest.body, manifest.body);
    assert_eq!(
        origin.log().len(),
        after_cold.len(),
        "the origin saw nothing"
    );

    // The origin's bytes are the cache's bytes.
    let direct = get(origin.addr, &blob_path).await;
    assert_eq!(direct.body, blob.body);

    // Origin down: the cached blob is served, the uncached config blob is 500 UNKNOWN.
    origin.stop().await;
    let cached = get(cache.addr, &blob_path).await;
    assert_eq!(cached.status, 200);
    assert_eq!(cached.body, blob.body);
    let missing = get(cache.addr, &format!("/v2/demo/hello/blobs/{config}")).await;
    assert_eq!(missing.status, 500, "{missing:?}");
    assert_eq!(missing.json()["errors"][0]["code"], "UNKNOWN");
}
