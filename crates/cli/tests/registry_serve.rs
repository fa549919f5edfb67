//! End-to-end tests of `pullsim registry serve`: the binary started on a free port of
//! 127.0.0.1, its banner, one log line per request (or JSON lines into `--log`), a clean
//! stop on SIGTERM and Ctrl-C (SIGINT), one-line errors for a busy port and a bad
//! catalog, and a control API that needs the token printed at start unless asked to be
//! open (and a non-loopback address refused without a chosen token); the log file flushed
//! while the server runs (so a SIGKILL loses nothing older than a tick), and the limit
//! flags reaching the server. Every server is stopped by its process id, also when a test
//! fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running `pullsim registry serve`, killed by pid if still running when dropped.
struct Served {
    child: Child,
    addr: String,
    banner: Vec<String>,
    lines: mpsc::Receiver<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(args: &[&str]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(["registry", "serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pullsim starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (send, lines) = mpsc::channel();
    std::thread::Builder::new()
        .spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        })
        .expect("a reader thread");
    let mut served = Served {
        child,
        addr: String::new(),
        banner: Vec::new(),
        lines,
    };
    loop {
        let line = served.next_line();
        let done = line == "requests:" || line.starts_with("request log:");
        served.banner.push(line);
        if done {
            break;
        }
    }
    let first = served.banner[0].clone();
    served.addr = first
        .split("http://")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    served
}

impl Served {
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the server printed a line in time")
    }

    /// Sends a `GET` on a fresh connection and answers the whole response as text.
    fn fetch(&self, path: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
    }

    fn get(&self, path: &str) -> u16 {
        self.send("GET", path, None)
    }

    /// Sends `method path` with an optional `Authorization` value; the status.
    fn send(&self, method: &str, path: &str, authorization: Option<&str>) -> u16 {
        let mut stream = TcpStream::connect(&self.addr).expect("connect");
        let authorization =
            authorization.map_or(String::new(), |value| format!("Authorization: {value}\r\n"));
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\n{authorization}Content-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .expect("send");
        let mut response = String::new();
        let _ = stream.read_to_string(&mut response);
        response
            .split(' ')
            .nth(1)
            .and_then(|status| status.parse().ok())
            .unwrap_or_else(|| panic!("no status in {response:?}"))
    }

    /// Sends a signal by pid and waits for the exit.
    fn stop_with(&mut self, signal: &str) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([signal, &pid])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        for _ in 0..200 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
        panic!("pullsim registry serve did not stop after {signal}");
    }
}

#[test]
fn serve_prints_the_demo_catalog_and_one_line_per_request_then_stops_on_sigterm() {
    let mut served = serve(&[]);
    let banner = served.banner.join("\n");
    for needle in [
        "demo/hello:v1 -> sha256:",
        "demo/multi:v1 -> sha256:",
        "application/vnd.oci.image.index.v1+json",
        "demo/multi-docker:v1 -> sha256:",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "linux/arm64/v8",
        "linux/arm/v7",
        "private/app:v1",
        "tenant-b/app:v1",
        "auth: basic",
    ] {
        assert!(
            banner.contains(needle),
            "{needle:?} not in the banner:\n{banner}"
        );
    }
    assert_eq!(served.get("/v2/demo/hello/tags/list"), 200);
    let line = served.next_line();
    assert!(
        line.contains("GET /v2/demo/hello/tags/list 200"),
        "log line {line:?}"
    );
    let status = served.stop_with("-TERM");
    assert!(status.success(), "exit {status:?}");
}

#[test]
fn serve_writes_json_lines_to_the_log_file_and_stops_on_ctrl_c() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let log = folder.path().join("requests.jsonl");
    let mut served = serve(&[
        "--auth",
        "token",
        "--log",
        log.to_str().expect("UTF-8 path"),
    ]);
    assert!(served.banner.join("\n").contains("auth: token"));
    assert_eq!(served.get("/v2/private/app/manifests/v1"), 401);
    let status = served.stop_with("-INT");
    assert!(status.success(), "exit {status:?}");
    let text = std::fs::read_to_string(&log).expect("the log file exists");
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(entries.len(), 1, "{text}");
    assert_eq!(entries[0]["path"], "/v2/private/app/manifests/v1");
    assert_eq!(entries[0]["status"], 401);
}

#[test]
fn serve_loads_a_catalog_file() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let catalog = folder.path().join("catalog.yaml");
    std::fs::write(
        &catalog,
        "images:\n  - {repository: team/app, tag: v2, platforms: [linux/arm64/v8], layers: [2KiB]}\n",
    )
    .expect("write the catalog");
    let served = serve(&["--catalog", catalog.to_str().expect("UTF-8 path")]);
    let banner = served.banner.join("\n");
    assert!(banner.contains("team/app:v2 -> sha256:"), "{banner}");
    assert!(!banner.contains("demo/hello"), "{banner}");
    assert_eq!(served.get("/v2/team/app/tags/list"), 200);
}

/// Bad input: exit 2 and one line on standard error that says what and where. A server
/// that starts instead of refusing is killed by its pid after [`REFUSAL_LIMIT`].
fn assert_refused(args: &[&str], needles: &[&str]) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(["registry", "serve"])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("pullsim runs");
    let mut waited = Duration::ZERO;
    while child.try_wait().expect("wait").is_none() {
        if waited >= REFUSAL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("pullsim registry serve {args:?} started instead of refusing");
        }
        std::thread::park_timeout(Duration::from_millis(20));
        waited += Duration::from_millis(20);
    }
    let output = child.wait_with_output().expect("the exit status");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
}

/// How long a refused command may take to exit.
const REFUSAL_LIMIT: Duration = Duration::from_secs(20);

#[test]
fn a_busy_port_and_a_bad_catalog_are_one_line_errors() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    assert_refused(
        &["--listen", &addr],
        &[&addr, "already in use", "--listen 127.0.0.1:0"],
    );

    let folder = tempfile::tempdir().expect("temporary folder");
    let catalog = folder.path().join("bad.yaml");
    std::fs::write(
        &catalog,
        "images:\n  - repository: a/b\n    tag: v1\n    colour: blue\n",
    )
    .expect("write the catalog");
    let path = catalog.to_str().expect("UTF-8 path");
    assert_refused(
        &["--catalog", path],
        &[&format!(
            "{path}:4:5: invalid catalog: unknown field `colour`"
        )],
    );

    let json = folder.path().join("bad.json");
    std::fs::write(&json, "{\"images\": [}").expect("write the catalog");
    let path = json.to_str().expect("UTF-8 path");
    assert_refused(
        &["--catalog", path],
        &[&format!("{path}:1:13: invalid catalog: expected value")],
    );

    let binary = folder.path().join("latin1.yaml");
    std::fs::write(&binary, b"images:\n  - name: caf\xe9\n").expect("write the catalog");
    let path = binary.to_str().expect("UTF-8 path");
    assert_refused(
        &["--catalog", path],
        &[&format!(
            "{path}:2:14: invalid UTF-8 (byte 0xe9); the file must be UTF-8 text"
        )],
    );
}

/// The value after `prefix` on the banner line that starts with it.
fn banner_value<'a>(served: &'a Served, prefix: &str) -> Option<&'a str> {
    served
        .banner
        .iter()
        .find_map(|line| line.strip_prefix(prefix))
}

#[test]
fn the_control_api_needs_the_token_printed_at_start() {
    let served = serve(&[]);
    let banner = served.banner.join("\n");
    assert!(
        banner.contains("/_pullsim/ needs Authorization: Bearer <control token>"),
        "{banner}"
    );
    let token = banner_value(&served, "control token: ")
        .unwrap_or_else(|| panic!("no control token in the banner:\n{banner}"))
        .to_owned();
    assert_eq!(token.len(), 64, "{token}");
    assert!(token.bytes().all(|c| c.is_ascii_hexdigit()), "{token}");
    let bearer = format!("Bearer {token}");
    assert_eq!(served.send("GET", "/_pullsim/tags", None), 401);
    assert_eq!(served.send("GET", "/_pullsim/log?since=0", None), 401);
    assert_eq!(
        served.send("POST", "/_pullsim/reset", Some("Bearer wrong")),
        401
    );
    assert_eq!(served.send("GET", "/_pullsim/tags", Some(&bearer)), 200);
    // Another server, another token.
    let other = serve(&[]);
    assert_ne!(
        banner_value(&other, "control token: "),
        Some(token.as_str())
    );
    assert_eq!(other.send("GET", "/_pullsim/tags", Some(&bearer)), 401);
}

#[test]
fn a_chosen_control_token_is_not_printed_and_control_open_opens() {
    let chosen = serve(&["--control-token", "s3cret-for-tests"]);
    let banner = chosen.banner.join("\n");
    assert!(!banner.contains("s3cret-for-tests"), "{banner}");
    assert!(banner.contains("<the --control-token value>"), "{banner}");
    assert_eq!(chosen.send("GET", "/_pullsim/tags", None), 401);
    assert_eq!(
        chosen.send("GET", "/_pullsim/tags", Some("Bearer s3cret-for-tests")),
        200
    );

    let open = serve(&["--control-open"]);
    assert!(
        open.banner
            .join("\n")
            .contains("is open to every client (--control-open)"),
        "{:?}",
        open.banner
    );
    assert_eq!(open.send("GET", "/_pullsim/tags", None), 200);
}

#[test]
fn a_non_loopback_address_needs_a_chosen_control_token() {
    // Documentation addresses (TEST-NET-1, 2001:db8::/32): no machine has them, so even a
    // server that failed to refuse could not listen there. `0.0.0.0` is checked without
    // binding anything, in the unit tests of `registry_serve.rs`.
    for args in [
        &["--listen", "192.0.2.1:5000"][..],
        &["--listen", "192.0.2.1:5000", "--control-open"][..],
        &["--listen", "[2001:db8::1]:5000"][..],
    ] {
        assert_refused(
            args,
            &["--listen", "not a loopback address", "--control-token T"],
        );
    }
    assert_refused(&["--control-token", ""], &["--control-token", "empty"]);
}

/// The wall clock, for timing a real server.
#[expect(
    clippy::disallowed_methods,
    reason = "the test times a real server in real time"
)]
fn wall_now() -> std::time::Instant {
    std::time::Instant::now()
}

#[test]
fn the_log_file_is_flushed_within_a_second_and_survives_sigkill() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let log = folder.path().join("requests.jsonl");
    let mut served = serve(&["--log", log.to_str().expect("UTF-8 path")]);
    assert_eq!(served.get("/v2/demo/hello/tags/list"), 200);
    let asked = wall_now();
    let lines = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if !text.is_empty() {
            break text.lines().count();
        }
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "the log file was still empty after 1 s"
        );
        std::thread::park_timeout(Duration::from_millis(20));
    };
    assert_eq!(lines, 1);
    let status = served.stop_with("-KILL");
    assert!(!status.success());
    let text = std::fs::read_to_string(&log).expect("the log file exists");
    assert!(text.contains("/v2/demo/hello/tags/list"), "{text:?}");
}

#[test]
fn limit_flags_reach_the_server() {
    let served = serve(&[
        "--control-open",
        "--log-window",
        "3",
        "--header-timeout",
        "300ms",
        "--max-connections",
        "64",
        "--upload-max",
        "1KiB",
    ]);
    let banner = served.banner.join("\n");
    assert!(banner.contains("log window 3 entries"), "{banner}");
    assert!(banner.contains("header timeout 300ms"), "{banner}");
    assert!(
        banner.contains("a restart loses every pushed image"),
        "{banner}"
    );
    for _ in 0..10 {
        assert_eq!(served.get("/v2/demo/hello/tags/list"), 200);
    }
    let page = served.fetch("/_pullsim/log?since=0&limit=2");
    let (head, body) = page.split_once("\r\n\r\n").expect("a response");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("pullsim-log-missed: 7"), "{head}");
    assert!(head.contains("pullsim-log-more: true"), "{head}");
    assert!(head.contains("pullsim-log-next: 9"), "{head}");
    assert_eq!(body.lines().count(), 2, "{body}");

    let mut upload = TcpStream::connect(&served.addr).expect("connect");
    write!(
        upload,
        "POST /v2/demo/big/blobs/uploads/ HTTP/1.1\r\nHost: r\r\nContent-Length: 1025\r\n\
         Connection: close\r\n\r\n{}",
        "x".repeat(1025)
    )
    .expect("send");
    let mut answer = String::new();
    let _ = upload.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(answer.contains("SIZE_INVALID"), "{answer}");

    let mut half = TcpStream::connect(&served.addr).expect("connect");
    half.write_all(b"GET /v2/ HTTP/1.1\r\nHo").expect("send");
    half.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("a read timeout");
    let sent = wall_now();
    let mut rest = Vec::new();
    let _ = half.read_to_end(&mut rest);
    assert!(
        sent.elapsed() < Duration::from_secs(3),
        "a half-sent head stayed open {:?}",
        sent.elapsed()
    );
}

#[test]
fn limit_flags_name_a_bad_value() {
    let output = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(["registry", "serve", "--upload-idle", "soon"])
        .stdin(Stdio::null())
        .output()
        .expect("pullsim runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert!(
        err.contains("--upload-idle") && err.contains("soon"),
        "{err}"
    );
}

/// The window bounds what `GET /_pullsim/log` can page through, never the log file.
#[test]
fn the_log_file_gets_every_entry_however_small_the_window() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let log = folder.path().join("requests.jsonl");
    let mut served = serve(&[
        "--log-window",
        "1",
        "--log",
        log.to_str().expect("UTF-8 path"),
    ]);
    for _ in 0..20 {
        assert_eq!(served.get("/v2/demo/hello/tags/list"), 200);
    }
    let status = served.stop_with("-TERM");
    assert!(status.success(), "exit {status:?}");
    let text = std::fs::read_to_string(&log).expect("the log file exists");
    let indexes: Vec<u64> = text
        .lines()
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            entry["index"].as_u64().expect("an index")
        })
        .collect();
    assert_eq!(indexes, (0..20).collect::<Vec<_>>(), "{text}");
}

#[test]
fn a_proxy_serves_what_it_fetched_from_its_upstream() {
    let origin = serve(&[]);
    let upstream = format!("http://{}", origin.addr);
    let cache = serve(&["--proxy", &upstream, "--proxy-ttl", "1h"]);
    assert!(
        cache.banner.iter().any(|line| line
            == &format!(
                "pull-through cache of {upstream} (content expires after: 1h0m0s); auth: basic"
            )),
        "{:?}",
        cache.banner
    );
    // The demo image is OCI: without an Accept naming OCI the origin (as distribution)
    // answers 404, and so would the cache.
    let mut stream = TcpStream::connect(&cache.addr).expect("connect");
    write!(
        stream,
        "GET /v2/demo/hello/manifests/v1 HTTP/1.1\r\nHost: {}\r\n\
         Accept: application/vnd.oci.image.manifest.v1+json\r\nConnection: close\r\n\r\n",
        cache.addr
    )
    .expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("docker-content-digest: sha256:"),
        "{answer}"
    );
    // The origin's request log shows the cache's upstream requests.
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|line: &String| line.contains("GET /v2/demo/hello/manifests/sha256:"))
    {
        seen.push(origin.next_line());
    }
    // A bad upstream URL is refused naming the flag and the value.
    let output = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args([
            "registry",
            "serve",
            "--proxy",
            "https://registry-1.docker.io",
        ])
        .output()
        .expect("pullsim runs");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("--proxy") && text.contains("https://registry-1.docker.io"),
        "{text}"
    );
}
