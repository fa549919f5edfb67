//! Docker Hub's pull rate limit as a registry rule (docs/rate-limits.md).
//!
//! What counts: a manifest `GET` answered 200 with an image manifest (one pull per
//! platform; the index or manifest list `GET` before it is free, as Docker Hub's docs say
//! "a pull for a normal image makes one pull for a single manifest"). `HEAD` is free, blobs
//! are free, a manifest `GET` that is not answered 200 (404, 401) is free.
//! Over the limit every manifest `GET` gets 429 with Docker Hub's body; `HEAD` still
//! answers. Every manifest `GET` and `HEAD` carries `ratelimit-limit: N;w=S`,
//! `ratelimit-remaining: N;w=S` and `docker-ratelimit-source: <bucket>`.
//!
//! Buckets: an anonymous request is counted against its address (an IPv4 address, or the
//! /64 prefix of an IPv6 address; any other text, such as a simulated egress name, as
//! it is); an authenticated one against its user. Windows are fixed (Docker does not say
//! whether they are fixed or sliding; fixed is a choice): the first ends at
//! `first_reset`, then one every `window`; a bucket's count starts again at 0 in each.

use std::collections::BTreeMap;
// `core::net` is address arithmetic only (no sockets), so the pure crate may use it.
use core::net::Ipv6Addr;
use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::units::{duration_text, option_duration_text};
use serde::{Deserialize, Serialize};

use crate::api::errcode::{ApiError, ErrorCode};
use crate::api::media::{DOCKER_MANIFEST_LIST, OCI_INDEX};
use crate::api::protocol::{Method, Request, Response};
use crate::registry::Registry;

/// Docker Hub's window: 6 hours (`w=21600`).
pub const DOCKER_HUB_WINDOW: Duration = Duration::from_secs(21_600);
/// Docker Hub's anonymous limit per address per window.
pub const DOCKER_HUB_ANONYMOUS_LIMIT: u32 = 100;
/// Docker Hub's limit per Personal (free) user per window.
pub const DOCKER_HUB_USER_LIMIT: u32 = 200;

/// The 429 message to anonymous clients, 2025–2026 wording.
pub const ANONYMOUS_MESSAGE: &str = "You have reached your unauthenticated pull rate limit. https://www.docker.com/increase-rate-limit";
/// The 429 message before 2025, to anyone.
pub const CLASSIC_MESSAGE: &str = "You have reached your pull rate limit. You may increase the limit by authenticating and upgrading: https://www.docker.com/increase-rate-limit";
/// The token id the authenticated message names: Docker Hub prints the id of the
/// client's access token there; the simulator has none, so this fixed stand-in.
pub const TOKEN_ID: &str = "dckr_jti_pullsim";

/// Whose pulls share a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Per {
    /// Everyone per address, authenticated or not, against `limit`.
    Address,
    /// Authenticated users per user against `user_limit`; anonymous pulls are not limited.
    User,
    /// Docker Hub: anonymous per address against `limit`, authenticated per user
    /// against `user_limit`.
    #[default]
    Both,
}

/// Which 429 texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Message {
    /// 2025–2026: [`ANONYMOUS_MESSAGE`], or for a user `You have reached your pull rate
    /// limit as '<user>': <token id>. You may increase the limit by upgrading. ...`.
    #[default]
    Current,
    /// [`CLASSIC_MESSAGE`] to everyone.
    Classic,
}

/// A rate-limit rule, as a catalog's `rateLimit:` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RateLimit {
    /// Pulls per address per window (default 100).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Pulls per user per window (default 200).
    #[serde(default = "default_user_limit")]
    pub user_limit: u32,
    /// The window (default 6h).
    #[serde(default = "default_window", with = "duration_text")]
    pub window: Duration,
    /// Whose pulls share a bucket (default `both`).
    #[serde(default)]
    pub per: Per,
    /// Which 429 texts (default `current`).
    #[serde(default)]
    pub message: Message,
    /// When the first window ends (default: one `window` after the start), so a scenario
    /// can start part-way through one.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "option_duration_text"
    )]
    pub first_reset: Option<Duration>,
    /// Pulls already counted in the first window, by address.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub used: BTreeMap<String, u32>,
    /// Pulls already counted in the first window, by user.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub used_by_user: BTreeMap<String, u32>,
}

fn default_limit() -> u32 {
    DOCKER_HUB_ANONYMOUS_LIMIT
}
fn default_user_limit() -> u32 {
    DOCKER_HUB_USER_LIMIT
}
fn default_window() -> Duration {
    DOCKER_HUB_WINDOW
}

impl Default for RateLimit {
    /// Docker Hub's limits.
    fn default() -> RateLimit {
        RateLimit {
            limit: DOCKER_HUB_ANONYMOUS_LIMIT,
            user_limit: DOCKER_HUB_USER_LIMIT,
            window: DOCKER_HUB_WINDOW,
            per: Per::Both,
            message: Message::Current,
            first_reset: None,
            used: BTreeMap::new(),
            used_by_user: BTreeMap::new(),
        }
    }
}

/// A bucket's key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bucket {
    Address(String),
    User(String),
}

/// A rule with its counts.
#[derive(Debug, Clone)]
pub(crate) struct RateLimiter {
    rule: RateLimit,
    /// The window the counts belong to (0 = the first).
    window_index: u64,
    counts: BTreeMap<Bucket, u32>,
}

/// The bucket name of an address: an IPv6 address's /64 prefix, anything else as it is.
pub fn address_bucket(address: &str) -> String {
    match address.parse::<Ipv6Addr>() {
        Ok(ip) => {
            let prefix = u128::from(ip) & !((1u128 << 64) - 1);
            Ipv6Addr::from(prefix).to_string()
        }
        Err(_) => address.to_owned(),
    }
}

impl RateLimiter {
    pub(crate) fn new(rule: RateLimit) -> RateLimiter {
        let mut counts = BTreeMap::new();
        for (address, used) in &rule.used {
            counts.insert(Bucket::Address(address_bucket(address)), *used);
        }
        for (user, used) in &rule.used_by_user {
            counts.insert(Bucket::User(user.clone()), *used);
        }
        RateLimiter {
            rule,
            window_index: 0,
            counts,
        }
    }

    /// The rule.
    pub(crate) fn rule(&self) -> &RateLimit {
        &self.rule
    }

    fn window_of(&self, now: SimTime) -> u64 {
        let window = self.rule.window.max(Duration::from_nanos(1));
        let first = self.rule.first_reset.unwrap_or(window);
        let now = now.since_epoch();
        if now < first {
            0
        } else {
            1 + ((now - first).as_nanos() / window.as_nanos()) as u64
        }
    }

    /// The bucket of a request and its limit, `None` when it is not limited.
    fn bucket(&self, request: &Request, user: Option<&str>) -> Option<(Bucket, u32)> {
        let address = || {
            let address = request.address.as_deref().unwrap_or(&request.client);
            Bucket::Address(address_bucket(address))
        };
        match (self.rule.per, user) {
            (Per::Address, _) | (Per::Both, None) => Some((address(), self.rule.limit)),
            (Per::User | Per::Both, Some(user)) => {
                Some((Bucket::User(user.to_owned()), self.rule.user_limit))
            }
            (Per::User, None) => None,
        }
    }

    /// Answers a manifest `GET`/`HEAD` for a caller (`user` when authenticated): 429 over
    /// the limit, otherwise `serve`'s answer, charged when it is a pull; with the headers.
    pub(crate) fn guard(
        &mut self,
        request: &Request,
        user: Option<&str>,
        now: SimTime,
        serve: impl FnOnce() -> Response,
    ) -> Response {
        let window = self.window_of(now);
        if window != self.window_index {
            self.window_index = window;
            self.counts.clear();
        }
        let Some((bucket, limit)) = self.bucket(request, user) else {
            return serve();
        };
        let used = self.counts.get(&bucket).copied().unwrap_or(0);
        let mut response = if request.method == Method::Get && used >= limit {
            self.over_limit(user)
        } else {
            let response = serve();
            if request.method == Method::Get && response.status == 200 && !is_index(&response) {
                *self.counts.entry(bucket.clone()).or_insert(0) += 1;
            }
            response
        };
        let used = self.counts.get(&bucket).copied().unwrap_or(0);
        let seconds = self.rule.window.as_secs();
        let source = match bucket {
            Bucket::Address(address) | Bucket::User(address) => address,
        };
        let headers = &mut response.headers;
        headers.append("ratelimit-limit", format!("{limit};w={seconds}"));
        headers.append(
            "ratelimit-remaining",
            format!("{};w={seconds}", limit.saturating_sub(used)),
        );
        headers.append("docker-ratelimit-source", source);
        response
    }

    fn over_limit(&self, user: Option<&str>) -> Response {
        let message = match (self.rule.message, user) {
            (Message::Classic, _) => CLASSIC_MESSAGE.to_owned(),
            (Message::Current, None) => ANONYMOUS_MESSAGE.to_owned(),
            (Message::Current, Some(user)) => user_message(user),
        };
        ApiError::new(ErrorCode::TooManyRequests)
            .message(message)
            .into_response()
    }
}

impl Registry {
    /// A manifest `GET`/`HEAD` through the rate limit when there is one.
    pub(crate) fn limited_manifest(
        &mut self,
        name: &str,
        reference: &str,
        request: &Request,
        user: Option<&str>,
        now: SimTime,
    ) -> Response {
        let Some(mut limit) = self.rate_limit.take() else {
            return self.get_manifest(name, reference, request);
        };
        let response = limit.guard(request, user, now, || {
            self.get_manifest(name, reference, request)
        });
        self.rate_limit = Some(limit);
        response
    }
}

/// Docker Hub's 2025–2026 429 message to an authenticated user.
pub fn user_message(user: &str) -> String {
    format!(
        "You have reached your pull rate limit as '{user}': {TOKEN_ID}. You may increase the limit by upgrading. https://www.docker.com/increase-rate-limit"
    )
}

fn is_index(response: &Response) -> bool {
    matches!(
        response.headers.get("content-type"),
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST)
    )
}

#[cfg(test)]
mod tests {
    use super::address_bucket;

    #[test]
    fn ipv6_addresses_share_their_64_prefix_and_others_stay_as_they_are() {
        assert_eq!(
            address_bucket("2001:41d0:801:2000::5"),
            "2001:41d0:801:2000::"
        );
        assert_eq!(
            address_bucket("2001:41d0:801:2000:ffff:1:2:3"),
            "2001:41d0:801:2000::"
        );
        assert_eq!(address_bucket("192.0.2.1"), "192.0.2.1");
        assert_eq!(address_bucket("nat-a"), "nat-a");
    }
}
