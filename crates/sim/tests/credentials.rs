//! Credentials through whole pulls (docs/semantics.md §3.3, 4.1, 4.3, 7): the keyring's order is
//! the order the kubelet tries credentials, each a full containerd pull answering the
//! registry's challenge (Basic, or the token flow), with no anonymous attempt after they
//! all fail.

mod common;

use common::*;
use pullsim_model::credentials::{CredentialSource, DockerConfigFormat, NodeConfigCandidate};
use pullsim_model::{PullPolicy, Secret, SimTime};
use pullsim_registry::{AccessRule, AuthMode, Catalog, ImageSpec, Registry, RegistryConfig};
use pullsim_sim::{AttemptOutcome, Sim, SimConfig, TraceEvent};

fn secret(name: &str, auths: &str) -> Secret {
    Secret::parse(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\ntype: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: '{{\"auths\": {auths}}}'\n"
    ))
    .expect("a valid secret")
}

/// `bar.example.com` holding `pong:v1`, readable by `ada` only; `grace` is a valid account
/// without access.
fn bar_registry(auth: AuthMode) -> Registry {
    let mut registry = Registry::new(RegistryConfig {
        auth,
        ..RegistryConfig::default()
    });
    let catalog = Catalog {
        images: vec![ImageSpec::new("pong", "v1")],
        accounts: [("ada", "lovelace"), ("grace", "hopper")]
            .into_iter()
            .map(|(u, p)| (u.to_owned(), p.to_owned()))
            .collect(),
        access: vec![AccessRule {
            repository: "pong".to_owned(),
            read: vec!["ada".to_owned()],
            write: Vec::new(),
        }],
        faults: Vec::new(),
        rate_limit: None,
    };
    registry.load(&catalog, SimTime::EPOCH).unwrap();
    registry
}

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

fn world(auth: AuthMode, secrets: Vec<Secret>, node_config: Option<&str>) -> Sim {
    let mut sim = Sim::new(SimConfig::default());
    sim.add_registry("bar.example.com", bar_registry(auth))
        .unwrap();
    let mut pool = pool("node", 1);
    if let Some(config) = node_config {
        pool.node_config_files = vec![NodeConfigCandidate {
            path: "/var/lib/kubelet/config.json".to_owned(),
            format: DockerConfigFormat::ConfigJson,
            contents: Some(config.as_bytes().to_vec()),
        }];
    }
    sim.add_node_pool(pool).unwrap();
    let names: Vec<String> = secrets.iter().map(|s| s.name.clone()).collect();
    for secret in secrets {
        sim.add_secret(secret);
    }
    let mut pod = pod(
        "web",
        "bar.example.com/pong:v1",
        Some(PullPolicy::IfNotPresent),
    );
    pod.spec.image_pull_secrets = names;
    sim.create_pod(SimTime::EPOCH, pod);
    sim.run_until(SimTime::from_secs(5)).unwrap();
    sim
}

/// Upstream's `TestDockerKeyringLookup`: one config with `bar.example.com/pong` (grace) and
/// `bar.example.com` (ada); `bar.example.com/pong` looks up [grace, ada]. The kubelet
/// tries grace (the registry refuses her, 403) and then ada, who pulls.
#[test]
fn keyring_order_of_section_4_3_is_the_order_tried() {
    let both = secret(
        "regcred",
        r#"{"bar.example.com/pong": {"username": "grace", "password": "hopper"}, "bar.example.com": {"username": "ada", "password": "lovelace"}}"#,
    );
    for auth in [AuthMode::Basic, AuthMode::Token] {
        let sim = world(auth, vec![both.clone()], None);
        assert_eq!(
            attempts(&sim),
            [
                ("pod-secret[0]".to_owned(), "grace".to_owned(), false),
                ("pod-secret[0]".to_owned(), "ada".to_owned(), true),
            ],
            "{auth:?}"
        );
        let pod = sim.pod_id("default", "web").unwrap();
        assert!(running(&sim, pod), "{auth:?}");
    }
}

/// Pod secrets come before the node's config file (docs/semantics.md §4.1); with every
/// credential failing there is no anonymous attempt and the errors are aggregated.
#[test]
fn pod_secrets_then_node_config_and_no_anonymous_fallback() {
    let wrong = secret(
        "wrong",
        r#"{"bar.example.com": {"username": "ada", "password": "nope"}}"#,
    );
    let node = r#"{"auths": {"bar.example.com": {"username": "ada", "password": "lovelace"}}}"#;
    let sim = world(AuthMode::Basic, vec![wrong.clone()], Some(node));
    assert_eq!(
        attempts(&sim),
        [
            ("pod-secret[0]".to_owned(), "ada".to_owned(), false),
            ("node-config[0]".to_owned(), "ada".to_owned(), true),
        ]
    );

    let grace = secret(
        "grace",
        r#"{"bar.example.com": {"username": "grace", "password": "hopper"}}"#,
    );
    let sim = world(AuthMode::Basic, vec![wrong, grace], None);
    assert_eq!(
        attempts(&sim),
        [
            ("pod-secret[0]".to_owned(), "ada".to_owned(), false),
            ("pod-secret[1]".to_owned(), "grace".to_owned(), false),
        ]
    );
    let pod = sim.pod_id("default", "web").unwrap();
    let failed = events(&sim, pod)
        .into_iter()
        .find(|(_, reason, message)| reason == "Failed" && message.starts_with("Failed to pull"))
        .map(|(_, _, message)| message)
        .unwrap();
    assert_eq!(
        failed,
        "Failed to pull image \"bar.example.com/pong:v1\": [failed to pull and unpack image \"bar.example.com/pong:v1\": failed to resolve reference \"bar.example.com/pong:v1\": unexpected status from HEAD request to https://bar.example.com/v2/pong/manifests/v1: 401 Unauthorized, failed to pull and unpack image \"bar.example.com/pong:v1\": failed to resolve reference \"bar.example.com/pong:v1\": unexpected status from HEAD request to https://bar.example.com/v2/pong/manifests/v1: 403 Forbidden]"
    );
}

/// Without credentials: Basic answers `no basic auth credentials`; the token flow gets an
/// anonymous token without the scope and `insufficient_scope`, as in the real event dump of
/// docs/semantics.md §3.2.
#[test]
fn anonymous_pulls_of_private_images_fail_with_containerds_words() {
    let sim = world(AuthMode::Basic, Vec::new(), None);
    let pod = sim.pod_id("default", "web").unwrap();
    let failed = |sim: &Sim| {
        events(sim, pod)
            .into_iter()
            .find(|(_, reason, message)| {
                reason == "Failed" && message.starts_with("Failed to pull")
            })
            .map(|(_, _, message)| message)
    };
    assert_eq!(
        failed(&sim).as_deref(),
        Some(
            "Failed to pull image \"bar.example.com/pong:v1\": failed to pull and unpack image \"bar.example.com/pong:v1\": failed to resolve reference \"bar.example.com/pong:v1\": pull access denied, repository does not exist or may require authorization: authorization failed: no basic auth credentials"
        )
    );
    assert_eq!(
        attempts(&sim),
        [("anonymous".to_owned(), String::new(), false)]
    );

    let sim = world(AuthMode::Token, Vec::new(), None);
    assert_eq!(
        failed(&sim).as_deref(),
        Some(
            "Failed to pull image \"bar.example.com/pong:v1\": failed to pull and unpack image \"bar.example.com/pong:v1\": failed to resolve reference \"bar.example.com/pong:v1\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
        )
    );
    assert_eq!(
        requests(&sim),
        [
            "HEAD /v2/pong/manifests/v1 -> 401",
            "GET /token?scope=repository%3Apong%3Apull&service=pullsim -> 200",
            "HEAD /v2/pong/manifests/v1 -> 401",
        ]
    );
}

/// With the right credential in token mode: one challenge, a form POST for the token, then
/// every request carries it.
#[test]
fn token_flow_with_a_password_grant() {
    let ada = secret(
        "ada",
        r#"{"bar.example.com": {"username": "ada", "password": "lovelace"}}"#,
    );
    let sim = world(AuthMode::Token, vec![ada], None);
    let got = requests(&sim);
    assert_eq!(
        got[..4],
        [
            "HEAD /v2/pong/manifests/v1 -> 401".to_owned(),
            "POST /token -> 200".to_owned(),
            "HEAD /v2/pong/manifests/v1 -> 200".to_owned(),
            format!(
                "GET /v2/pong/manifests/{} -> 200",
                got[3]
                    .split('/')
                    .nth(4)
                    .unwrap_or("")
                    .split(' ')
                    .next()
                    .unwrap_or("")
            ),
        ]
    );
    assert!(
        got[4..]
            .iter()
            .all(|r| r.starts_with("GET /v2/pong/blobs/") && r.ends_with("200")),
        "{got:#?}"
    );
    let pod = sim.pod_id("default", "web").unwrap();
    assert!(running(&sim, pod));
}

/// A credential attempt names the Secret behind `pod-secret[i]` and the container whose
/// image it pulls, so a transcript can say `secret/grace` instead of an index, and an
/// expectation can pick one container's attempts.
#[test]
fn attempts_name_their_secret_and_container() {
    let wrong = secret(
        "wrong",
        r#"{"bar.example.com": {"username": "ada", "password": "nope"}}"#,
    );
    let right = secret(
        "right",
        r#"{"bar.example.com": {"username": "ada", "password": "lovelace"}}"#,
    );
    let sim = world(AuthMode::Basic, vec![wrong, right], None);
    let named: Vec<(String, u16, bool)> = sim
        .trace()
        .iter()
        .filter_map(|record| match &record.event {
            TraceEvent::CredentialAttempt {
                source: Some(CredentialSource::PodSecret { name, .. }),
                container,
                ..
            } => Some((name.clone(), container.index, container.init)),
            _ => None,
        })
        .collect();
    assert_eq!(
        named,
        [
            ("wrong".to_owned(), 0, false),
            ("right".to_owned(), 0, false)
        ]
    );
}
