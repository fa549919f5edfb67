//! Where a scenario is wrong and what was expected: positions, one error per mistake, and
//! the list of all of them that [`Scenario::parse`](crate::Scenario::parse) returns.
//!
//! Reading never stops at the first mistake: every reader pushes its errors into one
//! `Diagnostics` and carries on with what it could read, so a person fixing a file sees
//! every problem in one run, in file order, each as `file:line:column: message`. A mistake
//! in a file the scenario names (a `manifests:` file) names that file instead.

use std::fmt;

/// A place in the scenario text: 1-based line and 1-based column, counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    /// The line, from 1.
    pub line: u32,
    /// The column, from 1, in characters (not bytes).
    pub column: u32,
}

impl Position {
    /// The start of the file.
    pub const START: Position = Position { line: 1, column: 1 };

    /// A position from its 1-based line and column.
    pub fn new(line: u32, column: u32) -> Position {
        Position { line, column }
    }
}

/// `line:column`, the form compilers print.
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One mistake: where, and a lowercase message saying what is wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ScenarioError {
    /// Where the offending value (or key) starts.
    pub position: Position,
    /// What is wrong, and what was expected.
    pub message: String,
    /// The file the position is in, when it is not the scenario file (a `manifests:`
    /// file, named as the errors print it).
    pub file: Option<String>,
}

/// Every mistake in one scenario file (and the files it names), in file order: the
/// scenario file's first, then each named file's. Displays one `file:line:column: message`
/// per line, without a trailing newline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioErrors {
    /// The file name as the caller gave it.
    pub file_name: String,
    /// The mistakes, sorted by position; never empty.
    pub errors: Vec<ScenarioError>,
}

impl fmt::Display for ScenarioErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(
                f,
                "{}:{}: {}",
                error.file.as_deref().unwrap_or(&self.file_name),
                error.position,
                error.message
            )?;
        }
        Ok(())
    }
}

/// The bytes of a file as UTF-8 text, or where the first byte that is not UTF-8 is and a
/// message saying so (`invalid UTF-8 (byte 0xff); ...`): line and column count the
/// characters before it, as every other position does.
pub fn utf8_text(bytes: &[u8]) -> Result<&str, ScenarioError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = &bytes[..error.valid_up_to()];
        // The prefix is valid UTF-8 by definition of `valid_up_to`.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |at| at + 1);
        let clamp = |count: usize| u32::try_from(count).unwrap_or(u32::MAX);
        let line = clamp(before.matches('\n').count()).saturating_add(1);
        let column = clamp(before[line_start..].chars().count()).saturating_add(1);
        let byte = bytes.get(error.valid_up_to()).copied().unwrap_or_default();
        ScenarioError {
            position: Position::new(line, column),
            message: format!("invalid UTF-8 (byte 0x{byte:02x}); the file must be UTF-8 text"),
            file: None,
        }
    })
}

/// The errors collected while reading one file.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    errors: Vec<ScenarioError>,
}

impl Diagnostics {
    /// Records a mistake at `position`.
    pub(crate) fn error(&mut self, position: Position, message: impl Into<String>) {
        self.errors.push(ScenarioError {
            position,
            message: message.into(),
            file: None,
        });
    }

    /// Records a mistake at `position` in `file`, another file than the one being read
    /// (`None`: the one being read).
    pub(crate) fn error_in(
        &mut self,
        file: Option<&str>,
        position: Position,
        message: impl Into<String>,
    ) {
        self.errors.push(ScenarioError {
            position,
            message: message.into(),
            file: file.map(str::to_owned),
        });
    }

    /// Takes the mistakes of `other`, found in a part of this file that starts `lines`
    /// lines down.
    pub(crate) fn append_shifted(&mut self, other: Diagnostics, lines: u32) {
        for mut error in other.errors {
            error.position.line = error.position.line.saturating_add(lines);
            self.errors.push(error);
        }
    }

    /// Takes the mistakes found while reading `file` (collected in `other`), naming it.
    pub(crate) fn absorb(&mut self, file: &str, other: Diagnostics) {
        for mut error in other.errors {
            error.file.get_or_insert_with(|| file.to_owned());
            self.errors.push(error);
        }
    }

    /// How many mistakes have been recorded so far.
    pub(crate) fn count(&self) -> usize {
        self.errors.len()
    }

    /// `None` when nothing was wrong; otherwise every mistake in file order, each once.
    /// The sort is stable, so two mistakes at one place keep the order they were found in.
    pub(crate) fn finish(mut self, file_name: &str) -> Option<ScenarioErrors> {
        if self.errors.is_empty() {
            return None;
        }
        self.errors
            .sort_by(|a, b| (&a.file, a.position).cmp(&(&b.file, b.position)));
        let mut unique: Vec<ScenarioError> = Vec::with_capacity(self.errors.len());
        for error in self.errors {
            if !unique.contains(&error) {
                unique.push(error);
            }
        }
        Some(ScenarioErrors {
            file_name: file_name.to_owned(),
            errors: unique,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_found_at_its_line_and_column() {
        let error = utf8_text(b"name: t\ndescr\xc3\xa9: \xff\n").unwrap_err();
        assert_eq!(error.position, Position::new(2, 9));
        assert_eq!(
            error.message,
            "invalid UTF-8 (byte 0xff); the file must be UTF-8 text"
        );
        assert_eq!(utf8_text(b"ok").unwrap(), "ok");
    }

    #[test]
    fn errors_print_one_per_line_in_file_order_without_repeats() {
        let mut diagnostics = Diagnostics::default();
        diagnostics.error(Position::new(14, 7), "second");
        diagnostics.error(Position::new(2, 1), "first");
        diagnostics.error(Position::new(14, 7), "second");
        diagnostics.error(Position::new(14, 7), "third, same place");
        let mut other = Diagnostics::default();
        other.error(Position::new(1, 1), "in the manifests file");
        diagnostics.absorb("scenarios/app.yaml", other);
        let errors = diagnostics.finish("scenarios/x.yaml").unwrap();
        assert_eq!(
            errors.to_string(),
            "scenarios/x.yaml:2:1: first\nscenarios/x.yaml:14:7: second\nscenarios/x.yaml:14:7: third, same place\nscenarios/app.yaml:1:1: in the manifests file"
        );
        assert!(Diagnostics::default().finish("x").is_none());
    }
}
