//! `cargo xtask bench registry`: the fake registry under load through real HTTP.
//!
//! It builds the release `pullsim`, starts `pullsim registry serve` on a free port of
//! 127.0.0.1 (request log written as JSON lines to a temporary file, as a user recording a
//! run would), pushes a 1 MiB layer through the control API, and loads the server from a
//! second process with wrk at 32 connections for about 10 seconds per target: a manifest
//! GET of `demo/hello:v1`, then a GET of the 1 MiB blob. wrk is installed with apt-get when
//! it is missing. The server is stopped by its process id whatever happens.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

/// Connections wrk keeps open: the figure the issue asks for.
const CONNECTIONS: u32 = 32;
/// How long each load runs.
const DURATION_SECS: u32 = 10;
/// The blob size for the throughput run.
const BLOB_BYTES: u64 = 1024 * 1024;

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

/// Runs the benchmark and prints its figures.
pub(crate) fn run(root: &Path) -> anyhow::Result<()> {
    let wrk = ensure_wrk()?;
    println!("==> building the release pullsim");
    anyhow::ensure!(
        crate::cargo(
            root,
            &["build", "--quiet", "--release", "--package", "pullsim-cli"]
        )?,
        "cargo build --release failed"
    );
    let folder = std::env::temp_dir().join(format!("pullsim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&folder)?;
    let log_path = folder.join("requests.jsonl");
    let mut child = Command::new(root.join("target/release/pullsim"))
        // Loopback only, and the bench drives the control API: no token to carry.
        .args([
            "registry",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--control-open",
            "--log",
        ])
        .arg(&log_path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("start pullsim registry serve")?;
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
    // Keep reading standard output so the server never blocks on a full pipe.
    std::thread::Builder::new()
        .name("server-stdout".into())
        .spawn(move || for _ in lines {})?;
    println!(
        "==> pullsim registry serve at {addr} (log: {})",
        log_path.display()
    );

    let blob_path = push_blob(&addr)?;
    let manifest = wrk_run(
        &wrk,
        &addr,
        "/v2/demo/hello/manifests/v1",
        &["-H", "Accept: application/vnd.oci.image.manifest.v1+json"],
    )?;
    let blob = wrk_run(&wrk, &addr, &blob_path, &[])?;
    let blob_mib_per_sec = blob * BLOB_BYTES as f64 / (1024.0 * 1024.0);
    drop(server);
    let logged = std::fs::metadata(&log_path).map_or(0, |m| m.len());
    let _ = std::fs::remove_dir_all(&folder);
    println!();
    println!("registry: manifest GET {manifest:.0} req/s at {CONNECTIONS} connections");
    println!(
        "registry: 1 MiB blob GET {blob:.0} req/s = {blob_mib_per_sec:.0} MiB/s at {CONNECTIONS} connections"
    );
    println!(
        "(request log written: {} MiB of JSON lines)",
        logged / (1024 * 1024)
    );
    Ok(())
}

/// Finds wrk, installing it with apt-get when it is missing.
fn ensure_wrk() -> anyhow::Result<String> {
    let found = |name: &str| {
        std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
            .unwrap_or(false)
    };
    if !found("wrk") {
        println!("==> wrk is missing: apt-get install -y wrk");
        let status = Command::new("apt-get")
            .args(["install", "-y", "-qq", "wrk"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status();
        if !matches!(status, Ok(s) if s.success()) || !found("wrk") {
            bail!(
                "wrk is not installed and apt-get could not install it: install it with: apt-get install -y wrk"
            );
        }
    }
    Ok("wrk".to_owned())
}

/// Pushes an image with one 1 MiB layer through the control API and returns the layer's
/// blob path.
fn push_blob(addr: &str) -> anyhow::Result<String> {
    let spec = format!(r#"{{"repository":"bench/blob","tag":"v1","layers":["{BLOB_BYTES}B"]}}"#);
    let (status, body) = http(addr, "POST", "/_pullsim/push", &[], spec.as_bytes())?;
    anyhow::ensure!(
        status / 100 == 2,
        "POST /_pullsim/push: {status} {}",
        String::from_utf8_lossy(&body)
    );
    let (status, body) = http(
        addr,
        "GET",
        "/v2/bench/blob/manifests/v1",
        &["Accept: application/vnd.oci.image.manifest.v1+json"],
        b"",
    )?;
    anyhow::ensure!(status == 200, "manifest of bench/blob:v1: {status}");
    let manifest: serde_json::Value = serde_json::from_slice(&body)?;
    let layer = &manifest["layers"][0];
    let digest = layer["digest"].as_str().context("no layer digest")?;
    anyhow::ensure!(
        layer["size"].as_u64() == Some(BLOB_BYTES),
        "the layer is {} bytes, want {BLOB_BYTES}",
        layer["size"]
    );
    Ok(format!("/v2/bench/blob/blobs/{digest}"))
}

/// Loads one path with wrk and returns its requests per second; fails on any non-2xx.
fn wrk_run(wrk: &str, addr: &str, path: &str, extra: &[&str]) -> anyhow::Result<f64> {
    let url = format!("http://{addr}{path}");
    println!("==> wrk -t2 -c{CONNECTIONS} -d{DURATION_SECS}s {url}");
    let output = Command::new(wrk)
        .args([
            "-t2",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{DURATION_SECS}s"),
            "--latency",
        ])
        .args(extra)
        .arg(&url)
        .output()
        .context("run wrk")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{text}");
    anyhow::ensure!(
        output.status.success(),
        "wrk failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    if let Some(line) = text
        .lines()
        .find(|l| l.contains("Non-2xx or 3xx responses"))
    {
        bail!("the server answered errors under load: {}", line.trim());
    }
    let rate = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .context("no Requests/sec in wrk's output")?;
    Ok(rate)
}

/// One HTTP/1.1 exchange over a fresh connection (`Connection: close`), enough for the
/// set-up calls; returns the status and body.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[&str],
    body: &[u8],
) -> anyhow::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(addr).with_context(|| format!("connect {addr}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        request.push_str(header);
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("no response head")?;
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("bad status line in {head:?}"))?;
    Ok((status, response[split + 4..].to_vec()))
}
