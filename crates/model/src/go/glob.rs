//! Shell-pattern matching exactly as Go's `path/filepath.Match` does it on Linux, because the
//! kubelet compares each host label of a credential key with the image's label through it.
//!
//! Upstream: `golang/go` `src/path/filepath/match.go` (the same algorithm as `src/path/match.go`
//! with `/` as the separator). The behaviour followed is that of Go 1.16 and later: when a match
//! fails, the rest of the pattern is still checked, so a malformed pattern is reported whatever
//! the name (Go 1.15 and earlier returned `false` without an error for `Match("a[", "x")`).
//!
//! The matcher works on the UTF-8 bytes of both strings, as Go does: literals compare byte by
//! byte, `?` and classes consume one rune decoded Go-style (an invalid byte is one U+FFFD rune),
//! and a `*` retries the following chunk after every byte it skips. That last point is a Go
//! quirk that can start a chunk inside a multi-byte character, so `Match("*??", "€")` is true
//! (the star skips the first byte of the euro sign and each `?` eats one continuation byte). Like
//! Go, a chunk that follows a `*` is matched at its leftmost position and never re-tried later,
//! so `Match("*[^a]b*", ...)`-style patterns whose classes can match `/` may miss matches that a
//! backtracking matcher would find; both quirks are reproduced and pinned by tests.

use thiserror::Error;

/// The path separator on Linux; `*` and `?` never match it (classes can).
const SEPARATOR: u8 = b'/';

/// The rune Go substitutes for an invalid UTF-8 byte (`utf8.RuneError`).
const RUNE_ERROR: u32 = 0xFFFD;

/// A malformed pattern, Go's `filepath.ErrBadPattern`; the text is Go's, verbatim.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("syntax error in pattern")]
pub struct BadPattern;

/// Reports whether `name` matches the shell pattern `pattern`, with the exact results and errors
/// of Go's `filepath.Match` on Linux (docs/semantics.md §4.3, step 4 of `URLsMatch`).
///
/// Syntax: `*` matches any run of non-`/` characters, `?` one non-`/` character, `[...]` a
/// character class with `lo-hi` ranges and an optional leading `^` for negation, and `\c` the
/// character `c` literally (also inside classes). The whole name must match. A malformed pattern
/// (an unclosed or empty class, a trailing `\`, a class range with a missing end, ...) yields
/// [`BadPattern`] whatever the name. Never panics.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let mut pattern = pattern.as_bytes();
    let mut name = name.as_bytes();
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it holds a separator.
            return Ok(!name.contains(&SEPARATOR));
        }
        // Look for a match at the current position; the last chunk must also use up the name.
        if let Some(after) = match_chunk(chunk, name)?
            && (after.is_empty() || !pattern.is_empty())
        {
            name = after;
            continue;
        }
        if star {
            // Retry after skipping 1, 2, ... bytes, but a star never skips a separator.
            let mut skipped = 0;
            while let Some(&byte) = name.get(skipped) {
                if byte == SEPARATOR {
                    break;
                }
                skipped += 1;
                let candidate = name.get(skipped..).unwrap_or_default();
                if let Some(after) = match_chunk(chunk, candidate)? {
                    if pattern.is_empty() && !after.is_empty() {
                        continue;
                    }
                    name = after;
                    continue 'pattern;
                }
            }
        }
        // Before answering "no match", check that the rest of the pattern is well formed.
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the next chunk: an optional run of stars, then everything up to the next star that
/// is outside a class. Escapes are skipped over here; their errors surface in [`match_chunk`].
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let Some((&b'*', rest)) = pattern.split_first() {
        pattern = rest;
        star = true;
    }
    let mut in_class = false;
    let mut end = 0;
    while let Some(&byte) = pattern.get(end) {
        match byte {
            b'\\' if end + 1 < pattern.len() => end += 1,
            b'[' => in_class = true,
            b']' => in_class = false,
            b'*' if !in_class => break,
            _ => {}
        }
        end += 1;
    }
    let (chunk, rest) = pattern.split_at(end.min(pattern.len()));
    (star, chunk, rest)
}

/// Matches a star-free chunk against the start of `s`, returning what is left of `s` on success.
/// After a mismatch it keeps walking the chunk (without reading `s`) so that syntax errors later
/// in the chunk are still reported, as Go 1.16+ does.
fn match_chunk<'s>(mut chunk: &[u8], mut s: &'s [u8]) -> Result<Option<&'s [u8]>, BadPattern> {
    let mut failed = false;
    while let Some((&first, after_first)) = chunk.split_first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match first {
            b'[' => {
                let mut rune = 0;
                if !failed {
                    let (decoded, width) = decode_rune(s);
                    rune = decoded;
                    s = s.get(width..).unwrap_or_default();
                }
                chunk = after_first;
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = chunk.get(1..).unwrap_or_default();
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if ranges > 0
                        && let Some((&b']', rest)) = chunk.split_first()
                    {
                        chunk = rest;
                        break;
                    }
                    let (lo, rest) = class_char(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some((&b'-', rest)) = chunk.split_first() {
                        let (end, rest) = class_char(rest)?;
                        hi = end;
                        chunk = rest;
                    }
                    if lo <= rune && rune <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s.first() == Some(&SEPARATOR) {
                        failed = true;
                    }
                    let (_, width) = decode_rune(s);
                    s = s.get(width..).unwrap_or_default();
                }
                chunk = after_first;
            }
            b'\\' => {
                let Some((&escaped, rest)) = after_first.split_first() else {
                    return Err(BadPattern);
                };
                match_literal(escaped, &mut s, &mut failed);
                chunk = rest;
            }
            literal => {
                match_literal(literal, &mut s, &mut failed);
                chunk = after_first;
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Compares one literal pattern byte with the next byte of `s` (Go compares bytes, not runes).
fn match_literal(literal: u8, s: &mut &[u8], failed: &mut bool) {
    if *failed {
        return;
    }
    match s.split_first() {
        Some((&byte, rest)) => {
            if byte != literal {
                *failed = true;
            }
            *s = rest;
        }
        None => *failed = true,
    }
}

/// Reads one possibly escaped character of a class (Go's `getEsc`): it may not be `-` or `]`
/// unescaped, and something must follow it (at least the closing `]`).
fn class_char(chunk: &[u8]) -> Result<(u32, &[u8]), BadPattern> {
    let chunk = match chunk.split_first() {
        None | Some((b'-' | b']', _)) => return Err(BadPattern),
        Some((b'\\', [])) => return Err(BadPattern),
        Some((b'\\', rest)) => rest,
        Some(_) => chunk,
    };
    let (rune, width) = decode_rune(chunk);
    if rune == RUNE_ERROR && width == 1 {
        return Err(BadPattern);
    }
    let rest = chunk.get(width..).unwrap_or_default();
    if rest.is_empty() {
        return Err(BadPattern);
    }
    Ok((rune, rest))
}

/// Decodes the first rune of `bytes` like Go's `utf8.DecodeRune`: an empty input or an invalid
/// sequence gives U+FFFD with width 0 or 1 respectively.
fn decode_rune(bytes: &[u8]) -> (u32, usize) {
    let Some(&lead) = bytes.first() else {
        return (RUNE_ERROR, 0);
    };
    let width = match lead {
        0x00..=0x7F => return (u32::from(lead), 1),
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (RUNE_ERROR, 1),
    };
    match bytes.get(..width).map(std::str::from_utf8) {
        Some(Ok(text)) => match text.chars().next() {
            Some(c) => (u32::from(c), width),
            None => (RUNE_ERROR, 1),
        },
        _ => (RUNE_ERROR, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// One row: pattern, name, expected result (`Err` for Go's `ErrBadPattern`).
    type Row = (&'static str, &'static str, Result<bool, BadPattern>);

    fn check(rows: &[Row]) {
        for (pattern, name, expected) in rows {
            assert_eq!(
                glob_match(pattern, name),
                *expected,
                "Match({pattern:?}, {name:?})"
            );
        }
    }

    const BAD: Result<bool, BadPattern> = Err(BadPattern);

    /// Every row of `matchTests` in golang/go `src/path/filepath/match_test.go`.
    #[test]
    fn go_match_test_table() {
        check(&[
            ("abc", "abc", Ok(true)),
            ("*", "abc", Ok(true)),
            ("*c", "abc", Ok(true)),
            ("a*", "a", Ok(true)),
            ("a*", "abc", Ok(true)),
            ("a*", "ab/c", Ok(false)),
            ("a*/b", "abc/b", Ok(true)),
            ("a*/b", "a/c/b", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", Ok(true)),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", Ok(false)),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", Ok(false)),
            ("a*b?c*x", "abxbbxdbxebxczzx", Ok(true)),
            ("a*b?c*x", "abxbbxdbxebxczzy", Ok(false)),
            ("ab[c]", "abc", Ok(true)),
            ("ab[b-d]", "abc", Ok(true)),
            ("ab[e-g]", "abc", Ok(false)),
            ("ab[^c]", "abc", Ok(false)),
            ("ab[^b-d]", "abc", Ok(false)),
            ("ab[^e-g]", "abc", Ok(true)),
            ("a\\*b", "a*b", Ok(true)),
            ("a\\*b", "ab", Ok(false)),
            ("a?b", "a☺b", Ok(true)),
            ("a[^a]b", "a☺b", Ok(true)),
            ("a???b", "a☺b", Ok(false)),
            ("a[^a][^a][^a]b", "a☺b", Ok(false)),
            ("[a-ζ]*", "α", Ok(true)),
            ("*[a-ζ]", "A", Ok(false)),
            ("a?b", "a/b", Ok(false)),
            ("a*b", "a/b", Ok(false)),
            ("[\\]a]", "]", Ok(true)),
            ("[\\-]", "-", Ok(true)),
            ("[x\\-]", "x", Ok(true)),
            ("[x\\-]", "-", Ok(true)),
            ("[x\\-]", "z", Ok(false)),
            ("[\\-x]", "x", Ok(true)),
            ("[\\-x]", "-", Ok(true)),
            ("[\\-x]", "a", Ok(false)),
            ("[]a]", "]", BAD),
            ("[-]", "-", BAD),
            ("[x-]", "x", BAD),
            ("[x-]", "-", BAD),
            ("[x-]", "z", BAD),
            ("[-x]", "x", BAD),
            ("[-x]", "-", BAD),
            ("[-x]", "a", BAD),
            ("\\", "a", BAD),
            ("[a-b-c]", "a", BAD),
            ("[", "a", BAD),
            ("[^", "a", BAD),
            ("[^bc", "a", BAD),
            ("a[", "a", BAD),
            ("a[", "ab", BAD),
            ("a[", "x", BAD),
            ("a/b[", "x", BAD),
            ("*x", "xxx", Ok(true)),
        ]);
    }

    /// Behaviours this port pins beyond Go's table: byte-level star retries, leftmost chunks,
    /// validation after a mismatch, and the host-label patterns the kubelet actually sees.
    #[test]
    fn go_quirks_and_host_labels() {
        check(&[
            // The star retries at every byte, even inside a multi-byte character.
            ("*??", "€", Ok(true)),
            ("??", "€", Ok(false)),
            ("?", "€", Ok(true)),
            // A non-last chunk is committed at its leftmost match: `[^a]` takes the `b`,
            // and the next star cannot cross the `/`, although taking the `/` would match.
            ("*[^a]*b", "b/ab", Ok(false)),
            // Classes, unlike `?` and `*`, do match the separator.
            ("[^a]", "/", Ok(true)),
            ("[/]", "/", Ok(true)),
            // Go 1.16+ reports a malformed tail even when an earlier part already failed.
            ("x[", "y", BAD),
            ("x*[", "y", BAD),
            ("a\\", "b", BAD),
            // A malformed pattern behind a trailing star that matched is still malformed.
            ("*[", "", BAD),
            // Host labels as URLsMatch passes them.
            ("*", "prefix", Ok(true)),
            ("*-good", "prefix-good", Ok(true)),
            ("k*", "quay", Ok(false)),
            ("", "", Ok(true)),
            ("", "a", Ok(false)),
            ("*", "", Ok(true)),
            ("Docker", "docker", Ok(false)),
            ("registry:5000", "registry:5000", Ok(true)),
            ("[", "", BAD),
        ]);
    }

    /// A pattern built from well-formed pieces, so the reference can match it token by token.
    #[derive(Debug, Clone)]
    enum Token {
        Star,
        Any,
        Literal(u8),
        Escaped(u8),
        /// A class over letters only, so it never matches `/` (see the module doc for why).
        Class {
            negated: bool,
            lo: u8,
            hi: u8,
        },
    }

    fn render(tokens: &[Token]) -> String {
        let mut out = String::new();
        for token in tokens {
            match token {
                Token::Star => out.push('*'),
                Token::Any => out.push('?'),
                Token::Literal(b) => out.push(char::from(*b)),
                Token::Escaped(b) => {
                    out.push('\\');
                    out.push(char::from(*b));
                }
                Token::Class { negated, lo, hi } => {
                    out.push('[');
                    if *negated {
                        out.push('^');
                        out.push('/');
                    }
                    out.push(char::from(*lo));
                    out.push('-');
                    out.push(char::from(*hi));
                    out.push(']');
                }
            }
        }
        out
    }

    /// The straightforward backtracking reading of the documented grammar, on ASCII names.
    fn reference(tokens: &[Token], name: &[u8]) -> bool {
        let Some((token, rest)) = tokens.split_first() else {
            return name.is_empty();
        };
        match token {
            Token::Star => {
                let mut skip = 0;
                loop {
                    if reference(rest, name.get(skip..).unwrap_or_default()) {
                        return true;
                    }
                    match name.get(skip) {
                        Some(&b) if b != b'/' => skip += 1,
                        _ => return false,
                    }
                }
            }
            Token::Any => match name.split_first() {
                Some((&b, tail)) if b != b'/' => reference(rest, tail),
                _ => false,
            },
            Token::Literal(l) | Token::Escaped(l) => match name.split_first() {
                Some((&b, tail)) if b == *l => reference(rest, tail),
                _ => false,
            },
            Token::Class { negated, lo, hi } => match name.split_first() {
                Some((&b, tail)) => {
                    let inside = (*lo..=*hi).contains(&b) || (*negated && b == b'/');
                    inside != *negated && reference(rest, tail)
                }
                None => false,
            },
        }
    }

    fn token() -> impl Strategy<Value = Token> {
        prop_oneof![
            Just(Token::Star),
            Just(Token::Any),
            prop::sample::select(b"ab/.-".to_vec()).prop_map(Token::Literal),
            prop::sample::select(b"*?[]\\a".to_vec()).prop_map(Token::Escaped),
            (any::<bool>(), prop::sample::select(b"ab".to_vec()), 0u8..2).prop_map(
                |(negated, lo, width)| Token::Class {
                    negated,
                    lo,
                    hi: lo + width,
                }
            ),
        ]
    }

    fn name() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!['a', 'b', 'c', '/', '.', '*', '-']),
            0..8,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    proptest! {
        #[test]
        fn agrees_with_backtracking_reference(tokens in prop::collection::vec(token(), 0..7), name in name()) {
            let pattern = render(&tokens);
            prop_assert_eq!(glob_match(&pattern, &name), Ok(reference(&tokens, name.as_bytes())), "pattern {:?}", pattern);
        }

        #[test]
        fn malformed_tail_is_an_error_whatever_the_name(tokens in prop::collection::vec(token(), 0..5), name in name(), tail in prop::sample::select(vec!["[", "\\", "[^", "[a-", "[]", "[-a]", "[a"])) {
            let pattern = format!("{}{tail}", render(&tokens));
            prop_assert_eq!(glob_match(&pattern, &name), Err(BadPattern));
        }

        #[test]
        fn never_panics(pattern in "\\PC{0,12}", name in "\\PC{0,12}") {
            let _ = glob_match(&pattern, &name);
        }
    }
}
