//! The slice of Go's `net/url` and `net.SplitHostPort` that the kubelet's credential code uses,
//! reproduced so that key derivation, matching and "entry ignored" decisions agree with it.
//!
//! Upstream: `golang/go` `src/net/url/url.go` (`Parse`, `parse`, `getScheme`, `parseAuthority`,
//! `parseHost`, `validOptionalPort`, `validUserinfo`, `unescape`, `shouldEscape`) and
//! `src/net/ipsock.go` (`SplitHostPort`); kubernetes `pkg/credentialprovider/keyring.go`
//! (`ParseSchemelessURL`, `SplitURL`).
//!
//! Go version followed: 1.26 with the defaults of kubernetes mainline (`godebug default=go1.26`):
//! - a bracketed host must hold an IPv6 address (`[1.2.3.4]` and `[foo]` are errors, CVE-2025-47912
//!   fix, Go 1.24.8/1.25.2+), and a `[` anywhere but first in the host is `invalid IP-literal`;
//! - for `http`/`https` URLs a host with several colons outside brackets is an error
//!   (`urlstrictcolons=1`, Go 1.26). Kubelets built with `godebug default=go1.25` (Kubernetes 1.35)
//!   instead take the port after the last colon, so `a:1:2` parses there; this file does not model
//!   that older rule.
//!
//! Kept: scheme, opaque part, userinfo, host (`%`-decoded), path (`%`-decoded), raw query and
//! fragment. Not kept: `RawPath`, `RawFragment`, `ForceQuery`, `OmitHost`, which never affect what
//! the kubelet reads. One representation difference: Go strings are bytes, so a `%`-escape can
//! decode to invalid UTF-8; here such bytes become U+FFFD.

use thiserror::Error;

use super::ip_literal::{IpFamily, IpParseError, parse_ip_addr};
use crate::go::text::{quote as go_quote, quote_bytes as go_quote_bytes};

/// The fields of a Go `*url.URL` that the kubelet reads, after Go's decoding.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoUrl {
    /// Lower-cased scheme (`https`), or empty (always empty after [`parse_schemeless_url`]).
    pub scheme: String,
    /// The part after `scheme:` when it does not start with `/` (`mailto:x` has opaque `x`).
    pub opaque: String,
    /// `user[:password]@` before the host, decoded; the kubelet ignores it.
    pub user: Option<UserInfo>,
    /// `host[:port]` as Go keeps it: decoded, port included, brackets kept for IPv6.
    pub host: String,
    /// The decoded path (`/team/app`), empty when the URL has none.
    pub path: String,
    /// Everything after the first `?` and before `#`, undecoded.
    pub raw_query: String,
    /// Everything after the first `#`, decoded.
    pub fragment: String,
}

/// Decoded `user[:password]` of a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// The user name (possibly empty).
    pub username: String,
    /// The password, when a `:` was present.
    pub password: Option<String>,
}

/// Go's `*url.Error` for the `parse` operation: `parse "<url>": <reason>`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("parse {}: {reason}", go_quote(url))]
pub struct UrlError {
    /// The text Go names in the message (the input without its `#fragment`, except for
    /// errors in the fragment itself, where it is the whole input).
    pub url: String,
    /// What was wrong, with Go's wording.
    pub reason: UrlErrorReason,
}

/// The reasons Go's `url.Parse` gives, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UrlErrorReason {
    /// A byte below 0x20 or 0x7F anywhere before the fragment.
    #[error("net/url: invalid control character in URL")]
    ControlCharacter,
    /// The input starts with `:`.
    #[error("missing protocol scheme")]
    MissingScheme,
    /// A relative URL whose first segment holds a `:` (cannot happen behind `https://`).
    #[error("first path segment in URL cannot contain colon")]
    ColonInFirstSegment,
    /// A character in `user:password@` outside RFC 3986's userinfo set.
    #[error("net/url: invalid userinfo")]
    InvalidUserinfo,
    /// A host starting with `[` but without `]`.
    #[error("missing ']' in host")]
    MissingBracket,
    /// What follows the host is not `:digits` (also when a host has several colons).
    #[error("invalid port {} after host", go_quote(.0))]
    InvalidPort(String),
    /// A `[` not at the start of the host, or an IPv4 address in brackets.
    #[error("invalid IP-literal")]
    InvalidIpLiteral,
    /// The text in brackets is not an IP address.
    #[error("invalid host: {0}")]
    InvalidHost(IpParseError),
    /// A `%` not followed by two hex digits, or `%XX` of an ASCII byte in a host.
    #[error("invalid URL escape {}", go_quote_bytes(.0))]
    InvalidEscape(Vec<u8>),
    /// An ASCII character that may not appear in a host name, such as a space or `\`.
    #[error("invalid character {} in host name", go_quote(.0))]
    InvalidHostCharacter(String),
}

/// Go's `url.Parse(raw)`, restricted to the fields in [`GoUrl`].
pub fn parse_go_url(raw: &str) -> Result<GoUrl, UrlError> {
    let (before_fragment, fragment) = match raw.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (raw, None),
    };
    let mut url = parse_without_fragment(before_fragment).map_err(|reason| UrlError {
        url: before_fragment.to_owned(),
        reason,
    })?;
    if let Some(fragment) = fragment {
        let decoded = unescape(fragment, Mode::Fragment).map_err(|reason| UrlError {
            url: raw.to_owned(),
            reason,
        })?;
        url.fragment = decoded;
    }
    Ok(url)
}

/// The kubelet's `ParseSchemelessURL(s)`: `url.Parse("https://" + s)` with the scheme cleared.
/// Errors name `https://` + `s`, as the kubelet's do.
pub fn parse_schemeless_url(schemeless: &str) -> Result<GoUrl, UrlError> {
    let mut url = parse_go_url(&format!("https://{schemeless}"))?;
    url.scheme.clear();
    Ok(url)
}

/// The host of a URL cut as the kubelet's `SplitURL` does: labels split on `.`, and the port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostLabels<'u> {
    /// The host split on every `.` (one empty label for an empty host).
    pub labels: Vec<&'u str>,
    /// The port as written, `""` when `net.SplitHostPort` found none or failed.
    pub port: &'u str,
}

/// The kubelet's `SplitURL(url)`: `net.SplitHostPort(url.Host)`; when that fails (no port,
/// too many colons, stray brackets) the whole host is kept and the port is empty.
pub fn split_url(url: &GoUrl) -> HostLabels<'_> {
    let (host, port) = host_and_port(url);
    HostLabels {
        labels: host.split('.').collect(),
        port,
    }
}

/// [`split_url`] before the host is split into labels: `(host, port)`, without allocating.
pub fn host_and_port(url: &GoUrl) -> (&str, &str) {
    split_host_port(&url.host).unwrap_or((url.host.as_str(), ""))
}

/// Go's `net.SplitHostPort`, answering only whether it succeeds and with what.
fn split_host_port(hostport: &str) -> Option<(&str, &str)> {
    let last_colon = hostport.rfind(':')?;
    let (host, checked_from) = if hostport.starts_with('[') {
        let close = hostport.find(']')?;
        // The `]` must be followed by the last `:` and nothing else may sit between them.
        if close + 1 != last_colon {
            return None;
        }
        (hostport.get(1..close)?, (1, close + 1))
    } else {
        let host = hostport.get(..last_colon)?;
        if host.contains(':') {
            return None;
        }
        (host, (0, 0))
    };
    if hostport.get(checked_from.0..)?.contains('[')
        || hostport.get(checked_from.1..)?.contains(']')
    {
        return None;
    }
    Some((host, hostport.get(last_colon + 1..)?))
}

/// Go's `parse(rawURL, viaRequest=false)`.
fn parse_without_fragment(raw: &str) -> Result<GoUrl, UrlErrorReason> {
    if raw.bytes().any(|b| b < 0x20 || b == 0x7F) {
        return Err(UrlErrorReason::ControlCharacter);
    }
    let mut url = GoUrl::default();
    if raw == "*" {
        url.path = "*".to_owned();
        return Ok(url);
    }
    let (scheme, mut rest) = split_scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = rest.get(..rest.len() - 1).unwrap_or_default();
    } else if let Some((before, query)) = rest.split_once('?') {
        url.raw_query = query.to_owned();
        rest = before;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            url.opaque = rest.to_owned();
            return Ok(url);
        }
        let first_segment = rest.split('/').next().unwrap_or_default();
        if first_segment.contains(':') {
            return Err(UrlErrorReason::ColonInFirstSegment);
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = rest.get(2..).unwrap_or_default();
        let (authority, path) = match authority_and_path.find('/') {
            Some(slash) => authority_and_path.split_at(slash),
            None => (authority_and_path, ""),
        };
        let (user, host) = parse_authority(&url.scheme, authority)?;
        url.user = user;
        url.host = host;
        rest = path;
    }
    url.path = unescape(rest, Mode::Path)?;
    Ok(url)
}

/// Go's `getScheme`: a leading `[A-Za-z][A-Za-z0-9+.-]*:` is a scheme, anything else is not.
fn split_scheme(raw: &str) -> Result<(&str, &str), UrlErrorReason> {
    for (i, byte) in raw.bytes().enumerate() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i == 0 => return Ok(("", raw)),
            b'0'..=b'9' | b'+' | b'-' | b'.' => {}
            b':' if i == 0 => return Err(UrlErrorReason::MissingScheme),
            b':' => {
                return Ok((
                    raw.get(..i).unwrap_or_default(),
                    raw.get(i + 1..).unwrap_or_default(),
                ));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseAuthority`: the host after the last `@` is parsed first, then the userinfo.
fn parse_authority(
    scheme: &str,
    authority: &str,
) -> Result<(Option<UserInfo>, String), UrlErrorReason> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(at) => (
            authority.get(..at),
            authority.get(at + 1..).unwrap_or_default(),
        ),
        None => (None, authority),
    };
    let host = parse_host(scheme, host)?;
    let Some(userinfo) = userinfo else {
        return Ok((None, host));
    };
    if !userinfo.chars().all(is_userinfo_char) {
        return Err(UrlErrorReason::InvalidUserinfo);
    }
    let user = match userinfo.split_once(':') {
        Some((name, password)) => UserInfo {
            username: unescape(name, Mode::UserPassword)?,
            password: Some(unescape(password, Mode::UserPassword)?),
        },
        None => UserInfo {
            username: unescape(userinfo, Mode::UserPassword)?,
            password: None,
        },
    };
    Ok((Some(user), host))
}

/// Go's `validUserinfo` alphabet.
fn is_userinfo_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c)
}

/// Go 1.26's `parseHost(scheme, host)`.
fn parse_host(scheme: &str, host: &str) -> Result<String, UrlErrorReason> {
    match host.rfind('[') {
        Some(0) => parse_ip_literal_host(host),
        Some(_) => Err(UrlErrorReason::InvalidIpLiteral),
        None => {
            if let Some(first_colon) = host.find(':') {
                let last_colon = host.rfind(':').unwrap_or(first_colon);
                // Strict colons apply to http(s) only; other schemes keep the last colon.
                let strict = scheme == "http" || scheme == "https";
                let port_start = if strict { first_colon } else { last_colon };
                let colon_port = host.get(port_start..).unwrap_or_default();
                if !is_valid_optional_port(colon_port) {
                    return Err(UrlErrorReason::InvalidPort(colon_port.to_owned()));
                }
            }
            unescape(host, Mode::Host)
        }
    }
}

/// The bracketed branch of `parseHost`: `[IPv6%25zone]:port`.
fn parse_ip_literal_host(host: &str) -> Result<String, UrlErrorReason> {
    let close = host.rfind(']').ok_or(UrlErrorReason::MissingBracket)?;
    let colon_port = host.get(close + 1..).unwrap_or_default();
    if !is_valid_optional_port(colon_port) {
        return Err(UrlErrorReason::InvalidPort(colon_port.to_owned()));
    }
    let inside = host.get(1..close).unwrap_or_default();
    let address = match inside.find("%25") {
        Some(zone) => {
            let address = unescape(inside.get(..zone).unwrap_or_default(), Mode::Host)?;
            let zone = unescape(inside.get(zone..).unwrap_or_default(), Mode::Zone)?;
            address + &zone
        }
        None => unescape(inside, Mode::Host)?,
    };
    match parse_ip_addr(&address) {
        Ok(IpFamily::V6) => Ok(format!("[{address}]{colon_port}")),
        Ok(IpFamily::V4) => Err(UrlErrorReason::InvalidIpLiteral),
        Err(error) => Err(UrlErrorReason::InvalidHost(error)),
    }
}

/// Go's `validOptionalPort`: empty, or `:` followed by ASCII digits only.
fn is_valid_optional_port(colon_port: &str) -> bool {
    match colon_port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
        None => colon_port.is_empty(),
    }
}

/// The URL parts `unescape` distinguishes (Go's `encoding` modes that parsing uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// Go's `shouldEscape(c, encodeHost)` (also used for zones): true for ASCII that a host may
/// not contain literally.
fn is_forbidden_in_host(byte: u8) -> bool {
    !(byte.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&byte))
}

/// Go's `unescape(s, mode)`: validates every `%XX` (and, in hosts and zones, every ASCII byte)
/// and decodes the escapes. `+` stays `+` outside queries, which are never decoded here.
fn unescape(text: &str, mode: Mode) -> Result<String, UrlErrorReason> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex_value),
                bytes.get(i + 2).copied().and_then(hex_value),
            ) else {
                let end = (i + 3).min(bytes.len());
                return Err(UrlErrorReason::InvalidEscape(
                    bytes.get(i..end).unwrap_or_default().to_vec(),
                ));
            };
            let escape = bytes.get(i..i + 3).unwrap_or_default();
            let value = hi << 4 | lo;
            // Hosts may only escape non-ASCII bytes, except `%25` for IPv6 zones.
            if mode == Mode::Host && hi < 8 && escape != b"%25" {
                return Err(UrlErrorReason::InvalidEscape(escape.to_vec()));
            }
            // Zones may escape only what they could contain literally (and spaces).
            if mode == Mode::Zone
                && escape != b"%25"
                && value != b' '
                && is_forbidden_in_host(value)
            {
                return Err(UrlErrorReason::InvalidEscape(escape.to_vec()));
            }
            decoded.push(value);
            i += 3;
            continue;
        }
        if matches!(mode, Mode::Host | Mode::Zone) && byte < 0x80 && is_forbidden_in_host(byte) {
            return Err(UrlErrorReason::InvalidHostCharacter(
                char::from(byte).to_string(),
            ));
        }
        decoded.push(byte);
        i += 1;
    }
    Ok(String::from_utf8(decoded)
        .unwrap_or_else(|invalid| String::from_utf8_lossy(invalid.as_bytes()).into_owned()))
}

fn hex_value(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|digit| u8::try_from(digit).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row: schemeless input, expected `(host, path)` or the full Go error text.
    type Row = (
        &'static str,
        Result<(&'static str, &'static str), &'static str>,
    );

    fn check(rows: &[Row]) {
        for (input, expected) in rows {
            let got = parse_schemeless_url(input)
                .map(|url| (url.host, url.path))
                .map_err(|error| error.to_string());
            let expected = expected
                .map(|(host, path)| (host.to_owned(), path.to_owned()))
                .map_err(str::to_owned);
            assert_eq!(got, expected, "ParseSchemelessURL({input:?})");
        }
    }

    /// What `url.Parse("https://" + s)` gives for the shapes credential keys and images take;
    /// error texts composed from the Go sources named in the module doc.
    #[test]
    fn schemeless_parse_like_go() {
        check(&[
            ("registry.io", Ok(("registry.io", ""))),
            (
                "docker.io/library/nginx",
                Ok(("docker.io", "/library/nginx")),
            ),
            ("registry.io:5000/team", Ok(("registry.io:5000", "/team"))),
            ("registry.io:/x", Ok(("registry.io:", "/x"))),
            ("REGISTRY.io", Ok(("REGISTRY.io", ""))),
            ("*.docker.io/path:1111", Ok(("*.docker.io", "/path:1111"))),
            ("user@registry.io/x", Ok(("registry.io", "/x"))),
            ("user:p%40ss@registry.io", Ok(("registry.io", ""))),
            ("a@b@registry.io", Ok(("registry.io", ""))),
            ("registry.io?x=1/y", Ok(("registry.io", ""))),
            ("registry.io/a?b#c", Ok(("registry.io", "/a"))),
            ("registry.io#frag/x", Ok(("registry.io", ""))),
            ("registry.io/a%2Fb", Ok(("registry.io", "/a/b"))),
            ("registry.io/a+b", Ok(("registry.io", "/a+b"))),
            ("[::1]:5000/x", Ok(("[::1]:5000", "/x"))),
            ("[fe80::1%25en0]", Ok(("[fe80::1%en0]", ""))),
            ("[::ffff:1.2.3.4]", Ok(("[::ffff:1.2.3.4]", ""))),
            ("caf%C3%A9.io", Ok(("café.io", ""))),
            ("", Ok(("", ""))),
            ("/x", Ok(("", "/x"))),
            ("a!$&'()+,;=<>\"b.io", Ok(("a!$&'()+,;=<>\"b.io", ""))),
            (
                "reg[istry.io",
                Err("parse \"https://reg[istry.io\": invalid IP-literal"),
            ),
            ("[::1", Err("parse \"https://[::1\": missing ']' in host")),
            (
                "[registry.io]",
                Err(
                    "parse \"https://[registry.io]\": invalid host: ParseAddr(\"registry.io\"): unexpected character (at \"registry.io\")",
                ),
            ),
            (
                "[1.2.3.4]",
                Err("parse \"https://[1.2.3.4]\": invalid IP-literal"),
            ),
            (
                "[::1]x",
                Err("parse \"https://[::1]x\": invalid port \"x\" after host"),
            ),
            (
                "registry.io:abc",
                Err("parse \"https://registry.io:abc\": invalid port \":abc\" after host"),
            ),
            (
                "a:1:2",
                Err("parse \"https://a:1:2\": invalid port \":1:2\" after host"),
            ),
            (
                "::1",
                Err("parse \"https://::1\": invalid port \"::1\" after host"),
            ),
            (
                "registry io",
                Err("parse \"https://registry io\": invalid character \" \" in host name"),
            ),
            (
                "registry\\io",
                Err("parse \"https://registry\\\\io\": invalid character \"\\\\\" in host name"),
            ),
            (
                "reg%41.io",
                Err("parse \"https://reg%41.io\": invalid URL escape \"%41\""),
            ),
            (
                "reg%zz.io",
                Err("parse \"https://reg%zz.io\": invalid URL escape \"%zz\""),
            ),
            (
                "registry.io/%",
                Err("parse \"https://registry.io/%\": invalid URL escape \"%\""),
            ),
            (
                "registry.io/%a",
                Err("parse \"https://registry.io/%a\": invalid URL escape \"%a\""),
            ),
            (
                "registry.io#%zz",
                Err("parse \"https://registry.io#%zz\": invalid URL escape \"%zz\""),
            ),
            (
                "registry.io/\u{1}",
                Err(
                    "parse \"https://registry.io/\\x01\": net/url: invalid control character in URL",
                ),
            ),
            (
                "registry.io/a b\n",
                Err(
                    "parse \"https://registry.io/a b\\n\": net/url: invalid control character in URL",
                ),
            ),
            (
                "us er@registry.io",
                Err("parse \"https://us er@registry.io\": net/url: invalid userinfo"),
            ),
            (
                "u%zz@registry.io",
                Err("parse \"https://u%zz@registry.io\": invalid URL escape \"%zz\""),
            ),
        ]);
    }

    #[test]
    fn full_parse_keeps_scheme_user_query_and_fragment() {
        let url = parse_go_url("HTTP://u:p@Host.io:80/a%20b?q=1#f%20g").expect("valid URL");
        assert_eq!(
            url,
            GoUrl {
                scheme: "http".to_owned(),
                opaque: String::new(),
                user: Some(UserInfo {
                    username: "u".to_owned(),
                    password: Some("p".to_owned()),
                }),
                host: "Host.io:80".to_owned(),
                path: "/a b".to_owned(),
                raw_query: "q=1".to_owned(),
                fragment: "f g".to_owned(),
            }
        );
        let opaque = parse_go_url("mailto:x@y").expect("valid URL");
        assert_eq!(
            (opaque.scheme.as_str(), opaque.opaque.as_str()),
            ("mailto", "x@y")
        );
        assert_eq!(
            parse_go_url(":x").map_err(|e| e.to_string()),
            Err("parse \":x\": missing protocol scheme".to_owned())
        );
        assert_eq!(
            parse_go_url("a:b/c").map(|u| u.opaque),
            Ok("b/c".to_owned())
        );
        assert_eq!(
            parse_go_url("1a:b").map_err(|e| e.to_string()),
            Err("parse \"1a:b\": first path segment in URL cannot contain colon".to_owned())
        );
        // Other schemes keep the pre-1.26 rule: the port follows the last colon.
        assert_eq!(
            parse_go_url("db://a:1:2").map(|u| u.host),
            Ok("a:1:2".to_owned())
        );
    }

    /// One row: host as Go keeps it, expected labels and port of `SplitURL`.
    #[test]
    fn split_url_like_kubelet() {
        let rows: &[(&str, &[&str], &str)] = &[
            ("registry.io", &["registry", "io"], ""),
            ("registry.io:5000", &["registry", "io"], "5000"),
            ("registry.io:", &["registry", "io"], ""),
            ("[::1]:5000", &["::1"], "5000"),
            ("[::1]", &["[::1]"], ""),
            ("[fe80::1%en0]:443", &["fe80::1%en0"], "443"),
            ("", &[""], ""),
            ("a:b:c", &["a:b:c"], ""),
            ("*.docker.io:8888", &["*", "docker", "io"], "8888"),
        ];
        for (host, labels, port) in rows {
            let url = GoUrl {
                host: (*host).to_owned(),
                ..GoUrl::default()
            };
            let split = split_url(&url);
            assert_eq!(
                (split.labels.as_slice(), split.port),
                (*labels, *port),
                "SplitURL host {host:?}"
            );
        }
    }
}
