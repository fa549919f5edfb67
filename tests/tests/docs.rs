//! The documentation tells the truth about the code: `docs/scenario-format.md` lists every
//! field the scenario reader and the registry's catalog accept.
//!
//! The scenario reader asks for its fields by name (`fields.get("pool")`,
//! `fields.require("host", ..)`, and the `ACTIONS`/`CHECKS` lists it reads key by key), so
//! those names are collected from `crates/scenario/src/`. Image specs, base layers, access
//! and fault rules are the registry's serde types, read by their own definitions; their
//! field lists come from the types themselves, through the error serde gives for an
//! unknown field.

use std::collections::BTreeSet;

use pullsim_tests::{files_with_suffix, relative_slash_path, workspace_root};

fn read(relative: &str) -> String {
    std::fs::read_to_string(workspace_root().join(relative))
        .unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// The text of every `code span` of a Markdown document, fenced blocks included.
fn code_spans(markdown: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut in_fence = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            spans.push(line.to_string());
            continue;
        }
        let mut parts = line.split('`');
        parts.next();
        while let (Some(inside), Some(_)) = (parts.next(), parts.next()) {
            spans.push(inside.to_string());
        }
    }
    spans
}

fn is_word(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_'
}

/// Whether `span` names `key` as a field: the whole span (`pool`), its start (`pool: x`,
/// `status unreachable`), a path's last part (`metadata.uid`) or a key of an inline
/// mapping (`{min: ..., max: ...}`, `{registry, repository}`).
fn names_field(span: &str, key: &str) -> bool {
    let span = span.trim();
    if span == key {
        return true;
    }
    for (at, _) in span.match_indices(key) {
        let before = span[..at].chars().next_back();
        let after = span[at + key.len()..].chars().next();
        if after.is_some_and(is_word) {
            continue;
        }
        let keyish_after = matches!(after, None | Some(':' | ',' | '}' | ' ' | ')' | '.'));
        let keyish_before = match before {
            None => true,
            Some('.' | '{') => true,
            Some(' ') => span[..at].trim_end().ends_with(['{', ',', '(']),
            _ => false,
        };
        if keyish_before && keyish_after {
            return true;
        }
    }
    false
}

/// The fields the scenario reader asks for, each with the first place it does.
fn scenario_reader_fields() -> Vec<(String, String)> {
    let root = workspace_root();
    let mut found: Vec<(String, String)> = Vec::new();
    let mut add = |key: &str, place: String| {
        if !key.is_empty()
            && key.chars().all(is_word)
            && !found.iter().any(|(known, _)| known == key)
        {
            found.push((key.to_string(), place));
        }
    };
    for path in files_with_suffix(&root.join("crates/scenario/src"), ".rs") {
        let text = std::fs::read_to_string(&path).expect("a source file is readable");
        let file = relative_slash_path(&root, &path);
        for (number, line) in text.lines().enumerate() {
            for call in [".get(\"", ".require(\"", ".entry(\""] {
                for (at, _) in line.match_indices(call) {
                    let rest = &line[at + call.len()..];
                    let key = rest.split('"').next().unwrap_or_default();
                    add(key, format!("{file}:{}", number + 1));
                }
            }
        }
        // Lists of keys read one by one: `NAME.iter().filter_map(|&key| fields.get(key) ..)`.
        let squeezed: String = text.chars().filter(|ch| !ch.is_whitespace()).collect();
        for (at, _) in squeezed.match_indices(".iter().filter_map(|&key|fields.get(key)") {
            let name: String = squeezed[..at]
                .chars()
                .rev()
                .take_while(|ch| is_word(*ch))
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            let declaration = format!("const{name}:[&str;");
            let Some(start) = squeezed.find(&declaration) else {
                continue;
            };
            let body = &squeezed[start..];
            let list = body
                .split_once("=[")
                .and_then(|(_, rest)| rest.split_once("];"))
                .map(|(list, _)| list)
                .unwrap_or_default();
            for key in list.split(',') {
                add(key.trim_matches('"'), format!("{file} ({name})"));
            }
        }
    }
    found
}

/// The fields a serde type with `deny_unknown_fields` accepts, from the error it gives for
/// one it does not: "unknown field `x`, expected one of `a`, `b`".
macro_rules! serde_fields {
    ($type:ty) => {
        expected_fields(
            serde_json::from_str::<$type>(r#"{"zz_not_a_field": 0}"#)
                .err()
                .map(|err| err.to_string()),
        )
    };
}

fn expected_fields(message: Option<String>) -> Vec<String> {
    let message = message.expect("a value with an unknown field is refused");
    let (_, expected) = message
        .split_once("expected ")
        .unwrap_or_else(|| panic!("serde named no expected fields: {message}"));
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .map(String::from)
        .collect()
}

#[test]
fn scenario_format_lists_every_field_the_reader_accepts() {
    let docs = code_spans(&read("docs/scenario-format.md"));
    let documented = |key: &str| docs.iter().any(|span| names_field(span, key));
    let mut missing = Vec::new();
    let fields = scenario_reader_fields();
    assert!(
        fields.len() > 60,
        "found only {} reader fields",
        fields.len()
    );
    for (key, place) in &fields {
        if !documented(key) {
            missing.push(format!("`{key}` (read at {place})"));
        }
    }
    let types: [(&str, Vec<String>); 6] = [
        ("Catalog", serde_fields!(pullsim_registry::Catalog)),
        ("ImageSpec", serde_fields!(pullsim_registry::ImageSpec)),
        ("BaseLayers", serde_fields!(pullsim_registry::BaseLayers)),
        ("AccessRule", serde_fields!(pullsim_registry::AccessRule)),
        ("FaultRule", serde_fields!(pullsim_registry::FaultRule)),
        ("FaultMatch", serde_fields!(pullsim_registry::FaultMatch)),
    ];
    let mut seen = BTreeSet::new();
    for (name, keys) in &types {
        assert!(!keys.is_empty(), "{name} lists no fields");
        for key in keys {
            if seen.insert(key.clone()) && !documented(key) {
                missing.push(format!(
                    "`{key}` (a field of pullsim_registry::{name}, crates/registry/src)"
                ));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/scenario-format.md does not document these fields the scenario reader accepts:\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn a_field_is_named_only_where_it_is_a_field() {
    assert!(names_field("pool", "pool"));
    assert!(names_field("metadata.uid", "uid"));
    assert!(names_field("{min: ..., max: ...}", "max"));
    assert!(names_field("{registry, repository, tag, to}", "to"));
    assert!(names_field("corrupt: true", "corrupt"));
    assert!(!names_field("<<: *base", "base"));
    assert!(!names_field("database", "base"));
    assert!(!names_field("sized images", "size"));
    assert_eq!(
        code_spans("a `b` c `d e`\n```\nf: g\n```"),
        ["b", "d e", "f: g"]
    );
}
