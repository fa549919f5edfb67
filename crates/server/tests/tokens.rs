//! Bearer tokens over real HTTP on 127.0.0.1: every server signs its tokens with a random
//! key of its own, so a token cannot be computed from the claims (the forgery of issue 12),
//! a token from one server is refused by another, and a token is good only for its scope.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_registry::{AuthMode, Catalog, ImageSpec, Registry, RegistryConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;

/// How long one exchange may take before the test calls it hung.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(10);

/// `alice:wonderland` as a Basic credential.
const ALICE: &str = "Basic YWxpY2U6d29uZGVybGFuZA==";

/// A token-mode server with the demo catalog plus `private/db:v1` (alice may read all of
/// `private/*`), on a free port of 127.0.0.1; stopped when dropped.
struct Running {
    addr: SocketAddr,
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
    let mut registry = Registry::with_demo_catalog(RegistryConfig {
        auth: AuthMode::Token,
        ..RegistryConfig::default()
    });
    let extra = Catalog {
        images: vec![ImageSpec::new("private/db", "v1")],
        ..Catalog::default()
    };
    registry.load(&extra, SimTime::EPOCH).unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(pullsim_server::serve(
        listener,
        Arc::new(Mutex::new(registry)),
        async {
            let _ = stopped.await;
        },
    ));
    Running {
        addr,
        stop: Some(stop),
    }
}

/// `GET path` with one `Authorization` header (none when empty); the status and the body.
async fn get(addr: SocketAddr, path: &str, authorization: &str) -> (u16, String) {
    tokio::time::timeout(EXCHANGE_LIMIT, async {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let authorization = if authorization.is_empty() {
            String::new()
        } else {
            format!("Authorization: {authorization}\r\n")
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/vnd.oci.image.manifest.v1+json\r\n{authorization}Connection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).await.unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no status line in {text:?}"));
        let body = text
            .split_once("\r\n\r\n")
            .map_or(String::new(), |(_, body)| body.to_owned());
        (status, body)
    })
    .await
    .expect("the server answered within the limit")
}

/// A token for `scope` from the server's `/token`.
async fn token(addr: SocketAddr, scope: &str, authorization: &str) -> String {
    let (status, body) = get(
        addr,
        &format!("/token?service=pullsim&scope={scope}"),
        authorization,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    body["token"].as_str().unwrap().to_owned()
}

async fn pull(addr: SocketAddr, repository: &str, token: &str) -> u16 {
    get(
        addr,
        &format!("/v2/{repository}/manifests/v1"),
        &format!("Bearer {token}"),
    )
    .await
    .0
}

#[tokio::test]
async fn the_issue_forgery_gets_401() {
    let server = start().await;
    let alice = token(server.addr, "repository:private/app:pull", ALICE).await;
    assert_eq!(pull(server.addr, "private/app", &alice).await, 200);
    // Any client could ask for a token and read the count from it, then compute alice's
    // with the old formula (the python one-liner of the issue).
    let _anonymous = token(server.addr, "repository:private/app:pull", "").await;
    let material = "1|Some(\"alice\")|private/app:pull|";
    let hash = pullsim_model::Digest::sha256_of(material.as_bytes());
    let forged = format!("pullsim-1-{}", &hash.encoded()[..32]);
    assert_eq!(pull(server.addr, "private/app", &forged).await, 401);
}

#[tokio::test]
async fn a_token_from_one_server_is_refused_by_another() {
    let (a, b) = (start().await, start().await);
    let from_a = token(a.addr, "repository:private/app:pull", ALICE).await;
    let from_b = token(b.addr, "repository:private/app:pull", ALICE).await;
    assert_ne!(from_a, from_b, "the same first grant on two servers");
    assert_eq!(pull(b.addr, "private/app", &from_a).await, 401);
    assert_eq!(pull(a.addr, "private/app", &from_b).await, 401);
    assert_eq!(pull(a.addr, "private/app", &from_a).await, 200);
}

#[tokio::test]
async fn a_token_is_good_only_for_its_scope() {
    let server = start().await;
    let app = token(server.addr, "repository:private/app:pull", ALICE).await;
    let db = token(server.addr, "repository:private/db:pull", ALICE).await;
    assert_eq!(pull(server.addr, "private/db", &db).await, 200);
    assert_eq!(pull(server.addr, "private/db", &app).await, 401);
    assert_eq!(pull(server.addr, "private/app", &db).await, 401);
}
