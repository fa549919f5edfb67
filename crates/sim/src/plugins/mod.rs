//! Kubelet credential-provider plugins (docs/credential-providers.md): what each simulated
//! plugin answers (`behaviour`), each kubelet's providers with their caches and execs in
//! flight (`node`), and the world's plugin work in flight (this file). The kubelet's use of
//! them in a pull's credential lookup is `kubelet/plugin_lookup.rs`.
//!
//! A world without plugins holds `None` where this state would be, and a kubelet without
//! a `CredentialProviderConfig` holds no providers: the pull path asks one `Option` and
//! does nothing else.

mod behaviour;
mod node;

use std::collections::BTreeMap;

pub use behaviour::{
    CredentialPlugin, Exec, ExecOutcome, FailureMode, OUTAGE_STDERR, PluginAnswer, PluginFailure,
    PluginPassword,
};
pub(crate) use node::NodeProviders;

use pullsim_model::SimTime;
use pullsim_model::credentials::DockerConfig;
use pullsim_model::credentials::ServiceAccountRef;

use crate::api::ContainerRef;
use crate::engine::{Key, Slab};
use crate::memo::Credentials;
use crate::trace::{NodeId, PodId};

/// The world's plugins and the work they are doing.
#[derive(Debug, Default)]
pub(crate) struct Plugins {
    /// The plugins, in the order they were added.
    pub(crate) behaviours: Vec<CredentialPlugin>,
    /// Credential lookups waiting for a plugin.
    pub(crate) lookups: Slab<PluginLookup>,
    /// Execs in flight.
    pub(crate) flights: Slab<Flight>,
    /// Lookups that finished, for the `EnsureImageExists` call that waited on them.
    pub(crate) resolved: BTreeMap<(PodId, ContainerRef), Credentials>,
    /// Service-account tokens requested so far (each lookup requests its own).
    pub(crate) tokens_issued: u64,
}

/// The pod's service account as a provider in service-account-token mode sends it.
#[derive(Debug, Clone)]
pub(crate) struct PodServiceAccount {
    pub(crate) account: ServiceAccountRef,
    /// The annotations the provider's `tokenAttributes` ask for.
    pub(crate) annotations: BTreeMap<String, String>,
    /// The token the kubelet requested for this lookup.
    pub(crate) token: String,
    /// `tokenAttributes.cacheType`: whether answers are cached per token or per account.
    pub(crate) cache_type: pullsim_model::credentials::provider::ServiceAccountTokenCacheType,
}

/// One `EnsureImageExists` call's credential lookup, going through the node's providers
/// in config order.
#[derive(Debug)]
pub(crate) struct PluginLookup {
    pub(crate) pod: PodId,
    pub(crate) container: ContainerRef,
    pub(crate) node: NodeId,
    /// The pod's generation when the lookup began: a restart or deletion makes it stale.
    pub(crate) generation: u32,
    /// `ParseImageName(image).repo`, the image each provider is asked about.
    pub(crate) repo: String,
    /// The pod's secrets and the node's config, found first.
    pub(crate) base: Credentials,
    /// The next provider to ask (or the one being waited for).
    pub(crate) next: usize,
    /// Each provider's answer so far, in config order.
    pub(crate) answers: Vec<(usize, DockerConfig, Option<ServiceAccountRef>)>,
}

/// One exec of a plugin on one node.
#[derive(Debug)]
pub(crate) struct Flight {
    pub(crate) node: NodeId,
    /// The provider's index on the node.
    pub(crate) provider: usize,
    /// The image it was asked about.
    pub(crate) image: String,
    /// The singleflight key it is registered under on the node.
    pub(crate) key: String,
    /// The service account's part of the cache key (empty without one).
    pub(crate) account_key: String,
    pub(crate) service_account: Option<ServiceAccountRef>,
    pub(crate) started: SimTime,
    /// What the exec comes to.
    pub(crate) exec: Exec,
    /// The lookups waiting for it, the first being the one that started it.
    pub(crate) waiters: Vec<Key>,
}

impl crate::Sim {
    /// Adds a credential-provider plugin: the kubelets whose `CredentialProviderConfig`
    /// names a provider `plugin.name` exec it. Add plugins before the node pools that use
    /// them; a plugin of the same name replaces the earlier one for pools added later.
    pub fn add_credential_plugin(&mut self, plugin: CredentialPlugin) {
        let plugins = self.plugins.get_or_insert_with(Box::default);
        plugins.behaviours.push(plugin);
    }

    /// `pluginOutage`: every plugin named `name` fails the execs that start from now for
    /// `duration` (`None`: for the rest of the run). Returns the timeline's words for it.
    pub(crate) fn plugin_outage(
        &mut self,
        name: &str,
        duration: Option<std::time::Duration>,
        mode: FailureMode,
    ) -> Result<String, crate::SimError> {
        let now = self.now;
        let window = PluginFailure {
            from: now,
            until: duration.map(|duration| now + duration),
            mode,
        };
        let mut found = false;
        for plugin in self
            .plugins
            .iter_mut()
            .flat_map(|p| p.behaviours.iter_mut())
        {
            if plugin.name == name {
                plugin.failures.push(window);
                found = true;
            }
        }
        if !found {
            return Err(crate::SimError::UnknownPlugin(name.to_owned()));
        }
        let how = match mode {
            FailureMode::Exit => "every exec exits with status 1",
            FailureMode::Hang => "every exec hangs until the 1-minute timeout",
        };
        let until = window.until.map_or_else(
            || " to the end".to_owned(),
            |until| format!(" until {until}"),
        );
        Ok(format!("plugin {name} outage: {how}{until}"))
    }

    /// The plugin that answers for provider `name`: the last added with that name.
    fn plugin_for(&self, name: &str) -> Option<usize> {
        self.plugins
            .as_ref()?
            .behaviours
            .iter()
            .rposition(|plugin| plugin.name == name)
    }

    /// Every provider of the pool's kubelet has a plugin.
    pub(crate) fn check_plugins(&self, pool: &crate::NodePool) -> Result<(), crate::SimError> {
        match pool
            .kubelet
            .credential_providers
            .iter()
            .find(|provider| self.plugin_for(&provider.name).is_none())
        {
            Some(provider) => Err(crate::SimError::PluginMissing {
                pool: pool.name.clone(),
                provider: provider.name.clone(),
            }),
            None => Ok(()),
        }
    }

    /// A new kubelet's providers, with empty caches; `None` without a config.
    pub(crate) fn node_providers(
        &self,
        providers: &[pullsim_model::credentials::provider::CredentialProvider],
    ) -> Option<Box<NodeProviders>> {
        if providers.is_empty() {
            return None;
        }
        let resolved = providers
            .iter()
            .filter_map(|provider| Some((provider.clone(), self.plugin_for(&provider.name)?)))
            .collect();
        Some(Box::new(NodeProviders::new(resolved)))
    }
}
