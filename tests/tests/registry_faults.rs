//! Every fault verdict, observed by a real client: skopeo pulls `demo/hello:v1` while one
//! fault rule is installed, and both what skopeo did (failed with which message, or
//! recovered) and what the request log recorded are checked.

use std::time::Duration;

use pullsim_conformance::containers_image::Skopeo;
use pullsim_conformance::server::{RegistryServer, log_lines};
use pullsim_model::SimTime;
use pullsim_registry::{
    AuthMode, FaultId, FaultMatch, FaultRule, LogEntry, Method, Request, Verdict,
};

/// What the request should be: the manifest by tag, or the image's one layer.
#[derive(Debug, Clone, Copy)]
enum Target {
    Manifest,
    Layer,
}

/// What skopeo must do with the fault in place.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Fail, with this text in its error.
    Fails(&'static str),
    /// Succeed anyway (it retried, or the fault only slowed it down).
    Recovers,
}

/// One case: the rule to install and what skopeo and the log must show.
struct Case {
    name: &'static str,
    target: Target,
    verdict: Verdict,
    uses: Option<u64>,
    expect: Expect,
    /// The status and body bytes the log must record for the faulted request
    /// (`None` bytes: the full body).
    logged_status: u16,
    logged_bytes: Option<u64>,
    /// How many times at least the rule must have fired (a client that retries meets
    /// an unlimited rule again).
    fired_at_least: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "503 on the manifest: skopeo does not retry it",
        target: Target::Manifest,
        verdict: Verdict::Status {
            status: 503,
            retry_after: None,
        },
        uses: Some(1),
        expect: Expect::Fails("503"),
        logged_status: 503,
        logged_bytes: None,
        fired_at_least: 1,
    },
    Case {
        name: "500 on the manifest",
        target: Target::Manifest,
        verdict: Verdict::Status {
            status: 500,
            retry_after: None,
        },
        uses: Some(1),
        expect: Expect::Fails("500"),
        logged_status: 500,
        logged_bytes: None,
        fired_at_least: 1,
    },
    Case {
        name: "429 with Retry-After on the manifest: skopeo waits and retries",
        target: Target::Manifest,
        verdict: Verdict::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(1)),
        },
        uses: Some(1),
        expect: Expect::Recovers,
        logged_status: 429,
        logged_bytes: None,
        fired_at_least: 1,
    },
    Case {
        name: "429 on every layer request: skopeo retries, then gives up",
        target: Target::Layer,
        verdict: Verdict::Status {
            status: 429,
            retry_after: Some(Duration::from_secs(1)),
        },
        uses: None,
        expect: Expect::Fails("too many requests"),
        logged_status: 429,
        logged_bytes: None,
        fired_at_least: 2,
    },
    Case {
        name: "connection dropped after 100 bytes of the layer",
        target: Target::Layer,
        verdict: Verdict::DropAfter(100),
        uses: None,
        expect: Expect::Fails("EOF"),
        logged_status: 200,
        logged_bytes: Some(100),
        fired_at_least: 1,
    },
    Case {
        name: "corrupted layer: skopeo checks the digest and rejects it",
        target: Target::Layer,
        verdict: Verdict::Corrupt,
        uses: None,
        expect: Expect::Fails("did not match"),
        logged_status: 200,
        logged_bytes: None,
        fired_at_least: 1,
    },
    Case {
        name: "half a second of added latency on the manifest",
        target: Target::Manifest,
        verdict: Verdict::Delay(Duration::from_millis(500)),
        uses: Some(1),
        expect: Expect::Recovers,
        logged_status: 200,
        logged_bytes: None,
        fired_at_least: 1,
    },
];

#[test]
fn each_fault_verdict_is_seen_by_skopeo_and_logged() -> anyhow::Result<()> {
    let server = RegistryServer::demo(AuthMode::Basic)?;
    let skopeo = Skopeo::new()?;
    for (number, case) in CASES.iter().enumerate() {
        check(&server, &skopeo, number, case)
            .map_err(|err| err.context(format!("case {number}: {}", case.name)))?;
    }
    Ok(())
}

fn check(
    server: &RegistryServer,
    skopeo: &Skopeo,
    number: usize,
    case: &Case,
) -> anyhow::Result<()> {
    let path = match case.target {
        Target::Manifest => "/v2/demo/hello/manifests/v1".to_owned(),
        Target::Layer => format!("/v2/demo/hello/blobs/{}", layer_digest(server)?),
    };
    let id = {
        let mut registry = server.lock();
        registry.clear_faults();
        registry.add_fault(FaultRule {
            matcher: FaultMatch {
                method: Some("GET".to_owned()),
                path: Some(path.clone()),
                ..FaultMatch::default()
            },
            verdict: case.verdict,
            uses: case.uses,
        })
    };
    let cursor = server.log_cursor();
    let (outcome, _) = skopeo.pull(
        &server.image("demo/hello:v1"),
        &format!("fault-{number}"),
        &[],
        &[],
    )?;
    let log = server.log_since(cursor);
    server.lock().clear_faults();
    match case.expect {
        Expect::Fails(needle) => {
            outcome.expect_failure_mentioning(needle)?;
        }
        Expect::Recovers => {
            outcome.expect_success()?;
        }
    }
    let faulted = fired(&log, id, &path).ok_or_else(|| {
        anyhow::anyhow!("rule {} never fired on {path}:\n{}", id.0, log_lines(&log))
    })?;
    anyhow::ensure!(
        faulted.status == case.logged_status,
        "logged status {} for the faulted request, want {}",
        faulted.status,
        case.logged_status
    );
    let fired_count = log.iter().filter(|entry| entry.fault == Some(id)).count();
    anyhow::ensure!(
        fired_count >= case.fired_at_least,
        "the rule fired {fired_count} times, want at least {}:\n{}",
        case.fired_at_least,
        log_lines(&log)
    );
    if let Some(bytes) = case.logged_bytes {
        anyhow::ensure!(
            faulted.body_bytes == bytes,
            "logged {} body bytes, want {bytes}",
            faulted.body_bytes
        );
    }
    if let Verdict::Status {
        retry_after: Some(wait),
        ..
    } = case.verdict
        && matches!(case.expect, Expect::Recovers)
    {
        check_retry_after(&log, faulted, &path, wait)?;
    }
    Ok(())
}

/// The first request the rule fired on.
fn fired<'a>(log: &'a [LogEntry], id: FaultId, path: &str) -> Option<&'a LogEntry> {
    log.iter()
        .find(|entry| entry.fault == Some(id) && entry.path == path)
}

/// skopeo honoured `Retry-After`: the same request came again, no sooner than asked,
/// and succeeded.
fn check_retry_after(
    log: &[LogEntry],
    faulted: &LogEntry,
    path: &str,
    wait: Duration,
) -> anyhow::Result<()> {
    let retry = log
        .iter()
        .find(|entry| entry.index > faulted.index && entry.path == path && entry.method == "GET")
        .ok_or_else(|| anyhow::anyhow!("no retry of {path}:\n{}", log_lines(log)))?;
    anyhow::ensure!(retry.status == 200, "the retry got {}", retry.status);
    let gap = retry.time.saturating_since(faulted.time);
    anyhow::ensure!(
        gap >= wait,
        "the retry came {gap:?} after the 429, sooner than Retry-After asked ({wait:?})"
    );
    Ok(())
}

/// The digest of `demo/hello:v1`'s one layer, asked of the core directly (as a client
/// named `test`, so the request is in the log but matches no client-specific rule).
fn layer_digest(server: &RegistryServer) -> anyhow::Result<String> {
    let mut request = Request::new(Method::Get, "/v2/demo/hello/manifests/v1", "test");
    request
        .headers
        .append("accept", "application/vnd.oci.image.manifest.v1+json");
    let response = server.lock().handle(&request, SimTime::EPOCH);
    anyhow::ensure!(response.status == 200, "manifest GET: {}", response.status);
    let manifest: serde_json::Value = serde_json::from_slice(&response.body)?;
    manifest["layers"][0]["digest"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("no layer in {manifest}"))
}
