//! The glue between containerd's registry host rules (`pullsim_model::hosts`) and the
//! simulator's requests: for a pool with a hosts directory, every resolve and every fetch walks
//! the operation's host list in order (`hosts_for_operation(hosts_for(domain, dir), op)`),
//! moving to the next host after a failure `fallback` answers [`Fallback::NextHost`] for.
//!
//! A pool without `containerd.hosts` never reaches this file: its pulls carry no walk and send
//! every request to `RuntimePull.host`, as before.

use std::sync::Arc;
use std::time::Duration;

use pullsim_model::hosts::{
    DEFAULT_DIAL_TIMEOUT, Failure, Fallback, Operation, RegistryHost, fallback, hosts_for,
    hosts_for_operation,
};

use crate::containerd::resolver::Purpose;
use crate::engine::Key;
use crate::sim::Sim;
use crate::sources::Source;
use crate::trace::{HostId, NodeId};

/// What answers at one host of the list. Seam: a peer node (Spegel) will be one more kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Contact {
    /// A registry of the world.
    Registry(HostId),
    /// No host of the world has this name: the dial fails with `no such host`.
    Unknown(String),
}

/// One host of an operation's list, as the walk uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ResolvedHost {
    pub(crate) contact: Contact,
    /// Requests to it carry `?ns=<registry>` (it is not the image's registry).
    pub(crate) proxy: bool,
    /// How long a dial to it waits when its packets are dropped
    /// (`RegistryHost::effective_dial_timeout`: per host only from containerd 2.1).
    pub(crate) dial_timeout: Duration,
}

/// The two host lists of one registry for one pool, built once and shared by its pulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostWalk {
    /// The image's registry as written in the reference (`docker.io`).
    pub(crate) registry: String,
    pub(crate) resolve: Box<[ResolvedHost]>,
    pub(crate) fetch: Box<[ResolvedHost]>,
}

impl HostWalk {
    /// The list `purpose` walks.
    pub(crate) fn list(&self, purpose: &Purpose) -> &[ResolvedHost] {
        match operation_of(purpose) {
            Operation::Resolve => &self.resolve,
            Operation::Fetch => &self.fetch,
        }
    }

    /// The first registry of the resolve list (the pull's nominal host).
    pub(crate) fn first_registry(&self) -> Option<HostId> {
        self.resolve
            .iter()
            .chain(self.fetch.iter())
            .find_map(|h| match h.contact {
                Contact::Registry(id) => Some(id),
                Contact::Unknown(_) => None,
            })
    }
}

/// The host-list operation a request is for.
pub(crate) fn operation_of(purpose: &Purpose) -> Operation {
    match purpose {
        Purpose::Resolve => Operation::Resolve,
        Purpose::Token(pending) => operation_of(&pending.purpose),
        Purpose::Fetch(_) => Operation::Fetch,
    }
}

impl Sim {
    /// The walk for images of `domain` on `node`'s pool, `None` when the pool has no hosts
    /// directory. Built on first use per (pool, registry) and cached; hosts reached as
    /// mirrors are marked [`Source::Mirror`].
    pub(crate) fn host_walk(&mut self, node: NodeId, domain: &str) -> Option<Arc<HostWalk>> {
        let pool = self.nodes[node.0 as usize].pool;
        let directory = self.pools[pool].containerd.hosts.as_ref()?;
        let key = (pool, domain.to_owned());
        if let Some(walk) = self.host_walks.get(&key) {
            return Some(Arc::clone(walk));
        }
        let hosts = hosts_for(domain, directory);
        let resolve_list = |op| -> Box<[ResolvedHost]> {
            hosts_for_operation(&hosts, op)
                .iter()
                .map(|host| self.resolve_host(domain, host))
                .collect()
        };
        let walk = Arc::new(HostWalk {
            registry: domain.to_owned(),
            resolve: resolve_list(Operation::Resolve),
            fetch: resolve_list(Operation::Fetch),
        });
        for host in walk.resolve.iter().chain(walk.fetch.iter()) {
            if let (Contact::Registry(id), true) = (&host.contact, host.proxy) {
                self.hosts[id.0 as usize].source = Source::Mirror;
            }
        }
        self.host_walks.insert(key, Arc::clone(&walk));
        Some(walk)
    }

    fn resolve_host(&self, domain: &str, host: &RegistryHost) -> ResolvedHost {
        let position = |name: &str| self.hosts.iter().position(|h| h.name == name);
        // Docker Hub's registry may be declared under its image domain, `docker.io`.
        let index = position(&host.host).or_else(|| {
            (host.host == "registry-1.docker.io")
                .then(|| position("docker.io"))
                .flatten()
        });
        let contact = match index {
            Some(index) => Contact::Registry(HostId(index as u16)),
            None => Contact::Unknown(host.host.clone()),
        };
        ResolvedHost {
            contact,
            proxy: host.is_proxy_for(domain),
            dial_timeout: host.effective_dial_timeout(),
        }
    }

    /// The host a request of pull `id` goes to and its target: the pull's own host without a
    /// walk, else the walk's host at `hop` or after it (`None`: no host is left, and the
    /// request has failed with containerd's text).
    pub(crate) fn request_host(
        &mut self,
        id: Key,
        purpose: &Purpose,
        method: &pullsim_registry::Method,
        hop: u8,
        target: String,
    ) -> Option<(HostId, u8, String)> {
        let pull = self.runtime_pulls.get(id)?;
        let Some(walk) = &pull.walk else {
            return Some((pull.host, 0, target));
        };
        match walk_host(walk, purpose, method, hop, target) {
            Ok(found) => Some(found),
            Err(text) => {
                self.fail_request(id, purpose, text, false);
                None
            }
        }
    }

    /// The dial timeout of exchange `id`'s host: its walk entry's, else containerd's default
    /// dialer's 30 s.
    pub(crate) fn dial_timeout_of(&self, id: Key) -> Duration {
        let Some(exchange) = self.exchanges.get(id) else {
            return DEFAULT_DIAL_TIMEOUT;
        };
        let walk = self
            .runtime_pulls
            .get(exchange.pull)
            .and_then(|p| p.walk.as_ref());
        walk.and_then(|walk| walk.list(&exchange.purpose).get(exchange.hop as usize))
            .map_or(DEFAULT_DIAL_TIMEOUT, |host| host.dial_timeout)
    }

    /// After `failure` from the host at `hop`, sends the request to the next host of the
    /// pull's walk when containerd would; `false`: no walk, no next host, or containerd fails
    /// the operation here (the caller reports the error as before).
    pub(crate) fn try_next_host(
        &mut self,
        id: Key,
        purpose: &Purpose,
        (method, target): (&pullsim_registry::Method, &str),
        (hop, failure): (u8, Failure),
    ) -> bool {
        let Some(walk) = self.runtime_pulls.get(id).and_then(|p| p.walk.clone()) else {
            return false;
        };
        let next = hop as usize + 1;
        if next >= walk.list(purpose).len()
            || fallback(operation_of(purpose), &failure) != Fallback::NextHost
        {
            return false;
        }
        let purpose = match purpose {
            Purpose::Token(pending) => pending.purpose.clone(),
            other => other.clone(),
        };
        let target = base_target(target).to_owned();
        let shape = crate::memo::TargetShape::of(&target);
        self.send_for(
            id,
            purpose,
            method.clone(),
            (target, shape),
            (0, false, next as u8),
        );
        true
    }
}

/// The host at `hop` or the first registry after it (a name no host of the world has fails
/// its dial: the walk moves on), with the request's target for it (`?ns=<registry>` for a
/// host that is not the image's registry). `Err`: containerd's text when no host is left.
pub(crate) fn walk_host(
    walk: &HostWalk,
    purpose: &Purpose,
    method: &pullsim_registry::Method,
    hop: u8,
    target: String,
) -> Result<(HostId, u8, String), String> {
    let list = walk.list(purpose);
    if list.is_empty() {
        return Err(pullsim_model::hosts::NO_PULL_HOSTS.to_owned());
    }
    let mut unknown = None;
    for (at, host) in list.iter().enumerate().skip(hop as usize) {
        match &host.contact {
            Contact::Registry(id) => {
                let target = if host.proxy {
                    let mut with_ns = base_target(&target).to_owned();
                    let joiner = if with_ns.contains('?') { '&' } else { '?' };
                    with_ns.push(joiner);
                    with_ns.push_str("ns=");
                    with_ns.push_str(&walk.registry);
                    with_ns
                } else if target.contains("?ns=") {
                    base_target(&target).to_owned()
                } else {
                    target
                };
                return Ok((*id, at as u8, target));
            }
            Contact::Unknown(name) => unknown = Some(name),
        }
    }
    let name = unknown.map_or("", String::as_str);
    let url = format!(
        "{}://{name}{}",
        crate::containerd::resolver::scheme_of(name),
        base_target(&target)
    );
    Err(format!(
        "failed to do request: {} {}: dial tcp: lookup {}: no such host",
        crate::containerd::resolver::go_op(method),
        pullsim_model::go_text::quote(&url),
        name.split(':').next().unwrap_or(name)
    ))
}

/// How a dial that got no answer failed: its packets were dropped (a timeout) or refused.
pub(crate) fn dial_failure(dropped: bool) -> Failure {
    if dropped {
        Failure::DialTimeout
    } else {
        Failure::ConnectionRefused
    }
}

/// A request target without the `?ns=` a previous host's request carried.
pub(crate) fn base_target(target: &str) -> &str {
    target.find("?ns=").map_or(target, |at| &target[..at])
}
