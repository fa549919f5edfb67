//! No input makes `Scenario::parse` panic: arbitrary text, YAML-looking text, and valid
//! scenarios with lines deleted, duplicated, swapped, re-indented or with characters
//! changed. Every error it returns names the file and a position inside the text.

use std::path::Path;

use proptest::prelude::*;
use pullsim_scenario::Scenario;

fn fixture_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut texts = Vec::new();
    for topic in std::fs::read_dir(&root).expect("fixtures folder") {
        for file in std::fs::read_dir(topic.expect("entry").path()).expect("topic folder") {
            let path = file.expect("entry").path();
            texts.push(std::fs::read_to_string(path).expect("fixture text"));
        }
    }
    texts.sort();
    texts
}

/// Parses and checks the shape of the answer.
fn parse_checked(text: &str) {
    let lines = text.lines().count().max(1) as u32 + 1;
    if let Err(errors) = Scenario::parse("p.yaml", text) {
        assert!(!errors.errors.is_empty());
        for error in &errors.errors {
            assert!(
                error.position.line >= 1 && error.position.line <= lines,
                "{error:?} in {text:?}"
            );
            assert!(error.position.column >= 1, "{error:?}");
            assert!(
                !error.message.is_empty() && !error.message.contains('\n'),
                "{error:?}"
            );
        }
        for line in errors.to_string().lines() {
            assert!(line.starts_with("p.yaml:"), "{line}");
        }
    }
}

/// One way to damage a scenario.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Indent(usize, usize),
    Dedent(usize),
    ReplaceChar(usize, char),
    InsertText(usize, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let piece = prop_oneof![
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just("{".to_owned()),
        Just("]".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("<<: ".to_owned()),
        Just("!!str ".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        Just("~".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("\t".to_owned()),
        Just("99999999999999999999".to_owned()),
        "\\PC{0,6}",
    ];
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), 1usize..6).prop_map(|(line, by)| Mutation::Indent(line, by)),
        any::<usize>().prop_map(Mutation::Dedent),
        (any::<usize>(), any::<char>()).prop_map(|(at, c)| Mutation::ReplaceChar(at, c)),
        (any::<usize>(), piece).prop_map(|(at, text)| Mutation::InsertText(at, text)),
    ]
}

fn apply(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    if lines.is_empty() {
        return text.to_owned();
    }
    let pick = |index: usize| index % lines.len();
    match mutation {
        Mutation::DeleteLine(index) => {
            let at = pick(*index);
            lines.remove(at);
        }
        Mutation::DuplicateLine(index) => {
            let at = pick(*index);
            let line = lines[at].clone();
            lines.insert(at, line);
        }
        Mutation::SwapLines(a, b) => {
            let (a, b) = (pick(*a), pick(*b));
            lines.swap(a, b);
        }
        Mutation::Indent(index, by) => {
            let at = pick(*index);
            lines[at] = format!("{}{}", " ".repeat(*by), lines[at]);
        }
        Mutation::Dedent(index) => {
            let at = pick(*index);
            lines[at] = lines[at].trim_start().to_owned();
        }
        Mutation::ReplaceChar(index, replacement) => {
            let joined = lines.join("\n");
            let chars: Vec<char> = joined.chars().collect();
            let at = index % chars.len().max(1);
            let changed: String = chars
                .iter()
                .enumerate()
                .map(|(i, c)| if i == at { *replacement } else { *c })
                .collect();
            return changed;
        }
        Mutation::InsertText(index, piece) => {
            let joined = lines.join("\n");
            let chars: Vec<char> = joined.chars().collect();
            let at = index % (chars.len() + 1);
            let mut changed: String = chars[..at].iter().collect();
            changed.push_str(piece);
            changed.extend(&chars[at..]);
            return changed;
        }
    }
    lines.join("\n")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        parse_checked(&text);
    }

    #[test]
    fn yaml_looking_text_never_panics(
        lines in prop::collection::vec(
            (0usize..8, "[a-zA-Z<>&*!~\\-]{0,12}", prop_oneof![Just(": "), Just(": ["), Just(": {"), Just("- "), Just(":"), Just("")], "[a-zA-Z0-9 ,\\]\\}\\[\\{:\\-\"']{0,20}"),
            0..30,
        )
    ) {
        let text: String = lines
            .iter()
            .map(|(indent, key, separator, value)| format!("{}{key}{separator}{value}\n", " ".repeat(*indent)))
            .collect();
        parse_checked(&text);
    }

    #[test]
    fn mutated_scenarios_never_panic(
        which in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..5),
    ) {
        let texts = fixture_texts();
        let mut text = texts[which % texts.len()].clone();
        for mutation in &mutations {
            text = apply(&text, mutation);
        }
        parse_checked(&text);
    }
}

#[test]
fn every_single_line_deletion_of_every_fixture_is_handled() {
    for text in fixture_texts() {
        let count = text.lines().count();
        for index in 0..count {
            parse_checked(&apply(&text, &Mutation::DeleteLine(index)));
            parse_checked(&apply(&text, &Mutation::Dedent(index)));
        }
    }
}
