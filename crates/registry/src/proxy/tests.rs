//! The pull-through cache against a scripted upstream: a second `Registry` answering each
//! `UpstreamRequest` in-process (or not at all, when it is "down").

use std::time::Duration;

use pullsim_model::{ByteSize, SimTime};

use super::*;
use crate::fault::{FaultMatch, FaultRule, Verdict};
use crate::protocol::{Method, Request, Response};
use crate::{AuthMode, ImageSpec, Registry, RegistryConfig};

const ACCEPT: &str =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json";

fn at(seconds: u64) -> SimTime {
    SimTime::EPOCH + Duration::from_secs(seconds)
}

fn origin() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn cache(ttl: Option<Duration>) -> Registry {
    let mut cache = Registry::new(RegistryConfig::default());
    cache.set_proxy(ProxyConfig {
        ttl,
        ..ProxyConfig::new("http://127.0.0.1:5001")
    });
    cache
}

fn get(target: &str) -> Request {
    let mut request = Request::new(Method::Get, target, "node-1");
    request.headers.append("Accept", ACCEPT);
    request
}

/// Runs `request` through `cache` to its answer; the upstream is `origin` (`None`: down).
/// Returns the answer and the upstream requests as `METHOD target`.
fn drive(
    cache: &mut Registry,
    origin: Option<&mut Registry>,
    request: &Request,
    now: SimTime,
) -> (Response, Vec<String>) {
    let mut origin = origin;
    let mut sent = Vec::new();
    let mut step = cache.begin(request, now);
    loop {
        match step {
            Step::Answer(response) => return (response, sent),
            Step::Upstream(upstream) => {
                assert_eq!(&*upstream.request.client, PROXY_CLIENT);
                assert_eq!(upstream.host, "127.0.0.1:5001");
                assert!(
                    upstream.url.ends_with(&upstream.request.target),
                    "{upstream:?}"
                );
                sent.push(format!(
                    "{} {}",
                    upstream.request.method.as_str(),
                    upstream.request.target
                ));
                let reply = match origin.as_deref_mut() {
                    Some(origin) => UpstreamReply::Response(origin.handle(&upstream.request, now)),
                    None => UpstreamReply::Failed("connection refused".to_owned()),
                };
                step = cache.resume(upstream.ticket, reply, now);
            }
        }
    }
}

/// The digest of the first layer of a single-platform manifest body.
fn first_layer(manifest: &[u8]) -> String {
    let document: serde_json::Value = serde_json::from_slice(manifest).expect("json");
    document["layers"][0]["digest"]
        .as_str()
        .expect("a layer")
        .to_owned()
}

fn code_of(response: &Response) -> String {
    let document: serde_json::Value = serde_json::from_slice(&response.body).expect("json");
    document["errors"][0]["code"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

/// Warms `cache` with demo/hello:v1 and its first layer; returns the manifest digest and
/// the layer digest.
fn warm(cache: &mut Registry, origin: &mut Registry, now: SimTime) -> (String, String) {
    let (manifest, sent) = drive(
        cache,
        Some(origin),
        &get("/v2/demo/hello/manifests/v1"),
        now,
    );
    assert_eq!(manifest.status, 200, "{manifest:?}");
    let digest = manifest
        .headers
        .get("docker-content-digest")
        .unwrap()
        .to_owned();
    assert_eq!(
        sent,
        [
            "HEAD /v2/demo/hello/manifests/v1".to_owned(),
            format!("GET /v2/demo/hello/manifests/{digest}")
        ]
    );
    let layer = first_layer(&manifest.body);
    let (blob, sent) = drive(
        cache,
        Some(origin),
        &get(&format!("/v2/demo/hello/blobs/{layer}")),
        now,
    );
    assert_eq!(blob.status, 200);
    assert_eq!(
        sent,
        [
            format!("HEAD /v2/demo/hello/blobs/{layer}"),
            format!("GET /v2/demo/hello/blobs/{layer}")
        ]
    );
    (digest, layer)
}

#[test]
fn a_registry_that_is_no_proxy_answers_begin_as_handle() {
    let mut registry = origin();
    let request = get("/v2/demo/hello/manifests/v1");
    let expected = registry.clone().handle(&request, at(0));
    assert_eq!(registry.begin(&request, at(0)), Step::Answer(expected));
    assert!(registry.proxy().is_none());
}

#[test]
fn tags_go_upstream_every_time_and_content_is_cached() {
    let mut origin = origin();
    let mut cache = cache(Some(DEFAULT_PROXY_TTL));
    let expected = origin.handle(&get("/v2/demo/hello/manifests/v1"), at(0));
    let (digest, layer) = warm(&mut cache, &mut origin, at(0));
    // Warm: the tag costs one upstream HEAD, nothing else.
    let (again, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/demo/hello/manifests/v1"),
        at(1),
    );
    assert_eq!(again.body, expected.body);
    assert_eq!(sent, ["HEAD /v2/demo/hello/manifests/v1"]);
    // By digest and blobs: local, no upstream.
    let (by_digest, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get(&format!("/v2/demo/hello/manifests/{digest}")),
        at(2),
    );
    assert_eq!((by_digest.status, sent.len()), (200, 0));
    let (blob, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get(&format!("/v2/demo/hello/blobs/{layer}")),
        at(2),
    );
    let expected_blob = origin.handle(&get(&format!("/v2/demo/hello/blobs/{layer}")), at(2));
    assert_eq!((blob.status, sent.len()), (200, 0));
    assert_eq!(blob.body, expected_blob.body);
    // handle() on the proxy answers from the store.
    assert_eq!(
        cache
            .handle(&get("/v2/demo/hello/manifests/v1"), at(3))
            .status,
        200
    );
}

#[test]
fn a_head_on_a_cold_cache_costs_the_upstream_get() {
    let mut origin = origin();
    let mut cache = cache(None);
    let mut head = get("/v2/demo/hello/manifests/v1");
    head.method = Method::Head;
    let (answer, sent) = drive(&mut cache, Some(&mut origin), &head, at(0));
    assert_eq!(answer.status, 200);
    assert!(answer.body.is_empty());
    assert_eq!(sent.len(), 2);
    assert!(
        sent[1].starts_with("GET /v2/demo/hello/manifests/sha256:"),
        "{sent:?}"
    );
}

#[test]
fn a_stale_tag_is_served_when_the_upstream_fails_and_an_unknown_one_is_not() {
    let mut origin = origin();
    let mut cache = cache(None);
    let (digest, _) = warm(&mut cache, &mut origin, at(0));
    origin.add_fault(FaultRule::new(
        FaultMatch::default(),
        Verdict::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let (answer, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/demo/hello/manifests/v1"),
        at(1),
    );
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.headers.get("docker-content-digest"),
        Some(digest.as_str())
    );
    // A 503 HEAD is retried as a GET (distribution's client), then the local mapping.
    assert_eq!(
        sent,
        [
            "HEAD /v2/demo/hello/manifests/v1",
            "GET /v2/demo/hello/manifests/v1"
        ]
    );
    let (answer, sent) = drive(&mut cache, None, &get("/v2/demo/hello/manifests/v1"), at(2));
    assert_eq!((answer.status, sent.len()), (200, 1));
    let (unknown, _) = drive(&mut cache, None, &get("/v2/demo/multi/manifests/v1"), at(2));
    assert_eq!(
        (unknown.status, code_of(&unknown).as_str()),
        (404, "MANIFEST_UNKNOWN")
    );
}

#[test]
fn upstream_down_serves_cached_blobs_and_fails_uncached_ones_with_500_unknown() {
    let mut origin = origin();
    let mut cache = cache(None);
    let (_, layer) = warm(&mut cache, &mut origin, at(0));
    let (cached, _) = drive(
        &mut cache,
        None,
        &get(&format!("/v2/demo/hello/blobs/{layer}")),
        at(1),
    );
    assert_eq!(cached.status, 200);
    let missing = "sha256:".to_owned() + &"a".repeat(64);
    let (uncached, sent) = drive(
        &mut cache,
        None,
        &get(&format!("/v2/demo/hello/blobs/{missing}")),
        at(1),
    );
    assert_eq!(
        (uncached.status, code_of(&uncached).as_str()),
        (500, "UNKNOWN")
    );
    assert_eq!(sent.len(), 1);
    assert!(String::from_utf8_lossy(&uncached.body).contains("connection refused"));
    // Upstream up but without the blob: 404 BLOB_UNKNOWN.
    let (absent, _) = drive(
        &mut cache,
        Some(&mut origin),
        &get(&format!("/v2/demo/hello/blobs/{missing}")),
        at(1),
    );
    assert_eq!(
        (absent.status, code_of(&absent).as_str()),
        (404, "BLOB_UNKNOWN")
    );
}

#[test]
fn content_expires_at_caching_time_plus_ttl_and_hits_do_not_refresh_it() {
    let mut origin = origin();
    let mut cache = cache(Some(Duration::from_secs(3600)));
    let (_, layer) = warm(&mut cache, &mut origin, at(0));
    let blob = get(&format!("/v2/demo/hello/blobs/{layer}"));
    let (_, sent) = drive(&mut cache, Some(&mut origin), &blob, at(1800));
    assert!(sent.is_empty());
    assert_eq!(cache.handle(&blob, at(3599)).status, 200);
    assert_eq!(
        cache.handle(&blob, at(3600)).status,
        404,
        "expired at 0 + 1h"
    );
    let (refetched, sent) = drive(&mut cache, Some(&mut origin), &blob, at(3600));
    assert_eq!((refetched.status, sent.len()), (200, 2));
    // ttl None: never expires.
    let mut forever = self::cache(None);
    let (_, layer) = warm(&mut forever, &mut origin, at(0));
    let blob = get(&format!("/v2/demo/hello/blobs/{layer}"));
    assert_eq!(forever.handle(&blob, at(10 * 365 * 86_400)).status, 200);
}

#[test]
fn concurrent_misses_all_go_upstream_and_only_the_first_caches() {
    let mut origin = origin();
    let mut cache = cache(None);
    let manifest = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/demo/hello/manifests/v1"),
        at(0),
    )
    .0;
    let layer = first_layer(&manifest.body);
    let blob = get(&format!("/v2/demo/hello/blobs/{layer}"));
    let expected = origin.handle(&blob, at(0));
    let mut steps = vec![cache.begin(&blob, at(0)), cache.begin(&blob, at(0))];
    let mut gets = 0;
    let mut answers = Vec::new();
    // Advance both tickets one exchange at a time, so both are in flight together.
    while !steps.is_empty() {
        let mut next = Vec::new();
        for step in steps {
            match step {
                Step::Answer(response) => answers.push(response),
                Step::Upstream(upstream) => {
                    gets += usize::from(upstream.request.method == Method::Get);
                    let reply = UpstreamReply::Response(origin.handle(&upstream.request, at(0)));
                    next.push(cache.resume(upstream.ticket, reply, at(0)));
                }
            }
        }
        steps = next;
    }
    assert_eq!(gets, 2, "two upstream GETs");
    assert_eq!(answers.len(), 2);
    for answer in &answers {
        assert_eq!((answer.status, &answer.body), (200, &expected.body));
    }
    let (_, sent) = drive(&mut cache, None, &blob, at(1));
    assert!(sent.is_empty(), "cached once");
}

#[test]
fn the_token_dance_gets_a_token_with_the_proxys_credentials() {
    let mut origin = Registry::with_demo_catalog(RegistryConfig {
        auth: AuthMode::Token,
        ..RegistryConfig::default()
    });
    let mut cache = cache(None);
    cache.set_proxy(ProxyConfig {
        username: Some("alice".to_owned()),
        password: Some("wonderland".to_owned()),
        ..ProxyConfig::new("http://127.0.0.1:5001")
    });
    let (answer, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/private/app/manifests/v1"),
        at(0),
    );
    assert_eq!(answer.status, 200, "{answer:?} {sent:?}");
    assert_eq!(sent[0], "HEAD /v2/private/app/manifests/v1");
    assert!(sent[1].starts_with("GET /token?"), "{sent:?}");
    assert!(
        sent[1].contains("scope=repository:private/app:pull"),
        "{sent:?}"
    );
    assert_eq!(sent[2], "HEAD /v2/private/app/manifests/v1");
    // The token is kept: the next request sends it at once.
    let (_, sent) = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/private/app/manifests/v1"),
        at(1),
    );
    assert_eq!(sent, ["HEAD /v2/private/app/manifests/v1"]);
    // Without credentials the upstream refuses and nothing is cached.
    let mut anonymous = self::cache(None);
    let (refused, _) = drive(
        &mut anonymous,
        Some(&mut origin),
        &get("/v2/private/app/manifests/v1"),
        at(0),
    );
    assert_eq!(refused.status, 404);
}

#[test]
fn sized_blobs_are_cached_by_digest_and_size() {
    let mut origin = Registry::new(RegistryConfig::default());
    let spec = ImageSpec {
        sized: true,
        layers: vec![ByteSize(50 << 20)],
        ..ImageSpec::new("big/app", "v1")
    };
    origin.push_build(&spec, at(0)).expect("build");
    let mut cache = cache(None);
    let manifest = drive(
        &mut cache,
        Some(&mut origin),
        &get("/v2/big/app/manifests/v1"),
        at(0),
    )
    .0;
    let layer = first_layer(&manifest.body);
    let blob = get(&format!("/v2/big/app/blobs/{layer}"));
    let (first, _) = drive(&mut cache, Some(&mut origin), &blob, at(0));
    let (second, sent) = drive(&mut cache, None, &blob, at(1));
    assert!(sent.is_empty());
    for answer in [first, second] {
        assert_eq!(answer.status, 200);
        assert_eq!(
            answer.delivery.declared_body.map(|d| d.size_bytes),
            Some(50 << 20)
        );
    }
}

#[test]
fn pushes_are_unsupported_and_pending_tickets_are_capped() {
    let mut cache = cache(None);
    let push = Request::new(Method::Post, "/v2/demo/hello/blobs/uploads/", "node-1");
    let Step::Answer(answer) = cache.begin(&push, at(0)) else {
        panic!("answered")
    };
    assert_eq!(code_of(&answer), "UNSUPPORTED");
    for _ in 0..PROXY_PENDING_MAX {
        assert!(matches!(
            cache.begin(&get("/v2/demo/hello/manifests/v1"), at(0)),
            Step::Upstream(_)
        ));
    }
    let Step::Answer(full) = cache.begin(&get("/v2/demo/hello/manifests/v1"), at(0)) else {
        panic!("over the cap")
    };
    assert_eq!(
        (full.status, code_of(&full).as_str()),
        (503, "TOOMANYREQUESTS")
    );
}

#[test]
fn handle_shared_answers_as_handle_on_a_proxy_across_expiry() {
    let mut origin = origin();
    let mut shared = cache(Some(Duration::from_secs(100)));
    shared.set_request_log(false);
    let (digest, layer) = warm(&mut shared, &mut origin, at(0));
    let mut plain = shared.clone();
    let requests = [
        get("/v2/demo/hello/manifests/v1"),
        get(&format!("/v2/demo/hello/manifests/{digest}")),
        get(&format!("/v2/demo/hello/blobs/{layer}")),
    ];
    for (i, seconds) in [0, 10, 50, 99, 100, 101, 150, 300].into_iter().enumerate() {
        let request = &requests[i % requests.len()];
        for request in [request, request] {
            let answer = shared.handle_shared(request, at(seconds));
            assert_eq!(
                *answer,
                plain.handle(request, at(seconds)),
                "{} at {seconds}",
                request.target
            );
        }
        if seconds == 150 {
            warm(&mut shared, &mut origin, at(seconds));
            warm(&mut plain, &mut origin, at(seconds));
        }
    }
}
