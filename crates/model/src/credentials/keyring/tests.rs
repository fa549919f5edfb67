//! Tests of the keyring: every key-derivation row of docs/semantics.md §4.2 and the upstream tables of
//! kubernetes `pkg/credentialprovider/keyring_test.go` named in docs/semantics.md §4.3.

use proptest::prelude::*;

use super::*;
use crate::credentials::config::parse_dockercfg;
use crate::credentials::url_match::explain_urls_match_str;

fn entry(username: &str, password: &str, email: &str) -> DockerConfigEntry {
    DockerConfigEntry {
        username: username.to_owned(),
        password: password.to_owned(),
        email: email.to_owned(),
    }
}

fn node(index: usize) -> CredentialSource {
    CredentialSource::NodeConfig { index }
}

/// A keyring holding one config written as upstream's tests write it: an `email` and an `auth`
/// of `foo:bar` under `location`, parsed from JSON.
fn keyring_with_auth_at(location: &str) -> BasicDockerKeyring {
    let document =
        format!(r#"{{ "{location}": {{ "email": "foo@bar.baz", "auth": "Zm9vOmJhcg==" }} }}"#);
    let config = parse_dockercfg(document.as_bytes()).expect("upstream sample config parses");
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&node(0), &config);
    keyring
}

/// Every row of the key derivation table in docs/semantics.md §4.2.
#[test]
fn key_derivation_table() {
    let rows: &[(&str, &str)] = &[
        ("https://index.docker.io/v1/", "index.docker.io"),
        ("index.docker.io", "index.docker.io"),
        ("docker.io", "docker.io"),
        ("https://quay.io/v1/", "quay.io"),
        ("http://quay.io/v2/foo", "quay.io/foo"),
        ("quay.io/v1", "quay.io/v1"),
        ("registry.io/foo/", "registry.io/foo/"),
        ("https://registry.io:443/", "registry.io:443"),
        ("*.gcr.io", "*.gcr.io"),
        ("https://*.docker.io/path:1111", "*.docker.io/path:1111"),
        ("https://user@registry.io/x", "registry.io/x"),
        ("registry.io/v2/", "registry.io"),
        ("registry.io/v3/foo", "registry.io/v3/foo"),
        ("REGISTRY.io", "REGISTRY.io"),
        ("registry.io?x=1", "registry.io"),
        ("registry.io#frag", "registry.io"),
        ("http://[::1]:5000", "[::1]:5000"),
        // Beyond the table: what the rules imply at the edges.
        ("", ""),
        // Scheme matching is case-sensitive: host "HTTPS:" and path "//registry.io".
        ("HTTPS://registry.io", "HTTPS://registry.io"),
        ("registry.io/v1//x", "registry.io//x"),
        ("registry.io/a%2Fb", "registry.io/a/b"),
    ];
    for (location, key) in rows {
        assert_eq!(
            keyring_key(location).as_deref(),
            Ok(*key),
            "location {location:?}"
        );
    }
    assert_eq!(
        keyring_key("reg istry.io").map_err(|e| e.to_string()),
        Err("parse \"https://reg istry.io\": invalid character \" \" in host name".to_owned())
    );
}

/// The sort example of docs/semantics.md §4.2 step 6: descending byte order after every add.
#[test]
fn index_sorts_descending_by_bytes() {
    let mut keyring = BasicDockerKeyring::new();
    let first: DockerConfig = [
        ("*.example.com", entry("glob", "", "")),
        ("registry.example.com", entry("host", "", "")),
    ]
    .into_iter()
    .collect();
    let second: DockerConfig = [
        ("https://index.docker.io/v1/", entry("hub", "", "")),
        ("registry.example.com/team", entry("team", "", "")),
        ("registry.example.com:5000", entry("port", "", "")),
        ("registry.example.com", entry("host2", "", "")),
    ]
    .into_iter()
    .collect();
    keyring.add(&node(0), &first);
    assert_eq!(keyring.index(), ["registry.example.com", "*.example.com"]);
    keyring.add(&node(1), &second);
    assert_eq!(
        keyring.index(),
        [
            "registry.example.com:5000",
            "registry.example.com/team",
            "registry.example.com",
            "index.docker.io",
            "*.example.com",
        ]
    );
    let under_host: Vec<&str> = keyring
        .filed("registry.example.com")
        .iter()
        .map(|filed| filed.entry.username.as_str())
        .collect();
    assert_eq!(
        under_host,
        ["host", "host2"],
        "credentials keep insertion order per key"
    );
}

/// Upstream `TestDockerKeyringForGlob`: the credential under each location is found for
/// `<target>/foo/bar`, and it is the `foo`/`bar`/`foo@bar.baz` credential.
#[test]
fn upstream_docker_keyring_for_glob() {
    let rows: &[(&str, &str)] = &[
        ("https://hello.kubernetes.io", "hello.kubernetes.io"),
        ("https://*.docker.io", "prefix.docker.io"),
        ("https://prefix.*.io", "prefix.docker.io"),
        ("https://prefix.docker.*", "prefix.docker.io"),
        ("https://*.docker.io/path", "prefix.docker.io/path"),
        ("https://prefix.*.io/path", "prefix.docker.io/path/subpath"),
        ("https://prefix.docker.*/path", "prefix.docker.io/path"),
        ("https://*.docker.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.*.io:8888", "prefix.docker.io:8888"),
        ("https://prefix.docker.*:8888", "prefix.docker.io:8888"),
        (
            "https://*.docker.io/path:1111",
            "prefix.docker.io/path:1111",
        ),
        ("https://*.docker.io/v1/", "prefix.docker.io/path:1111"),
        ("https://*.docker.io/v2/", "prefix.docker.io/path:1111"),
        (
            "https://prefix.docker.*/path:1111",
            "prefix.docker.io/path:1111",
        ),
        ("prefix.docker.io:1111", "prefix.docker.io:1111/path"),
        ("*.docker.io:1111", "prefix.docker.io:1111/path"),
    ];
    for (location, target) in rows {
        let found = keyring_with_auth_at(location).lookup(&format!("{target}/foo/bar"));
        let first = found
            .first()
            .map(|c| (c.username.as_str(), c.password.as_str(), c.email.as_str()));
        assert_eq!(
            first,
            Some(("foo", "bar", "foo@bar.baz")),
            "{location:?} for {target:?}"
        );
    }
}

/// Upstream `TestKeyringMiss`, `TestKeyringMissWithDockerHubCredentials` and the three
/// `TestKeyringHitWith*DockerHub` tests.
#[test]
fn upstream_keyring_miss_and_docker_hub_rows() {
    let rows: &[(&str, &str, usize)] = &[
        (
            "https://hello.kubernetes.io",
            "world.mesos.org/foo/bar/foo/bar",
            0,
        ),
        ("https://*.docker.com", "prefix.docker.io/foo/bar", 0),
        ("https://suffix.*.io", "prefix.docker.io/foo/bar", 0),
        ("https://prefix.docker.c*", "prefix.docker.io/foo/bar", 0),
        (
            "https://prefix.*.io/path:1111",
            "prefix.docker.io/path/subpath:1111/foo/bar",
            0,
        ),
        ("suffix.*.io", "prefix.docker.io/foo/bar", 0),
        ("https://index.docker.io/v1/", "world.mesos.org/foo/bar", 0),
        ("https://index.docker.io/v1/", "google/docker-registry", 1),
        ("https://index.docker.io/v1/", "jenkins", 1),
        (
            "https://index.docker.io/v1/",
            "index.docker.io/v1//google/docker-registry",
            1,
        ),
    ];
    for (location, image, found) in rows {
        let credentials = keyring_with_auth_at(location).lookup(image);
        assert_eq!(
            credentials.len(),
            *found,
            "{location:?} looking up {image:?}"
        );
        for credential in credentials {
            assert_eq!(
                (credential.username.as_str(), credential.key.as_str()),
                ("foo", DOCKER_HUB_KEY)
            );
        }
    }
}

/// Upstream `TestIsDefaultRegistryMatch`, plus the quirks docs/semantics.md §4.3 names.
#[test]
fn upstream_is_default_registry_match() {
    let rows: &[(&str, bool)] = &[
        ("foo/bar", true),
        ("docker.io/foo/bar", true),
        ("index.docker.io/foo/bar", true),
        ("foo", true),
        ("", false),
        ("registry.tld/foo/bar", false),
        ("registry:5000/foo/bar", false),
        ("myhostdocker.io/foo/bar", false),
        ("localhost/foo", true),
        ("Foo/bar", true),
        ("/foo", false),
        ("docker.io", true),
    ];
    for (image, expected) in rows {
        assert_eq!(is_default_registry_match(image), *expected, "{image:?}");
    }
}

fn users(credentials: &[TrackedCredential]) -> Vec<&str> {
    credentials.iter().map(|c| c.username.as_str()).collect()
}

/// Upstream `TestDockerKeyringLookup`: `bar.example.com/pong` (grace) and `bar.example.com` (ada).
#[test]
fn upstream_docker_keyring_lookup() {
    let config: DockerConfig = [
        (
            "bar.example.com/pong",
            entry("grace", "squash", "grace@example.com"),
        ),
        ("bar.example.com", entry("ada", "smash", "ada@example.com")),
    ]
    .into_iter()
    .collect();
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&node(0), &config);
    let rows: &[(&str, &[&str])] = &[
        ("bar.example.com", &["ada"]),
        ("bar.example.com/pong", &["grace", "ada"]),
        ("bar.example.com/ping", &["ada"]),
        ("bar.example.com/pongz", &["grace", "ada"]),
        ("bar.example.com/pong/pang", &["grace", "ada"]),
        ("example.com", &[]),
        ("foo.example.com", &[]),
    ];
    for (image, expected) in rows {
        let found = keyring.lookup(image);
        assert_eq!(users(&found), *expected, "{image:?}");
    }
    let pong = keyring.lookup("bar.example.com/pong");
    assert_eq!(
        pong.first(),
        Some(&TrackedCredential {
            username: "grace".to_owned(),
            password: "squash".to_owned(),
            email: "grace@example.com".to_owned(),
            key: "bar.example.com/pong".to_owned(),
            source: node(0),
        })
    );
}

/// Upstream `TestIssue3797`: a key with scheme and `/v1/` path matches host-only images.
#[test]
fn upstream_issue_3797() {
    let config: DockerConfig = [(
        "https://quay.io/v1/",
        entry("rex", "tiny arms", "rex@example.com"),
    )]
    .into_iter()
    .collect();
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&node(0), &config);
    for image in ["quay.io", "quay.io/foo", "quay.io/foo/bar"] {
        assert_eq!(users(&keyring.lookup(image)), ["rex"], "{image:?}");
    }
}

/// The Docker Hub fallback applies only when no key matched, and by the old Docker rule.
#[test]
fn docker_hub_fallback_rules() {
    let config: DockerConfig = [
        ("https://index.docker.io/v1/", entry("hub", "", "")),
        ("docker.io", entry("dockerio", "", "")),
        ("*.io", entry("anyio", "", "")),
    ]
    .into_iter()
    .collect();
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&node(0), &config);
    let rows: &[(&str, &[&str])] = &[
        // `docker.io` matches (and `*.io`), so the fallback is not used.
        ("docker.io/library/nginx", &["dockerio", "anyio"]),
        // Quirks: these are "default registry" images, so they get Docker Hub credentials.
        ("localhost/app", &["hub"]),
        ("Foo/bar", &["hub"]),
        ("registry.local:5000/app", &[]),
        ("quay.io/app", &["anyio"]),
    ];
    for (image, expected) in rows {
        assert_eq!(users(&keyring.lookup(image)), *expected, "{image:?}");
    }
}

#[test]
fn add_reports_ignored_and_dead_entries() {
    let config: DockerConfig = [
        ("registry.io", entry("ok", "", "")),
        ("reg istry.io", entry("bad", "", "")),
        ("", entry("empty", "", "")),
        ("[::ffff:1.2.3.4]", entry("mapped", "", "")),
        ("registry.io/a%25zz", entry("percent", "", "")),
    ]
    .into_iter()
    .collect();
    let mut keyring = BasicDockerKeyring::new();
    let report: Vec<String> = keyring
        .add(&node(0), &config)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        report,
        [
            "entry \"registry.io\" filed under key \"registry.io\"",
            "entry \"reg istry.io\" ignored: parse \"https://reg istry.io\": invalid character \" \" in host name",
            "entry \"\" filed under key \"\" (no host: matches no image)",
            "entry \"[::ffff:1.2.3.4]\" filed under key \"[::ffff:1.2.3.4]\" (label \"[::ffff:1\" is not a valid pattern: matches no image)",
            "entry \"registry.io/a%25zz\" filed under key \"registry.io/a%zz\" (the key does not parse: parse \"https://registry.io/a%zz\": invalid URL escape \"%zz\": matches no image)",
        ]
    );
    assert_eq!(
        keyring.index(),
        ["registry.io/a%zz", "registry.io", "[::ffff:1.2.3.4]", ""]
    );
    assert_eq!(users(&keyring.lookup("registry.io/app")), ["ok"]);
    // An image that does not parse matches nothing either (every URLsMatchStr fails).
    assert_eq!(
        users(&keyring.lookup("registry.io/a%zz")),
        Vec::<&str>::new()
    );
    assert_eq!(users(&keyring.lookup("a.b.c.d/x")), Vec::<&str>::new());
}

#[test]
fn explanations_say_why() {
    let config: DockerConfig = [
        ("registry.example.com", entry("host", "", "")),
        ("https://index.docker.io/v1/", entry("hub", "", "")),
        ("registry.example.com:5000", entry("port", "", "")),
    ]
    .into_iter()
    .collect();
    let mut keyring = BasicDockerKeyring::new();
    keyring.add(&node(0), &config);
    let explanation = keyring.explain_lookup("registry.example.com/team/app");
    let reasons: Vec<String> = explanation
        .matches
        .iter()
        .map(|(_, r)| r.to_string())
        .collect();
    assert_eq!(
        reasons,
        ["key \"registry.example.com\" matches: same host, path \"\" is a prefix of \"/team/app\""]
    );
    let misses: Vec<String> = explanation.misses.iter().map(ToString::to_string).collect();
    assert_eq!(
        misses,
        [
            "key \"registry.example.com:5000\" does not match: port \"\" is not \"5000\" (ports must be equal strings)",
            "key \"index.docker.io\" does not match: label \"registry\" does not match pattern \"index\"",
        ]
    );
    let hub = keyring.explain_lookup("docker.io/library/nginx");
    let reasons: Vec<String> = hub.matches.iter().map(|(_, r)| r.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "Docker Hub fallback: key \"index.docker.io\" and image \"docker.io/library/nginx\" is a default-registry image"
        ]
    );
    assert_eq!(
        hub.credentials().first().map(|c| c.key.as_str()),
        Some(DOCKER_HUB_KEY)
    );
}

#[test]
fn sources_print_short() {
    let secret = CredentialSource::PodSecret {
        index: 2,
        namespace: "default".to_owned(),
        name: "regcred".to_owned(),
        uid: None,
    };
    assert_eq!(secret.to_string(), "pod-secret[2]");
    assert_eq!(node(0).to_string(), "node-config[0]");
}

fn location() -> impl Strategy<Value = String> {
    let scheme = prop::sample::select(vec!["", "https://", "http://"]);
    let host = prop::sample::select(vec![
        "a.io",
        "b.a.io",
        "*.io",
        "a.io:5000",
        "index.docker.io",
        "A.io",
    ]);
    let path = prop::sample::select(vec!["", "/", "/v1/", "/v2/x", "/team", "/team/app", "/t"]);
    (scheme, host, path).prop_map(|(s, h, p)| format!("{s}{h}{p}"))
}

proptest! {
    /// After any sequence of adds the index is strictly descending (sorted, no duplicates),
    /// every filed key is in it, and lookups only return credentials whose key is indexed.
    #[test]
    fn index_invariants(configs in prop::collection::vec(prop::collection::vec(location(), 0..4), 0..4), image in location()) {
        let mut keyring = BasicDockerKeyring::new();
        for (index, locations) in configs.iter().enumerate() {
            let config: DockerConfig = locations.iter().map(|l| (l.clone(), entry(l, "", ""))).collect();
            keyring.add(&node(index), &config);
        }
        prop_assert!(keyring.index().windows(2).all(|pair| pair[0].as_bytes() > pair[1].as_bytes()));
        for key in keyring.index() {
            prop_assert!(!keyring.filed(key).is_empty());
        }
        let image = image.trim_start_matches("https://").trim_start_matches("http://");
        for credential in keyring.lookup(image) {
            prop_assert!(keyring.index().contains(&credential.key));
        }
        prop_assert_eq!(keyring.lookup(image), keyring.explain_lookup(image).credentials());
        // Keys are parsed once at `add`; the verdicts must be those of `URLsMatchStr` itself.
        for key in keyring.index() {
            let direct = explain_urls_match_str(key, image);
            let explained = keyring.explain_lookup(image);
            let cached = explained
                .matches
                .iter()
                .find_map(|(_, reason)| match reason {
                    MatchReason::Key { key: matched, verdict } if matched == key => Some(Ok(verdict.clone())),
                    _ => None,
                })
                .or_else(|| explained.misses.iter().find(|miss| &miss.key == key).map(|miss| miss.verdict.clone()));
            prop_assert_eq!(cached, Some(direct), "key {}", key);
        }
    }
}
