//! Errors from reading YAML and JSON documents (Secret manifests, catalogs, scenario files),
//! reduced to what a person needs: one line saying what is wrong, and where.
//!
//! serde-saphyr's messages repeat the position and add a multi-line source snippet, and
//! serde_json's end in `at line L column C`; every caller would otherwise trim them its own
//! way. Here they are trimmed once, and the position is kept as numbers so a command can
//! print the compiler's `FILE:LINE:COLUMN: message` form.

use std::fmt;

use serde::de::DeserializeOwned;

/// A document that could not be read: what is wrong, and the 1-based position when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentError {
    /// One line, without the position.
    pub message: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// 1-based column, when known.
    pub column: Option<u64>,
}

/// `line L column C: message`, or just the message when the position is unknown.
impl fmt::Display for DocumentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => {
                write!(f, "line {line} column {column}: {}", self.message)
            }
            (Some(line), None) => write!(f, "line {line}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for DocumentError {}

impl DocumentError {
    /// From serde-saphyr: the first line of its text, without its `error: ` prefix and its
    /// own copy of the position.
    pub fn from_yaml(error: &serde_saphyr::Error) -> DocumentError {
        let location = error.location();
        let (line, column) = (location.map(|l| l.line()), location.map(|l| l.column()));
        DocumentError {
            message: reworded(&trimmed(&error.to_string(), line, column)),
            line,
            column,
        }
    }

    /// From serde_json: its message without the trailing `at line L column C`.
    pub fn from_json(error: &serde_json::Error) -> DocumentError {
        let (line, column) = (Some(error.line() as u64), Some(error.column() as u64));
        let (line, column) = if error.line() == 0 {
            (None, None)
        } else {
            (line, column)
        };
        DocumentError {
            message: trimmed(&error.to_string(), line, column),
            line,
            column,
        }
    }
}

fn trimmed(text: &str, line: Option<u64>, column: Option<u64>) -> String {
    let first = text.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let Some(line) = line else {
        return first.to_owned();
    };
    let position = column.map_or_else(
        || format!("line {line}"),
        |column| format!("line {line} column {column}"),
    );
    let first = first
        .strip_prefix(&format!("{position}: "))
        .unwrap_or(first);
    let first = first
        .strip_suffix(&format!(" at {position}"))
        .unwrap_or(first);
    first.to_owned()
}

/// serde-saphyr's own words for its limits, which print a Rust value
/// (`budget breached: Nodes { nodes: 250001 }`) or its type system
/// (`recursive references require weak recursion types`), in a reader's terms.
fn reworded(message: &str) -> String {
    if let Some(breach) = message.strip_prefix("budget breached: ") {
        let kind = breach.split([' ', '{']).next().unwrap_or_default();
        let count: String = breach.chars().filter(char::is_ascii_digit).collect();
        let what = match kind {
            "Events" => "parser events",
            "Aliases" => "aliases",
            "Anchors" => "anchors",
            "Depth" => "levels of nesting",
            "Documents" => "documents",
            "Nodes" => "values",
            "ScalarBytes" => "bytes of text",
            "CommentBytes" => "bytes of comments",
            "MergeKeys" => "merge keys",
            _ => "parts",
        };
        return if count.is_empty() {
            format!("the document is too large to read (too many {what})")
        } else {
            format!(
                "the document is too large to read ({count} {what}, more than the reader takes)"
            )
        };
    }
    if message.contains("recursive references require weak recursion types") {
        return "an alias refers to an anchor that contains it (a recursive document)".to_owned();
    }
    message.to_owned()
}

/// Reads a YAML document (JSON is YAML too, but [`parse_json`] gives JSON's messages).
pub fn parse_yaml<T: DeserializeOwned>(text: &str) -> Result<T, DocumentError> {
    serde_saphyr::from_str(text).map_err(|error| DocumentError::from_yaml(&error))
}

/// Reads a JSON document.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, DocumentError> {
    serde_json::from_str(text).map_err(|error| DocumentError::from_json(&error))
}

/// Reads JSON, or YAML when the text is not JSON at all (YAML flow style such as
/// `{status: 503}` included), so each format gets its own parser's messages: a JSON document
/// with a wrong field is reported by the JSON parser, not as a YAML syntax error.
pub fn parse_json_or_yaml<T: DeserializeOwned>(text: &str) -> Result<T, DocumentError> {
    match serde_json::from_str(text) {
        Ok(value) => Ok(value),
        Err(error) if error.is_syntax() || error.is_eof() => parse_yaml(text),
        Err(error) => Err(DocumentError::from_json(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only decoding is tested")]
    struct Doc {
        name: String,
        size: u32,
    }

    /// Rows: document, then the whole one-line error (`line L column C: message`).
    type Parser = fn(&str) -> Result<Doc, DocumentError>;

    fn check(rows: &[(&str, &str, Parser)]) {
        for (text, want, parse) in rows {
            let error = parse(text).expect_err("the document is bad");
            assert_eq!(error.to_string(), *want, "{text:?}");
            assert!(
                !error.message.contains('\n') && !error.message.contains("line "),
                "{error:?}"
            );
        }
    }

    #[test]
    fn errors_are_one_line_with_the_position_once() {
        check(&[
            (
                "name: a\nsize: [\n",
                "line 2 column 7: expected string scalar",
                parse_yaml,
            ),
            (
                "name: a\nsize: 1\nsizes: 2\n",
                "line 3 column 1: unknown field `sizes`, expected one of name, size",
                parse_yaml,
            ),
            (
                "{\"name\": \"a\",\n \"size\" 1}",
                "line 2 column 9: expected `:`",
                parse_json,
            ),
            (
                "{\"name\": \"a\", \"size\": -1}",
                "line 1 column 24: invalid value: integer `-1`, expected u32",
                parse_json,
            ),
            // JSON with a wrong field gets JSON's message; text that is not JSON is YAML.
            (
                "{\"name\": \"a\", \"size\": -1}",
                "line 1 column 24: invalid value: integer `-1`, expected u32",
                parse_json_or_yaml,
            ),
            (
                "{name: a, size: x}",
                "line 1 column 17: invalid u32",
                parse_json_or_yaml,
            ),
        ]);
    }

    #[test]
    fn the_yaml_readers_limits_are_told_without_its_types() {
        let many = format!("name: [{}]\nsize: 1\n", vec!["0"; 250_001].join(", "));
        let error = parse_yaml::<serde_json::Value>(&many).expect_err("too many values");
        assert!(
            error
                .message
                .starts_with("the document is too large to read ("),
            "{error:?}"
        );
        assert!(!error.message.contains('{'), "{error:?}");
        let recursive = parse_yaml::<serde_json::Value>("a: &x [*x]\n").expect_err("recursive");
        assert_eq!(
            recursive.message,
            "an alias refers to an anchor that contains it (a recursive document)",
            "{recursive:?}"
        );
    }
}
