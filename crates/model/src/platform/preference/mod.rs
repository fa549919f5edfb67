//! `platforms.Only`: the ordered list of platforms a node accepts, and how containerd uses
//! it to filter and rank the children of an image index and keep one.

use thiserror::Error;

use super::{Platform, PlatformsVersion};

/// An ordered platform matcher (`platforms.Only(p)` or `OnlyStrict(p)`): a child platform
/// matches when its normalised form equals one of the preferences, and ranks by the first
/// preference it equals (docs/semantics.md §6; containerd/platforms `compare.go`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PlatformMatcher {
    version: PlatformsVersion,
    preferences: Vec<Platform>,
}

/// No child of an index is acceptable; the text is containerd's (`LimitManifests`, with
/// `errdefs.ErrNotFound` wrapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("no match for platform in manifest: not found")]
pub struct NoMatch;

impl PlatformsVersion {
    /// `platforms.Only(platform)`: the platform itself, then what it can also run, best
    /// first. v0.2.x: `amd64/vN` adds `amd64/v(N-1)` ... `amd64/v1`, then `386`; `arm/vN`
    /// (N > 5) adds `arm/v(N-1)` ... `arm/v5`; `arm64` adds 32-bit `arm` with the same
    /// variant (empty counts as `v8`) and its fallbacks; other architectures only match
    /// themselves. v1.x inserts the arm64 `v8.x`/`v9.x` ladders described on
    /// [`PlatformsVersion::V1`]. CRI uses `Only` of the node's own platform.
    pub fn only(self, platform: &Platform) -> PlatformMatcher {
        let mut preferences = Vec::new();
        self.push_vector(&self.normalize(platform), &mut preferences);
        PlatformMatcher::ordered(self, preferences)
    }

    /// `platforms.OnlyStrict(platform)`: the normalised platform and nothing else.
    pub fn only_strict(self, platform: &Platform) -> PlatformMatcher {
        PlatformMatcher::ordered(self, vec![self.normalize(platform)])
    }

    /// Go's `platformVector`, appending to `out`.
    fn push_vector(self, platform: &Platform, out: &mut Vec<Platform>) {
        out.push(platform.clone());
        let with = |architecture: &str, variant: String| Platform {
            os: platform.os.clone(),
            architecture: architecture.to_owned(),
            variant,
        };
        match platform.architecture.as_str() {
            "amd64" => {
                if let Some(level) = version_number(&platform.variant).filter(|&n| n > 1) {
                    for lower in (1..level).rev() {
                        out.push(with("amd64", format!("v{lower}")));
                    }
                }
                out.push(with("386", String::new()));
            }
            "arm" => {
                if let Some(level) = version_number(&platform.variant).filter(|&n| n > 5) {
                    for lower in (5..level).rev() {
                        out.push(with("arm", format!("v{lower}")));
                    }
                }
            }
            "arm64" => {
                let mut variant = if platform.variant.is_empty() {
                    "v8".to_owned()
                } else {
                    platform.variant.clone()
                };
                if self == PlatformsVersion::V1 {
                    push_arm64_ladder(&variant, &with, out);
                    if variant.starts_with("v8.") || variant.starts_with("v9.") {
                        variant = "v8".to_owned();
                    }
                }
                self.push_vector(&with("arm", variant), out);
            }
            _ => {}
        }
    }
}

/// The v1.x arm64 ladder: `v9.x` adds `v9.(x-1)` ... `v9`, then `v8.min(x+5, 9)`; any
/// `v8.x` (including the one just added) adds `v8.(x-1)` ... `v8`. The minor version is
/// only read from four-character variants such as `v8.2`, exactly as upstream does.
fn push_arm64_ladder(
    variant: &str,
    with: &dyn Fn(&str, String) -> Platform,
    out: &mut Vec<Platform>,
) {
    let (major_text, minor_text) = match variant.split_once('.') {
        Some((major, minor)) => (major, Some(minor)),
        None => (variant, None),
    };
    let Some(mut major) = version_number(major_text).filter(|&n| n >= 8) else {
        return;
    };
    let mut minor = match minor_text {
        Some(text) if variant.len() == 4 => go_atoi(text).unwrap_or(0),
        _ => 0,
    };
    let spelled = |major: i64, minor: i64| {
        if minor == 0 {
            format!("v{major}")
        } else {
            format!("v{major}.{minor}")
        }
    };
    if major == 9 {
        for lower in (0..minor).rev() {
            out.push(with("arm64", spelled(9, lower)));
        }
        minor = (minor + 5).min(9);
        major = 8;
        out.push(with("arm64", format!("v8.{minor}")));
    }
    for lower in (0..minor).rev() {
        out.push(with("arm64", spelled(major, lower)));
    }
}

/// `strconv.Atoi(strings.TrimPrefix(variant, "v"))`.
fn version_number(variant: &str) -> Option<i64> {
    go_atoi(variant.strip_prefix('v').unwrap_or(variant))
}

/// Go's `strconv.Atoi`: an optional sign and at least one ASCII digit, in range.
fn go_atoi(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

impl PlatformMatcher {
    /// `platforms.Ordered(preferences...)`: each preference is normalised once.
    pub fn ordered(version: PlatformsVersion, preferences: Vec<Platform>) -> PlatformMatcher {
        let preferences = preferences
            .iter()
            .map(|platform| version.normalize(platform))
            .collect();
        PlatformMatcher {
            version,
            preferences,
        }
    }

    /// The normalised preferences, best first.
    pub fn preferences(&self) -> &[Platform] {
        &self.preferences
    }

    /// The position of the first preference `platform` matches after normalisation.
    pub fn rank(&self, platform: &Platform) -> Option<usize> {
        let normalized = self.version.normalize(platform);
        self.preferences
            .iter()
            .position(|preference| *preference == normalized)
    }

    /// `Match`: whether any preference matches.
    pub fn matches(&self, platform: &Platform) -> bool {
        self.rank(platform).is_some()
    }

    /// `Less(a, b)`: at the first preference matching either, true iff it matches `a` and
    /// not `b`; false when none matches either. This is "`a` ranks strictly better".
    pub fn less(&self, a: &Platform, b: &Platform) -> bool {
        match (self.rank(a), self.rank(b)) {
            (Some(rank_a), Some(rank_b)) => rank_a < rank_b,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// Picks the child of an image index that containerd pulls (`FilterPlatforms` then
    /// `LimitManifests(..., 1)`): children without a platform always pass the filter,
    /// the rest must match; the survivors are stably sorted by rank with platform-less
    /// children last, and the first is kept. Returns its index in `children`, or
    /// [`NoMatch`] when nothing survives. Call it for indexes only: containerd does not
    /// limit the children of a plain manifest.
    pub fn choose<T>(
        &self,
        children: &[T],
        platform_of: impl Fn(&T) -> Option<&Platform>,
    ) -> Result<usize, NoMatch> {
        children
            .iter()
            .enumerate()
            .filter_map(|(index, child)| match platform_of(child) {
                None => Some((usize::MAX, index)),
                Some(platform) => self.rank(platform).map(|rank| (rank, index)),
            })
            // The minimum of (rank, index) is the first element of a stable sort by rank.
            .min()
            .map(|(_, index)| index)
            .ok_or(NoMatch)
    }
}

#[cfg(test)]
mod tests;
