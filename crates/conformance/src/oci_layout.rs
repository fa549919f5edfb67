//! OCI image layouts on disk, as skopeo writes them (`oci:DIR:TAG`): reading what a real
//! client pulled (the manifest digest, the unpacked `/hello.txt`, the whole store with
//! each blob's bytes checked), and writing a small image of the caller's own for skopeo to
//! push.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use flate2::read::GzDecoder;
use pullsim_model::Digest;
use serde_json::{Value, json};

use crate::puller::Stored;

/// Reads a blob of the layout by digest, checking that its bytes match the digest.
///
/// # Errors
///
/// When the blob is missing or does not match.
pub fn blob(layout: &Path, digest: &str) -> anyhow::Result<Vec<u8>> {
    let parsed = Digest::parse(digest).map_err(|err| anyhow::anyhow!("{digest}: {err}"))?;
    let path = layout
        .join("blobs")
        .join(parsed.algorithm().as_str())
        .join(parsed.encoded());
    let bytes = std::fs::read(&path).with_context(|| format!("read {}", path.display()))?;
    let actual = Digest::sha256_of(&bytes);
    if parsed.algorithm().as_str() == "sha256" && actual.to_string() != digest {
        bail!("blob {digest} in {} holds {actual}", layout.display());
    }
    Ok(bytes)
}

/// The digest of the manifest `index.json` lists under `tag`.
///
/// # Errors
///
/// When the layout has no such tag.
pub fn manifest_digest(layout: &Path, tag: &str) -> anyhow::Result<String> {
    let index = json_file(&layout.join("index.json"))?;
    let manifests = index["manifests"]
        .as_array()
        .context("index.json: no manifests")?;
    manifests
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .or_else(|| (manifests.len() == 1).then(|| &manifests[0]))
        .and_then(|m| m["digest"].as_str())
        .map(str::to_owned)
        .with_context(|| format!("{}: no manifest tagged {tag}", layout.display()))
}

/// The text of `/hello.txt` in the image tagged `tag`, read by unpacking its layers in
/// order (a later layer's file wins, as in an unpacked root filesystem).
///
/// # Errors
///
/// When a blob is missing or a layer is not valid tar+gzip or holds no `/hello.txt`.
pub fn hello_text(layout: &Path, tag: &str) -> anyhow::Result<String> {
    let digest = manifest_digest(layout, tag)?;
    let manifest: Value = serde_json::from_slice(&blob(layout, &digest)?)?;
    let layers = manifest["layers"]
        .as_array()
        .with_context(|| format!("manifest {digest} has no layers: {manifest}"))?;
    let mut found = None;
    for layer in layers {
        let layer_digest = layer["digest"].as_str().context("layer without digest")?;
        let gzipped = blob(layout, layer_digest)?;
        if let Some(text) = file_in_layer(&gzipped, "hello.txt")? {
            found = Some(text);
        }
    }
    found.with_context(|| format!("no /hello.txt in the layers of {digest}"))
}

/// The text of `name` (at the root of the layer) in a tar+gzip layer, if it is there.
///
/// # Errors
///
/// When the layer is not valid tar+gzip.
pub fn file_in_layer(gzipped: &[u8], name: &str) -> anyhow::Result<Option<String>> {
    let mut archive = tar::Archive::new(GzDecoder::new(gzipped));
    for entry in archive.entries().context("layer is not tar+gzip")? {
        let mut entry = entry.context("layer entry")?;
        let path = entry.path()?.to_string_lossy().into_owned();
        if path.trim_start_matches("./").trim_start_matches('/') == name {
            let mut text = String::new();
            entry.read_to_string(&mut text)?;
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// Writes an OCI layout at `layout` holding one linux/amd64 image tagged `tag`, whose one
/// layer holds `/hello.txt` with `text`; returns the manifest's digest. The image is the
/// caller's own (not from the registry), so pushing it really uploads every blob.
///
/// # Errors
///
/// When the files cannot be written.
pub fn write_image(layout: &Path, tag: &str, text: &str) -> anyhow::Result<String> {
    let mut tar_bytes = Vec::new();
    {
        let mut builder = tar::Builder::new(&mut tar_bytes);
        let mut header = tar::Header::new_gnu();
        header.set_size(text.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        builder.append_data(&mut header, "hello.txt", text.as_bytes())?;
        builder.finish()?;
    }
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    std::io::Write::write_all(&mut gzip, &tar_bytes)?;
    let layer = gzip.finish()?;
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {},
        "rootfs": {"type": "layers", "diff_ids": [Digest::sha256_of(&tar_bytes).to_string()]},
    }))?;
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": descriptor("application/vnd.oci.image.config.v1+json", &config),
        "layers": [descriptor("application/vnd.oci.image.layer.v1.tar+gzip", &layer)],
    }))?;
    let manifest_digest = Digest::sha256_of(&manifest).to_string();
    let blobs = layout.join("blobs").join("sha256");
    std::fs::create_dir_all(&blobs)?;
    for bytes in [&layer, &config, &manifest] {
        std::fs::write(blobs.join(Digest::sha256_of(bytes).encoded()), bytes)?;
    }
    let mut index_descriptor = descriptor("application/vnd.oci.image.manifest.v1+json", &manifest);
    index_descriptor["annotations"] = json!({"org.opencontainers.image.ref.name": tag});
    let index = json!({"schemaVersion": 2, "manifests": [index_descriptor]});
    std::fs::write(layout.join("index.json"), serde_json::to_vec(&index)?)?;
    std::fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    Ok(manifest_digest)
}

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({
        "mediaType": media_type,
        "digest": Digest::sha256_of(bytes).to_string(),
        "size": bytes.len(),
    })
}

fn json_file(path: &Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("read {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("parse {}", path.display()))
}

/// What an OCI layout holds, as a puller's store: the manifests `index.json` lists under
/// one of `names` (its `org.opencontainers.image.ref.name`; with `last_if_unnamed`, the
/// last entry when none matches), and every blob with the sha256 of its bytes. A missing
/// layout holds nothing.
///
/// # Errors
///
/// When `index.json` exists but cannot be read, or a blob cannot be read.
pub fn stored(layout: &Path, names: &[&str], last_if_unnamed: bool) -> anyhow::Result<Stored> {
    let mut stored = Stored {
        content_known: true,
        ..Stored::default()
    };
    let index_path = layout.join("index.json");
    if index_path.exists() {
        let index = json_file(&index_path)?;
        let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
        let digest_of =
            |entry: &Value| entry["digest"].as_str().and_then(|d| Digest::parse(d).ok());
        let named: Vec<Digest> = manifests
            .iter()
            .filter(|entry| {
                entry["annotations"]["org.opencontainers.image.ref.name"]
                    .as_str()
                    .is_some_and(|name| names.contains(&name))
            })
            .filter_map(digest_of)
            .collect();
        stored.images = if named.is_empty() && last_if_unnamed {
            manifests.last().and_then(digest_of).into_iter().collect()
        } else {
            named
        };
        for image in &stored.images {
            if let Some(references) = references(layout, image) {
                stored.references.insert(image.clone(), references);
            }
        }
    }
    let blobs = layout.join("blobs");
    let Ok(algorithms) = std::fs::read_dir(&blobs) else {
        return Ok(stored);
    };
    for algorithm in algorithms.flatten() {
        let algorithm_name = algorithm.file_name().to_string_lossy().into_owned();
        let Ok(files) = std::fs::read_dir(algorithm.path()) else {
            continue;
        };
        for file in files.flatten() {
            let name = format!("{algorithm_name}:{}", file.file_name().to_string_lossy());
            let Ok(digest) = Digest::parse(&name) else {
                continue;
            };
            let actual = if algorithm_name == "sha256" {
                let bytes = std::fs::read(file.path())
                    .with_context(|| format!("read {}", file.path().display()))?;
                Some(Digest::sha256_of(&bytes))
            } else {
                None
            };
            stored.content.insert(digest, actual);
        }
    }
    Ok(stored)
}

/// The config and layer digests an image manifest in the layout references, when the
/// manifest is there and is one.
fn references(layout: &Path, manifest: &Digest) -> Option<Vec<Digest>> {
    let path = layout
        .join("blobs")
        .join(manifest.algorithm().as_str())
        .join(manifest.encoded());
    let document: Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    std::iter::once(&document["config"])
        .chain(document["layers"].as_array()?)
        .map(|descriptor| Digest::parse(descriptor["digest"].as_str()?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_layout_reads_back_with_checked_blobs() {
        let folder = tempfile::tempdir().unwrap();
        let layout = folder.path().join("layout");
        let digest = write_image(&layout, "pull-1", "hello\n").unwrap();
        let stored = stored(&layout, &["pull-1"], false).unwrap();
        assert_eq!(stored.images, vec![Digest::parse(&digest).unwrap()]);
        assert_eq!(stored.content.len(), 3);
        assert!(stored.mismatched().is_empty());
        assert_eq!(stored.references[&stored.images[0]].len(), 2);
        assert!(
            super::stored(&layout, &["other"], false)
                .unwrap()
                .images
                .is_empty()
        );
        assert_eq!(
            super::stored(&layout, &["other"], true)
                .unwrap()
                .images
                .len(),
            1
        );
        let name = Digest::parse(&digest).unwrap();
        std::fs::write(layout.join("blobs/sha256").join(name.encoded()), b"lies").unwrap();
        let stored = super::stored(&layout, &["pull-1"], false).unwrap();
        assert_eq!(stored.mismatched().len(), 1);
        let empty = super::stored(&folder.path().join("none"), &[], true).unwrap();
        assert!(empty.images.is_empty() && empty.content.is_empty());
        assert_eq!(hello_text(&layout, "pull-1").ok(), None);
    }
}
