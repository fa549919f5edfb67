//! Credential-provider plugins in the kubelet's credential lookup (docs/credential-providers.md,
//! docs/semantics.md §4.1): after the pod's secrets and the node's config files, every
//! provider whose `matchImages` match the image is asked, in config order, one after the
//! other (`externalCredentialProviderKeyring.Lookup` in kubernetes
//! `pkg/credentialprovider/plugin/plugins.go`): its cache first, else an exec of its plugin
//! that takes the plugin's latency in virtual time, so the `EnsureImageExists` call (and
//! the pod's sync) waits. Concurrent lookups with the same singleflight key on one node
//! wait for one exec; an exec ends at the latest at the 1-minute timeout; a failed exec is
//! logged (`Failed getting credential from external registry credential provider: ...`) and
//! gives no credentials, and the lookup goes on with the next provider. Every provider's
//! answer goes into one keyring (`plugin_keyring`), looked up after the others.
//!
//! Source: kubernetes `pkg/credentialprovider/plugin/plugin.go` (`pluginProvider.provide`,
//! `getCachedCredentials`, `execPlugin.ExecPlugin`, `runPlugin`) and
//! `pkg/kubelet/images/image_manager.go` (`makeLookupPullCredentialsFunc`: the lookup runs
//! once per `EnsureImageExists` call, and before the back-off check).

use std::collections::BTreeMap;
use std::sync::Arc;

use pullsim_model::credentials::provider::{
    CacheDecision, exec_error_text, plugin_keyring, service_account_cache_key, singleflight_key,
};
use pullsim_model::credentials::{DockerConfig, ServiceAccountRef};

use crate::api::ContainerRef;
use crate::engine::{Event, Key};
use crate::memo::Credentials;
use crate::plugins::{ExecOutcome, Flight, PluginLookup, PodServiceAccount};
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent};

/// How a provider in service-account-token mode treats a pod.
enum AccountUse {
    /// Not in that mode: no token, no service account.
    None,
    /// The pod's service account and token are sent.
    Send(PodServiceAccount),
    /// The provider is skipped for this pod (no credentials from it).
    Skip,
}

impl Sim {
    /// The credentials an `EnsureImageExists` call tries for `repo`: the pod's secrets and
    /// the node's config, then, on a node with credential providers, theirs. `None` while
    /// a plugin is being asked: the call waits and is made again when the lookup ends.
    pub(crate) fn lookup_credentials(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        node: NodeId,
        repo: &str,
    ) -> Option<Credentials> {
        let base = self.pod_credentials(pod, node, repo);
        if self.nodes[node.0 as usize].kubelet.providers.is_none() {
            return Some(base);
        }
        self.plugin_credentials(pod, container, node, repo, base)
    }

    /// [`Sim::lookup_credentials`] on a node known to have credential providers.
    #[inline(never)]
    pub(crate) fn lookup_with_providers(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        node: NodeId,
        repo: &str,
    ) -> Option<Credentials> {
        let base = self.pod_credentials(pod, node, repo);
        self.plugin_credentials(pod, container, node, repo, base)
    }

    /// [`Sim::lookup_credentials`] on a node with credential providers, after the secrets
    /// and the node's config gave `base`. Kept out of line: the pull path of a node
    /// without providers never comes here and must not grow for it.
    #[inline(never)]
    fn plugin_credentials(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        node: NodeId,
        repo: &str,
        base: Credentials,
    ) -> Option<Credentials> {
        if let Some(resolved) = self
            .plugins
            .as_mut()
            .and_then(|plugins| plugins.resolved.remove(&(pod, container)))
        {
            return Some(resolved);
        }
        if base.is_err() {
            // A pull secret that does not decode fails the keyring before any provider runs.
            return Some(base);
        }
        let lookup = PluginLookup {
            pod,
            container,
            node,
            generation: self.api.pods[pod.0 as usize].state.generation,
            repo: repo.to_owned(),
            base,
            next: 0,
            answers: Vec::new(),
        };
        let plugins = self.plugins.get_or_insert_with(Box::default);
        let id = plugins.lookups.insert(lookup);
        let done = self.advance_lookup(id)?;
        if let Some(plugins) = self.plugins.as_mut() {
            plugins.lookups.remove(id);
        }
        Some(done)
    }

    /// Asks the node's providers from the lookup's next one on: `Some` with every
    /// credential once all have answered, `None` while one is exec'ing (the lookup waits
    /// for the exec's end).
    fn advance_lookup(&mut self, id: Key) -> Option<Credentials> {
        loop {
            let plugins = self.plugins.as_ref()?;
            let lookup = plugins.lookups.get(id)?;
            let (pod, node, index) = (lookup.pod, lookup.node, lookup.next);
            let providers = self.nodes[node.0 as usize].kubelet.providers.as_ref()?;
            let Some(provider) = providers.providers.get(index) else {
                return Some(self.lookup_result(id));
            };
            if !provider.config.matches_image(&lookup.repo) {
                self.lookup_mut(id)?.next += 1;
                continue;
            }
            let repo = lookup.repo.clone();
            let account = match self.account_use(pod, node, index, &repo) {
                AccountUse::Skip => {
                    self.lookup_mut(id)?.next += 1;
                    continue;
                }
                AccountUse::None => None,
                AccountUse::Send(account) => Some(account),
            };
            let account_key = account.as_ref().map_or_else(String::new, |account| {
                service_account_cache_key(
                    &account.account.namespace,
                    &account.account.name,
                    &account.account.uid,
                    &account.annotations,
                    account.cache_type,
                    &account.token,
                )
            });
            let now = self.now;
            let provider = &mut self.nodes[node.0 as usize]
                .kubelet
                .providers
                .as_mut()?
                .providers[index];
            if let Some(hit) = provider.cache.lookup_hit(&repo, &account_key, now) {
                let name = provider.config.name.clone();
                self.record(TraceEvent::PluginCacheHit {
                    pod,
                    node,
                    provider: name,
                    image: repo,
                    key: cache_key_text(&hit.key.base, account.as_ref().map(|a| &a.account)),
                });
                let lookup = self.lookup_mut(id)?;
                lookup
                    .answers
                    .push((index, hit.config, account.map(|account| account.account)));
                lookup.next += 1;
                continue;
            }
            let key = match &account {
                Some(account) => {
                    singleflight_key(&repo, Some(&account.token), &account.annotations)
                }
                None => singleflight_key(&repo, None, &BTreeMap::new()),
            };
            if let Some(&flight) = provider.flights.get(&key) {
                let name = provider.config.name.clone();
                self.plugins
                    .as_mut()?
                    .flights
                    .get_mut(flight)?
                    .waiters
                    .push(id);
                self.record(TraceEvent::PluginExecJoined {
                    pod,
                    node,
                    provider: name,
                    image: repo,
                });
                return None;
            }
            self.start_exec(id, index, repo, key, account_key, account);
            return None;
        }
    }

    fn lookup_mut(&mut self, id: Key) -> Option<&mut PluginLookup> {
        self.plugins.as_mut()?.lookups.get_mut(id)
    }

    /// Whether and how provider `index` of `node` sends `pod`'s service account
    /// (`pluginProvider.provide`): not in service-account-token mode, nothing; a pod
    /// without a service account when one is required, a missing service account, or a
    /// missing required annotation, the provider is skipped.
    fn account_use(&mut self, pod: PodId, node: NodeId, index: usize, image: &str) -> AccountUse {
        let Some(providers) = self.nodes[node.0 as usize].kubelet.providers.as_ref() else {
            return AccountUse::None;
        };
        let provider = &providers.providers[index];
        let Some(attributes) = provider
            .config
            .token_attributes
            .as_ref()
            .filter(|attributes| !attributes.service_account_token_audience.is_empty())
        else {
            return AccountUse::None;
        };
        let record = &self.api.pods[pod.0 as usize];
        let namespace = self.api.pod_names.namespace(record.namespace).to_owned();
        let name = record
            .spec
            .service_account_name
            .clone()
            .unwrap_or_else(|| "default".to_owned());
        // Every namespace has a `default` service account; the scenario declares others.
        let no_annotations = BTreeMap::new();
        let annotations_of = match self.api.service_accounts.get(&namespace, &name) {
            Some(account) => Some(&account.annotations),
            None if name == "default" => Some(&no_annotations),
            None => None,
        };
        let Some(account_annotations) = annotations_of else {
            let message = format!(
                "Failed to get service account {namespace}/{name}: serviceaccount {} not found",
                pullsim_model::go_text::quote(&name)
            );
            let provider = provider.config.name.clone();
            self.record(TraceEvent::PluginFailed {
                node,
                provider,
                image: image.to_owned(),
                message,
            });
            return AccountUse::Skip;
        };
        let mut annotations = BTreeMap::new();
        for key in &attributes.required_service_account_annotation_keys {
            match account_annotations.get(key) {
                Some(value) => {
                    annotations.insert(key.clone(), value.clone());
                }
                // Logged at a high verbosity only: the workload did not opt in.
                None => return AccountUse::Skip,
            }
        }
        for key in &attributes.optional_service_account_annotation_keys {
            if let Some(value) = account_annotations.get(key) {
                annotations.insert(key.clone(), value.clone());
            }
        }
        let uid = service_account_uid(&namespace, &name);
        let cache_type = attributes.cache_type;
        // A bound token is requested for every lookup, so no two lookups share an exec.
        let plugins = self.plugins.get_or_insert_with(Box::default);
        plugins.tokens_issued += 1;
        let token = format!("token-{namespace}-{name}-{}", plugins.tokens_issued);
        AccountUse::Send(PodServiceAccount {
            account: ServiceAccountRef {
                namespace,
                name,
                uid,
            },
            annotations,
            token,
            cache_type,
        })
    }

    /// Starts an exec of provider `index`'s plugin for the lookup `id`.
    fn start_exec(
        &mut self,
        id: Key,
        index: usize,
        repo: String,
        key: String,
        account_key: String,
        account: Option<PodServiceAccount>,
    ) {
        let Some(lookup) = self.plugins.as_ref().and_then(|p| p.lookups.get(id)) else {
            return;
        };
        let (pod, node) = (lookup.pod, lookup.node);
        let now = self.now;
        let Some(providers) = self.nodes[node.0 as usize].kubelet.providers.as_ref() else {
            return;
        };
        let provider = &providers.providers[index];
        let Some(plugins) = self.plugins.as_ref() else {
            return;
        };
        let behaviour = &plugins.behaviours[provider.plugin];
        let hosts = &self.hosts;
        let exec = behaviour.exec(
            &repo,
            account
                .as_ref()
                .map(|a| (a.account.namespace.as_str(), a.account.name.as_str())),
            &provider.config.api_version,
            now,
            |host, user| {
                hosts
                    .iter()
                    .find(|h| h.name == host)
                    .and_then(|h| h.registry.password_at(user, now))
            },
        );
        let name = provider.config.name.clone();
        let duration = exec.duration;
        let flight = Flight {
            node,
            provider: index,
            image: repo.clone(),
            key: key.clone(),
            account_key,
            service_account: account.map(|a| a.account),
            started: now,
            exec,
            waiters: vec![id],
        };
        let Some(plugins) = self.plugins.as_mut() else {
            return;
        };
        let flight = plugins.flights.insert(flight);
        if let Some(providers) = self.nodes[node.0 as usize].kubelet.providers.as_mut() {
            providers.providers[index].flights.insert(key, flight);
        }
        self.record(TraceEvent::PluginExecStarted {
            pod,
            node,
            provider: name,
            image: repo,
        });
        self.queue
            .push(now + duration, Event::PluginExecDone(flight));
    }

    /// An exec ended: its answer is cached as the response says and handed to every
    /// lookup that waited for it, or its failure is logged and they get nothing from it.
    #[inline(never)]
    pub(crate) fn plugin_exec_done(&mut self, id: Key) {
        let Some(flight) = self.plugins.as_mut().and_then(|p| p.flights.remove(id)) else {
            return;
        };
        let now = self.now;
        let Some(providers) = self.nodes[flight.node.0 as usize]
            .kubelet
            .providers
            .as_mut()
        else {
            return;
        };
        let provider = &mut providers.providers[flight.provider];
        if provider.flights.get(&flight.key) == Some(&id) {
            provider.flights.remove(&flight.key);
        }
        let name = provider.config.name.clone();
        let answer = match &flight.exec.outcome {
            ExecOutcome::Answered(response) => {
                let decision = provider.cache.store(
                    &flight.image,
                    &flight.account_key,
                    response,
                    provider.config.default_cache_duration,
                    now,
                );
                let config = response.docker_config();
                let cached = match decision {
                    CacheDecision::NotCached => None,
                    CacheDecision::Cached { key, expires_at } => Some((
                        cache_key_text(&key.base, flight.service_account.as_ref()),
                        expires_at.saturating_since(now),
                    )),
                };
                self.record(TraceEvent::PluginExecFinished {
                    node: flight.node,
                    provider: name,
                    image: flight.image.clone(),
                    duration: now.saturating_since(flight.started),
                    cached,
                });
                Some(config)
            }
            ExecOutcome::Failed { failure, stderr } => {
                let message = format!(
                    "Failed getting credential from external registry credential provider: {}",
                    exec_error_text(&name, &flight.image, failure, stderr)
                );
                self.record(TraceEvent::PluginFailed {
                    node: flight.node,
                    provider: name,
                    image: flight.image.clone(),
                    message,
                });
                None
            }
        };
        for waiter in flight.waiters {
            let Some(lookup) = self.lookup_mut(waiter) else {
                continue;
            };
            if let Some(config) = &answer {
                lookup.answers.push((
                    flight.provider,
                    config.clone(),
                    flight.service_account.clone(),
                ));
            }
            lookup.next += 1;
            if let Some(credentials) = self.advance_lookup(waiter) {
                self.lookup_done(waiter, credentials);
            }
        }
    }

    /// Every provider's answer in one keyring, looked up after the secrets and the node's
    /// config.
    fn lookup_result(&self, id: Key) -> Credentials {
        let Some(lookup) = self.plugins.as_ref().and_then(|p| p.lookups.get(id)) else {
            return Arc::new(Ok(Vec::new()));
        };
        let Ok(base) = lookup.base.as_ref() else {
            return Arc::clone(&lookup.base);
        };
        if lookup.answers.is_empty() {
            return Arc::clone(&lookup.base);
        }
        let providers = self.nodes[lookup.node.0 as usize]
            .kubelet
            .providers
            .as_ref();
        let answers: Vec<(&str, &DockerConfig, Option<&ServiceAccountRef>)> = lookup
            .answers
            .iter()
            .map(|(index, config, account)| {
                let name = providers
                    .and_then(|p| p.providers.get(*index))
                    .map_or("", |p| p.config.name.as_str());
                (name, config, account.as_ref())
            })
            .collect();
        let mut all = base.clone();
        all.extend(plugin_keyring(&answers).lookup(&lookup.repo));
        Arc::new(Ok(all))
    }

    /// A lookup that waited has every answer: the `EnsureImageExists` call it belongs to
    /// is made again with them, and the pod's sync goes on from its outcome.
    fn lookup_done(&mut self, id: Key, credentials: Credentials) {
        let Some(lookup) = self.plugins.as_mut().and_then(|p| p.lookups.remove(id)) else {
            return;
        };
        let (pod, container) = (lookup.pod, lookup.container);
        let state = &self.api.pods[pod.0 as usize].state;
        if state.deleted || state.sync.is_none() || state.generation != lookup.generation {
            return;
        }
        if let Some(plugins) = self.plugins.as_mut() {
            plugins.resolved.insert((pod, container), credentials);
        }
        let outcome = self.ensure_image(pod, container);
        // The call asks again only if it still needs credentials (the image may have
        // arrived meanwhile): an answer it did not take is not kept for a later call.
        if let Some(plugins) = self.plugins.as_mut() {
            plugins.resolved.remove(&(pod, container));
        }
        match outcome {
            crate::kubelet::Ensure::Pending => {}
            outcome => {
                self.container_started_or_failed(pod, container, outcome);
                self.continue_sync(pod);
            }
        }
    }
}

/// A service account's UID, derived from its name (the simulation stores none).
pub(crate) fn service_account_uid(namespace: &str, name: &str) -> String {
    format!("sa-uid-{namespace}-{name}")
}

/// A cache key as the trace names it: its base (the image, its registry or `global`), and
/// the service account it is for (the key holds its UID and annotations too).
fn cache_key_text(base: &str, account: Option<&ServiceAccountRef>) -> String {
    match account {
        Some(account) => format!("{base} for {}/{}", account.namespace, account.name),
        None => base.to_owned(),
    }
}
