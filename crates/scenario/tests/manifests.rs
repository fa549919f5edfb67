//! Workload manifests as `kubectl get -o yaml` prints them, in `workloads:` and in
//! `manifests:` files: each kind read into the simulator's `WorkloadObject` with the API
//! server's defaults, `kind: List`, skipped kinds and their note, the API server's
//! validation messages at their positions (naming the manifests file they are in), a
//! missing file, and no panic on any file content.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use pullsim_model::controllers::IntOrPercent;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_scenario::{Container, Pod, PodSpec, Pods, Scenario};
use pullsim_sim::controllers::{
    DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStrategy, JobSpec, PodManagementPolicy,
    PodTemplate, StatefulSetUpdateStrategy,
};
use pullsim_sim::{RestartPolicy, WorkloadObject, WorkloadSpec};

const HEAD: &str = "\
name: m
description: d
registries:
  - host: registry.example.com
    images: [{repository: team/web, tag: v1}, {repository: team/web, tag: v2}]
nodes:
  - {pool: workers, count: 3}
";

/// Reads `text` as `scenarios/m.yaml`, its manifests files from `files`.
fn parse(text: &str, files: &[(&str, &str)]) -> Result<Scenario, String> {
    let files: BTreeMap<String, String> = files
        .iter()
        .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
        .collect();
    let mut source = |path: &str| {
        files
            .get(path)
            .map(|text| text.clone().into_bytes())
            .ok_or_else(|| "No such file or directory (os error 2)".to_owned())
    };
    Scenario::parse_with("scenarios/m.yaml", text, &mut source).map_err(|e| e.to_string())
}

fn read(text: &str, files: &[(&str, &str)]) -> Scenario {
    parse(text, files).unwrap_or_else(|errors| panic!("{errors}"))
}

fn errors(text: &str, files: &[(&str, &str)]) -> Vec<String> {
    match parse(text, files) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.lines().map(str::to_owned).collect(),
    }
}

fn object(scenario: &Scenario, index: usize) -> &WorkloadObject {
    match &scenario.workloads[index].pods {
        Pods::Object(object) => object,
        other => panic!("not an object: {other:?}"),
    }
}

fn web_template(
    image: &str,
    readiness: Option<Duration>,
    restart_policy: RestartPolicy,
) -> PodTemplate {
    PodTemplate {
        pod: Arc::new(Pod {
            name: "web".to_owned(),
            namespace: "default".to_owned(),
            spec: PodSpec {
                containers: vec![Container {
                    name: "web".to_owned(),
                    image: image.to_owned(),
                    image_pull_policy: Some(PullPolicy::IfNotPresent),
                    readiness_delay: readiness,
                }],
                service_account_name: Some("default".to_owned()),
                restart_policy,
                ..PodSpec::default()
            },
        }),
        annotations: BTreeMap::new(),
    }
}

/// `kubectl get deployment web -o yaml`, as a 1.3x cluster prints it.
const DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  annotations:
    deployment.kubernetes.io/revision: \"1\"
  creationTimestamp: \"2026-12-07T10:00:00Z\"
  generation: 1
  labels:
    app: web
  managedFields:
  - apiVersion: apps/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:replicas: {}
    manager: kubectl-create
    operation: Update
    time: \"2026-12-07T10:00:00Z\"
  name: web
  namespace: default
  resourceVersion: \"4242\"
  uid: 0b6c5f1e-7d1a-4a57-9a0c-2f7e0f0e8f11
spec:
  progressDeadlineSeconds: 600
  replicas: 4
  revisionHistoryLimit: 10
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
    type: RollingUpdate
  template:
    metadata:
      creationTimestamp: null
      labels:
        app: web
    spec:
      containers:
      - image: registry.example.com/team/web:v2
        imagePullPolicy: IfNotPresent
        name: web
        ports:
        - containerPort: 8080
          protocol: TCP
        readinessProbe:
          failureThreshold: 3
          httpGet: {path: /healthz, port: 8080, scheme: HTTP}
          initialDelaySeconds: 5
          periodSeconds: 10
        resources:
          limits: {cpu: 500m, memory: 128Mi}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Always
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  availableReplicas: 4
  conditions:
  - lastTransitionTime: \"2026-12-07T10:00:05Z\"
    message: Deployment has minimum availability.
    reason: MinimumReplicasAvailable
    status: \"True\"
    type: Available
  observedGeneration: 1
  readyReplicas: 4
  replicas: 4
  updatedReplicas: 4
";

/// A document of `DEPLOYMENT`'s shape, indented as an item of `workloads:`.
fn as_item(manifest: &str) -> String {
    let mut item = String::new();
    for (index, line) in manifest.lines().enumerate() {
        item.push_str(if index == 0 { "  - " } else { "    " });
        item.push_str(line);
        item.push('\n');
    }
    item
}

#[test]
fn a_pasted_deployment_reads_with_every_field_the_controller_uses() {
    let text = format!("{HEAD}workloads:\n{}", as_item(DEPLOYMENT));
    let scenario = read(&text, &[]);
    let expected = WorkloadObject {
        namespace: "default".to_owned(),
        name: "web".to_owned(),
        spec: WorkloadSpec::Deployment(DeploymentSpec {
            replicas: 4,
            strategy: DeploymentStrategy::RollingUpdate {
                max_surge: IntOrPercent::Int(1),
                max_unavailable: IntOrPercent::Int(0),
            },
            min_ready: Duration::ZERO,
            progress_deadline: Some(Duration::from_secs(600)),
            revision_history_limit: 10,
            template: web_template(
                "registry.example.com/team/web:v2",
                Some(Duration::from_secs(5)),
                RestartPolicy::Always,
            ),
        }),
    };
    assert_eq!(object(&scenario, 0), &expected);
    assert_eq!(scenario.workloads[0].at, SimTime::EPOCH);
    assert!(scenario.workloads[0].pod_names().is_empty());
    assert!(scenario.notes.is_empty());
}

#[test]
fn defaults_are_the_api_servers() {
    let text = format!(
        "{HEAD}workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {{name: web}}
    at: 1m
    runFor: 5m
    spec:
      selector: {{matchExpressions: [{{key: app, operator: In, values: [web, api]}}]}}
      template:
        metadata: {{labels: {{app: web}}, annotations: {{kubectl.kubernetes.io/restartedAt: '2026-12-07T10:00:00Z'}}}}
        spec: {{containers: [{{name: web, image: registry.example.com/team/web:v1, readinessProbe: {{httpGet: {{path: /}}}}}}]}}
"
    );
    let scenario = read(&text, &[]);
    assert_eq!(scenario.workloads[0].at, SimTime::from_secs(60));
    let WorkloadSpec::Deployment(spec) = &object(&scenario, 0).spec else {
        panic!("not a Deployment");
    };
    assert_eq!(spec.replicas, 1);
    assert_eq!(spec.strategy, DeploymentStrategy::default());
    assert_eq!(spec.progress_deadline, Some(Duration::from_secs(600)));
    assert_eq!(spec.revision_history_limit, 10);
    let container = &spec.template.pod.spec.containers[0];
    // A probe without initialDelaySeconds is Ready at once; `:v1` defaults IfNotPresent.
    assert_eq!(container.readiness_delay, Some(Duration::ZERO));
    assert_eq!(container.image_pull_policy, Some(PullPolicy::IfNotPresent));
    assert_eq!(
        spec.template.pod.spec.run_for,
        Some(Duration::from_secs(300))
    );
    assert_eq!(
        spec.template
            .annotations
            .get("kubectl.kubernetes.io/restartedAt"),
        Some(&"2026-12-07T10:00:00Z".to_owned())
    );
}

/// A DaemonSet, a StatefulSet, a ReplicaSet and a Job, as `kubectl get -o yaml` prints
/// them, in one `manifests:` file with a Service and a ConfigMap.
const APP: &str = "\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  ports: [{port: 80}]
  selector: {app: web}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {a: b}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  annotations: {deprecated.daemonset.template.generation: \"1\"}
  name: agent
  namespace: kube-system
  uid: 9b0e
spec:
  revisionHistoryLimit: 10
  selector:
    matchLabels: {name: agent}
  template:
    metadata:
      labels: {name: agent}
    spec:
      containers:
      - {name: agent, image: registry.example.com/team/web:v1, imagePullPolicy: Always}
      nodeSelector: {kubernetes.io/os: linux}
      restartPolicy: Always
      tolerations: [{operator: Exists}]
  updateStrategy:
    rollingUpdate: {maxSurge: 0, maxUnavailable: 10%}
    type: RollingUpdate
status: {currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 3}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: default}
spec:
  persistentVolumeClaimRetentionPolicy: {whenDeleted: Retain, whenScaled: Retain}
  podManagementPolicy: Parallel
  replicas: 3
  selector: {matchLabels: {app: db}}
  serviceName: db
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: registry.example.com/team/web:v1}]
  updateStrategy:
    rollingUpdate: {partition: 1}
    type: RollingUpdate
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: ReplicaSet
  metadata: {name: cache}
  spec:
    minReadySeconds: 10
    replicas: 2
    selector: {matchLabels: {app: cache}}
    template:
      metadata: {labels: {app: cache, tier: x}}
      spec: {containers: [{name: cache, image: registry.example.com/team/web:v1}]}
- apiVersion: batch/v1
  kind: Job
  metadata:
    labels: {batch.kubernetes.io/controller-uid: 7c1d, job-name: pi}
    name: pi
  spec:
    activeDeadlineSeconds: 600
    backoffLimit: 4
    completionMode: NonIndexed
    completions: 5
    manualSelector: false
    parallelism: 2
    podReplacementPolicy: TerminatingOrFailed
    selector: {matchLabels: {batch.kubernetes.io/controller-uid: 7c1d}}
    suspend: false
    template:
      metadata: {labels: {batch.kubernetes.io/controller-uid: 7c1d, job-name: pi}}
      spec:
        containers: [{name: pi, image: registry.example.com/team/web:v1}]
        restartPolicy: Never
  status: {active: 2, ready: 0, startTime: \"2026-12-07T10:00:00Z\"}
- apiVersion: v1
  kind: Secret
  metadata: {name: regcred}
  type: kubernetes.io/dockerconfigjson
  data: {.dockerconfigjson: eyJhdXRocyI6e319}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: builder}
  imagePullSecrets: [{name: regcred}]
";

#[test]
fn a_manifests_file_holds_every_kind_and_notes_what_it_skips() {
    let text = format!(
        "{HEAD}manifests:\n  - manifests/app.yaml\n  - {{file: manifests/late.yaml, at: 2m, runFor: 30s}}\n"
    );
    let late = "apiVersion: v1\nkind: Pod\nmetadata: {name: late}\nspec:\n  serviceAccountName: builder\n  containers: [{name: c, image: registry.example.com/team/web:v1}]\n";
    let scenario = read(
        &text,
        &[("manifests/app.yaml", APP), ("manifests/late.yaml", late)],
    );
    assert_eq!(
        scenario.notes,
        vec![
            "scenarios/manifests/app.yaml: skipped 2 objects pullsim does not model: Service/web, ConfigMap/web-config"
        ]
    );
    assert_eq!(scenario.secrets.len(), 1);
    assert_eq!(scenario.service_accounts[0].name, "builder");
    let names: Vec<(&str, &str)> = scenario
        .workloads
        .iter()
        .map(|w| (w.namespace(), w.name()))
        .collect();
    assert_eq!(
        names,
        vec![
            ("kube-system", "agent"),
            ("default", "db"),
            ("default", "cache"),
            ("default", "pi"),
            ("default", "late"),
        ]
    );
    assert_eq!(
        scenario.workloads[0].file.as_deref(),
        Some("scenarios/manifests/app.yaml")
    );
    let WorkloadSpec::DaemonSet(agent) = &object(&scenario, 0).spec else {
        panic!("not a DaemonSet");
    };
    assert_eq!(
        agent.update_strategy,
        DaemonSetUpdateStrategy::RollingUpdate {
            max_unavailable: IntOrPercent::Percent(10),
            max_surge: IntOrPercent::Int(0),
        }
    );
    assert!(agent.nodes.is_empty());
    let WorkloadSpec::StatefulSet(db) = &object(&scenario, 1).spec else {
        panic!("not a StatefulSet");
    };
    assert_eq!(
        (db.replicas, db.pod_management_policy, db.update_strategy),
        (
            3,
            PodManagementPolicy::Parallel,
            StatefulSetUpdateStrategy::RollingUpdate { partition: 1 }
        )
    );
    let WorkloadSpec::ReplicaSet(cache) = &object(&scenario, 2).spec else {
        panic!("not a ReplicaSet");
    };
    assert_eq!(
        (cache.replicas, cache.min_ready),
        (2, Duration::from_secs(10))
    );
    let WorkloadSpec::Job(pi) = &object(&scenario, 3).spec else {
        panic!("not a Job");
    };
    let expected = JobSpec {
        completions: Some(5),
        parallelism: 2,
        backoff_limit: 4,
        active_deadline: Some(Duration::from_secs(600)),
        max_pod_failure_backoff: pullsim_model::controllers::job::MAX_POD_FAILURE_BACKOFF,
        template: pi.template.clone(),
    };
    assert_eq!(pi, &expected);
    assert_eq!(pi.template.pod.spec.restart_policy, RestartPolicy::Never);
    let late = &scenario.workloads[4];
    assert_eq!(late.at, SimTime::from_secs(120));
    assert_eq!(late.pod().spec.run_for, Some(Duration::from_secs(30)));
    assert_eq!(
        late.pod().spec.service_account_name.as_deref(),
        Some("builder")
    );
}

#[test]
fn a_job_gets_the_defaulted_completions_and_parallelism() {
    let job = |spec: &str| {
        format!(
            "{HEAD}workloads:
  - apiVersion: batch/v1
    kind: Job
    metadata: {{name: pi}}
    spec:
      {spec}
      template:
        spec: {{restartPolicy: OnFailure, containers: [{{name: pi, image: registry.example.com/team/web:v1}}]}}
"
        )
    };
    for (spec, completions, parallelism) in [
        ("backoffLimit: 6", Some(1), 1),
        ("parallelism: 3", None, 3),
        ("completions: 4", Some(4), 1),
    ] {
        let scenario = read(&job(spec), &[]);
        let WorkloadSpec::Job(read) = &object(&scenario, 0).spec else {
            panic!("not a Job");
        };
        assert_eq!(
            (read.completions, read.parallelism),
            (completions, parallelism)
        );
    }
}

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
    let text = format!("{HEAD}manifests:\n  - app.yaml\n  - {{file: missing.yaml}}\n");
    let app = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: api}}\n    spec: {containers: [{name: web, image: registry.example.com/team/web:v1}]}\n---\nkind: Deployment\napiVersion: apps/v1\nmetadata: {name: web}\nspec: {}\n---\n- not an object\n";
    assert_eq!(
        errors(&text, &[("app.yaml", app)]),
        vec![
            "scenarios/m.yaml:10:12: cannot read manifests file \"missing.yaml\": No such file or directory (os error 2)",
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
