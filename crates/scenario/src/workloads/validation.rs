//! The API server's field errors, word for word, for the workload fields pullsim reads.
//!
//! apimachinery's `field.Error` prints `<path>: <type>: <value>: <detail>`
//! (k8s.io/apimachinery/pkg/util/validation/field/errors.go): `Invalid value: 0: may not
//! be 0 when `maxSurge` is 0`, `Required value`, `Unsupported value: "Never": supported
//! values: "Always"`, `Forbidden: ...`. Values print as current releases print them, as
//! JSON (`0`, `"25%"`, `{"app":"web"}`). The checks are the ones of
//! pkg/apis/apps/validation/validation.go (`ValidatePositiveIntOrPercent`,
//! `IsNotMoreThan100Percent`, `ValidateNonnegativeField` from pkg/apis/core/validation)
//! and of apimachinery's `IsValidPercent`.

use std::collections::BTreeMap;

use pullsim_model::controllers::IntOrPercent;

use crate::diagnostics::Diagnostics;
use crate::fields::number;
use crate::tree::{Node, Value as Written};

/// A value as an error prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A number: `0`.
    Int(i64),
    /// A string: `"25%"`.
    Text(String),
    /// A label map: `{"app":"web"}`.
    Labels(BTreeMap<String, String>),
    /// A structure, already as JSON: `{"partition":2}`.
    Json(String),
}

impl Value {
    /// The value as JSON, the way current releases print it.
    pub(crate) fn json(&self) -> String {
        match self {
            Value::Int(number) => number.to_string(),
            Value::Text(text) => json_string(text),
            Value::Labels(labels) => {
                let pairs: Vec<String> = labels
                    .iter()
                    .map(|(key, value)| format!("{}:{}", json_string(key), json_string(value)))
                    .collect();
                format!("{{{}}}", pairs.join(","))
            }
            Value::Json(json) => json.clone(),
        }
    }

    /// An int-or-string value as written.
    pub(crate) fn of(value: IntOrPercent) -> Value {
        match value {
            IntOrPercent::Int(number) => Value::Int(number),
            IntOrPercent::Percent(_) => Value::Text(value.to_string()),
        }
    }
}

/// A JSON string literal.
fn json_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for character in text.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
    out
}

/// `field.Invalid`.
pub(crate) fn invalid(path: &str, value: &Value, detail: &str) -> String {
    format!("{path}: Invalid value: {}: {detail}", value.json())
}

/// `field.Required`.
pub(crate) fn required(path: &str, detail: &str) -> String {
    if detail.is_empty() {
        format!("{path}: Required value")
    } else {
        format!("{path}: Required value: {detail}")
    }
}

/// `field.NotSupported`.
pub(crate) fn not_supported(path: &str, value: &Value, supported: &[&str]) -> String {
    let quoted: Vec<String> = supported.iter().map(|value| json_string(value)).collect();
    format!(
        "{path}: Unsupported value: {}: supported values: {}",
        value.json(),
        quoted.join(", ")
    )
}

/// `field.Forbidden`.
pub(crate) fn forbidden(path: &str, detail: &str) -> String {
    format!("{path}: Forbidden: {detail}")
}

/// `ValidateNonnegativeField`'s detail.
pub(crate) const NEGATIVE: &str = "must be greater than or equal to 0";

/// `IsValidPercent`'s message (apimachinery's `RegexError` with its examples).
pub(crate) const NOT_A_PERCENT: &str = "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', or '93%', regex used for validation is '[0-9]+%')";

/// Readers of numbers the API server checks.
pub(crate) struct FieldError;

impl FieldError {
    /// An `int32` field that must not be negative (`ValidateNonnegativeField`).
    pub(crate) fn nonnegative(
        node: &Node,
        path: &str,
        diagnostics: &mut Diagnostics,
    ) -> Option<u32> {
        let value = number::<i32>(node, diagnostics)?;
        match u32::try_from(value) {
            Ok(value) => Some(value),
            Err(_) => {
                diagnostics.error(
                    node.position,
                    invalid(path, &Value::Int(i64::from(value)), NEGATIVE),
                );
                None
            }
        }
    }
}

/// An int-or-percent field (`maxSurge: 1`, `maxUnavailable: 25%`) as
/// `ValidatePositiveIntOrPercent` takes it: a whole number not below 0, or digits then `%`.
pub(crate) fn int_or_percent(
    node: &Node,
    path: &str,
    diagnostics: &mut Diagnostics,
) -> Option<IntOrPercent> {
    match &node.value {
        Written::Scalar { text, plain: true } if !text.ends_with('%') => {
            let value = i64::from(number::<i32>(node, diagnostics)?);
            if value < 0 {
                diagnostics.error(node.position, invalid(path, &Value::Int(value), NEGATIVE));
                return None;
            }
            Some(IntOrPercent::Int(value))
        }
        Written::Scalar { text, .. } => {
            let digits = text.strip_suffix('%').unwrap_or_default();
            let valid = !digits.is_empty() && digits.bytes().all(|byte| byte.is_ascii_digit());
            match digits.parse::<i64>() {
                Ok(percent) if valid => Some(IntOrPercent::Percent(percent)),
                _ => {
                    diagnostics.error(
                        node.position,
                        invalid(path, &Value::Text(text.clone()), NOT_A_PERCENT),
                    );
                    None
                }
            }
        }
        _ => {
            diagnostics.error(
                node.position,
                format!(
                    "{path}: expected a whole number or a percentage such as 25%, found {}",
                    node.describe()
                ),
            );
            None
        }
    }
}

/// `IsNotMoreThan100Percent`.
pub(crate) fn at_most_100_percent(
    value: IntOrPercent,
    node: Option<&Node>,
    path: &str,
    diagnostics: &mut Diagnostics,
) -> bool {
    match (value, node) {
        (IntOrPercent::Percent(percent), Some(node)) if percent > 100 => {
            diagnostics.error(
                node.position,
                invalid(path, &Value::of(value), "must not be greater than 100%"),
            );
            false
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_print_as_apimachinery_prints_them() {
        assert_eq!(
            invalid(
                "spec.strategy.rollingUpdate.maxUnavailable",
                &Value::Int(0),
                "may not be 0 when `maxSurge` is 0"
            ),
            "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"
        );
        let labels = BTreeMap::from([
            ("tier".to_owned(), "web".to_owned()),
            ("app".to_owned(), "a\"b".to_owned()),
        ]);
        assert_eq!(
            Value::Labels(labels).json(),
            r#"{"app":"a\"b","tier":"web"}"#
        );
        assert_eq!(
            not_supported(
                "spec.template.spec.restartPolicy",
                &Value::Text("Never".to_owned()),
                &["Always"]
            ),
            r#"spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always""#
        );
        assert_eq!(
            required("spec.selector", ""),
            "spec.selector: Required value"
        );
        assert_eq!(
            forbidden("spec.strategy.rollingUpdate", "x"),
            "spec.strategy.rollingUpdate: Forbidden: x"
        );
        assert_eq!(Value::of(IntOrPercent::Percent(25)).json(), "\"25%\"");
    }
}
