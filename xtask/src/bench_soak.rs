//! `cargo xtask bench soak`: the fake registry under a million requests, watching its
//! memory.
//!
//! It builds the release `pullsim`, starts `pullsim registry serve` on a free port of
//! 127.0.0.1 (full request log written to a temporary file, uploads idle after 5 s), and
//! drives [`REQUESTS`] requests through [`CONNECTIONS`] keep-alive connections of its own
//! tokio client: manifest `GET` and `HEAD`, blob `GET` and `HEAD`, a page of the request
//! log now and then, and every [`ABANDON_EVERY`]-th request an upload started with 64 KiB
//! and never finished. It reads the server's resident memory (`VmRSS` in
//! `/proc/<pid>/status`) before the load, every 100,000 requests and at the end, prints it
//! with the request rate, and fails if the end is more than [`RSS_BOUND_MIB`] above the
//! start or any answer was not the expected one. The server is stopped by its process id
//! whatever happens.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Requests the soak sends.
const REQUESTS: u64 = 1_000_000;
/// Keep-alive connections they are spread over.
const CONNECTIONS: u64 = 16;
/// RSS is read every this many requests.
const SAMPLE_EVERY: u64 = 100_000;
/// Every this many requests, one upload is started and abandoned.
const ABANDON_EVERY: u64 = 20_000;
/// The bytes each abandoned upload holds.
const ABANDONED_BYTES: usize = 64 * 1024;
/// The most the server's RSS may grow from start to end.
const RSS_BOUND_MIB: u64 = 64;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// A child process killed by its id when dropped.
struct Server {
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the soak and prints its figures.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    println!("==> building the release pullsim");
    anyhow::ensure!(
        crate::cargo(
            root,
            &["build", "--quiet", "--release", "--package", "pullsim-cli"]
        )?,
        "cargo build --release failed"
    );
    let folder = std::env::temp_dir().join(format!("pullsim-soak-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let log_path = folder.join("requests.jsonl");
    let mut child = Command::new(root.join("target/release/pullsim"))
        .args([
            "registry",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--upload-idle",
            "5s",
            // The soak reads the log through the control API; on loopback it may be open.
            "--control-open",
            "--log",
        ])
        .arg(&log_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start pullsim registry serve")?;
    let pid = child.id();
    let stdout = child.stdout.take().context("no stdout")?;
    let server = Server { child };
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().context("the server printed nothing")??;
    let addr = first
        .rsplit("http://")
        .next()
        .filter(|_| first.contains("http://"))
        .with_context(|| format!("no address in {first:?}"))?
        .trim()
        .to_owned();
    std::thread::Builder::new()
        .name("server-stdout".into())
        .spawn(move || for _ in lines {})?;
    println!("==> pullsim registry serve at {addr}, pid {pid}");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let result = runtime.block_on(soak(&addr, pid));
    drop(server);
    let logged =
        std::fs::read(&log_path).map_or(0, |bytes| bytes.iter().filter(|&&b| b == b'\n').count());
    let _ = std::fs::remove_dir_all(&folder);
    let (start, end, expected) = result?;
    println!("soak: the request log file held {logged} entries (want {expected})");
    let growth = end.saturating_sub(start);
    println!(
        "soak: RSS {} MiB at the start, {} MiB at the end (+{} MiB; bound +{RSS_BOUND_MIB} MiB)",
        start / 1024,
        end / 1024,
        growth / 1024
    );
    if growth > RSS_BOUND_MIB * 1024 {
        bail!(
            "the server's RSS grew by {} MiB, over the bound of {RSS_BOUND_MIB} MiB",
            growth / 1024
        );
    }
    anyhow::ensure!(
        logged as u64 == expected,
        "the log file held {logged} entries, want {expected} (every request but the control API's)"
    );
    Ok(())
}

/// The server's resident set in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("read /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc/<pid>/status")
}

/// Drives the load; answers the RSS at the start and at the end, in KiB.
async fn soak(addr: &str, pid: u32) -> anyhow::Result<(u64, u64, u64)> {
    let mut probe = Client::connect(addr).await?;
    let (status, manifest) = probe
        .ask(&format!("GET /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: r\r\nAccept: {OCI_MANIFEST}\r\n\r\n"), &[], false)
        .await?;
    anyhow::ensure!(status == 200, "manifest of demo/hello:v1: {status}");
    let manifest: serde_json::Value = serde_json::from_slice(&manifest)?;
    let layer = manifest["layers"][0]["digest"]
        .as_str()
        .context("no layer digest")?
        .to_owned();
    let start = rss_kib(pid)?;
    println!("soak: RSS {} MiB before the load", start / 1024);
    let requests = Arc::new(Plan {
        next: AtomicU64::new(0),
        control: AtomicU64::new(0),
        layer,
    });
    let started = tokio::time::Instant::now();
    let mut workers = Vec::new();
    for _ in 0..CONNECTIONS {
        let plan = Arc::clone(&requests);
        let addr = addr.to_owned();
        workers.push(tokio::spawn(async move {
            worker(&addr, &plan, pid, started).await
        }));
    }
    for worker in workers {
        worker.await.context("a client task failed")??;
    }
    let elapsed = started.elapsed();
    let rate = REQUESTS as f64 / elapsed.as_secs_f64();
    let (page, meanwhile) = page_while_pulling(addr).await?;
    println!(
        "soak: a 10,000-entry log page took {:.1} ms; a manifest GET sent meanwhile {:.1} ms",
        page.as_secs_f64() * 1000.0,
        meanwhile.as_secs_f64() * 1000.0
    );
    // Uploads idle after 5 s: wait for the server's timer to free the last ones.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let end = rss_kib(pid)?;
    println!(
        "soak: {REQUESTS} requests in {:.1} s = {rate:.0} req/s over {CONNECTIONS} keep-alive connections",
        elapsed.as_secs_f64()
    );
    // Every request but the control ones is logged, plus the probe's manifest GET and the
    // one sent during the log page.
    let logged = REQUESTS + 2 - requests.control.load(Ordering::Relaxed);
    Ok((start, end, logged))
}

/// Times the largest log page and a manifest GET sent while it is being answered.
async fn page_while_pulling(addr: &str) -> anyhow::Result<(Duration, Duration)> {
    let mut reader = Client::connect(addr).await?;
    let mut puller = Client::connect(addr).await?;
    let page = async {
        let started = tokio::time::Instant::now();
        let (status, body) = reader
            .ask(
                "GET /_pullsim/log?since=0&limit=10000 HTTP/1.1\r\nHost: r\r\n\r\n",
                &[],
                false,
            )
            .await?;
        anyhow::ensure!(status == 200 && !body.is_empty(), "log page: {status}");
        Ok(started.elapsed())
    };
    let pull = async {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let started = tokio::time::Instant::now();
        let (status, _) = puller
            .ask(&format!("GET /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: r\r\nAccept: {OCI_MANIFEST}\r\n\r\n"), &[], false)
            .await?;
        anyhow::ensure!(status == 200, "manifest GET: {status}");
        Ok(started.elapsed())
    };
    tokio::try_join!(page, pull)
}

/// The shared request counter and what the requests need.
struct Plan {
    next: AtomicU64,
    /// Requests to the control API, which the request log leaves out.
    control: AtomicU64,
    layer: String,
}

/// One connection's share of the load: takes request numbers until they run out.
async fn worker(
    addr: &str,
    plan: &Plan,
    pid: u32,
    started: tokio::time::Instant,
) -> anyhow::Result<()> {
    let mut client = Client::connect(addr).await?;
    let abandoned = vec![b'a'; ABANDONED_BYTES];
    loop {
        let n = plan.next.fetch_add(1, Ordering::Relaxed);
        if n >= REQUESTS {
            return Ok(());
        }
        if n > 0 && n.is_multiple_of(SAMPLE_EVERY) {
            let rss = rss_kib(pid)?;
            println!(
                "soak: {n:>7} requests, {:>5.1} s, RSS {} MiB",
                started.elapsed().as_secs_f64(),
                rss / 1024
            );
        }
        let layer = &plan.layer;
        let (head, body, want, is_head): (String, &[u8], u16, bool) = if n
            .is_multiple_of(ABANDON_EVERY)
        {
            (
                format!(
                    "POST /v2/demo/soak/blobs/uploads/ HTTP/1.1\r\nHost: r\r\nContent-Length: {ABANDONED_BYTES}\r\n\r\n"
                ),
                &abandoned,
                202,
                false,
            )
        } else if n % 10_000 == 1 {
            plan.control.fetch_add(1, Ordering::Relaxed);
            (
                "GET /_pullsim/log?since=0 HTTP/1.1\r\nHost: r\r\n\r\n".to_owned(),
                &[],
                200,
                false,
            )
        } else {
            match n % 10 {
                0..=4 => (
                    format!(
                        "GET /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: r\r\nAccept: {OCI_MANIFEST}\r\n\r\n"
                    ),
                    &[],
                    200,
                    false,
                ),
                5 | 6 => (
                    format!(
                        "HEAD /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: r\r\nAccept: {OCI_MANIFEST}\r\n\r\n"
                    ),
                    &[],
                    200,
                    true,
                ),
                7 | 8 => (
                    format!("GET /v2/demo/hello/blobs/{layer} HTTP/1.1\r\nHost: r\r\n\r\n"),
                    &[],
                    200,
                    false,
                ),
                _ => (
                    format!("HEAD /v2/demo/hello/blobs/{layer} HTTP/1.1\r\nHost: r\r\n\r\n"),
                    &[],
                    200,
                    true,
                ),
            }
        };
        let (status, _) = client.ask(&head, body, is_head).await?;
        if status != want {
            bail!(
                "request {n} ({}) answered {status}, want {want}",
                head.lines().next().unwrap_or_default()
            );
        }
    }
}

/// A keep-alive HTTP/1.1 client on one connection, enough for the soak: one request at a
/// time, responses framed by `Content-Length`.
struct Client {
    stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    async fn connect(addr: &str) -> anyhow::Result<Client> {
        let stream = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect {addr}"))?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buffer: Vec::with_capacity(64 * 1024),
        })
    }

    /// Sends `head` and `body`, reads one response; answers its status and body.
    async fn ask(
        &mut self,
        head: &str,
        body: &[u8],
        is_head: bool,
    ) -> anyhow::Result<(u16, Vec<u8>)> {
        self.stream.write_all(head.as_bytes()).await?;
        if !body.is_empty() {
            self.stream.write_all(body).await?;
        }
        let mut chunk = [0u8; 16 * 1024];
        let end = loop {
            if let Some(at) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection mid-response");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        };
        let text = String::from_utf8_lossy(&self.buffer[..end]).into_owned();
        let status: u16 = text
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line in {text:?}"))?;
        let length: usize = if is_head {
            0
        } else {
            text.lines()
                .find_map(|line| {
                    let (name, value) = line.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0)
        };
        while self.buffer.len() < end + length {
            let n = self.stream.read(&mut chunk).await?;
            if n == 0 {
                bail!("the server closed the connection mid-body");
            }
            self.buffer.extend_from_slice(&chunk[..n]);
        }
        let body = self.buffer[end..end + length].to_vec();
        self.buffer.drain(..end + length);
        Ok((status, body))
    }
}
