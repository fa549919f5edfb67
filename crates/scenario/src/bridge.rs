//! A serde `Deserializer` over the positioned tree, so the parts of a scenario that other
//! crates already describe with serde (pullsim-registry's `ImageSpec`, `AccessRule` and
//! `FaultRule`) are read by their own definitions, never re-described here, while their
//! errors still name the line and column of the offending key or value.
//!
//! Each error is pinned to the innermost node it arose in: a wrong key to the key, a wrong
//! value to the value, a rule that fails its own `try_from` check to the rule. Plain scalars
//! are typed as YAML 1.2's core schema types them (null, booleans, integers, floats), but a
//! type that asks for text gets the text as written, so `tag: 1.10` stays `"1.10"`.

use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use crate::diagnostics::Position;
use crate::suggest::unknown_field_message;
use crate::tree::{Entry, Node, Value};

/// Reads `node` as a `T` by `T`'s own serde definition; an error carries the position of
/// the value it is about and a message in this crate's style.
pub(crate) fn deserialize<T: DeserializeOwned>(node: &Node) -> Result<T, (Position, String)> {
    T::deserialize(NodeDeserializer(node)).map_err(|error| {
        (
            error.position.unwrap_or(node.position),
            restyle(&error.message),
        )
    })
}

/// serde's messages quote names in backticks and list every expected field; here names
/// are quoted like the rest of pullsim's messages, and an unknown field gets a suggestion.
fn restyle(message: &str) -> String {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return unknown_field_message(field, &candidates);
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((variant, expected)) = rest.split_once('`')
    {
        let candidates: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return format!(
            "unknown value {} (expected {})",
            pullsim_model::go_text::quote(variant),
            candidates.join(", ")
        );
    }
    message.replace('`', "\"")
}

/// An error on its way out of serde, with the position of the node it arose in.
#[derive(Debug)]
pub(crate) struct BridgeError {
    message: String,
    position: Option<Position>,
}

impl BridgeError {
    fn at(mut self, position: Position) -> BridgeError {
        self.position.get_or_insert(position);
        self
    }
}

impl fmt::Display for BridgeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BridgeError {}

impl de::Error for BridgeError {
    fn custom<T: fmt::Display>(message: T) -> BridgeError {
        BridgeError {
            message: message.to_string(),
            position: None,
        }
    }
}

/// The YAML 1.2 core-schema type of a plain scalar.
enum Plain<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Text(&'a str),
}

fn resolve(text: &str) -> Plain<'_> {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Plain::Null,
        "true" | "True" | "TRUE" => return Plain::Bool(true),
        "false" | "False" | "FALSE" => return Plain::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(value) = u64::from_str_radix(hex, 16)
    {
        return Plain::Unsigned(value);
    }
    if let Some(octal) = text.strip_prefix("0o")
        && let Ok(value) = u64::from_str_radix(octal, 8)
    {
        return Plain::Unsigned(value);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
        if let Ok(value) = text.trim_start_matches('+').parse::<u64>() {
            return Plain::Unsigned(value);
        }
        // `-0` is no unsigned number: as text, a size or count says it is invalid.
        match text.parse::<i64>() {
            Ok(0) if text.starts_with('-') => return Plain::Text(text),
            Ok(value) => return Plain::Signed(value),
            Err(_) => {}
        }
    }
    if is_float(digits)
        && let Ok(value) = text.parse::<f64>()
    {
        return Plain::Float(value);
    }
    Plain::Text(text)
}

/// `[0-9]*(\.[0-9]*)?([eE][-+]?[0-9]+)?` with at least one digit before the exponent.
fn is_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], Some(&text[at + 1..])),
        None => (text, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |part: &str| part.bytes().all(|byte| byte.is_ascii_digit());
    let mantissa_ok =
        digits(whole) && digits(fraction) && !(whole.is_empty() && fraction.is_empty());
    let exponent_ok = exponent.is_none_or(|exponent| {
        let exponent = exponent.strip_prefix(['-', '+']).unwrap_or(exponent);
        !exponent.is_empty() && digits(exponent)
    });
    mantissa_ok && exponent_ok
}

#[derive(Clone, Copy)]
struct NodeDeserializer<'a>(&'a Node);

impl<'de> NodeDeserializer<'de> {
    fn plain(&self) -> Option<Plain<'de>> {
        match &self.0.value {
            Value::Scalar { text, plain: true } => Some(resolve(text)),
            _ => None,
        }
    }
}

impl<'de> Deserializer<'de> for NodeDeserializer<'de> {
    type Error = BridgeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        let position = self.0.position;
        let result = match &self.0.value {
            Value::Scalar { text, plain } => {
                if !plain {
                    visitor.visit_borrowed_str(text)
                } else {
                    match resolve(text) {
                        Plain::Null => visitor.visit_unit(),
                        Plain::Bool(value) => visitor.visit_bool(value),
                        Plain::Unsigned(value) => visitor.visit_u64(value),
                        Plain::Signed(value) => visitor.visit_i64(value),
                        Plain::Float(value) => visitor.visit_f64(value),
                        Plain::Text(text) => visitor.visit_borrowed_str(text),
                    }
                }
            }
            Value::Sequence(items) => visitor.visit_seq(Items {
                items: items.iter(),
            }),
            Value::Mapping(entries) => visitor.visit_map(Entries {
                entries: entries.iter(),
                value: None,
            }),
        };
        result.map_err(|error| error.at(position))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match &self.0.value {
            Value::Scalar { text, .. } if !self.0.is_null() => visitor
                .visit_borrowed_str::<BridgeError>(text)
                .map_err(|error: BridgeError| error.at(self.0.position)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        if self.0.is_null() {
            visitor.visit_none()
        } else {
            visitor
                .visit_some(self)
                .map_err(|error| error.at(self.0.position))
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        visitor
            .visit_newtype_struct(self)
            .map_err(|error| error.at(self.0.position))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        let position = self.0.position;
        let result = match &self.0.value {
            Value::Scalar { text, .. } => {
                visitor.visit_enum(StrDeserializer::<BridgeError>::new(text))
            }
            Value::Mapping(entries) if entries.len() == 1 => {
                visitor.visit_enum(Variant(&entries[0]))
            }
            _ => Err(de::Error::custom(format!(
                "expected a name or a mapping with one key, found {}",
                self.0.describe()
            ))),
        };
        result.map_err(|error| error.at(position))
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        visitor.visit_unit()
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, BridgeError> {
        match self.plain() {
            Some(Plain::Bool(value)) => visitor.visit_bool(value),
            _ => self.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
    }
}

struct Items<'a> {
    items: std::slice::Iter<'a, Node>,
}

impl<'de> SeqAccess<'de> for Items<'de> {
    type Error = BridgeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, BridgeError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(NodeDeserializer(item))
            .map(Some)
            .map_err(|error| error.at(item.position))
    }
}

struct Entries<'a> {
    entries: std::slice::Iter<'a, Entry>,
    value: Option<&'a Node>,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = BridgeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, BridgeError> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(&entry.value);
        seed.deserialize(StrDeserializer::<BridgeError>::new(&entry.key))
            .map(Some)
            .map_err(|error| error.at(entry.key_position))
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, BridgeError> {
        let Some(value) = self.value.take() else {
            return Err(de::Error::custom("a value was asked for before its key"));
        };
        seed.deserialize(NodeDeserializer(value))
            .map_err(|error| error.at(value.position))
    }
}

struct Variant<'a>(&'a Entry);

impl<'de> EnumAccess<'de> for Variant<'de> {
    type Error = BridgeError;
    type Variant = NodeDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, NodeDeserializer<'de>), BridgeError> {
        let key = StrDeserializer::<BridgeError>::new(&self.0.key);
        let variant = seed
            .deserialize(key)
            .map_err(|error| error.at(self.0.key_position))?;
        Ok((variant, NodeDeserializer(&self.0.value)))
    }
}

impl<'de> VariantAccess<'de> for NodeDeserializer<'de> {
    type Error = BridgeError;

    fn unit_variant(self) -> Result<(), BridgeError> {
        if self.0.is_null() {
            Ok(())
        } else {
            Err(<BridgeError as de::Error>::custom("this name takes no value").at(self.0.position))
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, BridgeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, BridgeError> {
        self.deserialize_any(visitor)
    }
}

#[cfg(test)]
mod tests {
    use pullsim_model::{ByteSize, Platform};
    use pullsim_registry::{FaultRule, ImageFormat, ImageSpec};

    use super::*;
    use crate::diagnostics::Diagnostics;
    use crate::tree::parse_document;

    fn read<T: DeserializeOwned>(text: &str) -> Result<T, String> {
        let mut diagnostics = Diagnostics::default();
        let node = parse_document(text, &mut diagnostics).expect("test documents are YAML");
        deserialize(&node).map_err(|(position, message)| format!("{position}: {message}"))
    }

    #[test]
    fn registry_types_read_by_their_own_definitions() {
        let spec: ImageSpec = read(
            "repository: app\ntag: 1.10\nplatforms: [linux/arm64/v8]\nformat: docker\nlayers: [20MiB, 500]\n",
        )
        .unwrap();
        assert_eq!(spec.tag, "1.10");
        assert_eq!(spec.platforms, [Platform::new("linux", "arm64", "v8")]);
        assert_eq!(spec.format, ImageFormat::Docker);
        assert_eq!(spec.layers, [ByteSize(20 << 20), ByteSize(500)]);
        let rule: FaultRule =
            read("match: {path: '/v2/*'}\nstatus: 429\nretry_after: 5s\n").unwrap();
        assert_eq!(rule.matcher.path.as_deref(), Some("/v2/*"));
        let optional: Option<u32> = read("~").unwrap();
        assert_eq!(optional, None);
        let numbers: Vec<f64> = read("[1.5, 2, -3, 1e3]").unwrap();
        assert_eq!(numbers, [1.5, 2.0, -3.0, 1000.0]);
    }

    #[test]
    fn errors_name_the_key_or_value_they_are_about() {
        for (text, want) in [
            (
                "repository: app\ntag: v1\nlayrs: [1KiB]\n",
                "3:1: unknown field \"layrs\" (did you mean \"layers\"?)",
            ),
            (
                "repository: app\ntag: v1\nlayers: [1KiB, 4 parsecs]\n",
                "3:16: invalid size \"4 parsecs\": want a number and a unit such as 500B, 4KiB, 20MiB or 1.5GiB",
            ),
            ("repository: app\n", "1:1: missing field \"tag\""),
            (
                "repository: app\ntag: v1\nformat: podman\n",
                "3:9: unknown value \"podman\" (expected oci, docker)",
            ),
            (
                "repository: app\ntag: v1\nbuild: -1\n",
                "3:8: invalid value: integer \"-1\", expected u32",
            ),
            (
                "repository: app\ntag: v1\nlayers: [-0]\n",
                "3:10: invalid size \"-0\": want a number and a unit such as 500B, 4KiB, 20MiB or 1.5GiB",
            ),
        ] {
            assert_eq!(read::<ImageSpec>(text).unwrap_err(), want, "{text:?}");
        }
        assert_eq!(
            read::<FaultRule>("status: 418\n").unwrap_err(),
            "1:1: status 418 is not a fault status: want 401, 403, 404, 429, 500, 502 or 503"
        );
    }
}
