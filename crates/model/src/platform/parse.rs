//! `platforms.Parse`: platform specifiers such as `linux/arm64/v8`, `arm64` or `linux`,
//! with containerd's error texts.

use thiserror::Error;

use super::{Platform, PlatformsVersion, is_known_arch, is_known_os, normalize_os};
use crate::go::text::quote as go_quote;

/// `specifierRe` of v0.2.x: components other than the OS.
const SPECIFIER_PATTERN_V0_2: &str = "^[A-Za-z0-9_-]+$";
/// `specifierRe` of v1.x, which admits dots for arm64 `v8.2`-style variants.
const SPECIFIER_PATTERN_V1: &str = "^[A-Za-z0-9_.-]+$";
/// `osAndVersionRe` of v0.2.x: `<os>` or `<os>(<version>)`.
const OS_PATTERN_V0_2: &str = r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.-]*)\))?$";
/// `osRe` of v1.x: `<os>` or `<os>(<version>[+<feature>]*)` with percent-escapes.
const OS_PATTERN_V1: &str =
    r"^([A-Za-z0-9_-]+)(?:\(([A-Za-z0-9_.%-]*)((?:\+[A-Za-z0-9_.%-]+)*)\))?$";

/// Why `platforms.Parse` rejected a specifier; the text is containerd's, ending with the
/// wrapped `invalid argument` sentinel.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
pub enum PlatformParseError {
    /// The specifier contains `*`.
    #[error("{}: wildcards not yet supported: invalid argument", go_quote(.specifier))]
    Wildcard {
        /// The whole specifier.
        specifier: String,
    },
    /// The first component is not `<os>[(<options>)]`.
    #[error(
        "{} is an invalid OS component of {}: OSAndVersion specifier component must match {}: invalid argument",
        go_quote(.component), go_quote(.specifier), go_quote(.pattern)
    )]
    InvalidOs {
        /// The offending component.
        component: String,
        /// The whole specifier.
        specifier: String,
        /// The regular expression it had to match.
        pattern: &'static str,
    },
    /// A later component has characters outside the allowed set.
    #[error(
        "{} is an invalid component of {}: platform specifier component must match {}: invalid argument",
        go_quote(.component), go_quote(.specifier), go_quote(.pattern)
    )]
    InvalidComponent {
        /// The offending component.
        component: String,
        /// The whole specifier.
        specifier: String,
        /// The regular expression it had to match.
        pattern: &'static str,
    },
    /// v1.x: the OS version has a bad percent-escape.
    #[error(
        "{} has an invalid OS version {}: invalid URL escape {}",
        go_quote(.specifier), go_quote(.value), go_quote(.escape)
    )]
    InvalidOsVersion {
        /// The whole specifier.
        specifier: String,
        /// The version as written.
        value: String,
        /// The bad escape (at most three characters from the `%`).
        escape: String,
    },
    /// v1.x: an OS feature has a bad percent-escape.
    #[error(
        "{} has an invalid OS feature {}: invalid URL escape {}",
        go_quote(.specifier), go_quote(.value), go_quote(.escape)
    )]
    InvalidOsFeature {
        /// The whole specifier.
        specifier: String,
        /// The feature as written.
        value: String,
        /// The bad escape (at most three characters from the `%`).
        escape: String,
    },
    /// A single component that is neither a known OS nor a known architecture.
    #[error("{}: unknown operating system or architecture: invalid argument", go_quote(.specifier))]
    Unknown {
        /// The whole specifier.
        specifier: String,
    },
    /// More than three components.
    #[error("{}: cannot parse platform specifier: invalid argument", go_quote(.specifier))]
    TooManyComponents {
        /// The whole specifier.
        specifier: String,
    },
}

impl PlatformsVersion {
    /// `platforms.Parse(specifier)` (docs/semantics.md §6; containerd/platforms `platforms.go`).
    ///
    /// `<os>` alone takes the host's architecture (and, on 32-bit arm, the host's cpu
    /// variant unless it is `v7`); `<arch>` alone takes the host OS, which pullsim fixes to
    /// `linux`; `<os>/<arch>` drops arm's default `v7`; `<os>/<arch>/<variant>` keeps the
    /// variant and spells arm64's default as `v8`. An OS version (and, in v1.x, features)
    /// in parentheses is checked and then dropped, since pullsim does not model it.
    pub fn parse(
        self,
        specifier: &str,
        host_architecture: &str,
        host_cpu_variant: &str,
    ) -> Result<Platform, PlatformParseError> {
        if specifier.contains('*') {
            return Err(PlatformParseError::Wildcard {
                specifier: specifier.to_owned(),
            });
        }
        let parts: Vec<&str> = specifier.splitn(4, '/').collect();
        let mut os = String::new();
        for (index, part) in parts.iter().enumerate() {
            if index == 0 {
                os = normalize_os(self.os_component(part, specifier)?);
            } else if !self.is_specifier_component(part) {
                return Err(PlatformParseError::InvalidComponent {
                    component: (*part).to_owned(),
                    specifier: specifier.to_owned(),
                    pattern: self.specifier_pattern(),
                });
            }
        }
        match parts.as_slice() {
            [single] => {
                if is_known_os(&os) {
                    let variant = if host_architecture == "arm" && host_cpu_variant != "v7" {
                        host_cpu_variant
                    } else {
                        ""
                    };
                    return Ok(Platform::new(os, host_architecture, variant));
                }
                let (architecture, variant) = self.normalize_arch(single, "");
                let variant = drop_arm_default(&architecture, variant);
                if is_known_arch(&architecture) {
                    return Ok(Platform::new("linux", architecture, variant));
                }
                Err(PlatformParseError::Unknown {
                    specifier: specifier.to_owned(),
                })
            }
            [_, architecture] => {
                let (architecture, variant) = self.normalize_arch(architecture, "");
                let variant = drop_arm_default(&architecture, variant);
                Ok(Platform::new(os, architecture, variant))
            }
            [_, architecture, variant] => {
                let (architecture, mut variant) = self.normalize_arch(architecture, variant);
                if architecture == "arm64" && variant.is_empty() {
                    variant = "v8".to_owned();
                }
                Ok(Platform::new(os, architecture, variant))
            }
            _ => Err(PlatformParseError::TooManyComponents {
                specifier: specifier.to_owned(),
            }),
        }
    }

    /// Matches the first component against the version's OS pattern, checks the escapes
    /// of its options, and returns the OS name.
    fn os_component<'a>(
        self,
        component: &'a str,
        specifier: &str,
    ) -> Result<&'a str, PlatformParseError> {
        let invalid = || PlatformParseError::InvalidOs {
            component: component.to_owned(),
            specifier: specifier.to_owned(),
            pattern: self.os_pattern(),
        };
        let (name, options) = match component.split_once('(') {
            None => (component, None),
            Some((name, rest)) => match rest.strip_suffix(')') {
                Some(options) => (name, Some(options)),
                None => return Err(invalid()),
            },
        };
        if !is_word(name, false, false) {
            return Err(invalid());
        }
        let Some(options) = options else {
            return Ok(name);
        };
        match self {
            PlatformsVersion::V0_2 => {
                if !is_word(options, true, false) && !options.is_empty() {
                    return Err(invalid());
                }
            }
            PlatformsVersion::V1 => {
                let (version, features) = match options.split_once('+') {
                    None => (options, None),
                    Some((version, features)) => (version, Some(features)),
                };
                let version_ok = version.is_empty() || is_word(version, true, true);
                let features: Vec<&str> =
                    features.map(|f| f.split('+').collect()).unwrap_or_default();
                if !version_ok || !features.iter().all(|f| is_word(f, true, true)) {
                    return Err(invalid());
                }
                if let Some(escape) = bad_escape(version) {
                    return Err(PlatformParseError::InvalidOsVersion {
                        specifier: specifier.to_owned(),
                        value: version.to_owned(),
                        escape,
                    });
                }
                for feature in features {
                    if let Some(escape) = bad_escape(feature) {
                        return Err(PlatformParseError::InvalidOsFeature {
                            specifier: specifier.to_owned(),
                            value: feature.to_owned(),
                            escape,
                        });
                    }
                }
            }
        }
        Ok(name)
    }

    fn is_specifier_component(self, component: &str) -> bool {
        is_word(component, self == PlatformsVersion::V1, false)
    }

    fn specifier_pattern(self) -> &'static str {
        match self {
            PlatformsVersion::V0_2 => SPECIFIER_PATTERN_V0_2,
            PlatformsVersion::V1 => SPECIFIER_PATTERN_V1,
        }
    }

    fn os_pattern(self) -> &'static str {
        match self {
            PlatformsVersion::V0_2 => OS_PATTERN_V0_2,
            PlatformsVersion::V1 => OS_PATTERN_V1,
        }
    }
}

/// `arm/v7` is written as plain `arm` when the specifier gave no variant.
fn drop_arm_default(architecture: &str, variant: String) -> String {
    if architecture == "arm" && variant == "v7" {
        String::new()
    } else {
        variant
    }
}

/// Whether `text` is one or more of `[A-Za-z0-9_-]`, plus `.` and `%` when allowed.
fn is_word(text: &str, dot: bool, percent: bool) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric()
                || b == b'_'
                || b == b'-'
                || (dot && b == b'.')
                || (percent && b == b'%')
        })
}

/// The first malformed escape `url.PathUnescape` would reject: the `%` and up to two
/// following characters. The text is ASCII here (the patterns admit nothing else).
fn bad_escape(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex_at = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
            let well_formed = hex_at(index + 1) && hex_at(index + 2);
            if !well_formed {
                let end = (index + 3).min(bytes.len());
                return Some(text.get(index..end).unwrap_or_default().to_owned());
            }
            index += 3;
        } else {
            index += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type ParseRow<'a> = (&'a str, (&'a str, &'a str, &'a str), &'a str);

    fn check_parse(version: PlatformsVersion, rows: &[ParseRow<'_>]) {
        for &(input, (os, arch, variant), formatted) in rows {
            let parsed = version.parse(input, "amd64", "");
            assert_eq!(
                parsed,
                Ok(Platform::new(os, arch, variant)),
                "{version:?} Parse({input:?})"
            );
            let platform = parsed.unwrap_or_default();
            assert_eq!(platform.to_string(), formatted, "Format(Parse({input:?}))");
            // Formatting then parsing again is stable.
            let reparsed = version.parse(formatted, "amd64", "").unwrap_or_default();
            assert_eq!(reparsed.to_string(), formatted, "round trip of {input:?}");
        }
    }

    /// containerd/platforms platforms_test.go `TestParseSelector`, the rows without OS
    /// versions or features, on a linux/amd64 host.
    const SELECTOR_ROWS: &[ParseRow<'static>] = &[
        ("linux/arm64", ("linux", "arm64", ""), "linux/arm64"),
        ("linux/arm64/v8", ("linux", "arm64", "v8"), "linux/arm64/v8"),
        ("linux/arm", ("linux", "arm", ""), "linux/arm"),
        ("linux/arm/v6", ("linux", "arm", "v6"), "linux/arm/v6"),
        ("linux/arm/v7", ("linux", "arm", "v7"), "linux/arm/v7"),
        ("arm", ("linux", "arm", ""), "linux/arm"),
        ("armel", ("linux", "arm", "v6"), "linux/arm/v6"),
        ("armhf", ("linux", "arm", ""), "linux/arm"),
        ("Aarch64", ("linux", "arm64", ""), "linux/arm64"),
        ("x86_64", ("linux", "amd64", ""), "linux/amd64"),
        ("Linux/x86_64", ("linux", "amd64", ""), "linux/amd64"),
        ("i386", ("linux", "386", ""), "linux/386"),
        ("linux", ("linux", "amd64", ""), "linux/amd64"),
        ("s390x", ("linux", "s390x", ""), "linux/s390x"),
        ("linux/s390x", ("linux", "s390x", ""), "linux/s390x"),
        ("macOS", ("darwin", "amd64", ""), "darwin/amd64"),
        ("windows", ("windows", "amd64", ""), "windows/amd64"),
        ("windows()", ("windows", "amd64", ""), "windows/amd64"),
        (
            "windows(10.0.17763)",
            ("windows", "amd64", ""),
            "windows/amd64",
        ),
    ];

    #[test]
    fn parse_selector_table() {
        check_parse(PlatformsVersion::V0_2, SELECTOR_ROWS);
        check_parse(PlatformsVersion::V1, SELECTOR_ROWS);
        check_parse(
            PlatformsVersion::V1,
            &[
                (
                    "linux/arm64/v8.2",
                    ("linux", "arm64", "v8.2"),
                    "linux/arm64/v8.2",
                ),
                ("linux/arm64/9", ("linux", "arm64", "v9"), "linux/arm64/v9"),
                ("linux(+gpu+simd)", ("linux", "amd64", ""), "linux/amd64"),
                (
                    "windows(10.0.17763%2Bbuild.42)",
                    ("windows", "amd64", ""),
                    "windows/amd64",
                ),
            ],
        );
        check_parse(
            PlatformsVersion::V0_2,
            &[("linux/arm64/9", ("linux", "arm64", "9"), "linux/arm64/9")],
        );
    }

    #[test]
    fn parse_uses_the_host_for_missing_parts() {
        let rows = [
            ("linux", "arm", "v6", Platform::new("linux", "arm", "v6")),
            ("linux", "arm", "v7", Platform::new("linux", "arm", "")),
            ("linux", "arm64", "v8", Platform::new("linux", "arm64", "")),
            (
                "ppc64le",
                "arm64",
                "",
                Platform::new("linux", "ppc64le", ""),
            ),
        ];
        for (input, arch, variant, want) in rows {
            let got = PlatformsVersion::V0_2.parse(input, arch, variant);
            assert_eq!(got, Ok(want), "{input} on {arch}/{variant}");
        }
    }

    fn check_invalid(version: PlatformsVersion, rows: &[(&str, &str)]) {
        for &(input, want) in rows {
            let got = version.parse(input, "amd64", "").map_err(|e| e.to_string());
            assert_eq!(got, Err(want.to_owned()), "{version:?} Parse({input:?})");
        }
    }

    #[test]
    fn parse_rejects_with_containerd_messages() {
        // TestParseSelectorInvalid's inputs, then the other error branches.
        check_invalid(
            PlatformsVersion::V0_2,
            &[
                (
                    "",
                    r#""" is an invalid OS component of "": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$": invalid argument"#,
                ),
                (
                    "/linux/arm",
                    r#""" is an invalid OS component of "/linux/arm": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$": invalid argument"#,
                ),
                (
                    "linux/arm/",
                    r#""" is an invalid component of "linux/arm/": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#,
                ),
                (
                    "linux /arm",
                    r#""linux " is an invalid OS component of "linux /arm": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$": invalid argument"#,
                ),
                (
                    "linux/&arm",
                    r#""&arm" is an invalid component of "linux/&arm": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#,
                ),
                (
                    "linux/arm/foo/bar",
                    r#""linux/arm/foo/bar": cannot parse platform specifier: invalid argument"#,
                ),
                (
                    "linux/*",
                    r#""linux/*": wildcards not yet supported: invalid argument"#,
                ),
                (
                    "plan10",
                    r#""plan10": unknown operating system or architecture: invalid argument"#,
                ),
                (
                    "a/b/c/d/e",
                    r#""d/e" is an invalid component of "a/b/c/d/e": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#,
                ),
                (
                    "linux/arm64/v8.2",
                    r#""v8.2" is an invalid component of "linux/arm64/v8.2": platform specifier component must match "^[A-Za-z0-9_-]+$": invalid argument"#,
                ),
                (
                    "linux(+gpu)",
                    r#""linux(+gpu)" is an invalid OS component of "linux(+gpu)": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$": invalid argument"#,
                ),
                (
                    "linux(1)x",
                    r#""linux(1)x" is an invalid OS component of "linux(1)x": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.-]*)\\))?$": invalid argument"#,
                ),
            ],
        );
        check_invalid(
            PlatformsVersion::V1,
            &[
                (
                    "linux/&arm",
                    r#""&arm" is an invalid component of "linux/&arm": platform specifier component must match "^[A-Za-z0-9_.-]+$": invalid argument"#,
                ),
                (
                    "windows(50%zz)",
                    r#""windows(50%zz)" has an invalid OS version "50%zz": invalid URL escape "%zz""#,
                ),
                (
                    "windows(1%2)",
                    r#""windows(1%2)" has an invalid OS version "1%2": invalid URL escape "%2""#,
                ),
                (
                    "linux(+a%g1)",
                    r#""linux(+a%g1)" has an invalid OS feature "a%g1": invalid URL escape "%g1""#,
                ),
                (
                    "linux(++x)",
                    r#""linux(++x)" is an invalid OS component of "linux(++x)": OSAndVersion specifier component must match "^([A-Za-z0-9_-]+)(?:\\(([A-Za-z0-9_.%-]*)((?:\\+[A-Za-z0-9_.%-]+)*)\\))?$": invalid argument"#,
                ),
            ],
        );
    }

    #[test]
    fn default_entry_point_is_v0_2_on_linux_amd64() {
        assert_eq!(
            Platform::parse("linux"),
            Ok(Platform::new("linux", "amd64", ""))
        );
        assert_eq!(
            Platform::parse("arm64"),
            Ok(Platform::new("linux", "arm64", ""))
        );
    }
}
