//! Docker Hub's pull rate limit: what counts, buckets, windows, headers and texts.

use std::time::Duration;

use base64::Engine;
use pullsim_model::SimTime;
use pullsim_registry::rate_limit::{ANONYMOUS_MESSAGE, CLASSIC_MESSAGE, user_message};
use pullsim_registry::{Catalog, Method, RateLimit, Registry, RegistryConfig, Request, Response};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn limited(yaml: &str) -> Registry {
    let mut registry = Registry::with_demo_catalog(RegistryConfig::default());
    let rule: RateLimit = serde_saphyr::from_str(yaml).unwrap();
    registry.set_rate_limit(Some(rule));
    registry
}

fn send(
    registry: &mut Registry,
    method: Method,
    path: &str,
    address: &str,
    user: Option<&str>,
    secs: u64,
) -> Response {
    let mut request = Request::new(method, path, "node-1");
    request.address = Some(address.into());
    request
        .headers
        .append("Accept", format!("{OCI_MANIFEST}, {OCI_INDEX}"));
    if let Some(user) = user {
        let pair = base64::engine::general_purpose::STANDARD.encode(format!("{user}:wonderland"));
        request
            .headers
            .append("Authorization", format!("Basic {pair}"));
    }
    registry.handle(&request, SimTime::from_secs(secs))
}

fn get(registry: &mut Registry, address: &str, secs: u64) -> Response {
    send(
        registry,
        Method::Get,
        "/v2/demo/hello/manifests/v1",
        address,
        None,
        secs,
    )
}

fn remaining(response: &Response) -> &str {
    response.headers.get("ratelimit-remaining").unwrap()
}

fn message(response: &Response) -> String {
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["errors"][0]["code"], "TOOMANYREQUESTS");
    body["errors"][0]["message"].as_str().unwrap().to_owned()
}

#[test]
fn manifest_gets_count_until_the_limit_then_429_with_docker_hubs_body_and_headers() {
    let mut registry = limited("{limit: 2}");
    let first = get(&mut registry, "192.0.2.1", 0);
    assert_eq!(first.status, 200);
    assert_eq!(first.headers.get("ratelimit-limit"), Some("2;w=21600"));
    assert_eq!(remaining(&first), "1;w=21600");
    assert_eq!(
        first.headers.get("docker-ratelimit-source"),
        Some("192.0.2.1")
    );
    assert_eq!(remaining(&get(&mut registry, "192.0.2.1", 1)), "0;w=21600");
    let over = get(&mut registry, "192.0.2.1", 2);
    assert_eq!(over.status, 429);
    assert_eq!(remaining(&over), "0;w=21600");
    assert_eq!(message(&over), ANONYMOUS_MESSAGE);
    assert_eq!(
        ANONYMOUS_MESSAGE,
        "You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit"
    );
    // HEAD is free and still answers at the limit, with the headers.
    let head = send(
        &mut registry,
        Method::Head,
        "/v2/demo/hello/manifests/v1",
        "192.0.2.1",
        None,
        3,
    );
    assert_eq!(head.status, 200);
    assert_eq!(remaining(&head), "0;w=21600");
}

#[test]
fn heads_blobs_indexes_and_404s_are_free() {
    let mut registry = limited("{limit: 1}");
    for secs in 0..5 {
        let head = send(
            &mut registry,
            Method::Head,
            "/v2/demo/hello/manifests/v1",
            "a",
            None,
            secs,
        );
        assert_eq!(remaining(&head), "1;w=21600");
    }
    let index = send(
        &mut registry,
        Method::Get,
        "/v2/demo/multi/manifests/v1",
        "a",
        None,
        5,
    );
    assert_eq!(index.headers.get("content-type"), Some(OCI_INDEX));
    assert_eq!(remaining(&index), "1;w=21600");
    let missing = send(
        &mut registry,
        Method::Get,
        "/v2/demo/hello/manifests/nope",
        "a",
        None,
        6,
    );
    assert_eq!(missing.status, 404);
    assert_eq!(remaining(&missing), "1;w=21600");
    let manifest: serde_json::Value =
        serde_json::from_slice(&get(&mut registry, "a", 7).body).unwrap();
    let layer = manifest["layers"][0]["digest"].as_str().unwrap();
    let blob = send(
        &mut registry,
        Method::Get,
        &format!("/v2/demo/hello/blobs/{layer}"),
        "a",
        None,
        8,
    );
    assert_eq!(blob.status, 200);
    assert_eq!(blob.headers.get("ratelimit-remaining"), None);
    assert_eq!(get(&mut registry, "a", 9).status, 429);
}

#[test]
fn anonymous_pulls_count_per_address_and_authenticated_per_user() {
    let mut registry = limited("{limit: 1, userLimit: 2}");
    assert_eq!(get(&mut registry, "10.0.0.1", 0).status, 200);
    assert_eq!(get(&mut registry, "10.0.0.1", 1).status, 429);
    assert_eq!(get(&mut registry, "10.0.0.2", 2).status, 200);
    let path = "/v2/demo/hello/manifests/v1";
    let alice = |registry: &mut Registry, address: &str, secs| {
        send(registry, Method::Get, path, address, Some("alice"), secs)
    };
    let first = alice(&mut registry, "10.0.0.1", 3);
    assert_eq!(first.status, 200);
    assert_eq!(first.headers.get("ratelimit-limit"), Some("2;w=21600"));
    assert_eq!(first.headers.get("docker-ratelimit-source"), Some("alice"));
    assert_eq!(alice(&mut registry, "10.0.0.9", 4).status, 200);
    let over = alice(&mut registry, "10.0.0.1", 5);
    assert_eq!(over.status, 429);
    assert_eq!(message(&over), user_message("alice"));
    assert_eq!(
        user_message("alice"),
        "You have reached your pull rate limit as 'alice': dckr_jti_pullsim. You may increase the limit by upgrading. https://www.docker.com/increase-rate-limit"
    );
    // Per address: authenticated pulls share the address's bucket.
    let mut registry = limited("{limit: 1, per: address}");
    assert_eq!(alice(&mut registry, "10.0.0.1", 0).status, 200);
    assert_eq!(get(&mut registry, "10.0.0.1", 1).status, 429);
    // Per user: anonymous pulls are not limited and get no headers.
    let mut registry = limited("{userLimit: 1, per: user}");
    for secs in 0..3 {
        let anonymous = get(&mut registry, "10.0.0.1", secs);
        assert_eq!(anonymous.status, 200);
        assert_eq!(anonymous.headers.get("ratelimit-limit"), None);
    }
}

#[test]
fn ipv6_clients_share_a_bucket_per_64_prefix() {
    let mut registry = limited("{limit: 1}");
    let first = get(&mut registry, "2001:db8:1:2::5", 0);
    assert_eq!(
        first.headers.get("docker-ratelimit-source"),
        Some("2001:db8:1:2::")
    );
    assert_eq!(get(&mut registry, "2001:db8:1:2:ffff::9", 1).status, 429);
    assert_eq!(get(&mut registry, "2001:db8:1:3::5", 2).status, 200);
}

#[test]
fn windows_are_fixed_and_start_again_at_each_reset() {
    let mut registry = limited("{limit: 2, window: 1h, firstReset: 30m, used: {10.0.0.1: 1}}");
    assert_eq!(remaining(&get(&mut registry, "10.0.0.1", 0)), "0;w=3600");
    assert_eq!(get(&mut registry, "10.0.0.1", 1799).status, 429);
    // The first window ends at 30 m, the next at 1 h 30 m.
    let after = get(&mut registry, "10.0.0.1", 1800);
    assert_eq!(after.status, 200);
    assert_eq!(remaining(&after), "1;w=3600");
    assert_eq!(get(&mut registry, "10.0.0.1", 5399).status, 200);
    assert_eq!(get(&mut registry, "10.0.0.1", 5399).status, 429);
    assert_eq!(remaining(&get(&mut registry, "10.0.0.1", 5400)), "1;w=3600");
}

#[test]
fn the_classic_text_and_a_request_without_an_address_counts_its_client() {
    let mut registry = limited("{limit: 0, message: classic}");
    let request = Request::new(Method::Get, "/v2/demo/hello/manifests/v1", "198.51.100.7");
    let over = registry.handle(&request, SimTime::EPOCH);
    assert_eq!(over.status, 429);
    assert_eq!(
        over.headers.get("docker-ratelimit-source"),
        Some("198.51.100.7")
    );
    assert_eq!(message(&over), CLASSIC_MESSAGE);
    assert_eq!(
        CLASSIC_MESSAGE,
        "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit"
    );
}

#[test]
fn a_limited_registry_answers_shared_manifest_requests_afresh() {
    let mut registry = limited("{limit: 2}");
    registry.set_request_log(false);
    let mut request = Request::new(Method::Get, "/v2/demo/hello/manifests/v1", "n");
    request.headers.append("Accept", OCI_MANIFEST);
    let statuses: Vec<u16> = (0..3)
        .map(|secs| {
            registry
                .handle_shared(&request, SimTime::from_secs(secs))
                .status
        })
        .collect();
    assert_eq!(statuses, [200, 200, 429]);
}

#[test]
fn catalogs_set_the_rule_and_name_a_bad_field() {
    let catalog = Catalog::from_yaml(
        "images: [{repository: demo/x, tag: v1}]\nrateLimit: {limit: 1, window: 10m}\n",
    )
    .unwrap();
    let mut registry = Registry::new(RegistryConfig::default());
    registry.load(&catalog, SimTime::EPOCH).unwrap();
    let rule = registry.rate_limit().unwrap();
    assert_eq!((rule.limit, rule.window), (1, Duration::from_secs(600)));
    let error = Catalog::from_yaml("rateLimit: {limt: 1}\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("limt"), "{error}");
    let error = Catalog::from_yaml("rateLimit: {per: nobody}\n")
        .unwrap_err()
        .to_string();
    assert!(error.contains("nobody"), "{error}");
}
