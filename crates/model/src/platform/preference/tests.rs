//! Table tests for platform preference: upstream compare_test.go tables for both
//! library versions, explicit preference vectors, and index-child choice.

use super::*;
use PlatformsVersion::{V0_2, V1};
use proptest::prelude::*;

fn parse(version: PlatformsVersion, specifier: &str) -> Platform {
    version.parse(specifier, "amd64", "").unwrap_or_default()
}

fn check_vectors(version: PlatformsVersion, rows: &[(&str, &[&str])]) {
    for &(node, want) in rows {
        let matcher = version.only(&parse(version, node));
        let got: Vec<String> = matcher
            .preferences()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(got, want, "{version:?} Only({node})");
    }
}

#[test]
fn preference_vectors_v0_2() {
    check_vectors(
        V0_2,
        &[
            ("linux/amd64", &["linux/amd64", "linux/386"]),
            (
                "linux/amd64/v3",
                &[
                    "linux/amd64/v3",
                    "linux/amd64/v2",
                    "linux/amd64",
                    "linux/386",
                ],
            ),
            ("linux/386", &["linux/386"]),
            (
                "linux/arm/v7",
                &["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"],
            ),
            (
                "linux/arm",
                &["linux/arm/v7", "linux/arm/v6", "linux/arm/v5"],
            ),
            ("linux/arm/v5", &["linux/arm/v5"]),
            (
                "linux/arm64",
                &[
                    "linux/arm64",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v8",
                &[
                    "linux/arm64",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v9",
                &[
                    "linux/arm64/v9",
                    "linux/arm/v9",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            ("linux/ppc64le", &["linux/ppc64le"]),
        ],
    );
}

#[test]
fn preference_vectors_v1() {
    check_vectors(
        V1,
        &[
            ("linux/amd64", &["linux/amd64", "linux/386"]),
            (
                "linux/arm64",
                &[
                    "linux/arm64",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v8.2",
                &[
                    "linux/arm64/v8.2",
                    "linux/arm64/v8.1",
                    "linux/arm64",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v9",
                &[
                    "linux/arm64/v9",
                    "linux/arm64/v8.5",
                    "linux/arm64/v8.4",
                    "linux/arm64/v8.3",
                    "linux/arm64/v8.2",
                    "linux/arm64/v8.1",
                    "linux/arm64",
                    "linux/arm/v9",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
            (
                "linux/arm64/v9.7",
                &[
                    "linux/arm64/v9.7",
                    "linux/arm64/v9.6",
                    "linux/arm64/v9.5",
                    "linux/arm64/v9.4",
                    "linux/arm64/v9.3",
                    "linux/arm64/v9.2",
                    "linux/arm64/v9.1",
                    "linux/arm64/v9",
                    "linux/arm64/v8.9",
                    "linux/arm64/v8.8",
                    "linux/arm64/v8.7",
                    "linux/arm64/v8.6",
                    "linux/arm64/v8.5",
                    "linux/arm64/v8.4",
                    "linux/arm64/v8.3",
                    "linux/arm64/v8.2",
                    "linux/arm64/v8.1",
                    "linux/arm64",
                    "linux/arm/v8",
                    "linux/arm/v7",
                    "linux/arm/v6",
                    "linux/arm/v5",
                ],
            ),
        ],
    );
}

/// One row of compare_test.go `TestOnly`/`TestOnlyStrict`: the node's specifier and the
/// specifiers that must and must not match.
type MatchRow<'a> = (&'a str, &'a [&'a str], &'a [&'a str]);

fn check_matches(version: PlatformsVersion, strict: bool, rows: &[MatchRow<'_>]) {
    for &(node, yes, no) in rows {
        let node_platform = parse(version, node);
        let matcher = if strict {
            version.only_strict(&node_platform)
        } else {
            version.only(&node_platform)
        };
        for candidate in yes {
            assert!(
                matcher.matches(&parse(version, candidate)),
                "{version:?} strict={strict} {node} should match {candidate}"
            );
        }
        for candidate in no {
            assert!(
                !matcher.matches(&parse(version, candidate)),
                "{version:?} strict={strict} {node} should not match {candidate}"
            );
        }
    }
}

/// containerd/platforms compare_test.go `TestOnly`, the rows both versions share.
const ONLY_ROWS: &[MatchRow<'static>] = &[
    (
        "linux/amd64",
        &["linux/amd64", "linux/386"],
        &[
            "linux/amd64/v2",
            "linux/arm/v7",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/amd64/v2",
        &[
            "linux/amd64",
            "linux/amd64/v1",
            "linux/amd64/v2",
            "linux/386",
        ],
        &[
            "linux/amd64/v3",
            "linux/amd64/v4",
            "linux/arm/v7",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/386",
        &["linux/386"],
        &[
            "linux/amd64",
            "linux/arm/v7",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "windows/amd64",
        &["windows/amd64", "windows(10.0.17763)/amd64"],
        &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
    ),
    (
        "linux/arm/v8",
        &[
            "linux/arm",
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
        ],
        &[
            "linux/amd64",
            "linux/arm/v4",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/arm/v7",
        &["linux/arm", "linux/arm/v5", "linux/arm/v6", "linux/arm/v7"],
        &[
            "linux/amd64",
            "linux/arm/v4",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/arm/v6",
        &["linux/arm/v5", "linux/arm/v6"],
        &[
            "linux/amd64",
            "linux/arm",
            "linux/arm/v4",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/arm/v5",
        &["linux/arm/v5"],
        &[
            "linux/amd64",
            "linux/arm",
            "linux/arm/v4",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/arm/v4",
        &["linux/arm/v4"],
        &[
            "linux/amd64",
            "linux/arm",
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "windows/amd64",
            "windows/arm",
        ],
    ),
    (
        "linux/arm64",
        &[
            "linux/arm",
            "linux/arm/v5",
            "linux/arm/v6",
            "linux/arm/v7",
            "linux/arm/v8",
            "linux/arm64",
            "linux/arm64/v8",
        ],
        &[
            "linux/amd64",
            "linux/arm/v4",
            "linux/arm/v9",
            "linux/arm64/v7",
            "linux/arm64/v9",
            "windows/amd64",
            "windows/arm",
        ],
    ),
];

#[test]
fn only_matches_like_compare_test() {
    check_matches(V0_2, false, ONLY_ROWS);
    check_matches(V1, false, ONLY_ROWS);
    // The arm64/v9 row is where the versions part: v1.x falls back to arm64/v8.
    check_matches(
        V1,
        false,
        &[(
            "linux/arm64/v9",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm64/v9",
            ],
            &[
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm64/v7",
                "linux/arm64/v10",
                "windows/arm64",
                "windows/arm",
            ],
        )],
    );
    check_matches(
        V0_2,
        false,
        &[(
            "linux/arm64/v9",
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v8",
                "linux/arm/v9",
                "linux/arm64/v9",
            ],
            &[
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm64/v10",
                "linux/arm/v4",
                "windows/arm64",
            ],
        )],
    );
}

#[test]
fn only_strict_matches_like_compare_test() {
    // containerd/platforms compare_test.go `TestOnlyStrict`.
    let rows: &[MatchRow<'static>] = &[
        (
            "linux/amd64",
            &["linux/amd64"],
            &[
                "linux/386",
                "linux/arm/v7",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/386",
            &["linux/386"],
            &[
                "linux/amd64",
                "linux/arm/v7",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "windows/amd64",
            &["windows/amd64", "windows(10.0.17763)/amd64"],
            &["linux/amd64", "linux/arm/v7", "linux/arm64", "windows/arm"],
        ),
        (
            "linux/arm/v8",
            &["linux/arm/v8"],
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v7",
            &["linux/arm", "linux/arm/v7"],
            &[
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v6",
            &["linux/arm/v6"],
            &[
                "linux/arm/v5",
                "linux/amd64",
                "linux/arm",
                "linux/arm/v4",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v5",
            &["linux/arm/v5"],
            &[
                "linux/amd64",
                "linux/arm",
                "linux/arm/v4",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm/v4",
            &["linux/arm/v4"],
            &[
                "linux/amd64",
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm64",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm64",
            &["linux/arm64", "linux/arm64/v8"],
            &[
                "linux/arm",
                "linux/arm/v5",
                "linux/arm/v6",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/amd64",
                "linux/arm/v4",
                "linux/arm/v9",
                "linux/arm64/v7",
                "linux/arm64/v9",
                "windows/amd64",
                "windows/arm",
            ],
        ),
        (
            "linux/arm64/v9",
            &["linux/arm64/v9"],
            &[
                "linux/arm",
                "linux/arm/v7",
                "linux/arm/v8",
                "linux/arm/v9",
                "linux/arm64/v7",
                "linux/arm64",
                "linux/arm64/v8",
                "linux/arm/v4",
                "linux/arm64/v10",
                "linux/amd64",
                "windows/arm64",
                "windows/arm",
            ],
        ),
    ];
    check_matches(V0_2, true, rows);
    check_matches(V1, true, rows);
}

#[test]
fn less_ranks_better_platforms_first() {
    let amd64 = V0_2.only(&Platform::new("linux", "amd64", ""));
    let p = |arch: &str| Platform::new("linux", arch, "");
    let rows = [
        ("amd64", "386", true),
        ("386", "amd64", false),
        ("386", "386", false),
        ("arm64", "386", false),
        ("386", "arm64", true),
        ("arm64", "ppc64le", false),
        ("x86_64", "amd64", false),
    ];
    for (a, b, want) in rows {
        assert_eq!(amd64.less(&p(a), &p(b)), want, "Less({a}, {b})");
    }
}

/// Children of an index (`None`: no platform) and the index containerd keeps.
type ChooseRow<'a> = (&'a [Option<&'a str>], Result<usize, NoMatch>);

fn check_choose(node: &str, rows: &[ChooseRow<'_>]) {
    let matcher = V0_2.only(&parse(V0_2, node));
    for &(children, want) in rows {
        let children: Vec<Option<Platform>> = children
            .iter()
            .map(|child| {
                child.map(|raw| {
                    let mut parts = raw.split('/');
                    Platform::new(
                        parts.next().unwrap_or(""),
                        parts.next().unwrap_or(""),
                        parts.next().unwrap_or(""),
                    )
                })
            })
            .collect();
        assert_eq!(
            matcher.choose(&children, Option::as_ref),
            want,
            "{node} choosing from {children:?}"
        );
    }
}

#[test]
fn choose_picks_one_child_like_containerd() {
    check_choose(
        "linux/arm64",
        &[
            (
                &[
                    Some("linux/amd64"),
                    Some("linux/arm/v7"),
                    Some("linux/arm64/v8"),
                    None,
                ],
                Ok(2),
            ),
            (
                &[
                    Some("linux/amd64"),
                    Some("linux/arm/v7"),
                    Some("linux/arm/v6"),
                ],
                Ok(1),
            ),
            (&[Some("linux/amd64"), Some("linux/386")], Err(NoMatch)),
            (&[Some("linux/arm64/v8"), Some("linux/aarch64")], Ok(0)),
            (&[Some("linux/aarch64"), Some("linux/arm64/v8")], Ok(0)),
            (&[Some("windows/arm64"), Some("linux/arm/v5")], Ok(1)),
        ],
    );
    check_choose(
        "linux/amd64",
        &[
            (
                &[Some("linux/arm64"), Some("linux/386"), Some("linux/amd64")],
                Ok(2),
            ),
            (&[Some("linux/386"), None], Ok(0)),
            (&[None, Some("linux/arm64")], Ok(0)),
            (&[None, None], Ok(0)),
            (&[], Err(NoMatch)),
            (&[Some("/x86_64"), Some("linux/amd64")], Ok(0)),
            (&[Some("Linux/AMD64/v1")], Ok(0)),
            (&[Some("linux/amd64/v2")], Err(NoMatch)),
        ],
    );
    assert_eq!(
        NoMatch.to_string(),
        "no match for platform in manifest: not found"
    );
}

#[test]
fn atoi_accepts_go_integers_only() {
    let rows = [
        ("7", Some(7)),
        ("+7", Some(7)),
        ("-7", Some(-7)),
        ("07", Some(7)),
        ("", None),
        ("+", None),
        ("7a", None),
        (" 7", None),
    ];
    for (text, want) in rows {
        assert_eq!(go_atoi(text), want, "Atoi({text:?})");
    }
}

const POOL: &[(&str, &str, &str)] = &[
    ("linux", "amd64", ""),
    ("linux", "386", ""),
    ("linux", "arm64", ""),
    ("linux", "arm", "v7"),
    ("linux", "arm", "v6"),
    ("linux", "arm", "v5"),
    ("windows", "amd64", ""),
    ("linux", "ppc64le", ""),
    ("linux", "aarch64", "v8"),
    ("linux", "amd64", "v3"),
];

proptest! {
    #[test]
    fn chosen_child_is_acceptable_and_best(
        node in 0..POOL.len(),
        picks in proptest::collection::vec(proptest::option::of(0..POOL.len()), 0..8),
    ) {
        let (os, arch, variant) = POOL[node];
        let matcher = V0_2.only(&Platform::new(os, arch, variant));
        let children: Vec<Option<Platform>> = picks
            .iter()
            .map(|pick| pick.map(|i| { let (os, arch, variant) = POOL[i]; Platform::new(os, arch, variant) }))
            .collect();
        let key = |child: &Option<Platform>| match child {
            None => Some(usize::MAX),
            Some(platform) => matcher.rank(platform),
        };
        match matcher.choose(&children, Option::as_ref) {
            Err(NoMatch) => prop_assert!(children.iter().all(|c| key(c).is_none())),
            Ok(chosen) => {
                let best = key(&children[chosen]);
                prop_assert!(best.is_some());
                for (index, child) in children.iter().enumerate() {
                    if let Some(rank) = key(child) {
                        prop_assert!(Some(rank) >= best);
                        prop_assert!(Some(rank) > best || index >= chosen);
                    }
                }
            }
        }
    }
}
