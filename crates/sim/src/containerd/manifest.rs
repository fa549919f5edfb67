//! The documents containerd reads while pulling, as the simulation needs them: an index
//! (or Docker manifest list) with its children's platforms, or an image manifest with
//! its config and layers. Parsed once per digest and shared, since a digest names the
//! same bytes forever.

use pullsim_model::{Digest, Platform};
use serde::Deserialize;

use crate::trace::DigestId;

/// A parsed manifest, with digests interned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Manifest {
    /// An OCI index or Docker manifest list.
    Index {
        /// Each child: its platform (when the index gives one), digest and size.
        children: Vec<(Option<Platform>, DigestId, u64)>,
    },
    /// An image manifest.
    Image {
        /// The config blob.
        config: (DigestId, u64),
        /// The layers, bottom first.
        layers: Vec<(DigestId, u64)>,
    },
}

#[derive(Debug, Deserialize)]
struct Document {
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
}

#[derive(Debug, Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<DescriptorPlatform>,
}

#[derive(Debug, Deserialize)]
struct DescriptorPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

/// Why a manifest could not be read; containerd would fail the pull with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("failed to unmarshal manifest: {0}")]
    Json(String),
    /// A descriptor's digest is invalid.
    #[error("invalid digest {0:?}")]
    Digest(String),
    /// Neither `manifests` nor `config`.
    #[error("unknown manifest type")]
    Unknown,
}

impl Manifest {
    /// Parses manifest bytes, interning every digest with `intern`.
    pub(crate) fn parse(
        bytes: &[u8],
        mut intern: impl FnMut(Digest) -> DigestId,
    ) -> Result<Manifest, ManifestError> {
        let document: Document =
            serde_json::from_slice(bytes).map_err(|err| ManifestError::Json(err.to_string()))?;
        let mut digest_of = |descriptor: &Descriptor| {
            Digest::parse(&descriptor.digest)
                .map(&mut intern)
                .map_err(|_| ManifestError::Digest(descriptor.digest.clone()))
        };
        if let Some(children) = &document.manifests {
            let mut out = Vec::with_capacity(children.len());
            for child in children {
                let platform = child.platform.as_ref().map(|p| {
                    Platform::new(
                        p.os.clone(),
                        p.architecture.clone(),
                        p.variant.clone().unwrap_or_default(),
                    )
                });
                out.push((platform, digest_of(child)?, child.size));
            }
            return Ok(Manifest::Index { children: out });
        }
        let Some(config) = &document.config else {
            return Err(ManifestError::Unknown);
        };
        let config = (digest_of(config)?, config.size);
        let mut layers = Vec::new();
        for layer in document.layers.iter().flatten() {
            layers.push((digest_of(layer)?, layer.size));
        }
        Ok(Manifest::Image { config, layers })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_indexes_and_manifests() {
        let mut table: Vec<Digest> = Vec::new();
        let mut intern = |digest: Digest| {
            let id = DigestId(table.len() as u32);
            table.push(digest);
            id
        };
        let a = Digest::sha256_of(b"a");
        let b = Digest::sha256_of(b"b");
        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"digest":"{a}","size":10,"platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}},{{"digest":"{b}","size":11}}]}}"#
        );
        let parsed = Manifest::parse(index.as_bytes(), &mut intern).unwrap();
        assert_eq!(
            parsed,
            Manifest::Index {
                children: vec![
                    (Some(Platform::new("linux", "arm", "v7")), DigestId(0), 10),
                    (None, DigestId(1), 11)
                ]
            }
        );
        let image = format!(
            r#"{{"config":{{"digest":"{a}","size":5}},"layers":[{{"digest":"{b}","size":7}}]}}"#
        );
        let parsed = Manifest::parse(image.as_bytes(), &mut intern).unwrap();
        assert_eq!(
            parsed,
            Manifest::Image {
                config: (DigestId(2), 5),
                layers: vec![(DigestId(3), 7)]
            }
        );
        assert_eq!(
            Manifest::parse(b"{}", &mut intern),
            Err(ManifestError::Unknown)
        );
        assert!(Manifest::parse(b"[", &mut intern).is_err());
    }
}
