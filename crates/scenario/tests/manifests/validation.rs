//! The API server's validation messages at their positions (naming the manifests file
//! they are in), duplicates, a missing source, the ceilings, refusals, and no panic on any
//! file content.

use proptest::prelude::*;
use pullsim_scenario::Scenario;

use super::reading::{APP, DEPLOYMENT, as_item};
use super::{HEAD, errors, parse, read};

/// A Deployment whose spec lines are `spec` (indented under `spec:` at six spaces), in
/// `workloads:`; its `spec:` is line 11.
fn deployment(spec: &str) -> String {
    format!(
        "{HEAD}workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    spec:
{spec}"
    )
}

const TEMPLATE: &str = "      template:
        metadata: {labels: {app: web}}
        spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}
";

#[test]
fn deployment_fields_are_validated_with_the_api_servers_messages() {
    let selector = "      selector: {matchLabels: {app: web}}\n";
    let with = |extra: &str| deployment(&format!("{selector}{extra}{TEMPLATE}"));
    assert_eq!(
        errors(
            &with("      strategy: {rollingUpdate: {maxSurge: 0, maxUnavailable: 0%}}\n"),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:63: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"0%\": may not be 0 when `maxSurge` is 0"
        ]
    );
    assert_eq!(
        errors(
            &with("      strategy: {rollingUpdate: {maxUnavailable: 110%}}\n"),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:50: spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"110%\": must not be greater than 100%"
        ]
    );
    assert_eq!(
        errors(
            &with(
                "      strategy: {rollingUpdate: {maxSurge: -1, maxUnavailable: 2}}\n      replicas: -3\n"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:44: spec.strategy.rollingUpdate.maxSurge: Invalid value: -1: must be greater than or equal to 0",
            "scenarios/m.yaml:15:17: spec.replicas: Invalid value: -3: must be greater than or equal to 0",
        ]
    );
    assert_eq!(
        errors(
            &with("      strategy: {rollingUpdate: {maxSurge: \"5\"}}\n"),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:44: spec.strategy.rollingUpdate.maxSurge: Invalid value: \"5\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%', or '93%', regex used for validation is '[0-9]+%')"
        ]
    );
    assert_eq!(
        errors(
            &with("      strategy: {type: Recreate, rollingUpdate: {maxSurge: 1}}\n"),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:34: spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"
        ]
    );
    assert_eq!(
        errors(
            &with("      minReadySeconds: 30\n      progressDeadlineSeconds: 30\n"),
            &[]
        ),
        vec![
            "scenarios/m.yaml:15:32: spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds"
        ]
    );
    assert_eq!(
        errors(&deployment(TEMPLATE), &[]),
        vec!["scenarios/m.yaml:13:7: spec.selector: Required value"]
    );
    assert_eq!(
        errors(
            &deployment(&format!(
                "      selector: {{matchLabels: {{app: api}}}}\n{TEMPLATE}"
            )),
            &[]
        ),
        vec![
            "scenarios/m.yaml:15:28: spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"
        ]
    );
    assert_eq!(
        errors(
            &deployment(&format!("      selector: {{}}\n{TEMPLATE}")),
            &[]
        ),
        vec![
            "scenarios/m.yaml:13:17: spec.selector: Invalid value: {}: empty selector is invalid for deployment"
        ]
    );
    assert_eq!(
        errors(
            &with("").replace(
                "spec: {containers",
                "spec: {restartPolicy: Never, containers"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:16:31: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""
        ]
    );
    assert_eq!(
        errors(
            &with("").replace(
                "[{name: web, image: registry.example.com/team/web:v1}]",
                "[]"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:16:15: spec.template.spec.containers: Required value (a pod needs at least one container)"
        ]
    );
    assert_eq!(
        errors(&with("").replace("apps/v1", "apps/v1beta2"), &[]),
        vec![
            "scenarios/m.yaml:9:17: unsupported apiVersion \"apps/v1beta2\" for Deployment (expected apps/v1)"
        ]
    );
    assert_eq!(
        errors(
            &deployment(&format!(
                "      selector: {{matchExpressions: [{{key: app, operator: Near}}, {{key: app, operator: In}}]}}\n{TEMPLATE}"
            )),
            &[]
        ),
        vec![
            "scenarios/m.yaml:13:58: spec.selector.matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator",
            "scenarios/m.yaml:13:65: spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        ]
    );
}

#[test]
fn other_kinds_are_validated_with_the_api_servers_messages() {
    let object = |kind: &str, version: &str, spec: &str| {
        format!(
            "{HEAD}workloads:
  - apiVersion: {version}
    kind: {kind}
    metadata: {{name: web}}
    spec:
      selector: {{matchLabels: {{app: web}}}}
{spec}{TEMPLATE}"
        )
    };
    assert_eq!(
        errors(
            &object(
                "DaemonSet",
                "apps/v1",
                "      updateStrategy: {rollingUpdate: {maxSurge: 1}}\n"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:50: spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero"
        ]
    );
    assert_eq!(
        errors(
            &object(
                "DaemonSet",
                "apps/v1",
                "      updateStrategy: {rollingUpdate: {maxUnavailable: 0}}\n"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:56: spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0"
        ]
    );
    assert_eq!(
        errors(
            &object(
                "StatefulSet",
                "apps/v1",
                "      podManagementPolicy: Random\n      updateStrategy: {type: OnDelete, rollingUpdate: {partition: 2}}\n"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:28: spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
            "scenarios/m.yaml:15:40: spec.updateStrategy.rollingUpdate: Invalid value: {\"partition\":2}: only allowed for updateStrategy 'RollingUpdate'",
        ]
    );
    assert_eq!(
        errors(&object("Job", "batch/v1", "      backoffLimit: -1\n"), &[]),
        vec![
            "scenarios/m.yaml:14:21: spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0",
            "scenarios/m.yaml:17:15: spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: \"OnFailure\", \"Never\"",
        ]
    );
    assert_eq!(
        errors(
            &object("Job", "apps/v1", "      completionMode: Indexed\n").replace(
                "spec: {containers",
                "spec: {restartPolicy: Never, containers"
            ),
            &[]
        ),
        vec![
            "scenarios/m.yaml:9:17: unsupported apiVersion \"apps/v1\" for Job (expected batch/v1)",
            "scenarios/m.yaml:14:23: spec.completionMode: Indexed Jobs are not modelled by pullsim (only NonIndexed, the default)",
        ]
    );
}

#[test]
fn errors_in_a_manifests_file_name_that_file() {
    let text = format!(
        "{HEAD}manifests:\n  - app.yaml\n  - {{file: missing.yaml}}\n  - {{file: app.yaml, at: 2h}}\nrun: {{for: 10m}}\n"
    );
    let app = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}\n---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: web}\nspec: {}\n---\n- not an object\n";
    assert_eq!(
        errors(&text, &[("app.yaml", app)]),
        vec![
            "scenarios/m.yaml:10:12: cannot read manifests file \"missing.yaml\": No such file or directory (os error 2)",
            "scenarios/m.yaml:11:26: 2h0m0s is after the run ends at 10m0s",
            "scenarios/app.yaml:8:24: spec.template.metadata.labels: Invalid value: {\"app\":\"api\"}: `selector` does not match template `labels`",
            "scenarios/app.yaml:14:7: missing field \"template\"",
            "scenarios/app.yaml:16:1: expected a Kubernetes object (a mapping), found a list",
        ]
    );
}

#[test]
fn the_same_object_twice_is_the_api_servers_already_exists() {
    let web = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}\n";
    let text = format!("{HEAD}workloads:\n{}manifests: [web.yaml]\n", as_item(web));
    assert_eq!(
        errors(&text, &[("web.yaml", web)]),
        vec![
            "scenarios/web.yaml:1:1: deployments.apps \"web\" already exists in namespace \"default\" (also defined in the scenario file at line 9)"
        ]
    );
    // Another kind or namespace is another object, and a Pod of the same name too.
    let other = web
        .replace("kind: Deployment", "kind: ReplicaSet")
        .replace("{name: web}", "{name: web, namespace: team-a}");
    assert_eq!(errors(&text, &[("web.yaml", &other)]), Vec::<String>::new());
}

#[test]
fn without_a_source_a_manifests_entry_is_an_error_at_the_entry() {
    let text = format!("{HEAD}manifests: [app.yaml]\n");
    let errors = Scenario::parse("m.yaml", &text).unwrap_err().to_string();
    assert!(
        errors.starts_with("m.yaml:8:13: cannot read manifests file \"app.yaml\": this reader takes the scenario's text alone"),
        "{errors}"
    );
}

#[test]
fn objects_count_against_the_ceilings() {
    let text = deployment(&format!(
        "      replicas: 600000\n      selector: {{matchLabels: {{app: web}}}}\n{TEMPLATE}"
    ));
    assert_eq!(
        errors(&text, &[]),
        vec![
            "scenarios/m.yaml:13:17: replicas 600000 brings the scenario to 600000 pods; pullsim simulates at most 500000 pods (see \"Limits\" in docs/scenario-format.md)"
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any bytes in a manifests file give a scenario or errors, never a panic; and lines of
    /// a real paste, shuffled and cut, too.
    #[test]
    fn any_manifests_file_content_is_read_without_panicking(
        noise in proptest::collection::vec(any::<u8>(), 0..300),
        lines in proptest::collection::vec(0usize..200, 0..40),
    ) {
        let text = format!("{HEAD}manifests: [app.yaml]\n");
        let _ = parse(&text, &[("app.yaml", &String::from_utf8_lossy(&noise))]);
        let source: Vec<&str> = DEPLOYMENT.lines().chain(APP.lines()).collect();
        let mixed: Vec<&str> = lines.iter().map(|i| source[i % source.len()]).collect();
        let _ = parse(&text, &[("app.yaml", &mixed.join("\n"))]);
    }
}

#[test]
fn the_transcript_tells_what_a_file_skipped_before_the_story() {
    let text = format!("{HEAD}manifests: [app.yaml]\nrun: {{for: 1m}}\n");
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web-config}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}\n";
    let scenario = read(&text, &[("app.yaml", app)]);
    let outcome =
        pullsim_scenario::run::run(&scenario, &pullsim_scenario::run::RunOptions::default());
    let transcript = outcome.text();
    let header: Vec<&str> = transcript.lines().take(5).collect();
    assert_eq!(
        header[4],
        "note      scenarios/app.yaml: skipped 1 object pullsim does not model: ConfigMap/web-config"
    );
    // Without notes the header is as before: no note line.
    let plain = read(&format!("{HEAD}run: {{for: 1m}}\n"), &[]);
    let outcome = pullsim_scenario::run::run(&plain, &pullsim_scenario::run::RunOptions::default());
    assert!(!outcome.text().contains("note "));
}

#[test]
fn what_pullsim_does_not_model_is_refused_not_ignored() {
    let selector = "      selector: {matchLabels: {app: web}}\n";
    assert_eq!(
        errors(
            &deployment(&format!("{selector}      paused: true\n{TEMPLATE}")),
            &[]
        ),
        vec![
            "scenarios/m.yaml:14:15: spec.paused: a paused Deployment is not modelled by pullsim (leave it out or false)"
        ]
    );
    assert_eq!(
        errors(
            &deployment(&format!("{selector}      paused: false\n{TEMPLATE}")),
            &[]
        ),
        Vec::<String>::new()
    );
    let job = deployment(&format!("      suspend: true\n{TEMPLATE}"))
        .replace("apps/v1", "batch/v1")
        .replace("kind: Deployment", "kind: Job")
        .replace(
            "spec: {containers",
            "spec: {restartPolicy: Never, containers",
        );
    assert_eq!(
        errors(&job, &[]),
        vec![
            "scenarios/m.yaml:13:16: spec.suspend: a suspended Job is not modelled by pullsim (leave it out or false)"
        ]
    );
    let probe = deployment(&format!("{selector}{TEMPLATE}")).replace(
        "spec: {containers",
        "spec: {initContainers: [{name: init, image: registry.example.com/team/web:v1, readinessProbe: {}}], containers",
    );
    assert_eq!(
        errors(&probe, &[]),
        vec![
            "scenarios/m.yaml:16:33: spec.template.spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers"
        ]
    );
}
