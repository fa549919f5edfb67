//! An account whose password rotates: each period's password is accepted while it is
//! current (and the previous one within the grace), then refused with the 401 of a wrong
//! password, by `handle` and by `handle_shared` alike (the memo must not keep an answer
//! that the clock changes).

mod common;

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_registry::{Method, PasswordRotation, Registry, RegistryConfig, Request};

use common::{CONTAINERS_IMAGE_ACCEPT, basic};

fn head(password: &str) -> Request {
    let mut request = Request::new(Method::Head, "/v2/private/app/manifests/v1", "node-0");
    request
        .headers
        .append("Authorization", basic("alice", password));
    for accept in CONTAINERS_IMAGE_ACCEPT {
        request.headers.append("Accept", accept);
    }
    request
}

fn rotating() -> Registry {
    let mut registry = Registry::with_demo_catalog(RegistryConfig::default());
    registry.set_request_log(false);
    let rotation = PasswordRotation {
        every: Duration::from_secs(12 * 3600),
        grace: Duration::from_secs(300),
    };
    assert!(registry.rotate_password("alice", rotation));
    assert!(!registry.rotate_password("nobody", rotation));
    registry
}

#[test]
fn the_old_password_gets_401_once_the_grace_is_over() {
    let mut registry = rotating();
    let first = registry
        .password_at("alice", SimTime::from_secs(0))
        .unwrap();
    assert_eq!(first, "wonderland-0");
    let rotated = SimTime::from_secs(12 * 3600);
    let second = registry.password_at("alice", rotated).unwrap();
    assert_eq!(second, "wonderland-1");
    let rows = [
        (0, "wonderland-0", 200),
        (0, "wonderland", 401),
        (12 * 3600 - 1, "wonderland-0", 200),
        (12 * 3600 + 299, "wonderland-0", 200),
        (12 * 3600 + 300, "wonderland-0", 401),
        (12 * 3600 + 300, "wonderland-1", 200),
    ];
    for shared in [false, true] {
        for (seconds, password, status) in rows {
            let now = SimTime::from_secs(seconds);
            let got = if shared {
                registry.handle_shared(&head(password), now).status
            } else {
                registry.handle(&head(password), now).status
            };
            assert_eq!(got, status, "{password} at {seconds}s (shared: {shared})");
        }
    }
}

#[test]
fn a_fixed_password_does_not_change() {
    let registry = Registry::with_demo_catalog(RegistryConfig::default());
    assert_eq!(
        registry.password_at("alice", SimTime::from_secs(86_400)),
        Some("wonderland".to_owned())
    );
    assert_eq!(registry.password_at("carol", SimTime::from_secs(0)), None);
}
