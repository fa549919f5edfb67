//! Invariants under random input: sequences of requests drawn from a grammar of methods,
//! paths (malformed names, traversal, bad digests, escapes), headers (floods, huge
//! values, garbage credentials) and bodies never panic and always get a well-formed
//! response: a known status, no 5xx unless a fault rule fired, a JSON error body on
//! 4xx, and `Content-Length` equal to the body for everything but `HEAD`.

use std::sync::OnceLock;

use base64::Engine as _;
use proptest::prelude::*;
use pullsim_model::SimTime;
use pullsim_registry::{Method, Registry, RegistryConfig, Request};

const STATUSES: [u16; 18] = [
    200, 201, 202, 204, 206, 304, 400, 401, 403, 404, 405, 416, 429, 500, 502, 503, 413, 409,
];

fn demo() -> Registry {
    static DEMO: OnceLock<Registry> = OnceLock::new();
    DEMO.get_or_init(|| Registry::with_demo_catalog(RegistryConfig::default()))
        .clone()
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("demo/hello".to_owned()),
        Just("demo/multi".to_owned()),
        Just("demo/multi-docker".to_owned()),
        Just("private/app".to_owned()),
        Just("tenant-b/app".to_owned()),
        Just("Bad/Name".to_owned()),
        Just("demo/../etc".to_owned()),
        Just("..".to_owned()),
        Just("a//b".to_owned()),
        Just("%2e%2e/x".to_owned()),
        Just("demo%2Fhello".to_owned()),
        Just("bad%zz".to_owned()),
        Just("x".repeat(300)),
        "[a-z0-9._/-]{0,20}",
        "\\PC{0,12}",
    ]
}

fn reference() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("v1".to_owned()),
        Just("latest".to_owned()),
        Just(format!("sha256:{}", "0".repeat(64))),
        Just(format!("sha512:{}", "f".repeat(128))),
        Just("sha256:abc".to_owned()),
        Just("md5:aaaa".to_owned()),
        "[a-zA-Z0-9:._-]{0,70}",
    ]
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/v2/".to_owned()),
        Just("/v2".to_owned()),
        Just("/".to_owned()),
        Just(String::new()),
        Just("/v2/_catalog?n=2&last=demo".to_owned()),
        (name(), reference()).prop_map(|(n, r)| format!("/v2/{n}/manifests/{r}")),
        (name(), reference()).prop_map(|(n, r)| format!("/v2/{n}/blobs/{r}")),
        name().prop_map(|n| format!("/v2/{n}/blobs/uploads/")),
        (name(), reference())
            .prop_map(|(n, r)| format!("/v2/{n}/blobs/uploads/?digest={r}&mount={r}&from={n}")),
        (name(), "[0-9a-f-]{0,40}").prop_map(|(n, id)| format!(
            "/v2/{n}/blobs/uploads/{id}?digest=sha256:{}",
            "0".repeat(64)
        )),
        (name(), "[-0-9a-z]{0,4}", "[a-z]{0,3}")
            .prop_map(|(n, count, last)| format!("/v2/{n}/tags/list?n={count}&last={last}")),
        "[a-z=&:%/?.]{0,30}".prop_map(|q| format!("/token?{q}")),
        prop_oneof![
            Just("tags"),
            Just("tags/demo/hello/v1"),
            Just("faults"),
            Just("faults/1"),
            Just("log?since=x"),
            Just("log?since=0"),
            Just("push"),
            Just("catalog"),
            Just("reset"),
            Just("nope"),
        ]
        .prop_map(|rest| format!("/_pullsim/{rest}")),
        "/[\\PC]{0,40}",
        "/v2/[a-z/.%]{0,40}",
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![
        Just(Method::Get),
        Just(Method::Head),
        Just(Method::Post),
        Just(Method::Put),
        Just(Method::Patch),
        Just(Method::Delete),
        "[A-Za-z]{1,8}".prop_map(|m| Method::parse(&m)),
    ]
}

fn header() -> impl Strategy<Value = (String, String)> {
    let basic = |user: &str, password: &str| {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        )
    };
    prop_oneof![
        "[ -~]{0,80}".prop_map(|v| ("Accept".to_owned(), v)),
        Just((
            "Accept".to_owned(),
            "application/vnd.oci.image.index.v1+json".to_owned()
        )),
        Just((
            "Accept".to_owned(),
            "application/vnd.oci.image.manifest.v1+json".to_owned()
        )),
        "[ -~]{0,30}".prop_map(|v| ("Range".to_owned(), format!("bytes={v}"))),
        "[0-9-]{0,12}".prop_map(|v| ("Content-Range".to_owned(), v)),
        "[ -~]{0,60}".prop_map(|v| ("Content-Type".to_owned(), v)),
        Just(("Authorization".to_owned(), basic("alice", "wonderland"))),
        Just(("Authorization".to_owned(), basic("alice", "nope"))),
        "[ -~]{0,40}".prop_map(|v| ("Authorization".to_owned(), v)),
        "[ -~]{0,40}".prop_map(|v| ("Authorization".to_owned(), format!("Bearer {v}"))),
        "[ -~]{0,40}".prop_map(|v| ("If-None-Match".to_owned(), v)),
        Just(("X-Huge".to_owned(), "h".repeat(100_000))),
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..200),
        Just(br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"x","digest":"sha256:abc","size":1},"layers":[]}"#.to_vec()),
        Just(br#"{"repository":"demo/new","tag":"v1","layers":["1KiB"]}"#.to_vec()),
        Just(b"{status: 503, uses: 1}".to_vec()),
        Just(b"[{delay: 1s}, {match: {method: HEAD}, corrupt: true}]".to_vec()),
        Just(b"images: [{repository: demo/y, tag: v1}]".to_vec()),
    ]
}

fn request() -> impl Strategy<Value = Request> {
    (
        method(),
        path(),
        proptest::collection::vec(header(), 0..6),
        0usize..3,
        body(),
    )
        .prop_map(|(method, target, headers, flood, body)| {
            let mut request = Request::new(method, target, "prop-client");
            for (name, value) in headers {
                request.headers.append(&name, value);
            }
            // A header flood: many repeated Accept lines.
            for _ in 0..flood * 500 {
                request.headers.append("Accept", "application/json");
            }
            request.body = body.into();
            request
        })
}

fn check_response(request: &Request, response: &pullsim_registry::Response, fault_fired: bool) {
    let label = format!("{} {:?}", request.method, request.target);
    assert!(
        STATUSES.contains(&response.status),
        "{label}: status {}",
        response.status
    );
    assert!(
        response.status < 500 || fault_fired,
        "{label}: {} without a fault rule: {}",
        response.status,
        String::from_utf8_lossy(&response.body)
    );
    if request.method == Method::Head {
        assert!(response.body.is_empty(), "{label}: HEAD with a body");
    } else if matches!(response.status, 204 | 304) {
        assert!(
            response.body.is_empty(),
            "{label}: {} with a body",
            response.status
        );
        assert_eq!(
            response.headers.get("content-length"),
            None,
            "{label}: Content-Length on {}",
            response.status
        );
    } else {
        assert_eq!(
            response.headers.get("content-length"),
            Some(response.body.len().to_string().as_str()),
            "{label}: Content-Length"
        );
    }
    if (400..500).contains(&response.status) && request.method != Method::Head {
        let body: serde_json::Value = serde_json::from_slice(&response.body)
            .unwrap_or_else(|err| panic!("{label}: 4xx body is not JSON ({err})"));
        let envelope_ok = body["errors"].as_array().is_some_and(|errors| {
            !errors.is_empty()
                && errors
                    .iter()
                    .all(|e| e["code"].is_string() && e["message"].is_string())
        });
        assert!(
            envelope_ok || body["error"].is_string(),
            "{label}: 4xx without an error envelope: {body}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, ..ProptestConfig::default() })]

    #[test]
    fn random_request_sequences_get_well_formed_answers(
        requests in proptest::collection::vec(request(), 1..12)
    ) {
        let mut registry = demo();
        for (step, request) in requests.iter().enumerate() {
            let before = registry.log_next_index();
            let response = registry.handle(request, SimTime::from_secs(step as u64));
            let fault_fired = registry
                .log_since(before)
                .first()
                .is_some_and(|entry| entry.fault.is_some());
            check_response(request, &response, fault_fired);
        }
    }
}
