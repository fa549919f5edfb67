//! The Spegel releases whose advertising differs.

/// When a node's Spegel advertises the blobs it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum SpegelVersion {
    /// Up to v0.2.x (the benchmarked v0.0.27): a digest is advertised only on the image event,
    /// after the whole image is pulled. "Images and it's layers are not advertised until the whole
    /// image has been pulled." (docs/BENCHMARK.md at v0.0.27).
    AfterImage,
    /// v0.3.0+ (commit 5804d44, "Add support for content create events"): each blob as soon as
    /// containerd commits it to the content store (`/content/create`), the tag on `/images/create`.
    #[default]
    PerBlob,
}

impl SpegelVersion {
    /// Reads a version as a scenario writes it: `0.0.27`, `0.1`, `0.2.1` are [`AfterImage`],
    /// `0.3` and later (`0.7.4`, `1.0`) are [`PerBlob`]; a leading `v` is allowed.
    ///
    /// [`AfterImage`]: SpegelVersion::AfterImage
    /// [`PerBlob`]: SpegelVersion::PerBlob
    pub fn parse(text: &str) -> Result<SpegelVersion, String> {
        let bare = text.strip_prefix('v').unwrap_or(text);
        let mut parts = bare.split('.');
        let number = |part: Option<&str>| -> Result<u64, String> {
            match part {
                None => Ok(0),
                Some(p) => p
                    .parse::<u64>()
                    .map_err(|_| format!("not a Spegel version: {text:?}")),
            }
        };
        let major = number(parts.next())?;
        let minor = number(parts.next())?;
        let _patch = number(parts.next())?;
        if parts.next().is_some() || bare.is_empty() {
            return Err(format!("not a Spegel version: {text:?}"));
        }
        Ok(if major == 0 && minor < 3 {
            SpegelVersion::AfterImage
        } else {
            SpegelVersion::PerBlob
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_at_0_3() {
        assert_eq!(
            SpegelVersion::parse("0.0.27"),
            Ok(SpegelVersion::AfterImage)
        );
        assert_eq!(
            SpegelVersion::parse("v0.2.1"),
            Ok(SpegelVersion::AfterImage)
        );
        assert_eq!(SpegelVersion::parse("0.3"), Ok(SpegelVersion::PerBlob));
        assert_eq!(SpegelVersion::parse("v0.7.4"), Ok(SpegelVersion::PerBlob));
        assert_eq!(SpegelVersion::parse("1"), Ok(SpegelVersion::PerBlob));
    }

    #[test]
    fn bad_versions_are_rejected() {
        for text in ["", "v", "0.x", "0.3.1.2", "latest"] {
            assert_eq!(
                SpegelVersion::parse(text),
                Err(format!("not a Spegel version: {text:?}"))
            );
        }
    }
}
