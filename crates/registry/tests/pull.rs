//! The pull side of the protocol as a table over the demo catalog: `/v2/`, manifests
//! with Accept negotiation, blobs with Range, tags list and catalog paging, auth in
//! Basic mode, and the error codes of bad input.

mod common;

use common::{check, header, req};
use pullsim_model::{Digest, DigestAlgorithm, Platform, SimTime};
use pullsim_registry::{Catalog, ImageSpec, Method, Registry, RegistryConfig, Request};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

fn demo() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn get(registry: &mut Registry, target: &str, accept: &[&str]) -> pullsim_registry::Response {
    let mut request = Request::new(Method::Get, target, "t");
    for line in accept {
        request.headers.append("Accept", *line);
    }
    registry.handle(&request, SimTime::EPOCH)
}

#[test]
fn base_and_manifests() {
    let mut registry = demo();
    let hello = registry
        .tags()
        .into_iter()
        .find(|t| t.repository == "demo/hello")
        .unwrap();
    let digest = hello.digest.to_string();
    let sha512 = {
        let body = get(
            &mut registry,
            "/v2/demo/hello/manifests/v1",
            &[OCI_MANIFEST],
        )
        .body;
        Digest::of_bytes(DigestAlgorithm::Sha512, &body).to_string()
    };
    let manifest_len = get(
        &mut registry,
        "/v2/demo/hello/manifests/v1",
        &[OCI_MANIFEST],
    )
    .body
    .len()
    .to_string();
    check(
        &mut registry,
        vec![
            req("GET", "/v2/")
                .expect(401)
                .code("UNAUTHORIZED")
                .has("WWW-Authenticate", "Basic realm=\"pullsim\"")
                .has("Docker-Distribution-API-Version", "registry/2.0"),
            req("GET", "/v2/").auth("alice", "wonderland").expect(200),
            req("GET", "/v2/")
                .auth("alice", "nope")
                .expect(401)
                .code("UNAUTHORIZED"),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(200)
                .has("Content-Type", OCI_MANIFEST)
                .has("Docker-Content-Digest", digest.clone())
                .has("Etag", format!("\"{digest}\""))
                .contains("\"schemaVersion\":2"),
            req("HEAD", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(200)
                .has("Content-Length", manifest_len.clone())
                .has("Docker-Content-Digest", digest.clone()),
            req("GET", format!("/v2/demo/hello/manifests/{digest}"))
                .header("Accept", OCI_MANIFEST)
                .expect(200)
                .has("Docker-Content-Digest", digest.clone()),
            req("GET", format!("/v2/demo/hello/manifests/{sha512}"))
                .header("Accept", OCI_MANIFEST)
                .expect(200)
                .has("Docker-Content-Digest", sha512.clone()),
            req("GET", "/v2/demo/hello/manifests/v1")
                .header(
                    "Accept",
                    "application/vnd.oci.image.manifest.v1+json; q=0.9, */*",
                )
                .expect(200),
            req("GET", "/v2/demo/hello/manifests/v1")
                .expect(404)
                .code("MANIFEST_UNKNOWN")
                .contains("OCI manifest found, but accept header does not support OCI manifests"),
            req("GET", "/v2/demo/hello/manifests/v1")
                .header("If-None-Match", format!("\"{digest}\""))
                .expect(304),
            req("GET", "/v2/demo/multi/manifests/v1")
                .accept_all()
                .expect(200)
                .has("Content-Type", OCI_INDEX),
            req("GET", "/v2/demo/multi/manifests/v1")
                .header("Accept", OCI_MANIFEST)
                .expect(404)
                .code("MANIFEST_UNKNOWN")
                .contains("OCI index found, but accept header does not support OCI indexes"),
            req("GET", "/v2/demo/multi-docker/manifests/v1")
                .header("Accept", format!("{DOCKER_LIST}, {DOCKER_MANIFEST}"))
                .expect(200)
                .has("Content-Type", DOCKER_LIST),
            req("GET", "/v2/demo/multi-docker/manifests/v1")
                .header("Accept", DOCKER_MANIFEST)
                .expect(200)
                .has("Content-Type", DOCKER_MANIFEST)
                .contains("application/vnd.docker.image.rootfs.diff.tar.gzip"),
            req("GET", "/v2/demo/multi-docker/manifests/v1")
                .header("Accept", "*/*")
                .expect(400)
                .code("MANIFEST_INVALID"),
            req("GET", "/v2/demo/hello/manifests/v9")
                .accept_all()
                .expect(404)
                .code("MANIFEST_UNKNOWN"),
            req("GET", "/v2/demo/nothing/manifests/v1")
                .accept_all()
                .expect(404)
                .code("NAME_UNKNOWN"),
            req(
                "GET",
                format!("/v2/demo/hello/manifests/sha256:{}", "0".repeat(64)),
            )
            .accept_all()
            .expect(404)
            .code("MANIFEST_UNKNOWN"),
            req("GET", "/v2/demo/hello/manifests/sha256:abc")
                .expect(400)
                .code("DIGEST_INVALID"),
            req("GET", "/v2/demo/hello/manifests/.bad")
                .expect(400)
                .code("TAG_INVALID"),
            req("GET", "/v2/Demo/Hello/manifests/v1")
                .expect(400)
                .code("NAME_INVALID"),
            req("GET", "/v2/demo/../etc/manifests/v1")
                .expect(400)
                .code("NAME_INVALID"),
            req("GET", "/v2/demo%2F..%2Fetc/manifests/v1")
                .expect(400)
                .code("NAME_INVALID"),
            req("GET", "/v2/demo/bad%zz/manifests/v1")
                .expect(400)
                .code("NAME_INVALID"),
            req("GET", "/v2/demo/hello").expect(404).code("UNSUPPORTED"),
            req("DELETE", "/v2/demo/hello/manifests/v1")
                .expect(405)
                .code("UNSUPPORTED")
                .has("Allow", "GET, HEAD, PUT"),
            req("BREW", "/v2/").expect(405).code("UNSUPPORTED"),
        ],
    );
}

#[test]
fn manifest_list_children_by_digest_and_platforms() {
    let mut registry = demo();
    let loaded = registry
        .push_build(
            &ImageSpec {
                platforms: vec![Platform::new("linux", "arm64", "v8")],
                ..ImageSpec::new("demo/armonly", "v1")
            },
            SimTime::EPOCH,
        )
        .unwrap();
    assert_eq!(loaded.children.len(), 1);
    let list = get(
        &mut registry,
        "/v2/demo/multi-docker/manifests/v1",
        &[DOCKER_LIST],
    );
    let parsed: serde_json::Value = serde_json::from_slice(&list.body).unwrap();
    let children = parsed["manifests"].as_array().unwrap();
    let platforms: Vec<String> = children
        .iter()
        .map(|c| {
            format!(
                "{}/{}",
                c["platform"]["os"].as_str().unwrap(),
                c["platform"]["architecture"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64", "linux/arm"]);
    for child in children {
        let digest = child["digest"].as_str().unwrap();
        let response = get(
            &mut registry,
            &format!("/v2/demo/multi-docker/manifests/{digest}"),
            &[],
        );
        assert_eq!(response.status, 200, "{digest}");
        assert_eq!(header(&response, "Content-Type"), DOCKER_MANIFEST);
        assert_eq!(Digest::sha256_of(&response.body).to_string(), digest);
    }
}

#[test]
fn blobs_and_ranges() {
    let mut registry = demo();
    let manifest = get(
        &mut registry,
        "/v2/demo/hello/manifests/v1",
        &[OCI_MANIFEST],
    );
    let parsed: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
    let layer = parsed["layers"][0]["digest"].as_str().unwrap().to_owned();
    let size = parsed["layers"][0]["size"].as_u64().unwrap();
    assert_eq!(size, 4096);
    let whole = get(&mut registry, &format!("/v2/demo/hello/blobs/{layer}"), &[]);
    assert_eq!(Digest::sha256_of(&whole.body).to_string(), layer);
    let blob = format!("/v2/demo/hello/blobs/{layer}");
    let responses = check(
        &mut registry,
        vec![
            req("GET", blob.clone())
                .expect(200)
                .has("Content-Length", "4096")
                .has("Content-Type", "application/octet-stream")
                .has("Docker-Content-Digest", layer.clone())
                .has("Accept-Ranges", "bytes"),
            req("HEAD", blob.clone())
                .expect(200)
                .has("Content-Length", "4096"),
            req("GET", blob.clone())
                .header("Range", "bytes=0-9")
                .expect(206)
                .has("Content-Range", "bytes 0-9/4096")
                .has("Content-Length", "10"),
            req("GET", blob.clone())
                .header("Range", "bytes=4090-")
                .expect(206)
                .has("Content-Range", "bytes 4090-4095/4096"),
            req("GET", blob.clone())
                .header("Range", "bytes=-6")
                .expect(206)
                .has("Content-Range", "bytes 4090-4095/4096"),
            req("GET", blob.clone())
                .header("Range", "bytes=4000-99999")
                .expect(206)
                .has("Content-Range", "bytes 4000-4095/4096"),
            req("GET", blob.clone())
                .header("Range", "bytes=4096-")
                .expect(416)
                .code("RANGE_INVALID")
                .has("Content-Range", "bytes */4096"),
            req("GET", blob.clone())
                .header("Range", "bytes=0-1,5-9")
                .expect(200)
                .has("Content-Length", "4096"),
            req("GET", format!("/v2/demo/multi/blobs/{layer}"))
                .expect(404)
                .code("BLOB_UNKNOWN"),
            req(
                "GET",
                format!("/v2/demo/hello/blobs/sha256:{}", "a".repeat(64)),
            )
            .expect(404)
            .code("BLOB_UNKNOWN"),
            req("GET", "/v2/demo/hello/blobs/sha256:xyz")
                .expect(400)
                .code("DIGEST_INVALID"),
            req("GET", "/v2/demo/hello/blobs/md5:abc")
                .expect(400)
                .code("DIGEST_INVALID"),
        ],
    );
    assert_eq!(&responses[2].body[..], &whole.body[..10]);
    assert_eq!(&responses[4].body[..], &whole.body[4090..]);
    assert!(responses[1].body.is_empty());
}

#[test]
fn tags_list_and_catalog_page_with_links() {
    let mut registry = Registry::new(RegistryConfig::default());
    let mut catalog = Catalog::default();
    for tag in ["a", "b", "c", "d", "e"] {
        catalog.images.push(ImageSpec::new("paged/repo", tag));
    }
    for repository in ["r1", "r2", "r3"] {
        catalog.images.push(ImageSpec::new(repository, "v1"));
    }
    registry.load(&catalog, SimTime::EPOCH).unwrap();
    check(
        &mut registry,
        vec![
            req("GET", "/v2/paged/repo/tags/list")
                .expect(200)
                .contains(r#"{"name":"paged/repo","tags":["a","b","c","d","e"]}"#),
            req("GET", "/v2/paged/repo/tags/list?n=2")
                .expect(200)
                .contains(r#""tags":["a","b"]"#)
                .has(
                    "Link",
                    "</v2/paged/repo/tags/list?last=b&n=2>; rel=\"next\"",
                ),
            req("GET", "/v2/paged/repo/tags/list?last=b&n=2")
                .expect(200)
                .contains(r#""tags":["c","d"]"#)
                .has(
                    "Link",
                    "</v2/paged/repo/tags/list?last=d&n=2>; rel=\"next\"",
                ),
            req("GET", "/v2/paged/repo/tags/list?last=d&n=2")
                .expect(200)
                .contains(r#""tags":["e"]"#),
            req("GET", "/v2/paged/repo/tags/list?n=0")
                .expect(200)
                .contains(r#""tags":[]"#),
            req("GET", "/v2/paged/repo/tags/list?n=-1")
                .expect(400)
                .code("PAGINATION_NUMBER_INVALID"),
            req("GET", "/v2/paged/repo/tags/list?n=x")
                .expect(400)
                .code("PAGINATION_NUMBER_INVALID"),
            req("GET", "/v2/nope/tags/list")
                .expect(404)
                .code("NAME_UNKNOWN"),
            req("GET", "/v2/_catalog")
                .expect(200)
                .contains(r#"{"repositories":["paged/repo","r1","r2","r3"]}"#),
            req("GET", "/v2/_catalog?n=3")
                .expect(200)
                .has("Link", "</v2/_catalog?last=r2&n=3>; rel=\"next\""),
            req("GET", "/v2/_catalog?last=r2")
                .expect(200)
                .contains(r#"{"repositories":["r3"]}"#),
        ],
    );
}

#[test]
fn basic_auth_protects_tenants() {
    let mut registry = demo();
    let private = "/v2/private/app/manifests/v1";
    let tenant_b = "/v2/tenant-b/app/manifests/v1";
    check(
        &mut registry,
        vec![
            req("GET", private)
                .accept_all()
                .expect(401)
                .code("UNAUTHORIZED")
                .has("WWW-Authenticate", "Basic realm=\"pullsim\"")
                .contains(r#""Name":"private/app""#),
            req("GET", private)
                .accept_all()
                .auth("alice", "wrong")
                .expect(401)
                .code("UNAUTHORIZED"),
            req("GET", private)
                .accept_all()
                .auth("alice", "wonderland")
                .expect(200),
            req("GET", private)
                .accept_all()
                .auth("bob", "builder")
                .expect(403)
                .code("DENIED"),
            req("GET", tenant_b)
                .accept_all()
                .auth("alice", "wonderland")
                .expect(403)
                .code("DENIED"),
            req("GET", tenant_b)
                .accept_all()
                .auth("bob", "builder")
                .expect(200),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .expect(200),
            req("GET", "/v2/demo/hello/manifests/v1")
                .accept_all()
                .auth("alice", "wrong")
                .expect(401),
            req("GET", "/v2/private/app/tags/list").expect(401),
            req("GET", "/v2/_catalog")
                .expect(200)
                .contains(r#"["demo/hello","demo/multi","demo/multi-docker"]"#),
            req("GET", "/v2/_catalog")
                .auth("alice", "wonderland")
                .expect(200)
                .contains(r#"["demo/hello","demo/multi","demo/multi-docker","private/app"]"#),
        ],
    );
    let log = registry.log_since(0);
    assert_eq!(log.len(), 11);
    assert_eq!(log[2].auth_scheme.as_deref(), Some("basic"));
    assert_eq!(log[2].auth_user.as_deref(), Some("alice"));
    assert_eq!(log[2].status, 200);
    assert!(log[2].digest.is_some());
    assert!(
        log[0]
            .accept
            .as_deref()
            .unwrap()
            .contains("application/vnd.oci.image.index.v1+json")
    );
}

/// With `blob_redirect` set, a blob that exists answers 307 to the other origin (GET and
/// HEAD, ranged or not), while unknown blobs, unauthorised callers and manifests are
/// answered as before.
#[test]
fn blob_redirects_point_at_the_other_origin() {
    let mut registry = Registry::with_demo_catalog(RegistryConfig {
        blob_redirect: Some("http://127.0.0.1:5001/".to_owned()),
        ..RegistryConfig::default()
    });
    let manifest = get(
        &mut registry,
        "/v2/demo/hello/manifests/v1",
        &[OCI_MANIFEST],
    );
    assert_eq!(manifest.status, 200);
    let parsed: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
    let layer = parsed["layers"][0]["digest"].as_str().unwrap().to_owned();
    let blob = format!("/v2/demo/hello/blobs/{layer}");
    let location = format!("http://127.0.0.1:5001{blob}");
    let responses = check(
        &mut registry,
        vec![
            req("GET", blob.clone())
                .expect(307)
                .has("Location", location.clone())
                .has("Docker-Content-Digest", layer.clone())
                .has("Content-Length", "0"),
            req("HEAD", blob.clone())
                .expect(307)
                .has("Location", location.clone()),
            req("GET", blob.clone())
                .header("Range", "bytes=0-9")
                .expect(307)
                .has("Location", location),
            req(
                "GET",
                format!("/v2/demo/hello/blobs/sha256:{}", "a".repeat(64)),
            )
            .expect(404)
            .code("BLOB_UNKNOWN"),
            req("GET", format!("/v2/private/app/blobs/{layer}"))
                .expect(401)
                .code("UNAUTHORIZED"),
        ],
    );
    assert!(responses[0].body.is_empty());
}
