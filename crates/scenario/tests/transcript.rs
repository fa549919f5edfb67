//! The transcript's words for a fleet: a registry's failure named as the registry's, the
//! platform each pull chose from an index, columns that stay aligned with long registry
//! hosts, and which digest each node holds at the end.

use pullsim_scenario::Scenario;
use pullsim_scenario::run::{RunOptions, run};

/// Two pools on a registry with a long host name and a multi-arch image, an outage of it
/// for the first 30 s, and a tag re-pushed at 2m that a third pod pulls.
const FLEET: &str = r#"
name: fleet-words
description: The transcript's words for a fleet.
seed: 3
kubernetes: {podWorker: {errorRequeue: 10s, resync: 1m}}
registries:
  - host: registry.eu-west-1.long-internal-name.example.com:5000
    images:
      - {repository: team/app, tag: v1, platforms: [linux/amd64, linux/arm64]}
      - {repository: team/solo, tag: v1}
nodes:
  - {pool: amd, platform: linux/amd64, count: 2}
  - {pool: arm, platform: linux/arm64}
workloads:
  - {metadata: {name: app}, replicas: 3, spec: {containers: [{name: c, image: "registry.eu-west-1.long-internal-name.example.com:5000/team/app:v1"}]}}
  - {metadata: {name: solo}, at: 2m30s, spec: {nodeName: amd-0, containers: [{name: c, image: "registry.eu-west-1.long-internal-name.example.com:5000/team/solo:v1", imagePullPolicy: Always}]}}
timeline:
  - {at: 0s, outage: {registry: "registry.eu-west-1.long-internal-name.example.com:5000", until: 30s}}
  - {at: 2m, push: {registry: "registry.eu-west-1.long-internal-name.example.com:5000", repository: team/solo, tag: v1, build: 2}}
run: {for: 4m}
"#;

const HOST: &str = "registry.eu-west-1.long-internal-name.example.com:5000";

fn transcript() -> String {
    let scenario = Scenario::parse("fleet.yaml", FLEET).unwrap_or_else(|e| panic!("{e}"));
    run(&scenario, &RunOptions::default()).text()
}

/// The lines of the story (those that start with a time).
fn story(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| line.len() > 14 && line.as_bytes()[2] == b':' && line.as_bytes()[8] == b'.')
        .collect()
}

#[test]
fn a_503_during_an_outage_is_the_registrys_answer_not_a_credentials_failure() {
    let text = transcript();
    assert!(!text.contains("anonymous: failed"), "{text}");
    let line = story(&text)
        .into_iter()
        .find(|line| line.contains(" pull ") && line.contains("answered"))
        .unwrap_or_else(|| panic!("no registry failure line in\n{text}"));
    assert!(
        line.ends_with(&format!(
            "{HOST} answered 503 Service Unavailable to HEAD manifest (anonymous)"
        )),
        "{line}"
    );
    assert!(line.contains("  pull     Registry  "), "{line}");
}

#[test]
fn each_pull_of_an_index_names_the_platform_it_chose() {
    let text = transcript();
    let chosen: Vec<&str> = story(&text)
        .into_iter()
        .filter(|line| line.contains(" Platform "))
        .collect();
    // Three pods of app pulled once each (after the outage), the two on amd nodes folded
    // into one line; solo is no index.
    assert_eq!(chosen.len(), 2, "{text}");
    assert!(
        chosen[0].contains("pod/app-{0,1} ×2")
            && chosen[0].contains("linux/amd64 → sha256:")
            && chosen[0].ends_with(" on amd-{0,1}"),
        "{chosen:#?}"
    );
    assert!(
        chosen[1].contains("pod/app-2")
            && chosen[1].contains("linux/arm64 → sha256:")
            && chosen[1].ends_with(" on arm-0"),
        "{chosen:#?}"
    );
}

#[test]
fn columns_stay_aligned_with_a_long_registry_host() {
    let text = transcript();
    let lines = story(&text);
    // The type column starts at the same character on every line.
    let types = [
        "pod ", "status ", "Normal ", "Warning ", "request ", "pull ", "action ",
    ];
    let starts: Vec<usize> = lines
        .iter()
        .map(|line| {
            let chars: Vec<char> = line.chars().collect();
            (14..chars.len())
                .find(|&at| {
                    chars[at - 2..at] == [' ', ' ']
                        && types
                            .iter()
                            .any(|t| chars[at..].iter().collect::<String>().starts_with(t))
                })
                .unwrap_or(0)
        })
        .collect();
    assert!(
        starts.iter().all(|&s| s == starts[0] && s > 0),
        "{starts:?}\n{text}"
    );
    // And so does the text column: the reason column is cut, never the text.
    let request = lines
        .iter()
        .find(|line| line.contains(" request "))
        .unwrap();
    assert!(
        request.contains('…'),
        "the long host is shortened in its column: {request}"
    );
}

#[test]
fn the_end_shows_which_digest_each_node_holds() {
    let text = transcript();
    let section: Vec<&str> = text
        .lines()
        .skip_while(|line| *line != "images on nodes")
        .take_while(|line| !line.is_empty())
        .collect();
    assert_eq!(section.len(), 4, "{text}");
    assert!(section[1].starts_with("  IMAGE"), "{section:#?}");
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let app = cells(section[2]);
    assert_eq!(app[0], format!("{HOST}/team/app:v1"));
    assert!(app[1].starts_with("sha256:"), "{app:?}");
    assert_eq!(app[2..], ["amd-{0,1},", "arm-0", "×3"]);
    // solo was pulled after its tag moved: the new build.
    let solo = cells(section[3]);
    assert_eq!(solo[0], format!("{HOST}/team/solo:v1"));
    assert_eq!(solo[2..], ["amd-0"]);
    assert!(
        text.contains(&format!("pushed team/solo:v1 build 2 ({})", solo[1])),
        "{text}"
    );
}
