//! What a valid scenario reads as: defaults, API defaulting of pull policies, Secrets stored
//! by the model's rules, node config files on the kubelet's search path, the timeline in
//! time order with its pods moved to the workloads, and expectations typed. And every
//! fixture under `tests/fixtures/<topic>/` is valid: one per topic of the scenario library
//! (issue 5), so the format can express each of them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pullsim_model::credentials::DockerConfigFormat;
use pullsim_model::{
    Bandwidth, KubeletBehavior, PlatformsVersion, PullPolicy, SimTime, VerificationPolicy,
};
use pullsim_registry::{AuthMode, Verdict};
use pullsim_scenario::{
    Action, AdmissionConfig, Bounds, Check, CredentialRef, DigestPinning, FailurePolicy, Order,
    OutageKind, Planned, Pods, RequestKind, Scenario, State, Stop, WorkerJitter,
};

fn read(text: &str) -> Scenario {
    Scenario::parse("r.yaml", text).unwrap_or_else(|errors| panic!("{errors}"))
}

const HEAD: &str = "name: r\ndescription: d\nregistries:\n  - {host: registry.example.com, images: [{repository: app, tag: v1}, {repository: app, tag: latest}]}\n";

#[test]
fn a_minimal_scenario_gets_every_default() {
    let scenario = read("name: r\ndescription: d\n");
    assert_eq!(scenario.seed, 1);
    assert_eq!(scenario.kubernetes.behavior, KubeletBehavior::MAINLINE);
    assert!(scenario.kubernetes.ensure_secret_pulled_images);
    assert_eq!(scenario.kubernetes.platforms, PlatformsVersion::V0_2);
    assert!(!scenario.admission.always_pull_images && scenario.admission.digest_pinning.is_none());
    assert_eq!(
        (
            scenario.kubernetes.max_concurrent_downloads,
            scenario.kubernetes.pod_worker
        ),
        (3, WorkerJitter::Seeded)
    );
    assert_eq!(
        scenario.run.stop,
        Stop::AllRunning {
            limit: Duration::from_secs(3600)
        }
    );
    assert_eq!(scenario.run.end(), SimTime::from_secs(3600));
    assert!(scenario.registries.is_empty() && scenario.workloads.is_empty());
}

#[test]
fn kubernetes_and_admission_switches_read() {
    let scenario = read(
        "name: r\ndescription: d\nkubernetes:\n  behavior: {pullQpsErrorHasPeriod: true}\n  featureGates: {KubeletEnsureSecretPulledImages: false}\n  platforms: v1\n  maxConcurrentDownloads: 1\n  podWorker: {errorRequeue: 10s, resync: 1m}\nadmission: {alwaysPullImages: true, digestPinning: {failurePolicy: Ignore}}\n",
    );
    let kubernetes = scenario.kubernetes;
    assert!(
        kubernetes.behavior.pull_qps_error_has_period
            && kubernetes.behavior.registry_error_by_prefix
    );
    assert!(!kubernetes.ensure_secret_pulled_images);
    assert_eq!(kubernetes.platforms, PlatformsVersion::V1);
    assert_eq!(kubernetes.max_concurrent_downloads, 1);
    assert_eq!(
        kubernetes.pod_worker,
        WorkerJitter::Fixed {
            error_requeue: Duration::from_secs(10),
            resync: Duration::from_secs(60)
        }
    );
    assert_eq!(
        scenario.admission,
        AdmissionConfig {
            always_pull_images: true,
            digest_pinning: Some(DigestPinning {
                failure_policy: FailurePolicy::Ignore
            })
        }
    );
    let pinned = read("name: r\ndescription: d\nadmission: {digestPinning: true}\n");
    assert_eq!(
        pinned.admission.digest_pinning,
        Some(DigestPinning {
            failure_policy: FailurePolicy::Fail
        })
    );
}

#[test]
fn pull_policies_are_defaulted_from_the_image_as_the_api_server_does() {
    let images = [
        ("registry.example.com/app", PullPolicy::Always),
        ("registry.example.com/app:latest", PullPolicy::Always),
        ("registry.example.com/app:v1", PullPolicy::IfNotPresent),
        ("registry.example.com/app:LATEST", PullPolicy::IfNotPresent),
        ("registry.example.com/App:v1", PullPolicy::IfNotPresent),
    ];
    let containers: String = images
        .iter()
        .enumerate()
        .map(|(index, (image, _))| format!("      - {{name: c{index}, image: \"{image}\"}}\n"))
        .collect();
    let scenario = read(&format!(
        "{HEAD}nodes: [{{pool: n}}]\nworkloads:\n  - metadata: {{name: p}}\n    spec:\n      containers:\n{containers}"
    ));
    let got: Vec<Option<PullPolicy>> = scenario.workloads[0]
        .pod()
        .spec
        .containers
        .iter()
        .map(|container| container.image_pull_policy)
        .collect();
    let want: Vec<Option<PullPolicy>> = images.iter().map(|(_, policy)| Some(*policy)).collect();
    assert_eq!(got, want);
}

#[test]
fn secrets_service_accounts_and_pod_references_read_as_the_api_stores_them() {
    let scenario = read(&format!(
        "{HEAD}secrets:
  - metadata: {{name: s, namespace: team, uid: u-1}}
    type: kubernetes.io/dockerconfigjson
    data: {{.dockerconfigjson: eyJhdXRocyI6e319}}
serviceAccounts:
  - metadata: {{name: builder, namespace: team}}
    imagePullSecrets: [{{name: s}}]
nodes: [{{pool: n}}]
workloads:
  - metadata: {{name: p, namespace: team}}
    spec:
      serviceAccount: builder
      imagePullSecrets: [{{name: s}}]
      containers: [{{name: c, image: registry.example.com/app:v1}}]
"
    ));
    let secret = &scenario.secrets[0];
    assert_eq!(
        (secret.namespace.as_str(), secret.uid.as_deref()),
        ("team", Some("u-1"))
    );
    assert_eq!(secret.data[".dockerconfigjson"], br#"{"auths":{}}"#);
    assert_eq!(scenario.service_accounts[0].image_pull_secrets, ["s"]);
    let spec = &scenario.workloads[0].pod().spec;
    assert_eq!(spec.service_account_name.as_deref(), Some("builder"));
    assert_eq!(spec.image_pull_secrets, ["s"]);
}

#[test]
fn node_pools_read_links_kubelet_settings_and_config_files() {
    let scenario = read(&format!(
        "{HEAD}nodes:
  - pool: arm
    count: 2
    platform: linux/arm64
    labels: {{disk: ssd}}
    bandwidth: 50MiB/s
    links: {{registry.example.com: {{latency: 30ms}}}}
    prepulled: [registry.example.com/app:v1]
    configFiles:
      - content: {{auths: {{registry.example.com: {{auth: dTpw}}}}}}
      - {{path: /root/.dockercfg, content: '{{}}'}}
    kubelet:
      maxParallelImagePulls: 4
      registryPullQPS: 0
      imagePullCredentialsVerificationPolicy: NeverVerifyAllowlistedImages
      preloadedImagesVerificationAllowlist: [registry.example.com/base/*]
"
    ));
    let pool = &scenario.node_pools[0];
    assert_eq!(pool.node_name(1), "arm-1");
    assert_eq!(pool.node_labels(1)["kubernetes.io/arch"], "arm64");
    assert_eq!(pool.node_labels(1)["kubernetes.io/hostname"], "arm-1");
    assert_eq!(pool.node_labels(1)["disk"], "ssd");
    assert_eq!(pool.node_labels(1)["pullsim.dev/pool"], "arm");
    let link = pool.link_to("registry.example.com");
    assert_eq!(
        link.bandwidth_bytes_per_sec,
        Some(Bandwidth::parse("50MiB/s").unwrap().bits_per_second() / 8)
    );
    assert_eq!(link.latency, Duration::from_millis(30));
    assert_eq!(pool.link_to("elsewhere").latency, Duration::from_millis(10));
    assert_eq!(pool.prepulled, ["registry.example.com/app:v1"]);
    let candidates = &pool.node_config_files;
    assert_eq!(candidates[0].path, "/var/lib/kubelet/config.json");
    assert_eq!(
        candidates[0].contents.as_deref(),
        Some(&br#"{"auths":{"registry.example.com":{"auth":"dTpw"}}}"#[..])
    );
    let dockercfg = candidates
        .iter()
        .find(|c| c.path == "/root/.dockercfg")
        .unwrap();
    assert_eq!(
        (dockercfg.format, dockercfg.contents.as_deref()),
        (DockerConfigFormat::Dockercfg, Some(&b"{}"[..]))
    );
    let kubelet = &pool.kubelet;
    assert!(
        kubelet.pull.serialize_image_pulls == Some(false),
        "maxParallelImagePulls 4 makes the parallel puller the default"
    );
    assert_eq!(kubelet.pull.registry_pull_qps, Some(0));
    assert_eq!(
        kubelet.verification.policy,
        VerificationPolicy::NeverVerifyAllowlistedImages
    );
    assert!(
        kubelet
            .verification
            .allowlist
            .matches("registry.example.com/base/x:v1", true)
    );
}

#[test]
fn the_timeline_is_in_time_order_and_its_pods_become_workloads() {
    let scenario = read(&format!(
        "{HEAD}nodes: [{{pool: n, count: 1}}]
timeline:
  - {{at: 5m, outage: {{registry: registry.example.com, until: 7m}}}}
  - {{at: 1m, push: {{registry: registry.example.com, repository: app, tag: v1, build: 2}}}}
  - {{at: 1m, moveTag: {{registry: registry.example.com, repository: app, tag: latest, to: v1}}}}
  - {{at: 2m, fault: {{registry: registry.example.com, match: {{method: GET}}, status: 429, retry_after: 5s}}}}
  - {{at: 3m, addNodes: {{pool: n, count: 2}}}}
  - {{at: 4m, restartKubelet: {{node: n-2, downtime: 20s}}}}
  - {{at: 9m, outage: {{registry: registry.example.com, status: unreachable}}}}
  - {{at: 30s, createPod: {{metadata: {{name: late}}, replaceEvery: 5m, spec: {{containers: [{{name: c, image: registry.example.com/app:v1}}]}}}}}}
run: {{for: 10m}}
"
    ));
    let times: Vec<u64> = scenario
        .timeline
        .iter()
        .map(|action| action.at.since_epoch().as_secs())
        .collect();
    assert_eq!(times, [60, 60, 120, 180, 240, 300, 540]);
    assert_eq!(
        scenario.timeline[4].action,
        Planned::Action(Action::RestartKubelet {
            node: "n-2".to_owned(),
            downtime: Duration::from_secs(20)
        })
    );
    assert_eq!(
        scenario.timeline[6].action,
        Planned::OutageToEnd {
            host: "registry.example.com".to_owned(),
            kind: OutageKind::Unreachable,
        }
    );
    assert!(
        matches!(&scenario.timeline[0].action, Planned::Action(Action::PushBuild { image, .. }) if image.build == 2)
    );
    assert!(
        matches!(&scenario.timeline[1].action, Planned::Action(Action::CopyTag { tag, from_tag, .. }) if tag == "latest" && from_tag == "v1")
    );
    assert!(
        matches!(&scenario.timeline[2].action, Planned::Action(Action::InstallFault { rule, .. })
        if rule.verdict == Verdict::Status { status: 429, retry_after: Some(Duration::from_secs(5)) })
    );
    assert_eq!(
        scenario.timeline[5].action,
        Planned::Action(Action::Outage {
            host: "registry.example.com".to_owned(),
            duration: Duration::from_secs(420 - 300),
            kind: OutageKind::Status(503),
        })
    );
    assert_eq!(scenario.workloads[0].name(), "late");
    assert!(matches!(scenario.workloads[0].pods, Pods::Single { .. }));
    assert_eq!(scenario.workloads[0].at, SimTime::from_secs(30));
    assert_eq!(
        scenario.workloads[0].replace_every(),
        Some(Duration::from_secs(300))
    );
    assert_eq!(scenario.registries[0].auth, AuthMode::Basic);
}

#[test]
fn expectations_read_typed() {
    let scenario = read(&format!(
        "{HEAD}nodes: [{{pool: n}}]
secrets:
  - {{metadata: {{name: s}}, type: kubernetes.io/dockercfg, stringData: {{.dockercfg: '{{}}'}}}}
workloads:
  - metadata: {{name: w}}
    replicas: 2
    spec: {{containers: [{{name: c, image: registry.example.com/app:v1}}]}}
run: {{for: 10m}}
expect:
  - {{pod: w-1, at: 1m, state: Waiting, reason: ImagePullBackOff, message: not found}}
  - {{pod: w-0, events: [Pulling, {{reason: Failed, type: Warning, at: 2s}}], order: subsequence}}
  - {{workload: w, timeToRunning: {{min: 1s, max: 2m}}}}
  - {{pod: w-0, credentialsTried: [secret/s as alice, node, anonymous]}}
  - {{workload: w, distinctDigests: 1, mixedFor: {{max: 0s}}}}
  - {{registry: registry.example.com, requests: {{method: head, kind: manifest, status: 200}}, count: {{max: 4}}}}
  - {{registry: registry.example.com, peakRequestsPerSecond: 2}}
"
    ));
    use pullsim_scenario::expect::{
        CredentialsTried, DistinctDigests, Events, PeakRequestsPerSecond, Requests, StateAt,
        TimeToRunning,
    };
    let checks: Vec<&Check> = scenario.expectations.iter().map(|e| &e.check).collect();
    assert!(
        matches!(checks[0], Check::State(StateAt { state: State::Waiting, at: Some(_), reason: Some(r), .. }) if r == "ImagePullBackOff")
    );
    assert!(
        matches!(checks[1], Check::Events(Events { order: Order::Subsequence, events, .. }) if events.len() == 2 && events[1].at == Some(SimTime::from_secs(2)))
    );
    assert!(
        matches!(checks[2], Check::TimeToRunning(TimeToRunning { within, .. }) if within.contains(Duration::from_secs(60)) && !within.contains(Duration::ZERO))
    );
    assert!(
        matches!(checks[3], Check::CredentialsTried(CredentialsTried { credentials, .. }) if credentials == &[
            CredentialRef::Secret { name: "s".to_owned(), user: Some("alice".to_owned()) },
            CredentialRef::NodeConfig { user: None },
            CredentialRef::Anonymous,
        ])
    );
    assert!(
        matches!(checks[4], Check::DistinctDigests(DistinctDigests { count, mixed_for: Some(_), .. }) if *count == Bounds::exactly(1))
    );
    assert!(
        matches!(checks[5], Check::Requests(Requests { filter, count: Some(count), bytes: None, .. })
        if filter.method.as_deref() == Some("HEAD") && filter.kind == Some(RequestKind::Manifest) && count.max == Some(4))
    );
    assert!(
        matches!(checks[6], Check::PeakRequestsPerSecond(PeakRequestsPerSecond { value, .. }) if *value == Bounds::exactly(2))
    );
}

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
    for topic in pullsim_scenario::LIBRARY_TOPICS {
        assert!(
            files.iter().any(|file| file
                .parent()
                .and_then(Path::file_name)
                .is_some_and(|name| name == topic)),
            "no fixture for {topic}"
        );
    }
}
