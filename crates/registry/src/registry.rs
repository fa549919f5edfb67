//! The registry: all state, `handle` (the one entry point for protocol requests) with
//! its routing, and the operations the simulator and the control API use to change
//! content from outside the protocol. Authentication answers are in `auth.rs`.
//!
//! `handle` runs in this order: control API requests go to `control.rs` (not
//! logged, no faults); otherwise the fault rules are consulted; a status verdict answers
//! at once, anything else lets the request be routed, authenticated and handled, and then
//! shapes the response (delay, drop, corruption); `HEAD` responses lose their body but
//! keep the `Content-Length` a `GET` would have; triggers that a successful answer sets
//! off apply their change; and the request is logged.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use pullsim_model::{Digest, SimTime};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::access::auth::challenge;
use crate::access::rotation::PasswordRotation;
use crate::access::rules::{Access, Action, AuthMode, Credentials};
use crate::access::token::{TokenKey, Tokens};
use crate::api::errcode::{API_VERSION_HEADER, ApiError, ErrorCode};
use crate::api::names;
use crate::api::protocol::{Method, Request, Response};
use crate::api::route::{self, Route, Target};
use crate::api::uploads::Uploads;
use crate::builder::build;
use crate::catalog::{Catalog, ImageSpec, LoadedImage, media_type_of};
use crate::error::{CatalogError, RegistryError};
use crate::state::fault::{Facts, FaultId, FaultRule, FaultSet, InstalledFault, Verdict};
use crate::state::log::{LogEntry, RequestLog};
use crate::state::memo::{Reads, ResponseMemo};
use crate::state::rate_limit::{RateLimit, RateLimiter};
use crate::state::store::Store;
pub use crate::state::tags::TagSummary;
use crate::state::trigger::{InstalledTrigger, Trigger, TriggerAction, TriggerSet};

/// How a registry authenticates and who may use the control API. Its `Debug` form shows
/// whether a control token is set, never the token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RegistryConfig {
    /// Which challenge protected repositories answer with.
    pub auth: AuthMode,
    /// When set, `/_pullsim/*` needs `Authorization: Bearer <token>`.
    pub control_token: Option<String>,
    /// The `service=` of Bearer challenges.
    pub service: String,
    /// The wall-clock time of [`SimTime::EPOCH`] in seconds since the Unix epoch, used
    /// only to print the token endpoint's `issued_at` (clients compute token expiry from
    /// it). The server sets it to its start time; the simulator may leave it at 0.
    pub epoch_unix_seconds: u64,
    /// When set (a URL prefix such as `http://127.0.0.1:5001`), blob `GET`/`HEAD` requests
    /// that would be answered 200 get `307 Temporary Redirect` to
    /// `<origin>/v2/<name>/blobs/<digest>` instead, as distribution does when its storage
    /// driver hands out URLs (a CDN in front of object storage). Clients then fetch the
    /// bytes from that other origin, which must not receive the registry's credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob_redirect: Option<String>,
}

impl std::fmt::Debug for RegistryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let RegistryConfig {
            auth,
            control_token,
            service,
            epoch_unix_seconds,
            blob_redirect,
        } = self;
        f.debug_struct("RegistryConfig")
            .field("auth", auth)
            .field(
                "control_token",
                &control_token.as_ref().map(|_| "<redacted>"),
            )
            .field("service", service)
            .field("epoch_unix_seconds", epoch_unix_seconds)
            .field("blob_redirect", blob_redirect)
            .finish()
    }
}

impl Default for RegistryConfig {
    fn default() -> RegistryConfig {
        RegistryConfig {
            auth: AuthMode::Basic,
            control_token: None,
            service: "pullsim".to_owned(),
            epoch_unix_seconds: 0,
            blob_redirect: None,
        }
    }
}

/// The fake registry: content, tags, accounts, tokens, fault rules, uploads and the log.
#[derive(Debug, Clone)]
pub struct Registry {
    pub(crate) config: RegistryConfig,
    pub(crate) store: Store,
    pub(crate) access: Access,
    pub(crate) tokens: Tokens,
    pub(crate) faults: FaultSet,
    pub(crate) triggers: TriggerSet,
    pub(crate) log: RequestLog,
    pub(crate) uploads: Uploads,
    /// Whether `handle` appends to the request log (see [`Registry::set_request_log`]).
    pub(crate) log_requests: bool,
    /// Answers [`Registry::handle_shared`] may give again; emptied by every change.
    memo: ResponseMemo,
    /// The pull-through cache's state, when this registry is one (see `proxy/`).
    pub(crate) proxy: Option<Box<crate::proxy::ProxyState>>,
    /// The pull rate limit with its counts, if any (see `rate_limit.rs`).
    pub(crate) rate_limit: Option<RateLimiter>,
}

/// Who a request turned out to be, for the log.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    pub(crate) scheme: Option<String>,
    pub(crate) user: Option<String>,
}

impl Registry {
    /// An empty registry.
    pub fn new(config: RegistryConfig) -> Registry {
        Registry {
            config,
            store: Store::default(),
            access: Access::default(),
            tokens: Tokens::default(),
            faults: FaultSet::default(),
            triggers: TriggerSet::default(),
            log: RequestLog::default(),
            uploads: Uploads::default(),
            log_requests: true,
            memo: ResponseMemo::default(),
            proxy: None,
            rate_limit: None,
        }
    }

    /// A registry holding [`Catalog::demo`], loaded at [`SimTime::EPOCH`].
    pub fn with_demo_catalog(config: RegistryConfig) -> Registry {
        let mut registry = Registry::new(config);
        // The demo catalog is fixed and valid; a failure here would be a bug caught by
        // the demo tests, and leaves an empty registry rather than a panic.
        let _ = registry.load(&Catalog::demo(), SimTime::EPOCH);
        registry
    }

    /// Signs the tokens the token endpoint hands out from now on with `key`, and forgets
    /// those issued before. A registry starts with a fixed key ([`TokenKey::default`]);
    /// the HTTP server sets a random one before it answers anything, the simulator one
    /// derived from its seed and the registry's host.
    pub fn set_token_key(&mut self, key: TokenKey) {
        self.tokens.set_key(key);
        self.forget_answers();
    }

    /// The configuration.
    pub fn config(&self) -> &RegistryConfig {
        &self.config
    }

    /// Adds a catalog: builds and tags its images, adds its accounts, appends its access
    /// and fault rules. Everything is checked and built first, so a refused catalog
    /// changes nothing.
    pub fn load(
        &mut self,
        catalog: &Catalog,
        now: SimTime,
    ) -> Result<Vec<LoadedImage>, CatalogError> {
        Access::check(&catalog.accounts, &catalog.access).map_err(CatalogError::Rules)?;
        self.forget_answers();
        let mut built = Vec::with_capacity(catalog.images.len());
        for (index, spec) in catalog.images.iter().enumerate() {
            let image = build(spec).map_err(|source| CatalogError::Image {
                index,
                repository: spec.repository.clone(),
                tag: spec.tag.clone(),
                source,
            })?;
            built.push((spec, image));
        }
        self.access.extend(&catalog.accounts, &catalog.access);
        for rule in &catalog.faults {
            self.faults.add(rule.clone());
        }
        if let Some(rule) = &catalog.rate_limit {
            self.set_rate_limit(Some(rule.clone()));
        }
        Ok(built
            .into_iter()
            .map(|(spec, image)| self.install(spec, image, now))
            .collect())
    }

    /// Sets (or with `None` removes) the pull rate limit, with fresh counts. A registry
    /// with one answers manifest requests afresh every time, since each counts.
    pub fn set_rate_limit(&mut self, rule: Option<RateLimit>) {
        self.forget_answers();
        self.rate_limit = rule.map(RateLimiter::new);
    }

    /// The pull rate limit, if any.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        self.rate_limit.as_ref().map(RateLimiter::rule)
    }

    /// Makes account `user`'s password rotate (see [`PasswordRotation`]): from now on
    /// its catalog password is only the base of each period's password. `false` when
    /// there is no such account.
    pub fn rotate_password(&mut self, user: &str, rotation: PasswordRotation) -> bool {
        self.forget_answers();
        self.access.rotate(user, rotation)
    }

    /// Sets account `user`'s password (creating the account): the old one is refused from
    /// now on. A rotating account keeps rotating, with `password` as its base.
    pub fn set_password(&mut self, user: &str, password: &str) {
        self.forget_answers();
        self.access.set_password(user, password);
    }

    /// Account `user`'s password at `now` (the current one, for a rotating account), as
    /// whoever hands out its credentials would give it.
    pub fn password_at(&self, user: &str, now: SimTime) -> Option<String> {
        self.access.password_at(user, now)
    }

    /// Builds `image` and points its tag at it (a new build of an existing tag moves it).
    pub fn push_build(
        &mut self,
        image: &ImageSpec,
        now: SimTime,
    ) -> Result<LoadedImage, RegistryError> {
        let built = build(image)?;
        self.forget_answers();
        Ok(self.install(image, built, now))
    }

    fn install(
        &mut self,
        spec: &ImageSpec,
        image: crate::builder::BuiltImage,
        now: SimTime,
    ) -> LoadedImage {
        let repository = self.store.repository_mut(&spec.repository);
        for (digest, _) in &image.blobs {
            repository.blobs.insert(digest.clone());
        }
        for (digest, _) in &image.declared {
            repository.blobs.insert(digest.clone());
        }
        for (digest, _, _) in &image.manifests {
            repository.manifests.insert(digest.clone());
        }
        repository
            .tags
            .entry(spec.tag.clone())
            .or_default()
            .point(image.top.clone(), now);
        for (digest, bytes) in image.blobs {
            self.store.put(digest, bytes, None);
        }
        for (digest, size_bytes) in image.declared {
            self.store.put_declared(digest, size_bytes);
        }
        for (digest, bytes, kind) in image.manifests {
            let facts = crate::api::push::manifest_facts(kind, &bytes);
            self.store.put(digest, bytes, Some(facts));
        }
        LoadedImage {
            repository: spec.repository.clone(),
            tag: spec.tag.clone(),
            digest: image.top,
            media_type: media_type_of(image.top_kind),
            children: image.children,
        }
    }

    /// Makes the registry serve `bytes` wherever the content `digest` is asked for, with
    /// the same `Docker-Content-Digest`, as a compromised registry or a broken mirror
    /// would: a puller that checks what it receives must refuse it. Unlike a `corrupt`
    /// fault, the bytes can be a valid document (another build's manifest), so only the
    /// digest gives the lie away.
    pub fn tamper(&mut self, digest: &Digest, bytes: Bytes) -> Result<(), RegistryError> {
        self.forget_answers();
        let canonical = self
            .store
            .resolve(digest)
            .ok_or_else(|| RegistryError::ContentUnknown(digest.clone()))?;
        self.store.replace_bytes(&canonical, bytes);
        Ok(())
    }

    /// Installs a fault rule after the others.
    pub fn add_fault(&mut self, rule: FaultRule) -> FaultId {
        self.forget_answers();
        self.faults.add(rule)
    }

    /// Removes one fault rule; whether it was installed.
    pub fn remove_fault(&mut self, id: FaultId) -> bool {
        self.forget_answers();
        self.faults.remove(id)
    }

    /// Removes every fault rule.
    pub fn clear_faults(&mut self) {
        self.forget_answers();
        self.faults.clear();
    }

    /// The installed fault rules with their counters.
    pub fn faults(&self) -> &[InstalledFault] {
        self.faults.list()
    }

    /// Turns the request log on (the default) or off. A simulation that keeps its own
    /// typed trace of every exchange turns it off, so millions of requests do not also
    /// cost millions of log entries; indexes do not advance while it is off.
    pub fn set_request_log(&mut self, enabled: bool) {
        self.forget_answers();
        self.log_requests = enabled;
    }

    /// The manifest `repository:reference` names (a tag, or a digest linked into the
    /// repository), read straight from the store: no request, no fault rule, no access
    /// check, no log entry. For in-process callers that need content outside the protocol,
    /// such as images loaded onto a simulated node before it starts.
    pub fn stored_manifest(
        &mut self,
        repository: &str,
        reference: &str,
    ) -> Option<(Digest, Bytes)> {
        let digest = if reference.contains(':') {
            let requested = Digest::parse(reference).ok()?;
            self.store.resolve(&requested)?
        } else {
            self.store
                .repository(repository)?
                .tags
                .get(reference)?
                .current
                .clone()?
        };
        let repo = self.store.repository(repository)?;
        if !repo.manifests.contains(&digest) {
            return None;
        }
        let content = self.store.get(&digest)?;
        content.manifest.as_ref()?;
        Some((digest, content.bytes.clone()))
    }

    /// Installs a trigger after the others; it fires once, after the n-th successful
    /// request that matches it. A tag move is checked now: its manifest must already be in
    /// the repository.
    pub fn add_trigger(&mut self, trigger: Trigger) -> Result<(), RegistryError> {
        self.forget_answers();
        match &trigger.action {
            TriggerAction::MoveTag {
                repository,
                tag,
                digest,
            } => {
                names::check_repository(repository)?;
                names::check_tag(tag)?;
                let linked = self
                    .store
                    .resolve(digest)
                    .zip(self.store.repository(repository))
                    .is_some_and(|(canonical, repo)| repo.manifests.contains(&canonical));
                if !linked {
                    return Err(RegistryError::ManifestUnknown {
                        repository: repository.clone(),
                        digest: digest.clone(),
                    });
                }
            }
        }
        self.triggers.add(trigger);
        Ok(())
    }

    /// The installed triggers with their counters.
    pub fn triggers(&self) -> &[InstalledTrigger] {
        self.triggers.list()
    }

    /// Empties content, tags, uploads, tokens, fault rules and the log; keeps the
    /// configuration, accounts and access rules. Log indexes keep counting.
    pub fn reset(&mut self) {
        self.forget_answers();
        self.store.clear();
        self.uploads.clear();
        self.tokens.clear();
        self.faults.clear();
        self.triggers.clear();
        self.log.clear();
    }

    /// Answers one request at virtual time `now`.
    /// A pull-through cache answers from its store only, as with its upstream unreachable
    /// (use [`Registry::begin`] to ask the upstream).
    pub fn handle(&mut self, request: &Request, now: SimTime) -> Response {
        if self.proxy.is_some() {
            self.expire_cached(now);
        }
        let (response, reads) = self.answer(request, now);
        if reads == Reads::Other {
            self.forget_answers();
        }
        response
    }

    /// Answers one request at virtual time `now` as [`Registry::handle`] does, byte for
    /// byte, sharing the answer: a read that was answered before and cannot be answered
    /// differently now (nothing changed since, no fault rule or trigger can match at `now`,
    /// the request log is off) gets the same answer again without being decided again.
    /// For in-process callers that send the same requests from many clients, such as the
    /// simulator's nodes; see `memo.rs` for exactly when an answer is reused.
    /// A pull-through cache keeps no answers (its content expires with time).
    pub fn handle_shared(&mut self, request: &Request, now: SimTime) -> Arc<Response> {
        if self.proxy.is_some() {
            return Arc::new(self.handle(request, now));
        }
        let quiet = self.is_quiet(now);
        if quiet && let Some(response) = self.memo.get(request) {
            return response;
        }
        let (response, reads) = self.answer(request, now);
        let response = Arc::new(response);
        match reads {
            Reads::Only if quiet => self.memo.insert(request, Arc::clone(&response)),
            Reads::Only => {}
            Reads::Other => self.forget_answers(),
        }
        response
    }

    /// Drops every answer `handle_shared` kept: every operation that can change what a read
    /// is answered calls it.
    pub(crate) fn forget_answers(&mut self) {
        self.memo.clear();
    }

    /// Whether answering a request at `now` would count or fire no fault rule or trigger
    /// and log nothing, so a read's answer depends on the request and the state alone.
    fn is_quiet(&self, now: SimTime) -> bool {
        !self.log_requests
            && self.faults.quiet_at(now)
            && self.triggers.quiet_at(now)
            && !self.access.rotates()
            && self.rate_limit.is_none()
    }

    /// `handle` without the memo: the answer, and whether the request was a read that
    /// changed nothing and depends on nothing but the state ([`Reads::Only`]).
    fn answer(&mut self, request: &Request, now: SimTime) -> (Response, Reads) {
        let target = route::parse(&request.target);
        if let Route::Control { rest } = &target.route {
            let mut response = self.control(request, &target, rest, now);
            if request.method == Method::Head {
                response.body = Bytes::new();
            }
            return (response, Reads::Other);
        }
        self.uploads.expire(now);
        let credentials = Credentials::from_headers(&request.headers);
        // A bearer token's validity depends on the time, so its answers are never reused.
        let reads = if matches!(request.method, Method::Get | Method::Head)
            && matches!(
                target.route,
                Route::Base | Route::Manifest { .. } | Route::Blob { .. }
            )
            && !matches!(credentials, Credentials::Bearer(_))
        {
            Reads::Only
        } else {
            Reads::Other
        };
        let mut caller = Caller {
            scheme: credentials.scheme(),
            user: None,
        };
        let facts = Facts {
            method: request.method.as_str(),
            path: &target.path,
            repository: target.route.repository(),
            client: &request.client,
            now,
        };
        let fault = self.faults.consult(&facts);
        let mut response = match fault {
            Some((
                _,
                Verdict::Status {
                    status,
                    retry_after,
                },
            )) => fault_response(status, retry_after, &target, &self.config, request),
            _ => self.dispatch(request, &target, &credentials, &mut caller, now),
        };
        if let Credentials::Basic { user, .. } = &credentials {
            caller.user.get_or_insert_with(|| user.clone());
        }
        let (name, value) = API_VERSION_HEADER;
        response.headers.append_static(name, value);
        match fault {
            Some((_, Verdict::Delay(delay))) => response.delivery.delay += delay,
            Some((_, Verdict::DropAfter(bytes))) => {
                response.delivery.drop_after_bytes = Some(bytes);
            }
            Some((_, Verdict::Corrupt)) => {
                response.body = corrupt(&response.body);
                if let Some(declared) = &mut response.delivery.declared_body {
                    declared.corrupted = true;
                }
            }
            _ => {}
        }
        if request.method == Method::Head {
            response.body = Bytes::new();
            response.delivery.declared_body = None;
        }
        for action in self.triggers.observe(&facts, response.status) {
            self.apply(action, now);
        }
        if !self.log_requests {
            return (response, reads);
        }
        let full_bytes = response
            .delivery
            .declared_body
            .map_or(response.body.len() as u64, |declared| declared.size_bytes);
        let body_bytes = match response.delivery.drop_after_bytes {
            Some(cut) => cut.min(full_bytes),
            None => full_bytes,
        };
        let merged_accept = request.headers.merged("accept");
        self.log.push(LogEntry {
            index: self.log.next_index(),
            time: now,
            client: request.client.to_string(),
            method: request.method.as_str().to_owned(),
            path: request.target.clone(),
            accept: (!merged_accept.is_empty()).then(|| merged_accept.join(", ")),
            range: request.headers.get("range").map(str::to_owned),
            auth_scheme: caller.scheme,
            auth_user: caller.user,
            status: response.status,
            body_bytes,
            digest: response
                .headers
                .get("docker-content-digest")
                .and_then(|text| Digest::parse(text).ok()),
            fault: fault.map(|(id, _)| id),
        });
        (response, reads)
    }

    /// Routes a request that no status fault answered.
    fn dispatch(
        &mut self,
        request: &Request,
        target: &Target,
        credentials: &Credentials,
        caller: &mut Caller,
        now: SimTime,
    ) -> Response {
        let method = &request.method;
        let route = &target.route;
        if let Some(name) = route.repository()
            && self.store.repository(name).is_none()
            && !names::is_repository(name)
        {
            return ApiError::new(ErrorCode::NameInvalid)
                .detail(json!({"name": name}))
                .into_response();
        }
        let action = match (route, method) {
            (Route::Manifest { .. } | Route::Blob { .. }, Method::Get | Method::Head)
            | (Route::TagsList { .. }, Method::Get) => Some(Action::Pull),
            (Route::Manifest { .. }, Method::Put)
            | (Route::UploadStart { .. }, Method::Post)
            | (Route::Upload { .. }, Method::Get | Method::Patch | Method::Put | Method::Delete) => {
                Some(Action::Push)
            }
            _ => None,
        };
        if let (Some(action), Some(name)) = (action, route.repository())
            && let Err(response) = self.authorize(request, credentials, caller, name, action, now)
        {
            return response;
        }
        match (route, method) {
            (Route::Base, Method::Get | Method::Head) => {
                self.base(request, credentials, caller, now)
            }
            (Route::Catalog, Method::Get) => self.catalog_list(target, credentials, caller, now),
            (Route::TagsList { name }, Method::Get) => self.tags_list(name, target),
            (Route::Manifest { name, reference }, Method::Get | Method::Head) => {
                self.limited_manifest(name, reference, request, caller.user.as_deref(), now)
            }
            (Route::Blob { name, digest }, Method::Get | Method::Head) => {
                self.get_blob(name, digest, request)
            }
            (Route::Manifest { name, reference }, Method::Put) => {
                self.put_manifest(name, reference, request, now)
            }
            (Route::UploadStart { name }, Method::Post) => {
                self.start_upload(name, target, request, credentials, now)
            }
            (Route::Upload { name, id }, _) if action.is_some() => {
                self.upload(name, id, target, request, now)
            }
            (Route::Token, _) => self.token_endpoint(request, target, now),
            (Route::Malformed, _) => ApiError::new(ErrorCode::NameInvalid)
                .detail(json!({"path": request.target}))
                .into_response(),
            (Route::NotFound, _) => ApiError::new(ErrorCode::Unsupported)
                .message("no such endpoint")
                .detail(json!({"path": target.path}))
                .status(404)
                .into_response(),
            _ => {
                let mut response = ApiError::new(ErrorCode::Unsupported).into_response();
                response.headers.append("Allow", allowed_methods(route));
                response
            }
        }
    }
}

impl Registry {
    /// Carries out a trigger's action. The move was checked when the trigger was added; if
    /// the content has since been reset away, the move is dropped, since a protocol request
    /// must not fail because of it.
    fn apply(&mut self, action: TriggerAction, now: SimTime) {
        match action {
            TriggerAction::MoveTag {
                repository,
                tag,
                digest,
            } => {
                let _ = self.move_tag(&repository, &tag, &digest, now);
            }
        }
    }
}

/// The answer of a status fault: the code that status means for this route, with a
/// `Retry-After` when given and the auth challenge for 401.
fn fault_response(
    status: u16,
    retry_after: Option<Duration>,
    target: &Target,
    config: &RegistryConfig,
    request: &Request,
) -> Response {
    let code = match (status, &target.route) {
        (401, _) => ErrorCode::Unauthorized,
        (403, _) => ErrorCode::Denied,
        (404, Route::Manifest { .. }) => ErrorCode::ManifestUnknown,
        (404, Route::Blob { .. }) => ErrorCode::BlobUnknown,
        (404, Route::Upload { .. }) => ErrorCode::BlobUploadUnknown,
        (404, _) => ErrorCode::NameUnknown,
        (429, _) => ErrorCode::TooManyRequests,
        (502 | 503, _) => ErrorCode::Unavailable,
        _ => ErrorCode::Unknown,
    };
    let mut response = ApiError::new(code).status(status).into_response();
    if let Some(after) = retry_after {
        let seconds = after.as_secs() + u64::from(after.subsec_nanos() > 0);
        response.headers.append("Retry-After", seconds.to_string());
    }
    if status == 401 {
        let scope = target.route.repository().map(|name| (name, Action::Pull));
        let answer = challenge(config, request, scope, false, false);
        if let Some(value) = answer.headers.get("www-authenticate") {
            response.headers.append("WWW-Authenticate", value);
        }
    }
    response
}

/// The body with bytes flipped so no digest of it matches; same length.
fn corrupt(body: &Bytes) -> Bytes {
    if body.is_empty() {
        return body.clone();
    }
    let mut bytes = body.to_vec();
    let middle = bytes.len() / 2;
    for index in [0, middle, bytes.len() - 1] {
        bytes[index] ^= 0xff;
    }
    Bytes::from(bytes)
}

/// The `Allow` header of a route, for 405 answers.
fn allowed_methods(route: &Route) -> &'static str {
    match route {
        Route::Base => "GET, HEAD",
        Route::Catalog | Route::TagsList { .. } => "GET",
        Route::Manifest { .. } => "GET, HEAD, PUT",
        Route::Blob { .. } => "GET, HEAD",
        Route::UploadStart { .. } => "POST",
        Route::Upload { .. } => "GET, PATCH, PUT, DELETE",
        _ => "GET",
    }
}
