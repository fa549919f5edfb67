//! Requests to the upstream and what the proxy reads from its replies.

use base64::Engine;

use super::config::{PROXY_CLIENT, ProxyConfig, Ticket, UpstreamRequest};
use crate::protocol::{Method, Request, Response};

/// `host[:port]` of an absolute URL, and the URL's path and query (`/` when it has none).
pub(crate) fn split_url(url: &str) -> (String, String) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(slash) => (rest[..slash].to_owned(), rest[slash..].to_owned()),
        None => (rest.to_owned(), "/".to_owned()),
    }
}

/// An upstream request for `url` (absolute), with `Host`, and `accept` and `authorization`
/// when given.
pub(crate) fn request(
    ticket: Ticket,
    method: Method,
    url: String,
    accept: &[&str],
    authorization: Option<&str>,
) -> UpstreamRequest {
    let (host, target) = split_url(&url);
    let mut request = Request::new(method, target, PROXY_CLIENT);
    request.headers.append("Host", host.clone());
    for value in accept {
        request.headers.append("Accept", *value);
    }
    if let Some(value) = authorization {
        request.headers.append("Authorization", value);
    }
    UpstreamRequest {
        ticket,
        url,
        host,
        request,
    }
}

/// The URL of `path` (`/v2/...`) on the upstream.
pub(crate) fn url(config: &ProxyConfig, path: &str) -> String {
    format!("{}{path}", config.upstream.trim_end_matches('/'))
}

/// `Basic <base64(user:password)>` when the proxy has credentials.
pub(crate) fn basic(config: &ProxyConfig) -> Option<String> {
    let user = config.username.as_deref()?;
    let password = config.password.as_deref().unwrap_or("");
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    Some(format!("Basic {encoded}"))
}

/// What a 401's `WWW-Authenticate` asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// Send Basic credentials.
    Basic,
    /// Get a token from this URL (realm with `service` and `scope` in the query).
    Bearer(String),
}

/// Reads the challenge of a 401; `scope` is used when the challenge names none.
pub(crate) fn challenge(response: &Response, scope: &str) -> Option<Challenge> {
    let value = response.headers.get("www-authenticate")?.trim();
    let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let param = |name: &str| {
        params.split(',').find_map(|part| {
            let (key, value) = part.trim().split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().trim_matches('"').to_owned())
        })
    };
    let realm = param("realm")?;
    let mut query = Vec::new();
    if let Some(service) = param("service") {
        query.push(format!("service={service}"));
    }
    query.push(format!(
        "scope={}",
        param("scope").unwrap_or_else(|| scope.to_owned())
    ));
    let join = if realm.contains('?') { '&' } else { '?' };
    Some(Challenge::Bearer(format!(
        "{realm}{join}{}",
        query.join("&")
    )))
}

/// The token in a token endpoint's JSON answer: `access_token` wins over `token`, as both
/// distribution's client (`auth/session.go` canonicalises `access_token` into `token`) and
/// containerd's (`auth/fetch.go`) read it. The simulator's resolver reads tokens with this too.
pub fn token_from_body(body: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    value
        .get("access_token")
        .or_else(|| value.get("token"))
        .and_then(|token| token.as_str())
        .filter(|token| !token.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_token_wins_over_token_and_empty_is_none() {
        let both = br#"{"token": "t", "access_token": "a"}"#;
        assert_eq!(token_from_body(both).as_deref(), Some("a"));
        assert_eq!(token_from_body(br#"{"token": "t"}"#).as_deref(), Some("t"));
        assert_eq!(token_from_body(br#"{"access_token": ""}"#), None);
        assert_eq!(token_from_body(b"not json"), None);
    }
}
