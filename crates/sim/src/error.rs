//! What can go wrong while building or running a simulation. A run that hits a limit
//! names its seed, so it can be replayed exactly.

use std::time::Duration;

use pullsim_model::SimTime;
use pullsim_model::kubelet_config::KubeletConfigInvalid;
use pullsim_registry::RegistryError;

/// A simulation error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// The run reached its virtual time limit.
    #[error("the run reached its virtual time limit of {limit:?} at {at}; replay with seed {seed}")]
    TimeLimit {
        /// The limit.
        limit: Duration,
        /// When the next event was due.
        at: SimTime,
        /// The seed.
        seed: u64,
    },
    /// The run reached its event count limit.
    #[error("the run reached its limit of {limit} events at {at}; replay with seed {seed}")]
    EventLimit {
        /// The limit.
        limit: u64,
        /// The virtual time then.
        at: SimTime,
        /// The seed.
        seed: u64,
    },
    /// A registry host was added twice.
    #[error("registry host {0:?} is already defined")]
    DuplicateHost(String),
    /// A name refers to no registry host.
    #[error("no registry host {0:?}")]
    UnknownHost(String),
    /// A name refers to no node.
    #[error("no node {0:?}")]
    UnknownNode(String),
    /// A name refers to no node pool.
    #[error("no node pool {0:?}")]
    UnknownPool(String),
    /// A pool's name is used twice.
    #[error("node pool {0:?} is already defined")]
    DuplicatePool(String),
    /// A pool's kubelet configuration does not validate (the kubelet would not start).
    #[error("node pool {pool:?}: {error}")]
    KubeletConfig {
        /// The pool.
        pool: String,
        /// The kubelet's validation errors.
        error: KubeletConfigInvalid,
    },
    /// A timeline action names a credential plugin that was never added.
    #[error("no credential plugin {0:?}")]
    UnknownPlugin(String),
    /// A pool's kubelet names a credential provider no plugin answers for (the kubelet
    /// would not start: the plugin's binary is not in its directory).
    #[error(
        "node pool {pool:?}: credential provider {provider:?} has no plugin (add one with that name)"
    )]
    PluginMissing {
        /// The pool.
        pool: String,
        /// The provider's name.
        provider: String,
    },
    /// A pre-pulled image could not be found in any registry.
    #[error("node pool {pool:?}: pre-pulled image {image:?}: {reason}")]
    Prepulled {
        /// The pool.
        pool: String,
        /// The image reference.
        image: String,
        /// Why.
        reason: String,
    },
    /// A timeline action names a workload object that does not exist.
    #[error("{0}: not found (no such workload object)")]
    UnknownWorkload(String),
    /// `setImage` names a container the workload's template does not have, in `kubectl set
    /// image`'s words (staging/src/k8s.io/kubectl/pkg/cmd/set/set_image.go:
    /// `fmt.Errorf("error: unable to find container named %q", name)`).
    #[error("set image {workload}: error: unable to find container named {container:?}")]
    UnknownContainer {
        /// The workload (`deployment/web`).
        workload: String,
        /// The container's name.
        container: String,
    },
    /// A Job's spec was changed after its creation (its template is immutable).
    #[error("{0}: a Job's spec.template is immutable: delete and apply it again")]
    ImmutableJob(String),
    /// A timeline action that kubectl refuses for this kind.
    #[error("{workload}: {what} is not supported")]
    NotSupported {
        /// The workload (`daemonset/agent`).
        workload: String,
        /// What was asked (`scaling`, `restarting`).
        what: &'static str,
    },
    /// A timeline action on a registry failed.
    #[error("at {at}: registry {host:?}: {error}")]
    Registry {
        /// When.
        at: SimTime,
        /// The host.
        host: String,
        /// The registry's error.
        error: RegistryError,
    },
}
