//! The test tables of distribution/reference v0.6.0 (`reference_test.go`, `normalize_test.go`,
//! `regexp_test.go`) ported as data and run against our parser.

use crate::reference::grammar::{match_reference, split_name};
use crate::reference::*;

const F64: &str = "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

/// What a `Parse` row expects: `Name()`, `Domain()`, tag and digest.
#[derive(Debug)]
struct Parsed {
    name: String,
    domain: &'static str,
    tag: Option<&'static str>,
    digest: Option<String>,
}

fn ok(
    name: impl Into<String>,
    domain: &'static str,
    tag: Option<&'static str>,
    digest: Option<String>,
) -> Result<Parsed, ReferenceError> {
    Ok(Parsed {
        name: name.into(),
        domain,
        tag,
        digest,
    })
}

/// Runs `Reference::parse` over rows of (input, expected); a success must also print back
/// as the input, as upstream checks.
fn check_parse(rows: &[(String, Result<Parsed, ReferenceError>)]) {
    for (input, want) in rows {
        let got = Reference::parse(input);
        match (&got, want) {
            (Ok(r), Ok(p)) => {
                assert_eq!(r.to_string(), *input, "String() of {input}");
                assert_eq!(r.name(), p.name, "{input}");
                assert_eq!(r.domain(), p.domain, "{input}");
                assert_eq!(r.tag(), p.tag, "{input}");
                assert_eq!(r.digest().map(ToString::to_string), p.digest, "{input}");
            }
            (Err(e), Err(w)) => assert_eq!(e, w, "{input}"),
            _ => panic!("{input}: got {got:?}, want {want:?}"),
        }
    }
}

/// `reference_test.go` TestReferenceParse. The two length rows follow v0.6.0, which counts
/// only the path: `a/`×128 + `a` (domain `a`, path 255 bytes) parses, and a 256-byte path
/// after `domain/` does not. TestSerialization's rows are added at the end.
#[test]
fn reference_parse_table() {
    use DigestError::{InvalidLength, Unsupported};
    use ReferenceError::*;
    let sha = || Some(format!("sha256:{F64}"));
    let rows = vec![
        ("test_com".to_owned(), ok("test_com", "", None, None)),
        ("test.com:tag".into(), ok("test.com", "", Some("tag"), None)),
        ("test.com:5000".into(), ok("test.com", "", Some("5000"), None)),
        ("test.com/repo:tag".into(), ok("test.com/repo", "test.com", Some("tag"), None)),
        ("test:5000/repo".into(), ok("test:5000/repo", "test:5000", None, None)),
        ("test:5000/repo:tag".into(), ok("test:5000/repo", "test:5000", Some("tag"), None)),
        (format!("test:5000/repo@sha256:{F64}"), ok("test:5000/repo", "test:5000", None, sha())),
        (format!("test:5000/repo:tag@sha256:{F64}"), ok("test:5000/repo", "test:5000", Some("tag"), sha())),
        (String::new(), Err(NameEmpty)),
        (":justtag".into(), Err(InvalidFormat)),
        (format!("@sha256:{F64}"), Err(InvalidFormat)),
        (format!("repo@sha256:{}", &F64[..34]), Err(Digest(InvalidLength))),
        (format!("validname@invaliddigest:{F64}"), Err(Digest(Unsupported))),
        ("Uppercase:tag".into(), Err(NameContainsUppercase)),
        ("test:5000/Uppercase/lowercase:tag".into(), Err(NameContainsUppercase)),
        ("lowercase:Uppercase".into(), ok("lowercase", "", Some("Uppercase"), None)),
        (format!("domain/{}:tag", "a".repeat(256)), Err(NameTooLong)),
        ("a/".repeat(128) + "a:tag", ok("a/".repeat(128) + "a", "a", Some("tag"), None)),
        ("a/".repeat(127) + "a:tag-puts-this-over-max", ok("a/".repeat(127) + "a", "a", Some("tag-puts-this-over-max"), None)),
        ("aa/asdf$$^/aa".into(), Err(InvalidFormat)),
        ("sub-dom1.foo.com/bar/baz/quux".into(), ok("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", None, None)),
        ("sub-dom1.foo.com/bar/baz/quux:some-long-tag".into(), ok("sub-dom1.foo.com/bar/baz/quux", "sub-dom1.foo.com", Some("some-long-tag"), None)),
        ("b.gcr.io/test.example.com/my-app:test.example.com".into(), ok("b.gcr.io/test.example.com/my-app", "b.gcr.io", Some("test.example.com"), None)),
        ("xn--n3h.com/myimage:xn--n3h.com".into(), ok("xn--n3h.com/myimage", "xn--n3h.com", Some("xn--n3h.com"), None)),
        (
            format!("xn--7o8h.com/myimage:xn--7o8h.com@sha512:{F64}{F64}"),
            ok("xn--7o8h.com/myimage", "xn--7o8h.com", Some("xn--7o8h.com"), Some(format!("sha512:{F64}{F64}"))),
        ),
        ("foo_bar.com:8080".into(), ok("foo_bar.com", "", Some("8080"), None)),
        ("foo/foo_bar.com:8080".into(), ok("foo/foo_bar.com", "foo", Some("8080"), None)),
        ("192.168.1.1".into(), ok("192.168.1.1", "", None, None)),
        ("192.168.1.1:tag".into(), ok("192.168.1.1", "", Some("tag"), None)),
        ("192.168.1.1:5000".into(), ok("192.168.1.1", "", Some("5000"), None)),
        ("192.168.1.1/repo".into(), ok("192.168.1.1/repo", "192.168.1.1", None, None)),
        ("192.168.1.1:5000/repo".into(), ok("192.168.1.1:5000/repo", "192.168.1.1:5000", None, None)),
        ("192.168.1.1:5000/repo:5050".into(), ok("192.168.1.1:5000/repo", "192.168.1.1:5000", Some("5050"), None)),
        ("[2001:db8::1]".into(), Err(InvalidFormat)),
        ("[2001:db8::1]:5000".into(), Err(InvalidFormat)),
        ("[2001:db8::1]:tag".into(), Err(InvalidFormat)),
        ("[2001:db8::1]/repo".into(), ok("[2001:db8::1]/repo", "[2001:db8::1]", None, None)),
        ("[2001:db8:1:2:3:4:5:6]/repo:tag".into(), ok("[2001:db8:1:2:3:4:5:6]/repo", "[2001:db8:1:2:3:4:5:6]", Some("tag"), None)),
        ("[2001:db8::1]:5000/repo".into(), ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", None, None)),
        ("[2001:db8::1]:5000/repo:tag".into(), ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", Some("tag"), None)),
        (format!("[2001:db8::1]:5000/repo@sha256:{F64}"), ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", None, sha())),
        (format!("[2001:db8::1]:5000/repo:tag@sha256:{F64}"), ok("[2001:db8::1]:5000/repo", "[2001:db8::1]:5000", Some("tag"), sha())),
        ("[2001:db8::]:5000/repo".into(), ok("[2001:db8::]:5000/repo", "[2001:db8::]:5000", None, None)),
        ("[::1]:5000/repo".into(), ok("[::1]:5000/repo", "[::1]:5000", None, None)),
        ("[fe80::1%eth0]:5000/repo".into(), Err(InvalidFormat)),
        ("[fe80::1%@invalidzone]:5000/repo".into(), Err(InvalidFormat)),
        // Boundary rows of our own around the v0.6.0 path-length rule.
        (format!("example.com/{}:tag", "a".repeat(255)), ok(format!("example.com/{}", "a".repeat(255)), "example.com", Some("tag"), None)),
        (format!("example.com/{}", "a".repeat(256)), Err(NameTooLong)),
        // TestSerialization.
        ("example.com:8000/named".into(), ok("example.com:8000/named", "example.com:8000", None, None)),
        ("example.com:8000/named:tagged".into(), ok("example.com:8000/named", "example.com:8000", Some("tagged"), None)),
        (
            "other.com/named@sha256:1234567890098765432112345667890098765432112345667890098765432112".into(),
            ok("other.com/named", "other.com", None, Some("sha256:1234567890098765432112345667890098765432112345667890098765432112".into())),
        ),
    ];
    check_parse(&rows);
}

/// `reference_test.go` TestDomainAndPath (WithName splits as `Parse` does) and
/// `normalize_test.go` TestNormalizedSplitHostname: input, domain, path.
#[test]
fn domain_and_path_tables() {
    let plain = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "", "test_com/foo"),
        ("test:8080/foo", "test:8080", "foo"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
    ];
    for (input, domain, path) in plain {
        let r = Reference::parse(input).ok();
        assert_eq!(
            r.as_ref().map(|r| (r.domain(), r.path())),
            Some((domain, path)),
            "{input}"
        );
    }
    let normalized = [
        ("test.com/foo", "test.com", "foo"),
        ("test_com/foo", "docker.io", "test_com/foo"),
        ("docker/migrator", "docker.io", "docker/migrator"),
        ("test.com:8080/foo", "test.com:8080", "foo"),
        ("test-com:8080/foo", "test-com:8080", "foo"),
        ("foo", "docker.io", "library/foo"),
        ("xn--n3h.com/foo", "xn--n3h.com", "foo"),
        ("xn--n3h.com:18080/foo", "xn--n3h.com:18080", "foo"),
        ("docker.io/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo", "docker.io", "library/foo"),
        ("docker.io/library/foo/bar", "docker.io", "library/foo/bar"),
    ];
    for (input, domain, path) in normalized {
        let r = Reference::parse_normalized_named(input).ok();
        assert_eq!(
            r.as_ref().map(|r| (r.domain(), r.path())),
            Some((domain, path)),
            "{input}"
        );
    }
}

/// Rows: input, whether `ParseNormalizedNamed` accepts it.
fn check_valid(rows: &[(&str, bool)]) {
    for (input, valid) in rows {
        assert_eq!(
            Reference::parse_normalized_named(input).is_ok(),
            *valid,
            "{input}"
        );
    }
}

/// `normalize_test.go` TestValidateReferenceName, TestValidateRemoteName and
/// TestInvalidReferenceComponents (`-foo`).
#[test]
fn validate_name_tables() {
    let namespace_too_long = "this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255/docker";
    check_valid(&[
        ("docker/docker", true),
        ("library/debian", true),
        ("debian", true),
        ("docker.io/docker/docker", true),
        ("docker.io/library/debian", true),
        ("docker.io/debian", true),
        ("index.docker.io/docker/docker", true),
        ("index.docker.io/library/debian", true),
        ("index.docker.io/debian", true),
        ("127.0.0.1:5000/docker/docker", true),
        ("127.0.0.1:5000/library/debian", true),
        ("127.0.0.1:5000/debian", true),
        ("192.168.0.1", true),
        ("192.168.0.1:80", true),
        ("192.168.0.1:8/debian", true),
        ("192.168.0.2:25000/debian", true),
        (
            "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
            true,
        ),
        ("[fc00::1]:5000/docker", true),
        ("[fc00::1]:5000/docker/docker", true),
        ("[fc00:1:2:3:4:5:6:7]:5000/library/debian", true),
        (
            "docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            true,
        ),
        ("Docker/docker", true),
        ("DOCKER/docker", true),
        ("https://github.com/docker/docker", false),
        ("docker/Docker", false),
        ("-docker", false),
        ("-docker/docker", false),
        ("-docker.io/docker/docker", false),
        ("docker///docker", false),
        ("docker.io/docker/Docker", false),
        ("docker.io/docker///docker", false),
        ("[fc00::1]", false),
        ("[fc00::1]:5000", false),
        ("fc00::1:5000/debian", false),
        ("[fe80::1%eth0]:5000/debian", false),
        ("[2001:db8:3:4::192.0.2.33]:5000/debian", false),
        (
            "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
            false,
        ),
        // TestValidateRemoteName.
        ("docker-rules/docker", true),
        ("docker---rules/docker", true),
        ("doc/docker", true),
        ("d/docker", true),
        ("jess/t", true),
        ("dock__er/docker", true),
        ("docker-/docker", false),
        ("-docker-/docker", false),
        ("____/____", false),
        ("_docker/_docker", false),
        ("dock..er/docker", false),
        ("dock_.er/docker", false),
        ("dock-.er/docker", false),
        ("docker/", false),
        (namespace_too_long, false),
        ("-foo", false),
    ]);
}

/// `normalize_test.go` TestParseRepositoryInfo: every familiar, full and ambiguous spelling
/// normalizes to the full name and familiarizes back; then TestParseReferenceWithTagAndDigest
/// and the names TestParseAnyReference resolves through `ParseNormalizedNamed`.
#[test]
fn repository_info_table() {
    // (remote name, familiar name, full name, ambiguous name, domain)
    let rows = [
        (
            "fooo/bar",
            "fooo/bar",
            "docker.io/fooo/bar",
            "index.docker.io/fooo/bar",
            "docker.io",
        ),
        (
            "library/ubuntu",
            "ubuntu",
            "docker.io/library/ubuntu",
            "library/ubuntu",
            "docker.io",
        ),
        (
            "nonlibrary/ubuntu",
            "nonlibrary/ubuntu",
            "docker.io/nonlibrary/ubuntu",
            "",
            "docker.io",
        ),
        (
            "other/library",
            "other/library",
            "docker.io/other/library",
            "",
            "docker.io",
        ),
        (
            "private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            "127.0.0.1:8000/private/moonbase",
            "",
            "127.0.0.1:8000",
        ),
        (
            "privatebase",
            "127.0.0.1:8000/privatebase",
            "127.0.0.1:8000/privatebase",
            "",
            "127.0.0.1:8000",
        ),
        (
            "private/moonbase",
            "example.com/private/moonbase",
            "example.com/private/moonbase",
            "",
            "example.com",
        ),
        (
            "privatebase",
            "example.com/privatebase",
            "example.com/privatebase",
            "",
            "example.com",
        ),
        (
            "private/moonbase",
            "example.com:8000/private/moonbase",
            "example.com:8000/private/moonbase",
            "",
            "example.com:8000",
        ),
        (
            "privatebasee",
            "example.com:8000/privatebasee",
            "example.com:8000/privatebasee",
            "",
            "example.com:8000",
        ),
        (
            "library/ubuntu-12.04-base",
            "ubuntu-12.04-base",
            "docker.io/library/ubuntu-12.04-base",
            "index.docker.io/library/ubuntu-12.04-base",
            "docker.io",
        ),
        (
            "library/foo",
            "foo",
            "docker.io/library/foo",
            "docker.io/foo",
            "docker.io",
        ),
        (
            "library/foo/bar",
            "library/foo/bar",
            "docker.io/library/foo/bar",
            "",
            "docker.io",
        ),
        (
            "store/foo/bar",
            "store/foo/bar",
            "docker.io/store/foo/bar",
            "",
            "docker.io",
        ),
        ("bar", "Foo/bar", "Foo/bar", "", "Foo"),
        ("bar", "FOO/bar", "FOO/bar", "", "FOO"),
    ];
    for (remote, familiar, full, ambiguous, domain) in rows {
        for input in [familiar, full, ambiguous]
            .into_iter()
            .filter(|s| !s.is_empty())
        {
            let Ok(r) = Reference::parse_normalized_named(input) else {
                panic!("{input}: unexpected error");
            };
            assert_eq!(r.familiar_name(), familiar, "{input}");
            assert_eq!(r.to_string(), full, "{input}");
            assert_eq!(r.domain(), domain, "{input}");
            assert_eq!(r.path(), remote, "{input}");
        }
    }
    let short =
        "busybox:latest@sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa";
    let r = Reference::parse_normalized_named(short).ok();
    assert_eq!(
        r.as_ref().map(ToString::to_string),
        Some(format!("docker.io/library/{short}"))
    );
    assert_eq!(r.as_ref().and_then(|r| r.tag()), Some("latest"));
    assert!(r.as_ref().and_then(|r| r.digest()).is_some());
    assert_eq!(r.map(|r| r.familiar_string()).as_deref(), Some(short));
    let dbcc = "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c";
    let any = [
        ("redis".to_owned(), "docker.io/library/redis".to_owned()),
        (
            "redis:latest".into(),
            "docker.io/library/redis:latest".into(),
        ),
        (
            "docker.io/library/redis:latest".into(),
            "docker.io/library/redis:latest".into(),
        ),
        (
            format!("redis@{dbcc}"),
            format!("docker.io/library/redis@{dbcc}"),
        ),
        (
            format!("docker.io/library/redis@{dbcc}"),
            format!("docker.io/library/redis@{dbcc}"),
        ),
        ("dmcgowan/myapp".into(), "docker.io/dmcgowan/myapp".into()),
        (
            "dmcgowan/myapp:latest".into(),
            "docker.io/dmcgowan/myapp:latest".into(),
        ),
        (
            "docker.io/mcgowan/myapp:latest".into(),
            "docker.io/mcgowan/myapp:latest".into(),
        ),
        (
            format!("dmcgowan/myapp@{dbcc}"),
            format!("docker.io/dmcgowan/myapp@{dbcc}"),
        ),
        (
            format!("docker.io/dmcgowan/myapp@{dbcc}"),
            format!("docker.io/dmcgowan/myapp@{dbcc}"),
        ),
        (
            "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9".into(),
            "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9"
                .into(),
        ),
        ("dbcc1".into(), "docker.io/library/dbcc1".into()),
    ];
    for (input, want) in any {
        let got = Reference::parse_normalized_named(&input)
            .map(|r| r.to_string())
            .ok();
        assert_eq!(got, Some(want.clone()), "{input}");
        assert_eq!(
            Reference::parse(&want).map(|r| r.to_string()).ok(),
            Some(want)
        );
    }
}

/// `regexp_test.go` TestFullNameRegexp: input, `None` for no match or the (domain, path)
/// captures.
#[test]
fn full_name_regexp_table() {
    let a129 = "a/".repeat(128) + "a";
    let a127 = "a/".repeat(127) + "a";
    let rows: Vec<(&str, Option<(&str, &str)>)> = vec![
        ("", None),
        ("short", Some(("", "short"))),
        ("simple/name", Some(("simple", "name"))),
        ("library/ubuntu", Some(("library", "ubuntu"))),
        ("docker/stevvooe/app", Some(("docker", "stevvooe/app"))),
        (
            "aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb",
            Some(("aa", "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb")),
        ),
        ("aa/aa/bb/bb/bb", Some(("aa", "aa/bb/bb/bb"))),
        ("a/a/a/a", Some(("a", "a/a/a"))),
        ("a/a/a/a/", None),
        ("a//a/a", None),
        ("a", Some(("", "a"))),
        ("a/aa", Some(("a", "aa"))),
        ("a/aa/a", Some(("a", "aa/a"))),
        ("foo.com", Some(("", "foo.com"))),
        ("foo.com/", None),
        ("foo.com:8080/bar", Some(("foo.com:8080", "bar"))),
        ("foo.com:http/bar", None),
        ("foo.com/bar", Some(("foo.com", "bar"))),
        ("foo.com/bar/baz", Some(("foo.com", "bar/baz"))),
        ("localhost:8080/bar", Some(("localhost:8080", "bar"))),
        (
            "sub-dom1.foo.com/bar/baz/quux",
            Some(("sub-dom1.foo.com", "bar/baz/quux")),
        ),
        ("blog.foo.com/bar/baz", Some(("blog.foo.com", "bar/baz"))),
        ("a^a", None),
        ("aa/asdf$$^/aa", None),
        ("asdf$$^/aa", None),
        ("aa-a/a", Some(("aa-a", "a"))),
        (&a129, Some(("a", &a127))),
        ("a-/a/a/a", None),
        ("foo.com/a-/a/a", None),
        ("-foo/bar", None),
        ("foo/bar-", None),
        ("foo-/bar", None),
        ("foo/-bar", None),
        ("_foo/bar", None),
        ("foo_bar", Some(("", "foo_bar"))),
        ("foo_bar.com", Some(("", "foo_bar.com"))),
        ("foo_bar.com:8080", None),
        ("foo_bar.com:8080/app", None),
        ("foo.com/foo_bar", Some(("foo.com", "foo_bar"))),
        ("____/____", None),
        ("_docker/_docker", None),
        ("docker_/docker_", None),
        (
            "b.gcr.io/test.example.com/my-app",
            Some(("b.gcr.io", "test.example.com/my-app")),
        ),
        ("xn--n3h.com/myimage", Some(("xn--n3h.com", "myimage"))),
        ("xn--7o8h.com/myimage", Some(("xn--7o8h.com", "myimage"))),
        (
            "example.com/xn--7o8h.com/myimage",
            Some(("example.com", "xn--7o8h.com/myimage")),
        ),
        (
            "example.com/some_separator__underscore/myimage",
            Some(("example.com", "some_separator__underscore/myimage")),
        ),
        ("example.com/__underscore/myimage", None),
        ("example.com/..dots/myimage", None),
        ("example.com/.dots/myimage", None),
        ("example.com/nodouble..dots/myimage", None),
        ("docker./docker", None),
        (".docker/docker", None),
        ("docker-/docker", None),
        ("-docker/docker", None),
        ("do..cker/docker", None),
        ("do__cker:8080/docker", None),
        ("do__cker/docker", Some(("", "do__cker/docker"))),
        (
            "registry.io/foo/project--id.module--name.ver---sion--name",
            Some((
                "registry.io",
                "foo/project--id.module--name.ver---sion--name",
            )),
        ),
        ("Asdf.com/foo/bar", Some(("Asdf.com", "foo/bar"))),
        ("Foo/FarB", None),
    ];
    for (input, want) in rows {
        let got = split_name(input.as_bytes()).map(|domain_end| match domain_end {
            Some(end) => (&input[..end], &input[end + 1..]),
            None => ("", input),
        });
        assert_eq!(got, want, "{input}");
    }
}

/// `regexp_test.go` TestReferenceRegexp: input, `None` for no match or the (name, tag,
/// digest) captures, `""` for an empty group.
#[test]
fn reference_regexp_table() {
    let d = "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912";
    type Captures<'a> = Option<(&'a str, &'a str, &'a str)>;
    let rows: Vec<(String, Captures)> = vec![
        (
            "registry.com:8080/myapp:tag".into(),
            Some(("registry.com:8080/myapp", "tag", "")),
        ),
        (
            format!("registry.com:8080/myapp@{d}"),
            Some(("registry.com:8080/myapp", "", d)),
        ),
        (
            format!("registry.com:8080/myapp:tag2@{d}"),
            Some(("registry.com:8080/myapp", "tag2", d)),
        ),
        ("registry.com:8080/myapp@sha256:badbadbadbad".into(), None),
        ("registry.com:8080/myapp:invalid~tag".into(), None),
        ("bad_hostname.com:8080/myapp:tag".into(), None),
        (
            format!("localhost:8080@{d}"),
            Some(("localhost", "8080", d)),
        ),
        (
            format!("localhost:8080/name@{d}"),
            Some(("localhost:8080/name", "", d)),
        ),
        (format!("localhost:http/name@{d}"), None),
        (format!("localhost@{d}"), Some(("localhost", "", d))),
        ("registry.com:8080/myapp@bad".into(), None),
        ("registry.com:8080/myapp@2bad".into(), None),
    ];
    for (input, want) in rows {
        let got = match_reference(&input).map(|m| {
            let part =
                |r: Option<std::ops::Range<usize>>| r.and_then(|r| input.get(r)).unwrap_or("");
            (&input[..m.name_end], part(m.tag), part(m.digest))
        });
        assert_eq!(got, want, "{input}");
    }
}
