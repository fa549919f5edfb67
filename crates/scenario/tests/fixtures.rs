//! Every fixture under `tests/fixtures/<topic>/` is a valid scenario: one per topic of the
//! scenario library (issue 5), so the format can express each of them.

use std::path::{Path, PathBuf};

use pullsim_scenario::Scenario;

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files = Vec::new();
    for topic in std::fs::read_dir(&root).expect("fixtures folder") {
        let topic = topic.expect("entry").path();
        for file in std::fs::read_dir(&topic).expect("topic folder") {
            let file = file.expect("entry").path();
            if file
                .extension()
                .is_some_and(|extension| extension == "yaml")
            {
                files.push(file);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn every_fixture_parses() {
    let files = fixtures();
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture text");
        if let Err(errors) = Scenario::parse(&path.display().to_string(), &text) {
            failures.push(errors.to_string());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_topic_of_the_library_has_a_fixture() {
    let files = fixtures();
    for topic in [
        "policies",
        "drift",
        "arch",
        "credentials",
        "prepulled",
        "backoff",
        "pulls",
    ] {
        assert!(
            files.iter().any(|file| file
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == topic)),
            "no fixture for {topic}"
        );
    }
}
