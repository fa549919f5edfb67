//! Workload objects end to end: the timeline's workload actions read, run by the
//! simulator's controllers, judged by the rollout expectations, and told by the
//! transcript's `rollouts` section in `kubectl rollout status`' words.

use pullsim_scenario::Scenario;
use pullsim_scenario::run::{RunOptions, run};

/// A Deployment of 10 (maxSurge and maxUnavailable 25%) moved at 1m to a tag that does not
/// exist, a DaemonSet restarted at 3m and a StatefulSet applied at 4m then moved to v2.
const WORLD: &str = "\
name: rollouts
description: Workload actions end to end.
registries:
  - host: registry.example.com
    images: [{repository: app, tag: v1}, {repository: app, tag: v2}]
nodes:
  - pool: workers
    count: 4
workloads:
  - apiVersion: apps/v1
    kind: Deployment
    metadata: {name: web}
    spec:
      replicas: 10
      progressDeadlineSeconds: 300
      selector: {matchLabels: {app: web}}
      template:
        metadata: {labels: {app: web}}
        spec:
          containers: [{name: app, image: registry.example.com/app:v1}]
  - apiVersion: apps/v1
    kind: DaemonSet
    metadata: {name: agent}
    spec:
      selector: {matchLabels: {app: agent}}
      template:
        metadata: {labels: {app: agent}}
        spec:
          containers: [{name: a, image: registry.example.com/app:v1}]
timeline:
  - {at: 1m, setImage: {workload: deploy/web, container: app, image: registry.example.com/app:missing}}
  - {at: 3m, rolloutRestart: ds/agent}
  - at: 4m
    apply:
      apiVersion: apps/v1
      kind: StatefulSet
      metadata: {name: db}
      spec:
        replicas: 2
        serviceName: db
        selector: {matchLabels: {app: db}}
        template:
          metadata: {labels: {app: db}}
          spec:
            containers: [{name: db, image: registry.example.com/app:v1}]
  - {at: 5m, setImage: {workload: sts/db, container: db, image: registry.example.com/app:v2}}
run: {for: 10m}
";

/// Runs [`WORLD`] with these expectations.
fn outcome(expect: &str) -> pullsim_scenario::run::Outcome {
    let text = format!("{WORLD}expect:\n{expect}");
    let scenario = Scenario::parse("rollouts.yaml", &text).expect("a valid scenario");
    run(&scenario, &RunOptions::default())
}

#[test]
fn a_rollout_to_a_missing_tag_stalls_where_the_controller_stops_and_others_complete() {
    let run = outcome(
        r"
  - {workload: deployment/web, revisions: {1: 8, 2: 5}}
  - {workload: deployment/web, rollout: {complete: false, maxSurge: 3, maxUnavailable: 2, condition: ProgressDeadlineExceeded}}
  - {workload: daemonset/agent, rollout: {complete: true, rollouts: 1, within: 1m}}
  - {workload: sts/db, revisions: {2: 2}}
  - {workload: sts/db, rollout: {complete: true}}
",
    );
    assert!(run.passed(), "{}", run.text());
    let text = run.text();
    for line in [
        "rollouts\n  deployment/web: error: deployment \"web\" exceeded its progress deadline\n",
        "  daemonset/agent: daemon set \"agent\" successfully rolled out\n",
        "  statefulset/db: partitioned roll out complete: 2 new pods have been updated...\n",
        "    conditions Available=True (MinimumReplicasAvailable), Progressing=False (ProgressDeadlineExceeded)\n",
    ] {
        assert!(text.contains(line), "{line}\nnot in\n{text}");
    }
}

#[test]
fn rollout_expectations_that_do_not_hold_fail() {
    let run = outcome(
        r"
  - {workload: deployment/web, rollout: {complete: true}}
  - {workload: deployment/web, revisions: {2: 10}}
  - {workload: daemonset/agent, rollout: {rollouts: 0}}
",
    );
    let failed: Vec<bool> = run.verdicts().iter().map(|v| v.passed).collect();
    assert_eq!(failed, [false, false, false], "{}", run.text());
}

#[test]
fn a_run_is_the_same_twice() {
    let expect = "  - {workload: deployment/web, rollout: {complete: false}}\n";
    assert_eq!(outcome(expect).text(), outcome(expect).text());
}
