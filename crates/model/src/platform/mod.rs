//! Multi-arch platform selection exactly as containerd does it with `containerd/platforms`
//! (docs/semantics.md §6): the platform value, normalisation, specifier parsing, the `Only`
//! preference order, and choosing one child of an image index.
//!
//! Two releases of `containerd/platforms` are modelled ([`PlatformsVersion`]): v0.2.x,
//! which containerd 1.6/1.7 (and early 2.0) use and which is the default, and the newer
//! v1 line with arm64 `v8.x`/`v9.x` variants. Where the library would consult the host,
//! pullsim assumes a Linux host: an empty OS normalises to `linux`. OS versions and OS
//! features (Windows-only in practice) are not modelled.

mod cpuinfo;
mod parse;
mod preference;

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub use cpuinfo::{
    CpuVariantError, amd64_micro_arch_level, arm_cpu_variant, arm_cpu_variant_from_cpuinfo,
    cpu_variant_from_machine, cpuinfo_field,
};
pub use parse::PlatformParseError;
pub use preference::{NoMatch, PlatformMatcher};

/// An OCI platform as containerd compares it: operating system, CPU architecture and
/// architecture variant (`specs.Platform` without `os.version`/`os.features`).
///
/// Values are kept as written (an index may say `aarch64`); comparisons normalise first.
/// Serialises as the specifier string (`linux/arm/v7`); deserialises from that string
/// (parsed like `platforms.Parse` with v0.2.x rules on a linux/amd64 host) or from the OCI
/// object `{"os": ..., "architecture": ..., "variant": ...}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `os`, for example `linux`.
    pub os: String,
    /// `architecture`, for example `amd64`, `arm64`, `arm`.
    pub architecture: String,
    /// `variant`, for example `v7`; empty when absent.
    pub variant: String,
}

/// Which `containerd/platforms` release's rules to apply.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub enum PlatformsVersion {
    /// v0.2.x (containerd 1.6/1.7): arm64 variants `8`/`v8` normalise to empty, an arm64
    /// platform falls back to 32-bit arm of the same variant and below, specifier
    /// components may not contain dots.
    #[default]
    V0_2,
    /// v1.x: also `v8.0` normalises to empty and `9`, `9.0`, `v9.0` to `v9`; arm64 `v8.x`
    /// falls back through `v8.(x-1)` ... `v8`, and `v9.x` through `v9.(x-1)` ... `v9`, then
    /// `v8.(x+5)` (capped at `v8.9`) ... `v8`, before 32-bit arm; OS options may carry
    /// `+features` and percent-escapes.
    V1,
}

impl Platform {
    /// A platform from its three parts, kept as given.
    pub fn new(
        os: impl Into<String>,
        architecture: impl Into<String>,
        variant: impl Into<String>,
    ) -> Platform {
        Platform {
            os: os.into(),
            architecture: architecture.into(),
            variant: variant.into(),
        }
    }

    /// `platforms.Parse(specifier)` with v0.2.x rules on a linux/amd64 host.
    pub fn parse(specifier: &str) -> Result<Platform, PlatformParseError> {
        PlatformsVersion::V0_2.parse(specifier, "amd64", "")
    }

    /// `platforms.Normalize` with v0.2.x rules.
    pub fn normalize(&self) -> Platform {
        PlatformsVersion::V0_2.normalize(self)
    }

    /// Whether the normalised OS and architecture are ones Go knows (`go/build/syslist.go`).
    /// `platforms.Parse` accepts any word as the architecture of `os/arch`, so a node
    /// described as `linux/amd46` parses; callers describing real machines check this too.
    pub fn is_known(&self) -> bool {
        let normalized = self.normalize();
        is_known_os(&normalized.os) && is_known_arch(&normalized.architecture)
    }
}

impl PlatformsVersion {
    /// `platforms.Normalize`: OS lower-cased (`macos` becomes `darwin`, empty becomes the
    /// host's `linux`); architecture lower-cased with `i386` to `386` (variant dropped),
    /// `x86_64`/`x86-64` to `amd64` (variant `v1` dropped), `aarch64` to `arm64` (the
    /// version's default variant dropped), `armhf` to `arm/v7`, `armel` to `arm/v6`, and
    /// `arm` variants `""`/`7` to `v7` and `5`/`6`/`8` to `v5`/`v6`/`v8`.
    pub fn normalize(self, platform: &Platform) -> Platform {
        let (architecture, variant) =
            self.normalize_arch(&platform.architecture, &platform.variant);
        Platform {
            os: normalize_os(&platform.os),
            architecture,
            variant,
        }
    }

    /// Go's `normalizeArch(arch, variant)`.
    fn normalize_arch(self, architecture: &str, variant: &str) -> (String, String) {
        let architecture = go_to_lower(architecture);
        let variant = go_to_lower(variant);
        match architecture.as_str() {
            "i386" => ("386".to_owned(), String::new()),
            "x86_64" | "x86-64" | "amd64" => {
                let variant = if variant == "v1" {
                    String::new()
                } else {
                    variant
                };
                ("amd64".to_owned(), variant)
            }
            "aarch64" | "arm64" => {
                let variant = match (self, variant.as_str()) {
                    (_, "8" | "v8") | (PlatformsVersion::V1, "v8.0") => String::new(),
                    (PlatformsVersion::V1, "9" | "9.0" | "v9.0") => "v9".to_owned(),
                    _ => variant,
                };
                ("arm64".to_owned(), variant)
            }
            "armhf" => ("arm".to_owned(), "v7".to_owned()),
            "armel" => ("arm".to_owned(), "v6".to_owned()),
            "arm" => {
                let variant = match variant.as_str() {
                    "" | "7" => "v7".to_owned(),
                    "5" | "6" | "8" => format!("v{variant}"),
                    _ => variant,
                };
                ("arm".to_owned(), variant)
            }
            _ => (architecture, variant),
        }
    }
}

/// Go's `normalizeOS`, with the host OS taken to be `linux`.
fn normalize_os(os: &str) -> String {
    if os.is_empty() {
        return "linux".to_owned();
    }
    let os = go_to_lower(os);
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    }
}

/// Go's `strings.ToLower`: one lower-case character per character. Rust's mapping agrees
/// except for U+0130 (capital I with dot), which Go maps to a plain `i`.
fn go_to_lower(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let lowered: Vec<char> = if c == '\u{130}' {
                vec!['i']
            } else {
                c.to_lowercase().collect()
            };
            lowered
        })
        .collect()
}

/// Go's `isKnownOS` (generated from `go/build/syslist.go`); the value must be normalised.
fn is_known_os(os: &str) -> bool {
    matches!(
        os,
        "aix"
            | "android"
            | "darwin"
            | "dragonfly"
            | "freebsd"
            | "hurd"
            | "illumos"
            | "ios"
            | "js"
            | "linux"
            | "nacl"
            | "netbsd"
            | "openbsd"
            | "plan9"
            | "solaris"
            | "windows"
            | "zos"
    )
}

/// Go's `isKnownArch`; the value must be normalised.
fn is_known_arch(architecture: &str) -> bool {
    matches!(
        architecture,
        "386"
            | "amd64"
            | "amd64p32"
            | "arm"
            | "armbe"
            | "arm64"
            | "arm64be"
            | "ppc64"
            | "ppc64le"
            | "loong64"
            | "mips"
            | "mipsle"
            | "mips64"
            | "mips64le"
            | "mips64p32"
            | "mips64p32le"
            | "ppc"
            | "riscv"
            | "riscv64"
            | "s390"
            | "s390x"
            | "sparc"
            | "sparc64"
            | "wasm"
    )
}

/// `platforms.Format`: `unknown` without an OS, otherwise `path.Join(os, architecture,
/// variant)` (empty parts skipped, the result cleaned like a slash path).
impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.os.is_empty() {
            return f.write_str("unknown");
        }
        f.write_str(&go_path_join(&[
            &self.os,
            &self.architecture,
            &self.variant,
        ]))
    }
}

/// Go's `path.Join`: non-empty elements joined with `/`, then `path.Clean`.
fn go_path_join(elements: &[&str]) -> String {
    let joined = elements
        .iter()
        .filter(|element| !element.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/");
    if joined.is_empty() {
        return String::new();
    }
    let rooted = joined.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => match kept.last() {
                Some(&last) if last != ".." => {
                    kept.pop();
                }
                _ if rooted => {}
                _ => kept.push(".."),
            },
            other => kept.push(other),
        }
    }
    let body = kept.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

impl Serialize for Platform {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// The two accepted shapes of a platform in scenario files and OCI documents.
#[derive(Deserialize)]
#[serde(untagged)]
enum PlatformForm {
    Specifier(String),
    Object {
        #[serde(default)]
        os: String,
        #[serde(default)]
        architecture: String,
        #[serde(default)]
        variant: String,
    },
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Platform, D::Error> {
        match PlatformForm::deserialize(deserializer)? {
            PlatformForm::Specifier(text) => {
                Platform::parse(&text).map_err(serde::de::Error::custom)
            }
            PlatformForm::Object {
                os,
                architecture,
                variant,
            } => Ok(Platform {
                os,
                architecture,
                variant,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_platforms_are_gos_os_and_arch_lists() {
        for (specifier, known) in [
            ("linux/amd64", true),
            ("linux/arm64/v8", true),
            ("linux/aarch64", true),
            ("windows/amd64", true),
            ("linux/amd46", false),
            ("plan10/amd64", false),
        ] {
            let platform = Platform::parse(specifier).unwrap();
            assert_eq!(platform.is_known(), known, "{specifier}");
        }
    }

    /// A platform as (os, architecture, variant).
    type Parts<'a> = (&'a str, &'a str, &'a str);

    fn check_normalize(version: PlatformsVersion, rows: &[(Parts<'_>, Parts<'_>)]) {
        for &((os, arch, variant), (want_os, want_arch, want_variant)) in rows {
            let got = version.normalize(&Platform::new(os, arch, variant));
            assert_eq!(
                got,
                Platform::new(want_os, want_arch, want_variant),
                "{version:?} Normalize({os}/{arch}/{variant})"
            );
        }
    }

    #[test]
    fn normalize_follows_database_go() {
        // containerd/platforms database.go normalizeOS/normalizeArch, case by case.
        let common = [
            (("Linux", "x86_64", ""), ("linux", "amd64", "")),
            (("linux", "x86-64", "v1"), ("linux", "amd64", "")),
            (("linux", "AMD64", "V3"), ("linux", "amd64", "v3")),
            (("linux", "i386", "v2"), ("linux", "386", "")),
            (("linux", "aarch64", "8"), ("linux", "arm64", "")),
            (("linux", "arm64", "v8"), ("linux", "arm64", "")),
            (("linux", "arm64", "v9"), ("linux", "arm64", "v9")),
            (("linux", "armhf", ""), ("linux", "arm", "v7")),
            (("linux", "armel", "v7"), ("linux", "arm", "v6")),
            (("linux", "arm", ""), ("linux", "arm", "v7")),
            (("linux", "arm", "7"), ("linux", "arm", "v7")),
            (("linux", "arm", "5"), ("linux", "arm", "v5")),
            (("linux", "arm", "6"), ("linux", "arm", "v6")),
            (("linux", "arm", "8"), ("linux", "arm", "v8")),
            (("linux", "arm", "4"), ("linux", "arm", "4")),
            (("macOS", "arm64", ""), ("darwin", "arm64", "")),
            (("", "ppc64le", ""), ("linux", "ppc64le", "")),
            (("Windows", "AMD64", ""), ("windows", "amd64", "")),
        ];
        check_normalize(PlatformsVersion::V0_2, &common);
        check_normalize(PlatformsVersion::V1, &common);
        check_normalize(
            PlatformsVersion::V0_2,
            &[
                (("linux", "arm64", "v8.0"), ("linux", "arm64", "v8.0")),
                (("linux", "arm64", "9"), ("linux", "arm64", "9")),
                (("linux", "arm64", "v9.0"), ("linux", "arm64", "v9.0")),
            ],
        );
        check_normalize(
            PlatformsVersion::V1,
            &[
                (("linux", "arm64", "v8.0"), ("linux", "arm64", "")),
                (("linux", "arm64", "9"), ("linux", "arm64", "v9")),
                (("linux", "arm64", "9.0"), ("linux", "arm64", "v9")),
                (("linux", "arm64", "v9.0"), ("linux", "arm64", "v9")),
                (("linux", "arm64", "v8.2"), ("linux", "arm64", "v8.2")),
            ],
        );
    }

    #[test]
    fn display_is_platforms_format() {
        let rows = [
            (Platform::new("linux", "arm", "v7"), "linux/arm/v7"),
            (Platform::new("linux", "amd64", ""), "linux/amd64"),
            (Platform::new("linux", "", ""), "linux"),
            (Platform::new("", "amd64", ""), "unknown"),
            (Platform::new("linux", "..", "v1"), "v1"),
            (Platform::new("/linux", "arm64", ""), "/linux/arm64"),
        ];
        for (platform, want) in rows {
            assert_eq!(platform.to_string(), want, "{platform:?}");
        }
    }

    #[test]
    fn serde_takes_a_specifier_or_the_oci_object() {
        let rows = [
            (r#""linux/arm/v7""#, Platform::new("linux", "arm", "v7")),
            (r#""arm64""#, Platform::new("linux", "arm64", "")),
            (
                r#"{"architecture":"arm64","os":"linux","variant":"v8","os.features":["x"]}"#,
                Platform::new("linux", "arm64", "v8"),
            ),
            (
                r#"{"architecture":"amd64","os":"linux"}"#,
                Platform::new("linux", "amd64", ""),
            ),
        ];
        for (json, want) in rows {
            let got: Result<Platform, _> = serde_json::from_str(json);
            assert_eq!(got.ok(), Some(want), "{json}");
        }
        let bad: Result<Platform, _> = serde_json::from_str(r#""linux/&arm""#);
        assert!(bad.is_err());
        let written = serde_json::to_string(&Platform::new("linux", "arm", "v7")).ok();
        assert_eq!(written.as_deref(), Some(r#""linux/arm/v7""#));
    }
}
