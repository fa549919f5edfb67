//! The kubelet's own wrappers around reference parsing: `ParseImageName`
//! (kubernetes `pkg/util/parsers/parsers.go`) and `applyDefaultImageTag`
//! (`pkg/kubelet/images/image_manager.go`), docs/semantics.md §1.1 and 1.5.

use super::normalize::DEFAULT_TAG;
use super::{Reference, ReferenceError};
use crate::digest::Digest;
use crate::go::text as go_text;

/// What `ParseImageName` returns: the repository to pull and the tag and digest, with the
/// kubelet's defaulting applied (tag `latest` only when there is neither tag nor digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageName {
    /// `named.Name()`: the fully qualified repository, e.g. `docker.io/library/nginx`. This is
    /// what the kubelet passes to the credential keyring.
    pub repo: String,
    /// The tag; `Some("latest")` when the image had neither tag nor digest, `None` when it had a
    /// digest and no tag (upstream's empty string).
    pub tag: Option<String>,
    /// The digest, when the image had one.
    pub digest: Option<Digest>,
}

/// `ParseImageName` failed. Display is upstream's
/// `couldn't parse image name %q: %v`: the image quoted as Go's `%q` quotes it, then the
/// distribution/reference error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("couldn't parse image name {}: {source}", go_text::quote(image))]
pub struct ImageNameError {
    /// The image string as the pod spec gave it.
    pub image: String,
    /// Why distribution/reference refused it.
    pub source: ReferenceError,
}

/// kubernetes `parsers.ParseImageName`: `ParseNormalizedNamed`, then repo = `Name()`, tag and
/// digest as parsed, and tag `latest` when both are absent.
pub fn parse_image_name(image: &str) -> Result<ImageName, ImageNameError> {
    let named = Reference::parse_normalized_named(image).map_err(|source| ImageNameError {
        image: image.to_owned(),
        source,
    })?;
    let digest = named.digest().cloned();
    let tag = match (named.tag(), &digest) {
        (Some(tag), _) => Some(tag.to_owned()),
        (None, None) => Some(DEFAULT_TAG.to_owned()),
        (None, Some(_)) => None,
    };
    Ok(ImageName {
        repo: named.name(),
        tag,
        digest,
    })
}

/// The kubelet's `applyDefaultImageTag`: when the image has no digest and does not already end
/// with `:` + its tag, append `:` + tag to the ORIGINAL string (not the normalized name, so
/// the CRI stays unaware of default registries). In effect `busybox` becomes `busybox:latest`
/// and everything else is returned unchanged. The result is the `ImageSpec.Image` the kubelet
/// sends to the runtime; an error becomes reason `InvalidImageName`.
pub fn apply_default_image_tag(image: &str) -> Result<String, ImageNameError> {
    let parsed = parse_image_name(image)?;
    if parsed.digest.is_none()
        && let Some(tag) = parsed.tag.as_deref()
    {
        let ends_with_tag = image
            .strip_suffix(tag)
            .is_some_and(|before| before.ends_with(':'));
        if !tag.is_empty() && !ends_with_tag {
            return Ok(format!("{image}:{tag}"));
        }
    }
    Ok(image.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows: image, expected `Display` of the error.
    fn check(rows: &[(&str, &str)]) {
        for (image, want) in rows {
            let got = parse_image_name(image).err().map(|e| e.to_string());
            assert_eq!(got.as_deref(), Some(*want), "{image:?}");
        }
    }

    #[test]
    fn error_text_quotes_the_image_like_go() {
        check(&[
            (
                "NGINX",
                r#"couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase"#,
            ),
            (
                "nginx:",
                r#"couldn't parse image name "nginx:": invalid reference format"#,
            ),
            (
                "",
                r#"couldn't parse image name "": invalid reference format"#,
            ),
            (
                " nginx",
                r#"couldn't parse image name " nginx": invalid reference format"#,
            ),
            (
                "nginx\n",
                r#"couldn't parse image name "nginx\n": invalid reference format"#,
            ),
            (
                "ngi\"nx",
                r#"couldn't parse image name "ngi\"nx": invalid reference format"#,
            ),
            (
                "nginx\u{7f}\u{1}",
                r#"couldn't parse image name "nginx\x7f\x01": invalid reference format"#,
            ),
            (
                "café",
                r#"couldn't parse image name "café": invalid reference format"#,
            ),
            (
                "Café/x",
                r#"couldn't parse image name "Café/x": invalid reference format"#,
            ),
            (
                "Ca_fe/x",
                r#"couldn't parse image name "Ca_fe/x": repository name must be lowercase"#,
            ),
            (
                "nginx\u{200b}",
                r#"couldn't parse image name "nginx\u200b": invalid reference format"#,
            ),
            (
                "nginx\u{e0001}",
                r#"couldn't parse image name "nginx\U000e0001": invalid reference format"#,
            ),
            (
                "nginx@sha256:abc",
                r#"couldn't parse image name "nginx@sha256:abc": invalid reference format"#,
            ),
        ]);
    }
}
