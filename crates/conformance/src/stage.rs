//! Setting up one case's registry before the puller arrives: images (built, composed or
//! hand-made), accounts, access rules, fault rules and triggers, and the facts the judge
//! needs about each image (manifest, config, layers with their diff ids).
//!
//! A case may ask for a second origin (a CDN that blobs redirect to): it gets the same
//! content and no accounts, so a puller can fetch from it without credentials and the
//! harness can see whether it sent any.
//!
//! Facts are read through the registry's own protocol (`handle` in-process, as the client
//! `pullsim-conformance`), before the case's log cursor, so the puller's requests are the
//! only ones the judge sees.

use std::collections::BTreeMap;

use anyhow::{Context, bail};
use bytes::Bytes;
use pullsim_model::{Digest, Platform, SimTime};
use pullsim_registry::{
    AccessRule, Catalog, FaultRule, ImageSpec, ManifestKind, Method, Registry, RegistryConfig,
    Request, Trigger,
};
use serde_json::{Value, json};

/// The client name of the harness's own in-process requests.
const HARNESS_CLIENT: &str = "pullsim-conformance";

/// Every manifest media type, as a puller that accepts anything asks.
const ACCEPT_ALL: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// One layer of an image as the registry serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerFacts {
    /// The digest of the compressed blob.
    pub digest: Digest,
    /// Its size.
    pub size_bytes: u64,
    /// The digest of the uncompressed tar (the config's `rootfs.diff_ids` entry).
    pub diff_id: Digest,
}

/// One image manifest (one platform) and what it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageFacts {
    /// The platform its config names.
    pub platform: Platform,
    /// The tag's target when the image was loaded: this manifest, or the index listing it.
    pub top: Digest,
    /// The image manifest's digest.
    pub manifest: Digest,
    /// The config blob's digest.
    pub config: Digest,
    /// The layers, base first.
    pub layers: Vec<LayerFacts>,
}

/// What loading one image spec made: the tag's target and each platform's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The tag's target (an index or list for several platforms).
    pub top: Digest,
    /// One entry per platform, in the spec's order.
    pub images: Vec<ImageFacts>,
}

impl Loaded {
    /// The image for `platform` (compared after normalisation).
    ///
    /// # Errors
    ///
    /// When the image has no such platform.
    pub fn platform(&self, platform: &Platform) -> anyhow::Result<&ImageFacts> {
        let wanted = platform.normalize();
        self.images
            .iter()
            .find(|image| image.platform.normalize() == wanted)
            .with_context(|| format!("no image for {platform}"))
    }

    /// The first (for a single-platform spec, the only) image.
    pub fn first(&self) -> &ImageFacts {
        &self.images[0]
    }
}

/// A case's registry (and second origin) while the case sets it up.
#[derive(Debug)]
pub struct Stage {
    /// The case's repository, `<group>/<case id>`: unique per case, so no two cases ever
    /// build the same bytes (containerd shares blobs between namespaces).
    pub repository: String,
    registry: Registry,
    mirror: Option<Registry>,
    accounts: BTreeMap<String, String>,
    access: Vec<AccessRule>,
}

impl Stage {
    /// A stage for `repository` whose registry has `config`; when the config redirects
    /// blobs, a second origin is set up too, holding the same content.
    pub fn new(repository: &str, config: RegistryConfig) -> Stage {
        let with_mirror = config.blob_redirect.is_some();
        Stage {
            repository: repository.to_owned(),
            registry: Registry::new(config),
            mirror: with_mirror.then(|| Registry::new(RegistryConfig::default())),
            accounts: BTreeMap::new(),
            access: Vec::new(),
        }
    }

    /// A spec for this case's repository with the defaults (linux/amd64, OCI, one 1 KiB
    /// layer, build 1).
    pub fn spec(&self, tag: &str) -> ImageSpec {
        ImageSpec::new(self.repository.clone(), tag)
    }

    /// Builds `spec`, tags it, and reads back its facts.
    ///
    /// # Errors
    ///
    /// When the spec is refused.
    pub fn image(&mut self, spec: &ImageSpec) -> anyhow::Result<Loaded> {
        let loaded = self
            .registry
            .push_build(spec, SimTime::EPOCH)
            .map_err(|err| anyhow::anyhow!("{}:{}: {err}", spec.repository, spec.tag))?;
        if let Some(mirror) = &mut self.mirror {
            mirror
                .push_build(spec, SimTime::EPOCH)
                .map_err(|err| anyhow::anyhow!("mirror: {err}"))?;
        }
        let mut images = Vec::new();
        for (platform, digest) in &loaded.children {
            let mut facts = self.facts(&spec.repository, digest)?;
            facts.platform = platform.clone();
            facts.top = loaded.digest.clone();
            images.push(facts);
        }
        Ok(Loaded {
            top: loaded.digest,
            images,
        })
    }

    /// Makes a linux/amd64 OCI image of layers already in the repository (layers shared
    /// with other images), pushed through the protocol as a client would, and tags it.
    ///
    /// # Errors
    ///
    /// When the registry refuses the push.
    pub fn compose(&mut self, tag: &str, layers: &[LayerFacts]) -> anyhow::Result<ImageFacts> {
        let diff_ids: Vec<String> = layers.iter().map(|l| l.diff_id.to_string()).collect();
        let config = serde_json::to_vec(&json!({
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
        }))?;
        let config_digest = Digest::sha256_of(&config);
        let manifest = serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": config_digest.to_string(),
                "size": config.len(),
            },
            "layers": layers.iter().map(|layer| json!({
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer.digest.to_string(),
                "size": layer.size_bytes,
            })).collect::<Vec<_>>(),
        }))?;
        let repository = self.repository.clone();
        for registry in self.registries() {
            let mut upload = Request::new(
                Method::Post,
                format!("/v2/{repository}/blobs/uploads/?digest={config_digest}"),
                HARNESS_CLIENT,
            );
            upload.body = Bytes::from(config.clone());
            expect_status(
                registry.handle(&upload, SimTime::EPOCH).status,
                201,
                "config",
            )?;
            let mut put = Request::new(
                Method::Put,
                format!("/v2/{repository}/manifests/{tag}"),
                HARNESS_CLIENT,
            );
            put.headers
                .append("Content-Type", "application/vnd.oci.image.manifest.v1+json");
            put.body = Bytes::from(manifest.clone());
            expect_status(
                registry.handle(&put, SimTime::EPOCH).status,
                201,
                "manifest",
            )?;
        }
        let digest = Digest::sha256_of(&manifest);
        Ok(ImageFacts {
            platform: Platform::new("linux", "amd64", ""),
            top: digest.clone(),
            manifest: digest,
            config: config_digest,
            layers: layers.to_vec(),
        })
    }

    /// Re-tags `image`'s manifest, padded with an annotation to at least `size_bytes`
    /// (over the 4 MiB a push may carry, which only `install_manifest` allows).
    ///
    /// # Errors
    ///
    /// When the manifest cannot be read or is refused.
    pub fn padded(
        &mut self,
        image: &ImageFacts,
        tag: &str,
        size_bytes: usize,
    ) -> anyhow::Result<ImageFacts> {
        let body = self.read(&format!(
            "/v2/{}/manifests/{}",
            self.repository, image.manifest
        ))?;
        let mut manifest: Value = serde_json::from_slice(&body)?;
        manifest["annotations"] = json!({"dev.pullsim.padding": "p".repeat(size_bytes)});
        let padded = Bytes::from(serde_json::to_vec(&manifest)?);
        let repository = self.repository.clone();
        let mut digest = None;
        for registry in self.registries() {
            digest = Some(
                registry
                    .install_manifest(
                        &repository,
                        Some(tag),
                        ManifestKind::OciManifest,
                        padded.clone(),
                        SimTime::EPOCH,
                    )
                    .map_err(|err| anyhow::anyhow!("{err}"))?,
            );
        }
        let manifest = digest.context("no registry")?;
        Ok(ImageFacts {
            top: manifest.clone(),
            manifest,
            ..image.clone()
        })
    }

    /// Adds an account (to the main registry only: the second origin is open).
    pub fn account(&mut self, user: &str, password: &str) {
        self.accounts.insert(user.to_owned(), password.to_owned());
    }

    /// Lets only `readers` pull (and push) this case's repository.
    pub fn protect(&mut self, readers: &[&str]) {
        let names: Vec<String> = readers.iter().map(|name| (*name).to_owned()).collect();
        self.access.push(AccessRule {
            repository: self.repository.clone(),
            read: names.clone(),
            write: names,
        });
    }

    /// Installs a fault rule on the main registry.
    pub fn fault(&mut self, rule: FaultRule) {
        self.registry.add_fault(rule);
    }

    /// Installs a trigger on the main registry.
    ///
    /// # Errors
    ///
    /// When the trigger's tag move names a manifest the repository lacks.
    pub fn trigger(&mut self, trigger: Trigger) -> anyhow::Result<()> {
        self.registry
            .add_trigger(trigger)
            .map_err(|err| anyhow::anyhow!("{err}"))
    }

    /// Serves `bytes` under `digest` on the main registry (a lying registry).
    ///
    /// # Errors
    ///
    /// When nothing is stored under `digest`.
    pub fn tamper(&mut self, digest: &Digest, bytes: Bytes) -> anyhow::Result<()> {
        self.registry
            .tamper(digest, bytes)
            .map_err(|err| anyhow::anyhow!("{err}"))
    }

    /// The bytes at `path` of the main registry (a manifest or blob), read in-process and
    /// following a redirect to the second origin.
    ///
    /// # Errors
    ///
    /// When the registry does not answer 200.
    pub fn read(&mut self, path: &str) -> anyhow::Result<Bytes> {
        let mut request = Request::new(Method::Get, path, HARNESS_CLIENT);
        for media_type in ACCEPT_ALL {
            request.headers.append("Accept", media_type);
        }
        let mut response = self.registry.handle(&request, SimTime::EPOCH);
        // With blobs redirected, the bytes are at the second origin (same path).
        if let (307, Some(mirror)) = (response.status, self.mirror.as_mut()) {
            response = mirror.handle(&request, SimTime::EPOCH);
        }
        expect_status(response.status, 200, path)?;
        Ok(response.body)
    }

    /// The finished registry and second origin, with accounts and access rules applied.
    ///
    /// # Errors
    ///
    /// When the accounts or rules are refused.
    pub fn finish(mut self) -> anyhow::Result<(Registry, Option<Registry>)> {
        if !self.accounts.is_empty() || !self.access.is_empty() {
            let catalog = Catalog {
                accounts: std::mem::take(&mut self.accounts),
                access: std::mem::take(&mut self.access),
                ..Catalog::default()
            };
            self.registry
                .load(&catalog, SimTime::EPOCH)
                .map_err(|err| anyhow::anyhow!("accounts: {err}"))?;
        }
        Ok((self.registry, self.mirror))
    }

    fn registries(&mut self) -> impl Iterator<Item = &mut Registry> {
        std::iter::once(&mut self.registry).chain(self.mirror.as_mut())
    }

    /// The config and layers of the image manifest `digest`.
    fn facts(&mut self, repository: &str, digest: &Digest) -> anyhow::Result<ImageFacts> {
        let manifest: Value =
            serde_json::from_slice(&self.read(&format!("/v2/{repository}/manifests/{digest}"))?)?;
        let config_digest = descriptor_digest(&manifest["config"])?;
        let config: Value = serde_json::from_slice(
            &self.read(&format!("/v2/{repository}/blobs/{config_digest}"))?,
        )?;
        let diff_ids = config["rootfs"]["diff_ids"]
            .as_array()
            .context("config without diff_ids")?;
        let descriptors = manifest["layers"]
            .as_array()
            .context("manifest without layers")?;
        if diff_ids.len() != descriptors.len() {
            bail!(
                "{digest}: {} layers, {} diff ids",
                descriptors.len(),
                diff_ids.len()
            );
        }
        let mut layers = Vec::new();
        for (descriptor, diff_id) in descriptors.iter().zip(diff_ids) {
            layers.push(LayerFacts {
                digest: descriptor_digest(descriptor)?,
                size_bytes: descriptor["size"].as_u64().context("layer without size")?,
                diff_id: Digest::parse(diff_id.as_str().unwrap_or_default())
                    .map_err(|err| anyhow::anyhow!("diff id: {err}"))?,
            });
        }
        Ok(ImageFacts {
            platform: Platform::new("linux", "amd64", ""),
            top: digest.clone(),
            manifest: digest.clone(),
            config: config_digest,
            layers,
        })
    }
}

fn descriptor_digest(descriptor: &Value) -> anyhow::Result<Digest> {
    let text = descriptor["digest"]
        .as_str()
        .context("descriptor without digest")?;
    Digest::parse(text).map_err(|err| anyhow::anyhow!("{text}: {err}"))
}

fn expect_status(got: u16, want: u16, what: &str) -> anyhow::Result<()> {
    if got == want {
        Ok(())
    } else {
        bail!("setting up {what}: the registry answered {got}, want {want}")
    }
}

#[cfg(test)]
mod tests {
    use pullsim_model::ByteSize;

    use super::*;

    #[test]
    fn facts_follow_the_built_images_and_compose_shares_layers() {
        let mut stage = Stage::new(
            "basics/app",
            RegistryConfig {
                blob_redirect: Some("http://x".into()),
                ..RegistryConfig::default()
            },
        );
        let mut spec = stage.spec("v1");
        spec.platforms = vec![
            Platform::new("linux", "amd64", ""),
            Platform::new("linux", "arm64", "v8"),
        ];
        spec.layers = vec![ByteSize(2048), ByteSize(1024)];
        let loaded = stage.image(&spec).unwrap();
        assert_eq!(loaded.images.len(), 2);
        let arm = loaded
            .platform(&Platform::new("linux", "arm64", ""))
            .unwrap();
        assert_eq!(arm.layers.len(), 2);
        assert_eq!(arm.layers[0].size_bytes, 2048);
        assert_eq!(arm.top, loaded.top);
        assert_ne!(arm.manifest, loaded.top);
        let shared = stage.compose("v2", &arm.layers[..1]).unwrap();
        assert_eq!(shared.layers[0], arm.layers[0]);
        let body = stage.read("/v2/basics/app/manifests/v2").unwrap();
        assert_eq!(Digest::sha256_of(&body), shared.manifest);
        let big = stage.padded(arm, "big", 5 << 20).unwrap();
        assert!(stage.read("/v2/basics/app/manifests/big").unwrap().len() > 5 << 20);
        assert_eq!(big.layers, arm.layers);
        stage.account("alice", "wonderland");
        stage.protect(&["alice"]);
        let (mut registry, mirror) = stage.finish().unwrap();
        let anonymous = Request::new(Method::Get, "/v2/basics/app/manifests/v2", "t");
        assert_eq!(registry.handle(&anonymous, SimTime::EPOCH).status, 401);
        let mut mirror = mirror.unwrap();
        let blob = format!("/v2/basics/app/blobs/{}", arm.layers[0].digest);
        let response = mirror.handle(&Request::new(Method::Get, blob, "t"), SimTime::EPOCH);
        assert_eq!(response.status, 200);
    }
}
