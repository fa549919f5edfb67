//! Reading the positioned tree: mappings field by field, and scalars as the typed values
//! pullsim uses (text, numbers, durations, sizes, bandwidths, bounds), each mistake recorded
//! with its position and reading carrying on.
//!
//! [`Fields`] remembers which keys its reader asked for, so the list of fields a place takes
//! is written once, by the code that reads them, and [`Fields::finish`] can name what an
//! unknown key should have been. Scenario sections are strict: any unknown key is an error.
//! Pasted Kubernetes manifests are lenient ([`Fields::finish_manifest`]): a key is an error
//! only when it is close to a field that affects pulling, so `resources` or `ports` paste in
//! while `imagePulPolicy` does not.
//!
//! A key whose value is YAML null (`imagePullPolicy:` with nothing after it) counts as
//! absent, as it does for the Kubernetes API.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::go_text::quote;
use pullsim_model::units::parse_duration;
use pullsim_model::{Bandwidth, ByteSize, SimTime};

use crate::caps::{LABEL_KEY_MAX, LABEL_MAX, within};
use crate::diagnostics::{Diagnostics, Position};
use crate::suggest::{suggestion, unknown_field_message};
use crate::tree::{Entry, Node, Value};

/// The fields of one mapping, read by name.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    position: Position,
    entries: &'a [Entry],
    asked: Vec<&'static str>,
    taken: Vec<bool>,
}

impl<'a> Fields<'a> {
    /// The fields of `node`, or `None` (with an error naming `what`) when it is not a
    /// mapping. A null value reads as an empty mapping.
    pub(crate) fn of(
        node: &'a Node,
        what: &str,
        diagnostics: &mut Diagnostics,
    ) -> Option<Fields<'a>> {
        let entries: &[Entry] = match &node.value {
            Value::Mapping(entries) => entries,
            _ if node.is_null() => &[],
            _ => {
                diagnostics.error(
                    node.position,
                    format!("expected {what} (a mapping), found {}", node.describe()),
                );
                return None;
            }
        };
        Some(Fields {
            position: node.position,
            entries,
            asked: Vec::new(),
            taken: vec![false; entries.len()],
        })
    }

    /// Where the mapping starts.
    pub(crate) fn position(&self) -> Position {
        self.position
    }

    /// The entry for `key`, unless absent or null.
    pub(crate) fn entry(&mut self, key: &'static str) -> Option<&'a Entry> {
        self.asked.push(key);
        let index = self.entries.iter().position(|entry| entry.key == key)?;
        self.taken[index] = true;
        let entry = &self.entries[index];
        (!entry.value.is_null()).then_some(entry)
    }

    /// The value for `key`, unless absent or null.
    pub(crate) fn get(&mut self, key: &'static str) -> Option<&'a Node> {
        self.entry(key).map(|entry| &entry.value)
    }

    /// The value for `key`; when absent, an error at the mapping's start.
    pub(crate) fn require(
        &mut self,
        key: &'static str,
        diagnostics: &mut Diagnostics,
    ) -> Option<&'a Node> {
        let value = self.get(key);
        if value.is_none() {
            diagnostics.error(self.position, format!("missing field {}", quote(key)));
        }
        value
    }

    /// The entry for `key` when it is written and nobody has read it, without asking for it
    /// (so [`Fields::finish`] still reports it); for keys that belong somewhere else.
    pub(crate) fn unread(&self, key: &str) -> Option<&'a Entry> {
        let entries: &'a [Entry] = self.entries;
        entries
            .iter()
            .zip(&self.taken)
            .find(|(entry, taken)| !**taken && entry.key == key)
            .map(|(entry, _)| entry)
    }

    /// Reports every key nobody asked for, suggesting the asked-for key it is closest to.
    pub(crate) fn finish(self, diagnostics: &mut Diagnostics) {
        for (entry, taken) in self.entries.iter().zip(&self.taken) {
            if !taken {
                diagnostics.error(
                    entry.key_position,
                    unknown_field_message(&entry.key, &self.asked),
                );
            }
        }
    }

    /// The top level of a manifest that pullsim adds its own keys to (`replicas`, `at`):
    /// the keys in `kubernetes` that pullsim does not read are ignored, and every other
    /// unknown key is an error, since it can only be a misspelling (`att: 2m`) of one the
    /// reader asked for.
    pub(crate) fn finish_extended_manifest(
        self,
        kubernetes: &[&str],
        diagnostics: &mut Diagnostics,
    ) {
        for (entry, taken) in self.entries.iter().zip(&self.taken) {
            if !taken && !kubernetes.contains(&entry.key.as_str()) {
                diagnostics.error(
                    entry.key_position,
                    unknown_field_message(&entry.key, &self.asked),
                );
            }
        }
    }

    /// Ignores keys nobody asked for, except those close to an asked-for key: those are
    /// misspellings of a field that affects pulling, and would silently change the result.
    pub(crate) fn finish_manifest(self, diagnostics: &mut Diagnostics) {
        for (entry, taken) in self.entries.iter().zip(&self.taken) {
            if !taken && let Some(near) = suggestion(&entry.key, &self.asked) {
                diagnostics.error(
                    entry.key_position,
                    format!(
                        "unknown field {} (did you mean {}? it affects pulling, so it is not ignored)",
                        quote(&entry.key),
                        quote(near)
                    ),
                );
            }
        }
    }
}

/// Non-empty text.
pub(crate) fn text(node: &Node, diagnostics: &mut Diagnostics) -> Option<String> {
    match &node.value {
        Value::Scalar { text, .. } if !node.is_null() && !text.is_empty() => Some(text.clone()),
        _ => {
            diagnostics.error(
                node.position,
                format!("expected text, found {}", node.describe()),
            );
            None
        }
    }
}

/// `true` or `false` (YAML 1.2: not `yes`, `no`, `on` or `off`).
pub(crate) fn boolean(node: &Node, diagnostics: &mut Diagnostics) -> Option<bool> {
    match &node.value {
        Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "true" | "True" | "TRUE") =>
        {
            Some(true)
        }
        Value::Scalar { text, plain: true }
            if matches!(text.as_str(), "false" | "False" | "FALSE") =>
        {
            Some(false)
        }
        _ => {
            diagnostics.error(
                node.position,
                format!("expected true or false, found {}", node.describe()),
            );
            None
        }
    }
}

/// A whole number, possibly negative, written without quotes.
pub(crate) fn integer(node: &Node, diagnostics: &mut Diagnostics) -> Option<i64> {
    let parsed = match &node.value {
        Value::Scalar { text, plain: true } => {
            let digits = text.strip_prefix('-').unwrap_or(text);
            if !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit()) {
                text.parse::<i64>().ok()
            } else {
                None
            }
        }
        _ => None,
    };
    if parsed.is_none() {
        diagnostics.error(
            node.position,
            format!("expected a whole number, found {}", node.describe()),
        );
    }
    parsed
}

/// The whole-number types fields are read as, with their ranges for messages.
pub(crate) trait WholeNumber: TryFrom<i64> {
    /// The smallest value.
    const MIN: i64;
    /// The largest value that fits an `i64`.
    const MAX: i64;
}

impl WholeNumber for u16 {
    const MIN: i64 = 0;
    const MAX: i64 = u16::MAX as i64;
}

impl WholeNumber for u32 {
    const MIN: i64 = 0;
    const MAX: i64 = u32::MAX as i64;
}

impl WholeNumber for u64 {
    const MIN: i64 = 0;
    const MAX: i64 = i64::MAX;
}

impl WholeNumber for i32 {
    const MIN: i64 = i32::MIN as i64;
    const MAX: i64 = i32::MAX as i64;
}

/// A whole number in the range of `T` (for counts: `u32`, `u64`; for kubelet fields: `i32`).
pub(crate) fn number<T: WholeNumber>(node: &Node, diagnostics: &mut Diagnostics) -> Option<T> {
    let value = integer(node, diagnostics)?;
    let converted = T::try_from(value).ok();
    if converted.is_none() {
        diagnostics.error(
            node.position,
            format!(
                "{value} is out of range (expected a whole number from {} to {})",
                T::MIN,
                T::MAX
            ),
        );
    }
    converted
}

/// A duration with units (`500ms`, `30s`, `10m`, `1h30m`).
pub(crate) fn duration(node: &Node, diagnostics: &mut Diagnostics) -> Option<Duration> {
    let written = text(node, diagnostics)?;
    if written.trim_start().starts_with('-') {
        diagnostics.error(
            node.position,
            format!(
                "negative duration {} (expected a duration such as 500ms, 30s or 10m)",
                quote(&written)
            ),
        );
        return None;
    }
    parse_duration(&written)
        .map_err(|error| diagnostics.error(node.position, error.to_string()))
        .ok()
}

/// A time since the scenario's epoch, written as a duration (`at: 30s`).
pub(crate) fn time(node: &Node, diagnostics: &mut Diagnostics) -> Option<SimTime> {
    duration(node, diagnostics).map(SimTime::from_duration)
}

/// A size with units (`500B`, `4KiB`, `20MiB`), or a plain count of bytes.
pub(crate) fn size(node: &Node, diagnostics: &mut Diagnostics) -> Option<ByteSize> {
    let written = text(node, diagnostics)?;
    ByteSize::parse(&written)
        .map_err(|error| diagnostics.error(node.position, error.to_string()))
        .ok()
}

/// A link speed with units (`100Mbit/s`, `1Gbit/s`, `50MiB/s`).
pub(crate) fn bandwidth(node: &Node, diagnostics: &mut Diagnostics) -> Option<Bandwidth> {
    let written = text(node, diagnostics)?;
    Bandwidth::parse(&written)
        .map_err(|error| diagnostics.error(node.position, error.to_string()))
        .ok()
}

/// The items of a list; a null value is an empty list.
pub(crate) fn list<'a>(node: &'a Node, diagnostics: &mut Diagnostics) -> &'a [Node] {
    match &node.value {
        Value::Sequence(items) => items,
        _ if node.is_null() => &[],
        _ => {
            diagnostics.error(
                node.position,
                format!("expected a list, found {}", node.describe()),
            );
            &[]
        }
    }
}

/// A mapping of text to text (labels, `nodeSelector`), in key order.
pub(crate) fn text_map(node: &Node, diagnostics: &mut Diagnostics) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(fields) = Fields::of(node, "a mapping of names to values", diagnostics) else {
        return map;
    };
    for entry in fields.entries {
        if let Some(value) = entry.value.scalar() {
            let key_fits = within(
                entry.key_position,
                &entry.key,
                "label key",
                LABEL_KEY_MAX,
                diagnostics,
            );
            let value_fits = within(
                entry.value.position,
                value,
                "label value",
                LABEL_MAX,
                diagnostics,
            );
            if key_fits && value_fits {
                map.insert(entry.key.clone(), value.to_owned());
            }
        } else {
            diagnostics.error(
                entry.value.position,
                format!("expected text, found {}", entry.value.describe()),
            );
        }
    }
    map
}

/// An allowed range, written as one value (`2`: exactly) or `{min: ..., max: ...}` with at
/// least one end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bounds<T> {
    /// The smallest allowed value, inclusive.
    pub min: Option<T>,
    /// The largest allowed value, inclusive.
    pub max: Option<T>,
}

impl<T: PartialOrd + Copy> Bounds<T> {
    /// Exactly `value`.
    pub fn exactly(value: T) -> Bounds<T> {
        Bounds {
            min: Some(value),
            max: Some(value),
        }
    }

    /// Whether `value` is within the bounds.
    pub fn contains(&self, value: T) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

/// Reads bounds whose ends `read` reads.
pub(crate) fn bounds<T: PartialOrd + Copy + std::fmt::Debug>(
    node: &Node,
    diagnostics: &mut Diagnostics,
    read: fn(&Node, &mut Diagnostics) -> Option<T>,
) -> Option<Bounds<T>> {
    if node.entries().is_none() {
        return read(node, diagnostics).map(Bounds::exactly);
    }
    let mut fields = Fields::of(node, "bounds", diagnostics)?;
    let min_node = fields.get("min");
    let max_node = fields.get("max");
    let position = fields.position();
    fields.finish(diagnostics);
    let min = min_node.and_then(|node| read(node, diagnostics));
    let max = max_node.and_then(|node| read(node, diagnostics));
    if min_node.is_none() && max_node.is_none() {
        diagnostics.error(position, "bounds need min, max or both");
        return None;
    }
    if let (Some(low), Some(high)) = (min, max)
        && low > high
    {
        diagnostics.error(position, "min is larger than max");
        return None;
    }
    if min_node.is_some() != min.is_some() || max_node.is_some() != max.is_some() {
        return None;
    }
    Some(Bounds { min, max })
}
