//! containerd's registry client (docs/semantics.md §7): requests with containerd's headers, the
//! per-request retry loop (`doWithRetries`: at most six responses; 401 goes to the
//! authorizer, 405 on a manifest `HEAD` turns into `GET`, 408 and 429 are retried at once),
//! the authorizer (Basic with the credential being tried, or the token flow against the
//! challenge's realm) and the error texts each failure produces.
//!
//! Every request goes to the registry core through `Registry::handle` at the virtual time
//! it arrives, half the link's round trip after it was sent.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pullsim_registry::{Method, Request, Response};

use crate::cri::PullCredential;
use crate::engine::{Event, Key};
use crate::memo::TargetShape;
use crate::sim::Sim;
use crate::trace::{HostId, NodeId, NodeOrAdmission, RequestKind, TraceEvent};

/// containerd's `Accept` for manifest requests.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*";

/// containerd's `User-Agent`.
pub(crate) const USER_AGENT: &str = "containerd/v2.0.0";

/// What a request is for, so its answer goes to the right step of the pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// `HEAD` (or `GET`) of the reference's manifest: resolution.
    Resolve,
    /// `GET` of a manifest or blob the pull needs.
    Fetch(crate::trace::DigestId),
    /// A token request; when it succeeds, the request it was made for is sent again.
    Token(Box<Pending>),
}

/// A request waiting to be sent again once a token is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) purpose: Purpose,
    pub(crate) method: Method,
    pub(crate) target: String,
    pub(crate) responses: u8,
    /// The host walk position of the request the token is for.
    pub(crate) hop: u8,
    /// The token request is the form-POST one (`false`: the GET fallback).
    pub(crate) posted: bool,
    /// The challenge's realm URL.
    pub(crate) realm: String,
    /// The challenge's service.
    pub(crate) service: String,
    /// The scopes asked for.
    pub(crate) scopes: Vec<String>,
}

/// One request in flight.
#[derive(Debug)]
pub(crate) struct Exchange {
    pub(crate) pull: Key,
    pub(crate) node: NodeId,
    pub(crate) host: HostId,
    /// The position of `host` in the pull's host walk (0 without a walk).
    pub(crate) hop: u8,
    pub(crate) purpose: Purpose,
    pub(crate) request: Request,
    /// The kind of the request's target, worked out once when it is sent.
    pub(crate) kind: RequestKind,
    /// Responses already received for this request (containerd retries while five or fewer).
    pub(crate) responses: u8,
    /// The previous response of this request was a 401.
    pub(crate) after_401: bool,
    /// The registry's answer, shared with the registry's memo of repeated reads.
    pub(crate) response: Option<Arc<Response>>,
    /// The host dropped the request's packets: the dial timed out.
    pub(crate) dropped: bool,
}

/// A runtime failure: containerd's text and the gRPC code the CRI returns it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimeError {
    pub(crate) code: GrpcCode,
    pub(crate) text: String,
}

/// The gRPC codes containerd's errors map to (`errgrpc.ToGRPC`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GrpcCode {
    /// `errdefs.ErrNotFound`.
    NotFound,
    /// `errdefs.ErrFailedPrecondition` (a digest mismatch).
    FailedPrecondition,
    /// Anything else; the kubelet's CRI client strips this wrapper.
    Unknown,
}

impl RuntimeError {
    pub(crate) fn unknown(text: String) -> RuntimeError {
        RuntimeError {
            code: GrpcCode::Unknown,
            text,
        }
    }

    /// The text the kubelet receives for a failed `PullImage` of `reference`: the CRI's
    /// `failed to pull and unpack image %q: %w`, in the gRPC status form unless the code
    /// is `Unknown`, which the kubelet's CRI client strips (docs/semantics.md §3.2).
    pub(crate) fn kubelet_text(&self, reference: &str) -> String {
        self.kubelet_text_quoted(&pullsim_model::go_text::quote(reference))
    }

    /// [`RuntimeError::kubelet_text`] with the reference already quoted (`%q`). Written
    /// piece by piece: a fleet in an outage fails a pull at every back-off.
    pub(crate) fn kubelet_text_quoted(&self, quoted_reference: &str) -> String {
        let prefix = match self.code {
            GrpcCode::Unknown => "",
            GrpcCode::NotFound => "rpc error: code = NotFound desc = ",
            GrpcCode::FailedPrecondition => "rpc error: code = FailedPrecondition desc = ",
        };
        concat(&[
            prefix,
            "failed to pull and unpack image ",
            quoted_reference,
            ": ",
            &self.text,
        ])
    }
}

/// Go's `http.StatusText`, for `resp.Status`.
pub(crate) fn status_line(status: u16) -> String {
    let text = match status {
        200 => "OK",
        206 => "Partial Content",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        416 => "Requested Range Not Satisfiable",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    };
    let mut line = status.to_string();
    line.reserve(1 + text.len());
    line.push(' ');
    line.push_str(text);
    line
}

/// The parts one after the other, in one allocation.
pub(crate) fn concat(parts: &[&str]) -> String {
    let mut text = String::with_capacity(parts.iter().map(|part| part.len()).sum());
    for part in parts {
        text.push_str(part);
    }
    text
}

/// The scheme containerd uses for a host: plain HTTP for loopback and `localhost`.
pub(crate) fn scheme_of(host: &str) -> &'static str {
    let name = host.rsplit_once(':').map_or(host, |(name, _)| name);
    if name == "localhost" || name.starts_with("127.") || host.starts_with("[::1]") {
        "http"
    } else {
        "https"
    }
}

/// containerd's host for a reference's domain (`docker.io` is `registry-1.docker.io`).
pub(crate) fn connect_host(domain: &str) -> &str {
    if domain == "docker.io" {
        "registry-1.docker.io"
    } else {
        domain
    }
}

/// `ErrUnexpectedStatus.Error()` (containerd 2.x, `core/remotes/errors`).
pub(crate) fn unexpected_status(method: &Method, url: &str, status: u16) -> String {
    concat(&[
        "unexpected status from ",
        method.as_str(),
        " request to ",
        url,
        ": ",
        &status_line(status),
    ])
}

/// Go's `url.Error` operation name for a method (`Head`, `Get`, `Post`).
pub(crate) fn go_op(method: &Method) -> String {
    let name = method.as_str();
    let mut out = name[..1].to_owned();
    out.push_str(&name[1..].to_ascii_lowercase());
    out
}

/// What the authorizer makes of a 401 (`AddResponses`).
pub(crate) enum AuthStep {
    /// Send the request again (with what the authorizer now holds).
    Retry,
    /// Fetch a token from the challenge's realm first.
    FetchToken {
        realm: String,
        service: String,
        scopes: Vec<String>,
    },
    /// `ErrInvalidAuthorization` (or a challenge that cannot work), with its text.
    Invalid(String),
    /// No scheme it supports: the 401 stands as the answer.
    NotImplemented,
}

/// One parsed `WWW-Authenticate` challenge.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Challenge {
    pub(crate) scheme: String,
    pub(crate) realm: Option<String>,
    pub(crate) service: Option<String>,
    pub(crate) scope: Option<String>,
    pub(crate) error: Option<String>,
}

/// Parses `Bearer realm="...",service="...",scope="...",error="..."` or `Basic realm="..."`.
pub(crate) fn parse_challenge(value: &str) -> Challenge {
    let (scheme, rest) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    let mut challenge = Challenge {
        scheme: scheme.to_ascii_lowercase(),
        ..Challenge::default()
    };
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let (value, after) = if let Some(quoted) = after.strip_prefix('"') {
            match quoted.split_once('"') {
                Some((value, after)) => (value, after),
                None => (quoted, ""),
            }
        } else {
            after.split_once(',').unwrap_or((after, ""))
        };
        let value = Some(value.to_owned());
        match key.as_str() {
            "realm" => challenge.realm = value,
            "service" => challenge.service = value,
            "scope" => challenge.scope = value,
            "error" => challenge.error = value,
            _ => {}
        }
        rest = after.trim_start_matches(',').trim();
    }
    challenge
}

/// `application/x-www-form-urlencoded` escaping (Go's `url.QueryEscape`).
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char);
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Splits `http://host/path?query` into the host and the request target.
pub(crate) fn split_url(url: &str) -> Option<(&str, &str)> {
    let rest = url.split_once("://")?.1;
    match rest.find('/') {
        Some(at) => Some((&rest[..at], &rest[at..])),
        None => Some((rest, "/")),
    }
}

/// Basic credentials as a header value.
pub(crate) fn basic_header(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    format!("Basic {encoded}")
}

/// The token request containerd makes for `scopes` (docs/semantics.md §7): with a credential, a
/// form `POST` (password grant); without one, or as the fallback after the POST was
/// refused, a `GET` with the scopes in the query (and Basic credentials when there are any).
pub(crate) fn token_request(
    realm_target: &str,
    service: &str,
    scopes: &[String],
    credential: Option<(&str, &str)>,
    post: bool,
    host_header: &str,
    client: &str,
) -> Request {
    let scope = scopes.join(" ");
    if post && let Some((username, password)) = credential {
        let mut request = Request::new(Method::Post, realm_target, client);
        let form = format!(
            "client_id=containerd-client&grant_type=password&password={}&scope={}&service={}&username={}",
            query_escape(password),
            query_escape(&scope),
            query_escape(service),
            query_escape(username)
        );
        request.headers.append("Host", host_header);
        request.headers.append_static("User-Agent", USER_AGENT);
        request.headers.append(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        request.body = Bytes::from(form);
        return request;
    }
    let mut query = String::new();
    for scope in scopes {
        query.push_str(&format!("scope={}&", query_escape(scope)));
    }
    query.push_str(&format!("service={}", query_escape(service)));
    let separator = if realm_target.contains('?') { '&' } else { '?' };
    let mut request = Request::new(
        Method::Get,
        format!("{realm_target}{separator}{query}"),
        client,
    );
    request.headers.append("Host", host_header);
    request.headers.append_static("User-Agent", USER_AGENT);
    if let Some((username, password)) = credential {
        request
            .headers
            .append("Authorization", basic_header(username, password));
    }
    request
}

/// The token in a token endpoint's JSON answer (`access_token` wins over `token`).
pub(crate) fn token_from(body: &[u8]) -> Option<String> {
    pullsim_registry::token_from_body(body)
}

/// The scopes of a token request: the request's own pull scope merged with the
/// challenge's, de-duplicated and sorted.
pub(crate) fn merged_scopes(repository: &str, challenge: &Challenge) -> Vec<String> {
    let mut scopes = vec![format!("repository:{repository}:pull")];
    if let Some(scope) = &challenge.scope {
        scopes.extend(
            scope
                .split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        );
    }
    scopes.sort();
    scopes.dedup();
    scopes
}

impl Sim {
    /// Sends a request from a node: it reaches the registry after half the link's round
    /// trip.
    pub(crate) fn send(&mut self, exchange: Exchange) {
        let latency = self.link_of(exchange.node, exchange.host).latency;
        let id = self.exchanges.insert(exchange);
        self.queue.push(self.now + latency / 2, Event::Arrive(id));
    }

    /// A request reaches its registry: the core answers (or the host is unreachable).
    pub(crate) fn arrive(&mut self, id: Key) {
        let now = self.now;
        let Some(exchange) = self.exchanges.get(id) else {
            return;
        };
        let (node, host) = (exchange.node, exchange.host);
        let host_state = &mut self.hosts[host.0 as usize];
        let reachable = !host_state
            .unreachable
            .iter()
            .any(|(from, until)| *from <= now && now < *until);
        let response = reachable.then(|| host_state.registry.handle_shared(&exchange.request, now));
        let dropped = !reachable
            && host_state
                .dropped
                .iter()
                .any(|(f, u)| *f <= now && now < *u);
        let mut delay = response
            .as_ref()
            .map_or(Duration::ZERO, |response| response.delivery.delay);
        if let Some(response) = &response {
            let body_bytes = response
                .delivery
                .declared_body
                .map_or(response.body.len() as u64, |d| d.size_bytes);
            let method = match exchange.request.method {
                Method::Head => "HEAD",
                Method::Post => "POST",
                _ => "GET",
            };
            let kind = exchange.kind;
            // Metrics need only the kind; the target is copied only when it is kept.
            let target = if self.keeps_exchanges() {
                exchange.request.target.clone()
            } else {
                String::new()
            };
            self.record(TraceEvent::Registry {
                host,
                client: NodeOrAdmission::Node(node),
                method,
                kind,
                target,
                status: response.status,
                body_bytes,
            });
        }
        let latency = self.link_of(node, host).latency;
        if dropped {
            // The answer is the dial's timeout, counted from the send (half a round trip ago).
            let timeout = self.dial_timeout_of(id);
            delay = timeout.saturating_sub(latency);
        }
        if let Some(exchange) = self.exchanges.get_mut(id) {
            exchange.response = response;
            exchange.dropped = dropped;
        }
        self.queue
            .push(now + latency / 2 + delay, Event::Respond(id));
    }

    /// The URL containerd prints for a request of an exchange.
    pub(crate) fn url_of(&self, host: HostId, target: &str) -> String {
        let name = connect_host(&self.hosts[host.0 as usize].name);
        concat(&[scheme_of(name), "://", name, target])
    }

    /// containerd's `dockerAuthorizer.AddResponses` for the 401 of pull `id`.
    pub(crate) fn authorize(&mut self, id: Key, response: &Response, after_401: bool) -> AuthStep {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return AuthStep::NotImplemented;
        };
        for value in response.headers.get_all("www-authenticate") {
            let challenge = parse_challenge(value);
            match challenge.scheme.as_str() {
                "bearer" => {
                    if let Some(error) = &challenge.error {
                        if after_401 {
                            pull.bearer = false;
                            return AuthStep::Invalid(format!(
                                "server message: {error}: authorization failed"
                            ));
                        }
                        pull.bearer = false;
                    }
                    if pull.bearer {
                        return AuthStep::Retry;
                    }
                    let Some(realm) = challenge.realm.clone() else {
                        return AuthStep::Invalid(
                            "no realm specified for token auth challenge".to_owned(),
                        );
                    };
                    return AuthStep::FetchToken {
                        realm,
                        service: challenge.service.clone().unwrap_or_default(),
                        scopes: merged_scopes(pull.target.repository(), &challenge),
                    };
                }
                "basic" => {
                    return match pull.credential.as_ref().and_then(PullCredential::get) {
                        Some((username, password))
                            if !username.is_empty() && !password.is_empty() =>
                        {
                            pull.auth = Some(basic_header(username, password));
                            AuthStep::Retry
                        }
                        _ => AuthStep::Invalid(
                            "authorization failed: no basic auth credentials".to_owned(),
                        ),
                    };
                }
                _ => {}
            }
        }
        AuthStep::NotImplemented
    }

    /// Asks the challenge's realm for a token, then sends `pending` again with it.
    pub(crate) fn fetch_token(&mut self, id: Key, pending: Pending) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        let client = self.nodes[node.0 as usize].name.clone();
        let Some((realm_host, realm_target)) = split_url(&pending.realm) else {
            let text = format!("failed to authorize: invalid realm {:?}", pending.realm);
            self.fail_request(id, &pending.purpose, text, false);
            return;
        };
        let Some(token_host) = self.hosts.iter().position(|h| h.name == realm_host) else {
            let prefix = if pull.credential.is_some() {
                "failed to fetch oauth token"
            } else {
                "failed to fetch anonymous token"
            };
            let text = format!(
                "failed to authorize: {prefix}: Get {}: dial tcp: lookup {}: no such host",
                pullsim_model::go_text::quote(&pending.realm),
                realm_host.split(':').next().unwrap_or(realm_host)
            );
            self.fail_request(id, &pending.purpose, text, false);
            return;
        };
        let request = token_request(
            realm_target,
            &pending.service,
            &pending.scopes,
            pull.credential.as_ref().and_then(PullCredential::get),
            pending.posted,
            realm_host,
            &client,
        );
        self.send(Exchange {
            pull: id,
            node,
            host: HostId(token_host as u16),
            hop: pending.hop,
            purpose: Purpose::Token(Box::new(pending)),
            kind: RequestKind::of_target(&request.target),
            request,
            responses: 0,
            after_401: false,
            response: None,
            dropped: false,
        });
    }

    /// The token endpoint answered.
    pub(crate) fn token_answered(
        &mut self,
        id: Key,
        pending: Pending,
        method: &Method,
        url: &str,
        response: &Response,
    ) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        let with_secret = pull.credential.is_some();
        if (200..300).contains(&response.status) {
            let Some(token) = token_from(&response.body) else {
                let text = "failed to authorize: authorization server did not include a token in the response".to_owned();
                self.fail_request(id, &pending.purpose, text, false);
                return;
            };
            pull.auth = Some(format!("Bearer {token}"));
            pull.bearer = true;
            let shape = TargetShape::of(&pending.target);
            self.send_for(
                id,
                pending.purpose,
                pending.method,
                (pending.target, shape),
                (pending.responses, true, pending.hop),
            );
            return;
        }
        let username = pull
            .credential
            .as_ref()
            .and_then(PullCredential::get)
            .is_some_and(|(u, _)| !u.is_empty());
        if pending.posted
            && (matches!(response.status, 400 | 401 | 404) || (response.status == 405 && username))
        {
            // Registries without the OAuth POST get the GET flow with Basic credentials.
            let retry = Pending {
                posted: false,
                ..pending
            };
            self.fetch_token(id, retry);
            return;
        }
        let prefix = if with_secret {
            "failed to fetch oauth token"
        } else {
            "failed to fetch anonymous token"
        };
        let text = format!(
            "failed to authorize: {prefix}: {}",
            unexpected_status(method, url, response.status)
        );
        self.fail_request(id, &pending.purpose, text, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts written piece by piece are containerd's and the CRI's formats.
    #[test]
    fn failure_texts_are_containerds() {
        assert_eq!(status_line(503), "503 Service Unavailable");
        assert_eq!(status_line(418), "418 ");
        assert_eq!(
            unexpected_status(&Method::Head, "https://r.example/v2/a/manifests/v1", 503),
            "unexpected status from HEAD request to https://r.example/v2/a/manifests/v1: 503 Service Unavailable"
        );
        let unknown = RuntimeError::unknown("boom".to_owned());
        assert_eq!(
            unknown.kubelet_text("r.example/a:v1"),
            "failed to pull and unpack image \"r.example/a:v1\": boom"
        );
        for (code, prefix) in [
            (GrpcCode::NotFound, "rpc error: code = NotFound desc = "),
            (
                GrpcCode::FailedPrecondition,
                "rpc error: code = FailedPrecondition desc = ",
            ),
        ] {
            let error = RuntimeError {
                code,
                text: "x".to_owned(),
            };
            assert_eq!(
                error.kubelet_text("a\tb"),
                format!("{prefix}failed to pull and unpack image \"a\\tb\": x")
            );
            assert_eq!(
                error.kubelet_text_quoted("\"q\""),
                format!("{prefix}failed to pull and unpack image \"q\": x")
            );
        }
        assert_eq!(concat(&[]), "");
        assert_eq!(concat(&["a", "", "bc"]), "abc");
    }
}
