//! The reference tables of docs/semantics.md (sections 1.3, 1.4, 1.6 and the Kubernetes and
//! containerd tables) as data, each checked through the public API.

use crate::policy::{PullPolicy, default_pull_policy};
use crate::reference::*;

const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Expands the table shorthand `<H64>` to the digest hex docs/semantics.md §1.6 uses.
fn expand(s: &str) -> String {
    s.replace("<H64>", H64)
}

/// One row of docs/semantics.md §1.6: input, `Name()`, tag from `ParseImageName` (defaulted), digest,
/// default `imagePullPolicy`, and the image `applyDefaultImageTag` sends to the CRI.
struct VectorRow {
    input: &'static str,
    name: &'static str,
    tag: Option<&'static str>,
    digest: Option<&'static str>,
    policy: PullPolicy,
    kubelet_image: &'static str,
}

fn check_vectors(rows: &[VectorRow]) {
    for row in rows {
        let input = expand(row.input);
        let parsed = parse_image_name(&input);
        let Ok(name) = parsed else {
            panic!("{input}: unexpected error {parsed:?}");
        };
        assert_eq!(name.repo, row.name, "{input}: Name()");
        assert_eq!(name.tag.as_deref(), row.tag, "{input}: tag");
        assert_eq!(
            name.digest.map(|d| d.to_string()),
            row.digest.map(expand),
            "{input}: digest"
        );
        assert_eq!(default_pull_policy(&input), row.policy, "{input}: policy");
        assert_eq!(
            apply_default_image_tag(&input).ok(),
            Some(expand(row.kubelet_image)),
            "{input}: kubelet image"
        );
    }
}

/// docs/semantics.md §1.6, all 30 rows (generated upstream by running distribution/reference v0.6.0).
#[test]
fn semantics_1_6_vectors() {
    use PullPolicy::{Always, IfNotPresent};
    const D: Option<&str> = Some("sha256:<H64>");
    #[rustfmt::skip]
    let rows = [
        VectorRow { input: "nginx", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "nginx:latest" },
        VectorRow { input: "nginx:latest", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "nginx:latest" },
        VectorRow { input: "nginx:1.25", name: "docker.io/library/nginx", tag: Some("1.25"), digest: None, policy: IfNotPresent, kubelet_image: "nginx:1.25" },
        VectorRow { input: "nginx:LATEST", name: "docker.io/library/nginx", tag: Some("LATEST"), digest: None, policy: IfNotPresent, kubelet_image: "nginx:LATEST" },
        VectorRow { input: "nginx:Latest", name: "docker.io/library/nginx", tag: Some("Latest"), digest: None, policy: IfNotPresent, kubelet_image: "nginx:Latest" },
        VectorRow { input: "library/nginx", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "library/nginx:latest" },
        VectorRow { input: "docker.io/nginx", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "docker.io/nginx:latest" },
        VectorRow { input: "docker.io/library/nginx", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "docker.io/library/nginx:latest" },
        VectorRow { input: "index.docker.io/nginx", name: "docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "index.docker.io/nginx:latest" },
        VectorRow { input: "index.docker.io/library/nginx:1.0", name: "docker.io/library/nginx", tag: Some("1.0"), digest: None, policy: IfNotPresent, kubelet_image: "index.docker.io/library/nginx:1.0" },
        VectorRow { input: "registry-1.docker.io/library/nginx", name: "registry-1.docker.io/library/nginx", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "registry-1.docker.io/library/nginx:latest" },
        VectorRow { input: "user/repo", name: "docker.io/user/repo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "user/repo:latest" },
        VectorRow { input: "user/repo:tag", name: "docker.io/user/repo", tag: Some("tag"), digest: None, policy: IfNotPresent, kubelet_image: "user/repo:tag" },
        VectorRow { input: "docker.io/user/repo", name: "docker.io/user/repo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "docker.io/user/repo:latest" },
        VectorRow { input: "nginx@sha256:<H64>", name: "docker.io/library/nginx", tag: None, digest: D, policy: IfNotPresent, kubelet_image: "nginx@sha256:<H64>" },
        VectorRow { input: "nginx:latest@sha256:<H64>", name: "docker.io/library/nginx", tag: Some("latest"), digest: D, policy: Always, kubelet_image: "nginx:latest@sha256:<H64>" },
        VectorRow { input: "nginx:1.0@sha256:<H64>", name: "docker.io/library/nginx", tag: Some("1.0"), digest: D, policy: IfNotPresent, kubelet_image: "nginx:1.0@sha256:<H64>" },
        VectorRow { input: "localhost/foo", name: "localhost/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "localhost/foo:latest" },
        VectorRow { input: "localhost:5000/foo", name: "localhost:5000/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "localhost:5000/foo:latest" },
        VectorRow { input: "localhost", name: "docker.io/library/localhost", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "localhost:latest" },
        VectorRow { input: "localhost:5000", name: "docker.io/library/localhost", tag: Some("5000"), digest: None, policy: IfNotPresent, kubelet_image: "localhost:5000" },
        VectorRow { input: "localhost/foo:bar", name: "localhost/foo", tag: Some("bar"), digest: None, policy: IfNotPresent, kubelet_image: "localhost/foo:bar" },
        VectorRow { input: "myregistry:5000/foo", name: "myregistry:5000/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "myregistry:5000/foo:latest" },
        VectorRow { input: "myregistry/foo", name: "docker.io/myregistry/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "myregistry/foo:latest" },
        VectorRow { input: "my.registry/foo", name: "my.registry/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "my.registry/foo:latest" },
        VectorRow { input: "my.registry:5000/foo/bar:baz", name: "my.registry:5000/foo/bar", tag: Some("baz"), digest: None, policy: IfNotPresent, kubelet_image: "my.registry:5000/foo/bar:baz" },
        VectorRow { input: "127.0.0.1:5000/foo", name: "127.0.0.1:5000/foo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "127.0.0.1:5000/foo:latest" },
        VectorRow { input: "192.168.0.1", name: "docker.io/library/192.168.0.1", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "192.168.0.1:latest" },
        VectorRow { input: "192.168.0.1:80", name: "docker.io/library/192.168.0.1", tag: Some("80"), digest: None, policy: IfNotPresent, kubelet_image: "192.168.0.1:80" },
        VectorRow { input: "[::1]:5000/repo", name: "[::1]:5000/repo", tag: Some("latest"), digest: None, policy: Always, kubelet_image: "[::1]:5000/repo:latest" },
    ];
    assert_eq!(rows.len(), 30);
    check_vectors(&rows);
}

/// Rows: input, `Ok((repo, tag, digest))` or `Err(substring of the error)`.
type ImageNameRow = (
    &'static str,
    Result<(&'static str, &'static str, &'static str), &'static str>,
);

fn check_image_names(rows: &[ImageNameRow]) {
    for (input, want) in rows {
        let input = expand(input);
        match (parse_image_name(&input), want) {
            (Ok(got), Ok((repo, tag, digest))) => {
                assert_eq!(got.repo, *repo, "{input}");
                assert_eq!(got.tag.unwrap_or_default(), *tag, "{input}");
                assert_eq!(
                    got.digest.map(|d| d.to_string()).unwrap_or_default(),
                    expand(digest)
                );
            }
            (Err(err), Err(part)) => assert!(err.to_string().contains(part), "{input}: {err}"),
            (got, _) => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }
}

/// kubernetes `pkg/util/parsers/parsers_test.go` TestParseImageName (also docs/semantics.md §1.6).
#[test]
fn kubernetes_parse_image_name_table() {
    check_image_names(&[
        ("root", Ok(("docker.io/library/root", "latest", ""))),
        ("root:tag", Ok(("docker.io/library/root", "tag", ""))),
        (
            "root@sha256:<H64>",
            Ok(("docker.io/library/root", "", "sha256:<H64>")),
        ),
        ("user/repo", Ok(("docker.io/user/repo", "latest", ""))),
        ("user/repo:tag", Ok(("docker.io/user/repo", "tag", ""))),
        (
            "user/repo@sha256:<H64>",
            Ok(("docker.io/user/repo", "", "sha256:<H64>")),
        ),
        ("url:5000/repo", Ok(("url:5000/repo", "latest", ""))),
        ("url:5000/repo:tag", Ok(("url:5000/repo", "tag", ""))),
        (
            "url:5000/repo@sha256:<H64>",
            Ok(("url:5000/repo", "", "sha256:<H64>")),
        ),
        (
            "url:5000/repo:latest@sha256:<H64>",
            Ok(("url:5000/repo", "latest", "sha256:<H64>")),
        ),
        ("ROOT", Err("must be lowercase")),
        ("http://root", Err("invalid reference format")),
        ("<H64>", Err("cannot specify 64-byte hexadecimal strings")),
    ]);
}

/// Rows: input, the exact `Display` of the `ParseNormalizedNamed` error.
fn check_normalized_errors(rows: &[(String, String)]) {
    for (input, want) in rows {
        let got = Reference::parse_normalized_named(input)
            .err()
            .map(|e| e.to_string());
        assert_eq!(got.as_deref(), Some(want.as_str()), "{input}");
    }
}

/// docs/semantics.md §1.3 and 1.4 error rows, with exact texts and precedence.
#[test]
fn semantics_1_3_and_1_4_errors() {
    let rows = vec![
        (
            H64.to_owned(),
            format!("invalid repository name ({H64}), cannot specify 64-byte hexadecimal strings"),
        ),
        (
            "NGINX".into(),
            "invalid reference format: repository name (library/NGINX) must be lowercase".into(),
        ),
        (
            "foo/Bar".into(),
            "invalid reference format: repository name (foo/Bar) must be lowercase".into(),
        ),
        (
            format!("nginx@SHA256:{H64}"),
            "invalid reference format: repository name (library/nginx@SHA256) must be lowercase"
                .into(),
        ),
        (
            format!("nginx@sha256:{}", H64.to_uppercase()),
            "invalid checksum digest format".into(),
        ),
        (
            format!("nginx@sha256:{H64}0"),
            "invalid checksum digest length".into(),
        ),
        ("nginx@sha256:abc".into(), "invalid reference format".into()),
        (
            format!("nginx@md5:{}", "0".repeat(32)),
            "unsupported digest algorithm".into(),
        ),
        ("nginx:".into(), "invalid reference format".into()),
        (" nginx".into(), "invalid reference format".into()),
        (
            "a".repeat(248),
            "repository name must not be more than 255 characters".into(),
        ),
        (
            format!("{}/{}", "r".repeat(300) + ".io", "p".repeat(256)),
            "repository name must not be more than 255 characters".into(),
        ),
        (
            "[fe80::1%eth0]:5000/repo".into(),
            "invalid reference format".into(),
        ),
        (
            "[::ffff:127.0.0.1]:5000/repo".into(),
            "invalid reference format".into(),
        ),
        (
            "[2001:db8:3:4::192.0.2.33]:5000/debian".into(),
            "invalid reference format".into(),
        ),
        ("[::1]".into(), "invalid reference format".into()),
        // The identifier check comes before everything, the lowercase check before the grammar.
        (
            "Foo_Bar/baz".into(),
            "repository name must be lowercase".into(),
        ),
        (
            "foo/Bar:TAG@sha256:x".into(),
            "invalid reference format: repository name (foo/Bar) must be lowercase".into(),
        ),
        (
            format!("{}:{}", "a".repeat(300), "T".repeat(200)),
            "invalid reference format".into(),
        ),
        (
            format!("{}@sha256:{}", "a".repeat(300), "0".repeat(63)),
            "repository name must not be more than 255 characters".into(),
        ),
    ];
    check_normalized_errors(&rows);
}

/// Rows: input, `Name()`, `Domain()`, `Path()`, `String()`.
fn check_names(rows: &[(String, &str, &str, &str, &str)]) {
    for (input, name, domain, path, string) in rows {
        let parsed = Reference::parse_normalized_named(input);
        let Ok(r) = parsed else {
            panic!("{input}: unexpected {parsed:?}");
        };
        assert_eq!(
            (r.name().as_str(), r.domain(), r.path()),
            (*name, *domain, *path),
            "{input}"
        );
        assert_eq!(r.to_string(), *string, "{input}");
    }
}

/// docs/semantics.md §1.3's prose rows: kept domains, the underscore quirk and the length limits.
#[test]
fn semantics_1_3_normalization_rows() {
    let long_domain = "registry.".repeat(30) + "example.com";
    let path255 = "p".repeat(255);
    let bare247 = "a".repeat(247);
    let name247 = format!("docker.io/library/{bare247}");
    let long_name = format!("{long_domain}/{path255}");
    let rows = vec![
        (
            "Docker.io/nginx".to_owned(),
            "Docker.io/nginx",
            "Docker.io",
            "nginx",
            "Docker.io/nginx",
        ),
        (
            "docker.IO/nginx".into(),
            "docker.IO/nginx",
            "docker.IO",
            "nginx",
            "docker.IO/nginx",
        ),
        (
            "docker.io:5000/nginx".into(),
            "docker.io:5000/nginx",
            "docker.io:5000",
            "nginx",
            "docker.io:5000/nginx",
        ),
        (
            "index.docker.io:443/nginx".into(),
            "index.docker.io:443/nginx",
            "index.docker.io:443",
            "nginx",
            "index.docker.io:443/nginx",
        ),
        (
            "registry-1.docker.io/nginx".into(),
            "registry-1.docker.io/nginx",
            "registry-1.docker.io",
            "nginx",
            "registry-1.docker.io/nginx",
        ),
        ("Foo/bar".into(), "Foo/bar", "Foo", "bar", "Foo/bar"),
        (
            "my_registry.com/foo".into(),
            "my_registry.com/foo",
            "",
            "my_registry.com/foo",
            "my_registry.com/foo",
        ),
        (
            "my_registry.com/foo:v1".into(),
            "my_registry.com/foo",
            "",
            "my_registry.com/foo",
            "my_registry.com/foo:v1",
        ),
        (
            "example.com".into(),
            "docker.io/library/example.com",
            "docker.io",
            "library/example.com",
            "docker.io/library/example.com",
        ),
        (
            bare247.clone(),
            &name247,
            "docker.io",
            &name247[10..],
            &name247,
        ),
        (
            long_name.clone(),
            &long_name,
            &long_domain,
            &path255,
            &long_name,
        ),
        (
            "[::1]:5000/repo".into(),
            "[::1]:5000/repo",
            "[::1]:5000",
            "repo",
            "[::1]:5000/repo",
        ),
        (
            "[2001:db8::1]/repo:tag".into(),
            "[2001:db8::1]/repo",
            "[2001:db8::1]",
            "repo",
            "[2001:db8::1]/repo:tag",
        ),
    ];
    check_names(&rows);
    assert!(Reference::parse_normalized_named(&"a".repeat(248)).is_err());
    // docs/semantics.md §1.4: sha384 and sha512 digests are accepted because the kubelet registers them.
    for digest in [
        format!("sha384:{}", "a".repeat(96)),
        format!("sha512:{}", "f".repeat(128)),
    ] {
        let parsed = Reference::parse_normalized_named(&format!("nginx@{digest}")).ok();
        assert_eq!(
            parsed.and_then(|r| r.digest().map(ToString::to_string)),
            Some(digest)
        );
    }
    assert!(Reference::parse_normalized_named(&format!("{long_domain}/{path255}p")).is_err());
}

/// Rows: input, the `String()` of `ParseDockerRef`.
fn check_docker_refs(rows: &[(&str, &str)]) {
    for (input, want) in rows {
        let input = expand(input);
        let got = parse_docker_ref(&input)
            .map(|r| r.to_string())
            .map_err(|e| e.to_string());
        let want = expand(want);
        match got {
            Ok(got) => assert_eq!(got, want, "{input}"),
            Err(err) => assert_eq!(format!("error {err}"), want, "{input}"),
        }
    }
}

/// docs/semantics.md §1.3 containerd table and distribution/reference `normalize_test.go`
/// TestParseDockerRef.
#[test]
fn parse_docker_ref_tables() {
    check_docker_refs(&[
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        (
            "nginx:latest@sha256:<H64>",
            "docker.io/library/nginx@sha256:<H64>",
        ),
        ("nginx@sha256:<H64>", "docker.io/library/nginx@sha256:<H64>"),
        (
            "index.docker.io/library/nginx",
            "docker.io/library/nginx:latest",
        ),
        (
            "localhost:5000/app:v1@sha256:<H64>",
            "localhost:5000/app@sha256:<H64>",
        ),
        ("quay.io/coreos/etcd", "quay.io/coreos/etcd:latest"),
        (
            "NGINX",
            "error invalid reference format: repository name (library/NGINX) must be lowercase",
        ),
        ("my_registry.com/foo", "my_registry.com/foo:latest"),
    ]);
    let busybox = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";
    let rows = [
        (
            "busybox".to_owned(),
            "docker.io/library/busybox:latest".to_owned(),
        ),
        (
            "busybox:latest".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            format!("busybox@{busybox}"),
            format!("docker.io/library/busybox@{busybox}"),
        ),
        (
            "library/busybox".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "docker.io/busybox".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "docker.io/library/busybox".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "docker.io/busybox:latest".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "library/busybox:latest".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "docker.io/library/busybox:latest".into(),
            "docker.io/library/busybox:latest".into(),
        ),
        (
            "gcr.io/library/busybox".into(),
            "gcr.io/library/busybox:latest".into(),
        ),
        (
            format!("gcr.io/library/busybox:latest@{busybox}"),
            format!("gcr.io/library/busybox@{busybox}"),
        ),
    ];
    for (input, want) in &rows {
        let Ok(got) = parse_docker_ref(input) else {
            panic!("{input}: unexpected error");
        };
        assert_eq!(got.to_string(), *want, "{input}");
        // Upstream also checks the output is a valid reference for plain `Parse`.
        assert_eq!(Reference::parse(want).as_ref(), Ok(&got), "{want}");
    }
}
