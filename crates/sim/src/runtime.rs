//! The node's container runtime, modelled as containerd's CRI `PullImage` (SEMANTICS.md 6,
//! 7): resolve the reference with `HEAD` (a digest reference is resolved too, and then
//! needs no tag), fetch the root manifest, choose one child of an index with the node's
//! platform matcher, fetch its config and layers with at most
//! `max_concurrent_downloads` at once, skipping whatever the content store already holds
//! and waiting for blobs another pull on the node is already fetching, then record the
//! image under its tag and digest names.
//!
//! Every failure becomes containerd's text, wrapped as the CRI wraps it.

use std::collections::VecDeque;

use pullsim_model::verification::RuntimeImage;
use pullsim_model::{Digest, Reference, parse_docker_ref};
use pullsim_registry::{Method, Request, Response};

use crate::config::Link;
use crate::manifest::Manifest;
use crate::resolver::{
    Exchange, GrpcCode, MANIFEST_ACCEPT, Pending, Purpose, RuntimeError, USER_AGENT, basic_header,
    connect_host, go_op, merged_scopes, parse_challenge, split_url, token_from, token_request,
    unexpected_status,
};
use crate::sim::{Event, Key, Sim};
use crate::trace::{DigestId, HostId, NodeId};

/// An image in a node's CRI image store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ImageRecord {
    /// The image ID: its config's digest.
    pub(crate) image_id: DigestId,
    /// The top-level digest it was pulled (or loaded) by.
    pub(crate) digest: DigestId,
    /// The image manifest (the top-level digest itself, or the child chosen from an index).
    pub(crate) manifest: DigestId,
    /// Manifests, config and layers, in bytes (what `ImageStatus` reports).
    pub(crate) size_bytes: u64,
}

/// One CRI `PullImage` call in progress.
#[derive(Debug)]
pub(crate) struct RuntimePull {
    node: NodeId,
    /// The kubelet pull this attempt belongs to.
    owner: Key,
    reference: Reference,
    ref_text: String,
    host: HostId,
    repository: String,
    credential: Option<(String, String)>,
    /// The `Authorization` the authorizer adds to every request to the registry.
    auth: Option<String>,
    /// A Bearer handler exists for the host.
    bearer: bool,
    top: Option<DigestId>,
    config: Option<DigestId>,
    image_manifest: Option<DigestId>,
    /// The manifest this pull waits for, while it is not at the blob stage.
    manifest: Option<DigestId>,
    size_bytes: u64,
    queue: VecDeque<(DigestId, u64)>,
    fetching: u32,
    content_hits: u32,
    fetched: u32,
}

/// What the authorizer makes of a 401 (`AddResponses`).
enum AuthStep {
    Retry,
    FetchToken {
        realm: String,
        service: String,
        scopes: Vec<String>,
    },
    Invalid(String),
    NotImplemented,
}

impl Sim {
    /// The link from a node to a host.
    pub(crate) fn link_of(&self, node: NodeId, host: HostId) -> Link {
        let node = &self.nodes[node.0 as usize];
        self.pools[node.pool].link_to(&self.hosts[host.0 as usize].name)
    }

    /// Starts one `PullImage` of `image` (the kubelet's tagged image string) with one
    /// credential (or none) for the kubelet pull `owner`.
    pub(crate) fn start_runtime_pull(
        &mut self,
        node: NodeId,
        owner: Key,
        image: &str,
        credential: Option<(String, String)>,
    ) {
        let reference = match parse_docker_ref(image) {
            Ok(reference) => reference,
            Err(err) => {
                let text = format!(
                    "failed to parse image reference {}: {err}",
                    pullsim_model::go_text::quote(image)
                );
                self.runtime_pull_done(owner, Err(text), 0, 0);
                return;
            }
        };
        let ref_text = reference.to_string();
        let Some(host) = self.host_for_domain(reference.domain()) else {
            let domain = connect_host(reference.domain()).to_owned();
            let url = format!(
                "{}://{domain}/v2/{}/manifests/{}",
                crate::resolver::scheme_of(&domain),
                reference.path(),
                reference_lookup(&reference)
            );
            let error = RuntimeError::unknown(format!(
                "failed to resolve reference {}: failed to do request: Head {}: dial tcp: lookup {}: no such host",
                pullsim_model::go_text::quote(&ref_text),
                pullsim_model::go_text::quote(&url),
                domain.split(':').next().unwrap_or(&domain)
            ));
            self.runtime_pull_done(owner, Err(error.kubelet_text(&ref_text)), 0, 0);
            return;
        };
        let repository = reference.path().to_owned();
        let target = format!(
            "/v2/{repository}/manifests/{}",
            reference_lookup(&reference)
        );
        let pull = RuntimePull {
            node,
            owner,
            reference,
            ref_text,
            host,
            repository,
            credential,
            auth: None,
            bearer: false,
            top: None,
            config: None,
            image_manifest: None,
            manifest: None,
            size_bytes: 0,
            queue: VecDeque::new(),
            fetching: 0,
            content_hits: 0,
            fetched: 0,
        };
        let id = self.runtime_pulls.insert(pull);
        self.send_for(id, Purpose::Resolve, Method::Head, target, 0, false);
    }

    /// Sends a request of pull `id` to its registry, with containerd's headers.
    fn send_for(
        &mut self,
        id: Key,
        purpose: Purpose,
        method: Method,
        target: String,
        responses: u8,
        after_401: bool,
    ) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        let host = pull.host;
        let mut request = Request::new(method, target, self.nodes[node.0 as usize].name.clone());
        request
            .headers
            .append("Host", self.hosts[host.0 as usize].name.clone());
        request.headers.append("User-Agent", USER_AGENT);
        if request.target.contains("/manifests/") {
            request.headers.append("Accept", MANIFEST_ACCEPT);
        }
        if let Some(auth) = &pull.auth {
            request.headers.append("Authorization", auth.clone());
        }
        self.send(Exchange {
            pull: id,
            node,
            host,
            purpose,
            request,
            responses,
            after_401,
            response: None,
        });
    }

    /// A response's headers are back at the node.
    pub(crate) fn respond(&mut self, id: Key) {
        let Some(exchange) = self.exchanges.get_mut(id) else {
            return;
        };
        let pull_id = exchange.pull;
        if self.runtime_pulls.get(pull_id).is_none() {
            self.exchanges.remove(id);
            return;
        }
        let Some(response) = exchange.response.take() else {
            let Some(exchange) = self.exchanges.remove(id) else {
                return;
            };
            let url = self.url_of(exchange.host, &exchange.request.target);
            let host = connect_host(&self.hosts[exchange.host.0 as usize].name).to_owned();
            let port = if host.contains(':') { "" } else { ":443" };
            let text = format!(
                "failed to do request: {} {}: dial tcp {host}{port}: connect: connection refused",
                go_op(&exchange.request.method),
                pullsim_model::go_text::quote(&url)
            );
            self.fail_request(pull_id, &exchange.purpose, text, false);
            return;
        };
        let Some(exchange) = self.exchanges.get(id) else {
            return;
        };
        if let Purpose::Token(pending) = &exchange.purpose {
            let pending = pending.as_ref().clone();
            let method = exchange.request.method.clone();
            let url = self.url_of(exchange.host, &exchange.request.target);
            self.exchanges.remove(id);
            self.token_answered(pull_id, pending, &method, &url, &response);
            return;
        }
        let responses = exchange.responses + 1;
        let retryable = responses <= 5;
        let method = exchange.request.method.clone();
        let target = exchange.request.target.clone();
        let purpose = exchange.purpose.clone();
        let after_401 = exchange.after_401;
        let exchange_host = exchange.host;
        if retryable {
            let resend = match response.status {
                401 => match self.authorize(pull_id, &response, after_401) {
                    AuthStep::Retry => Some(method.clone()),
                    AuthStep::FetchToken {
                        realm,
                        service,
                        scopes,
                    } => {
                        self.exchanges.remove(id);
                        let pending = Pending {
                            purpose,
                            method,
                            target,
                            responses,
                            posted: true,
                            realm,
                            service,
                            scopes,
                        };
                        self.fetch_token(pull_id, pending);
                        return;
                    }
                    AuthStep::Invalid(text) => {
                        self.exchanges.remove(id);
                        self.fail_request(pull_id, &purpose, text, true);
                        return;
                    }
                    AuthStep::NotImplemented => None,
                },
                405 if method == Method::Head && target.contains("/manifests/") => {
                    Some(Method::Get)
                }
                408 | 429 => Some(method.clone()),
                _ => None,
            };
            if let Some(method) = resend {
                self.exchanges.remove(id);
                self.send_for(
                    pull_id,
                    purpose,
                    method,
                    target,
                    responses,
                    response.status == 401,
                );
                return;
            }
        }
        let url = self.url_of(exchange_host, &target);
        match purpose {
            Purpose::Resolve => {
                self.exchanges.remove(id);
                self.resolved(pull_id, &method, &url, &response);
            }
            Purpose::Fetch(digest) => {
                if (200..300).contains(&response.status) {
                    self.start_body(id, pull_id, response);
                } else {
                    self.exchanges.remove(id);
                    let text = if response.status == 404 {
                        format!("content at {url} not found: not found")
                    } else {
                        unexpected_status(&method, &url, response.status)
                    };
                    let code = if response.status == 404 {
                        GrpcCode::NotFound
                    } else {
                        GrpcCode::Unknown
                    };
                    self.content_failed(pull_id, digest, RuntimeError { code, text });
                }
            }
            Purpose::Token(_) => {}
        }
    }

    /// containerd's `dockerAuthorizer.AddResponses` for the 401 of pull `id`.
    fn authorize(&mut self, id: Key, response: &Response, after_401: bool) -> AuthStep {
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
                        scopes: merged_scopes(&pull.repository, &challenge),
                    };
                }
                "basic" => {
                    return match &pull.credential {
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
    fn fetch_token(&mut self, id: Key, pending: Pending) {
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
            pull.credential.as_ref(),
            pending.posted,
            realm_host,
            &client,
        );
        self.send(Exchange {
            pull: id,
            node,
            host: HostId(token_host as u16),
            purpose: Purpose::Token(Box::new(pending)),
            request,
            responses: 0,
            after_401: false,
            response: None,
        });
    }

    /// The token endpoint answered.
    fn token_answered(
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
            self.send_for(
                id,
                pending.purpose,
                pending.method,
                pending.target,
                pending.responses,
                true,
            );
            return;
        }
        let username = pull.credential.as_ref().is_some_and(|(u, _)| !u.is_empty());
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

    /// A request failed before its final answer: resolution errors are wrapped as the
    /// resolver wraps them, fetch errors fail the content they were for. A token failure
    /// fails the request the token was for.
    fn fail_request(
        &mut self,
        id: Key,
        purpose: &Purpose,
        text: String,
        invalid_authorization: bool,
    ) {
        let purpose = match purpose {
            Purpose::Token(pending) => &pending.purpose,
            other => other,
        };
        match purpose {
            Purpose::Fetch(digest) => {
                self.content_failed(id, *digest, RuntimeError::unknown(text));
            }
            Purpose::Resolve | Purpose::Token(_) => {
                let Some(pull) = self.runtime_pulls.get(id) else {
                    return;
                };
                let inner = if invalid_authorization {
                    format!(
                        "pull access denied, repository does not exist or may require authorization: {text}"
                    )
                } else {
                    text
                };
                let text = format!(
                    "failed to resolve reference {}: {inner}",
                    pullsim_model::go_text::quote(&pull.ref_text)
                );
                self.fail_pull(id, RuntimeError::unknown(text));
            }
        }
    }

    /// Resolution's final answer.
    fn resolved(&mut self, id: Key, method: &Method, url: &str, response: &Response) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let quoted = pullsim_model::go_text::quote(&pull.ref_text);
        if (200..300).contains(&response.status) {
            let digest = response
                .headers
                .get("docker-content-digest")
                .and_then(|text| Digest::parse(text).ok());
            let Some(digest) = digest else {
                let text =
                    format!("failed to resolve reference {quoted}: invalid digest in response");
                self.fail_pull(id, RuntimeError::unknown(text));
                return;
            };
            let size = response
                .headers
                .get("content-length")
                .and_then(|text| text.parse().ok())
                .unwrap_or(0);
            let top = self.intern(digest);
            if let Some(pull) = self.runtime_pulls.get_mut(id) {
                pull.top = Some(top);
            }
            self.need_manifest(id, top, size);
            return;
        }
        let (code, inner) = if response.status == 404 {
            (GrpcCode::NotFound, format!("{}: not found", pull.ref_text))
        } else {
            (
                GrpcCode::Unknown,
                unexpected_status(method, url, response.status),
            )
        };
        let text = format!("failed to resolve reference {quoted}: {inner}");
        self.fail_pull(id, RuntimeError { code, text });
    }

    /// The pull needs manifest `digest` (the root, or the chosen child of an index).
    fn need_manifest(&mut self, id: Key, digest: DigestId, size: u64) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        pull.manifest = Some(digest);
        pull.size_bytes += size;
        self.need_content(id, digest);
    }

    /// Fetches `digest` for pull `id` unless the node has it or is already fetching it.
    fn need_content(&mut self, id: Key, digest: DigestId) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        let node_id = pull.node;
        let node = &mut self.nodes[node_id.0 as usize];
        if node.content.contains(&digest) {
            pull.content_hits += 1;
            self.content_ready(id, digest);
            return;
        }
        if let Some(waiters) = node.in_flight.get_mut(&digest) {
            waiters.push(id);
            return;
        }
        node.in_flight.insert(digest, vec![id]);
        self.send_fetch(id, digest);
    }

    fn send_fetch(&mut self, id: Key, digest: DigestId) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let is_manifest = pull.manifest == Some(digest);
        let kind = if is_manifest { "manifests" } else { "blobs" };
        let target = format!(
            "/v2/{}/{kind}/{}",
            pull.repository, self.digests[digest.0 as usize]
        );
        self.send_for(id, Purpose::Fetch(digest), Method::Get, target, 0, false);
    }

    /// A fetch answered 2xx: its body crosses the link.
    fn start_body(&mut self, exchange: Key, pull: Key, response: Response) {
        let full = response
            .delivery
            .declared_body
            .map_or(response.body.len() as u64, |d| d.size_bytes);
        let bytes = response
            .delivery
            .drop_after_bytes
            .map_or(full, |cut| cut.min(full));
        if let Some(stored) = self.exchanges.get_mut(exchange) {
            stored.response = Some(response);
        }
        let Some(state) = self.runtime_pulls.get(pull) else {
            return;
        };
        let (node, host) = (state.node, state.host);
        let link = self.link_of(node, host);
        match link.bandwidth_bytes_per_sec {
            Some(bandwidth) if bytes > 0 => {
                let now = self.now;
                let links = &mut self.nodes[node.0 as usize].links;
                if links.len() <= host.0 as usize {
                    links.resize(host.0 as usize + 1, Default::default());
                }
                let state = &mut links[host.0 as usize];
                let next = state.start(now, bandwidth, exchange, bytes);
                let version = state.version;
                self.queue.push(
                    next,
                    Event::LinkCheck {
                        node,
                        host,
                        version,
                    },
                );
            }
            _ => self.body_done(exchange),
        }
    }

    /// A link may have finished transfers.
    pub(crate) fn link_check(&mut self, node: NodeId, host: HostId, version: u32) {
        let link = self.link_of(node, host);
        let Some(bandwidth) = link.bandwidth_bytes_per_sec else {
            return;
        };
        let now = self.now;
        let Some(state) = self.nodes[node.0 as usize].links.get_mut(host.0 as usize) else {
            return;
        };
        if state.version != version {
            return;
        }
        let mut done = Vec::new();
        if let Some(next) = state.complete(now, bandwidth, &mut done) {
            let version = state.version;
            self.queue.push(
                next,
                Event::LinkCheck {
                    node,
                    host,
                    version,
                },
            );
        }
        for exchange in done {
            self.body_done(exchange);
        }
    }

    /// A body arrived whole (or was cut): containerd checks it and commits it.
    fn body_done(&mut self, id: Key) {
        let Some(exchange) = self.exchanges.remove(id) else {
            return;
        };
        let Purpose::Fetch(digest) = exchange.purpose else {
            return;
        };
        let Some(response) = exchange.response else {
            return;
        };
        let pull = exchange.pull;
        if self.runtime_pulls.get(pull).is_none() {
            return;
        }
        if response.delivery.drop_after_bytes.is_some() {
            let error = RuntimeError::unknown("failed to copy: unexpected EOF".to_owned());
            self.content_failed(pull, digest, error);
            return;
        }
        let expected = self.digests[digest.0 as usize].clone();
        let intact = match response.delivery.declared_body {
            Some(declared) => !declared.corrupted,
            None => Digest::of_bytes(expected.algorithm(), &response.body) == expected,
        };
        if !intact {
            let actual = match response.delivery.declared_body {
                Some(_) => Digest::sha256_of(format!("corrupted {expected}").as_bytes()),
                None => Digest::of_bytes(expected.algorithm(), &response.body),
            };
            let is_manifest = self
                .runtime_pulls
                .get(pull)
                .is_some_and(|p| p.manifest == Some(digest));
            let kind = if is_manifest { "manifest" } else { "layer" };
            let text = format!(
                "failed commit on ref \"{kind}-{expected}\": unexpected commit digest {actual}, expected {expected}: failed precondition"
            );
            let error = RuntimeError {
                code: GrpcCode::FailedPrecondition,
                text,
            };
            self.content_failed(pull, digest, error);
            return;
        }
        let is_manifest = self
            .runtime_pulls
            .get(pull)
            .is_some_and(|p| p.manifest == Some(digest));
        if is_manifest && let Err(text) = self.parse_manifest(digest, &response.body) {
            self.content_failed(pull, digest, RuntimeError::unknown(text));
            return;
        }
        let node = exchange.node;
        let waiters = {
            let node = &mut self.nodes[node.0 as usize];
            node.content.insert(digest);
            node.in_flight.remove(&digest).unwrap_or_default()
        };
        for (position, waiter) in waiters.into_iter().enumerate() {
            if let Some(state) = self.runtime_pulls.get_mut(waiter) {
                if position == 0 {
                    state.fetched += 1;
                } else {
                    state.content_hits += 1;
                }
            }
            self.content_ready(waiter, digest);
        }
    }

    /// Fetching `digest` failed for pull `id`: the pull fails; pulls that were waiting for
    /// the same content fetch it themselves.
    fn content_failed(&mut self, id: Key, digest: DigestId, error: RuntimeError) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        let waiters = self.nodes[node.0 as usize]
            .in_flight
            .remove(&digest)
            .unwrap_or_default();
        let others: Vec<Key> = waiters.into_iter().filter(|w| *w != id).collect();
        if let Some(&next) = others.first() {
            self.nodes[node.0 as usize]
                .in_flight
                .insert(digest, others.clone());
            self.send_fetch(next, digest);
        }
        self.fail_pull(id, error);
    }

    /// Content the pull needed is in the store.
    fn content_ready(&mut self, id: Key, digest: DigestId) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        if pull.manifest == Some(digest) {
            pull.manifest = None;
            let parsed = self
                .manifests
                .get(digest.0 as usize)
                .and_then(Option::clone);
            let Some(parsed) = parsed else {
                self.fail_pull(
                    id,
                    RuntimeError::unknown("manifest content missing".to_owned()),
                );
                return;
            };
            match parsed.as_ref() {
                Manifest::Index { children } => {
                    let node = self.runtime_pulls.get(id).map(|p| p.node);
                    let Some(node) = node else { return };
                    let matcher = &self.nodes[node.0 as usize].matcher;
                    match matcher.choose(children, |child| child.0.as_ref()) {
                        Ok(index) => {
                            let (_, child, size) = children[index].clone();
                            self.need_manifest(id, child, size);
                        }
                        Err(no_match) => {
                            let error = RuntimeError {
                                code: GrpcCode::NotFound,
                                text: no_match.to_string(),
                            };
                            self.fail_pull(id, error);
                        }
                    }
                }
                Manifest::Image { config, layers } => {
                    let Some(pull) = self.runtime_pulls.get_mut(id) else {
                        return;
                    };
                    pull.config = Some(config.0);
                    pull.image_manifest = Some(digest);
                    pull.size_bytes += config.1;
                    pull.queue.push_back(*config);
                    for layer in layers {
                        pull.size_bytes += layer.1;
                        pull.queue.push_back(*layer);
                    }
                    self.pump_fetches(id);
                }
            }
            return;
        }
        pull.fetching = pull.fetching.saturating_sub(1);
        self.pump_fetches(id);
    }

    /// Starts blob fetches up to `max_concurrent_downloads`; finishes the pull when none
    /// is left.
    fn pump_fetches(&mut self, id: Key) {
        let limit = self.config.max_concurrent_downloads.max(1) as u32;
        loop {
            let Some(pull) = self.runtime_pulls.get_mut(id) else {
                return;
            };
            if pull.fetching >= limit {
                return;
            }
            let Some((digest, _)) = pull.queue.pop_front() else {
                if pull.fetching == 0 {
                    self.finish_pull(id);
                }
                return;
            };
            pull.fetching += 1;
            self.need_content(id, digest);
        }
    }

    /// Everything is in the store: the image is recorded under its names.
    fn finish_pull(&mut self, id: Key) {
        let Some(pull) = self.runtime_pulls.remove(id) else {
            return;
        };
        let (Some(top), Some(config), Some(manifest)) =
            (pull.top, pull.config, pull.image_manifest)
        else {
            return;
        };
        let record = ImageRecord {
            image_id: config,
            digest: top,
            manifest,
            size_bytes: pull.size_bytes,
        };
        let name = pull.reference.name();
        let node = &mut self.nodes[pull.node.0 as usize];
        node.images
            .insert(format!("{name}@{}", self.digests[top.0 as usize]), record);
        if let Some(tag) = pull.reference.tag() {
            node.images.insert(format!("{name}:{tag}"), record);
        }
        self.runtime_pull_done(pull.owner, Ok(record), pull.content_hits, pull.fetched);
    }

    /// The pull failed: its requests and transfers stop, and the kubelet gets the error.
    fn fail_pull(&mut self, id: Key, error: RuntimeError) {
        let Some(pull) = self.runtime_pulls.remove(id) else {
            return;
        };
        self.drop_exchanges_of(pull.node, |owner| owner == id);
        for waiters in self.nodes[pull.node.0 as usize].in_flight.values_mut() {
            waiters.retain(|w| *w != id);
        }
        self.nodes[pull.node.0 as usize]
            .in_flight
            .retain(|_, waiters| !waiters.is_empty());
        let text = error.kubelet_text(&pull.ref_text);
        self.runtime_pull_done(pull.owner, Err(text), pull.content_hits, pull.fetched);
    }

    /// Removes the exchanges of the pulls `owned` accepts, and their transfers.
    fn drop_exchanges_of(&mut self, node: NodeId, owned: impl Fn(Key) -> bool) {
        let ids = self
            .exchanges
            .ids_where(|e| e.node == node && owned(e.pull));
        if ids.is_empty() {
            return;
        }
        let now = self.now;
        for host_index in 0..self.nodes[node.0 as usize].links.len() {
            let host = HostId(host_index as u16);
            let Some(bandwidth) = self.link_of(node, host).bandwidth_bytes_per_sec else {
                continue;
            };
            let state = &mut self.nodes[node.0 as usize].links[host_index];
            if let Some(next) = state.cancel(now, bandwidth, |owner| ids.contains(&owner)) {
                let version = state.version;
                self.queue.push(
                    next,
                    Event::LinkCheck {
                        node,
                        host,
                        version,
                    },
                );
            }
        }
        for id in ids {
            self.exchanges.remove(id);
        }
    }

    /// A kubelet restart cancels every pull of its node.
    pub(crate) fn cancel_runtime_pulls(&mut self, node: NodeId) {
        let pulls = self.runtime_pulls.ids_where(|p| p.node == node);
        self.drop_exchanges_of(node, |owner| pulls.contains(&owner));
        for id in pulls {
            self.runtime_pulls.remove(id);
        }
    }

    /// The CRI's image list of a node, for the KEP-2535 start-up conversion.
    pub(crate) fn runtime_images(&self, node: NodeId) -> Vec<RuntimeImage> {
        let mut by_id: std::collections::BTreeMap<DigestId, RuntimeImage> = Default::default();
        for (name, record) in &self.nodes[node.0 as usize].images {
            let entry = by_id
                .entry(record.image_id)
                .or_insert_with(|| RuntimeImage {
                    id: self.digests[record.image_id.0 as usize].to_string(),
                    ..RuntimeImage::default()
                });
            if name.contains('@') {
                entry.repo_digests.push(name.clone());
            } else {
                entry.repo_tags.push(name.clone());
            }
        }
        by_id.into_values().collect()
    }
}

/// The tag or digest a reference is resolved by.
fn reference_lookup(reference: &Reference) -> String {
    match (reference.digest(), reference.tag()) {
        (Some(digest), _) => digest.to_string(),
        (None, Some(tag)) => tag.to_owned(),
        (None, None) => "latest".to_owned(),
    }
}
