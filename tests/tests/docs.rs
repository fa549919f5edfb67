//! The documentation tells the truth about the code and stands alone:
//! `docs/scenario-format.md` lists every field the scenario reader and the registry's
//! catalog accept; every link in README.md, ARCHITECTURE.md and docs/ stays inside the
//! repository; docs/semantics.md keeps the section numbers §1-§10 that code comments cite,
//! and its worked examples (§1.6) are what pullsim-model answers.
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

/// The Markdown documents a reader of the repository follows links in.
fn documents() -> Vec<String> {
    let mut documents = vec!["README.md".to_string(), "ARCHITECTURE.md".to_string()];
    let root = workspace_root();
    for path in files_with_suffix(&root.join("docs"), ".md") {
        documents.push(relative_slash_path(&root, &path));
    }
    documents
}

/// The targets of the `[text](target)` links of a Markdown document, outside code.
fn link_targets(markdown: &str) -> Vec<(usize, String)> {
    let mut targets = Vec::new();
    let mut in_fence = false;
    for (number, line) in markdown.lines().enumerate() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        for (at, _) in line.match_indices("](") {
            let rest = &line[at + 2..];
            if let Some(end) = rest.find(')') {
                targets.push((number + 1, rest[..end].to_string()));
            }
        }
    }
    targets
}

/// Every link that is not a web address names a file inside the repository, so the links
/// work for anyone who clones it.
#[test]
fn every_link_stays_inside_the_repository() {
    let root = workspace_root().canonicalize().expect("the root exists");
    let mut broken = Vec::new();
    for document in documents() {
        let text = read(&document);
        let folder = root.join(&document);
        let folder = folder.parent().expect("a document is in a folder");
        for (line, target) in link_targets(&text) {
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
            {
                continue;
            }
            let file = target.split('#').next().unwrap_or_default();
            match folder.join(file).canonicalize() {
                Ok(path) if path.starts_with(&root) => {}
                Ok(path) => broken.push(format!(
                    "{document}:{line}: ({target}) leads outside the repository, to {}",
                    path.display()
                )),
                Err(_) => broken.push(format!("{document}:{line}: ({target}) does not exist")),
            }
        }
    }
    assert!(
        broken.is_empty(),
        "links that are dead for anyone who clones the repository:\n  {}",
        broken.join("\n  ")
    );
}

/// The numbers of the sections and subsections of `docs/semantics.md` (`1`, `1.3`, ...).
fn semantics_sections() -> BTreeSet<String> {
    read("docs/semantics.md")
        .lines()
        .filter_map(|line| {
            let heading = line
                .strip_prefix("## ")
                .or_else(|| line.strip_prefix("### "))?;
            let number = heading.split_whitespace().next()?.trim_end_matches('.');
            number
                .split('.')
                .all(|part| !part.is_empty() && part.chars().all(|ch| ch.is_ascii_digit()))
                .then(|| number.to_string())
        })
        .collect()
}

/// The behaviour reference keeps its numbering: sections 1 to 10, each subsection the code
/// relies on.
#[test]
fn semantics_has_every_section_from_1_to_10() {
    let sections = semantics_sections();
    let expected = [
        "1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "2", "3", "3.1", "3.2", "3.3", "3.4", "3.5",
        "3.6", "3.7", "4", "4.1", "4.2", "4.3", "4.4", "4.5", "5", "5.1", "5.2", "5.3", "5.4",
        "5.5", "6", "7", "8", "9", "10", "10.1", "10.2", "10.3", "10.4", "10.5", "10.6",
    ];
    let missing: Vec<&str> = expected
        .iter()
        .copied()
        .filter(|number| !sections.contains(*number))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/semantics.md lacks the sections {missing:?}"
    );
}

/// Every section a source file or document cites (`docs/semantics.md §3.4`) exists in
/// docs/semantics.md.
#[test]
fn every_cited_semantics_section_exists() {
    let sections = semantics_sections();
    let root = workspace_root();
    let mut files = files_with_suffix(&root, ".rs");
    files.extend(files_with_suffix(&root, ".md"));
    let mut dangling = Vec::new();
    let mut citations = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let file = relative_slash_path(&root, &path);
        for (number, line) in text.lines().enumerate() {
            {
                let marker = "semantics.md §";
                for (at, _) in line.match_indices(marker) {
                    let cited: String = line[at + marker.len()..]
                        .chars()
                        .take_while(|ch| ch.is_ascii_digit() || *ch == '.')
                        .collect();
                    let cited = cited.trim_end_matches('.');
                    if cited.is_empty() {
                        continue;
                    }
                    citations += 1;
                    if !sections.contains(cited) {
                        dangling.push(format!("{file}:{}: §{cited}", number + 1));
                    }
                }
            }
        }
    }
    assert!(citations > 50, "found only {citations} citations");
    assert!(
        dangling.is_empty(),
        "these cite sections docs/semantics.md does not have:\n  {}",
        dangling.join("\n  ")
    );
}

/// No file of the repository points outside it to the notes the project was built from:
/// neither their folder nor their file name (citations go to docs/semantics.md).
#[test]
fn nothing_points_outside_the_repository() {
    let root = workspace_root();
    let outside = concat!("..", "/shared");
    let notes = concat!("SEMAN", "TICS");
    let mut files = Vec::new();
    for suffix in [".rs", ".md", ".toml", ".yaml", ".json", ".py", ".txt"] {
        files.extend(files_with_suffix(&root, suffix));
    }
    files.push(root.join(".ci/run"));
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            std::fs::read_to_string(path)
                .is_ok_and(|text| text.contains(outside) || text.contains(notes))
        })
        .map(|path| relative_slash_path(&root, path))
        .collect();
    assert!(
        offenders.is_empty(),
        "these files mention {outside}, which is not in the repository:\n  {}",
        offenders.join("\n  ")
    );
}

/// The rows of the first table under `heading` in docs/semantics.md (cells hold no `|`),
/// each cell without its backticks.
fn semantics_table(heading: &str) -> Vec<Vec<String>> {
    let text = read("docs/semantics.md");
    let (_, section) = text
        .split_once(heading)
        .unwrap_or_else(|| panic!("docs/semantics.md has no {heading:?}"));
    section
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().replace('`', ""))
                .collect()
        })
        .collect()
}

/// The worked examples of §1.6 are what pullsim-model answers, so the reference and the
/// code cannot drift apart.
#[test]
fn semantics_reference_examples_are_what_the_model_answers() {
    const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let rows = semantics_table("### 1.6 ");
    assert!(rows.len() >= 10, "§1.6 has only {} rows", rows.len());
    let mut wrong = Vec::new();
    for row in &rows {
        let [input, name, tag, policy, kubelet, containerd] = row.as_slice() else {
            panic!("a §1.6 row has {} cells: {row:?}", row.len());
        };
        let input = input.replace("<H64>", H64);
        let expand = |cell: &str| cell.replace("<H64>", H64);
        let parsed = pullsim_model::Reference::parse_normalized_named(&input);
        let got_name = match &parsed {
            Ok(reference) => reference.name(),
            Err(err) => format!("invalid: {err}"),
        };
        let want_name = if name.starts_with("the same") {
            input.clone()
        } else {
            expand(name)
        };
        let got_tag = match (&parsed, pullsim_model::parse_image_name(&input)) {
            (Ok(reference), _) if reference.tag().is_none() && reference.digest().is_none() => {
                "(latest)".to_string()
            }
            (Ok(reference), _) => reference.tag().unwrap_or("none").to_string(),
            (Err(_), _) => String::new(),
        };
        let got_policy = pullsim_model::default_pull_policy(&input)
            .as_str()
            .to_string();
        let got_kubelet = pullsim_model::apply_default_image_tag(&input)
            .unwrap_or_else(|_| "InvalidImageName".to_string());
        let want_kubelet = if kubelet == "unchanged" {
            input.clone()
        } else {
            expand(kubelet)
        };
        let got_containerd = pullsim_model::parse_docker_ref(&input)
            .map_or_else(|_| "error".to_string(), |reference| reference.to_string());
        let want_containerd = if containerd == "the same" {
            want_kubelet.clone()
        } else {
            expand(containerd)
        };
        for (column, got, want) in [
            ("name", &got_name, &want_name),
            ("tag", &got_tag, &expand(tag)),
            ("policy", &got_policy, &expand(policy)),
            ("kubelet image", &got_kubelet, &want_kubelet),
            ("containerd", &got_containerd, &want_containerd),
        ] {
            if got != want {
                wrong.push(format!("{input}: {column} is {got:?}, §1.6 says {want:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "docs/semantics.md §1.6 disagrees with pullsim-model:\n  {}",
        wrong.join("\n  ")
    );
}
