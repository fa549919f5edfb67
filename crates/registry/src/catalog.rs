//! Catalogs: what a registry holds, written for people. `pullsim registry serve --catalog`,
//! the control API's `POST /_pullsim/catalog` and (later) scenario files describe
//! registries this way: images as short specs the builder turns into real content,
//! accounts, access rules and fault rules.
//!
//! ```yaml
//! images:
//!   - {repository: demo/multi, tag: v1, platforms: [linux/amd64, linux/arm64/v8], layers: [4KiB]}
//!   - {repository: private/app, tag: v1, format: docker, layers: [20MiB, 500B], build: 2}
//! accounts: {alice: wonderland}
//! access:
//!   - {repository: "private/*", read: [alice], write: [alice]}
//! faults:
//!   - {match: {path: "/v2/*/blobs/*"}, status: 503, uses: 1}
//! rateLimit: {limit: 100, window: 6h, per: both, firstReset: 30m, used: {10.0.0.1: 40}}
//! ```
//!
//! Unknown fields are errors naming the field, and YAML errors carry line and column.

use std::collections::BTreeMap;

use pullsim_model::document::{parse_json, parse_json_or_yaml, parse_yaml};
use pullsim_model::{ByteSize, Digest, Platform};
use serde::{Deserialize, Serialize};

use crate::api::media::ManifestKind;
use crate::error::{CatalogError, RegistryError};
use crate::state::fault::FaultRule;
use crate::state::rate_limit::RateLimit;

/// A registry's content and rules, as a file describes them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// Images to build and tag, in order (a later spec for the same tag moves the tag).
    #[serde(default)]
    pub images: Vec<ImageSpec>,
    /// Accounts: user name to password.
    #[serde(default)]
    pub accounts: BTreeMap<String, String>,
    /// Access rules, consulted in order; the first whose pattern matches a repository
    /// decides. A repository no rule matches is open to everyone, anonymous included.
    #[serde(default)]
    pub access: Vec<AccessRule>,
    /// Fault rules, installed after any already there.
    #[serde(default)]
    pub faults: Vec<FaultRule>,
    /// Docker Hub's pull rate limit (`rateLimit:`, see `rate_limit.rs`); replaces any set.
    #[serde(default, rename = "rateLimit", skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// A short description the synthetic builder turns into a real image: one image
/// manifest for one platform, or an index (OCI) or manifest list (Docker) of one image
/// manifest per platform when there are several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    /// The repository, e.g. `demo/hello`.
    pub repository: String,
    /// The tag to point at the image.
    pub tag: String,
    /// Platforms as `os/arch[/variant]` (`linux/arm64/v8`); default `[linux/amd64]`.
    #[serde(default = "default_platforms")]
    pub platforms: Vec<Platform>,
    /// OCI or Docker media types; default OCI.
    #[serde(default)]
    pub format: ImageFormat,
    /// Compressed layer sizes (`4KiB`, `20MiB`, `500B`), base layer first; default `[1KiB]`.
    /// Layers hit the size to the byte when it is above the smallest possible layer
    /// (about 150 bytes).
    #[serde(default = "default_layers")]
    pub layers: Vec<ByteSize>,
    /// The build number, written into every layer and the config, so pushing build 2 of
    /// the same spec makes different digests; default 1.
    #[serde(default = "default_build")]
    pub build: u32,
    /// Sized only: layers get their declared sizes and deterministic digests derived from
    /// the description, but no bytes are made, so an image of gigabytes costs nothing to
    /// build. Configs and manifests stay real. For the in-process simulator only: the HTTP
    /// server refuses to serve such a layer (it answers 500), since it has no bytes to
    /// send; a real puller must be given materialised images. Default false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sized: bool,
    /// Base layers shared with every image naming the same base, below `layers`: their
    /// content depends only on the base's name, the platform and the position, never on
    /// this image's repository, tag or build, as images built `FROM` one base share its
    /// layers. Default none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseLayers>,
}

/// A named stack of base layers several images share (see [`ImageSpec::base`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseLayers {
    /// The base's name, e.g. `debian-12`.
    pub name: String,
    /// Its compressed layer sizes, bottom first.
    pub layers: Vec<ByteSize>,
}

impl ImageSpec {
    /// A spec with the defaults: linux/amd64, OCI, one 1 KiB layer, build 1.
    pub fn new(repository: impl Into<String>, tag: impl Into<String>) -> ImageSpec {
        ImageSpec {
            repository: repository.into(),
            tag: tag.into(),
            platforms: default_platforms(),
            format: ImageFormat::default(),
            layers: default_layers(),
            build: default_build(),
            sized: false,
            base: None,
        }
    }
}

impl ImageSpec {
    /// The checks the builder makes before building, without building: a valid repository
    /// and tag, at least one platform and one layer, complete and distinct platforms, and
    /// layers within [`LAYER_MAX_BYTES`](crate::LAYER_MAX_BYTES). A file reader can refuse
    /// a bad spec up front, where it can still say on which line it was written.
    pub fn check(&self) -> Result<(), RegistryError> {
        crate::builder::check(self)
    }
}

fn default_platforms() -> Vec<Platform> {
    vec![Platform::new("linux", "amd64", "")]
}

fn default_layers() -> Vec<ByteSize> {
    vec![ByteSize(1024)]
}

fn default_build() -> u32 {
    1
}

/// Which family of media types an image uses.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ImageFormat {
    /// OCI image manifests and indexes.
    #[default]
    Oci,
    /// Docker schema 2 manifests and manifest lists.
    Docker,
}

/// Who may read (pull) and write (push) the repositories a pattern matches.
///
/// Principals are user names, `anonymous` (everyone, without credentials) or
/// `authenticated` (any account with the right password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessRule {
    /// A repository name or a glob (`private/*`; `*` also crosses `/`).
    pub repository: String,
    /// Who may pull.
    #[serde(default)]
    pub read: Vec<String>,
    /// Who may push.
    #[serde(default)]
    pub write: Vec<String>,
}

/// What loading one image spec produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadedImage {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// The tag's target: the index or manifest list, or the single image manifest.
    pub digest: Digest,
    /// The target's media type.
    pub media_type: String,
    /// Each platform's image manifest, in the spec's order (one entry for a single manifest).
    pub children: Vec<(Platform, Digest)>,
}

impl Catalog {
    /// Reads a catalog from YAML (JSON is YAML too, but [`Catalog::from_json`] gives
    /// serde_json's messages).
    pub fn from_yaml(text: &str) -> Result<Catalog, CatalogError> {
        parse_yaml(text).map_err(CatalogError::Parse)
    }

    /// Reads a catalog from JSON.
    pub fn from_json(text: &str) -> Result<Catalog, CatalogError> {
        parse_json(text).map_err(CatalogError::Parse)
    }

    /// Reads JSON, or YAML when the text is not JSON at all (YAML flow style such as
    /// `{images: [...]}` included), so each format gets its own parser's messages.
    pub fn parse(text: &str) -> Result<Catalog, CatalogError> {
        parse_json_or_yaml(text).map_err(CatalogError::Parse)
    }

    /// The built-in demo catalog `pullsim registry serve` serves without `--catalog`:
    /// - `demo/hello:v1`, one OCI image manifest for linux/amd64 with one gzip layer;
    /// - `demo/multi:v1`, an OCI index of linux/amd64, linux/arm64/v8 and linux/arm/v7;
    /// - `demo/multi-docker:v1`, the same three platforms as a Docker manifest list;
    /// - `private/app:v1`, readable and writable only by `alice` (password `wonderland`);
    /// - `tenant-b/app:v1`, readable and writable only by `bob` (password `builder`).
    ///
    /// Every other repository is open: anyone may read, and push anonymously.
    pub fn demo() -> Catalog {
        let three = || {
            vec![
                Platform::new("linux", "amd64", ""),
                Platform::new("linux", "arm64", "v8"),
                Platform::new("linux", "arm", "v7"),
            ]
        };
        let image = |repository: &str, platforms: Vec<Platform>, format: ImageFormat| ImageSpec {
            repository: repository.to_owned(),
            tag: "v1".to_owned(),
            platforms,
            format,
            layers: vec![ByteSize(4096)],
            build: 1,
            sized: false,
            base: None,
        };
        let amd64 = || vec![Platform::new("linux", "amd64", "")];
        Catalog {
            images: vec![
                image("demo/hello", amd64(), ImageFormat::Oci),
                image("demo/multi", three(), ImageFormat::Oci),
                image("demo/multi-docker", three(), ImageFormat::Docker),
                image("private/app", amd64(), ImageFormat::Oci),
                image("tenant-b/app", amd64(), ImageFormat::Oci),
            ],
            accounts: BTreeMap::from([
                ("alice".to_owned(), "wonderland".to_owned()),
                ("bob".to_owned(), "builder".to_owned()),
            ]),
            access: vec![
                AccessRule {
                    repository: "private/*".to_owned(),
                    read: vec!["alice".to_owned()],
                    write: vec!["alice".to_owned()],
                },
                AccessRule {
                    repository: "tenant-b/*".to_owned(),
                    read: vec!["bob".to_owned()],
                    write: vec!["bob".to_owned()],
                },
            ],
            faults: Vec::new(),
            rate_limit: None,
        }
    }
}

/// The media type of `kind`, as [`LoadedImage::media_type`] holds it.
pub(crate) fn media_type_of(kind: ManifestKind) -> String {
    kind.media_type().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_catalogs_read_with_defaults_and_units() {
        let catalog = Catalog::from_yaml(
            "images:\n  - {repository: demo/x, tag: v1, platforms: [linux/arm64/v8, linux/arm], layers: [4KiB, 20MiB]}\n  - {repository: demo/y, tag: v2, format: docker}\naccounts: {alice: wonderland}\naccess:\n  - {repository: 'private/*', read: [alice]}\n",
        )
        .unwrap();
        assert_eq!(
            catalog.images[0].platforms[0],
            Platform::new("linux", "arm64", "v8")
        );
        assert_eq!(
            catalog.images[0].platforms[1],
            Platform::new("linux", "arm", "")
        );
        assert_eq!(
            catalog.images[0].layers,
            vec![ByteSize(4096), ByteSize(20 << 20)]
        );
        assert_eq!(catalog.images[1].format, ImageFormat::Docker);
        assert_eq!(catalog.images[1].layers, vec![ByteSize(1024)]);
        assert_eq!(catalog.images[1].build, 1);
        assert_eq!(catalog.access[0].write, Vec::<String>::new());
    }

    #[test]
    fn unknown_fields_are_named_with_their_line() {
        let err =
            Catalog::from_yaml("images:\n  - repository: demo/x\n    tag: v1\n    layrs: [1KiB]\n")
                .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("layrs"), "{text}");
        let CatalogError::Parse(document) = err else {
            panic!("{err:?}")
        };
        assert_eq!(document.line, Some(4), "{text}");
        let err = Catalog::from_json(r#"{"imagez": []}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("imagez") && err.contains("line 1"), "{err}");
    }

    #[test]
    fn specs_are_checked_without_building() {
        assert_eq!(ImageSpec::new("demo/x", "v1").check(), Ok(()));
        let mut bad = ImageSpec::new("Demo/x", "v1");
        assert!(bad.check().is_err());
        bad = ImageSpec::new("demo/x", "v1");
        bad.layers.clear();
        assert_eq!(bad.check(), Err(RegistryError::NoLayers));
    }

    #[test]
    fn catalogs_round_trip_through_json() {
        let demo = Catalog::demo();
        let json = serde_json::to_string(&demo).unwrap();
        assert!(
            json.contains(r#""platforms":["linux/amd64","linux/arm64/v8","linux/arm/v7"]"#),
            "{json}"
        );
        assert!(json.contains(r#""layers":["4KiB"]"#), "{json}");
        assert_eq!(Catalog::parse(&json).unwrap(), demo);
    }
}
