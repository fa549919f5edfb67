//! The per-ticket state machine of the pull-through cache: tag, manifest and blob flows,
//! the token dance, the in-flight blob set and the expiry schedule.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use pullsim_model::{Digest, SimTime};
use serde_json::json;

use super::config::{PROXY_PENDING_MAX, ProxyConfig, Step, Ticket, UpstreamReply};
use super::upstream::{self, Challenge};
use crate::api::errcode::{API_VERSION_HEADER, ApiError, ErrorCode};
use crate::api::push::manifest_facts;
use crate::api::route::{self, Route};
use crate::media::ManifestKind;
use crate::protocol::{Method, Request, Response};
use crate::registry::Registry;

/// A proxy's state besides its local store.
#[derive(Debug, Clone)]
pub(crate) struct ProxyState {
    pub(crate) config: ProxyConfig,
    pending: BTreeMap<Ticket, Pending>,
    next_ticket: u64,
    /// Cached content's expiry: (when, repository, digest).
    expiry: BTreeSet<(SimTime, String, Digest)>,
    /// Blobs being fetched to be cached, and by which ticket.
    inflight: BTreeMap<Digest, Ticket>,
    /// The last token the upstream gave for a repository.
    tokens: BTreeMap<String, String>,
}

impl ProxyState {
    pub(crate) fn new(config: ProxyConfig) -> ProxyState {
        ProxyState {
            config,
            pending: BTreeMap::new(),
            next_ticket: 0,
            expiry: BTreeSet::new(),
            inflight: BTreeMap::new(),
            tokens: BTreeMap::new(),
        }
    }
}

/// A client request waiting on the upstream.
#[derive(Debug, Clone)]
struct Pending {
    request: Request,
    name: String,
    want: Want,
    stage: Stage,
    /// The `Authorization` sent upstream.
    auth: Option<String>,
    /// Whether a 401 was already answered with credentials for this request.
    challenged: bool,
    /// Whether this ticket caches the blob it fetches (the first in flight for it).
    caching: bool,
    /// A tag request whose tag the upstream resolved (so the local tag is updated).
    resolved: bool,
}

#[derive(Debug, Clone)]
enum Want {
    Tag(String),
    Manifest,
    Blob(Digest),
}

#[derive(Debug, Clone)]
enum Stage {
    TagHead,
    TagGet,
    Manifest(Digest),
    BlobHead,
    BlobGet,
    Token { url: String, then: Box<Stage> },
}

impl Registry {
    /// Makes this registry a pull-through cache of `proxy.upstream`.
    pub fn set_proxy(&mut self, proxy: ProxyConfig) {
        self.proxy = Some(Box::new(ProxyState::new(proxy)));
        self.forget_answers();
    }

    /// The proxy configuration, when this registry is a pull-through cache.
    pub fn proxy(&self) -> Option<&ProxyConfig> {
        self.proxy.as_ref().map(|state| &state.config)
    }

    /// Starts answering `request` at `now`: a registry that is no proxy, or a request a
    /// proxy answers from its store, gets [`Step::Answer`] (`handle`'s answer); a proxy's
    /// miss gets the first [`Step::Upstream`].
    pub fn begin(&mut self, request: &Request, now: SimTime) -> Step {
        if self.proxy.is_none() {
            return Step::Answer(self.handle(request, now));
        }
        self.expire_cached(now);
        let target = route::parse(&request.target);
        let (name, want, stage) = match (&target.route, &request.method) {
            (Route::Manifest { name, reference }, Method::Get | Method::Head) => {
                match Digest::parse(reference) {
                    Ok(digest) => {
                        if self.linked(name, &digest, false) {
                            return Step::Answer(self.handle(request, now));
                        }
                        (name, Want::Manifest, Stage::Manifest(digest))
                    }
                    Err(_) => (name, Want::Tag(reference.clone()), Stage::TagHead),
                }
            }
            (Route::Blob { name, digest }, Method::Get | Method::Head) => {
                match Digest::parse(digest) {
                    Ok(digest) if !self.linked(name, &digest, true) => {
                        (name, Want::Blob(digest), Stage::BlobHead)
                    }
                    _ => return Step::Answer(self.handle(request, now)),
                }
            }
            (Route::Manifest { .. }, Method::Put)
            | (Route::UploadStart { .. }, Method::Post)
            | (Route::Upload { .. }, _) => {
                return Step::Answer(finish(
                    ApiError::new(ErrorCode::Unsupported).into_response(),
                ));
            }
            _ => return Step::Answer(self.handle(request, now)),
        };
        let state = self.proxy.as_mut().expect("a proxy");
        if state.pending.len() >= PROXY_PENDING_MAX {
            return Step::Answer(finish(
                ApiError::new(ErrorCode::TooManyRequests)
                    .status(503)
                    .detail(json!({"pending": PROXY_PENDING_MAX}))
                    .into_response(),
            ));
        }
        let ticket = Ticket(state.next_ticket);
        state.next_ticket += 1;
        let pending = Pending {
            request: request.clone(),
            auth: state
                .tokens
                .get(name.as_str())
                .map(|t| format!("Bearer {t}")),
            name: name.clone(),
            want,
            stage,
            challenged: false,
            caching: false,
            resolved: false,
        };
        self.send(ticket, pending)
    }

    /// Goes on with `ticket`'s request given the reply to its last upstream request.
    pub fn resume(&mut self, ticket: Ticket, reply: UpstreamReply, now: SimTime) -> Step {
        let Some(mut pending) = self.proxy.as_mut().and_then(|s| s.pending.remove(&ticket)) else {
            return Step::Answer(finish(
                ApiError::new(ErrorCode::Unknown)
                    .message("no such proxy ticket")
                    .into_response(),
            ));
        };
        self.expire_cached(now);
        let response = match reply {
            UpstreamReply::Response(response) => response,
            UpstreamReply::Failed(text) => return self.failed(ticket, pending, None, text, now),
        };
        if let Stage::Token { then, .. } = &pending.stage {
            let then = (**then).clone();
            return match upstream::token_from_body(&response.body)
                .filter(|_| response.status == 200)
            {
                Some(token) => {
                    pending.auth = Some(format!("Bearer {token}"));
                    let state = self.proxy.as_mut().expect("a proxy");
                    state.tokens.insert(pending.name.clone(), token);
                    pending.stage = then;
                    self.send(ticket, pending)
                }
                None => {
                    pending.stage = then;
                    let text = format!("token endpoint answered {}", response.status);
                    self.failed(ticket, pending, Some(response.status), text, now)
                }
            };
        }
        if response.status == 401 && !pending.challenged {
            pending.challenged = true;
            let scope = format!("repository:{}:pull", pending.name);
            let config = &self.proxy.as_ref().expect("a proxy").config;
            match upstream::challenge(&response, &scope) {
                Some(Challenge::Bearer(url)) => {
                    let then = Box::new(pending.stage.clone());
                    pending.stage = Stage::Token { url, then };
                    return self.send(ticket, pending);
                }
                Some(Challenge::Basic) if upstream::basic(config).is_some() => {
                    pending.auth = upstream::basic(config);
                    return self.send(ticket, pending);
                }
                _ => {}
            }
        }
        if !(200..300).contains(&response.status) {
            if matches!(pending.stage, Stage::TagHead) {
                pending.stage = Stage::TagGet;
                return self.send(ticket, pending);
            }
            let text = format!("upstream answered {}", response.status);
            return self.failed(ticket, pending, Some(response.status), text, now);
        }
        match pending.stage.clone() {
            Stage::TagHead | Stage::TagGet => {
                let digest = response
                    .headers
                    .get("docker-content-digest")
                    .and_then(|text| Digest::parse(text).ok());
                match digest {
                    Some(digest) => {
                        pending.resolved = true;
                        self.manifest_by_digest(ticket, pending, digest, now)
                    }
                    None if matches!(pending.stage, Stage::TagHead) => {
                        pending.stage = Stage::TagGet;
                        self.send(ticket, pending)
                    }
                    None => {
                        let text = "upstream gave no Docker-Content-Digest".to_owned();
                        self.failed(ticket, pending, None, text, now)
                    }
                }
            }
            Stage::Manifest(digest) => {
                let kind = response
                    .headers
                    .get("content-type")
                    .and_then(ManifestKind::from_media_type)
                    .unwrap_or(ManifestKind::OciManifest);
                let facts = manifest_facts(kind, &response.body);
                self.store
                    .put(digest.clone(), response.body.clone(), Some(facts));
                self.store
                    .repository_mut(&pending.name)
                    .manifests
                    .insert(digest.clone());
                self.schedule(&pending.name, &digest, now);
                self.point_tag(&pending, &digest, now);
                Step::Answer(self.handle(&pending.request, now))
            }
            Stage::BlobHead if pending.request.method == Method::Head => {
                Step::Answer(finish(pass_through(&response)))
            }
            Stage::BlobHead => {
                let Want::Blob(digest) = &pending.want else {
                    unreachable!("blob stages belong to blob requests")
                };
                let state = self.proxy.as_mut().expect("a proxy");
                if !state.inflight.contains_key(digest) {
                    state.inflight.insert(digest.clone(), ticket);
                    pending.caching = true;
                }
                pending.stage = Stage::BlobGet;
                self.send(ticket, pending)
            }
            Stage::BlobGet => {
                let Want::Blob(digest) = pending.want.clone() else {
                    unreachable!("blob stages belong to blob requests")
                };
                if !pending.caching {
                    return Step::Answer(finish(pass_through(&response)));
                }
                self.release(ticket, &pending);
                match response.delivery.declared_body {
                    Some(declared) => self.store.put_declared(digest.clone(), declared.size_bytes),
                    None => self.store.put(digest.clone(), response.body.clone(), None),
                }
                self.store
                    .repository_mut(&pending.name)
                    .blobs
                    .insert(digest.clone());
                self.schedule(&pending.name, &digest, now);
                Step::Answer(self.handle(&pending.request, now))
            }
            Stage::Token { .. } => unreachable!("answered above"),
        }
    }

    /// Removes every cached link whose expiry is at or before `now`.
    pub(crate) fn expire_cached(&mut self, now: SimTime) {
        let Some(state) = self.proxy.as_mut() else {
            return;
        };
        let mut expired = Vec::new();
        while let Some(first) = state.expiry.first()
            && first.0 <= now
        {
            expired.push(state.expiry.pop_first().expect("a first entry"));
        }
        if expired.is_empty() {
            return;
        }
        for (_, name, digest) in expired {
            let repository = self.store.repository_mut(&name);
            repository.blobs.remove(&digest);
            repository.manifests.remove(&digest);
        }
        self.forget_answers();
    }

    fn linked(&mut self, name: &str, digest: &Digest, blob: bool) -> bool {
        let Some(canonical) = self.store.resolve(digest) else {
            return false;
        };
        self.store.repository(name).is_some_and(|repository| {
            repository.manifests.contains(&canonical)
                || (blob && repository.blobs.contains(&canonical))
        })
    }

    fn manifest_by_digest(
        &mut self,
        ticket: Ticket,
        mut pending: Pending,
        digest: Digest,
        now: SimTime,
    ) -> Step {
        if self.linked(&pending.name, &digest, false) {
            self.point_tag(&pending, &digest, now);
            return Step::Answer(self.handle(&pending.request, now));
        }
        pending.stage = Stage::Manifest(digest);
        self.send(ticket, pending)
    }

    fn point_tag(&mut self, pending: &Pending, digest: &Digest, now: SimTime) {
        if let (Want::Tag(tag), true) = (&pending.want, pending.resolved) {
            let repository = self.store.repository_mut(&pending.name);
            let entry = repository.tags.entry(tag.clone()).or_default();
            if entry.current.as_ref() != Some(digest) {
                entry.point(digest.clone(), now);
            }
        }
        self.forget_answers();
    }

    fn schedule(&mut self, name: &str, digest: &Digest, now: SimTime) {
        let state = self.proxy.as_mut().expect("a proxy");
        if let Some(ttl) = state.config.ttl {
            state
                .expiry
                .insert((now + ttl, name.to_owned(), digest.clone()));
        }
        self.forget_answers();
    }

    fn release(&mut self, ticket: Ticket, pending: &Pending) {
        if let (Want::Blob(digest), true) = (&pending.want, pending.caching) {
            let state = self.proxy.as_mut().expect("a proxy");
            if state.inflight.get(digest) == Some(&ticket) {
                state.inflight.remove(digest);
            }
        }
    }

    /// An upstream failure (`status` when it answered, else a transport error).
    fn failed(
        &mut self,
        ticket: Ticket,
        pending: Pending,
        status: Option<u16>,
        text: String,
        now: SimTime,
    ) -> Step {
        self.release(ticket, &pending);
        match (&pending.stage, &pending.want) {
            (Stage::TagHead | Stage::TagGet, Want::Tag(tag)) => {
                let stored = self
                    .store
                    .repository(&pending.name)
                    .and_then(|repository| repository.tags.get(tag))
                    .and_then(|tag| tag.current.clone());
                match stored {
                    Some(digest) => self.manifest_by_digest(ticket, pending, digest, now),
                    None => Step::Answer(finish(
                        ApiError::new(ErrorCode::ManifestUnknown)
                            .detail(json!({"tag": tag}))
                            .into_response(),
                    )),
                }
            }
            (Stage::Manifest(_), _) if status == Some(404) => Step::Answer(finish(
                ApiError::new(ErrorCode::ManifestUnknown).into_response(),
            )),
            (Stage::BlobHead | Stage::BlobGet, _) if status == Some(404) => Step::Answer(finish(
                ApiError::new(ErrorCode::BlobUnknown).into_response(),
            )),
            _ => Step::Answer(finish(
                ApiError::new(ErrorCode::Unknown)
                    .detail(json!(text))
                    .into_response(),
            )),
        }
    }

    /// Files `pending` under `ticket` and asks for its stage's upstream request.
    fn send(&mut self, ticket: Ticket, pending: Pending) -> Step {
        let state = self.proxy.as_mut().expect("a proxy");
        let accept: Vec<&str> = pending.request.headers.get_all("accept").collect();
        let path = |what: &str, reference: &str| {
            upstream::url(
                &state.config,
                &format!("/v2/{}/{what}/{reference}", pending.name),
            )
        };
        let auth = pending.auth.as_deref();
        let request = match (&pending.stage, &pending.want) {
            (Stage::TagHead, Want::Tag(tag)) => {
                upstream::request(ticket, Method::Head, path("manifests", tag), &accept, auth)
            }
            (Stage::TagGet, Want::Tag(tag)) => {
                upstream::request(ticket, Method::Get, path("manifests", tag), &accept, auth)
            }
            (Stage::Manifest(digest), _) => upstream::request(
                ticket,
                Method::Get,
                path("manifests", &digest.to_string()),
                &accept,
                auth,
            ),
            (Stage::BlobHead, Want::Blob(digest)) => upstream::request(
                ticket,
                Method::Head,
                path("blobs", &digest.to_string()),
                &[],
                auth,
            ),
            (Stage::BlobGet, Want::Blob(digest)) => upstream::request(
                ticket,
                Method::Get,
                path("blobs", &digest.to_string()),
                &[],
                auth,
            ),
            (Stage::Token { url, .. }, _) => {
                let basic = upstream::basic(&state.config);
                upstream::request(ticket, Method::Get, url.clone(), &[], basic.as_deref())
            }
            _ => unreachable!("a stage belongs to its kind of request"),
        };
        state.pending.insert(ticket, pending);
        Step::Upstream(request)
    }
}

/// The upstream's answer passed to the client as it is (a blob `HEAD`, or a blob fetched
/// while another request caches it).
fn pass_through(response: &Response) -> Response {
    let mut answer = Response {
        status: response.status,
        headers: Default::default(),
        body: response.body.clone(),
        delivery: Default::default(),
    };
    answer.delivery.declared_body = response.delivery.declared_body;
    for name in [
        "content-type",
        "content-length",
        "docker-content-digest",
        "etag",
    ] {
        if let Some(value) = response.headers.get(name) {
            answer.headers.append(name, value);
        }
    }
    answer
}

/// Adds the API version header to an answer the proxy made itself.
fn finish(mut response: Response) -> Response {
    let (name, value) = API_VERSION_HEADER;
    response.headers.append_static(name, value);
    if response.body.is_empty() {
        response.body = Bytes::new();
    }
    response
}
