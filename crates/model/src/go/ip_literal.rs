//! Go's `net/netip.ParseAddr`, because Go's `url.Parse` (1.24.8/1.25.2 and later, the
//! CVE-2025-47912 fix) accepts a bracketed host such as `[::1]:5000` only when the text in the
//! brackets is an IPv6 address, and a credential key with a bad one is ignored by the kubelet.
//!
//! Upstream: `golang/go` `src/net/netip/netip.go` (`ParseAddr`, `parseIPv4Fields`, `parseIPv6`).
//! The parse and its error messages are reproduced; the address value itself is not needed, only
//! whether it is IPv4 or IPv6, so that is all this returns.

use std::fmt;

use crate::go::text::quote as go_quote;

/// Which family a parsed address belongs to (an IPv4-mapped IPv6 address is IPv6, as in Go).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IpFamily {
    /// Dotted decimal, `192.0.2.1`.
    V4,
    /// Colon-hexadecimal, possibly with an embedded IPv4 tail and a `%zone`.
    V6,
}

/// Why `netip.ParseAddr` rejected its input; displays as Go's `parseAddrError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpParseError {
    /// The whole string given to the parser.
    pub input: String,
    /// Go's explanation, verbatim.
    pub reason: &'static str,
    /// The unparsed rest of the input where the error was found, when Go reports it.
    pub at: Option<String>,
}

impl fmt::Display for IpParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ParseAddr({}): {}", go_quote(&self.input), self.reason)?;
        if let Some(at) = &self.at {
            write!(f, " (at {})", go_quote(at))?;
        }
        Ok(())
    }
}

impl std::error::Error for IpParseError {}

/// Parses `text` as Go's `netip.ParseAddr` does and says which family it is.
pub fn parse_ip_addr(text: &str) -> Result<IpFamily, IpParseError> {
    for byte in text.bytes() {
        match byte {
            b'.' => return parse_ipv4(text, text).map(|()| IpFamily::V4),
            b':' => return parse_ipv6(text).map(|()| IpFamily::V6),
            b'%' => return Err(error(text, "missing IPv6 address", None)),
            _ => {}
        }
    }
    Err(error(text, "unable to parse IP", None))
}

fn error(input: &str, reason: &'static str, at: Option<&[u8]>) -> IpParseError {
    IpParseError {
        input: input.to_owned(),
        reason,
        at: at.map(|rest| String::from_utf8_lossy(rest).into_owned()),
    }
}

/// Checks `fields` (a part of `input`) as four dotted decimal octets without leading zeros.
fn parse_ipv4(input: &str, fields: &str) -> Result<(), IpParseError> {
    let s = fields.as_bytes();
    let mut value: u32 = 0;
    let mut digits = 0;
    let mut dots = 0;
    for (i, &byte) in s.iter().enumerate() {
        match byte {
            b'0'..=b'9' => {
                if digits == 1 && value == 0 {
                    return Err(error(input, "IPv4 field has octet with leading zero", None));
                }
                value = value * 10 + u32::from(byte - b'0');
                digits += 1;
                if value > 255 {
                    return Err(error(input, "IPv4 field has value >255", None));
                }
            }
            b'.' => {
                if i == 0 || i == s.len() - 1 || s.get(i - 1) == Some(&b'.') {
                    return Err(error(
                        input,
                        "IPv4 field must have at least one digit",
                        s.get(i..),
                    ));
                }
                if dots == 3 {
                    return Err(error(input, "IPv4 address too long", None));
                }
                dots += 1;
                value = 0;
                digits = 0;
            }
            _ => return Err(error(input, "unexpected character", s.get(i..))),
        }
    }
    if dots < 3 {
        return Err(error(input, "IPv4 address too short", None));
    }
    Ok(())
}

/// Checks `input` as an IPv6 address with an optional non-empty `%zone`, step by step as Go.
fn parse_ipv6(input: &str) -> Result<(), IpParseError> {
    let address = match input.split_once('%') {
        Some((_, "")) => return Err(error(input, "zone must be a non-empty string", None)),
        Some((address, _zone)) => address,
        None => input,
    };
    let mut s = address.as_bytes();
    let mut ellipsis: Option<usize> = None;
    if s.starts_with(b"::") {
        ellipsis = Some(0);
        s = s.get(2..).unwrap_or_default();
        if s.is_empty() {
            return Ok(());
        }
    }
    // `filled` counts bytes of the 16-byte address parsed so far, as Go's `i` does.
    let mut filled = 0;
    while filled < 16 {
        let mut digits = 0;
        let mut value: u32 = 0;
        while let Some(&c) = s.get(digits) {
            let nibble = match c {
                b'0'..=b'9' => c - b'0',
                b'a'..=b'f' => c - b'a' + 10,
                b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            value = (value << 4) + u32::from(nibble);
            if digits > 3 {
                return Err(error(
                    input,
                    "each group must have 4 or less digits",
                    Some(s),
                ));
            }
            if value > 0xFFFF {
                return Err(error(input, "IPv6 field has value >=2^16", Some(s)));
            }
            digits += 1;
        }
        if digits == 0 {
            return Err(error(
                input,
                "each colon-separated field must have at least one digit",
                Some(s),
            ));
        }
        if s.get(digits) == Some(&b'.') {
            if ellipsis.is_none() && filled != 12 {
                return Err(error(
                    input,
                    "embedded IPv4 address must replace the final 2 fields of the address",
                    Some(s),
                ));
            }
            if filled + 4 > 16 {
                return Err(error(
                    input,
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                    Some(s),
                ));
            }
            let tail = String::from_utf8_lossy(s);
            parse_ipv4(input, &tail)?;
            s = &[];
            filled += 4;
            break;
        }
        filled += 2;
        s = s.get(digits..).unwrap_or_default();
        let Some((&next, after)) = s.split_first() else {
            break;
        };
        if next != b':' {
            return Err(error(input, "unexpected character, want colon", Some(s)));
        }
        if after.is_empty() {
            return Err(error(
                input,
                "colon must be followed by more characters",
                Some(s),
            ));
        }
        s = after;
        if let Some((&b':', after_ellipsis)) = s.split_first() {
            if ellipsis.is_some() {
                return Err(error(input, "multiple :: in address", Some(s)));
            }
            ellipsis = Some(filled);
            s = after_ellipsis;
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err(error(input, "trailing garbage after address", Some(s)));
    }
    if filled < 16 && ellipsis.is_none() {
        return Err(error(input, "address string too short", None));
    }
    if filled >= 16 && ellipsis.is_some() {
        return Err(error(
            input,
            "the :: must expand to at least one field of zeros",
            None,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rows: &[(&str, Result<IpFamily, &str>)]) {
        for (input, expected) in rows {
            let got = parse_ip_addr(input).map_err(|e| e.to_string());
            assert_eq!(got, expected.map_err(str::to_owned), "ParseAddr({input:?})");
        }
    }

    /// Valid and invalid rows in the spirit of golang/go `src/net/netip/netip_test.go`
    /// (`TestParseAddr`, `invalidIP`), with the error texts the Go code above produces.
    #[test]
    fn parses_like_netip() {
        use IpFamily::{V4, V6};
        check(&[
            ("192.168.140.255", Ok(V4)),
            ("0.0.0.0", Ok(V4)),
            ("::", Ok(V6)),
            ("::1", Ok(V6)),
            ("fd7a:115c:a1e0:ab12:4843:cd96:626b:430b", Ok(V6)),
            ("fe80::1cc0:3e8c:119f:c2e1%ens18", Ok(V6)),
            ("::ffff:192.168.140.255", Ok(V6)),
            ("1:2:3:4:5:6:1.2.3.4", Ok(V6)),
            ("::ffff:1.2.3.4%zone", Ok(V6)),
            ("", Err("ParseAddr(\"\"): unable to parse IP")),
            ("bad", Err("ParseAddr(\"bad\"): unable to parse IP")),
            ("%eth0", Err("ParseAddr(\"%eth0\"): missing IPv6 address")),
            (
                "010.1.2.3",
                Err("ParseAddr(\"010.1.2.3\"): IPv4 field has octet with leading zero"),
            ),
            (
                "256.1.2.3",
                Err("ParseAddr(\"256.1.2.3\"): IPv4 field has value >255"),
            ),
            ("1.2.3", Err("ParseAddr(\"1.2.3\"): IPv4 address too short")),
            (
                "1.2.3.4.5",
                Err("ParseAddr(\"1.2.3.4.5\"): IPv4 address too long"),
            ),
            (
                "1..2.3",
                Err("ParseAddr(\"1..2.3\"): IPv4 field must have at least one digit (at \".2.3\")"),
            ),
            (
                "1.2.3.x",
                Err("ParseAddr(\"1.2.3.x\"): unexpected character (at \"x\")"),
            ),
            (
                "fe80::1%",
                Err("ParseAddr(\"fe80::1%\"): zone must be a non-empty string"),
            ),
            (
                "12345::",
                Err(
                    "ParseAddr(\"12345::\"): each group must have 4 or less digits (at \"12345::\")",
                ),
            ),
            (
                ":1",
                Err(
                    "ParseAddr(\":1\"): each colon-separated field must have at least one digit (at \":1\")",
                ),
            ),
            (
                "1::2::3",
                Err("ParseAddr(\"1::2::3\"): multiple :: in address (at \":3\")"),
            ),
            ("1:2", Err("ParseAddr(\"1:2\"): address string too short")),
            (
                "1:",
                Err("ParseAddr(\"1:\"): colon must be followed by more characters (at \":\")"),
            ),
            (
                "1:2:3:4:5:6:7:8:9",
                Err("ParseAddr(\"1:2:3:4:5:6:7:8:9\"): trailing garbage after address (at \"9\")"),
            ),
            (
                "1:2:3:4:5:6:7::8",
                Err(
                    "ParseAddr(\"1:2:3:4:5:6:7::8\"): the :: must expand to at least one field of zeros",
                ),
            ),
            (
                "1:2:3:4::5:6:7:8",
                Err(
                    "ParseAddr(\"1:2:3:4::5:6:7:8\"): the :: must expand to at least one field of zeros",
                ),
            ),
            (
                "1.2.3.4:5",
                Err("ParseAddr(\"1.2.3.4:5\"): unexpected character (at \":5\")"),
            ),
            (
                "1:2.3.4.5",
                Err(
                    "ParseAddr(\"1:2.3.4.5\"): embedded IPv4 address must replace the final 2 fields of the address (at \"2.3.4.5\")",
                ),
            ),
            (
                "1:2:3:4:5:6:7:1.2.3.4",
                Err(
                    "ParseAddr(\"1:2:3:4:5:6:7:1.2.3.4\"): embedded IPv4 address must replace the final 2 fields of the address (at \"1.2.3.4\")",
                ),
            ),
            (
                "::1g",
                Err("ParseAddr(\"::1g\"): unexpected character, want colon (at \"g\")"),
            ),
            (
                "[::1]",
                Err(
                    "ParseAddr(\"[::1]\"): each colon-separated field must have at least one digit (at \"[::1]\")",
                ),
            ),
        ]);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for input in [
            "::%",
            ":",
            "1.",
            ".",
            "::.",
            "1:2:3:4:5:6:7:8.",
            "é:1",
            "::ffff:1.2.3.4.5",
        ] {
            let _ = parse_ip_addr(input);
        }
    }
}
