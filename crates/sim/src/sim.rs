//! [`Sim`]: the world (registries, nodes, API objects, interned digests, parsed
//! manifests) and the builder API a scenario runner calls. The cluster's behaviour lives
//! in the folders named after its parts (`apiserver`, `kubelet`, `containerd`, `network`)
//! and the event loop in `engine`; they extend `Sim` with methods because every part acts
//! on the one world. Each part's state is its own type, which `Sim`'s methods delegate to:
//! the API server (`Sim.api`), and per node the kubelet (`Node.kubelet`) and containerd
//! (`Node.containerd`), which talk only through the CRI types of `cri.rs`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bytes::Bytes;
use pullsim_model::credentials::select_node_config;
use pullsim_model::{Digest, Secret, SimTime, parse_docker_ref};
use pullsim_registry::{Registry, TokenKey};

use crate::api::{Pod, ServiceAccount, Workload};
use crate::apiserver::ApiServer;
use crate::apiserver::watch::ApiChange;
use crate::apiserver::workloads::WorkloadRecord;
use crate::config::{NodePool, SimConfig, TraceLevel};
use crate::containerd::Containerd;
use crate::containerd::manifest::Manifest;
use crate::containerd::resolver::Exchange;
use crate::containerd::runtime::RuntimePull;
use crate::cri::ImageRecord;
use crate::engine::{Event, EventQueue, SimRng, Slab};
use crate::error::SimError;
use crate::kubelet::{Kubelet, KubeletPull};
use crate::metrics::{Metrics, MetricsRecorder};
use crate::network::LinkState;
use crate::timeline::Action;
use crate::trace::{DigestId, HostId, NodeId, TraceEvent, TraceRecord, WorkloadId};

/// One registry host.
#[derive(Debug)]
pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) registry: Registry,
    /// Windows in which the host cannot be reached at all (connection refused).
    pub(crate) unreachable: Vec<(SimTime, SimTime)>,
    /// The windows of `unreachable` in which packets are dropped (a dial times out) rather
    /// than refused.
    pub(crate) dropped: Vec<(SimTime, SimTime)>,
    /// What the host is to the nodes (origin unless a mirror, cache or peer makes it more).
    pub(crate) source: crate::sources::Source,
}

/// One node: its identity and links, and the two processes that pull on it, which talk
/// only through the CRI boundary (`cri.rs`).
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) name: String,
    /// The name again, shared by every request the node sends (their client) instead of
    /// copied into each.
    pub(crate) client: Arc<str>,
    /// The pool's egress address, shared by every request the node sends; `None`: the
    /// node's name is its address.
    pub(crate) address: Option<Arc<str>>,
    pub(crate) pool: usize,
    pub(crate) labels: BTreeMap<String, String>,
    /// Links by host id (grown as hosts are used).
    pub(crate) links: Vec<LinkState>,
    /// The kubelet's state (`kubelet/node.rs`).
    pub(crate) kubelet: Kubelet,
    /// containerd's state (`containerd/node.rs`).
    pub(crate) containerd: Containerd,
}

/// A pre-pulled image as loaded onto a new node: its names in the image store, its
/// record, and the blobs and manifests it puts in the content store.
type Prepulled = (Vec<String>, ImageRecord, Vec<DigestId>);

/// A deterministic simulation of Kubernetes nodes pulling images from registries.
///
/// Build the world with [`Sim::add_registry`], [`Sim::add_node_pool`], [`Sim::add_secret`],
/// [`Sim::add_service_account`], then create pods ([`Sim::create_pod`], [`Sim::add_workload`])
/// and timeline actions ([`Sim::schedule`]), and run it ([`Sim::run_until`],
/// [`Sim::run_until_idle`], [`Sim::step`]). Read the [`Sim::trace`] and [`Sim::metrics`].
#[derive(Debug)]
pub struct Sim {
    pub(crate) config: SimConfig,
    pub(crate) now: SimTime,
    pub(crate) queue: EventQueue<Event>,
    pub(crate) rng: SimRng,
    pub(crate) events_processed: u64,
    /// The API server: pods, names, Secrets, ServiceAccounts, workloads, and its watch.
    pub(crate) api: ApiServer,
    pub(crate) hosts: Vec<Host>,
    pub(crate) pools: Vec<NodePool>,
    pub(crate) nodes: Vec<Node>,
    /// Reused to print an image's `name@digest` while a finished pull records it.
    pub(crate) image_name: String,
    /// Host walks per (pool, registry), built on first use (pools with a hosts directory only).
    pub(crate) host_walks: BTreeMap<(usize, String), Arc<crate::containerd::hosts::HostWalk>>,
    pub(crate) digest_ids: BTreeMap<Digest, DigestId>,
    pub(crate) digests: Vec<Digest>,
    /// Digest ids by a text that parsed to them (see [`Sim::intern_text`]).
    pub(crate) digest_ids_by_text: BTreeMap<String, DigestId>,
    /// Each digest's text, printed once.
    pub(crate) digest_texts: Vec<String>,
    /// Parsed manifests by digest id.
    pub(crate) manifests: Vec<Option<Arc<Manifest>>>,
    pub(crate) kubelet_pulls: Slab<KubeletPull>,
    pub(crate) runtime_pulls: Slab<RuntimePull>,
    pub(crate) exchanges: Slab<Exchange>,
    pub(crate) trace: Vec<TraceRecord>,
    pub(crate) metrics: MetricsRecorder,
    pub(crate) memo: crate::memo::Memo,
    /// Credential-provider plugins and their work in flight; `None` in a world without.
    pub(crate) plugins: Option<Box<crate::plugins::Plugins>>,
    /// The pods' stored pull errors and waiting messages, each distinct text once.
    pub(crate) shared_texts: crate::kubelet::SharedTexts,
    /// The container states a status write changes, kept between writes (empty there) so
    /// that a write allocates no list of its own.
    pub(crate) status_changes: Vec<crate::kubelet::StatusChange>,
    /// Timeline actions (pod and workload creations included) queued but not yet applied.
    pub(crate) actions_pending: u64,
}

impl Sim {
    /// An empty world with these settings.
    pub fn new(config: SimConfig) -> Sim {
        let rng = SimRng::new(config.seed);
        Sim {
            config,
            now: SimTime::EPOCH,
            queue: EventQueue::new(),
            rng,
            events_processed: 0,
            api: ApiServer::default(),
            hosts: Vec::new(),
            pools: Vec::new(),
            nodes: Vec::new(),
            image_name: String::new(),
            host_walks: BTreeMap::new(),
            digest_ids: BTreeMap::new(),
            digests: Vec::new(),
            digest_ids_by_text: BTreeMap::new(),
            digest_texts: Vec::new(),
            manifests: Vec::new(),
            kubelet_pulls: Slab::default(),
            runtime_pulls: Slab::default(),
            exchanges: Slab::default(),
            trace: Vec::new(),
            metrics: MetricsRecorder::default(),
            memo: crate::memo::Memo::default(),
            plugins: None,
            shared_texts: crate::kubelet::SharedTexts::default(),
            status_changes: Vec::new(),
            actions_pending: 0,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The current virtual time.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events have been processed.
    pub fn events_processed(&self) -> u64 {
        self.events_processed
    }

    /// Adds a registry under its host name (`registry.example.com`, `localhost:5000`,
    /// `docker.io`). Its own request log is turned off: the trace records every exchange.
    /// It signs its tokens with a key derived from the seed and `host`, so tokens differ
    /// between registries and seeds but not between runs.
    pub fn add_registry(&mut self, host: &str, mut registry: Registry) -> Result<HostId, SimError> {
        if self.hosts.iter().any(|h| h.name == host) {
            return Err(SimError::DuplicateHost(host.to_owned()));
        }
        registry.set_request_log(false);
        registry.set_token_key(TokenKey::derive(self.config.seed, host));
        self.hosts.push(Host {
            name: host.to_owned(),
            registry,
            unreachable: Vec::new(),
            dropped: Vec::new(),
            source: crate::sources::Source::Origin,
        });
        Ok(HostId((self.hosts.len() - 1) as u16))
    }

    /// The registry of `host`, to inspect it (tags, history) or change it directly.
    pub fn registry_mut(&mut self, host: &str) -> Option<&mut Registry> {
        self.hosts
            .iter_mut()
            .find(|h| h.name == host)
            .map(|h| &mut h.registry)
    }

    /// Adds a pool of nodes at the current time. The kubelet configuration is defaulted and
    /// validated (an invalid one is an error: that kubelet would not start), node config
    /// files are read in the kubelet's order, and pre-pulled images are loaded from the
    /// registries' current content.
    pub fn add_node_pool(&mut self, pool: NodePool) -> Result<Vec<NodeId>, SimError> {
        if self.pools.iter().any(|p| p.name == pool.name) {
            return Err(SimError::DuplicatePool(pool.name));
        }
        let settings = pool.kubelet.pull.with_defaults();
        settings
            .validate()
            .map_err(|error| SimError::KubeletConfig {
                pool: pool.name.clone(),
                error,
            })?;
        self.check_plugins(&pool)?;
        let count = pool.count;
        self.pools.push(pool);
        let index = self.pools.len() - 1;
        self.add_nodes(index, count)
    }

    /// Creates `count` more nodes in pool `pool`.
    pub(crate) fn add_nodes(&mut self, pool: usize, count: u32) -> Result<Vec<NodeId>, SimError> {
        let spec = self.pools[pool].clone();
        let existing = self.nodes.iter().filter(|n| n.pool == pool).count();
        let (node_keyring, _) = select_node_config(&spec.node_config_files).keyring();
        let prepulled = self.resolve_prepulled(&spec)?;
        let egress: Option<Arc<str>> = spec.egress.as_deref().map(Arc::from);
        let mut ids = Vec::with_capacity(count as usize);
        for offset in 0..count as usize {
            let index = u32::try_from(existing + offset).unwrap_or(u32::MAX);
            let name = spec.node_name(index);
            let labels = spec.node_labels(index);
            let mut node = Node {
                client: Arc::from(name.as_str()),
                address: egress.clone(),
                name,
                pool,
                labels,
                links: Vec::new(),
                kubelet: Kubelet::new(&spec.kubelet, node_keyring.clone()),
                containerd: Containerd::new(self.config.platforms_version.only(&spec.platform)),
            };
            node.kubelet.providers = self.node_providers(&spec.kubelet.credential_providers);
            for (names, record, blobs) in &prepulled {
                node.containerd.load(names, *record, blobs);
            }
            self.nodes.push(node);
            let id = NodeId((self.nodes.len() - 1) as u32);
            for (names, record, _) in &prepulled {
                for name in names {
                    self.image_recorded(id, name, record.size_bytes);
                }
            }
            self.node_load_changed(id, None);
            self.publish(ApiChange::NodeAdded { node: id });
            ids.push(id);
        }
        if !self.api.unschedulable.is_empty() {
            let waiting = std::mem::take(&mut self.api.unschedulable);
            for pod in waiting {
                self.schedule_pod(pod);
            }
        }
        Ok(ids)
    }

    /// Loads each pre-pulled image of a pool: resolved through the stored content of its
    /// registry (no request is made: the image came by other means), the platform chosen as
    /// containerd would. Returns the image's names, record and content.
    fn resolve_prepulled(&mut self, spec: &NodePool) -> Result<Vec<Prepulled>, SimError> {
        let matcher = self.config.platforms_version.only(&spec.platform);
        let mut out = Vec::new();
        for image in &spec.prepulled {
            let fail = |reason: String| SimError::Prepulled {
                pool: spec.name.clone(),
                image: image.clone(),
                reason,
            };
            let reference = parse_docker_ref(image).map_err(|err| fail(err.to_string()))?;
            let host = self
                .host_for_domain(reference.domain())
                .ok_or_else(|| fail(format!("no registry host {:?}", reference.domain())))?;
            let lookup = reference
                .digest()
                .map(ToString::to_string)
                .or_else(|| reference.tag().map(str::to_owned))
                .unwrap_or_default();
            let path = reference.path().to_owned();
            let (top, bytes) = self.hosts[host.0 as usize]
                .registry
                .stored_manifest(&path, &lookup)
                .ok_or_else(|| fail("not found in its registry".to_owned()))?;
            let top_id = self.intern(top);
            let mut blobs = vec![top_id];
            let mut manifest = self.parse_manifest(top_id, &bytes).map_err(fail)?;
            let mut size_bytes = bytes.len() as u64;
            let mut image_manifest = top_id;
            if let Manifest::Index { children } = manifest.as_ref() {
                let chosen = matcher
                    .choose(children, |child| child.0.as_ref())
                    .map_err(|err| fail(err.to_string()))?;
                let (_, child, _) = children[chosen].clone();
                let child_digest = self.digest_text(child).to_owned();
                let (_, child_bytes) = self.hosts[host.0 as usize]
                    .registry
                    .stored_manifest(&path, &child_digest)
                    .ok_or_else(|| fail("child manifest not found".to_owned()))?;
                size_bytes += child_bytes.len() as u64;
                blobs.push(child);
                image_manifest = child;
                manifest = self.parse_manifest(child, &child_bytes).map_err(fail)?;
            }
            let Manifest::Image { config, layers } = manifest.as_ref() else {
                return Err(fail("an index inside an index".to_owned()));
            };
            blobs.push(config.0);
            size_bytes += config.1;
            for (layer, size) in layers {
                blobs.push(*layer);
                size_bytes += size;
            }
            let name = reference.name();
            let mut names = vec![format!("{name}@{}", self.digests[top_id.0 as usize])];
            if let Some(tag) = reference.tag() {
                names.push(format!("{name}:{tag}"));
            }
            let record = ImageRecord {
                image_id: config.0,
                digest: top_id,
                manifest: image_manifest,
                size_bytes,
            };
            out.push((names, record, blobs));
        }
        Ok(out)
    }

    /// Adds (or replaces) a Secret now. A Secret without a UID gets a deterministic one.
    pub fn add_secret(&mut self, mut secret: Secret) {
        if secret.uid.is_none() {
            secret.uid = match self.api.secrets.get(&secret.namespace, &secret.name) {
                Some(existing) => existing.uid.clone(),
                None => {
                    self.api.secret_uids_issued += 1;
                    Some(format!("secret-uid-{}", self.api.secret_uids_issued))
                }
            };
        }
        let (namespace, name) = (secret.namespace.clone(), secret.name.clone());
        self.api.secrets.insert(&namespace, &name, secret);
        self.api.secrets_version += 1;
    }

    /// Adds (or replaces) a ServiceAccount now.
    pub fn add_service_account(&mut self, account: ServiceAccount) {
        let (namespace, name) = (account.namespace.clone(), account.name.clone());
        self.api.service_accounts.insert(&namespace, &name, account);
    }

    /// Creates `pod` at `at` (admission, then scheduling, then the node's kubelet).
    pub fn create_pod(&mut self, at: SimTime, pod: Pod) {
        self.schedule(at, Action::CreatePod(pod));
    }

    /// Deletes the pod `namespace/name` at `at`.
    pub fn delete_pod(&mut self, at: SimTime, namespace: &str, name: &str) {
        self.schedule(
            at,
            Action::DeletePod {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            },
        );
    }

    /// Adds a workload whose replicas are created at `at`.
    pub fn add_workload(&mut self, at: SimTime, workload: Workload) -> WorkloadId {
        let id = WorkloadId(self.api.workloads.len() as u32);
        // The nodes its replicas go to are those that match when the replicas are created
        // (nodes added before then included), chosen in `create_replicas`.
        let nodes = Vec::new();
        let mut spec = workload.template.spec.clone();
        crate::apiserver::admission::default_policies(&mut spec);
        self.api.workloads.push(WorkloadRecord {
            workload,
            template_spec: Arc::new(spec),
            pinned: false,
            nodes,
        });
        self.metrics.workload_added(id);
        self.schedule(at, Action::CreateReplicas(id));
        id
    }

    /// Creates the workload object at `at`, or, when one of the same kind, namespace and
    /// name exists then, gives it this spec (`kubectl apply`).
    pub fn apply_object(&mut self, at: SimTime, object: crate::controllers::WorkloadObject) {
        self.schedule(at, Action::Apply(object));
    }

    /// Whether every pod that exists (created, not deleted) has every regular container
    /// running or has finished (Succeeded or Failed), and every workload controller is
    /// settled (no sync queued, no pods it still means to create).
    pub fn all_pods_running(&self) -> bool {
        self.all_pods_settled() && self.api.controllers.settled()
    }

    /// Whether every pod that exists is running or finished.
    pub(crate) fn all_pods_settled(&self) -> bool {
        self.api
            .pods
            .iter()
            .filter(|pod| !pod.state.deleted)
            .all(|pod| pod.state.running_reported || pod.state.terminal.is_some())
    }

    /// Records a trace event: metrics always see it (a pod's lifecycle they take from the
    /// watch instead, [`Sim::publish`]); the trace keeps it at its level.
    pub(crate) fn record(&mut self, event: TraceEvent) {
        self.metrics.observe_record(self.now, &event);
        if let TraceEvent::PullQueued { pod, .. } = event {
            self.controller_pull(pod);
        }
        let keep = match self.config.trace_level {
            TraceLevel::Off => false,
            TraceLevel::Events => !matches!(event, TraceEvent::Registry { .. }),
            TraceLevel::Full => true,
        };
        if keep {
            self.trace.push(TraceRecord {
                time: self.now,
                event,
            });
        }
    }

    /// Whether registry exchanges are kept in the trace.
    pub(crate) fn keeps_exchanges(&self) -> bool {
        self.config.trace_level == TraceLevel::Full
    }

    /// Whether records that feed no metric (Kubernetes events, pulls queued) are kept, so
    /// they are worth building.
    pub(crate) fn keeps_events(&self) -> bool {
        self.config.trace_level != TraceLevel::Off
    }

    /// The trace kept so far.
    pub fn trace(&self) -> &[TraceRecord] {
        &self.trace
    }

    /// The metrics so far.
    pub fn metrics(&self) -> Metrics {
        self.metrics.snapshot(self)
    }

    /// The id of a digest, interning it.
    pub(crate) fn intern(&mut self, digest: Digest) -> DigestId {
        if let Some(id) = self.digest_ids.get(&digest) {
            return *id;
        }
        let id = DigestId(self.digests.len() as u32);
        self.digest_texts.push(digest.to_string());
        self.digests.push(digest.clone());
        self.digest_ids.insert(digest, id);
        id
    }

    /// The id of the digest `text` parses to, interning it, or `None` when it does not
    /// parse. A text seen before is looked up without parsing it again: every resolution
    /// reads a digest header, and a fleet resolves the same few digests over and over.
    pub(crate) fn intern_text(&mut self, text: &str) -> Option<DigestId> {
        if let Some(id) = self.digest_ids_by_text.get(text) {
            return Some(*id);
        }
        let id = self.intern(Digest::parse(text).ok()?);
        self.digest_ids_by_text.insert(text.to_owned(), id);
        Some(id)
    }

    /// The text of a digest (`sha256:...`).
    pub(crate) fn digest_text(&self, id: DigestId) -> &str {
        &self.digest_texts[id.0 as usize]
    }

    /// The digest behind an id.
    pub fn digest(&self, id: DigestId) -> &Digest {
        &self.digests[id.0 as usize]
    }

    /// Parses (once) the manifest with this digest.
    pub(crate) fn parse_manifest(
        &mut self,
        id: DigestId,
        bytes: &Bytes,
    ) -> Result<Arc<Manifest>, String> {
        if let Some(Some(parsed)) = self.manifests.get(id.0 as usize) {
            return Ok(Arc::clone(parsed));
        }
        let parsed =
            Manifest::parse(bytes, |digest| self.intern(digest)).map_err(|err| err.to_string())?;
        let parsed = Arc::new(parsed);
        let index = id.0 as usize;
        if self.manifests.len() <= index {
            self.manifests.resize(index + 1, None);
        }
        self.manifests[index] = Some(Arc::clone(&parsed));
        Ok(parsed)
    }

    /// The registry serving a reference's domain: the host of that name, and for
    /// `docker.io` also `registry-1.docker.io` (containerd's default mapping).
    pub(crate) fn host_for_domain(&self, domain: &str) -> Option<HostId> {
        let position = |name: &str| self.hosts.iter().position(|h| h.name == name);
        position(domain)
            .or_else(|| (domain == "docker.io").then(|| position("registry-1.docker.io"))?)
            .map(|index| HostId(index as u16))
    }

    /// What a host is to the nodes: the image's registry, a mirror, a cache or a peer.
    pub fn host_source(&self, host: HostId) -> crate::sources::Source {
        self.hosts[host.0 as usize].source
    }

    /// A host's name.
    pub fn host_name(&self, host: HostId) -> &str {
        &self.hosts[host.0 as usize].name
    }

    /// A node's name.
    pub fn node_name(&self, node: NodeId) -> &str {
        &self.nodes[node.0 as usize].name
    }

    /// A node by name.
    pub fn node_id(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|index| NodeId(index as u32))
    }

    /// A workload's name.
    pub fn workload_name(&self, workload: WorkloadId) -> &str {
        &self.api.workloads[workload.0 as usize].workload.name
    }

    /// The digest ids of the blobs and manifests in a node's content store.
    pub fn node_content(&self, node: NodeId) -> &BTreeSet<DigestId> {
        self.nodes[node.0 as usize].containerd.content()
    }
}
