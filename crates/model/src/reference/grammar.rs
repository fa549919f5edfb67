//! The reference grammar of distribution/reference v0.6.0 (`regexp.go`) as a hand-written,
//! single-pass matcher: the anchored regexps decide, and this file reproduces their answers and
//! capture groups without a regex engine (docs/semantics.md §1.2).
//!
//! Why the captures are unique: the grammar's only ambiguity is whether the first `/`-separated
//! part of a name is a domain. Go's leftmost-first matching tries the optional domain first, so
//! it is a domain whenever it can be one. Everything else is fixed by the alphabet: names and
//! tags never contain `@`, tags never contain `:` or `/`, and a `:` in a name lies in its domain,
//! before the first `/`. The regexp oracle in `tests/oracle.rs` checks this reasoning.

use std::ops::Range;

/// The capture groups of `ReferenceRegexp` (`^(name)(?::(tag))?(?:@(digest))?$`) plus the
/// domain split `anchoredNameRegexp` then makes of the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReferenceMatch {
    /// Where the name ends (it always starts at 0).
    pub(crate) name_end: usize,
    /// Where the domain ends, when the name has one; the path then starts one byte later.
    pub(crate) domain_end: Option<usize>,
    /// The tag, without its `:`.
    pub(crate) tag: Option<Range<usize>>,
    /// The digest, without its `@`; it matched the grammar but go-digest has not validated it.
    pub(crate) digest: Option<Range<usize>>,
}

/// Matches `s` against the anchored reference regexp, returning the captures on a match.
pub(crate) fn match_reference(s: &str) -> Option<ReferenceMatch> {
    let bytes = s.as_bytes();
    let (head_end, digest) = match bytes.iter().position(|&b| b == b'@') {
        Some(at) => (at, Some(at + 1..bytes.len())),
        None => (bytes.len(), None),
    };
    if let Some(range) = &digest
        && !is_digest_pattern(bytes.get(range.clone())?)
    {
        return None;
    }
    let head = bytes.get(..head_end)?;
    let (name_end, tag) = match head.iter().rposition(|&b| b == b':') {
        Some(colon) if !head.get(colon + 1..)?.contains(&b'/') => {
            (colon, Some(colon + 1..head_end))
        }
        _ => (head_end, None),
    };
    if let Some(range) = &tag
        && !is_tag(bytes.get(range.clone())?)
    {
        return None;
    }
    let domain_end = split_name(bytes.get(..name_end)?)?;
    Some(ReferenceMatch {
        name_end,
        domain_end,
        tag,
        digest,
    })
}

/// Matches a name against `anchoredNameRegexp` (`^(?:(domainAndPort)/)?(remoteName)$`).
/// `None` means no match; `Some(None)` a match without a domain (the whole name is the path);
/// `Some(Some(i))` a domain ending at byte `i`.
pub(crate) fn split_name(name: &[u8]) -> Option<Option<usize>> {
    let Some(slash) = name.iter().position(|&b| b == b'/') else {
        return is_path_component(name).then_some(None);
    };
    let (first, rest) = (name.get(..slash)?, name.get(slash + 1..)?);
    if !is_remote_name(rest) {
        return None;
    }
    if is_domain_and_port(first) {
        Some(Some(slash))
    } else if is_path_component(first) {
        Some(None)
    } else {
        None
    }
}

/// `remoteName`: one or more path components joined by single `/`.
pub(crate) fn is_remote_name(s: &[u8]) -> bool {
    s.split(|&b| b == b'/').all(is_path_component)
}

/// `pathComponent`: `[a-z0-9]+` runs joined by the separators `.`, `_`, `__` or any run of `-`.
pub(crate) fn is_path_component(s: &[u8]) -> bool {
    let lower_alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    match (s.first(), s.last()) {
        (Some(&first), Some(&last)) if lower_alnum(first) && lower_alnum(last) => {}
        _ => return false,
    }
    // Because the ends are alphanumeric, every non-alphanumeric run sits between two
    // alphanumeric runs and must be exactly one separator.
    s.split(|&b| lower_alnum(b)).all(|run| {
        run.is_empty()
            || run == b"."
            || run == b"_"
            || run == b"__"
            || run.iter().all(|&b| b == b'-')
    })
}

/// `domainAndPort`: a host (domain name, or bracketed IPv6 of `[a-fA-F0-9:]+`) and an
/// optional `:` followed by one or more digits (no range check, leading zeros allowed).
pub(crate) fn is_domain_and_port(s: &[u8]) -> bool {
    let host_end = if s.first() == Some(&b'[') {
        let Some(close) = s.iter().position(|&b| b == b']') else {
            return false;
        };
        let inside = s.get(1..close).unwrap_or_default();
        if inside.is_empty() || !inside.iter().all(|&b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        close + 1
    } else {
        let end = s.iter().position(|&b| b == b':').unwrap_or(s.len());
        if !is_domain_name(s.get(..end).unwrap_or_default()) {
            return false;
        }
        end
    };
    match s.get(host_end..) {
        Some([]) => true,
        Some([b':', port @ ..]) => !port.is_empty() && port.iter().all(u8::is_ascii_digit),
        _ => false,
    }
}

/// `domainName`: components of ASCII letters, digits and inner `-`, joined by single `.`;
/// uppercase is allowed, `_` is not.
pub(crate) fn is_domain_name(s: &[u8]) -> bool {
    s.split(|&b| b == b'.')
        .all(|part| match (part.first(), part.last()) {
            (Some(first), Some(last)) => {
                first.is_ascii_alphanumeric()
                    && last.is_ascii_alphanumeric()
                    && part.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            }
            _ => false,
        })
}

/// `tag`: `[\w][\w.-]{0,127}`, so 1 to 128 bytes.
pub(crate) fn is_tag(s: &[u8]) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match s.split_first() {
        Some((&first, rest)) => {
            word(first)
                && rest.len() <= 127
                && rest.iter().all(|&b| word(b) || b == b'.' || b == b'-')
        }
        None => false,
    }
}

/// `digestPat`: an algorithm of components `[A-Za-z][A-Za-z0-9]*` joined by single `-`, `_`,
/// `+` or `.`, then `:` and at least 32 hex digits of either case.
pub(crate) fn is_digest_pattern(s: &[u8]) -> bool {
    let Some(colon) = s.iter().position(|&b| b == b':') else {
        return false;
    };
    let (algorithm, hex) = (
        s.get(..colon).unwrap_or_default(),
        s.get(colon + 1..).unwrap_or_default(),
    );
    let algorithm_ok = algorithm
        .split(|&b| matches!(b, b'-' | b'_' | b'+' | b'.'))
        .all(|part| match part.split_first() {
            Some((first, rest)) => {
                first.is_ascii_alphabetic() && rest.iter().all(u8::is_ascii_alphanumeric)
            }
            None => false,
        });
    algorithm_ok && hex.len() >= 32 && hex.iter().all(u8::is_ascii_hexdigit)
}

/// `anchoredIdentifierRegexp`: exactly 64 lowercase hex digits.
pub(crate) fn is_identifier(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of distribution/reference `regexp_test.go` TestDomainRegexp: input, matches.
    fn check_domain(rows: &[(&str, bool)]) {
        for (input, want) in rows {
            assert_eq!(is_domain_and_port(input.as_bytes()), *want, "{input}");
        }
    }

    #[test]
    fn domain_regexp_table() {
        check_domain(&[
            ("test.com", true),
            ("test.com:10304", true),
            ("test.com:http", false),
            ("localhost", true),
            ("localhost:8080", true),
            ("a", true),
            ("a.b", true),
            ("ab.cd.com", true),
            ("a-b.com", true),
            ("-ab.com", false),
            ("ab-.com", false),
            ("ab.c-om", true),
            ("ab.-com", false),
            ("ab.com-", false),
            ("0101.com", true),
            ("001a.com", true),
            ("b.gbc.io:443", true),
            ("b.gbc.io", true),
            ("xn--n3h.com", true),
            ("Asdf.com", true),
            ("192.168.1.1:75050", true),
            ("192.168.1.1:750050", true),
            ("[fd00:1:2::3]:75050", true),
            ("[fd00:1:2::3]75050", false),
            ("[fd00:1:2::3]::75050", false),
            ("[fd00:1:2::3%eth0]:75050", false),
            ("[fd00123123123]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", true),
            ("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", true),
            ("fd00:1:2::3:75050", false),
            // Our additions: empty parts, empty brackets, IPv4-mapped and zone forms.
            ("", false),
            ("a..b", false),
            ("a.", false),
            ("test.com:", false),
            ("[]", false),
            ("[::ffff:1.2.3.4]", false),
            ("[fe80::1%25eth0]", false),
            ("[::1]x", false),
            ("my_registry.com", false),
        ]);
    }

    /// Rows of `regexp_test.go` TestIdentifierRegexp.
    #[test]
    fn identifier_regexp_table() {
        let rows = [
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
                true,
            ),
            (
                "7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C",
                false,
            ),
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf",
                false,
            ),
            (
                "sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
                false,
            ),
            (
                "da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482",
                false,
            ),
        ];
        for (input, want) in rows {
            assert_eq!(is_identifier(input), want, "{input}");
        }
    }

    #[test]
    fn tag_and_digest_patterns() {
        let tags = [
            ("a", true),
            ("_", true),
            ("latest", true),
            ("v1.2-rc_3", true),
            ("LATEST", true),
            (".a", false),
            ("-a", false),
            ("", false),
            ("a/b", false),
            ("a:b", false),
        ];
        for (input, want) in tags {
            assert_eq!(is_tag(input.as_bytes()), want, "{input}");
        }
        assert!(is_tag("x".repeat(128).as_bytes()));
        assert!(!is_tag("x".repeat(129).as_bytes()));
        let digests = [
            ("sha256:0123456789abcdef0123456789ABCDEF", true),
            ("sha256:0123456789abcdef0123456789abcde", false),
            ("sha256+b64.x-y_z:0123456789abcdef0123456789abcdef", true),
            ("2bad:0123456789abcdef0123456789abcdef", false),
            ("a..b:0123456789abcdef0123456789abcdef", false),
            ("a.1b:0123456789abcdef0123456789abcdef", false),
            (":0123456789abcdef0123456789abcdef", false),
            ("sha256:0123456789abcdef0123456789abcdeg", false),
            ("bad", false),
        ];
        for (input, want) in digests {
            assert_eq!(is_digest_pattern(input.as_bytes()), want, "{input}");
        }
    }
}
