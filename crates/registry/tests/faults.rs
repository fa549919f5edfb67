//! Fault verdicts as the protocol shows them, the log entries they leave, and the
//! control API that installs them; tag moves and their history through the control API.

mod common;

use std::time::Duration;

use common::{check, header, req};
use pullsim_model::{Digest, SimTime};
use pullsim_registry::{FaultMatch, FaultRule, Method, Registry, RegistryConfig, Request, Verdict};

fn demo() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn install(registry: &mut Registry, yaml: &str) -> u64 {
    let rule: FaultRule = serde_saphyr::from_str(yaml).unwrap();
    registry.add_fault(rule).0
}

fn layer_of(registry: &mut Registry) -> String {
    let mut request = Request::new(Method::Get, "/v2/demo/hello/manifests/v1", "t");
    request
        .headers
        .append("Accept", "application/vnd.oci.image.manifest.v1+json");
    let response = registry.handle(&request, SimTime::EPOCH);
    let parsed: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    parsed["layers"][0]["digest"].as_str().unwrap().to_owned()
}

#[test]
fn status_verdicts_answer_with_envelopes() {
    let mut registry = demo();
    let blob = format!("/v2/demo/hello/blobs/{}", layer_of(&mut registry));
    let rules = [
        "{match: {path: '/v2/*/blobs/*', method: GET}, status: 503, uses: 1}",
        "{match: {path: '/v2/*/blobs/*'}, status: 429, retry_after: 7s, uses: 1}",
        "{match: {repository: 'demo/hello', nth: 2}, status: 404, uses: 2}",
        "{match: {client: 'evil*'}, status: 401}",
        "{match: {path: '/v2/'}, status: 502, uses: 1}",
        "{match: {path: '/v2/'}, status: 500, uses: 1}",
        "{match: {path: '/v2/'}, status: 403, uses: 1}",
    ];
    for rule in rules {
        install(&mut registry, rule);
    }
    let mut evil = req("GET", blob.clone())
        .expect(401)
        .code("UNAUTHORIZED")
        .has("WWW-Authenticate", "Basic realm=\"pullsim\"");
    evil.request.client = "evil-node".into();
    check(
        &mut registry,
        vec![
            req("GET", blob.clone()).expect(503).code("UNAVAILABLE"),
            req("GET", blob.clone())
                .expect(429)
                .code("TOOMANYREQUESTS")
                .has("Retry-After", "7"),
            req("GET", blob.clone()).expect(200),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(404)
                .code("MANIFEST_UNKNOWN"),
            req("GET", blob.clone()).expect(404).code("BLOB_UNKNOWN"),
            evil,
            req("GET", "/v2/").expect(502).code("UNAVAILABLE"),
            req("GET", "/v2/").expect(500).code("UNKNOWN"),
            req("GET", "/v2/").expect(403).code("DENIED"),
            req("GET", "/v2/")
                .expect(401)
                .has("WWW-Authenticate", "Basic realm=\"pullsim\""),
        ],
    );
    let log = registry.log_since(0);
    let fired: Vec<Option<u64>> = log.iter().skip(1).map(|e| e.fault.map(|id| id.0)).collect();
    assert_eq!(
        fired,
        [
            Some(1),
            Some(2),
            None,
            Some(3),
            Some(3),
            Some(4),
            Some(5),
            Some(6),
            Some(7),
            None
        ]
    );
    assert_eq!(log[2].status, 429);
    let installed = registry.faults();
    assert_eq!(installed[2].matched, 3);
    assert_eq!(installed[2].fired, 2);
}

#[test]
fn shaping_verdicts_delay_drop_and_corrupt() {
    let mut registry = demo();
    let layer = layer_of(&mut registry);
    let blob = format!("/v2/demo/hello/blobs/{layer}");
    registry.add_fault(FaultRule {
        matcher: FaultMatch {
            path: Some("/v2/*/blobs/*".into()),
            from: Some(Duration::from_secs(10)),
            until: Some(Duration::from_secs(20)),
            ..FaultMatch::default()
        },
        verdict: Verdict::Delay(Duration::from_millis(1500)),
        uses: None,
    });
    install(
        &mut registry,
        "{match: {path: '/v2/*/blobs/*', nth: 1}, drop_after: 100, uses: 1}",
    );
    install(
        &mut registry,
        "{match: {path: '/v2/*/blobs/*'}, corrupt: true, uses: 1}",
    );
    let responses = check(
        &mut registry,
        vec![
            req("GET", blob.clone())
                .at_secs(15)
                .expect(200)
                .has("Content-Length", "4096"),
            req("GET", blob.clone())
                .expect(200)
                .has("Content-Length", "4096"),
            req("GET", blob.clone())
                .expect(200)
                .has("Content-Length", "4096"),
            req("GET", blob.clone()).expect(200),
        ],
    );
    assert_eq!(responses[0].delivery.delay, Duration::from_millis(1500));
    assert_eq!(Digest::sha256_of(&responses[0].body).to_string(), layer);
    assert_eq!(responses[1].delivery.drop_after_bytes, Some(100));
    assert_eq!(responses[2].body.len(), 4096);
    assert_ne!(Digest::sha256_of(&responses[2].body).to_string(), layer);
    assert_eq!(Digest::sha256_of(&responses[3].body).to_string(), layer);
    let log = registry.log_since(1);
    assert_eq!(log[1].body_bytes, 100);
    assert_eq!(log[1].fault.map(|id| id.0), Some(2));
    assert_eq!(log[2].fault.map(|id| id.0), Some(3));
    assert_eq!(log[3].fault, None);
}

#[test]
fn control_api_drives_tags_faults_log_and_reset() {
    let mut registry = demo();
    let pushed = check(
        &mut registry,
        vec![
            req("POST", "/_pullsim/push")
                .body(r#"{"repository": "demo/hello", "tag": "v1", "build": 2}"#)
                .expect(200)
                .contains(r#""repository":"demo/hello""#),
        ],
    );
    let build2: serde_json::Value = serde_json::from_slice(&pushed[0].body).unwrap();
    let build2 = build2["digest"].as_str().unwrap().to_owned();
    let build1 = registry.tag_history("demo/hello", "v1").unwrap()[0]
        .digest
        .to_string();
    assert_ne!(build1, build2);
    check(
        &mut registry,
        vec![
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .at_secs(1)
                .expect(200)
                .has("Docker-Content-Digest", build2.clone()),
            req("PUT", "/_pullsim/tags/demo/hello/v1")
                .body(format!(r#"{{"digest": "{build1}"}}"#))
                .at_secs(5)
                .expect(200),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .at_secs(6)
                .expect(200)
                .has("Docker-Content-Digest", build1.clone()),
            req("PUT", "/_pullsim/tags/demo/hello/v2")
                .body(format!(r#"{{"digest": "sha256:{}"}}"#, "0".repeat(64)))
                .expect(400)
                .contains("\"error\""),
            req("PUT", "/_pullsim/tags/demo/hello/v2")
                .body("{\"digst\": 1}")
                .expect(400)
                .contains("digst"),
            req("GET", "/_pullsim/tags/demo/hello/v1")
                .expect(200)
                .contains(format!(r#""digest":"{build1}""#)),
            req("DELETE", "/_pullsim/tags/demo/hello/v1")
                .at_secs(9)
                .expect(200),
            req("DELETE", "/_pullsim/tags/demo/hello/v1").expect(404),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(404)
                .code("MANIFEST_UNKNOWN"),
            req("GET", "/_pullsim/tags")
                .expect(200)
                .contains("demo/multi-docker"),
            req("POST", "/_pullsim/faults")
                .body("[{status: 503}, {match: {method: HEAD}, delay: 2s}]")
                .expect(200)
                .contains(r#"{"ids":[1,2]}"#),
            req("POST", "/_pullsim/faults")
                .body("{status: 418}")
                .expect(400)
                .contains("418"),
            req("GET", "/v2/").expect(503),
            req("GET", "/_pullsim/faults")
                .expect(200)
                .contains(r#""fired":1"#),
            req("DELETE", "/_pullsim/faults/1").expect(200),
            req("DELETE", "/_pullsim/faults/1").expect(404),
            req("DELETE", "/_pullsim/faults").expect(200),
            req("GET", "/_pullsim/nothing").expect(404),
            req("PATCH", "/_pullsim/reset").expect(405),
        ],
    );
    let history = registry.tag_history("demo/hello", "v1").unwrap();
    let spans: Vec<(String, u64, Option<u64>)> = history
        .iter()
        .map(|e| {
            (
                e.digest.to_string(),
                e.from.since_epoch().as_secs(),
                e.until.map(|t| t.since_epoch().as_secs()),
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            (build1.clone(), 0, Some(0)),
            (build2, 0, Some(5)),
            (build1, 5, Some(9))
        ]
    );
    let log = check(
        &mut registry,
        vec![req("GET", "/_pullsim/log?since=2").expect(200)],
    );
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&log[0].body)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "control requests are not logged");
    assert_eq!(lines[0]["index"], 2);
    assert_eq!(lines[1]["status"], 503);
    assert_eq!(lines[1]["fault"], 1);
    assert_eq!(header(&log[0], "Pullsim-Log-Next"), "4");
    check(
        &mut registry,
        vec![req("POST", "/_pullsim/reset").expect(200)],
    );
    assert!(registry.tags().is_empty());
    assert!(registry.log_since(0).is_empty());
    check(
        &mut registry,
        vec![
            req("GET", "/v2/demo/multi/manifests/v1")
                .accept_all()
                .expect(404)
                .code("NAME_UNKNOWN"),
            req("GET", "/v2/private/app/manifests/v1")
                .auth("alice", "wonderland")
                .expect(404),
            req("POST", "/_pullsim/catalog")
                .body("images:\n  - {repository: demo/hello, tag: v1, layers: [2KiB]}\n")
                .expect(200),
            req("POST", "/_pullsim/catalog")
                .body("images:\n  - {repository: x, tagg: v1}\n")
                .expect(400)
                .contains("tagg"),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(200),
        ],
    );
    assert_eq!(registry.log_since(0)[0].index, 4);
}

#[test]
fn control_token_guards_the_control_api() {
    let mut registry = Registry::with_demo_catalog(RegistryConfig {
        control_token: Some("s3cret".into()),
        ..RegistryConfig::default()
    });
    check(
        &mut registry,
        vec![
            req("GET", "/_pullsim/tags").expect(401).contains("Bearer"),
            req("GET", "/_pullsim/tags")
                .header("Authorization", "Bearer wrong")
                .expect(401),
            req("GET", "/_pullsim/tags")
                .header("Authorization", "Bearer s3cret")
                .expect(200),
        ],
    );
    // A printed or logged registry shows that a token is set, never the token.
    let printed = format!("{registry:?}");
    assert!(!printed.contains("s3cret"), "{printed}");
    assert!(
        printed.contains("control_token: Some(\"<redacted>\")"),
        "{printed}"
    );
}

/// A trigger moves a tag between two requests of one client: the HEAD that resolved the
/// tag saw build 1, the next GET of the tag sees build 2, and the old manifest stays
/// reachable by digest. A move to a manifest the repository lacks is refused up front.
#[test]
fn triggers_move_tags_between_requests() {
    use pullsim_registry::{ImageSpec, Trigger, TriggerAction};
    let mut registry = Registry::new(RegistryConfig::default());
    let first = registry
        .push_build(&ImageSpec::new("demo/app", "v1"), SimTime::EPOCH)
        .unwrap();
    let mut second_spec = ImageSpec::new("demo/app", "v2");
    second_spec.build = 2;
    let second = registry.push_build(&second_spec, SimTime::EPOCH).unwrap();
    let trigger = |digest: &Digest| Trigger {
        matcher: FaultMatch {
            path: Some("/v2/demo/app/manifests/v1".to_owned()),
            ..FaultMatch::default()
        },
        action: TriggerAction::MoveTag {
            repository: "demo/app".to_owned(),
            tag: "v1".to_owned(),
            digest: digest.clone(),
        },
    };
    let elsewhere = registry
        .push_build(&ImageSpec::new("demo/other", "v1"), SimTime::EPOCH)
        .unwrap();
    assert!(registry.add_trigger(trigger(&elsewhere.digest)).is_err());
    registry.add_trigger(trigger(&second.digest)).unwrap();
    let oci = "application/vnd.oci.image.manifest.v1+json";
    let first_digest = first.digest.to_string();
    let second_digest = second.digest.to_string();
    check(
        &mut registry,
        vec![
            req("HEAD", "/v2/demo/app/manifests/v1")
                .header("Accept", oci)
                .expect(200)
                .has("Docker-Content-Digest", first_digest.clone()),
            req("GET", "/v2/demo/app/manifests/v1")
                .header("Accept", oci)
                .expect(200)
                .has("Docker-Content-Digest", second_digest),
            req("GET", format!("/v2/demo/app/manifests/{first_digest}"))
                .header("Accept", oci)
                .expect(200)
                .has("Docker-Content-Digest", first_digest),
        ],
    );
    assert!(registry.triggers()[0].fired);
    let history = registry.tag_history("demo/app", "v1").unwrap();
    assert_eq!(history.len(), 2);
}
