//! The runner end to end: every expectation kind judged right when it holds and wrong
//! when it does not, limits that fail the run and name the seed, overrides, determinism,
//! the JSON document, and a fleet's transcript that stays short.

use pullsim_model::SimTime;
use pullsim_scenario::Scenario;
use pullsim_scenario::run::{Outcome, RequestDetail, RunOptions, run};

/// A small world with a bit of everything expectations can look at: a public image, a
/// missing tag, a private image behind a wrong and a right Secret, and a workload created
/// after a re-push, half on a node with the old build.
const WORLD: &str = r#"
name: runner-world
description: The runner's own test world.
seed: 5
kubernetes: {podWorker: {errorRequeue: 10s, resync: 1m}}
registries:
  - host: registry.example.com
    images:
      - {repository: team/app, tag: v1}
      - {repository: private/app, tag: v1}
    accounts: {alice: wonderland, bob: builder}
    access: [{repository: "private/*", read: [alice]}]
nodes:
  - {pool: node, count: 2}
secrets:
  - {metadata: {name: wrong}, type: kubernetes.io/dockerconfigjson, stringData: {.dockerconfigjson: '{"auths": {"registry.example.com": {"username": "bob", "password": "builder"}}}'}}
  - {metadata: {name: right}, type: kubernetes.io/dockerconfigjson, stringData: {.dockerconfigjson: '{"auths": {"registry.example.com": {"username": "alice", "password": "wonderland"}}}'}}
workloads:
  - {metadata: {name: app}, spec: {nodeName: node-0, containers: [{name: c, image: registry.example.com/team/app:v1, imagePullPolicy: Always}]}}
  - {metadata: {name: missing}, spec: {nodeName: node-0, containers: [{name: c, image: registry.example.com/team/app:nope}]}}
  - {metadata: {name: private}, spec: {nodeName: node-1, imagePullSecrets: [{name: wrong}, {name: right}], containers: [{name: c, image: registry.example.com/private/app:v1}]}}
  - {metadata: {name: web}, replicas: 1, spec: {containers: [{name: c, image: registry.example.com/team/app:v1}]}}
  - {metadata: {name: late}, replicas: 2, at: 3m, spec: {containers: [{name: c, image: registry.example.com/team/app:v1}]}}
timeline:
  - {at: 2m, push: {registry: registry.example.com, repository: team/app, tag: v1, build: 2}}
run: {for: 5m}
"#;

/// Runs [`WORLD`] with each expectation and checks each verdict: `true` for one that must
/// hold, `false` for one that must fail (and so shows it can).
fn check(cases: &[(&str, bool)]) {
    let mut text = WORLD.to_owned();
    text.push_str("expect:\n");
    for (expectation, _) in cases {
        text.push_str(&format!("  - {expectation}\n"));
    }
    let scenario = Scenario::parse("world.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&scenario, &RunOptions::default());
    assert_eq!(outcome.failure(), None);
    let verdicts = outcome.verdicts();
    assert_eq!(verdicts.len(), cases.len());
    let wrong: Vec<String> = cases
        .iter()
        .zip(verdicts)
        .filter(|((_, holds), verdict)| verdict.passed != *holds)
        .map(|((expectation, holds), verdict)| {
            format!(
                "{expectation}: expected it to {}, got {}",
                if *holds { "hold" } else { "fail" },
                verdict.actual
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(
        outcome.passed(),
        cases.iter().all(|(_, holds)| *holds),
        "passed() agrees with the verdicts"
    );
}

#[test]
fn state_at_a_time_with_reason_and_message() {
    check(&[
        ("{pod: app, state: Running}", true),
        ("{pod: app, state: Waiting}", false),
        ("{pod: missing, state: Waiting, message: not found}", true),
        (
            "{pod: missing, state: Waiting, reason: InvalidImageName}",
            false,
        ),
        (
            "{pod: missing, state: Waiting, message: no such text}",
            false,
        ),
        (
            "{pod: missing, at: 0s, state: Waiting, reason: ContainerCreating}",
            true,
        ),
        ("{pod: late-0, at: 1m, state: Pending}", true),
        ("{pod: late-0, at: 1m, state: Running}", false),
        ("{pod: private, container: c, state: Running}", true),
    ]);
}

#[test]
fn events_exact_prefix_and_subsequence() {
    check(&[
        ("{pod: app, events: [Pulling, Pulled]}", true),
        ("{pod: app, events: [Pulled]}", false),
        (
            "{pod: app, events: [{reason: Pulled, type: Normal, contains: Successfully pulled}], order: subsequence}",
            true,
        ),
        (
            "{pod: app, events: [Pulling, {reason: Pulled, type: Warning}]}",
            false,
        ),
        (
            "{pod: missing, events: [Pulling, Failed], order: prefix}",
            true,
        ),
        (
            "{pod: missing, events: [Failed, Pulling], order: prefix}",
            false,
        ),
        (
            "{pod: missing, events: [{reason: Pulling, at: 0s}, BackOff, Pulling], order: subsequence}",
            true,
        ),
        (
            "{pod: missing, events: [{reason: Pulling, at: 5s}], order: subsequence}",
            false,
        ),
        (
            "{pod: web-0, events: [{reason: Pulled, message: 'Container image \"registry.example.com/team/app:v1\" already present on machine'}]}",
            false,
        ),
    ]);
}

#[test]
fn waiting_reasons_each_change_once() {
    check(&[
        (
            "{pod: missing, waitingReasons: [ContainerCreating, ErrImagePull, ImagePullBackOff], order: prefix}",
            true,
        ),
        (
            "{pod: missing, waitingReasons: [ContainerCreating, ImagePullBackOff]}",
            false,
        ),
        (
            "{pod: missing, waitingReasons: [ErrImagePull, ImagePullBackOff, ErrImagePull], order: subsequence}",
            true,
        ),
        ("{pod: app, waitingReasons: [ContainerCreating]}", true),
    ]);
}

#[test]
fn time_to_running_for_a_pod_and_every_pod_of_a_workload() {
    check(&[
        ("{pod: app, timeToRunning: {max: 5s}}", true),
        ("{pod: app, timeToRunning: {min: 1m}}", false),
        ("{workload: late, timeToRunning: {max: 10s}}", true),
        ("{workload: late, timeToRunning: {min: 2s}}", false),
        ("{pod: missing, timeToRunning: {max: 1h}}", false),
    ]);
}

#[test]
fn credentials_tried_in_order() {
    check(&[
        (
            "{pod: private, credentialsTried: [secret/wrong as bob, secret/right as alice]}",
            true,
        ),
        (
            "{pod: private, credentialsTried: [secret/wrong, secret/right]}",
            true,
        ),
        ("{pod: private, credentialsTried: [secret/right]}", false),
        (
            "{pod: private, credentialsTried: [secret/right as alice, secret/wrong as bob]}",
            false,
        ),
        (
            "{pod: private, credentialsTried: [secret/wrong as alice, secret/right]}",
            false,
        ),
        ("{pod: app, credentialsTried: [anonymous]}", true),
        ("{pod: app, credentialsTried: [node]}", false),
    ]);
}

#[test]
fn distinct_digests_and_how_long_they_mixed() {
    check(&[
        (
            "{workload: late, distinctDigests: 2, mixedFor: {min: 1m}}",
            true,
        ),
        ("{workload: late, distinctDigests: 1}", false),
        (
            "{workload: late, distinctDigests: 2, mixedFor: {max: 10s}}",
            false,
        ),
        ("{workload: web, distinctDigests: 1, mixedFor: 0s}", true),
        ("{workload: app, distinctDigests: 1}", true),
        ("{workload: missing, distinctDigests: {min: 1}}", false),
    ]);
}

#[test]
fn requests_filtered_with_count_and_bytes() {
    check(&[
        (
            "{registry: registry.example.com, requests: {node: node-1, kind: blob, repository: private/app}, count: 2}",
            true,
        ),
        (
            "{registry: registry.example.com, requests: {node: node-1, kind: blob, repository: private/app}, count: 3}",
            false,
        ),
        (
            "{registry: registry.example.com, requests: {kind: blob, repository: private/app}, bytes: {min: 1KiB}}",
            true,
        ),
        (
            "{registry: registry.example.com, requests: {kind: blob}, bytes: 0B}",
            false,
        ),
        (
            "{registry: registry.example.com, requests: {status: 404, method: HEAD}, count: {min: 2}}",
            true,
        ),
        (
            "{registry: registry.example.com, requests: {status: 401, repository: private/app}, count: {min: 1}}",
            true,
        ),
        (
            "{registry: registry.example.com, requests: {from: 4m30s}, count: {min: 100}}",
            false,
        ),
        (
            "{registry: registry.example.com, requests: {until: 0s}, count: 0}",
            true,
        ),
    ]);
}

/// `kind: ping` (the API check `/v2/`) selects the simulator's `Other` requests the story
/// names `ping`; containerd never sends one, so none are counted, and the verdict names it.
#[test]
fn a_ping_filter_counts_the_api_checks_and_says_ping() {
    check(&[
        (
            "{registry: registry.example.com, requests: {kind: ping}, count: 0}",
            true,
        ),
        (
            "{registry: registry.example.com, requests: {kind: ping}, count: {min: 1}}",
            false,
        ),
        (
            "{registry: registry.example.com, requests: {kind: manifest}, count: {min: 1}}",
            true,
        ),
    ]);
    let text = format!(
        "{WORLD}expect:\n  - {{registry: registry.example.com, requests: {{kind: ping, method: get}}, count: 0}}\n"
    );
    let scenario = Scenario::parse("world.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&scenario, &RunOptions::default());
    let verdict = &outcome.verdicts()[0];
    assert_eq!(verdict.expected, "requests (GET, ping) count 0");
    assert_eq!(verdict.actual, "0 requests, 0 B");
}

#[test]
fn peak_requests_per_second_of_one_registry() {
    check(&[
        (
            "{registry: registry.example.com, peakRequestsPerSecond: {min: 2}}",
            true,
        ),
        (
            "{registry: registry.example.com, peakRequestsPerSecond: {max: 1}}",
            false,
        ),
        // The first second has 13 requests; after it, the busiest has 4 (the late pods at
        // 3m); between 2m30s and 3m, 1.
        (
            "{registry: registry.example.com, peakRequestsPerSecond: 13, until: 1s}",
            true,
        ),
        (
            "{registry: registry.example.com, peakRequestsPerSecond: 4, from: 1s}",
            true,
        ),
        (
            "{registry: registry.example.com, peakRequestsPerSecond: 13, from: 1s}",
            false,
        ),
        (
            "{registry: registry.example.com, peakRequestsPerSecond: 1, from: 150s, until: 180s}",
            true,
        ),
    ]);
}

#[test]
fn a_peak_names_its_second_and_its_window() {
    let text = format!(
        "{WORLD}expect:\n  - {{registry: registry.example.com, peakRequestsPerSecond: {{max: 3}}, from: 1s, until: 5m}}\n"
    );
    let result = outcome(&text, RunOptions::default());
    let verdict = &result.verdicts()[0];
    assert_eq!(
        verdict.expected,
        "peak requests per second <= 3 from 00:00:01.000 until 00:05:00.000"
    );
    assert_eq!(verdict.actual, "4 at 00:03:00.000");
    assert!(!verdict.passed);
}

fn parse(text: &str) -> Scenario {
    Scenario::parse("test.yaml", text).unwrap_or_else(|e| panic!("{e}"))
}

fn outcome(text: &str, options: RunOptions) -> Outcome {
    run(&parse(text), &options)
}

#[test]
fn a_run_until_all_running_that_hits_its_limit_fails_and_names_the_seed() {
    let text = WORLD.replace("run: {for: 5m}", "run: {until: allRunning, limit: 4m}");
    let result = outcome(&text, RunOptions::default());
    assert!(!result.passed());
    let failure = result.failure().unwrap();
    assert!(failure.contains("seed 5"), "{failure}");
    assert_eq!(result.virtual_time(), SimTime::from_secs(240));
    let transcript = result.text();
    assert!(
        transcript.contains("Pulling image"),
        "the story so far is kept"
    );
    assert!(transcript.contains("result: FAILED: not every pod was Running"));

    let text = WORLD
        .replace("run: {for: 5m}", "run: {until: allRunning, limit: 10m}")
        .replace("  - {metadata: {name: missing}, spec: {nodeName: node-0, containers: [{name: c, image: registry.example.com/team/app:nope}]}}\n", "");
    let result = outcome(&text, RunOptions::default());
    assert!(result.passed(), "{:?}", result.failure());
    // Every pod runs soon after the last one is created at 3m.
    assert!(result.virtual_time() > SimTime::from_secs(180));
    assert!(result.virtual_time() < SimTime::from_secs(190));
    assert!(result.text().contains("all Running at 00:03:0"));
}

#[test]
fn the_event_limit_fails_the_run_with_the_seed_and_keeps_the_story() {
    let text = WORLD.replace("run: {for: 5m}", "run: {for: 5m, eventsMax: 40}");
    let result = outcome(&text, RunOptions::default());
    assert!(!result.passed());
    assert_eq!(result.events(), 40);
    let failure = result.failure().unwrap();
    assert!(
        failure.contains("limit of 40 events") && failure.contains("seed 5"),
        "{failure}"
    );
    assert!(result.text().contains("pod/app"));
}

#[test]
fn options_override_the_seed_and_the_end() {
    let result = outcome(
        WORLD,
        RunOptions {
            seed: Some(99),
            until: Some(std::time::Duration::from_secs(30)),
            requests: RequestDetail::Summary,
        },
    );
    assert_eq!(result.virtual_time(), SimTime::from_secs(30));
    assert!(result.text().contains("seed      99\n"));
    assert!(result.text().contains("for 30s; ended at 00:00:30.000"));
    assert!(
        !result.text().contains("pushed team/app"),
        "the push at 2m is past the end"
    );
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let scenario = parse(WORLD);
    for requests in [RequestDetail::Summary, RequestDetail::Full] {
        let options = RunOptions {
            requests,
            ..RunOptions::default()
        };
        let first = run(&scenario, &options);
        let second = run(&scenario, &options);
        assert_eq!(first.text(), second.text());
        assert_eq!(first.json(), second.json());
    }
}

#[test]
fn requests_in_full_give_a_line_per_request() {
    let summary = outcome(WORLD, RunOptions::default()).text();
    let full = outcome(
        WORLD,
        RunOptions {
            requests: RequestDetail::Full,
            ..RunOptions::default()
        },
    )
    .text();
    let request_lines = |text: &str| text.lines().filter(|l| l.contains(" request ")).count();
    assert!(request_lines(&full) > request_lines(&summary));
    assert!(full.contains("GET /v2/private/app/blobs/sha256:"), "{full}");
    assert!(
        summary.contains("HEAD manifest 401 ×2, HEAD manifest 403, HEAD manifest 200"),
        "{summary}"
    );
}

#[test]
fn the_transcript_has_its_sections_short_digests_and_no_uids() {
    let text = outcome(WORLD, RunOptions::default()).text();
    for section in [
        "scenario  runner-world\n",
        "\npods\n",
        "\nmetrics\n",
        "\nexpectations\n",
    ] {
        assert!(text.contains(section), "{section:?} in\n{text}");
    }
    assert!(text.contains("00:00:00.000  pod/app"), "{text}");
    assert!(!text.contains("uid-"), "{text}");
    // Every digest is `sha256:` and 12 hex digits.
    for (index, _) in text.match_indices("sha256:") {
        let hex: String = text[index + 7..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        assert_eq!(hex.len(), 12, "{}", &text[index..index + 30]);
    }
}

#[test]
fn the_json_document_is_whole() {
    let result = outcome(WORLD, RunOptions::default());
    let json: serde_json::Value = serde_json::from_str(&result.json()).unwrap();
    assert_eq!(json["passed"], true);
    assert_eq!(json["scenario"]["seed"], 5);
    assert_eq!(json["end_ns"], 300_000_000_000u64);
    let records = json["records"].as_array().unwrap();
    assert!(records.iter().any(|r| r["kind"] == "request"));
    let digest = json["pods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pod"] == "app")
        .unwrap()["digests"][0]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(digest.len(), "sha256:".len() + 64, "{digest}");
    let attempts: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["kind"] == "credential_attempt" && r["pod"] == "private")
        .collect();
    assert_eq!(attempts[0]["credential"]["name"], "wrong");
    assert_eq!(attempts[1]["credential"]["name"], "right");
}

/// A 200-node outage and the retry wave after it: the transcript tells it in a few hundred
/// lines at most.
#[test]
fn a_fleet_outage_folds_into_a_short_transcript() {
    let text = r#"
name: fleet-outage
description: Two hundred nodes pull through an outage.
registries:
  - host: registry.example.com
    images: [{repository: team/app, tag: v1}]
nodes:
  - {pool: fleet, count: 200}
workloads:
  - {metadata: {name: fleet}, replicas: 200, spec: {containers: [{name: app, image: registry.example.com/team/app:v1, imagePullPolicy: Always}]}}
timeline:
  - {at: 0s, outage: {registry: registry.example.com, until: 8m}}
run: {for: 15m}
expect:
  - {workload: fleet, timeToRunning: {min: 8m}}
  - {registry: registry.example.com, peakRequestsPerSecond: {min: 100}}
"#;
    let result = outcome(text, RunOptions::default());
    assert!(result.passed(), "{}", result.text());
    let lines = result.text().lines().count();
    assert!(lines < 200, "{lines} lines:\n{}", result.text());
    assert!(result.text().contains("pod/fleet-{0..199} ×200"));
}

/// Every fixture (one per topic of the library) tells a story its expectations accept.
#[test]
fn every_fixture_passes_when_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .expect("fixtures folder")
        .flat_map(|topic| std::fs::read_dir(topic.expect("a topic").path()).expect("a folder"))
        .map(|file| file.expect("a fixture").path())
        .collect();
    files.sort();
    assert!(files.len() >= 7);
    let mut failures = Vec::new();
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture text");
        let result = outcome(&text, RunOptions::default());
        if !result.passed() {
            failures.push(format!("{}:\n{}", path.display(), result.text()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_run_without_expectations_says_it_ran_rather_than_passed() {
    let result = outcome(WORLD, RunOptions::default());
    assert!(result.passed(), "nothing failed, so the exit code stays 0");
    let last = result.text().lines().last().unwrap_or_default().to_owned();
    assert_eq!(last, "result: ran (no expectations to check)");

    let one = format!("{WORLD}expect:\n  - {{pod: app, state: Running}}\n");
    let result = outcome(&one, RunOptions::default());
    let last = result.text().lines().last().unwrap_or_default().to_owned();
    assert_eq!(last, "result: passed (1 expectation holds)");
}

#[test]
fn a_pull_secret_that_does_not_exist_is_warned_about_and_the_pull_goes_on() {
    let text = WORLD.replace(
        "{metadata: {name: app}, spec: {nodeName: node-0, containers",
        "{metadata: {name: app}, spec: {nodeName: node-0, imagePullSecrets: [{name: gone}], containers",
    );
    let text = format!(
        "{text}expect:\n  - {{pod: app, order: prefix, events: [{{reason: FailedToRetrieveImagePullSecret, type: Warning, message: \"Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed.\", at: 0s}}, Pulling, Pulled]}}\n  - {{pod: app, credentialsTried: [anonymous]}}\n  - {{pod: app, state: Running}}\n"
    );
    let result = outcome(&text, RunOptions::default());
    assert!(result.passed(), "{}", result.text());
}

#[test]
fn the_json_has_requests_per_minute_and_pods_by_state_and_metrics_alone_is_its_metrics() {
    let result = outcome(WORLD, RunOptions::default());
    let json: serde_json::Value = serde_json::from_str(&result.json()).unwrap();
    let metrics = &json["metrics"];
    // A 5-minute run: one point per minute.
    let per_minute = metrics["requests_per_minute"].as_array().unwrap();
    assert_eq!(per_minute.len(), 5);
    let sum: u64 = per_minute.iter().map(|n| n.as_u64().unwrap()).sum();
    assert_eq!(Some(sum), metrics["requests"].as_u64());
    let states = metrics["pods_by_state"].as_array().unwrap();
    assert_eq!(states.len(), 5);
    assert_eq!(states[1]["at_ns"], 60_000_000_000u64);
    // At 1m: four pods exist (the late ones come at 3m), app, web and private run, and
    // missing shows ErrImagePull (its status since 10s; back-off shows from 1m20s); at 4m,
    // the two late ones run too.
    assert_eq!(
        states[1]["pods"],
        serde_json::json!({"ErrImagePull": 1, "Running": 3})
    );
    assert_eq!(states[4]["pods"]["Running"], 5);
    let alone: serde_json::Value = serde_json::from_str(&result.metrics_json()).unwrap();
    assert_eq!(&alone, metrics);
}

/// `runningPercentiles` reads the workload's nearest-rank percentiles, and each bound can
/// fail on its own.
#[test]
fn running_percentiles_of_a_workload() {
    let text = format!(
        "{WORLD}expect:\n  - {{workload: late, runningPercentiles: {{p50: {{max: 1m}}, max: {{max: 1m}}}}}}\n"
    );
    let scenario = Scenario::parse("world.yaml", &text).unwrap_or_else(|e| panic!("{e}"));
    let outcome = run(&scenario, &RunOptions::default());
    let verdict = &outcome.verdicts()[0];
    assert_eq!(verdict.expected, "time to Running p50 <= 1m0s, max <= 1m0s");
    assert_eq!(verdict.actual, "p50 1s, max 1s (2 of 2 pods Running)");
    assert!(verdict.passed);
    check(&[
        (
            "{workload: late, runningPercentiles: {p90: {max: 1s}}}",
            true,
        ),
        (
            "{workload: late, runningPercentiles: {p50: {min: 2s}}}",
            false,
        ),
        (
            "{workload: late, runningPercentiles: {p99: 1s, max: {max: 999ms}}}",
            false,
        ),
        (
            "{workload: app, runningPercentiles: {max: {max: 1h}}}",
            true,
        ),
        (
            "{workload: missing, runningPercentiles: {max: {max: 1h}}}",
            false,
        ),
    ]);
}
