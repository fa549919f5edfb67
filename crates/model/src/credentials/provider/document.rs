//! A YAML or JSON document as a tree of values that remember where they were written, so the
//! kubelet's strict decoding and its validation can be reproduced with a position on every
//! message (serde's derive would stop at the first error and word it its own way).
//!
//! YAML is read by serde-saphyr with [`Spanned`] values. JSON is checked by `serde_json` (so its
//! errors are JSON's) and its tree taken from serde-saphyr when that reads it too (JSON indented
//! with tabs, which YAML refuses and the kubelet accepts, then has no positions).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::document::DocumentError;

/// A 1-based line and column in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: u64,
    /// 1-based column.
    pub column: u64,
}

/// `line L column C`, the form [`DocumentError`] prints.
impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {} column {}", self.line, self.column)
    }
}

/// One value and where it starts (unknown for JSON read by `serde_json`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) position: Option<Position>,
    pub(crate) value: Value,
}

/// The JSON data model, maps in document order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Number,
    String(String),
    Array(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl Value {
    /// The kind Go's `encoding/json` names in an `UnmarshalTypeError`.
    pub(crate) fn go_kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        }
    }
}

fn position_of(location: serde_saphyr::Location) -> Option<Position> {
    (location.line() > 0).then(|| Position {
        line: location.line(),
        column: location.column(),
    })
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Node, D::Error> {
        let spanned = Spanned::<Value>::deserialize(deserializer)?;
        Ok(Node {
            position: position_of(spanned.referenced),
            value: spanned.value,
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Value, E> {
        Ok(Value::Number)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Value, E> {
        Ok(Value::Number)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Value, E> {
        Ok(Value::Number)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Node>()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value::<Node>()?;
            members.push((key, value));
        }
        Ok(Value::Object(members))
    }
}

/// Reads a document as the kubelet's decoder recognises it: text starting with `{` is JSON
/// (its errors are JSON's; the tree comes from the YAML reader when that reads it too, for the
/// positions), anything else YAML.
pub(crate) fn read_document(text: &str) -> Result<Node, DocumentError> {
    if text.trim_start().starts_with('{') {
        let node =
            serde_json::from_str::<Node>(text).map_err(|error| DocumentError::from_json(&error))?;
        return Ok(serde_saphyr::from_str::<Node>(text).unwrap_or(node));
    }
    serde_saphyr::from_str::<Node>(text).map_err(|error| DocumentError::from_yaml(&error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_values_carry_their_positions() {
        let node = read_document("a: 1\nb:\n  - x\n  - true\nc: null\n").unwrap();
        let Value::Object(members) = &node.value else {
            panic!("an object: {node:?}")
        };
        let keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["a", "b", "c"]);
        let (_, b) = &members[1];
        let Value::Array(items) = &b.value else {
            panic!("an array")
        };
        assert_eq!(items[0].position, Some(Position { line: 3, column: 5 }));
        assert_eq!(items[0].value, Value::String("x".to_owned()));
        assert_eq!(items[1].value, Value::Bool(true));
        assert_eq!(members[0].1.value, Value::Number);
        assert_eq!(members[2].1.value, Value::Null);
    }

    #[test]
    fn json_with_tabs_is_read_without_positions() {
        let node = read_document("{\n\t\"a\": [\n\t\t\"x\"\n\t]\n}").unwrap();
        let Value::Object(members) = &node.value else {
            panic!("an object")
        };
        assert_eq!(members[0].0, "a");
    }

    #[test]
    fn broken_json_gets_the_json_message() {
        let error = read_document("{\"a\": }").unwrap_err();
        assert_eq!(error.line, Some(1));
        assert!(error.message.contains("expected value"), "{error}");
    }
}
