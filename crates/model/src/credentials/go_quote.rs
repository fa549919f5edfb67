//! Go's `strconv.Quote`, because Go error messages quote their inputs with `%q` and pullsim
//! reproduces those messages word for word (users paste them into searches).
//!
//! Upstream: `golang/go` `src/strconv/quote.go` (`appendQuotedWith`, `appendEscapedRune`).
//! Exact for ASCII and for ordinary printable Unicode. Go decides "printable" with its Unicode
//! tables (`unicode.IsPrint`); Rust's standard library has none, so this file treats as
//! non-printable the control characters, every white space other than U+0020, the common
//! format characters (soft hyphen, zero-width and bidi controls, BOM, ...), private-use code
//! points and the noncharacters U+FFFE/U+FFFF. Unassigned code points, which Go escapes, are
//! printed as they are here; they do not occur in registry host names in practice.

/// Quotes `text` the way Go's `strconv.Quote` (and so `fmt`'s `%q`) does.
pub fn go_quote(text: &str) -> String {
    go_quote_bytes(text.as_bytes())
}

/// [`go_quote`] for bytes that may not be valid UTF-8: each invalid byte prints as `\xNN`,
/// as Go does for strings holding arbitrary bytes.
pub fn go_quote_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 2);
    out.push('"');
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            push_escaped(&mut out, c);
        }
        for byte in chunk.invalid() {
            out.push_str(&format!("\\x{byte:02x}"));
        }
    }
    out.push('"');
    out
}

/// Appends one rune, escaped as Go's `appendEscapedRune` does with `"` as the quote.
fn push_escaped(out: &mut String, c: char) {
    match c {
        '"' | '\\' => {
            out.push('\\');
            out.push(c);
        }
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        _ if is_go_printable(c) => out.push(c),
        _ if u32::from(c) < 0x20 || c == '\u{7f}' => {
            out.push_str(&format!("\\x{:02x}", u32::from(c)));
        }
        _ if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
        _ => out.push_str(&format!("\\U{:08x}", u32::from(c))),
    }
}

/// An approximation of Go's `unicode.IsPrint`; see the module documentation for its limits.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x2028..=0x202E
            | 0x2060..=0x2064
            | 0x2066..=0x206F
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xFFFE
            | 0xFFFF
            | 0xE000..=0xF8FF
            | 0xF0000..
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rows: &[(&str, &str)]) {
        for (input, quoted) in rows {
            assert_eq!(go_quote(input), *quoted, "strconv.Quote({input:?})");
        }
    }

    /// Rows from golang/go `src/strconv/quote_test.go` (`quotetests`) that are valid UTF-8,
    /// plus the shapes that appear in url and netip errors.
    #[test]
    fn quotes_like_go() {
        check(&[
            ("\u{7}\u{8}\u{c}\r\n\t\u{b}", "\"\\a\\b\\f\\r\\n\\t\\v\""),
            ("\\", "\"\\\\\""),
            ("abc\u{ff}def", "\"abc\u{ff}def\""),
            ("\u{263a}", "\"\u{263a}\""),
            ("\u{10ffff}", "\"\\U0010ffff\""),
            ("\u{4}", "\"\\x04\""),
            (
                "!\u{00a0}!\u{2000}!\u{3000}!",
                "\"!\\u00a0!\\u2000!\\u3000!\"",
            ),
            ("\u{7f}", "\"\\x7f\""),
            ("", "\"\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("https://a\u{1}b", "\"https://a\\x01b\""),
            ("%zz", "\"%zz\""),
            ("\u{feff}x", "\"\\ufeffx\""),
        ]);
        assert_eq!(go_quote_bytes(b"a\xffb"), "\"a\\xffb\"");
    }
}
