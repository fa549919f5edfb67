//! containerd's content store on a node, as a pull uses it (docs/semantics.md §6, 7): manifests
//! and blobs already held are not fetched again, content another pull on the node is
//! fetching is waited for rather than fetched twice, blob downloads of one pull run at
//! most `max_concurrent_downloads` at once, and every body crosses the node's link to the
//! registry and is checked against its digest before it is committed.

use std::sync::Arc;

use pullsim_model::{Digest, SimTime};
use pullsim_registry::{Method, Response};

use crate::containerd::ContentNeed;
use crate::containerd::manifest::Manifest;
use crate::containerd::resolver::{GrpcCode, Purpose, RuntimeError};
use crate::engine::{Event, Key};
use crate::sim::Sim;
use crate::trace::{DigestId, HostId, NodeId};

impl Sim {
    /// The pull needs manifest `digest` (the root, or the chosen child of an index).
    pub(crate) fn need_manifest(&mut self, id: Key, digest: DigestId, size: u64) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        pull.manifest = Some(digest);
        pull.size_bytes += size;
        self.need_content(id, digest);
    }

    /// Fetches `digest` for pull `id` unless the node has it or is already fetching it.
    pub(crate) fn need_content(&mut self, id: Key, digest: DigestId) {
        let Some(pull) = self.runtime_pulls.get_mut(id) else {
            return;
        };
        match self.nodes[pull.node.0 as usize].containerd.need(digest, id) {
            ContentNeed::Present => {
                pull.content_hits += 1;
                self.content_ready(id, digest);
            }
            ContentNeed::Joined => {}
            ContentNeed::Fetch => self.send_fetch(id, digest),
        }
    }

    pub(crate) fn send_fetch(&mut self, id: Key, digest: DigestId) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let is_manifest = pull.manifest == Some(digest);
        let kind = if is_manifest { "manifests" } else { "blobs" };
        // Built by concatenation: a fleet sends millions of these, and the formatting
        // machinery cost more than the copy.
        let digest_text = self.digest_text(digest);
        let repository = pull.target.repository();
        let mut target =
            String::with_capacity(4 + repository.len() + 1 + kind.len() + 1 + digest_text.len());
        for part in ["/v2/", repository, "/", kind, "/", digest_text] {
            target.push_str(part);
        }
        let shape = pull.target.fetch_shape(is_manifest);
        self.send_for(
            id,
            Purpose::Fetch(digest),
            Method::Get,
            (target, shape),
            (0, false, 0),
        );
    }

    /// A fetch answered 2xx: its body crosses the link.
    pub(crate) fn start_body(&mut self, exchange: Key, pull: Key, response: Arc<Response>) {
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
                self.schedule_link_check(node, host, Some(next), version);
            }
            _ => self.body_done(exchange),
        }
    }

    /// Looks at a link again at `next`, when its transfers change then; `version` is the
    /// link's state now, so a check made stale by a later change does nothing.
    pub(crate) fn schedule_link_check(
        &mut self,
        node: NodeId,
        host: HostId,
        next: Option<SimTime>,
        version: u32,
    ) {
        if let Some(next) = next {
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
        let next = state.complete(now, bandwidth, &mut done);
        let version = state.version;
        self.schedule_link_check(node, host, next, version);
        for exchange in done {
            self.body_done(exchange);
        }
    }

    /// A body arrived whole (or was cut): containerd checks it and commits it.
    pub(crate) fn body_done(&mut self, id: Key) {
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
        let intact = match response.delivery.declared_body {
            Some(declared) => !declared.corrupted,
            None => {
                self.memo
                    .body_matches(digest, &self.digests[digest.0 as usize], &response.body)
            }
        };
        if !intact {
            // Copied only here, for the error text: an intact body needs no copy.
            let expected = self.digests[digest.0 as usize].clone();
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
        let waiters = self.nodes[exchange.node.0 as usize]
            .containerd
            .commit(digest, pull);
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
    pub(crate) fn content_failed(&mut self, id: Key, digest: DigestId, error: RuntimeError) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        let next = self.nodes[node.0 as usize]
            .containerd
            .fetch_failed(digest, id);
        if let Some(next) = next {
            self.send_fetch(next, digest);
        }
        self.fail_pull(id, error);
    }

    /// Content the pull needed is in the store.
    pub(crate) fn content_ready(&mut self, id: Key, digest: DigestId) {
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
                    let matcher = &self.nodes[node.0 as usize].containerd.matcher;
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
    pub(crate) fn pump_fetches(&mut self, id: Key) {
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
}
