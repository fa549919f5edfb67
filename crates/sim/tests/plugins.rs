//! Credential-provider plugins through whole pulls (docs/credential-providers.md): which
//! providers are asked, the per-node cache and its keys, expiry, one exec for concurrent
//! lookups, the exec timeout, a failing plugin that leaves the pull to the other sources,
//! and the place of plugin credentials in the order of attempts.

mod common;

use std::time::Duration;

use common::*;
use pullsim_model::credentials::provider::{CacheKeyType, parse_credential_provider_config};
use pullsim_model::{PullPolicy, Secret, SimTime};
use pullsim_registry::{PasswordRotation, RegistryConfig};
use pullsim_sim::{
    AttemptOutcome, CredentialPlugin, FailureMode, PluginAnswer, PluginFailure, PluginPassword,
    Sim, SimConfig, TraceEvent,
};

const CONFIG: &str = "apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: vault
    matchImages: [\"registry.example.com/private\"]
    defaultCacheDuration: 10m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
";

fn answer(key_type: CacheKeyType, cache: Option<Duration>) -> PluginAnswer {
    PluginAnswer {
        image: "registry.example.com".to_owned(),
        service_account: None,
        username: "alice".to_owned(),
        password: PluginPassword::Fixed("wonderland".to_owned()),
        cache_key_type: key_type,
        cache_duration: cache,
    }
}

fn plugin(latency: Duration, answers: Vec<PluginAnswer>) -> CredentialPlugin {
    CredentialPlugin {
        name: "vault".to_owned(),
        latency,
        answers,
        failures: Vec::new(),
    }
}

/// One node whose kubelet has the `vault` provider answered by `plugin`.
fn world(plugin: CredentialPlugin) -> Sim {
    let mut sim = Sim::new(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .unwrap();
    sim.add_credential_plugin(plugin);
    let mut pool = pool("node", 1);
    pool.kubelet.credential_providers = parse_credential_provider_config(CONFIG)
        .expect("a valid config")
        .providers;
    sim.add_node_pool(pool).unwrap();
    sim
}

fn create(sim: &mut Sim, at: u64, name: &str, image: &str) {
    sim.create_pod(
        SimTime::from_secs(at),
        pod(name, image, Some(PullPolicy::Always)),
    );
}

/// (execs started, cache hits, lookups that waited, failures).
fn calls(sim: &Sim) -> (usize, usize, usize, usize) {
    let count =
        |keep: fn(&TraceEvent) -> bool| sim.trace().iter().filter(|r| keep(&r.event)).count();
    (
        count(|e| matches!(e, TraceEvent::PluginExecStarted { .. })),
        count(|e| matches!(e, TraceEvent::PluginCacheHit { .. })),
        count(|e| matches!(e, TraceEvent::PluginExecJoined { .. })),
        count(|e| matches!(e, TraceEvent::PluginFailed { .. })),
    )
}

/// Each attempt: its source (`plugin[vault]`, `pod-secret[0]`, `anonymous`), user, pulled.
fn attempts(sim: &Sim) -> Vec<(String, String, bool)> {
    sim.trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::CredentialAttempt {
                source,
                username,
                outcome,
                ..
            } => Some((
                source
                    .as_ref()
                    .map_or_else(|| "anonymous".to_owned(), ToString::to_string),
                username.clone(),
                *outcome == AttemptOutcome::Pulled,
            )),
            _ => None,
        })
        .collect()
}

fn is_running(sim: &Sim, name: &str) -> bool {
    running(sim, sim.pod_id("default", name).expect("the pod exists"))
}

#[test]
fn only_matching_images_ask_the_plugin_and_its_answer_pulls() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Image, None)],
    ));
    create(
        &mut sim,
        0,
        "private",
        "registry.example.com/private/app:v1",
    );
    create(&mut sim, 0, "public", "registry.example.com/app:v1");
    sim.run_until(SimTime::from_secs(30)).unwrap();
    assert_eq!(
        calls(&sim).0,
        1,
        "only the private image matches matchImages"
    );
    assert!(is_running(&sim, "private") && is_running(&sim, "public"));
    // The public pull goes first: the private one waits for the exec's end, even a
    // zero-latency one (a later event of the same instant).
    assert_eq!(
        attempts(&sim),
        [
            ("anonymous".to_owned(), String::new(), true),
            ("plugin[vault]".to_owned(), "alice".to_owned(), true),
        ]
    );
}

#[test]
fn a_cached_answer_avoids_the_exec_until_it_expires() {
    // No cacheDuration: the provider's defaultCacheDuration (10m) applies.
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Image, None)],
    ));
    let image = "registry.example.com/private/app:v1";
    create(&mut sim, 0, "a", image);
    create(&mut sim, 60, "b", image);
    create(&mut sim, 601, "c", image);
    sim.run_until(SimTime::from_secs(700)).unwrap();
    let (execs, hits, _, _) = calls(&sim);
    assert_eq!(
        (execs, hits),
        (2, 1),
        "b is answered from the cache, c after expiry is not"
    );
    assert!(is_running(&sim, "c"));
}

#[test]
fn a_registry_key_is_shared_across_repositories_an_image_key_is_not() {
    for (key_type, execs) in [(CacheKeyType::Registry, 1), (CacheKeyType::Image, 2)] {
        let mut sim = world(plugin(
            Duration::ZERO,
            vec![answer(key_type, Some(Duration::from_secs(3600)))],
        ));
        // `private/app` and `private/db` are two repositories of one registry; only the
        // first exists, which does not matter to the plugin.
        create(&mut sim, 0, "app", "registry.example.com/private/app:v1");
        create(&mut sim, 60, "db", "registry.example.com/private/db:v1");
        sim.run_until(SimTime::from_secs(120)).unwrap();
        assert_eq!(calls(&sim).0, execs, "{key_type:?}");
    }
}

#[test]
fn a_zero_cache_duration_is_never_cached() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Registry, Some(Duration::ZERO))],
    ));
    let image = "registry.example.com/private/app:v1";
    create(&mut sim, 0, "a", image);
    create(&mut sim, 60, "b", image);
    sim.run_until(SimTime::from_secs(120)).unwrap();
    assert_eq!(calls(&sim), (2, 0, 0, 0));
}

#[test]
fn concurrent_lookups_wait_for_one_exec_and_the_pull_waits_for_it() {
    let mut sim = world(plugin(
        Duration::from_secs(20),
        vec![answer(CacheKeyType::Image, None)],
    ));
    let image = "registry.example.com/private/app:v1";
    for name in ["a", "b", "c"] {
        create(&mut sim, 0, name, image);
    }
    sim.run_until(SimTime::from_secs(60)).unwrap();
    assert_eq!(calls(&sim), (1, 0, 2, 0));
    let queued: Vec<SimTime> = sim
        .trace()
        .iter()
        .filter(|r| matches!(r.event, TraceEvent::PullQueued { .. }))
        .map(|r| r.time)
        .collect();
    assert_eq!(
        queued,
        vec![SimTime::from_secs(20); 3],
        "every pull waits for the exec"
    );
    assert!(["a", "b", "c"].iter().all(|name| is_running(&sim, name)));
}

#[test]
fn a_hanging_plugin_is_killed_at_the_timeout_and_the_pull_goes_on_without_it() {
    let mut hanging = plugin(Duration::ZERO, vec![answer(CacheKeyType::Image, None)]);
    hanging.failures = vec![PluginFailure {
        from: SimTime::EPOCH,
        until: None,
        mode: FailureMode::Hang,
    }];
    let mut sim = world(hanging);
    create(&mut sim, 0, "a", "registry.example.com/private/app:v1");
    sim.run_until(SimTime::from_secs(100)).unwrap();
    let failed: Vec<(SimTime, String)> = sim
        .trace()
        .iter()
        .filter_map(|r| match &r.event {
            TraceEvent::PluginFailed { message, .. } => Some((r.time, message.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        failed.first(),
        Some(&(
            SimTime::from_secs(60),
            "Failed getting credential from external registry credential provider: error execing credential provider plugin vault for image registry.example.com/private/app: context deadline exceeded: ".to_owned()
        ))
    );
    // No credential: one anonymous attempt, refused (private/app needs alice).
    assert_eq!(
        attempts(&sim).first(),
        Some(&("anonymous".to_owned(), String::new(), false))
    );
}

#[test]
fn a_failing_plugin_falls_through_to_the_other_sources_in_order() {
    let mut failing = plugin(
        Duration::from_secs(1),
        vec![answer(CacheKeyType::Image, None)],
    );
    failing.failures = vec![PluginFailure {
        from: SimTime::EPOCH,
        until: None,
        mode: FailureMode::Exit,
    }];
    let mut sim = world(failing);
    sim.add_secret(
        Secret::parse(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: regcred\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry.example.com\": {\"username\": \"alice\", \"password\": \"wonderland\"}}}'\n",
        )
        .unwrap(),
    );
    let mut with_secret = pod("a", "registry.example.com/private/app:v1", None);
    with_secret.spec.image_pull_secrets = vec!["regcred".to_owned()];
    sim.create_pod(SimTime::EPOCH, with_secret);
    sim.run_until(SimTime::from_secs(30)).unwrap();
    assert_eq!(calls(&sim).3, 1, "the failure is logged");
    assert_eq!(
        attempts(&sim),
        [("pod-secret[0]".to_owned(), "alice".to_owned(), true)]
    );
}

#[test]
fn plugin_credentials_come_after_a_wrong_pod_secret() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Image, None)],
    ));
    sim.add_secret(
        Secret::parse(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: stale\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{\"auths\": {\"registry.example.com\": {\"username\": \"alice\", \"password\": \"old\"}}}'\n",
        )
        .unwrap(),
    );
    let mut with_secret = pod("a", "registry.example.com/private/app:v1", None);
    with_secret.spec.image_pull_secrets = vec!["stale".to_owned()];
    sim.create_pod(SimTime::EPOCH, with_secret);
    sim.run_until(SimTime::from_secs(30)).unwrap();
    assert_eq!(
        attempts(&sim),
        [
            ("pod-secret[0]".to_owned(), "alice".to_owned(), false),
            ("plugin[vault]".to_owned(), "alice".to_owned(), true),
        ]
    );
}

#[test]
fn a_cached_token_is_refused_once_the_registry_rotated_it() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![PluginAnswer {
            password: PluginPassword::CurrentOf {
                host: HOST.to_owned(),
            },
            ..answer(CacheKeyType::Registry, Some(Duration::from_secs(3600)))
        }],
    ));
    sim.registry_mut(HOST).unwrap().rotate_password(
        "alice",
        PasswordRotation {
            every: Duration::from_secs(1800),
            grace: Duration::ZERO,
        },
    );
    create(&mut sim, 0, "a", "registry.example.com/private/app:v1");
    create(&mut sim, 1900, "b", "registry.example.com/private/app:v1");
    sim.run_until(SimTime::from_secs(1950)).unwrap();
    assert!(is_running(&sim, "a"));
    assert!(
        !is_running(&sim, "b"),
        "the cached token of period 0 is refused in period 1"
    );
    assert_eq!(calls(&sim).0, 1, "b was answered from the cache");
}

#[test]
fn a_restarted_kubelet_forgets_its_cache() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Image, None)],
    ));
    let image = "registry.example.com/private/app:v1";
    create(&mut sim, 0, "a", image);
    sim.schedule(
        SimTime::from_secs(30),
        pullsim_sim::Action::RestartKubelet {
            node: "node-0".to_owned(),
            downtime: Duration::from_secs(5),
        },
    );
    create(&mut sim, 60, "b", image);
    sim.run_until(SimTime::from_secs(120)).unwrap();
    assert_eq!(calls(&sim).0, 2);
}

#[test]
fn timeline_outages_and_password_changes_take_effect_at_their_instant() {
    let mut sim = world(plugin(
        Duration::ZERO,
        vec![answer(CacheKeyType::Image, Some(Duration::ZERO))],
    ));
    sim.schedule(
        SimTime::from_secs(100),
        pullsim_sim::Action::PluginOutage {
            plugin: "vault".to_owned(),
            duration: Some(Duration::from_secs(100)),
            mode: FailureMode::Exit,
        },
    );
    sim.schedule(
        SimTime::from_secs(300),
        pullsim_sim::Action::SetPassword {
            host: HOST.to_owned(),
            user: "alice".to_owned(),
            password: "changed".to_owned(),
        },
    );
    let image = "registry.example.com/private/app:v1";
    for (at, name) in [
        (50, "before"),
        (150, "during"),
        (250, "after"),
        (350, "changed"),
    ] {
        create(&mut sim, at, name, image);
    }
    sim.run_until(SimTime::from_secs(199)).unwrap();
    assert!(is_running(&sim, "before"));
    assert!(
        !is_running(&sim, "during"),
        "no credentials during the outage"
    );
    sim.run_until(SimTime::from_secs(360)).unwrap();
    assert!(is_running(&sim, "after"));
    assert!(is_running(&sim, "during"), "a retry after the outage pulls");
    assert!(
        !is_running(&sim, "changed"),
        "the plugin's password is refused once the account's changed"
    );
    let failed_at: Vec<SimTime> = sim
        .trace()
        .iter()
        .filter(|r| matches!(r.event, TraceEvent::PluginFailed { .. }))
        .map(|r| r.time)
        .collect();
    assert!(
        failed_at
            .iter()
            .all(|&at| at >= SimTime::from_secs(100) && at < SimTime::from_secs(200))
    );
    assert!(!failed_at.is_empty());
}

/// KEP-2535 with a plugin in service-account-token mode: an image a service account's
/// credential pulled is verified for a later pod of the same service account (no pull),
/// not for a pod of another one, which pulls again with its own answer.
#[test]
fn an_image_pulled_for_a_service_account_is_verified_for_that_account_only() {
    let config = "apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: vault
    matchImages: [\"registry.example.com/private\"]
    defaultCacheDuration: 10m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
    tokenAttributes:
      serviceAccountTokenAudience: registry.example.com
      requireServiceAccount: true
      cacheType: ServiceAccount
";
    let mut sim = Sim::new(SimConfig {
        worker_jitter: example_jitter(),
        ..SimConfig::default()
    });
    sim.add_registry(HOST, registry(RegistryConfig::default()))
        .unwrap();
    sim.add_credential_plugin(plugin(
        Duration::ZERO,
        vec![PluginAnswer {
            service_account: Some(("default".to_owned(), None)),
            ..answer(CacheKeyType::Registry, None)
        }],
    ));
    let mut pool = pool("node", 1);
    pool.kubelet.ensure_secret_pulled_images = true;
    pool.kubelet.credential_providers = parse_credential_provider_config(config)
        .expect("a valid config")
        .providers;
    sim.add_node_pool(pool).unwrap();
    for name in ["builder", "other"] {
        sim.add_service_account(pullsim_sim::ServiceAccount {
            name: name.to_owned(),
            namespace: "default".to_owned(),
            image_pull_secrets: Vec::new(),
            annotations: Default::default(),
        });
    }
    let image = "registry.example.com/private/app:v1";
    for (at, name, account) in [
        (0, "a", "builder"),
        (60, "same", "builder"),
        (120, "other", "other"),
    ] {
        let mut pod = pod(name, image, Some(PullPolicy::IfNotPresent));
        pod.spec.service_account_name = Some(account.to_owned());
        sim.create_pod(SimTime::from_secs(at), pod);
    }
    sim.run_until(SimTime::from_secs(180)).unwrap();
    assert!(
        ["a", "same", "other"]
            .iter()
            .all(|name| is_running(&sim, name))
    );
    let queued = sim
        .trace()
        .iter()
        .filter(|r| matches!(r.event, TraceEvent::PullQueued { .. }))
        .count();
    assert_eq!(
        queued, 2,
        "the pod of the same service account needs no pull"
    );
    assert_eq!(
        attempts(&sim),
        [
            ("plugin[vault]".to_owned(), "alice".to_owned(), true),
            ("plugin[vault]".to_owned(), "alice".to_owned(), true),
        ]
    );
}
