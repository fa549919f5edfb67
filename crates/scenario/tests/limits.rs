//! The ceilings on a scenario's size (issue 12 items 17 and 18): too many nodes, pods or
//! containers, and over-long names, are errors at the offending value, found before
//! anything that grows with them is built. A counting allocator makes any test here that
//! holds more than [`LIVE_BYTES_MAX`] at once fail (an allocation over it is refused, which
//! aborts the test binary), so a ceiling checked too late cannot pass by luck.

use cap::Cap;
use pullsim_scenario::Scenario;
use pullsim_scenario::ceilings::{CONTAINERS_MAX, NODES_MAX, PODS_MAX};

/// What the tests of this binary may hold at once, together.
const LIVE_BYTES_MAX: usize = 512 << 20;

#[global_allocator]
static ALLOCATOR: Cap<std::alloc::System> = Cap::new(std::alloc::System, LIVE_BYTES_MAX);

/// A valid scenario; line numbers in the cases refer to it.
const BASE: &str = "\
name: t
description: d
registries:
  - host: registry.example.com
    images: [{repository: app, tag: v1}]
nodes:
  - pool: workers
    count: 2
workloads:
  - apiVersion: v1
    kind: Pod
    metadata: {name: web}
    replicas: 3
    spec:
      containers:
        - name: app
          image: registry.example.com/app:v1
run: {for: 10m}
";

fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in the base scenario");
    BASE.replacen(from, to, 1)
}

fn errors(text: &str) -> Vec<String> {
    match Scenario::parse("x.yaml", text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.to_string().lines().map(str::to_owned).collect(),
    }
}

#[test]
fn the_base_scenario_is_valid() {
    assert_eq!(errors(BASE), Vec::<String>::new());
}

#[test]
fn a_hundred_million_replicas_are_refused_at_the_replicas_value() {
    assert_eq!(
        errors(&edit("replicas: 3", "replicas: 100000000")),
        [format!(
            "x.yaml:13:15: replicas 100000000 brings the scenario to 100000000 pods; pullsim simulates at most {PODS_MAX} pods (see \"Limits\" in docs/scenario-format.md)"
        )]
    );
}

#[test]
fn a_million_replicas_on_two_hundred_nodes_are_refused() {
    let text = edit("replicas: 3", "replicas: 1000000").replace("count: 2", "count: 200");
    assert_eq!(
        errors(&text),
        [format!(
            "x.yaml:13:15: replicas 1000000 brings the scenario to 1000000 pods; pullsim simulates at most {PODS_MAX} pods (see \"Limits\" in docs/scenario-format.md)"
        )]
    );
}

#[test]
fn a_hundred_million_nodes_are_refused_at_the_count_value() {
    assert_eq!(
        errors(&edit("count: 2", "count: 100000000")),
        [format!(
            "x.yaml:8:12: count 100000000 brings the scenario to 100000000 nodes; pullsim simulates at most {NODES_MAX} nodes (see \"Limits\" in docs/scenario-format.md)"
        )]
    );
}

#[test]
fn the_node_ceiling_counts_every_pool_and_the_timeline() {
    let at_most = edit("count: 2", &format!("count: {}", NODES_MAX - 1));
    assert_eq!(errors(&at_most), Vec::<String>::new());
    let added =
        format!("{at_most}timeline:\n  - {{at: 1m, addNodes: {{pool: workers, count: 2}}}}\n");
    assert_eq!(
        errors(&added),
        [format!(
            "x.yaml:20:47: count 2 brings the scenario to {} nodes; pullsim simulates at most {NODES_MAX} nodes (see \"Limits\" in docs/scenario-format.md)",
            NODES_MAX + 1
        )]
    );
}

#[test]
fn the_pod_ceiling_counts_timeline_pods_too() {
    let most = edit("replicas: 3", &format!("replicas: {}", PODS_MAX - 1));
    let text = format!(
        "{most}timeline:\n  - {{at: 1m, createPod: {{metadata: {{name: late}}, replicas: 2, spec: {{containers: [{{name: c, image: registry.example.com/app:v1}}]}}}}}}\n"
    );
    assert_eq!(
        errors(&text),
        [format!(
            "x.yaml:20:60: replicas 2 brings the scenario to {} pods; pullsim simulates at most {PODS_MAX} pods (see \"Limits\" in docs/scenario-format.md)",
            PODS_MAX + 1
        )]
    );
}

#[test]
fn pods_times_their_images_have_a_ceiling_of_their_own() {
    let replicas = PODS_MAX / 2 + 1;
    let text = edit("replicas: 3", &format!("replicas: {replicas}")).replace(
        "        - name: app\n",
        "        - {name: a, image: registry.example.com/app:v1}\n        - {name: b, image: registry.example.com/app:v1}\n        - {name: c, image: registry.example.com/app:v1}\n        - name: app\n",
    );
    assert_eq!(
        errors(&text),
        [format!(
            "x.yaml:13:15: replicas {replicas} with 4 containers each brings the scenario to {} containers; pullsim simulates at most {CONTAINERS_MAX} containers (see \"Limits\" in docs/scenario-format.md)",
            replicas * 4
        )]
    );
}

/// Ten million characters, as in the issue.
fn long_text(c: char) -> String {
    std::iter::repeat_n(c, 10 << 20).collect()
}

#[test]
fn a_ten_megabyte_image_is_one_short_error() {
    let text = edit(
        "image: registry.example.com/app:v1",
        &format!("image: registry.example.com/{}", long_text('a')),
    );
    assert_eq!(
        errors(&text),
        [format!(
            "x.yaml:17:18: image \"registry.example.com/{}\"... is {} characters long (at most 1024)",
            "a".repeat(19),
            (10 << 20) + 21
        )]
    );
}

#[test]
fn a_ten_megabyte_workload_name_is_one_short_error() {
    let text = format!(
        "{}expect:\n  - {{workload: web, timeToRunning: {{max: 1m}}}}\n",
        edit("name: web}", &format!("name: {}}}", long_text('w')))
    );
    let got = errors(&text);
    assert_eq!(
        got,
        [format!(
            "x.yaml:12:22: name \"{}\"... is {} characters long (at most 253)",
            "w".repeat(40),
            10 << 20
        )]
    );
}

#[test]
fn an_unknown_pod_among_many_lists_twenty_names_and_counts_the_rest() {
    let text = format!(
        "{}expect:\n  - {{pod: nope, events: [Pulling]}}\n",
        edit("replicas: 3", "replicas: 400000")
    );
    let got = errors(&text);
    assert_eq!(
        got,
        [
            "x.yaml:20:11: unknown pod \"nope\" (expected web-0, web-1, web-10, web-100, web-1000, web-10000, web-100000, web-100001, web-100002, web-100003, web-100004, web-100005, web-100006, web-100007, web-100008, web-100009, web-10001, web-100010, web-100011, web-100012, ... and 399,980 more)"
        ]
    );
}

#[test]
fn a_ten_megabyte_pod_name_in_an_expectation_gets_no_suggestion_and_is_not_quoted_whole() {
    let text = format!(
        "{}expect:\n  - {{pod: {}, events: [Pulling]}}\n",
        BASE,
        long_text('p')
    );
    assert_eq!(
        errors(&text),
        [format!(
            "x.yaml:20:11: unknown pod \"{}\"... (expected web-0, web-1 or web-2)",
            "p".repeat(40)
        )]
    );
}

#[test]
fn labels_follow_kubernetes_lengths() {
    let text = edit(
        "    count: 2\n",
        &format!(
            "    count: 2\n    labels: {{zone: {}, {}: x}}\n",
            "z".repeat(64),
            "k".repeat(318)
        ),
    );
    assert_eq!(
        errors(&text),
        [
            format!(
                "x.yaml:9:20: label value \"{}\" is 64 characters long (at most 63)",
                "z".repeat(64)
            ),
            format!(
                "x.yaml:9:86: label key \"{}\"... is 318 characters long (at most 317)",
                "k".repeat(40)
            ),
        ]
    );
}
