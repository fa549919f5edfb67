//! Media types of the documents the registry stores, and `Accept` negotiation for
//! manifests exactly as distribution v2.8 does it (`registry/handlers/manifests.go`).
//!
//! distribution merges every `Accept` line, splits each at commas, parses each entry with
//! Go's `mime.ParseMediaType` (so parameters such as `q=` are dropped and the type is
//! lower-cased) and only asks whether each of the four manifest types is listed; `*/*` and
//! anything else count for nothing. The decision itself lives in `negotiate`.

use serde::{Deserialize, Serialize};

use crate::api::protocol::Headers;

/// `application/vnd.oci.image.manifest.v1+json`
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// `application/vnd.oci.image.index.v1+json`
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// `application/vnd.docker.distribution.manifest.v2+json` (Docker schema 2)
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// `application/vnd.docker.distribution.manifest.list.v2+json`
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// `application/vnd.oci.image.config.v1+json`
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
/// `application/vnd.docker.container.image.v1+json`
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
/// `application/vnd.oci.image.layer.v1.tar+gzip`
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// `application/vnd.docker.image.rootfs.diff.tar.gzip`
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";

/// The four kinds of manifest a registry serves from `/manifests/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ManifestKind {
    /// An OCI image manifest.
    OciManifest,
    /// An OCI image index.
    OciIndex,
    /// A Docker schema 2 image manifest.
    DockerManifest,
    /// A Docker manifest list.
    DockerManifestList,
}

impl ManifestKind {
    /// Every kind, in the order distribution numbers its storage types.
    pub const ALL: [ManifestKind; 4] = [
        ManifestKind::DockerManifest,
        ManifestKind::DockerManifestList,
        ManifestKind::OciManifest,
        ManifestKind::OciIndex,
    ];

    /// The media type this kind is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            ManifestKind::OciManifest => OCI_MANIFEST,
            ManifestKind::OciIndex => OCI_INDEX,
            ManifestKind::DockerManifest => DOCKER_MANIFEST,
            ManifestKind::DockerManifestList => DOCKER_MANIFEST_LIST,
        }
    }

    /// The kind whose media type is exactly `media_type` (already without parameters).
    pub fn from_media_type(media_type: &str) -> Option<ManifestKind> {
        ManifestKind::ALL
            .into_iter()
            .find(|kind| kind.media_type() == media_type)
    }

    /// Whether this kind lists other manifests (an index or a manifest list).
    pub fn is_index(self) -> bool {
        matches!(
            self,
            ManifestKind::OciIndex | ManifestKind::DockerManifestList
        )
    }

    fn slot(self) -> usize {
        match self {
            ManifestKind::DockerManifest => 0,
            ManifestKind::DockerManifestList => 1,
            ManifestKind::OciManifest => 2,
            ManifestKind::OciIndex => 3,
        }
    }
}

/// The media type of an `Accept` entry or a `Content-Type` as Go's `mime.ParseMediaType`
/// returns it: parameters dropped, surrounding space trimmed, lower-cased; `None` when the
/// entry is not `type/subtype`.
pub(crate) fn bare_media_type(entry: &str) -> Option<String> {
    let bare = entry.split(';').next().unwrap_or_default().trim();
    let (kind, subtype) = bare.split_once('/')?;
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    if !token(kind) || !token(subtype) {
        return None;
    }
    Some(bare.to_ascii_lowercase())
}

/// Which manifest kinds a request's merged `Accept` lines list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Accepts {
    supports: [bool; 4],
}

impl Accepts {
    /// Reads every `Accept` line of `headers`, split at commas.
    pub(crate) fn from_headers(headers: &Headers) -> Accepts {
        let mut accepts = Accepts::default();
        // The hot path of every manifest GET: compare without allocating.
        for entry in headers.get_all("accept").flat_map(|line| line.split(',')) {
            let bare = entry.split(';').next().unwrap_or_default().trim();
            if let Some(kind) = ManifestKind::ALL
                .into_iter()
                .find(|kind| kind.media_type().eq_ignore_ascii_case(bare))
            {
                accepts.supports[kind.slot()] = true;
            }
        }
        accepts
    }

    /// Whether `kind` is listed.
    pub(crate) fn supports(self, kind: ManifestKind) -> bool {
        self.supports[kind.slot()]
    }
}

/// What to answer for a manifest GET or HEAD, given the stored kind and the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Negotiation {
    /// Serve the stored manifest as it is.
    AsStored,
    /// A Docker manifest list fetched by tag by a client that does not list the list type:
    /// serve the linux/amd64 child instead (distribution rewrites for old clients).
    AmdChild,
    /// `404 MANIFEST_UNKNOWN` with this message (an OCI document the client cannot read).
    Unknown(&'static str),
}

/// distribution v2.8's rules:
/// - an OCI manifest needs the OCI manifest type in `Accept`, else 404 `MANIFEST_UNKNOWN`
///   "OCI manifest found, but accept header does not support OCI manifests";
/// - an OCI index needs the OCI index type, else 404 "OCI index found, but accept header
///   does not support OCI indexes" (by tag and by digest alike);
/// - a Docker manifest list fetched by tag without the list type is answered with its
///   linux/amd64 child (or 404 when there is none), which is then subject to the Docker
///   manifest rule; fetched by digest it is served as stored;
/// - a Docker schema 2 manifest is served whatever `Accept` says. (v2.8 would rewrite it as
///   a signed schema 1 manifest for a client that does not list schema 2 and asked by tag;
///   pullsim serves no schema 1, as distribution v3 does not either, and answers 400
///   `MANIFEST_INVALID` "Schema 2 manifest not supported by client" only where v3 does: for
///   the amd64 child of a list, see [`crate::api::pull`].)
pub(crate) fn negotiate(stored: ManifestKind, accepts: Accepts, by_tag: bool) -> Negotiation {
    match stored {
        ManifestKind::OciManifest if !accepts.supports(ManifestKind::OciManifest) => {
            Negotiation::Unknown(
                "OCI manifest found, but accept header does not support OCI manifests",
            )
        }
        ManifestKind::OciIndex if !accepts.supports(ManifestKind::OciIndex) => {
            Negotiation::Unknown("OCI index found, but accept header does not support OCI indexes")
        }
        ManifestKind::DockerManifestList
            if by_tag && !accepts.supports(ManifestKind::DockerManifestList) =>
        {
            Negotiation::AmdChild
        }
        _ => Negotiation::AsStored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(lines: &[&str]) -> Accepts {
        let mut headers = Headers::new();
        for line in lines {
            headers.append("Accept", *line);
        }
        Accepts::from_headers(&headers)
    }

    /// One row: stored kind, Accept lines, by tag, expected negotiation.
    type Row<'a> = (ManifestKind, &'a [&'a str], bool, Negotiation);

    fn check(rows: &[Row<'_>]) {
        for (stored, lines, by_tag, want) in rows {
            assert_eq!(
                negotiate(*stored, accepts(lines), *by_tag),
                *want,
                "{stored:?} accept {lines:?} by_tag {by_tag}"
            );
        }
    }

    #[test]
    fn negotiation_follows_distribution() {
        use ManifestKind::*;
        use Negotiation::*;
        let containers_image: &[&str] = &[
            OCI_MANIFEST,
            DOCKER_MANIFEST,
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
            "application/vnd.docker.distribution.manifest.v1+json",
            DOCKER_MANIFEST_LIST,
            OCI_INDEX,
        ];
        let oci_only_manifest: &[&str] = &["application/vnd.oci.image.manifest.v1+json; q=0.5"];
        let star: &[&str] = &["*/*"];
        let comma_joined: &[&str] = &[
            "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json",
        ];
        check(&[
            (OciManifest, containers_image, true, AsStored),
            (OciIndex, containers_image, true, AsStored),
            (DockerManifestList, containers_image, true, AsStored),
            (OciManifest, oci_only_manifest, true, AsStored),
            (
                OciManifest,
                star,
                true,
                Unknown("OCI manifest found, but accept header does not support OCI manifests"),
            ),
            (
                OciIndex,
                oci_only_manifest,
                false,
                Unknown("OCI index found, but accept header does not support OCI indexes"),
            ),
            (OciIndex, comma_joined, true, AsStored),
            (DockerManifestList, comma_joined, true, AsStored),
            (DockerManifestList, star, true, AmdChild),
            (DockerManifestList, star, false, AsStored),
            (DockerManifest, &[], true, AsStored),
        ]);
    }

    #[test]
    fn media_types_parse_like_go_mime() {
        assert_eq!(
            bare_media_type(" Application/JSON ; charset=utf-8").as_deref(),
            Some("application/json")
        );
        assert_eq!(bare_media_type("*/*").as_deref(), Some("*/*"));
        assert_eq!(bare_media_type("json"), None);
        assert_eq!(bare_media_type("a/b/c"), None);
        assert_eq!(bare_media_type(""), None);
    }
}
