//! The Docker token flow as a table: challenges with scope, the token endpoint by `GET`
//! (Basic optional) and `POST` (password grant), scope checks, expiry.

mod common;

use common::{basic, check, req};
use pullsim_model::SimTime;
use pullsim_registry::{AuthMode, Method, Registry, RegistryConfig, Request, TokenKey};

fn token_registry() -> Registry {
    Registry::with_demo_catalog(RegistryConfig {
        auth: AuthMode::Token,
        epoch_unix_seconds: 1_795_747_200,
        ..RegistryConfig::default()
    })
}

/// Fetches a token with `GET /token`, as containers/image does.
fn token(registry: &mut Registry, scope: &str, credentials: Option<(&str, &str)>) -> String {
    let mut request = Request::new(
        Method::Get,
        format!("/token?service=pullsim&scope={scope}"),
        "t",
    );
    if let Some((user, password)) = credentials {
        request
            .headers
            .append("Authorization", basic(user, password));
    }
    let response = registry.handle(&request, SimTime::EPOCH);
    assert_eq!(
        response.status,
        200,
        "{}",
        String::from_utf8_lossy(&response.body)
    );
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["token"], body["access_token"]);
    assert_eq!(body["expires_in"], 300);
    assert_eq!(body["issued_at"], "2026-11-27T02:40:00Z");
    body["token"].as_str().unwrap().to_owned()
}

#[test]
fn challenges_name_realm_service_and_scope() {
    let mut registry = token_registry();
    check(
        &mut registry,
        vec![
            req("GET", "/v2/")
                .header("Host", "127.0.0.1:5000")
                .expect(401)
                .code("UNAUTHORIZED")
                .has(
                    "WWW-Authenticate",
                    "Bearer realm=\"http://127.0.0.1:5000/token\",service=\"pullsim\"",
                ),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Host", "127.0.0.1:5000")
                .accept_all()
                .expect(401)
                .has(
                    "WWW-Authenticate",
                    "Bearer realm=\"http://127.0.0.1:5000/token\",service=\"pullsim\",scope=\"repository:private/app:pull\"",
                ),
            req("POST", "/v2/private/app/blobs/uploads/")
                .header("Host", "h")
                .expect(401)
                .has(
                    "WWW-Authenticate",
                    "Bearer realm=\"http://h/token\",service=\"pullsim\",scope=\"repository:private/app:pull,push\"",
                ),
            req("GET", "/v2/").auth("alice", "wonderland").expect(401),
            req("GET", "/v2/demo/hello/manifests/v1").accept_all().expect(200),
            req("GET", "/v2/private/app/manifests/v1")
                .accept_all()
                .auth("alice", "wonderland")
                .expect(401),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", "Bearer forged")
                .header("Host", "h")
                .accept_all()
                .expect(401)
                .has(
                    "WWW-Authenticate",
                    "Bearer realm=\"http://h/token\",service=\"pullsim\",scope=\"repository:private/app:pull\",error=\"invalid_token\"",
                ),
        ],
    );
}

#[test]
fn tokens_grant_only_what_the_identity_may() {
    let mut registry = token_registry();
    let alice = token(
        &mut registry,
        "repository:private/app:pull",
        Some(("alice", "wonderland")),
    );
    let anonymous = token(&mut registry, "repository:private/app:pull", None);
    let alice_b = token(
        &mut registry,
        "repository:tenant-b/app:pull",
        Some(("alice", "wonderland")),
    );
    let public = token(&mut registry, "repository:demo/hello:pull", None);
    let bearer = |t: &str| format!("Bearer {t}");
    check(
        &mut registry,
        vec![
            req("GET", "/v2/").header("Authorization", bearer(&alice)).expect(200),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", bearer(&alice))
                .accept_all()
                .expect(200),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", bearer(&anonymous))
                .header("Host", "h")
                .accept_all()
                .expect(401)
                .has(
                    "WWW-Authenticate",
                    "Bearer realm=\"http://h/token\",service=\"pullsim\",scope=\"repository:private/app:pull\",error=\"insufficient_scope\"",
                ),
            req("GET", "/v2/tenant-b/app/manifests/v1")
                .header("Authorization", bearer(&alice_b))
                .accept_all()
                .expect(401)
                .code("UNAUTHORIZED"),
            req("GET", "/v2/demo/hello/manifests/v1")
                .header("Authorization", bearer(&public))
                .accept_all()
                .expect(200),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", bearer(&alice))
                .accept_all()
                .at_secs(301)
                .expect(401),
            req("GET", "/token?scope=repository:private/app:pull")
                .auth("alice", "wrong")
                .expect(401)
                .has("WWW-Authenticate", "Basic realm=\"pullsim\""),
        ],
    );
    let log = registry.log_since(0);
    let last_pull = &log[log.len() - 6];
    assert_eq!(last_pull.auth_scheme.as_deref(), Some("bearer"));
    assert_eq!(last_pull.auth_user.as_deref(), Some("alice"));
}

#[test]
fn post_token_takes_containerd_password_grants() {
    let mut registry = token_registry();
    let form = "grant_type=password&username=alice&password=wonderland&scope=repository%3Aprivate%2Fapp%3Apull&service=pullsim&client_id=containerd-client";
    let responses = check(
        &mut registry,
        vec![
            req("POST", "/token")
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form)
                .expect(200)
                .contains("\"access_token\""),
            req("POST", "/token")
                .body("grant_type=password&username=alice&password=nope&scope=x")
                .expect(401),
            req("POST", "/token")
                .body("grant_type=refresh_token&refresh_token=x")
                .expect(400)
                .contains("unsupported_grant_type"),
        ],
    );
    let body: serde_json::Value = serde_json::from_slice(&responses[0].body).unwrap();
    let token = body["access_token"].as_str().unwrap();
    check(
        &mut registry,
        vec![
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", format!("Bearer {token}"))
                .accept_all()
                .expect(200),
        ],
    );
}

/// The forgery of issue 12: tokens used to be `pullsim-<n>-<first 32 hex of the SHA-256
/// of "<n>|<user>|<scope>|">`, so anyone who saw one token could compute alice's.
fn old_formula(serial: u64, user: &str, scope: &str) -> String {
    let material = format!("{serial}|Some({user:?})|{scope}|");
    let hash = pullsim_model::Digest::sha256_of(material.as_bytes());
    format!("pullsim-{serial}-{}", &hash.encoded()[..32])
}

#[test]
fn tokens_cannot_be_computed_from_the_claims() {
    let mut registry = token_registry();
    let alice = token(
        &mut registry,
        "repository:private/app:pull",
        Some(("alice", "wonderland")),
    );
    let anonymous = token(&mut registry, "repository:private/app:pull", None);
    // The issue count shows, as it did; it no longer helps.
    assert!(anonymous.starts_with("pullsim-2-"), "{anonymous}");
    let forged = old_formula(1, "alice", "private/app:pull");
    assert_ne!(forged, alice);
    check(
        &mut registry,
        vec![
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", format!("Bearer {forged}"))
                .accept_all()
                .expect(401),
            req("GET", "/v2/private/app/manifests/v1")
                .header("Authorization", format!("Bearer {alice}"))
                .accept_all()
                .expect(200),
        ],
    );
}

#[test]
fn a_token_validates_only_under_the_key_that_signed_it() {
    let keyed = |seed| {
        let mut registry = token_registry();
        registry.set_token_key(TokenKey::derive(seed, "registry.example.com"));
        registry
    };
    let (mut a, mut b) = (keyed(1), keyed(2));
    let scope = "repository:private/app:pull";
    let from_a = token(&mut a, scope, Some(("alice", "wonderland")));
    let from_b = token(&mut b, scope, Some(("alice", "wonderland")));
    assert_ne!(from_a, from_b, "two keys, the same first grant");
    let pull = |token: &str| {
        req("GET", "/v2/private/app/manifests/v1")
            .header("Authorization", format!("Bearer {token}"))
            .accept_all()
    };
    check(
        &mut b,
        vec![pull(&from_a).expect(401), pull(&from_b).expect(200)],
    );
    // The same seed and host give the same tokens: the simulator's runs repeat.
    let mut again = keyed(1);
    assert_eq!(
        token(&mut again, scope, Some(("alice", "wonderland"))),
        from_a
    );
    // A new key forgets the tokens signed with the old one.
    a.set_token_key(TokenKey::derive(3, "registry.example.com"));
    check(&mut a, vec![pull(&from_a).expect(401)]);
}
