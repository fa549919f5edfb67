//! `handle_shared` answers exactly as `handle` does, whatever happens between requests
//! (pushes, tag moves and deletions, fault rules with windows and use limits, triggers,
//! the log switched on and off), and it does reuse answers when nothing changed.

mod common;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use proptest::prelude::*;
use pullsim_model::{ByteSize, Digest, SimTime};
use pullsim_registry::{
    FaultMatch, FaultRule, ImageFormat, ImageSpec, ManifestKind, Method, Registry, RegistryConfig,
    Request, Response, Verdict,
    trigger::{Trigger, TriggerAction},
};

use common::{CONTAINERS_IMAGE_ACCEPT, basic};

fn demo() -> Registry {
    static DEMO: OnceLock<Registry> = OnceLock::new();
    let mut registry = DEMO
        .get_or_init(|| Registry::with_demo_catalog(RegistryConfig::default()))
        .clone();
    registry.set_request_log(false);
    registry
}

/// Digests a manifest document names (config, layers, children).
fn named_digests(bytes: &[u8]) -> Vec<String> {
    let document: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let mut digests = Vec::new();
    let config = document["config"]["digest"].as_str();
    let listed = ["layers", "manifests"]
        .iter()
        .flat_map(|key| document[key].as_array().cloned().unwrap_or_default())
        .filter_map(|entry| entry["digest"].as_str().map(str::to_owned));
    digests.extend(config.map(str::to_owned));
    digests.extend(listed);
    digests
}

/// Request targets over the demo content: tags, digests, blobs, unknowns and `/v2/`.
fn targets() -> &'static [String] {
    static TARGETS: OnceLock<Vec<String>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let mut registry = demo();
        let mut targets = vec!["/v2/".to_owned(), "/v2/demo/hello/manifests/v9".to_owned()];
        for tag in registry.tags() {
            let repository = &tag.repository;
            targets.push(format!("/v2/{repository}/manifests/v1"));
            targets.push(format!("/v2/{repository}/manifests/{}", tag.digest));
            if let Some((_, bytes)) = registry.stored_manifest(repository, "v1") {
                for digest in named_digests(&bytes) {
                    targets.push(format!("/v2/{repository}/blobs/{digest}"));
                    targets.push(format!("/v2/{repository}/manifests/{digest}"));
                }
            }
        }
        targets.push(format!("/v2/demo/hello/blobs/sha256:{}", "0".repeat(64)));
        targets.push("/v2/demo/hello/tags/list".to_owned());
        targets
    })
}

fn authorization(index: u8) -> Option<String> {
    match index % 6 {
        0 => None,
        1 => Some(basic("alice", "wonderland")),
        2 => Some(basic("alice", "nope")),
        3 => Some(basic("bob", "builder")),
        4 => Some("Bearer not-a-token".to_owned()),
        _ => Some(basic("", "")),
    }
}

/// A request drawn from a small space: indexes into the targets and credentials above.
#[derive(Debug, Clone)]
struct Shape {
    method: Method,
    target: usize,
    auth: u8,
    accept: u8,
    range: bool,
    client: u8,
}

#[derive(Debug, Clone)]
enum Op {
    Request(Shape),
    PushBuild(u32),
    MoveBack,
    InstallBack,
    DeleteTag,
    AddFault {
        from_secs: u64,
        for_secs: u64,
        uses: Option<u64>,
        nth: Option<u64>,
        status: bool,
    },
    ClearFaults,
    AddTrigger(u64),
    Log(bool),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let method = prop_oneof![
        6 => Just(Method::Get),
        3 => Just(Method::Head),
        1 => Just(Method::Delete),
    ];
    prop_oneof![
        // Mostly a few requests over and over, so answers get reused, and now and then
        // any other.
        12 => (
            method,
            // Index 2 is `demo/hello:v1`, the tag the operations move.
            prop_oneof![3 => Just(2usize), 3 => 0usize..6, 1 => any::<usize>()],
            prop_oneof![6 => Just(0u8), 1 => any::<u8>()],
            prop_oneof![4 => Just(1u8), 1 => 0u8..3],
            prop_oneof![4 => Just(false), 1 => Just(true)],
            0u8..3,
        )
            .prop_map(
            |(method, target, auth, accept, range, client)| Op::Request(Shape {
                method,
                target,
                auth,
                accept,
                range,
                client,
            })
        ),
        1 => (2u32..5).prop_map(Op::PushBuild),
        1 => Just(Op::MoveBack),
        1 => Just(Op::InstallBack),
        1 => Just(Op::DeleteTag),
        1 => (0u64..20, 1u64..10, proptest::option::of(1u64..3), proptest::option::of(1u64..3), any::<bool>())
            .prop_map(|(from_secs, for_secs, uses, nth, status)| Op::AddFault {
                from_secs,
                for_secs,
                uses,
                nth,
                status,
            }),
        1 => Just(Op::ClearFaults),
        1 => (1u64..3).prop_map(Op::AddTrigger),
        1 => any::<bool>().prop_map(Op::Log),
        3 => (0u64..4).prop_map(Op::Advance),
    ]
}

fn hello(build: u32) -> ImageSpec {
    ImageSpec {
        format: ImageFormat::Oci,
        layers: vec![ByteSize(64)],
        build,
        ..ImageSpec::new("demo/hello", "v1")
    }
}

fn request(shape: &Shape) -> Request {
    let targets = targets();
    let mut request = Request::new(
        shape.method.clone(),
        targets[shape.target % targets.len()].clone(),
        format!("node-{}", shape.client),
    );
    request.headers.append("Host", "registry.example");
    match shape.accept {
        1 => {
            for line in CONTAINERS_IMAGE_ACCEPT {
                request.headers.append("Accept", line);
            }
        }
        2 => request
            .headers
            .append("Accept", "application/vnd.oci.image.manifest.v1+json"),
        _ => {}
    }
    if shape.range {
        request.headers.append("Range", "bytes=0-9");
    }
    if let Some(value) = authorization(shape.auth) {
        request.headers.append("Authorization", value);
    }
    request
}

/// Applies `op` to both registries, the plain one through `handle` and the other through
/// `handle_shared`; the answers (if a request) must be equal.
fn apply(op: &Op, plain: &mut Registry, shared: &mut Registry, now: &mut SimTime, first: &Digest) {
    for registry in [&mut *plain, &mut *shared] {
        match op {
            Op::Request(_) | Op::Advance(_) => {}
            Op::PushBuild(build) => {
                registry.push_build(&hello(*build), *now).unwrap();
            }
            Op::MoveBack => registry.move_tag("demo/hello", "v1", first, *now).unwrap(),
            Op::InstallBack => {
                // The first build's manifest, installed again under the tag.
                let (_, bytes) = registry
                    .stored_manifest("demo/hello", &first.to_string())
                    .unwrap();
                registry
                    .install_manifest(
                        "demo/hello",
                        Some("v1"),
                        ManifestKind::OciManifest,
                        bytes,
                        *now,
                    )
                    .unwrap();
            }
            Op::DeleteTag => {
                let _ = registry.delete_tag("demo/hello", "v1", *now);
            }
            Op::AddFault {
                from_secs,
                for_secs,
                uses,
                nth,
                status,
            } => {
                let from = Duration::from_secs(*from_secs);
                let mut rule = FaultRule::new(
                    FaultMatch {
                        from: Some(from),
                        until: Some(from + Duration::from_secs(*for_secs)),
                        nth: *nth,
                        ..FaultMatch::default()
                    },
                    if *status {
                        Verdict::Status {
                            status: 503,
                            retry_after: None,
                        }
                    } else {
                        Verdict::Delay(Duration::from_millis(5))
                    },
                );
                rule.uses = *uses;
                registry.add_fault(rule);
            }
            Op::ClearFaults => registry.clear_faults(),
            Op::AddTrigger(nth) => registry
                .add_trigger(Trigger {
                    matcher: FaultMatch {
                        method: Some("GET".to_owned()),
                        nth: Some(*nth),
                        ..FaultMatch::default()
                    },
                    action: TriggerAction::MoveTag {
                        repository: "demo/hello".to_owned(),
                        tag: "v1".to_owned(),
                        digest: first.clone(),
                    },
                })
                .unwrap(),
            Op::Log(on) => registry.set_request_log(*on),
        }
    }
    match op {
        Op::Advance(secs) => *now = *now + Duration::from_secs(*secs),
        Op::Request(shape) => {
            let request = request(shape);
            let expected = plain.handle(&request, *now);
            let got = shared.handle_shared(&request, *now);
            assert_eq!(*got, expected, "{} {}", request.method, request.target);
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Whatever happens in between, `handle_shared` gives `handle`'s answer, and the rule
    /// counters, the log and the tags end up the same.
    #[test]
    fn shared_answers_equal_plain_answers(ops in proptest::collection::vec(op(), 1..60)) {
        let mut plain = demo();
        let mut shared = demo();
        let first = plain.tags().into_iter().find(|t| t.repository == "demo/hello").unwrap().digest;
        let mut now = SimTime::EPOCH;
        for op in &ops {
            apply(op, &mut plain, &mut shared, &mut now, &first);
        }
        prop_assert_eq!(plain.faults(), shared.faults());
        prop_assert_eq!(plain.triggers(), shared.triggers());
        prop_assert_eq!(plain.log_since(0), shared.log_since(0));
        prop_assert_eq!(plain.tags(), shared.tags());
    }
}

fn get(target: &str) -> Request {
    let mut request = Request::new(Method::Get, target, "node-1");
    for line in CONTAINERS_IMAGE_ACCEPT {
        request.headers.append("Accept", line);
    }
    request
}

/// The same read twice gets the very same answer; any change in between, a fault rule
/// that can match now, or the log being on makes it be decided again.
#[test]
fn repeated_reads_share_one_answer_until_something_changes() {
    let mut registry = demo();
    let at = SimTime::from_secs(10);
    let request = get("/v2/demo/hello/manifests/v1");
    let first = registry.handle_shared(&request, at);
    let mut from_other_node = request.clone();
    from_other_node.client = "node-2".into();
    let again = registry.handle_shared(&from_other_node, at);
    assert!(Arc::ptr_eq(&first, &again), "a repeated read is reused");

    registry.push_build(&hello(7), at).unwrap();
    let moved: Arc<Response> = registry.handle_shared(&request, at);
    assert_ne!(*moved, *first, "a push moved the tag: a new answer");

    // A rule whose window is over can no longer count anything: answers are reused.
    registry.add_fault(FaultRule::new(
        FaultMatch {
            until: Some(Duration::from_secs(5)),
            ..FaultMatch::default()
        },
        Verdict::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let once = registry.handle_shared(&request, at);
    assert!(Arc::ptr_eq(&once, &registry.handle_shared(&request, at)));
    // A rule that can match now is consulted on every request.
    registry.add_fault(FaultRule::new(
        FaultMatch {
            nth: Some(2),
            ..FaultMatch::default()
        },
        Verdict::Status {
            status: 503,
            retry_after: None,
        },
    ));
    assert_eq!(registry.handle_shared(&request, at).status, 200);
    assert_eq!(registry.handle_shared(&request, at).status, 503);
    registry.clear_faults();

    registry.set_request_log(true);
    let logged = registry.handle_shared(&request, at);
    assert!(!Arc::ptr_eq(&logged, &registry.handle_shared(&request, at)));
    assert_eq!(registry.log_since(0).len(), 2, "every request is logged");
}

/// A request that may change state (here a push through the protocol) drops every kept
/// answer, and a token's answer is never kept.
#[test]
fn writes_drop_kept_answers_and_tokens_are_never_kept() {
    let mut registry = demo();
    let at = SimTime::EPOCH;
    let request = get("/v2/demo/hello/manifests/v1");
    let first = registry.handle_shared(&request, at);
    let mut upload = Request::new(Method::Post, "/v2/demo/hello/blobs/uploads/", "node-1");
    upload.headers.append("Content-Length", "0");
    let _ = registry.handle_shared(&upload, at);
    assert!(!Arc::ptr_eq(&first, &registry.handle_shared(&request, at)));

    let mut bearer = get("/v2/demo/hello/manifests/v1");
    bearer.headers.append("Authorization", "Bearer abc");
    let one = registry.handle_shared(&bearer, at);
    assert!(!Arc::ptr_eq(&one, &registry.handle_shared(&bearer, at)));
}
