//! Timeline actions: what a scenario changes while the cluster runs (pods created and
//! deleted, builds pushed, tags moved, registry outages and fault rules, secrets rotated,
//! kubelets restarted, nodes added), each taking effect at its virtual time.

use std::time::Duration;

use pullsim_model::{Digest, Secret, SimTime};
use pullsim_registry::{FaultMatch, FaultRule, ImageSpec, RegistryError, Verdict};

use crate::api::Pod;
use crate::controllers::{ObjectRef, WorkloadObject};
use crate::engine::Event;
use crate::error::SimError;
use crate::sim::Sim;
use crate::trace::{HostId, TraceEvent, WorkloadId};

/// How a registry is out during an outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutageKind {
    /// Every request is answered with this status (503, 500, 429, ...), through a fault
    /// rule of the registry limited to the outage's window.
    Status(u16),
    /// Connections are refused: no request reaches the registry.
    Unreachable,
    /// Packets are dropped: every dial waits its dial timeout (containerd's default dialer:
    /// 30 s) and fails with `i/o timeout`; no request reaches the registry.
    Dropped,
}

/// One timeline action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Create a pod.
    CreatePod(Pod),
    /// Delete the pod `namespace/name` (nothing happens if there is none).
    DeletePod {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// Delete the pod of the same name, if any, and create this one (with a new UID).
    ReplacePod(Pod),
    /// Create the replicas of a workload added with [`Sim::add_workload`].
    CreateReplicas(WorkloadId),
    /// Build an image and point its tag at it (a new build of an existing tag moves it).
    PushBuild {
        /// The registry host.
        host: String,
        /// What to build.
        image: ImageSpec,
    },
    /// Point a tag at a manifest already in its repository.
    MoveTag {
        /// The registry host.
        host: String,
        /// The repository.
        repository: String,
        /// The tag.
        tag: String,
        /// The target.
        digest: Digest,
    },
    /// Point a tag at whatever another tag of the same repository points at when the
    /// action takes effect (a promotion: `stable` to what `v2` is now).
    CopyTag {
        /// The registry host.
        host: String,
        /// The repository.
        repository: String,
        /// The tag to move.
        tag: String,
        /// The tag whose manifest it gets.
        from_tag: String,
    },
    /// Delete a tag.
    DeleteTag {
        /// The registry host.
        host: String,
        /// The repository.
        repository: String,
        /// The tag.
        tag: String,
    },
    /// The registry is out for `duration` from now.
    Outage {
        /// The registry host.
        host: String,
        /// How long.
        duration: Duration,
        /// How it fails.
        kind: OutageKind,
    },
    /// A credential plugin fails every exec that starts from now for `duration` (`None`:
    /// for the rest of the run).
    PluginOutage {
        /// The plugin's (provider's) name.
        plugin: String,
        /// How long.
        duration: Option<Duration>,
        /// How it fails.
        mode: crate::plugins::FailureMode,
    },
    /// A registry account's password changes (or the account is created).
    SetPassword {
        /// The registry host.
        host: String,
        /// The account.
        user: String,
        /// Its new password.
        password: String,
    },
    /// Install a fault rule on a registry (after its existing rules).
    InstallFault {
        /// The registry host.
        host: String,
        /// The rule.
        rule: FaultRule,
    },
    /// Create or replace a Secret (a rotation keeps the UID of the Secret it replaces).
    PutSecret(Secret),
    /// Delete a Secret.
    DeleteSecret {
        /// Its namespace.
        namespace: String,
        /// Its name.
        name: String,
    },
    /// Restart a node's kubelet; it is back after `downtime`.
    RestartKubelet {
        /// The node's name.
        node: String,
        /// How long it is down.
        downtime: Duration,
    },
    /// Add nodes to a pool.
    AddNodes {
        /// The pool.
        pool: String,
        /// How many.
        count: u32,
    },
    /// `kubectl apply`: create a workload object, or give the one of the same kind,
    /// namespace and name this spec (a Job's spec cannot change: an error).
    Apply(WorkloadObject),
    /// `kubectl set image`: one container of a workload's pod template gets a new image.
    SetImage {
        /// The workload.
        workload: ObjectRef,
        /// The container's name (an init container's too).
        container: String,
        /// The new image, verbatim.
        image: String,
    },
    /// `kubectl rollout restart`: the template's `kubectl.kubernetes.io/restartedAt`
    /// annotation is set to the current instant, which makes a new revision.
    RolloutRestart(ObjectRef),
    /// `kubectl scale`: a Deployment's, ReplicaSet's or StatefulSet's `replicas` (a
    /// DaemonSet or a Job has no scale: an error).
    Scale {
        /// The workload.
        workload: ObjectRef,
        /// The new count.
        replicas: u32,
    },
    /// `kubectl delete`: the workload object goes, and its pods with it (background
    /// cascading deletion).
    DeleteWorkload(ObjectRef),
}

/// The error of a registry operation that a timeline action asked for at `at`.
fn refused_by(host: &str, at: SimTime) -> impl FnOnce(RegistryError) -> SimError {
    let host = host.to_owned();
    move |error| SimError::Registry { at, host, error }
}

impl Sim {
    /// Applies an action now.
    pub(crate) fn apply(&mut self, action: Action) -> Result<(), SimError> {
        let now = self.now;
        match action {
            Action::CreatePod(pod) => self.create_single(pod),
            Action::DeletePod { namespace, name } => {
                if let Some(pod) = self.live_pod(&namespace, &name) {
                    self.delete(pod);
                }
            }
            Action::ReplacePod(pod) => {
                let key = (pod.namespace.clone(), pod.name.clone());
                if let Some(old) = self.live_pod(&key.0, &key.1) {
                    self.delete(old);
                }
                self.create_single(pod);
            }
            Action::CreateReplicas(workload) => self.create_replicas(workload),
            Action::PushBuild { host, image } => {
                let registry = self.registry_for(&host)?;
                let loaded = registry
                    .push_build(&image, now)
                    .map_err(refused_by(&host, now))?;
                self.timeline(format!(
                    "{host}: pushed {}:{} build {} ({})",
                    image.repository, image.tag, image.build, loaded.digest
                ));
            }
            Action::MoveTag {
                host,
                repository,
                tag,
                digest,
            } => {
                let registry = self.registry_for(&host)?;
                registry
                    .move_tag(&repository, &tag, &digest, now)
                    .map_err(refused_by(&host, now))?;
                self.timeline(format!("{host}: tag {repository}:{tag} -> {digest}"));
            }
            Action::CopyTag {
                host,
                repository,
                tag,
                from_tag,
            } => {
                let registry = self.registry_for(&host)?;
                let Some((digest, _)) = registry.stored_manifest(&repository, &from_tag) else {
                    return Err(refused_by(&host, now)(RegistryError::TagUnknown {
                        repository,
                        tag: from_tag,
                    }));
                };
                registry
                    .move_tag(&repository, &tag, &digest, now)
                    .map_err(refused_by(&host, now))?;
                self.timeline(format!(
                    "{host}: tag {repository}:{tag} -> {digest} (from tag {from_tag})"
                ));
            }
            Action::DeleteTag {
                host,
                repository,
                tag,
            } => {
                let registry = self.registry_for(&host)?;
                registry
                    .delete_tag(&repository, &tag, now)
                    .map_err(refused_by(&host, now))?;
                self.timeline(format!("{host}: tag {repository}:{tag} deleted"));
            }
            Action::Outage {
                host,
                duration,
                kind,
            } => {
                let until = now + duration;
                let index = self
                    .hosts
                    .iter()
                    .position(|h| h.name == host)
                    .ok_or_else(|| SimError::UnknownHost(host.clone()))?;
                match kind {
                    OutageKind::Status(status) => {
                        let rule = FaultRule::new(
                            FaultMatch {
                                from: Some(now.since_epoch()),
                                until: Some(until.since_epoch()),
                                ..FaultMatch::default()
                            },
                            Verdict::Status {
                                status,
                                retry_after: None,
                            },
                        );
                        self.hosts[index].registry.add_fault(rule);
                    }
                    OutageKind::Unreachable => self.hosts[index].unreachable.push((now, until)),
                    OutageKind::Dropped => {
                        self.hosts[index].unreachable.push((now, until));
                        self.hosts[index].dropped.push((now, until));
                    }
                }
                let how = match kind {
                    OutageKind::Status(status) => format!("every request answers {status}"),
                    OutageKind::Unreachable => "connections refused".to_owned(),
                    OutageKind::Dropped => "packets dropped".to_owned(),
                };
                self.timeline(format!("{host}: outage: {how} until {until}"));
                // An outage that lasts past the run's end has no end to show.
                if until.since_epoch() < self.config.limits.time_max {
                    let id = HostId(index as u16);
                    self.queue
                        .push(until, Event::OutageEnded { host: id, kind });
                }
            }
            Action::PluginOutage {
                plugin,
                duration,
                mode,
            } => {
                let what = self.plugin_outage(&plugin, duration, mode)?;
                self.timeline(what);
            }
            Action::SetPassword {
                host,
                user,
                password,
            } => {
                self.registry_for(&host)?.set_password(&user, &password);
                self.timeline(format!("{host}: account {user}'s password changed"));
            }
            Action::InstallFault { host, rule } => {
                let registry = self.registry_for(&host)?;
                let id = registry.add_fault(rule);
                self.timeline(format!("{host}: fault rule {} installed", id.0));
            }
            Action::PutSecret(secret) => {
                let verb = if self.api.secrets.contains(&secret.namespace, &secret.name) {
                    "replaced (rotated)"
                } else {
                    "created"
                };
                let what = format!("secret {}/{} {verb}", secret.namespace, secret.name);
                self.add_secret(secret);
                self.timeline(what);
            }
            Action::DeleteSecret { namespace, name } => {
                self.api.secrets.remove(&namespace, &name);
                self.api.secrets_version += 1;
                self.timeline(format!("secret {namespace}/{name} deleted"));
            }
            Action::RestartKubelet { node, downtime } => {
                let id = self
                    .node_id(&node)
                    .ok_or_else(|| SimError::UnknownNode(node.clone()))?;
                self.restart_kubelet(id, downtime);
            }
            Action::AddNodes { pool, count } => {
                let index = self
                    .pools
                    .iter()
                    .position(|p| p.name == pool)
                    .ok_or_else(|| SimError::UnknownPool(pool.clone()))?;
                self.add_nodes(index, count)?;
                self.timeline(format!("pool {pool}: {count} nodes added"));
            }
            Action::Apply(object) => self.apply_workload(object)?,
            Action::SetImage {
                workload,
                container,
                image,
            } => self.set_workload_image(&workload, &container, &image)?,
            Action::RolloutRestart(workload) => self.restart_workload(&workload)?,
            Action::Scale { workload, replicas } => self.scale_workload(&workload, replicas)?,
            Action::DeleteWorkload(workload) => self.delete_workload(&workload)?,
        }
        Ok(())
    }

    /// The end of an outage, as its own timeline record.
    pub(crate) fn outage_ended(&mut self, host: HostId, kind: OutageKind) {
        let how = match kind {
            OutageKind::Status(status) => format!("no longer answers {status}"),
            OutageKind::Unreachable | OutageKind::Dropped => "reachable again".to_owned(),
        };
        let name = self.host_name(host);
        let what = format!("{name}: outage ended: {how}");
        self.timeline(what);
    }

    fn registry_for(&mut self, host: &str) -> Result<&mut pullsim_registry::Registry, SimError> {
        self.registry_mut(host)
            .ok_or_else(|| SimError::UnknownHost(host.to_owned()))
    }

    fn timeline(&mut self, what: String) {
        self.record(TraceEvent::Timeline { what });
    }

    /// When the simulation stands now, for callers scheduling relative actions.
    pub fn at(&self, offset: Duration) -> SimTime {
        self.now + offset
    }
}
