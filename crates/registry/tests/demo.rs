//! The built-in demo catalog, pulled through `handle` the way skopeo pulls it: every
//! image, every platform, down to the `hello.txt` inside the layer, which must name the
//! platform it was built for.

use std::io::Read;

use pullsim_model::{Digest, SimTime};
use pullsim_registry::{Method, Registry, RegistryConfig, Request, Response};

const ACCEPT: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

fn get(registry: &mut Registry, target: &str, user: Option<(&str, &str)>) -> Response {
    let mut request = Request::new(Method::Get, target, "demo-test");
    for line in ACCEPT {
        request.headers.append("Accept", line);
    }
    if let Some((name, password)) = user {
        use base64::Engine as _;
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{name}:{password}"));
        request
            .headers
            .append("Authorization", format!("Basic {encoded}"));
    }
    let response = registry.handle(&request, SimTime::EPOCH);
    assert_eq!(
        response.status,
        200,
        "{target}: {}",
        String::from_utf8_lossy(&response.body)
    );
    response
}

fn hello_txt(layer: &[u8]) -> String {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(layer)
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().display().to_string() == "hello.txt" {
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            return text;
        }
    }
    panic!("no hello.txt in the layer");
}

/// The first line of `hello.txt` of every platform of `repository:v1`.
fn first_lines(
    registry: &mut Registry,
    repository: &str,
    user: Option<(&str, &str)>,
) -> Vec<String> {
    let top = get(registry, &format!("/v2/{repository}/manifests/v1"), user);
    let parsed: serde_json::Value = serde_json::from_slice(&top.body).unwrap();
    let manifests: Vec<serde_json::Value> = match parsed["manifests"].as_array() {
        Some(children) => children
            .iter()
            .map(|child| {
                let digest = child["digest"].as_str().unwrap();
                let body = get(
                    registry,
                    &format!("/v2/{repository}/manifests/{digest}"),
                    user,
                )
                .body;
                assert_eq!(Digest::sha256_of(&body).to_string(), digest);
                serde_json::from_slice(&body).unwrap()
            })
            .collect(),
        None => vec![parsed],
    };
    manifests
        .iter()
        .map(|manifest| {
            let layer = manifest["layers"][0]["digest"].as_str().unwrap();
            let body = get(registry, &format!("/v2/{repository}/blobs/{layer}"), user).body;
            assert_eq!(Digest::sha256_of(&body).to_string(), layer);
            hello_txt(&body).lines().next().unwrap().to_owned()
        })
        .collect()
}

#[test]
fn every_demo_image_names_its_platform() {
    let mut registry = Registry::with_demo_catalog(RegistryConfig::default());
    let three = [
        "hello from linux/amd64",
        "hello from linux/arm64/v8",
        "hello from linux/arm/v7",
    ];
    assert_eq!(
        first_lines(&mut registry, "demo/hello", None),
        ["hello from linux/amd64"]
    );
    assert_eq!(first_lines(&mut registry, "demo/multi", None), three);
    assert_eq!(first_lines(&mut registry, "demo/multi-docker", None), three);
    assert_eq!(
        first_lines(&mut registry, "private/app", Some(("alice", "wonderland"))),
        ["hello from linux/amd64"]
    );
    assert_eq!(
        first_lines(&mut registry, "tenant-b/app", Some(("bob", "builder"))),
        ["hello from linux/amd64"]
    );
    let tags: Vec<String> = registry
        .tags()
        .iter()
        .map(|t| format!("{}:{} {}", t.repository, t.tag, t.media_type))
        .collect();
    assert_eq!(
        tags,
        [
            "demo/hello:v1 application/vnd.oci.image.manifest.v1+json",
            "demo/multi:v1 application/vnd.oci.image.index.v1+json",
            "demo/multi-docker:v1 application/vnd.docker.distribution.manifest.list.v2+json",
            "private/app:v1 application/vnd.oci.image.manifest.v1+json",
            "tenant-b/app:v1 application/vnd.oci.image.manifest.v1+json",
        ]
    );
}
