//! Each kind read into the simulator's `WorkloadObject` with the API server's defaults,
//! `kind: List`, Secrets and ServiceAccounts from files, skipped kinds and their note.

use pullsim_model::controllers::IntOrPercent;
use pullsim_model::{PullPolicy, SimTime};
use pullsim_scenario::{Container, Pod, PodSpec, Pods, Scenario};
use pullsim_sim::controllers::{
    DaemonSetUpdateStrategy, DeploymentSpec, DeploymentStrategy, JobSpec, PodManagementPolicy,
    PodTemplate, StatefulSetUpdateStrategy,
};
use pullsim_sim::{RestartPolicy, WorkloadObject, WorkloadSpec};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use super::{HEAD, read};

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
pub(crate) const DEPLOYMENT: &str = "\
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
pub(crate) fn as_item(manifest: &str) -> String {
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
pub(crate) const APP: &str = "\
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
    let agent_pod = &agent.template.pod;
    assert_eq!(
        (agent_pod.name.as_str(), agent_pod.namespace.as_str()),
        ("agent", "kube-system")
    );
    assert_eq!(
        agent_pod.spec.node_selector,
        BTreeMap::from([("kubernetes.io/os".to_owned(), "linux".to_owned())])
    );
    assert_eq!(
        agent_pod.spec.containers[0].image_pull_policy,
        Some(PullPolicy::Always)
    );
    assert_eq!(agent_pod.spec.containers[0].readiness_delay, None);
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
