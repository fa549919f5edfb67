//! The simulator keys each registry's tokens from its seed and host: the same scenario and
//! seed hand out the same tokens on every run, other seeds and other hosts other ones.

mod common;

use common::{HOST, registry};
use pullsim_model::SimTime;
use pullsim_registry::{AuthMode, Method, RegistryConfig, Request};
use pullsim_sim::{Sim, SimConfig};

/// The token alice gets for `private/app` from `host` in a simulation with `seed`.
fn alice_token(seed: u64, host: &str) -> String {
    let mut sim = Sim::new(SimConfig {
        seed,
        ..SimConfig::default()
    });
    let config = RegistryConfig {
        auth: AuthMode::Token,
        ..RegistryConfig::default()
    };
    sim.add_registry(host, registry(config)).unwrap();
    let mut request = Request::new(
        Method::Get,
        "/token?service=pullsim&scope=repository:private/app:pull",
        "node-1",
    );
    // alice:wonderland
    request
        .headers
        .append("Authorization", "Basic YWxpY2U6d29uZGVybGFuZA==");
    let response = sim
        .registry_mut(host)
        .unwrap()
        .handle(&request, SimTime::EPOCH);
    assert_eq!(response.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&response.body).unwrap();
    body["token"].as_str().unwrap().to_owned()
}

#[test]
fn tokens_repeat_with_the_seed_and_differ_without_it() {
    let token = alice_token(7, HOST);
    assert_eq!(alice_token(7, HOST), token, "same seed, same host");
    assert_ne!(alice_token(8, HOST), token, "another seed");
    assert_ne!(alice_token(7, "mirror.example.com"), token, "another host");
}
