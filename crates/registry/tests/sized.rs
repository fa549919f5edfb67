//! Sized images: layers with a declared length and a digest derived from their
//! description, but no bytes. The registry serves their manifests and configs as usual and
//! answers a layer GET with the declared length, an empty body and a [`DeclaredBody`]
//! for the in-process caller; nothing is materialised, so a 100 GiB image builds at once.

use bytes::Bytes;
use pullsim_model::{ByteSize, Digest, SimTime};
use pullsim_registry::{
    DeclaredBody, FaultMatch, FaultRule, ImageSpec, Method, Registry, RegistryConfig, Request,
    Verdict,
};

fn sized(repository: &str, layers: &[u64]) -> ImageSpec {
    ImageSpec {
        sized: true,
        layers: layers.iter().map(|&size| ByteSize(size)).collect(),
        ..ImageSpec::new(repository, "v1")
    }
}

/// The digests a manifest lists, config first.
fn digests_of(manifest: &Bytes) -> Vec<String> {
    let text = String::from_utf8_lossy(manifest).into_owned();
    text.split("\"digest\":\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
        .collect()
}

fn get(registry: &mut Registry, target: &str) -> pullsim_registry::Response {
    registry.handle(&Request::new(Method::Get, target, "node-1"), SimTime::EPOCH)
}

#[test]
fn layers_are_declared_not_built() {
    let mut registry = Registry::new(RegistryConfig::default());
    let huge = 100u64 << 30;
    let loaded = registry
        .push_build(&sized("big/app", &[huge, 512]), SimTime::EPOCH)
        .unwrap();
    let (digest, manifest) = registry.stored_manifest("big/app", "v1").unwrap();
    assert_eq!(digest, loaded.digest);
    let digests = digests_of(&manifest);
    assert_eq!(digests.len(), 3, "config and two layers");
    assert!(String::from_utf8_lossy(&manifest).contains(&format!("\"size\":{huge}")));

    let layer = get(&mut registry, &format!("/v2/big/app/blobs/{}", digests[1]));
    assert_eq!(layer.status, 200);
    assert!(layer.body.is_empty());
    assert_eq!(
        layer.headers.get("content-length"),
        Some(huge.to_string().as_str())
    );
    assert_eq!(
        layer.headers.get("docker-content-digest"),
        Some(digests[1].as_str())
    );
    assert_eq!(
        layer.delivery.declared_body,
        Some(DeclaredBody {
            size_bytes: huge,
            corrupted: false
        })
    );
    let log = registry.log_since(0);
    assert_eq!(log.last().map(|entry| entry.body_bytes), Some(huge));

    let mut range = Request::new(
        Method::Get,
        format!("/v2/big/app/blobs/{}", digests[1]),
        "n",
    );
    range.headers.append("Range", "bytes=10-19");
    let ranged = registry.handle(&range, SimTime::EPOCH);
    assert_eq!(ranged.status, 206);
    assert_eq!(
        ranged.delivery.declared_body.map(|d| d.size_bytes),
        Some(10)
    );

    let head = registry.handle(
        &Request::new(
            Method::Head,
            format!("/v2/big/app/blobs/{}", digests[1]),
            "n",
        ),
        SimTime::EPOCH,
    );
    assert_eq!(head.status, 200);
    assert_eq!(head.delivery.declared_body, None);
    assert_eq!(
        head.headers.get("content-length"),
        Some(huge.to_string().as_str())
    );

    // The config is real JSON, served with its bytes.
    let config = get(&mut registry, &format!("/v2/big/app/blobs/{}", digests[0]));
    assert_eq!(config.status, 200);
    assert!(!config.body.is_empty());
    assert_eq!(config.delivery.declared_body, None);
    assert_eq!(Digest::sha256_of(&config.body).to_string(), digests[0]);
}

#[test]
fn sized_digests_are_deterministic_and_distinct() {
    let build = |spec: &ImageSpec| {
        let mut registry = Registry::new(RegistryConfig::default());
        registry.push_build(spec, SimTime::EPOCH).unwrap();
        let (_, manifest) = registry.stored_manifest(&spec.repository, "v1").unwrap();
        digests_of(&manifest)
    };
    let one = sized("a/app", &[1 << 20]);
    assert_eq!(build(&one), build(&one));
    let other_build = ImageSpec {
        build: 2,
        ..one.clone()
    };
    assert_ne!(build(&one)[1], build(&other_build)[1]);
    let other_size = sized("a/app", &[2 << 20]);
    assert_ne!(build(&one)[1], build(&other_size)[1]);
    let real = ImageSpec {
        sized: false,
        ..one.clone()
    };
    assert_ne!(build(&one)[1], build(&real)[1]);
}

#[test]
fn corrupting_fault_marks_a_declared_body() {
    let mut registry = Registry::new(RegistryConfig::default());
    registry
        .push_build(&sized("c/app", &[4096]), SimTime::EPOCH)
        .unwrap();
    let (_, manifest) = registry.stored_manifest("c/app", "v1").unwrap();
    let layer = digests_of(&manifest)[1].clone();
    registry.add_fault(FaultRule::new(
        FaultMatch {
            path: Some("/v2/*/blobs/*".to_owned()),
            ..FaultMatch::default()
        },
        Verdict::Corrupt,
    ));
    let response = get(&mut registry, &format!("/v2/c/app/blobs/{layer}"));
    assert_eq!(
        response.delivery.declared_body,
        Some(DeclaredBody {
            size_bytes: 4096,
            corrupted: true
        })
    );
}

#[test]
fn stored_manifest_reads_without_the_protocol() {
    let mut registry = Registry::new(RegistryConfig::default());
    let loaded = registry
        .push_build(&ImageSpec::new("plain/app", "v1"), SimTime::EPOCH)
        .unwrap();
    registry.add_fault(FaultRule::new(
        FaultMatch::default(),
        Verdict::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let by_tag = registry.stored_manifest("plain/app", "v1");
    let by_digest = registry.stored_manifest("plain/app", &loaded.digest.to_string());
    assert_eq!(by_tag.as_ref().map(|(d, _)| d), Some(&loaded.digest));
    assert_eq!(by_tag, by_digest);
    assert_eq!(registry.stored_manifest("plain/app", "v2"), None);
    assert_eq!(registry.stored_manifest("other/app", "v1"), None);
    assert!(registry.log_since(0).is_empty(), "no request was logged");
}

#[test]
fn request_log_can_be_turned_off() {
    let mut registry = Registry::with_demo_catalog(RegistryConfig::default());
    registry.set_request_log(false);
    let response = get(&mut registry, "/v2/demo/hello/tags/list");
    assert_eq!(response.status, 200);
    assert!(registry.log_since(0).is_empty());
    registry.set_request_log(true);
    get(&mut registry, "/v2/demo/hello/tags/list");
    assert_eq!(registry.log_since(0).len(), 1);
}

#[test]
fn images_on_one_base_share_its_layers() {
    let base = pullsim_registry::BaseLayers {
        name: "debian-12".to_owned(),
        layers: vec![ByteSize(30 << 20), ByteSize(2 << 20)],
    };
    for sized in [true, false] {
        let mut registry = Registry::new(RegistryConfig::default());
        let mut layers_of = |repository: &str, build: u32| {
            let spec = ImageSpec {
                sized,
                base: Some(base.clone()),
                layers: vec![ByteSize(4096)],
                build,
                ..ImageSpec::new(repository, "v1")
            };
            registry.push_build(&spec, SimTime::EPOCH).unwrap();
            let (_, manifest) = registry.stored_manifest(repository, "v1").unwrap();
            digests_of(&manifest)
        };
        let web = layers_of("team/web", 1);
        let api = layers_of("team/api", 7);
        assert_eq!(web.len(), 4, "config, two base layers, one own layer");
        assert_eq!(web[1..3], api[1..3], "the base layers are shared");
        assert_ne!(web[3], api[3], "the own layers are not");
    }
}
