//! The YAML document as a tree that remembers where every value was written.
//!
//! Scenario files are read in two steps: this module turns the text into [`Node`]s with
//! positions (using the event parser that serde-saphyr is built on and re-exports, so there
//! is one YAML implementation in the build), and the readers walk the tree, collecting every
//! mistake. A tree, not serde, because serde stops at the first error and forgets where
//! values came from; and raw scalar text, because YAML's typing would turn a tag `1.10`
//! into the number 1.1.
//!
//! Handled here: anchors and aliases (an alias is a copy of its anchor's node, with a budget
//! against alias bombs), merge keys (`<<: *defaults`, explicit keys win), duplicate keys (an
//! error; the first one counts), explicit `!!str` tags, and a single document per file. A
//! YAML syntax error ends reading: the parser cannot resynchronise, so it is the one error.

use serde_saphyr::granit_parser::{Event, Marker, Parser, ScalarStyle, ScanError};

use crate::diagnostics::{Diagnostics, Position};

/// How many nodes aliases may copy in one file; past this, aliases are refused. Real
/// scenarios copy a few dozen; a billion-laughs document would copy exponentially many.
pub(crate) const ALIAS_NODES_MAX: usize = 100_000;

/// One value of the document and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node {
    /// Where the value starts (for a mapping or list, its first key or item, or its bracket).
    pub(crate) position: Position,
    /// The value.
    pub(crate) value: Value,
}

/// The three shapes a YAML value takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// Text as written (after YAML escapes); `plain` when unquoted, so YAML's typing
    /// (`null`, `true`, numbers) applies to it.
    Scalar {
        /// The text.
        text: String,
        /// Unquoted and untagged.
        plain: bool,
    },
    /// A list.
    Sequence(Vec<Node>),
    /// A mapping, in file order; keys are scalars.
    Mapping(Vec<Entry>),
}

/// One `key: value` of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The key's text.
    pub(crate) key: String,
    /// Where the key starts.
    pub(crate) key_position: Position,
    /// The value.
    pub(crate) value: Node,
}

impl Node {
    /// The text of a scalar.
    pub(crate) fn scalar(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar { text, .. } => Some(text),
            _ => None,
        }
    }

    /// Whether this is YAML's null: an empty value, `~` or `null` unquoted.
    pub(crate) fn is_null(&self) -> bool {
        matches!(&self.value, Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }

    /// The entries of a mapping.
    pub(crate) fn entries(&self) -> Option<&[Entry]> {
        match &self.value {
            Value::Mapping(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items of a list.
    pub(crate) fn items(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Sequence(items) => Some(items),
            _ => None,
        }
    }

    /// What the value is, for "expected X, found Y" messages.
    pub(crate) fn describe(&self) -> String {
        match &self.value {
            Value::Scalar { .. } if self.is_null() => "nothing".to_owned(),
            Value::Scalar { text, .. } => crate::caps::shortened(text),
            Value::Sequence(_) => "a list".to_owned(),
            Value::Mapping(_) => "a mapping".to_owned(),
        }
    }
}

fn position(marker: &Marker) -> Position {
    let clamp = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
    Position::new(
        clamp(marker.line()).max(1),
        clamp(marker.col()).saturating_add(1),
    )
}

/// A collection being read.
enum Frame {
    Sequence {
        position: Position,
        anchor: usize,
        items: Vec<Node>,
    },
    Mapping {
        position: Position,
        anchor: usize,
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
    },
}

/// Reads the document. `None` when the text is not YAML or holds no document; the reason is
/// in `diagnostics`.
pub(crate) fn parse_document(text: &str, diagnostics: &mut Diagnostics) -> Option<Node> {
    let mut builder = Builder::default();
    for next in Parser::new_from_str(text) {
        let (event, span) = match next {
            Ok(next) => next,
            Err(error) => {
                let at = tab_position(text, &error).unwrap_or_else(|| position(error.marker()));
                diagnostics.error(at, syntax_message(&error));
                return None;
            }
        };
        if let Err((at, message)) = builder.event(event, position(&span.start), diagnostics) {
            diagnostics.error(at, message);
            return None;
        }
    }
    if builder.root.is_none() {
        diagnostics.error(
            Position::START,
            "the file holds no YAML document (expected a scenario: a mapping with name, description, ...)",
        );
    }
    builder.root
}

/// Where the tab a tab error is about is: the parser marks where the token it was reading
/// started (for a plain scalar, the line before the tab), so the first tab from the start of
/// the marked line on is the one it refused.
fn tab_position(text: &str, error: &ScanError) -> Option<Position> {
    if !error.info().contains("tab") {
        return None;
    }
    let first_line = error.marker().line().max(1);
    text.split('\n')
        .enumerate()
        .skip(first_line - 1)
        .find_map(|(index, line)| {
            let column = line.chars().position(|character| character == '\t')?;
            let clamp = |value: usize| u32::try_from(value).unwrap_or(u32::MAX);
            Some(Position::new(
                clamp(index).saturating_add(1),
                clamp(column).saturating_add(1),
            ))
        })
}

fn syntax_message(error: &ScanError) -> String {
    let info = error.info();
    let first = info.lines().next().unwrap_or("malformed document");
    format!("invalid YAML: {first}")
}

#[derive(Default)]
struct Builder {
    stack: Vec<Frame>,
    anchors: Vec<(usize, Node)>,
    root: Option<Node>,
    documents: usize,
    alias_nodes: usize,
}

type Fatal = (Position, String);

impl Builder {
    fn event(
        &mut self,
        event: Event<'_>,
        at: Position,
        diagnostics: &mut Diagnostics,
    ) -> Result<(), Fatal> {
        match event {
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err((
                        at,
                        "a scenario file holds one YAML document; remove this second one"
                            .to_owned(),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let quoted_by_tag = tag.as_deref().is_some_and(|tag| tag.suffix() == "str");
                let node = Node {
                    position: at,
                    value: Value::Scalar {
                        text: text.into_owned(),
                        plain: style == ScalarStyle::Plain && !quoted_by_tag,
                    },
                };
                self.remember(anchor, &node);
                self.complete(node, diagnostics);
            }
            Event::SequenceStart(_, anchor, _) => self.stack.push(Frame::Sequence {
                position: at,
                anchor,
                items: Vec::new(),
            }),
            Event::MappingStart(_, anchor, _) => self.stack.push(Frame::Mapping {
                position: at,
                anchor,
                entries: Vec::new(),
                key: None,
            }),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Sequence {
                        position,
                        anchor,
                        items,
                    }) => {
                        let node = Node {
                            position,
                            value: Value::Sequence(items),
                        };
                        self.remember(anchor, &node);
                        node
                    }
                    Some(Frame::Mapping {
                        position,
                        anchor,
                        entries,
                        ..
                    }) => {
                        let node = Node {
                            position,
                            value: Value::Mapping(finish_mapping(entries, diagnostics)),
                        };
                        self.remember(anchor, &node);
                        node
                    }
                    None => return Ok(()),
                };
                self.complete(node, diagnostics);
            }
            Event::Alias(id) => {
                let Some(target) = self
                    .anchors
                    .iter()
                    .rev()
                    .find(|(anchor, _)| *anchor == id)
                    .map(|(_, node)| node.clone())
                else {
                    return Err((at, "alias to an unknown anchor".to_owned()));
                };
                self.alias_nodes = self.alias_nodes.saturating_add(count_nodes(&target));
                if self.alias_nodes > ALIAS_NODES_MAX {
                    return Err((
                        at,
                        format!(
                            "aliases copy more than {ALIAS_NODES_MAX} values; write the values out"
                        ),
                    ));
                }
                let mut copy = target;
                copy.position = at;
                self.complete(copy, diagnostics);
            }
            _ => {}
        }
        Ok(())
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 {
            self.anchors.push((anchor, node.clone()));
        }
    }

    /// Hands a finished value to the collection it belongs to, or makes it the root.
    fn complete(&mut self, node: Node, diagnostics: &mut Diagnostics) {
        match self.stack.last_mut() {
            None => self.root = Some(node),
            Some(Frame::Sequence { items, .. }) => items.push(node),
            Some(Frame::Mapping { entries, key, .. }) => match key.take() {
                None => {
                    if !matches!(node.value, Value::Scalar { .. }) {
                        diagnostics.error(
                            node.position,
                            format!("a key must be text, found {}", node.describe()),
                        );
                    }
                    *key = Some(node);
                }
                Some(key) => entries.push((key, node)),
            },
        }
    }
}

fn count_nodes(node: &Node) -> usize {
    match &node.value {
        Value::Scalar { .. } => 1,
        Value::Sequence(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Mapping(entries) => {
            1 + entries
                .iter()
                .map(|entry| 1 + count_nodes(&entry.value))
                .sum::<usize>()
        }
    }
}

/// Applies merge keys and refuses duplicate keys, keeping file order.
fn finish_mapping(raw: Vec<(Node, Node)>, diagnostics: &mut Diagnostics) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::with_capacity(raw.len());
    let mut merges: Vec<Node> = Vec::new();
    for (key, value) in raw {
        let Value::Scalar { text, plain } = key.value else {
            continue;
        };
        if plain && text == "<<" {
            merges.push(value);
            continue;
        }
        if let Some(first) = entries.iter().find(|entry| entry.key == text) {
            diagnostics.error(
                key.position,
                format!(
                    "duplicate key {} (first set at line {})",
                    pullsim_model::go_text::quote(&text),
                    first.key_position.line
                ),
            );
            continue;
        }
        entries.push(Entry {
            key: text,
            key_position: key.position,
            value,
        });
    }
    for merge in merges {
        let sources: Vec<&Node> = match &merge.value {
            Value::Sequence(items) => items.iter().collect(),
            _ => vec![&merge],
        };
        for source in sources {
            let Some(merged) = source.entries() else {
                diagnostics.error(
                    source.position,
                    format!("a merge key takes a mapping, found {}", source.describe()),
                );
                continue;
            };
            for entry in merged {
                if !entries.iter().any(|existing| existing.key == entry.key) {
                    entries.push(entry.clone());
                }
            }
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Option<Node>, Vec<String>) {
        let mut diagnostics = Diagnostics::default();
        let node = parse_document(text, &mut diagnostics);
        let errors = diagnostics
            .finish("f")
            .map(|errors| {
                errors
                    .errors
                    .iter()
                    .map(|error| format!("{}: {}", error.position, error.message))
                    .collect()
            })
            .unwrap_or_default();
        (node, errors)
    }

    fn keys(node: &Node) -> Vec<(String, Position)> {
        node.entries()
            .unwrap()
            .iter()
            .map(|entry| (entry.key.clone(), entry.value.position))
            .collect()
    }

    #[test]
    fn values_keep_their_positions_and_raw_text() {
        let (node, errors) = parse("name: x\nlist:\n  - 1.10\n  - 'quoted'\nmap: {a: 1}\n");
        assert_eq!(errors, Vec::<String>::new());
        let node = node.unwrap();
        assert_eq!(
            keys(&node),
            [
                ("name".to_owned(), Position::new(1, 7)),
                ("list".to_owned(), Position::new(3, 3)),
                ("map".to_owned(), Position::new(5, 6)),
            ]
        );
        let list = node.entries().unwrap()[1].value.items().unwrap();
        assert_eq!(
            list[0].value,
            Value::Scalar {
                text: "1.10".to_owned(),
                plain: true
            }
        );
        assert_eq!(
            list[1].value,
            Value::Scalar {
                text: "quoted".to_owned(),
                plain: false
            }
        );
    }

    #[test]
    fn aliases_copy_and_merge_keys_merge_with_explicit_keys_winning() {
        let (node, errors) =
            parse("base: &b {a: 1, b: 2}\nuse:\n  <<: *b\n  b: 3\ncopy: *b\ntext: !!str 12\n");
        assert_eq!(errors, Vec::<String>::new());
        let node = node.unwrap();
        let used = node.entries().unwrap()[1].value.entries().unwrap();
        let pairs: Vec<(&str, &str)> = used
            .iter()
            .map(|entry| (entry.key.as_str(), entry.value.scalar().unwrap()))
            .collect();
        assert_eq!(pairs, [("b", "3"), ("a", "1")]);
        assert_eq!(
            node.entries().unwrap()[2].value.position,
            Position::new(5, 7)
        );
        assert_eq!(
            node.entries().unwrap()[3].value.value,
            Value::Scalar {
                text: "12".to_owned(),
                plain: false
            }
        );
    }

    #[test]
    fn mistakes_in_the_document_are_reported_where_they_are() {
        for (text, want) in [
            (
                "a: 1\na: 2\n",
                "2:1: duplicate key \"a\" (first set at line 1)",
            ),
            ("a: [1, 2\n", "1:4: invalid YAML: unclosed bracket '['"),
            (
                "",
                "1:1: the file holds no YAML document (expected a scenario: a mapping with name, description, ...)",
            ),
            (
                "a: 1\n---\nb: 2\n",
                "2:1: a scenario file holds one YAML document; remove this second one",
            ),
            ("? [a]\n: 1\n", "1:3: a key must be text, found a list"),
            (
                "a: {<<: 1}\n",
                "1:9: a merge key takes a mapping, found \"1\"",
            ),
        ] {
            let (_, errors) = parse(text);
            assert_eq!(errors, [want.to_owned()], "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_by_the_parser_not_the_stack() {
        let text = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        let (node, errors) = parse(&text);
        assert!(node.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        let text = format!("a: {}1{}\n", "[".repeat(200), "]".repeat(200));
        assert_eq!(parse(&text).1, Vec::<String>::new());
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n".to_owned();
        for level in 1..8 {
            let previous = level - 1;
            text.push_str(&format!(
                "a{level}: &a{level} [*a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}, *a{previous}]\n"
            ));
        }
        let (node, errors) = parse(&text);
        assert!(node.is_none());
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].contains("aliases copy more than 100000 values"),
            "{errors:?}"
        );
    }
}
