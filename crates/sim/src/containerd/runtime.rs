//! The node's container runtime, modelled as containerd's CRI `PullImage` (docs/semantics.md §6,
//! 7): resolve the reference with `HEAD` (a digest reference is resolved too, and then
//! needs no tag), fetch the root manifest, choose one child of an index with the node's
//! platform matcher, fetch its config and layers with at most
//! `max_concurrent_downloads` at once, skipping whatever the content store already holds
//! and waiting for blobs another pull on the node is already fetching, then record the
//! image under its tag and digest names.
//!
//! Every failure becomes containerd's text, wrapped as the CRI wraps it. The call comes in
//! as a [`PullImageRequest`] and goes back as a [`PullImageAnswer`] (`crate::cri`); the
//! node's stores are [`Containerd`](crate::containerd::Containerd)'s.

use std::collections::VecDeque;
use std::sync::Arc;

use pullsim_model::hosts::Failure;
use pullsim_model::verification::RuntimeImage;
use pullsim_registry::{Headers, Method, Request, Response};

use crate::config::Link;
use crate::containerd::hosts::{HostWalk, dial_failure};
use crate::containerd::resolver::{
    AuthStep, Exchange, GrpcCode, MANIFEST_ACCEPT, Pending, Purpose, RuntimeError, USER_AGENT,
    connect_host, go_op, unexpected_status,
};
use crate::cri::{ImageRecord, PullCredential, PullImageAnswer, PullImageRequest};
use crate::engine::Key;
use crate::memo::{PullTarget, TargetShape};
use crate::sim::Sim;
use crate::trace::{DigestId, HostId, NodeId};

/// One CRI `PullImage` call in progress.
#[derive(Debug)]
pub(crate) struct RuntimePull {
    pub(crate) node: NodeId,
    /// The kubelet pull this attempt belongs to.
    pub(crate) owner: Key,
    /// The reference being pulled and its texts, shared by every pull of it.
    pub(crate) target: Arc<PullTarget>,
    pub(crate) host: HostId,
    /// The hosts every request walks (pools with a hosts directory); `None`: all to `host`.
    pub(crate) walk: Option<Arc<HostWalk>>,
    pub(crate) credential: Option<PullCredential>,
    /// The `Authorization` the authorizer adds to every request to the registry.
    pub(crate) auth: Option<String>,
    /// A Bearer handler exists for the host.
    pub(crate) bearer: bool,
    pub(crate) top: Option<DigestId>,
    pub(crate) config: Option<DigestId>,
    pub(crate) image_manifest: Option<DigestId>,
    /// The manifest this pull waits for, while it is not at the blob stage.
    pub(crate) manifest: Option<DigestId>,
    pub(crate) size_bytes: u64,
    pub(crate) queue: VecDeque<(DigestId, u64)>,
    pub(crate) fetching: u32,
    pub(crate) content_hits: u32,
    pub(crate) fetched: u32,
}

impl Sim {
    /// The link from a node to a host.
    pub(crate) fn link_of(&self, node: NodeId, host: HostId) -> Link {
        let node = &self.nodes[node.0 as usize];
        self.pools[node.pool].link_to(&self.hosts[host.0 as usize].name)
    }

    /// containerd receives a `PullImage` call: one pull of the request's target with its
    /// credential (or none), answered through [`Sim::runtime_pull_done`].
    pub(crate) fn start_runtime_pull(&mut self, request: PullImageRequest) {
        let PullImageRequest {
            node,
            owner,
            target,
            credential,
        } = request;
        let target = match target {
            Ok(target) => target,
            Err(text) => {
                self.runtime_pull_done(PullImageAnswer::failed(owner, text));
                return;
            }
        };
        let walk = self.host_walk(node, target.reference.domain());
        let reference = &target.reference;
        let first = walk.as_deref().and_then(HostWalk::first_registry);
        let Some(host) = first.or_else(|| self.host_for_domain(reference.domain())) else {
            let ref_text = target.ref_text();
            let domain = connect_host(reference.domain()).to_owned();
            let url = format!(
                "{}://{domain}{}",
                crate::containerd::resolver::scheme_of(&domain),
                target.resolve_target
            );
            let error = RuntimeError::unknown(format!(
                "failed to resolve reference {}: failed to do request: Head {}: dial tcp: lookup {}: no such host",
                pullsim_model::go_text::quote(ref_text),
                pullsim_model::go_text::quote(&url),
                domain.split(':').next().unwrap_or(&domain)
            ));
            self.runtime_pull_done(PullImageAnswer::failed(owner, error.kubelet_text(ref_text)));
            return;
        };
        let resolve_target = target.resolve_target.clone();
        let resolve_shape = target.resolve_shape;
        let pull = RuntimePull {
            node,
            owner,
            target,
            host,
            walk,
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
        self.send_for(
            id,
            Purpose::Resolve,
            Method::Head,
            (resolve_target, resolve_shape),
            (0, false, 0),
        );
    }

    /// Sends a request of pull `id` to its registry, with containerd's headers: `target`
    /// with its shape (see [`TargetShape`]).
    pub(crate) fn send_for(
        &mut self,
        id: Key,
        purpose: Purpose,
        method: Method,
        (target, shape): (String, TargetShape),
        (responses, after_401, hop): (u8, bool, u8),
    ) {
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        let Some((host, hop, target)) = self.request_host(id, &purpose, &method, hop, target)
        else {
            return;
        };
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let mut request = Request::new(
            method,
            target,
            Arc::clone(&self.nodes[node.0 as usize].client),
        );
        request
            .address
            .clone_from(&self.nodes[node.0 as usize].address);
        // At most four lines, room made once. Names given lower-cased: the same lines as
        // `append("Host", ..)` and so on, without looking each name up per request.
        request.headers = Headers::with_capacity(4);
        request
            .headers
            .append_lower("host", self.hosts[host.0 as usize].name.clone());
        request.headers.append_lower("user-agent", USER_AGENT);
        if shape.manifest_accept {
            request.headers.append_lower("accept", MANIFEST_ACCEPT);
        }
        if let Some(auth) = &pull.auth {
            request.headers.append_lower("authorization", auth.clone());
        }
        self.send(Exchange {
            pull: id,
            node,
            host,
            hop,
            purpose,
            kind: shape.kind,
            request,
            responses,
            after_401,
            response: None,
            dropped: false,
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
            let request = (&exchange.request.method, exchange.request.target.as_str());
            let failure = (exchange.hop, dial_failure(exchange.dropped));
            if self.try_next_host(pull_id, &exchange.purpose, request, failure) {
                return;
            }
            let url = self.url_of(exchange.host, &exchange.request.target);
            let host = connect_host(&self.hosts[exchange.host.0 as usize].name).to_owned();
            let port = if host.contains(':') { "" } else { ":443" };
            let text = format!(
                "failed to do request: {} {}: dial tcp {host}{port}: {}",
                go_op(&exchange.request.method),
                pullsim_model::go_text::quote(&url),
                if exchange.dropped {
                    "i/o timeout"
                } else {
                    "connect: connection refused"
                }
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
        // The target is taken from the exchange when it is removed (below), not copied:
        // the common answer (a body on its way) never needs it.
        let on_manifest = response.status == 405 && exchange.request.target.contains("/manifests/");
        let purpose = exchange.purpose.clone();
        let after_401 = exchange.after_401;
        let exchange_host = exchange.host;
        let exchange_hop = exchange.hop;
        if retryable {
            let resend = match response.status {
                401 => match self.authorize(pull_id, &response, after_401) {
                    AuthStep::Retry => Some(method.clone()),
                    AuthStep::FetchToken {
                        realm,
                        service,
                        scopes,
                    } => {
                        let target = self.take_target(id);
                        let pending = Pending {
                            purpose,
                            method,
                            target,
                            responses,
                            hop: exchange_hop,
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
                405 if method == Method::Head && on_manifest => Some(Method::Get),
                408 | 429 => Some(method.clone()),
                _ => None,
            };
            if let Some(method) = resend {
                let target = self.take_target(id);
                let shape = TargetShape::of(&target);
                self.send_for(
                    pull_id,
                    purpose,
                    method,
                    (target, shape),
                    (responses, response.status == 401, exchange_hop),
                );
                return;
            }
        }
        // The URL only appears in error texts, so a successful answer never builds it.
        match purpose {
            Purpose::Resolve => {
                let target = self.take_target(id);
                let failure = (exchange_hop, Failure::Status(response.status));
                let request = (&method, target.as_str());
                if !(200..300).contains(&response.status)
                    && self.try_next_host(pull_id, &purpose, request, failure)
                {
                    return;
                }
                self.resolved(pull_id, &method, exchange_host, &target, &response);
            }
            Purpose::Fetch(digest) => {
                if (200..300).contains(&response.status) {
                    self.start_body(id, pull_id, response);
                } else {
                    let target = self.take_target(id);
                    let failure = (exchange_hop, Failure::Status(response.status));
                    let request = (&method, target.as_str());
                    if self.try_next_host(pull_id, &purpose, request, failure) {
                        return;
                    }
                    let url = self.url_of(exchange_host, &target);
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

    /// Removes an exchange, keeping only its request's target.
    fn take_target(&mut self, id: Key) -> String {
        self.exchanges
            .remove(id)
            .map(|exchange| exchange.request.target)
            .unwrap_or_default()
    }

    /// A request failed before its final answer: resolution errors are wrapped as the
    /// resolver wraps them, fetch errors fail the content they were for. A token failure
    /// fails the request the token was for.
    pub(crate) fn fail_request(
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
                    pullsim_model::go_text::quote(pull.target.ref_text())
                );
                self.fail_pull(id, RuntimeError::unknown(text));
            }
        }
    }

    /// Resolution's final answer.
    pub(crate) fn resolved(
        &mut self,
        id: Key,
        method: &Method,
        host: HostId,
        target: &str,
        response: &Response,
    ) {
        if self.runtime_pulls.get(id).is_none() {
            return;
        }
        if (200..300).contains(&response.status) {
            let top = response
                .headers
                .get("docker-content-digest")
                .and_then(|text| self.intern_text(text));
            let Some(top) = top else {
                let Some(pull) = self.runtime_pulls.get(id) else {
                    return;
                };
                let quoted = pullsim_model::go_text::quote(pull.target.ref_text());
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
            if let Some(pull) = self.runtime_pulls.get_mut(id) {
                pull.top = Some(top);
            }
            self.need_manifest(id, top, size);
            return;
        }
        let Some(pull) = self.runtime_pulls.get(id) else {
            return;
        };
        let (code, inner) = if response.status == 404 {
            (
                GrpcCode::NotFound,
                format!("{}: not found", pull.target.ref_text()),
            )
        } else {
            (
                GrpcCode::Unknown,
                unexpected_status(method, &self.url_of(host, target), response.status),
            )
        };
        let quoted = pullsim_model::go_text::quote(pull.target.ref_text());
        let text = format!("failed to resolve reference {quoted}: {inner}");
        self.fail_pull(id, RuntimeError { code, text });
    }

    /// Everything is in the store: the image is recorded under its names.
    pub(crate) fn finish_pull(&mut self, id: Key) {
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
        let containerd = &mut self.nodes[pull.node.0 as usize].containerd;
        // A tag that already names this very image (an `Always` pull of an unchanged
        // digest) needs no new names: both were written together.
        let target = &pull.target;
        let unchanged = target
            .store_name()
            .is_some_and(|name| containerd.names(name, &record));
        if !unchanged {
            // The `name@digest` key is printed into a reused buffer, and a name the store
            // already has is overwritten in place: most pulls fetch a digest the node held
            // before, and each new key was an allocation.
            let mut digest_name = std::mem::take(&mut self.image_name);
            digest_name.clear();
            for part in [&target.name, "@", &self.digest_texts[top.0 as usize]] {
                digest_name.push_str(part);
            }
            containerd.record_image(&digest_name, record);
            if let Some(tag_name) = &target.tag_name {
                containerd.record_image(tag_name, record);
            }
            self.image_recorded(pull.node, &digest_name, record.size_bytes);
            if let Some(tag_name) = &pull.target.tag_name {
                self.image_recorded(pull.node, tag_name, record.size_bytes);
            }
            self.image_name = digest_name;
        }
        self.runtime_pull_done(PullImageAnswer {
            owner: pull.owner,
            image: Ok(record),
            content_hits: pull.content_hits,
            fetched: pull.fetched,
        });
    }

    /// The pull failed: its requests and transfers stop, and the kubelet gets the error.
    pub(crate) fn fail_pull(&mut self, id: Key, error: RuntimeError) {
        let Some(pull) = self.runtime_pulls.remove(id) else {
            return;
        };
        self.drop_exchanges_of(pull.node, |owner| owner == id);
        for (digest, next) in self.nodes[pull.node.0 as usize].containerd.leave(id) {
            self.send_fetch(next, digest);
        }
        let text = error.kubelet_text_quoted(&pull.target.quoted_ref);
        self.runtime_pull_done(PullImageAnswer {
            owner: pull.owner,
            image: Err(text),
            content_hits: pull.content_hits,
            fetched: pull.fetched,
        });
    }

    /// Stops the body transfers of the pulls `owned` accepts on a node's links and drops
    /// their exchanges. Requests still on their way are dropped when they arrive back,
    /// since their pull is gone; only the node's own transfers are looked at, so a failure
    /// costs nothing proportional to the fleet.
    pub(crate) fn drop_exchanges_of(&mut self, node: NodeId, owned: impl Fn(Key) -> bool) {
        let now = self.now;
        let mut cancelled = Vec::new();
        for host_index in 0..self.nodes[node.0 as usize].links.len() {
            let host = HostId(host_index as u16);
            let Some(bandwidth) = self.link_of(node, host).bandwidth_bytes_per_sec else {
                continue;
            };
            let exchanges = &self.exchanges;
            let state = &mut self.nodes[node.0 as usize].links[host_index];
            let next = state.cancel(now, bandwidth, |owner| {
                let mine = exchanges.get(owner).is_some_and(|e| owned(e.pull));
                if mine {
                    cancelled.push(owner);
                }
                mine
            });
            let version = state.version;
            self.schedule_link_check(node, host, next, version);
        }
        for id in cancelled {
            self.exchanges.remove(id);
        }
    }

    /// A kubelet restart cancels every pull of its node (the CRI calls' contexts end):
    /// their requests and transfers stop and the fetches they waited for are forgotten.
    pub(crate) fn cancel_runtime_pulls(&mut self, node: NodeId) {
        let pulls = self.runtime_pulls.ids_where(|p| p.node == node);
        self.drop_exchanges_of(node, |owner| pulls.contains(&owner));
        for id in pulls {
            self.runtime_pulls.remove(id);
        }
        self.nodes[node.0 as usize].containerd.forget_fetches();
    }

    /// `ListImages` of a node's runtime, for the KEP-2535 start-up conversion.
    pub(crate) fn runtime_images(&self, node: NodeId) -> Vec<RuntimeImage> {
        self.nodes[node.0 as usize]
            .containerd
            .list_images(&self.digest_texts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{SimConfig, TraceLevel};
    use crate::cri::ImageStatusRequest;
    use crate::trace::TraceEvent;

    const IMAGE: &str = "registry.example.com/app:v1";

    /// A world with one registry holding `app:v1` and one node, and no pod: containerd is
    /// driven by CRI requests alone.
    fn world() -> Sim {
        crate::test_world::one_app_world(SimConfig {
            trace_level: TraceLevel::Full,
            ..SimConfig::default()
        })
    }

    /// Sends one `PullImage` of [`IMAGE`] with no kubelet pull behind it and runs until
    /// idle; returns the requests it made.
    fn pull_image(sim: &mut Sim) -> Vec<String> {
        let before = sim.trace().len();
        let target = sim.memo.image(IMAGE).pull_target.clone();
        sim.start_runtime_pull(PullImageRequest {
            node: NodeId(0),
            owner: Key::MAX,
            target,
            credential: None,
        });
        sim.run_until_idle().expect("no limit is hit");
        sim.trace()[before..]
            .iter()
            .filter_map(|record| match &record.event {
                TraceEvent::Registry { method, target, .. } => Some(format!(
                    "{method} {}",
                    target.split('/').nth(3).unwrap_or("")
                )),
                _ => None,
            })
            .collect()
    }

    fn status(sim: &Sim, image: &str) -> Option<ImageRecord> {
        sim.nodes[0]
            .containerd
            .image_status(ImageStatusRequest { image })
            .image
    }

    #[test]
    fn a_pull_request_records_the_image_under_its_tag_and_digest() {
        let mut sim = world();
        assert_eq!(status(&sim, IMAGE), None);
        let requests = pull_image(&mut sim);
        assert_eq!(
            requests,
            ["HEAD manifests", "GET manifests", "GET blobs", "GET blobs"],
            "resolve, the manifest, then its config and layer"
        );
        let record = status(&sim, IMAGE).expect("recorded under its tag");
        let by_digest = format!(
            "registry.example.com/app@{}",
            sim.digest_text(record.digest)
        );
        assert_eq!(status(&sim, &by_digest), Some(record));
        let content = sim.node_content(NodeId(0));
        assert!(content.contains(&record.digest) && content.contains(&record.image_id));
    }

    #[test]
    fn a_second_pull_request_finds_its_content_in_the_store() {
        let mut sim = world();
        pull_image(&mut sim);
        let first = status(&sim, IMAGE);
        assert_eq!(
            pull_image(&mut sim),
            ["HEAD manifests"],
            "only the resolution: the manifest, config and layer are held"
        );
        assert_eq!(status(&sim, IMAGE), first);
    }

    /// Statuses of the manifest GETs two nodes of a pool with `egress` make for one pull
    /// each, against a registry allowing one pull per address.
    fn manifest_gets_of_two_nodes(egress: Option<&str>) -> Vec<u16> {
        use pullsim_registry::{Catalog, ImageSpec, RateLimit, Registry, RegistryConfig};
        let mut sim = Sim::new(SimConfig {
            trace_level: TraceLevel::Full,
            ..SimConfig::default()
        });
        let mut registry = Registry::new(RegistryConfig::default());
        let catalog = Catalog {
            images: vec![ImageSpec::new("app", "v1")],
            rate_limit: Some(RateLimit {
                limit: 1,
                ..RateLimit::default()
            }),
            ..Catalog::default()
        };
        registry
            .load(&catalog, pullsim_model::SimTime::EPOCH)
            .unwrap();
        sim.add_registry("registry.example.com", registry).unwrap();
        sim.add_node_pool(crate::config::NodePool {
            default_link: Link::INSTANT,
            egress: egress.map(str::to_owned),
            ..crate::config::NodePool::new("node", 2)
        })
        .unwrap();
        for node in 0..2 {
            let target = sim.memo.image(IMAGE).pull_target.clone();
            sim.start_runtime_pull(PullImageRequest {
                node: NodeId(node),
                owner: Key::MAX,
                target,
                credential: None,
            });
            sim.run_until_idle().expect("no limit is hit");
        }
        sim.trace()
            .iter()
            .filter_map(|record| match &record.event {
                TraceEvent::Registry {
                    method,
                    target,
                    status,
                    ..
                } if &**method == "GET" && target.contains("/manifests/") => Some(*status),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn nodes_behind_one_egress_share_a_rate_limit_and_nodes_without_one_do_not() {
        let shared = manifest_gets_of_two_nodes(Some("nat-a"));
        assert_eq!(shared.first(), Some(&200));
        assert!(
            shared[1..].iter().all(|status| *status == 429),
            "{shared:?}"
        );
        assert_eq!(manifest_gets_of_two_nodes(None), [200, 200]);
    }
}
