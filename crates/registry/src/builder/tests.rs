//! Golden digests and read-back checks of the builder: the same spec must give the same
//! bytes on every machine, and every document must be what real pullers expect.

use std::io::Read;

use oci_spec::image::{ImageConfiguration, ImageIndex, ImageManifest};
use pullsim_model::{ByteSize, Digest, Platform};

use super::build;
use crate::api::media::ManifestKind;
use crate::catalog::{Catalog, ImageFormat, ImageSpec};

fn spec(repository: &str, platforms: &[&str], format: ImageFormat, layers: &[u64]) -> ImageSpec {
    ImageSpec {
        repository: repository.to_owned(),
        tag: "v1".to_owned(),
        platforms: platforms
            .iter()
            .map(|p| Platform::parse(p).unwrap())
            .collect(),
        format,
        layers: layers.iter().map(|&size| ByteSize(size)).collect(),
        build: 1,
        sized: false,
        base: None,
    }
}

fn hello_of(layer: &[u8]) -> String {
    let mut tar = Vec::new();
    flate2::read::GzDecoder::new(layer)
        .read_to_end(&mut tar)
        .unwrap();
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut entries = archive.entries().unwrap();
    let mut first = entries.next().unwrap().unwrap();
    assert_eq!(first.path().unwrap().display().to_string(), "hello.txt");
    let mut text = String::new();
    first.read_to_string(&mut text).unwrap();
    text
}

/// Pinned digests of the demo catalog: if one changes, every user's pinned digests and
/// every snapshot change with it, so a change here must be deliberate.
#[test]
fn demo_catalog_digests_are_golden() {
    let got: Vec<(String, String)> = Catalog::demo()
        .images
        .iter()
        .map(|spec| {
            let built = build(spec).unwrap();
            (
                format!("{}:{}", spec.repository, spec.tag),
                built.top.to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = GOLDEN
        .iter()
        .map(|(name, digest)| ((*name).to_owned(), (*digest).to_owned()))
        .collect();
    assert_eq!(got, want);
}

const GOLDEN: &[(&str, &str)] = &[
    (
        "demo/hello:v1",
        "sha256:b72e8d998e6673ab0fb733a4705c028d4f78656349bf2a15289b64a894401c79",
    ),
    (
        "demo/multi:v1",
        "sha256:76690f1236d6460e95c30f020752a8336489b34a86b492cd212f4262917fc534",
    ),
    (
        "demo/multi-docker:v1",
        "sha256:898a20702da7cc355836ecd300dbcf61c4b97e1af3f0ef941f6ef08b0147e8b0",
    ),
    (
        "private/app:v1",
        "sha256:2d16e64b94e9387a9114560a82591eaf8cf79c3133ecdf7febde37541a2ad35f",
    ),
    (
        "tenant-b/app:v1",
        "sha256:225b513a3b38531e347a5ad64dc059b85360548803ca2bf5b87ac32293ed8f2b",
    ),
];

#[test]
fn oci_index_children_parse_and_name_their_platform() {
    let built = build(&spec(
        "demo/multi",
        &["linux/amd64", "linux/arm64/v8", "linux/arm/v7"],
        ImageFormat::Oci,
        &[4096, 10_000],
    ))
    .unwrap();
    assert_eq!(built.top_kind, ManifestKind::OciIndex);
    let blob = |digest: &Digest| {
        built
            .blobs
            .iter()
            .find(|(d, _)| d == digest)
            .map(|(_, bytes)| bytes.clone())
            .unwrap()
    };
    let (_, index_bytes, _) = built.manifests.last().unwrap();
    assert_eq!(&Digest::sha256_of(index_bytes), &built.top);
    let index: ImageIndex = serde_json::from_slice(index_bytes).unwrap();
    assert_eq!(index.manifests().len(), 3);
    for (child, (platform, digest)) in index.manifests().iter().zip(&built.children) {
        assert_eq!(child.digest().to_string(), digest.to_string());
        let (_, manifest_bytes, kind) = built
            .manifests
            .iter()
            .find(|(d, _, _)| d == digest)
            .unwrap();
        assert_eq!(*kind, ManifestKind::OciManifest);
        assert_eq!(child.size(), manifest_bytes.len() as u64);
        let manifest: ImageManifest = serde_json::from_slice(manifest_bytes).unwrap();
        let config_digest = Digest::parse(manifest.config().digest().as_ref()).unwrap();
        let config_bytes = blob(&config_digest);
        assert_eq!(manifest.config().size(), config_bytes.len() as u64);
        let config: ImageConfiguration = serde_json::from_slice(&config_bytes).unwrap();
        assert_eq!(config.architecture().to_string(), platform.architecture);
        assert_eq!(config.rootfs().diff_ids().len(), 2);
        for (index, layer) in manifest.layers().iter().enumerate() {
            let layer_digest = Digest::parse(layer.digest().as_ref()).unwrap();
            let bytes = blob(&layer_digest);
            assert_eq!(layer.size(), bytes.len() as u64);
            assert_eq!(bytes.len() as u64, [4096, 10_000][index]);
            let hello = hello_of(&bytes);
            assert!(
                hello.starts_with(&format!("hello from {platform}\n")),
                "{hello}"
            );
            assert!(
                hello.contains(&format!("layer: {} of 2", index + 1)),
                "{hello}"
            );
        }
    }
    assert!(
        hello_of(&blob(
            &Digest::parse(
                serde_json::from_slice::<ImageManifest>(&built.manifests[1].1)
                    .unwrap()
                    .layers()[0]
                    .digest()
                    .as_ref()
            )
            .unwrap()
        ))
        .starts_with("hello from linux/arm64/v8\n")
    );
}

#[test]
fn docker_lists_use_docker_media_types() {
    let built = build(&spec(
        "demo/d",
        &["linux/amd64", "linux/arm/v7"],
        ImageFormat::Docker,
        &[2048],
    ))
    .unwrap();
    assert_eq!(built.top_kind, ManifestKind::DockerManifestList);
    let (_, list, _) = built.manifests.last().unwrap();
    let text = std::str::from_utf8(list).unwrap();
    assert!(
        text.contains("application/vnd.docker.distribution.manifest.list.v2+json"),
        "{text}"
    );
    assert!(
        text.contains(r#""platform":{"architecture":"arm","os":"linux","variant":"v7"}"#),
        "{text}"
    );
    let child = std::str::from_utf8(&built.manifests[0].1).unwrap();
    assert!(
        child.contains("application/vnd.docker.container.image.v1+json"),
        "{child}"
    );
    assert!(
        child.contains("application/vnd.docker.image.rootfs.diff.tar.gzip"),
        "{child}"
    );
    let single = build(&spec(
        "demo/one",
        &["linux/amd64"],
        ImageFormat::Docker,
        &[2048],
    ))
    .unwrap();
    assert_eq!(single.top_kind, ManifestKind::DockerManifest);
    assert_eq!(single.manifests.len(), 1);
}

#[test]
fn builds_differ_and_specs_are_checked() {
    let one = spec("demo/x", &["linux/amd64"], ImageFormat::Oci, &[4096]);
    let two = ImageSpec {
        build: 2,
        ..one.clone()
    };
    assert_ne!(build(&one).unwrap().top, build(&two).unwrap().top);
    assert_eq!(build(&one).unwrap().top, build(&one).unwrap().top);
    let bad = [
        ImageSpec {
            repository: "Bad/Name".into(),
            ..one.clone()
        },
        ImageSpec {
            tag: ".v1".into(),
            ..one.clone()
        },
        ImageSpec {
            platforms: vec![],
            ..one.clone()
        },
        ImageSpec {
            layers: vec![],
            ..one.clone()
        },
        ImageSpec {
            layers: vec![ByteSize(3 << 30)],
            ..one.clone()
        },
        spec(
            "demo/x",
            &["linux/arm64", "linux/arm64/v8"],
            ImageFormat::Oci,
            &[1],
        ),
    ];
    for spec in bad {
        assert!(build(&spec).is_err(), "{spec:?}");
    }
}
