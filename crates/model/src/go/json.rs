//! JSON read the way Go's `encoding/json` walks it, because docker configs are decoded by the
//! kubelet with `json.Unmarshal` into Go structs and maps, and several Go behaviours show through:
//! keys stay in document order with duplicates kept (the later value is decoded later), struct
//! field names match case-insensitively, `null` leaves a field untouched, and a value of the wrong
//! type is reported as `json: cannot unmarshal ...` while decoding goes on.
//!
//! Upstream: `golang/go` `src/encoding/json/decode.go` (`object`, `literalStore`,
//! `addErrorContext`, `UnmarshalTypeError.Error`) and `fold.go` (`foldName`). Syntax is checked by
//! `serde_json`, whose messages (with line and column) replace Go's `invalid character ...`
//! wording; `serde_json` also refuses nesting deeper than 128 levels (Go allows 10000) and lone
//! UTF-16 surrogate escapes (Go substitutes U+FFFD). Invalid UTF-8 in the input is replaced by
//! U+FFFD before parsing, as Go does inside strings. Number literals are replaced by `0` padded
//! with spaces before parsing (positions unchanged), because Go accepts any well-formed literal
//! such as `1e999` while `serde_json` rejects values that overflow; no number's value is used.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value in document order; objects keep every member, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub enum GoJson {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// Any number (its value never matters here, only that it is not a string).
    Number,
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<GoJson>),
    /// An object's members in document order.
    Object(Vec<(String, GoJson)>),
}

impl GoJson {
    /// The word Go's `UnmarshalTypeError` uses for this kind of value.
    pub fn go_kind(&self) -> &'static str {
        match self {
            GoJson::Null => "null",
            GoJson::Bool => "bool",
            GoJson::Number => "number",
            GoJson::String(_) => "string",
            GoJson::Array(_) => "array",
            GoJson::Object(_) => "object",
        }
    }
}

/// Parses a JSON document (syntax errors keep `serde_json`'s line and column).
pub fn parse_go_json(bytes: &[u8]) -> Result<GoJson, serde_json::Error> {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(&neutralize_numbers(&text))
}

/// Replaces every well-formed number literal outside strings by `0` and spaces of the same
/// length; malformed ones are left for `serde_json` to report.
fn neutralize_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut start = 0;
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            i += 1;
            continue;
        }
        if byte == b'"' {
            in_string = true;
            i += 1;
            continue;
        }
        if byte == b'-' || byte.is_ascii_digit() {
            let end = bytes
                .iter()
                .skip(i)
                .position(|b| !matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                .map_or(bytes.len(), |len| i + len);
            let literal = text.get(i..end).unwrap_or_default();
            if is_json_number(literal) {
                out.push_str(text.get(start..i).unwrap_or_default());
                out.push('0');
                out.extend(std::iter::repeat_n(' ', literal.len() - 1));
                start = end;
            }
            i = end;
            continue;
        }
        i += 1;
    }
    out.push_str(text.get(start..).unwrap_or_default());
    out
}

/// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn is_json_number(literal: &str) -> bool {
    let digits = |s: &str| -> usize { s.bytes().take_while(u8::is_ascii_digit).count() };
    let rest = literal.strip_prefix('-').unwrap_or(literal);
    let int_len = digits(rest);
    if int_len == 0 || (int_len > 1 && rest.starts_with('0')) {
        return false;
    }
    let mut rest = rest.get(int_len..).unwrap_or_default();
    if let Some(fraction) = rest.strip_prefix('.') {
        let len = digits(fraction);
        if len == 0 {
            return false;
        }
        rest = fraction.get(len..).unwrap_or_default();
    }
    if let Some(exponent) = rest.strip_prefix(['e', 'E']) {
        let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
        let len = digits(exponent);
        if len == 0 {
            return false;
        }
        rest = exponent.get(len..).unwrap_or_default();
    }
    rest.is_empty()
}

impl<'de> Deserialize<'de> for GoJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GoJson, D::Error> {
        deserializer.deserialize_any(GoJsonVisitor)
    }
}

struct GoJsonVisitor;

impl<'de> Visitor<'de> for GoJsonVisitor {
    type Value = GoJson;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<GoJson, E> {
        Ok(GoJson::Null)
    }

    fn visit_none<E>(self) -> Result<GoJson, E> {
        Ok(GoJson::Null)
    }

    fn visit_bool<E>(self, _: bool) -> Result<GoJson, E> {
        Ok(GoJson::Bool)
    }

    fn visit_i64<E>(self, _: i64) -> Result<GoJson, E> {
        Ok(GoJson::Number)
    }

    fn visit_u64<E>(self, _: u64) -> Result<GoJson, E> {
        Ok(GoJson::Number)
    }

    fn visit_f64<E>(self, _: f64) -> Result<GoJson, E> {
        Ok(GoJson::Number)
    }

    fn visit_str<E>(self, value: &str) -> Result<GoJson, E> {
        Ok(GoJson::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<GoJson, E> {
        Ok(GoJson::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GoJson, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(GoJson::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GoJson, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry::<String, GoJson>()? {
            members.push(member);
        }
        Ok(GoJson::Object(members))
    }
}

/// Whether a JSON object key selects the struct field whose JSON name is `field_name`, as Go's
/// case-insensitive field matching decides: both sides folded with `unicode.ToUpper` rune by
/// rune (so `USERNAME` and `uſername` with a long s select `username`; `ß` does not become `SS`).
pub fn go_field_name_matches(key: &str, field_name: &str) -> bool {
    let fold = |c: char| {
        let mut upper = c.to_uppercase();
        match (upper.next(), upper.next()) {
            (Some(single), None) => single,
            _ => c,
        }
    };
    key.chars().map(fold).eq(field_name.chars().map(fold))
}

/// Go's `json.UnmarshalTypeError` as the kubelet would print it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoTypeError {
    /// The JSON kind found (`string`, `number`, `bool`, `array`, `object`).
    pub value: &'static str,
    /// The Go type it could not go into, as `reflect.Type.String()` prints it.
    pub go_type: &'static str,
    /// The Go struct and dotted field path, when the value was inside a struct field.
    pub field: Option<(&'static str, String)>,
}

impl GoTypeError {
    /// Adds the outer struct context the way `addErrorContext` does when an error leaves a
    /// nested `UnmarshalJSON`: the struct is replaced and the field path prefixed.
    pub fn within(mut self, go_struct: &'static str, field: &str) -> GoTypeError {
        let path = match &self.field {
            Some((_, inner)) if !inner.is_empty() => format!("{field}.{inner}"),
            _ => field.to_owned(),
        };
        self.field = Some((go_struct, path));
        self
    }
}

impl fmt::Display for GoTypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some((go_struct, field)) => write!(
                f,
                "json: cannot unmarshal {} into Go struct field {go_struct}.{field} of type {}",
                self.value, self.go_type
            ),
            None => write!(
                f,
                "json: cannot unmarshal {} into Go value of type {}",
                self.value, self.go_type
            ),
        }
    }
}

impl std::error::Error for GoTypeError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let json = parse_go_json(br#"{"b": 1, "a": [true, null, "x"], "b": {"c": 2.5}}"#)
            .expect("valid JSON");
        assert_eq!(
            json,
            GoJson::Object(vec![
                ("b".to_owned(), GoJson::Number),
                (
                    "a".to_owned(),
                    GoJson::Array(vec![
                        GoJson::Bool,
                        GoJson::Null,
                        GoJson::String("x".to_owned())
                    ])
                ),
                (
                    "b".to_owned(),
                    GoJson::Object(vec![("c".to_owned(), GoJson::Number)])
                ),
            ])
        );
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let error = parse_go_json(b"{\n  \"auths\": {,\n}").expect_err("invalid JSON");
        assert_eq!((error.line(), error.column()), (2, 13));
        assert!(error.to_string().contains("line 2 column 13"), "{error}");
        assert!(parse_go_json(b"").is_err());
        assert!(parse_go_json(b"{} x").is_err());
        assert_eq!(
            parse_go_json(b"\"a\xffb\"").ok(),
            Some(GoJson::String("a\u{fffd}b".to_owned()))
        );
    }

    #[test]
    fn numbers_go_accepts_are_accepted() {
        let json = parse_go_json(
            br#"{"a": 1e999, "b": [-0.5E-7, 123456789012345678901234567890], "c": "1e999"}"#,
        )
        .expect("Go accepts any well-formed number");
        assert_eq!(
            json,
            GoJson::Object(vec![
                ("a".to_owned(), GoJson::Number),
                (
                    "b".to_owned(),
                    GoJson::Array(vec![GoJson::Number, GoJson::Number])
                ),
                ("c".to_owned(), GoJson::String("1e999".to_owned())),
            ])
        );
        for malformed in ["01", "1.", "-", "1e", ".5", "+1", "1-2", "[1.e3]"] {
            assert!(parse_go_json(malformed.as_bytes()).is_err(), "{malformed}");
        }
        let error = parse_go_json(b"{\"a\": 1e999,}").expect_err("trailing comma");
        assert_eq!((error.line(), error.column()), (1, 13));
        assert_eq!(
            parse_go_json(br#"["\"1", 2]"#).ok(),
            Some(GoJson::Array(vec![
                GoJson::String("\"1".to_owned()),
                GoJson::Number
            ]))
        );
    }

    #[test]
    fn field_names_fold_like_go() {
        let rows: &[(&str, &str, bool)] = &[
            ("username", "username", true),
            ("USERNAME", "username", true),
            ("UserName", "username", true),
            ("u\u{17f}ername", "username", true),
            ("ema\u{131}l", "email", true),
            ("pa\u{df}word", "password", false),
            ("user", "username", false),
            ("Auths", "auths", true),
            ("httpheaders", "HttpHeaders", true),
            ("\u{212a}", "k", false),
        ];
        for (key, field, expected) in rows {
            assert_eq!(
                go_field_name_matches(key, field),
                *expected,
                "{key:?} vs {field:?}"
            );
        }
    }

    #[test]
    fn type_errors_print_like_go() {
        let inner = GoTypeError {
            value: "number",
            go_type: "string",
            field: Some(("dockerConfigEntryWithAuth", "username".to_owned())),
        };
        assert_eq!(
            inner.to_string(),
            "json: cannot unmarshal number into Go struct field dockerConfigEntryWithAuth.username of type string"
        );
        assert_eq!(
            inner.within("DockerConfigJSON", "auths").to_string(),
            "json: cannot unmarshal number into Go struct field DockerConfigJSON.auths.username of type string"
        );
        let bare = GoTypeError {
            value: "array",
            go_type: "credentialprovider.DockerConfig",
            field: None,
        };
        assert_eq!(
            bare.to_string(),
            "json: cannot unmarshal array into Go value of type credentialprovider.DockerConfig"
        );
    }
}
