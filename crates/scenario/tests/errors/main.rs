//! Malformed scenarios: each kind of mistake gets its exact message at its exact position,
//! and a file with several mistakes gets all of them.
//!
//! Every case starts from one small valid scenario ([`BASE`]) and changes one thing, so the
//! expected line numbers can be read off the text.

use pullsim_scenario::Scenario;

/// A valid scenario; its line numbers are in the comments the cases refer to.
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
    spec:
      containers:
        - name: app
          image: registry.example.com/app:v1
run: {for: 10m}
";

/// `BASE` with the first occurrence of `from` replaced by `to`.
fn edit(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "{from:?} is not in the base scenario");
    BASE.replacen(from, to, 1)
}

/// Parses `text` as `x.yaml` and compares every reported line with `want`.
fn check(text: &str, want: &[&str]) {
    let got = match Scenario::parse("x.yaml", text) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.to_string().lines().map(str::to_owned).collect(),
    };
    assert_eq!(got, want, "\n{text}");
}

#[test]
fn the_base_scenario_is_valid() {
    check(BASE, &[]);
}

#[test]
fn yaml_syntax_errors_name_the_place_the_parser_stopped() {
    check(
        &edit("description: d", "description: \"d"),
        &["x.yaml:2:14: invalid YAML: unclosed quote"],
    );
    check(
        &edit("    count: 2", "  count: 2"),
        &[
            "x.yaml:8:3: invalid YAML: while parsing a block collection, did not find expected '-' indicator",
        ],
    );
}

#[test]
fn unknown_top_level_keys_suggest_the_known_one() {
    check(
        &edit("registries:", "regsitries:"),
        &["x.yaml:3:1: unknown field \"regsitries\" (did you mean \"registries\"?)"],
    );
    check(
        &format!("{BASE}colour: blue\n"),
        &[
            "x.yaml:18:1: unknown field \"colour\" (expected one of name, description, seed, kubernetes, registries, credentialPlugins, nodes, secrets, serviceAccounts, admission, workloads, manifests, timeline, run, expect)",
        ],
    );
}

#[test]
fn misspelled_fields_that_affect_pulling_are_errors_with_a_suggestion() {
    let suffix = "it affects pulling, so it is not ignored";
    check(
        &edit(
            "          image: registry.example.com/app:v1",
            "          image: registry.example.com/app:v1\n          imagePulPolicy: Always",
        ),
        &[&format!(
            "x.yaml:17:11: unknown field \"imagePulPolicy\" (did you mean \"imagePullPolicy\"? {suffix})"
        )],
    );
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      imagePullSecret: [{name: regcred}]\n      initContainer: []\n",
        ),
        &[
            &format!(
                "x.yaml:14:7: unknown field \"imagePullSecret\" (did you mean \"imagePullSecrets\"? {suffix})"
            ),
            &format!(
                "x.yaml:15:7: unknown field \"initContainer\" (did you mean \"initContainers\"? {suffix})"
            ),
        ],
    );
}

#[test]
fn fields_that_do_not_affect_pulling_are_ignored() {
    check(
        &edit(
            "          image: registry.example.com/app:v1",
            "          image: registry.example.com/app:v1\n          resources: {limits: {cpu: 100m}}\n          ports: [{containerPort: 80}]\n          env: [{name: A, value: b}]\n          livenessProbe: {httpGet: {path: /}}",
        )
        .replace("metadata: {name: web}", "metadata: {name: web, labels: {app: web}, annotations: {a: b}}")
        .replace("    spec:\n", "    status: {phase: Pending}\n    spec:\n      restartPolicy: Always\n      volumes: []\n      hostname: web\n"),
        &[],
    );
}

#[test]
fn values_with_bad_units_say_what_was_expected() {
    check(
        &edit("    count: 2", "    count: 2\n    bandwidth: 100Mbps/s"),
        &[
            "x.yaml:9:16: invalid bandwidth \"100Mbps/s\": want a number and a unit such as 100Mbit/s, 1Gbit/s or 50MiB/s",
        ],
    );
    check(
        &edit("run: {for: 10m}", "run: {for: 10}"),
        &[
            "x.yaml:17:12: invalid duration \"10\": want a sequence of numbers with units such as 250ms, 2s or 1m30s",
        ],
    );
    check(
        &edit("tag: v1}", "tag: v1, layers: [4 parsecs]}"),
        &[
            "x.yaml:5:50: invalid size \"4 parsecs\": want a number and a unit such as 500B, 4KiB, 20MiB or 1.5GiB",
        ],
    );
}

#[test]
fn negative_durations_are_refused() {
    check(
        &edit("run: {for: 10m}", "run: {for: -5m}"),
        &[
            "x.yaml:17:12: negative duration \"-5m\" (expected a duration such as 500ms, 30s or 10m)",
        ],
    );
}

#[test]
fn unknown_pull_policies_list_the_three() {
    check(
        &edit(
            "          image: registry.example.com/app:v1",
            "          image: registry.example.com/app:v1\n          imagePullPolicy: Allways",
        ),
        &["x.yaml:17:28: unknown pull policy \"Allways\" (expected Always, IfNotPresent or Never)"],
    );
}

#[test]
fn unknown_platforms_are_refused() {
    check(
        &edit("    count: 2", "    count: 2\n    platform: linux/amd46"),
        &[
            "x.yaml:9:15: unknown platform \"linux/amd46\" (expected os/arch[/variant] such as linux/amd64, linux/arm64/v8 or linux/arm/v7)",
        ],
    );
    check(
        &edit("    count: 2", "    count: 2\n    platform: sparkle"),
        &[
            "x.yaml:9:15: unknown platform: \"sparkle\": unknown operating system or architecture: invalid argument",
        ],
    );
}

const SECRET: &str = "\
secrets:
  - apiVersion: v1
    kind: Secret
    metadata: {name: regcred}
    type: kubernetes.io/dockerconfigjson
    data:
      .dockerconfigjson: eyJhdXRocyI6e319
";

#[test]
fn secrets_with_bad_base64_are_refused_at_the_value() {
    check(&format!("{BASE}{SECRET}"), &[]);
    check(
        &format!(
            "{BASE}{}",
            SECRET.replace("eyJhdXRocyI6e319", "eyJhdXRocyI6e31!")
        ),
        &[
            "x.yaml:24:26: data[\".dockerconfigjson\"]: invalid base64: illegal base64 data at input byte 15",
        ],
    );
}

#[test]
fn secrets_that_the_kubelet_would_skip_are_refused() {
    check(
        &format!(
            "{BASE}{}",
            SECRET.replace("kubernetes.io/dockerconfigjson", "Opaque")
        ),
        &[
            "x.yaml:22:11: secret type \"Opaque\" is not used for pulling images (expected kubernetes.io/dockerconfigjson or kubernetes.io/dockercfg)",
        ],
    );
    check(
        &format!(
            "{BASE}{}",
            SECRET.replace(
                ".dockerconfigjson: eyJhdXRocyI6e319",
                ".dockercfg: eyJhdXRocyI6e319"
            )
        ),
        &["x.yaml:23:5: data[\".dockerconfigjson\"]: Required value"],
    );
    check(
        &format!(
            "{BASE}{}",
            SECRET.replace(
                "data:\n      .dockerconfigjson: eyJhdXRocyI6e319",
                "stringData:\n      .dockerconfigjson: '{\"auths\": '"
            )
        ),
        &[
            "x.yaml:24:26: data[\".dockerconfigjson\"]: not JSON: line 1 column 10: EOF while parsing a value",
        ],
    );
}

#[test]
fn references_to_unknown_pools_registries_pods_and_secrets_are_errors() {
    check(
        &format!("{BASE}timeline:\n  - {{at: 1m, addNodes: {{pool: wrokers, count: 1}}}}\n"),
        &["x.yaml:19:31: unknown node pool \"wrokers\" (did you mean workers? expected workers)"],
    );
    check(
        &format!("{BASE}timeline:\n  - {{at: 1m, outage: {{registry: registry.example.org}}}}\n"),
        &[
            "x.yaml:19:33: unknown registry \"registry.example.org\" (expected registry.example.com)",
        ],
    );
    check(
        &edit("    spec:\n", "    spec:\n      nodeName: workers-2\n"),
        &["x.yaml:14:17: unknown node \"workers-2\" (nodes: workers-0 to workers-1)"],
    );
    check(
        &format!("{BASE}timeline:\n  - {{at: 1m, deletePod: wbe}}\n"),
        &["x.yaml:19:25: unknown pod or workload \"wbe\" (did you mean web? expected web)"],
    );
    check(
        &edit(
            "image: registry.example.com/app:v1",
            "image: quay.io/app:v1",
        ),
        &[
            "x.yaml:16:18: image \"quay.io/app:v1\" is on registry \"quay.io\", which the scenario does not describe (described: registry.example.com)",
        ],
    );
}

#[test]
fn pull_secrets_that_do_not_exist_are_left_for_the_kubelet() {
    // The API server admits the pod (and the service account); the kubelet warns
    // FailedToRetrieveImagePullSecret and pulls without the Secret.
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      imagePullSecrets: [{name: regcred}]\n",
        ),
        &[],
    );
    check(
        &edit(
            "workloads:\n",
            "serviceAccounts:\n  - {metadata: {name: builder}, imagePullSecrets: [{name: regcred}]}\nworkloads:\n",
        )
        .replace("    spec:\n", "    spec:\n      serviceAccountName: builder\n"),
        &[],
    );
}

#[test]
fn invalid_images_are_left_for_the_kubelet() {
    check(
        &edit(
            "image: registry.example.com/app:v1",
            "image: registry.example.com/App:v1",
        ),
        &[],
    );
}

#[test]
fn timeline_times_after_the_end_of_the_run_are_errors() {
    check(
        &format!("{BASE}timeline:\n  - {{at: 11m, restartKubelet: workers-0}}\n"),
        &["x.yaml:19:10: 11m0s is after the run ends at 10m0s"],
    );
}

#[test]
fn kubelet_settings_are_validated_with_the_kubelets_messages() {
    check(
        &edit(
            "    count: 2",
            "    count: 2\n    kubelet: {maxParallelImagePulls: 0}",
        ),
        &["x.yaml:9:38: invalid configuration: maxParallelImagePulls 0 must be a positive number"],
    );
    check(
        &edit(
            "    count: 2",
            "    count: 2\n    kubelet: {serializeImagePulls: true, maxParallelImagePulls: 3}",
        ),
        &[
            "x.yaml:9:65: invalid configuration: maxParallelImagePulls cannot be larger than 1 unless SerializeImagePulls (--serialize-image-pulls) is set to false",
        ],
    );
}

const SECOND_POD: &str = "  - apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec: {containers: [{name: app, image: registry.example.com/app:v1}]}
";

#[test]
fn duplicate_pod_names_are_errors() {
    check(
        &edit(
            "run: {for: 10m}\n",
            &format!("{SECOND_POD}run: {{for: 10m}}\n"),
        ),
        &["x.yaml:17:5: duplicate pod name \"web\" (also created by the workload at line 10)"],
    );
    check(
        &edit(
            "run: {for: 10m}\n",
            &format!(
                "{}run: {{for: 10m}}\n",
                SECOND_POD.replace("{name: web}", "{name: w}\n    replicas: 2")
            ),
        )
        .replace("metadata: {name: web}", "metadata: {name: w-1}"),
        &["x.yaml:17:5: duplicate pod name \"w-1\" (also created by the workload at line 10)"],
    );
}

#[test]
fn zero_replicas_are_refused() {
    check(
        &edit(
            "    metadata: {name: web}",
            "    metadata: {name: web}\n    replicas: 0",
        ),
        &["x.yaml:13:15: replicas must be at least 1 (leave the workload out instead)"],
    );
}

#[test]
fn expectations_on_unknown_pods_are_errors() {
    check(
        &format!("{BASE}expect:\n  - {{pod: webb, state: Running}}\n"),
        &["x.yaml:19:11: unknown pod \"webb\" (did you mean web? expected web)"],
    );
    check(
        &format!("{BASE}expect:\n  - {{pod: web, state: Runing, reason: ErrImagPull}}\n"),
        &[
            "x.yaml:19:23: unknown state \"Runing\" (did you mean Running? expected Pending, Waiting, Running or Deleted)",
            "x.yaml:19:39: unknown waiting reason \"ErrImagPull\" (did you mean ErrImagePull? expected ContainerCreating, PodInitializing, ErrImagePull, ImagePullBackOff, ErrImageNeverPull, InvalidImageName, ImageInspectError, RegistryUnavailable or SignatureValidationFailed)",
        ],
    );
}

#[test]
fn every_mistake_in_a_file_is_reported_in_file_order() {
    let text = edit("registries:", "regsitries:")
        .replace("    count: 2", "    count: 2\n    platform: linux/amd46")
        .replace(
            "          image: registry.example.com/app:v1",
            "          image: registry.example.com/app:v1\n          imagePullPolicy: Allways",
        )
        .replace("run: {for: 10m}", "run: {for: -1s}");
    check(
        &text,
        &[
            "x.yaml:3:1: unknown field \"regsitries\" (did you mean \"registries\"?)",
            "x.yaml:9:15: unknown platform \"linux/amd46\" (expected os/arch[/variant] such as linux/amd64, linux/arm64/v8 or linux/arm/v7)",
            "x.yaml:18:28: unknown pull policy \"Allways\" (expected Always, IfNotPresent or Never)",
            "x.yaml:19:12: negative duration \"-1s\" (expected a duration such as 500ms, 30s or 10m)",
        ],
    );
}

#[test]
fn a_section_with_a_mistake_does_not_cascade_into_unknown_names() {
    // The registry's host is wrong, so images on it are not reported as undescribed.
    check(
        &edit(
            "  - host: registry.example.com",
            "  - host: https://registry.example.com",
        ),
        &[
            "x.yaml:4:11: invalid registry host \"https://registry.example.com\" (expected a host name such as registry.example.com or localhost:5000)",
        ],
    );
    // A misspelled section is not read, so names it describes are not checked either.
    check(
        &(edit("workloads:", "workload:") + "expect:\n  - {pod: web, state: Running}\n"),
        &["x.yaml:9:1: unknown field \"workload\" (did you mean \"workloads\"?)"],
    );
}

#[test]
fn pods_must_be_placeable_and_their_service_accounts_must_exist() {
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      nodeSelector: {kubernetes.io/arch: arm64}\n      serviceAccountName: builder\n",
        ),
        &[
            "x.yaml:14:21: nodeSelector matches no node of any pool (the pod would stay Pending)",
            "x.yaml:15:27: unknown service account \"builder\" in namespace \"default\" (the API server refuses such a pod)",
        ],
    );
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      nodeSelector: {kubernetes.io/hostname: workers-1}\n      serviceAccountName: default\n",
        ),
        &[],
    );
    // Every node carries its pool's name as a label, so selecting by it places the pod.
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      nodeSelector: {pullsim.dev/pool: workers}\n",
        ),
        &[],
    );
    check(
        &edit(
            "    spec:\n",
            "    spec:\n      nodeSelector: {pullsim.dev/pool: gpu}\n",
        ),
        &["x.yaml:14:21: nodeSelector matches no node of any pool (the pod would stay Pending)"],
    );
}

#[test]
fn pre_pulled_images_must_be_in_a_registry_at_the_start() {
    check(
        &edit(
            "    count: 2",
            "    count: 2\n    prepulled: [registry.example.com/app:v2, quay.io/x:v1, 'Bad:Name']",
        ),
        &[
            "x.yaml:9:17: pre-pulled image \"registry.example.com/app:v2\": registry registry.example.com has no image app:v2 at the start",
            "x.yaml:9:46: pre-pulled image \"quay.io/x:v1\" is on registry \"quay.io\", which the scenario does not describe (described: registry.example.com)",
            "x.yaml:9:60: invalid pre-pulled image: couldn't parse image name \"Bad:Name\": invalid reference format: repository name (library/Bad) must be lowercase",
        ],
    );
}

#[test]
fn expectations_about_containers_and_credentials_name_existing_ones() {
    let two = edit(
        "          image: registry.example.com/app:v1",
        "          image: registry.example.com/app:v1\n        - {name: side, image: registry.example.com/app:v1}",
    );
    check(
        &format!(
            "{two}expect:\n  - {{pod: web, events: [Pulling]}}\n  - {{pod: web, container: sidecar, state: Running}}\n  - {{pod: web, container: app, credentialsTried: [secret/regcred, nobody]}}\n"
        ),
        &[
            "x.yaml:20:11: pod \"web\" has several containers (app, side); name one with container:",
            "x.yaml:21:27: pod \"web\": unknown container \"sidecar\" (expected app or side)",
            "x.yaml:22:51: unknown secret \"regcred\" in namespace \"default\"",
            "x.yaml:22:67: unknown credential \"nobody\" (expected secret/<name>, node, plugin/<name> or anonymous; all but the last may end with \"as <user>\")",
        ],
    );
}

#[test]
fn registry_content_is_checked_as_the_registry_would_check_it() {
    check(
        &edit(
            "    images: [{repository: app, tag: v1}]",
            "    images: [{repository: app, tag: v1, platforms: [linux/amd64, linux/amd64]}]\n    access: [{repository: app, read: [bob]}]\n    faults: [{status: 503, delay: 1s}]",
        ),
        &[
            "x.yaml:5:14: image app:v1: platform linux/amd64 is listed twice",
            "x.yaml:6:39: unknown account \"bob\" (expected anonymous or authenticated)",
            "x.yaml:7:14: a fault rule needs exactly one verdict: status, delay, drop_after or corrupt",
        ],
    );
}

#[test]
fn manifests_of_the_wrong_kind_or_shape_are_refused() {
    check(
        &edit("    kind: Pod", "    kind: Service")
            .replace("    metadata: {name: web}\n", "")
            .replace("          image: registry.example.com/app:v1\n", ""),
        &[
            "x.yaml:10:5: missing field \"metadata\"",
            "x.yaml:11:11: kind \"Service\" does not belong here (expected Pod, Deployment, ReplicaSet, DaemonSet, StatefulSet or Job)",
            "x.yaml:14:11: image: Required value (a container needs an image)",
        ],
    );
    check(
        &edit(
            "nodes:\n  - pool: workers\n    count: 2",
            "nodes: {pool: workers, count: -2}",
        ),
        &["x.yaml:6:8: expected a list, found a mapping"],
    );
    check(
        &edit("    count: 2", "    count: -2"),
        &["x.yaml:8:12: -2 is out of range (expected a whole number from 0 to 4294967295)"],
    );
}

#[test]
fn a_misspelling_of_pullsims_own_pod_keys_is_an_error() {
    check(
        &edit(
            "    metadata: {name: web}",
            "    metadata: {name: web}\n    att: 2m",
        ),
        &[
            "x.yaml:13:5: unknown field \"att\" (expected one of apiVersion, kind, metadata, replicas, at, runFor, replaceEvery, spec)",
        ],
    );
    // A pasted Pod's status is not pullsim's business.
    check(
        &edit(
            "    metadata: {name: web}",
            "    metadata: {name: web}\n    status: {phase: Running}",
        ),
        &[],
    );
}

#[test]
fn a_request_filter_method_is_an_http_method() {
    for (written, shown) in [
        ("12", "\"12\""),
        ("true", "\"true\""),
        ("FETCH", "\"FETCH\""),
    ] {
        check(
            &format!(
                "{BASE}expect:\n  - {{registry: registry.example.com, requests: {{method: {written}}}, count: 1}}\n"
            ),
            &[&format!(
                "x.yaml:19:57: unknown request method {shown} (expected GET, HEAD, POST, PUT, PATCH or DELETE)"
            )],
        );
    }
    check(
        &format!(
            "{BASE}expect:\n  - {{registry: registry.example.com, requests: {{method: head}}, count: 1}}\n"
        ),
        &[],
    );
}

#[test]
fn a_negative_zero_layer_size_is_refused() {
    check(
        &edit(
            "images: [{repository: app, tag: v1}]",
            "images: [{repository: app, tag: v1, layers: [-0]}]",
        ),
        &[
            "x.yaml:5:50: invalid size \"-0\": want a number and a unit such as 500B, 4KiB, 20MiB or 1.5GiB",
        ],
    );
}

#[test]
fn fields_written_at_the_wrong_level_are_reported_at_their_own_place() {
    // `containers` one level too far left: beside spec, not in it. The error is the key's,
    // not "spec has no containers".
    check(
        &edit(
            "    spec:\n      containers:\n",
            "    spec:\n      nodeName: workers-0\n    containers:\n",
        ),
        &[
            "x.yaml:15:5: \"containers\" belongs under spec, not directly under the pod manifest (as written it would be ignored)",
        ],
    );
    // No spec at all, the containers under metadata.
    check(
        &edit(
            "    metadata: {name: web}\n    spec:\n      containers:\n        - name: app\n          image: registry.example.com/app:v1\n",
            "    metadata:\n      name: web\n      containers:\n        - name: app\n          image: registry.example.com/app:v1\n",
        ),
        &[
            "x.yaml:14:7: \"containers\" belongs under spec, not under metadata (as written it would be ignored)",
        ],
    );
    // A container's field directly under spec, and a spec field in a container.
    check(
        &edit("    spec:\n", "    spec:\n      imagePullPolicy: Always\n"),
        &[
            "x.yaml:14:7: \"imagePullPolicy\" belongs in a container of spec.containers, not under spec (as written it would be ignored)",
        ],
    );
    check(
        &edit(
            "          image: registry.example.com/app:v1\n",
            "          image: registry.example.com/app:v1\n          nodeName: workers-1\n",
        ),
        &[
            "x.yaml:17:11: \"nodeName\" belongs under spec, not in a container (as written it would be ignored)",
        ],
    );
}

#[test]
fn tab_errors_are_reported_at_the_tab() {
    // The parser marks the start of the scalar before the tab (line 4, 7); the tab is on the
    // next line.
    check(
        &edit("    images:", "\timages:"),
        &["x.yaml:5:1: invalid YAML: while scanning a plain scalar, found a tab"],
    );
    check(
        &edit("    count: 2", "   \tcount: 2"),
        &["x.yaml:8:4: invalid YAML: while scanning a plain scalar, found a tab"],
    );
}

mod objects;
