//! The synthetic image builder: from an [`ImageSpec`] it makes real layers, a real config
//! (with `rootfs.diff_ids`, the platform and one history entry per layer) and real
//! manifests, plus an index or manifest list when the spec names several platforms.
//!
//! Documents are written with `serde_json` in a fixed field order and no whitespace, so
//! the same spec gives the same bytes, and so the same digests, everywhere.

use bytes::Bytes;
use pullsim_model::{Digest, Platform};
use serde_json::{Map, Value, json};

use super::layer::{LAYER_MAX_BYTES, build_layer};
use crate::api::media::{
    DOCKER_CONFIG, DOCKER_LAYER_GZIP, ManifestKind, OCI_CONFIG, OCI_LAYER_GZIP,
};
use crate::api::names;
use crate::catalog::{BaseLayers, ImageFormat, ImageSpec};
use crate::error::RegistryError;

/// The `created` time of every synthetic config and history entry: the Unix epoch, as
/// reproducible builds write it.
const CREATED: &str = "1970-01-01T00:00:00Z";

/// Everything one spec produced, ready for the content store.
#[derive(Debug, Clone)]
pub(crate) struct BuiltImage {
    /// Layers and configs, by digest.
    pub(crate) blobs: Vec<(Digest, Bytes)>,
    /// Sized layers (no bytes), by digest, with their declared lengths.
    pub(crate) declared: Vec<(Digest, u64)>,
    /// Manifests (children before the index that lists them), by digest.
    pub(crate) manifests: Vec<(Digest, Bytes, ManifestKind)>,
    /// The document the tag points at.
    pub(crate) top: Digest,
    /// Its kind.
    pub(crate) top_kind: ManifestKind,
    /// Each platform and its image manifest's digest, in the spec's order.
    pub(crate) children: Vec<(Platform, Digest)>,
}

/// The text of `hello.txt` in one layer: the platform first (`hello from linux/arm64/v8`),
/// then the image, the build and the layer's position.
pub(crate) fn hello_text(spec: &ImageSpec, platform: &Platform, layer: usize) -> String {
    format!(
        "hello from {platform}\nimage: {}:{}\nbuild: {}\nlayer: {} of {}\n",
        spec.repository,
        spec.tag,
        spec.build,
        layer + 1,
        spec.layers.len()
    )
}

/// The text of `hello.txt` in a base layer: only the base, the platform and the position,
/// so every image on this base gets the same layer.
fn base_text(base: &BaseLayers, platform: &Platform, layer: usize) -> String {
    format!(
        "hello from {platform}\nbase: {}\nlayer: {} of {}\n",
        base.name,
        layer + 1,
        base.layers.len()
    )
}

/// Builds the image `spec` describes, after checking it.
pub(crate) fn build(spec: &ImageSpec) -> Result<BuiltImage, RegistryError> {
    check(spec)?;
    let (manifest_kind, config_type, layer_type) = match spec.format {
        ImageFormat::Oci => (ManifestKind::OciManifest, OCI_CONFIG, OCI_LAYER_GZIP),
        ImageFormat::Docker => (
            ManifestKind::DockerManifest,
            DOCKER_CONFIG,
            DOCKER_LAYER_GZIP,
        ),
    };
    let mut built = BuiltImage {
        blobs: Vec::new(),
        declared: Vec::new(),
        manifests: Vec::new(),
        top: Digest::sha256_of(b""),
        top_kind: manifest_kind,
        children: Vec::new(),
    };
    let mut descriptors = Vec::new();
    for platform in &spec.platforms {
        let mut layer_descriptors = Vec::new();
        let mut diff_ids = Vec::new();
        let mut history = Vec::new();
        let base_layers = spec.base.iter().flat_map(|base| {
            base.layers
                .iter()
                .enumerate()
                .map(|(index, size)| (base_text(base, platform, index), *size))
        });
        let own_layers = spec
            .layers
            .iter()
            .enumerate()
            .map(|(index, size)| (hello_text(spec, platform, index), *size));
        let layer_count =
            spec.base.as_ref().map_or(0, |base| base.layers.len()) + spec.layers.len();
        for (index, (hello, size)) in base_layers.chain(own_layers).enumerate() {
            let diff_id = if spec.sized {
                let (digest, diff_id) = sized_layer_digests(&hello, size.bytes());
                layer_descriptors.push(descriptor(layer_type, &digest, size.bytes()));
                built.declared.push((digest, size.bytes()));
                diff_id
            } else {
                let layer = build_layer(&hello, size.bytes());
                layer_descriptors.push(descriptor(
                    layer_type,
                    &layer.digest,
                    layer.blob.len() as u64,
                ));
                built.blobs.push((layer.digest, layer.blob));
                layer.diff_id
            };
            diff_ids.push(Value::String(diff_id.to_string()));
            history.push(json!({
                "created": CREATED,
                "created_by": format!("pullsim build {}: layer {} of {layer_count}", spec.build, index + 1),
            }));
        }
        let mut config = Map::new();
        config.insert("created".into(), json!(CREATED));
        insert_platform(&mut config, platform);
        config.insert(
            "config".into(),
            json!({
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Labels": {
                    "dev.pullsim.image": format!("{}:{}", spec.repository, spec.tag),
                    "dev.pullsim.build": spec.build.to_string(),
                },
            }),
        );
        config.insert(
            "rootfs".into(),
            json!({"type": "layers", "diff_ids": diff_ids}),
        );
        config.insert("history".into(), Value::Array(history));
        let config_bytes = to_bytes(&Value::Object(config));
        let config_digest = Digest::sha256_of(&config_bytes);
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": manifest_kind.media_type(),
            "config": descriptor(config_type, &config_digest, config_bytes.len() as u64),
            "layers": layer_descriptors,
        });
        built.blobs.push((config_digest, config_bytes));
        let manifest_bytes = to_bytes(&manifest);
        let manifest_digest = Digest::sha256_of(&manifest_bytes);
        let mut child = descriptor(
            manifest_kind.media_type(),
            &manifest_digest,
            manifest_bytes.len() as u64,
        );
        let mut platform_json = Map::new();
        insert_platform(&mut platform_json, platform);
        if let Value::Object(fields) = &mut child {
            fields.insert("platform".into(), Value::Object(platform_json));
        }
        descriptors.push(child);
        built
            .children
            .push((platform.clone(), manifest_digest.clone()));
        built
            .manifests
            .push((manifest_digest.clone(), manifest_bytes, manifest_kind));
        built.top = manifest_digest;
    }
    if spec.platforms.len() > 1 {
        let index_kind = match spec.format {
            ImageFormat::Oci => ManifestKind::OciIndex,
            ImageFormat::Docker => ManifestKind::DockerManifestList,
        };
        let index = json!({
            "schemaVersion": 2,
            "mediaType": index_kind.media_type(),
            "manifests": descriptors,
        });
        let index_bytes = to_bytes(&index);
        let index_digest = Digest::sha256_of(&index_bytes);
        built
            .manifests
            .push((index_digest.clone(), index_bytes, index_kind));
        built.top = index_digest;
        built.top_kind = index_kind;
    }
    Ok(built)
}

/// Refuses specs that would make an invalid or ambiguous image.
pub(crate) fn check(spec: &ImageSpec) -> Result<(), RegistryError> {
    names::check_repository(&spec.repository)?;
    names::check_tag(&spec.tag)?;
    if spec.platforms.is_empty() {
        return Err(RegistryError::NoPlatforms);
    }
    if spec.layers.is_empty() {
        return Err(RegistryError::NoLayers);
    }
    if let Some(base) = &spec.base
        && let Some(size) = base
            .layers
            .iter()
            .find(|size| !spec.sized && size.bytes() > LAYER_MAX_BYTES)
    {
        return Err(RegistryError::LayerTooLarge(size.bytes()));
    }
    for (index, platform) in spec.platforms.iter().enumerate() {
        if platform.os.is_empty() || platform.architecture.is_empty() {
            return Err(RegistryError::IncompletePlatform(platform.to_string()));
        }
        let normalized = platform.normalize();
        if spec.platforms[..index]
            .iter()
            .any(|earlier| earlier.normalize() == normalized)
        {
            return Err(RegistryError::DuplicatePlatform(platform.to_string()));
        }
    }
    // Sized layers hold no bytes, so only materialised ones are limited.
    if let Some(size) = spec
        .layers
        .iter()
        .find(|size| !spec.sized && size.bytes() > LAYER_MAX_BYTES)
    {
        return Err(RegistryError::LayerTooLarge(size.bytes()));
    }
    Ok(())
}

/// The digest and `diff_id` of a sized layer: hashes of its description (the text its
/// `hello.txt` would hold and its size), so the same spec always declares the same layer
/// and different images, builds or platforms never share one by accident. The prefixes
/// keep them apart from any real layer, whose digest is a hash of gzip bytes.
fn sized_layer_digests(hello: &str, size_bytes: u64) -> (Digest, Digest) {
    let digest =
        Digest::sha256_of(format!("pullsim sized layer\n{size_bytes}\n{hello}").as_bytes());
    let diff_id =
        Digest::sha256_of(format!("pullsim sized diff_id\n{size_bytes}\n{hello}").as_bytes());
    (digest, diff_id)
}

/// An OCI descriptor: media type, digest, size, in that order.
fn descriptor(media_type: &str, digest: &Digest, size: u64) -> Value {
    json!({"mediaType": media_type, "digest": digest.to_string(), "size": size})
}

/// Adds `architecture`, `os` and (when present) `variant`, as OCI configs and index
/// platforms spell them.
fn insert_platform(fields: &mut Map<String, Value>, platform: &Platform) {
    fields.insert("architecture".into(), json!(platform.architecture));
    fields.insert("os".into(), json!(platform.os));
    if !platform.variant.is_empty() {
        fields.insert("variant".into(), json!(platform.variant));
    }
}

/// Compact JSON bytes of `value`.
fn to_bytes(value: &Value) -> Bytes {
    Bytes::from(value.to_string().into_bytes())
}
