//! The hand-written matcher against an oracle built from distribution/reference v0.6.0's own
//! regexps (`regexp.go`, compiled by the `regex` crate, which shares RE2's leftmost-first
//! submatch semantics), plus the invariants every parse must keep.

use std::sync::LazyLock;

use proptest::prelude::*;
use regex::Regex;

use crate::go::text as go_text;
use crate::reference::*;

/// The productions of `regexp.go`, spelled as upstream spells them. `\w` is written ASCII-only
/// because Go's `\w` is ASCII while the `regex` crate's is Unicode by default.
mod pattern {
    pub(super) const ALPHANUMERIC: &str = r"[a-z0-9]+";
    pub(super) const SEPARATOR: &str = r"(?:[._]|__|[-]+)";
    pub(super) const DOMAIN_NAME_COMPONENT: &str =
        r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
    pub(super) const OPTIONAL_PORT: &str = r"(?::[0-9]+)?";
    pub(super) const TAG: &str = r"(?-u:\w)(?-u:[\w.-]){0,127}";
    pub(super) const DIGEST: &str =
        r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
    pub(super) const IDENTIFIER: &str = r"([a-f0-9]{64})";
    pub(super) const IPV6: &str = r"\[(?:[a-fA-F0-9:]+)\]";
}

fn domain_and_port() -> String {
    use pattern::*;
    let domain_name = format!(r"{DOMAIN_NAME_COMPONENT}(?:\.{DOMAIN_NAME_COMPONENT})*");
    format!("(?:{domain_name}|{IPV6}){OPTIONAL_PORT}")
}

fn remote_name() -> String {
    use pattern::*;
    let path_component = format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*");
    format!("{path_component}(?:/{path_component})*")
}

static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    let name = format!("(?:{}/)?{}", domain_and_port(), remote_name());
    let text = format!(
        "^({name})(?::({}))?(?:@({}))?$",
        pattern::TAG,
        pattern::DIGEST
    );
    Regex::new(&text).unwrap_or_else(|err| panic!("reference regexp: {err}"))
});

static ANCHORED_NAME: LazyLock<Regex> = LazyLock::new(|| {
    let text = format!("^(?:({})/)?({})$", domain_and_port(), remote_name());
    Regex::new(&text).unwrap_or_else(|err| panic!("name regexp: {err}"))
});

static IDENTIFIER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!("^{}$", pattern::IDENTIFIER))
        .unwrap_or_else(|err| panic!("identifier: {err}"))
});

/// What a parse yields, in a form both sides can produce: name, domain, path, tag, digest.
type Outcome = Result<(String, String, String, Option<String>, Option<String>), ReferenceError>;

fn outcome(parsed: Result<Reference, ReferenceError>) -> Outcome {
    parsed.map(|r| {
        (
            r.name(),
            r.domain().to_owned(),
            r.path().to_owned(),
            r.tag().map(str::to_owned),
            r.digest().map(ToString::to_string),
        )
    })
}

/// distribution/reference `Parse`, line by line, on the regexps.
fn oracle_parse(s: &str) -> Outcome {
    if s.is_empty() {
        return Err(ReferenceError::NameEmpty);
    }
    let Some(caps) = REFERENCE.captures(s) else {
        let lower = go_text::to_lower(s);
        if lower != s && REFERENCE.is_match(&lower) {
            return Err(ReferenceError::NameContainsUppercase);
        }
        return Err(ReferenceError::InvalidFormat);
    };
    let group = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let name = group(1);
    let (domain, path) = match ANCHORED_NAME.captures(name) {
        Some(n) => (
            n.get(1).map_or("", |m| m.as_str()),
            n.get(2).map_or("", |m| m.as_str()),
        ),
        None => ("", name),
    };
    if path.len() > PATH_LENGTH_MAX {
        return Err(ReferenceError::NameTooLong);
    }
    let digest = match group(3) {
        "" => None,
        text => Some(Digest::parse(text)?.to_string()),
    };
    let tag = Some(group(2)).filter(|t| !t.is_empty()).map(str::to_owned);
    Ok((
        name.to_owned(),
        domain.to_owned(),
        path.to_owned(),
        tag,
        digest,
    ))
}

/// distribution/reference v0.6.0 `ParseNormalizedNamed` with v0.6.0's `splitDockerDomain`,
/// whose shape (one combined condition, then the legacy rewrite) differs from ours on purpose.
fn oracle_normalized(s: &str) -> Outcome {
    if IDENTIFIER.is_match(s) {
        return Err(ReferenceError::Identifier { name: s.to_owned() });
    }
    let (mut domain, mut remainder) = match s.find('/') {
        Some(i)
            if s[..i].contains(['.', ':'])
                || &s[..i] == "localhost"
                || go_text::to_lower(&s[..i]) != s[..i] =>
        {
            (s[..i].to_owned(), s[i + 1..].to_owned())
        }
        _ => ("docker.io".to_owned(), s.to_owned()),
    };
    if domain == "index.docker.io" {
        domain = "docker.io".to_owned();
    }
    if domain == "docker.io" && !remainder.contains('/') {
        remainder = format!("library/{remainder}");
    }
    let remote = remainder.split(':').next().unwrap_or_default();
    if go_text::to_lower(remote) != remote {
        return Err(ReferenceError::RemoteNotLowercase {
            remote: remote.to_owned(),
        });
    }
    oracle_parse(&format!("{domain}/{remainder}"))
}

/// Pieces that combine into valid, nearly valid and invalid references.
const TOKENS: &[&str] = &[
    "a",
    "b",
    "z",
    "A",
    "Z",
    "0",
    "9",
    "ab",
    "Foo",
    ".",
    "_",
    "__",
    "___",
    "-",
    "--",
    ":",
    "/",
    "//",
    "@",
    "[",
    "]",
    "[::1]",
    "[fe80::1%eth0]",
    "[::ffff:1.2.3.4]",
    "localhost",
    "docker.io",
    "index.docker.io",
    "library",
    "example.com",
    "my_registry.com",
    "5000",
    ":5000",
    "latest",
    "LATEST",
    "v1.0",
    "é",
    "É",
    "\u{130}",
    "\u{212a}",
    "日",
    "sha256:",
    "SHA256:",
    "md5:",
    "sha512:",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "0123456789abcdef0123456789ABCDEF",
    "ffffffffffffffff",
];

fn token_string() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(TOKENS), 1..14)
        .prop_map(|parts| parts.concat())
}

fn alphabet_string() -> impl Strategy<Value = String> {
    "[a-cA-C0-9._:/@\\[\\]-]{0,24}|[a-z0-9._/:@-]{0,40}|[a-zé\u{130}\u{212a}./:@_-]{0,20}"
}

fn long_string() -> impl Strategy<Value = String> {
    (proptest::sample::select(TOKENS), 1usize..10_240)
        .prop_map(|(token, n)| token.repeat(n).chars().take(10_240).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_agrees_with_the_regexp_oracle(s in prop_oneof![token_string(), alphabet_string()]) {
        prop_assert_eq!(outcome(Reference::parse(&s)), oracle_parse(&s), "Parse({:?})", s);
        prop_assert_eq!(
            outcome(Reference::parse_normalized_named(&s)),
            oracle_normalized(&s),
            "ParseNormalizedNamed({:?})",
            s
        );
    }

    #[test]
    fn printing_parses_back_and_normalizing_is_idempotent(s in prop_oneof![token_string(), alphabet_string()]) {
        if let Ok(r) = Reference::parse(&s) {
            prop_assert_eq!(r.to_string(), s.clone());
            prop_assert_eq!(Reference::parse(&r.to_string()), Ok(r.clone()));
        }
        if let Ok(r) = Reference::parse_normalized_named(&s) {
            prop_assert_eq!(Reference::parse(&r.to_string()), Ok(r.clone()));
            prop_assert_eq!(Reference::parse_normalized_named(&r.to_string()), Ok(r.clone()));
        }
        if let Ok(r) = parse_docker_ref(&s) {
            prop_assert!(r.tag().is_some() != r.digest().is_some());
            prop_assert_eq!(parse_docker_ref(&r.to_string()), Ok(r.clone()));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn nothing_panics_on_any_text(s in prop_oneof![any::<String>(), "\\PC{0,300}", long_string(), token_string()]) {
        let _ = Reference::parse(&s);
        let _ = Reference::parse_normalized_named(&s);
        let _ = parse_docker_ref(&s);
        let _ = apply_default_image_tag(&s);
        if let Err(err) = parse_image_name(&s) {
            prop_assert!(err.to_string().starts_with("couldn't parse image name \""));
        }
        let quoted = go_text::quote(&s);
        prop_assert!(quoted.starts_with('"') && quoted.ends_with('"') && quoted.len() >= 2);
    }
}

/// The oracle itself must agree with upstream on a few known rows, or the proptests above
/// would prove nothing.
#[test]
fn oracle_reproduces_known_rows() {
    let f64 = "f".repeat(64);
    let rows: Vec<(String, Outcome)> = vec![
        (
            "test:5000/repo".into(),
            Ok((
                "test:5000/repo".into(),
                "test:5000".into(),
                "repo".into(),
                None,
                None,
            )),
        ),
        (
            "test_com/x".into(),
            Ok((
                "test_com/x".into(),
                String::new(),
                "test_com/x".into(),
                None,
                None,
            )),
        ),
        (
            "Uppercase:tag".into(),
            Err(ReferenceError::NameContainsUppercase),
        ),
        (
            format!("repo@sha256:{}", &f64[..34]),
            Err(ReferenceError::Digest(DigestError::InvalidLength)),
        ),
        (
            "lowercase:Uppercase".into(),
            Ok((
                "lowercase".into(),
                String::new(),
                "lowercase".into(),
                Some("Uppercase".into()),
                None,
            )),
        ),
        (
            "nginx:\u{212a}".into(),
            Err(ReferenceError::NameContainsUppercase),
        ),
        (
            "nginx:\u{130}".into(),
            Err(ReferenceError::NameContainsUppercase),
        ),
        ("nginx:é".into(), Err(ReferenceError::InvalidFormat)),
    ];
    for (input, want) in rows {
        assert_eq!(oracle_parse(&input), want, "oracle on {input}");
        assert_eq!(outcome(Reference::parse(&input)), want, "parser on {input}");
    }
}
