//! The push side as a table: uploads (monolithic, chunked, mount), their checks, and
//! manifest `PUT` with distribution's validation; a pushed image pulls back identical.

mod common;

use common::{check, header, req};
use pullsim_model::{Digest, DigestAlgorithm, SimTime};
use pullsim_registry::{Method, Registry, RegistryConfig, Request};
use serde_json::json;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn demo() -> Registry {
    Registry::with_demo_catalog(RegistryConfig::default())
}

fn sha(bytes: &[u8]) -> String {
    Digest::sha256_of(bytes).to_string()
}

#[test]
fn uploads_monolithic_chunked_and_mounted() {
    let mut registry = demo();
    let layer = b"pretend this is a layer".to_vec();
    let digest = sha(&layer);
    let started = check(
        &mut registry,
        vec![
            req(
                "POST",
                format!("/v2/pushed/app/blobs/uploads/?digest={digest}"),
            )
            .body(layer.clone())
            .expect(201)
            .has("Location", format!("/v2/pushed/app/blobs/{digest}"))
            .has("Docker-Content-Digest", digest.clone()),
            req("HEAD", format!("/v2/pushed/app/blobs/{digest}"))
                .expect(200)
                .has("Content-Length", layer.len().to_string()),
            req(
                "POST",
                format!(
                    "/v2/pushed/app/blobs/uploads/?digest=sha256:{}",
                    "0".repeat(64)
                ),
            )
            .body(layer.clone())
            .expect(400)
            .code("DIGEST_INVALID"),
            req("POST", "/v2/pushed/app/blobs/uploads/?digest=nonsense")
                .expect(400)
                .code("DIGEST_INVALID"),
            req("POST", "/v2/chunked/app/blobs/uploads/")
                .expect(202)
                .has("Range", "0-0")
                .has("Docker-Upload-UUID", "70756c6c-0000-4000-8000-000000000001")
                .has(
                    "Location",
                    "/v2/chunked/app/blobs/uploads/70756c6c-0000-4000-8000-000000000001",
                ),
        ],
    );
    let location = header(&started[4], "Location");
    let (first, rest) = layer.split_at(10);
    check(
        &mut registry,
        vec![
            req("PATCH", location.clone())
                .header("Content-Range", "0-9")
                .body(first.to_vec())
                .expect(202)
                .has("Range", "0-9"),
            req("PATCH", location.clone())
                .header("Content-Range", "12-20")
                .body(rest[..9].to_vec())
                .expect(416)
                .code("RANGE_INVALID"),
            req("GET", location.clone()).expect(204).has("Range", "0-9"),
            req("PATCH", location.clone())
                .body(rest.to_vec())
                .expect(202),
            req("PUT", location.clone())
                .expect(400)
                .code("DIGEST_INVALID"),
            req("PUT", format!("{location}?digest={digest}"))
                .expect(201)
                .has("Docker-Content-Digest", digest.clone()),
            req("GET", location.clone())
                .expect(404)
                .code("BLOB_UPLOAD_UNKNOWN"),
            req("GET", format!("/v2/chunked/app/blobs/{digest}")).expect(200),
            req(
                "POST",
                format!("/v2/mounted/app/blobs/uploads/?mount={digest}&from=chunked/app"),
            )
            .expect(201)
            .has("Location", format!("/v2/mounted/app/blobs/{digest}")),
            req(
                "POST",
                format!("/v2/private/app/blobs/uploads/?mount={digest}&from=chunked/app"),
            )
            .expect(401)
            .code("UNAUTHORIZED"),
            req(
                "POST",
                format!("/v2/mounted/two/blobs/uploads/?mount={digest}&from=private/app"),
            )
            .expect(202),
            req(
                "DELETE",
                "/v2/mounted/two/blobs/uploads/70756c6c-0000-4000-8000-000000000002",
            )
            .expect(204),
            req(
                "DELETE",
                "/v2/mounted/two/blobs/uploads/70756c6c-0000-4000-8000-000000000002",
            )
            .expect(404)
            .code("BLOB_UPLOAD_UNKNOWN"),
            req(
                "GET",
                "/v2/other/repo/blobs/uploads/70756c6c-0000-4000-8000-000000000001",
            )
            .expect(404)
            .code("BLOB_UPLOAD_UNKNOWN"),
        ],
    );
    let sha512 = Digest::of_bytes(DigestAlgorithm::Sha512, b"five").to_string();
    check(
        &mut registry,
        vec![
            req(
                "POST",
                format!("/v2/pushed/app/blobs/uploads/?digest={sha512}"),
            )
            .body(b"five".to_vec())
            .expect(201),
            req("GET", format!("/v2/pushed/app/blobs/{sha512}"))
                .expect(200)
                .has("Docker-Content-Digest", sha512.clone()),
        ],
    );
}

#[test]
fn manifests_are_validated_and_pull_back_identical() {
    let mut registry = demo();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#
            .to_vec();
    let layer = b"layer bytes".to_vec();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&layer), "size": layer.len()}],
    })
    .to_string();
    let manifest_digest = sha(manifest.as_bytes());
    let put = |target: &str| req("PUT", target.to_owned()).header("Content-Type", OCI_MANIFEST);
    check(
        &mut registry,
        vec![
            put("/v2/pushed/img/manifests/v1")
                .body(manifest.clone())
                .expect(400)
                .code("MANIFEST_BLOB_UNKNOWN")
                .contains(sha(&config)),
            req(
                "POST",
                format!("/v2/pushed/img/blobs/uploads/?digest={}", sha(&config)),
            )
            .body(config.clone())
            .expect(201),
            req(
                "POST",
                format!("/v2/pushed/img/blobs/uploads/?digest={}", sha(&layer)),
            )
            .body(layer.clone())
            .expect(201),
            req("PUT", "/v2/pushed/img/manifests/v1")
                .header("Content-Type", "application/json")
                .body(manifest.clone())
                .expect(400)
                .code("MANIFEST_INVALID"),
            put("/v2/pushed/img/manifests/v1")
                .body("{not json")
                .expect(400)
                .code("MANIFEST_INVALID"),
            req("PUT", "/v2/pushed/img/manifests/v1")
                .header(
                    "Content-Type",
                    "application/vnd.docker.distribution.manifest.v2+json",
                )
                .body(manifest.clone())
                .expect(400)
                .code("MANIFEST_INVALID")
                .contains("mediaType in manifest should be"),
            put(&format!(
                "/v2/pushed/img/manifests/sha256:{}",
                "1".repeat(64)
            ))
            .body(manifest.clone())
            .expect(400)
            .code("DIGEST_INVALID"),
            put("/v2/pushed/img/manifests/v1")
                .body(vec![b' '; (4 << 20) + 1])
                .expect(400)
                .code("MANIFEST_INVALID"),
            put("/v2/private/app/manifests/v2")
                .body(manifest.clone())
                .expect(401),
            put("/v2/pushed/img/manifests/v1")
                .body(manifest.clone())
                .expect(201)
                .has("Docker-Content-Digest", manifest_digest.clone())
                .has(
                    "Location",
                    format!("/v2/pushed/img/manifests/{manifest_digest}"),
                ),
            put(&format!("/v2/pushed/img/manifests/{manifest_digest}"))
                .body(manifest.clone())
                .expect(201),
            req("GET", "/v2/pushed/img/manifests/v1")
                .accept_all()
                .expect(200)
                .has("Docker-Content-Digest", manifest_digest.clone())
                .has("Content-Type", OCI_MANIFEST)
                .contains(&manifest),
            req("GET", "/v2/pushed/img/tags/list")
                .expect(200)
                .contains(r#""tags":["v1"]"#),
        ],
    );
    let index = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": manifest.len(), "platform": {"architecture": "amd64", "os": "linux"}}],
    })
    .to_string();
    check(
        &mut registry,
        vec![
            req("PUT", "/v2/other/img/manifests/multi")
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(index.clone())
                .expect(400)
                .code("MANIFEST_BLOB_UNKNOWN"),
            req("PUT", "/v2/pushed/img/manifests/multi")
                .header("Content-Type", "application/vnd.oci.image.index.v1+json")
                .body(index.clone())
                .expect(201),
        ],
    );
    let history = registry.tag_history("pushed/img", "v1").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].digest.to_string(), manifest_digest);
}

#[test]
fn a_pushed_demo_image_copies_byte_for_byte() {
    // What `skopeo copy docker://src docker://dst` does, by hand: read every document of
    // demo/multi and push it to a new repository, then compare.
    let mut registry = demo();
    let get = |registry: &mut Registry, target: String| {
        let mut request = Request::new(Method::Get, target, "t");
        for line in common::CONTAINERS_IMAGE_ACCEPT {
            request.headers.append("Accept", line);
        }
        let response = registry.handle(&request, SimTime::EPOCH);
        assert_eq!(response.status, 200);
        response
    };
    let index = get(&mut registry, "/v2/demo/multi/manifests/v1".into());
    let parsed: serde_json::Value = serde_json::from_slice(&index.body).unwrap();
    for child in parsed["manifests"].as_array().unwrap() {
        let digest = child["digest"].as_str().unwrap();
        let manifest = get(&mut registry, format!("/v2/demo/multi/manifests/{digest}"));
        let doc: serde_json::Value = serde_json::from_slice(&manifest.body).unwrap();
        let mut blobs = vec![doc["config"]["digest"].as_str().unwrap().to_owned()];
        blobs.extend(
            doc["layers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| l["digest"].as_str().unwrap().to_owned()),
        );
        for blob in blobs {
            let bytes = get(&mut registry, format!("/v2/demo/multi/blobs/{blob}")).body;
            let mut push = Request::new(
                Method::Post,
                format!("/v2/copy/multi/blobs/uploads/?digest={blob}"),
                "t",
            );
            push.body = bytes;
            assert_eq!(registry.handle(&push, SimTime::EPOCH).status, 201);
        }
        let mut put = Request::new(
            Method::Put,
            format!("/v2/copy/multi/manifests/{digest}"),
            "t",
        );
        put.headers
            .append("Content-Type", header(&manifest, "Content-Type"));
        put.body = manifest.body.clone();
        assert_eq!(registry.handle(&put, SimTime::EPOCH).status, 201);
    }
    let mut put = Request::new(Method::Put, "/v2/copy/multi/manifests/v1", "t");
    put.headers
        .append("Content-Type", header(&index, "Content-Type"));
    put.body = index.body.clone();
    let created = registry.handle(&put, SimTime::EPOCH);
    assert_eq!(created.status, 201);
    let copied = get(&mut registry, "/v2/copy/multi/manifests/v1".into());
    assert_eq!(copied.body, index.body);
    assert_eq!(
        header(&copied, "Docker-Content-Digest"),
        header(&index, "Docker-Content-Digest")
    );
}

/// A manifest over the 4 MiB a push may carry can still be installed from outside the
/// protocol and is then served whole; the push of the same body is refused. References
/// are checked as a push checks them.
#[test]
fn installed_manifests_skip_only_the_size_cap() {
    use pullsim_registry::{ImageSpec, ManifestKind, RegistryError};
    let mut registry = Registry::new(RegistryConfig::default());
    let loaded = registry
        .push_build(&ImageSpec::new("big/app", "v1"), SimTime::EPOCH)
        .unwrap();
    let manifest = get_manifest(
        &mut registry,
        &format!("/v2/big/app/manifests/{}", loaded.digest),
    );
    let mut parsed: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    parsed["annotations"] = json!({"dev.pullsim.padding": "x".repeat(5 << 20)});
    let body = serde_json::to_vec(&parsed).unwrap();
    assert!(body.len() > pullsim_registry::MANIFEST_MAX_BYTES);
    let digest = registry
        .install_manifest(
            "big/app",
            Some("huge"),
            ManifestKind::OciManifest,
            body.clone().into(),
            SimTime::EPOCH,
        )
        .unwrap();
    assert_eq!(digest.to_string(), sha(&body));
    let served = get_manifest(&mut registry, "/v2/big/app/manifests/huge");
    assert_eq!(served.len(), body.len());
    check(
        &mut registry,
        vec![
            req("PUT", "/v2/big/app/manifests/again")
                .header("Content-Type", OCI_MANIFEST)
                .body(body)
                .expect(400)
                .code("MANIFEST_INVALID"),
        ],
    );
    parsed["layers"][0]["digest"] = json!(format!("sha256:{}", "0".repeat(64)));
    let err = registry
        .install_manifest(
            "big/app",
            None,
            ManifestKind::OciManifest,
            serde_json::to_vec(&parsed).unwrap().into(),
            SimTime::EPOCH,
        )
        .unwrap_err();
    assert!(
        matches!(&err, RegistryError::ManifestRefused(why) if why.contains("blob unknown")),
        "{err}"
    );
}

/// A tampered manifest is served under its old digest with another build's bytes.
#[test]
fn tampered_content_keeps_its_digest_and_loses_its_bytes() {
    use pullsim_registry::ImageSpec;
    let mut registry = Registry::new(RegistryConfig::default());
    let first = registry
        .push_build(&ImageSpec::new("lying/app", "v1"), SimTime::EPOCH)
        .unwrap();
    let mut spec = ImageSpec::new("lying/app", "v2");
    spec.build = 2;
    let second = registry.push_build(&spec, SimTime::EPOCH).unwrap();
    let other = get_manifest(&mut registry, "/v2/lying/app/manifests/v2");
    registry
        .tamper(&first.digest, other.clone().into())
        .unwrap();
    let target = format!("/v2/lying/app/manifests/{}", first.digest);
    let responses = check(
        &mut registry,
        vec![
            req("GET", target)
                .header("Accept", OCI_MANIFEST)
                .expect(200)
                .has("Docker-Content-Digest", first.digest.to_string()),
        ],
    );
    assert_eq!(&responses[0].body[..], &other[..]);
    assert_eq!(sha(&responses[0].body), second.digest.to_string());
    let unknown = Digest::parse(&format!("sha256:{}", "1".repeat(64))).unwrap();
    assert!(registry.tamper(&unknown, other.into()).is_err());
}

fn get_manifest(registry: &mut Registry, target: &str) -> Vec<u8> {
    let mut request = Request::new(Method::Get, target, "t");
    request.headers.append("Accept", OCI_MANIFEST);
    let response = registry.handle(&request, SimTime::EPOCH);
    assert_eq!(response.status, 200, "{target}");
    response.body.to_vec()
}
