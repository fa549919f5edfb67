//! One kubelet's credential providers: for each provider of its `CredentialProviderConfig`,
//! in config order, the plugin that answers for it, its cache (one per provider per
//! kubelet process: a restart empties it) and the execs in flight by singleflight key, so
//! that concurrent lookups with the same key on one node wait for one exec
//! (`pluginProvider.group.Do` in kubernetes `pkg/credentialprovider/plugin/plugin.go`).

use std::collections::BTreeMap;

use pullsim_model::credentials::provider::{CredentialProvider, ProviderCache};

use crate::engine::Key;

/// One provider on one node.
#[derive(Debug)]
pub(crate) struct NodeProvider {
    /// The provider as the kubelet's config gives it.
    pub(crate) config: CredentialProvider,
    /// The simulated plugin that answers for it (an index into the world's plugins).
    pub(crate) plugin: usize,
    /// Its cache.
    pub(crate) cache: ProviderCache,
    /// Execs in flight, by singleflight key.
    pub(crate) flights: BTreeMap<String, Key>,
}

/// A node's providers, in config order.
#[derive(Debug)]
pub(crate) struct NodeProviders {
    pub(crate) providers: Vec<NodeProvider>,
}

impl NodeProviders {
    /// The providers of a config, each with its plugin, with empty caches.
    pub(crate) fn new(providers: Vec<(CredentialProvider, usize)>) -> NodeProviders {
        NodeProviders {
            providers: providers
                .into_iter()
                .map(|(config, plugin)| NodeProvider {
                    config,
                    plugin,
                    cache: ProviderCache::default(),
                    flights: BTreeMap::new(),
                })
                .collect(),
        }
    }

    /// A restarted kubelet is a new process: its caches are empty and it waits for no
    /// exec of the old one.
    pub(crate) fn restart(&mut self) {
        for provider in &mut self.providers {
            provider.cache = ProviderCache::default();
            provider.flights.clear();
        }
    }
}
