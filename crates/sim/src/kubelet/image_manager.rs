//! The kubelet's image manager: `EnsureImageExists` for one container (docs/semantics.md §3.2,
//! 3.7) with the model's `pull::decide`, the credentials of one pull (3.3, 4: the pod's
//! secrets, then the node's config, looked up once per call), KEP-2535 verification of
//! images already present (5), and what a finished pull records: events, the back-off
//! (3.4), the stored error, and the pull records.

use std::borrow::Cow;
use std::sync::Arc;

use pullsim_model::credentials::{CredentialSource, TrackedCredential};
use pullsim_model::pull::{Presence, PullAction, PullEvent, Texts, decide_with};
use pullsim_model::verification::{PullSecretRecord, PullServiceAccountRecord};
use pullsim_model::{PullPolicy, PullRequest, default_pull_policy};

use crate::api::ContainerRef;
use crate::cri::{ImageRecord, ImageStatusRequest};
use crate::engine::Key;
use crate::kubelet::node::PullKey;
use crate::kubelet::shared_texts::SharedFailure;
use crate::kubelet::{Ensure, KubeletPull};
use crate::sim::Sim;
use crate::trace::{NodeId, PodId, TraceEvent, WaitReason};

/// The service account of the first credential a plugin gave for it (upstream's
/// `getPodCredentials`: one service account per pod), for `MustAttemptImagePull`.
#[inline(never)]
fn plugin_service_account(
    credentials: &crate::memo::Credentials,
) -> Option<PullServiceAccountRecord> {
    credentials
        .as_ref()
        .as_ref()
        .ok()?
        .iter()
        .find_map(|credential| match &credential.source {
            CredentialSource::Plugin {
                service_account: Some(account),
                ..
            } => Some(PullServiceAccountRecord::from(account)),
            _ => None,
        })
}

/// Whether `EnsureImageExists` goes on to pull (or to the back-off check) for this
/// request: `Always`, or an image absent or not verified, unless the policy is `Never`.
fn pull_needed(policy: PullPolicy, request: &PullRequest) -> bool {
    match policy {
        PullPolicy::Always => true,
        PullPolicy::Never => false,
        PullPolicy::IfNotPresent => {
            request.presence == Presence::Absent || request.verification == Some(true)
        }
    }
}

impl Sim {
    pub(crate) fn container_event(
        &mut self,
        pod: PodId,
        container: ContainerRef,
        event: PullEvent,
    ) {
        if !self.keeps_events() {
            // Kubernetes events feed no metric; with no trace kept they need not be built.
            return;
        }
        let path = container.field_path(&self.api.pods[pod.0 as usize].spec);
        self.record(TraceEvent::Event {
            pod,
            container: Some(path),
            event_type: event.event_type,
            reason: event.reason.as_str().to_owned(),
            message: event.message,
        });
    }

    /// The credentials the kubelet would try for `repo` on behalf of `pod` (its pull
    /// secrets as they are now, then its node's config), or the secret-decoding error.
    pub(crate) fn pod_credentials(
        &mut self,
        pod: PodId,
        node: NodeId,
        repo: &str,
    ) -> crate::memo::Credentials {
        let record = &self.api.pods[pod.0 as usize];
        let pool = self.nodes[node.0 as usize].pool;
        let namespace = self.api.pod_names.namespace(record.namespace);
        let names = &record.spec.image_pull_secrets;
        let secrets = &self.api.secrets;
        let node_keyring = &self.nodes[node.0 as usize].kubelet.node_keyring;
        self.memo.credentials(
            (pool, namespace, names),
            self.api.secrets_version,
            repo,
            || {
                names
                    .iter()
                    .map(|name| secrets.get(namespace, name).cloned())
                    .collect()
            },
            || node_keyring.clone(),
        )
    }

    /// `EnsureImageExists` for one container (docs/semantics.md §3.2): presence, KEP-2535
    /// verification, back-off, then the model's decision; a pull is handed to the puller.
    pub(crate) fn ensure_image(&mut self, pod: PodId, container: ContainerRef) -> Ensure {
        let record = &self.api.pods[pod.0 as usize];
        let Some(node) = record.node else {
            return Ensure::Pending;
        };
        let spec = Arc::clone(&record.spec);
        let Some(spec_container) = container.in_spec(&spec) else {
            return Ensure::Pending;
        };
        let image = spec_container.image.as_str();
        let policy = spec_container
            .image_pull_policy
            .unwrap_or_else(|| default_pull_policy(image));
        // What the image string means, looked up by text once per container (a pod's spec
        // never changes) and kept in its slot: a pod in back-off asks at every sync.
        let slot_index = self.container_index(pod, container);
        let kept = self.api.pods[pod.0 as usize].state.containers[slot_index]
            .image_info
            .clone();
        let info = match kept {
            Some(info) => info,
            None => {
                let info = self.memo.image(image);
                self.api.pods[pod.0 as usize].state.containers[slot_index].image_info =
                    Some(Arc::clone(&info));
                info
            }
        };
        let key = PullKey {
            pod,
            image: info.key,
        };
        let mut request = PullRequest {
            image: image.into(),
            tagged_image: info
                .tagged
                .as_ref()
                .map(|tagged| Cow::Borrowed(tagged.as_str()))
                .map_err(|error| Cow::Borrowed(error.as_str())),
            policy,
            presence: Presence::Absent,
            verification: None,
            in_backoff: false,
            previous_error: None,
            backoff_message: None,
        };
        let mut local = None;
        if policy != PullPolicy::Always
            && let Some(name) = &info.store_name
        {
            local = self.nodes[node.0 as usize]
                .containerd
                .image_status(ImageStatusRequest { image: name })
                .image;
            if let Some(found) = local {
                request.presence = Presence::Present {
                    image_ref: self.digest_text(found.image_id).to_owned(),
                };
            }
        }
        let mut credentials = None;
        if self.nodes[node.0 as usize].kubelet.gate
            && let (Some(found), Some(repo)) = (local, &info.repo)
        {
            let Some(looked_up) = self.lookup_credentials(pod, container, node, repo) else {
                return Ensure::Pending;
            };
            let pod_secrets: Vec<PullSecretRecord> = match looked_up.as_ref() {
                Ok(found) => found.iter().filter_map(secret_record).collect(),
                Err(text) => {
                    return Ensure::Failed {
                        reason: WaitReason::Other(text.clone()),
                        message: self.shared_texts.share(text),
                        backoff: false,
                    };
                }
            };
            let pod_account = if self.nodes[node.0 as usize].kubelet.providers.is_some() {
                plugin_service_account(&looked_up)
            } else {
                None
            };
            credentials = Some(looked_up);
            let image_ref = &self.digest_texts[found.image_id.0 as usize];
            request.verification = Some(self.nodes[node.0 as usize].kubelet.must_attempt_pull(
                image,
                image_ref,
                &pod_secrets,
                pod_account.as_ref(),
                self.now,
            ));
        }
        // With credential providers the lookup (which may exec a plugin) comes before the
        // back-off check, whenever a pull is needed (`makeLookupPullCredentialsFunc` is
        // called before `pullImage`); without, the memo's lookup is free and comes later.
        if credentials.is_none()
            && self.nodes[node.0 as usize].kubelet.providers.is_some()
            && info.tagged.is_ok()
            && pull_needed(policy, &request)
            && let Some(repo) = &info.repo
        {
            let Some(found) = self.lookup_with_providers(pod, container, node, repo) else {
                return Ensure::Pending;
            };
            credentials = Some(found);
        }
        let kubelet = &self.nodes[node.0 as usize].kubelet;
        request.in_backoff = kubelet.in_backoff(key, self.now);
        request.previous_error = kubelet.previous_error(key).cloned();
        // The back-off message this key's sync wrote for its stored error, or another pod's
        // for the same image and error text.
        let kept_here = kubelet.backoff_message(key).cloned();
        request.backoff_message = kept_here.clone().or_else(|| {
            let previous = request.previous_error.as_deref()?;
            self.shared_texts.backoff_message(info.key, previous)
        });
        // Without kept events, the Pulled/Pulling texts of the common outcomes are not
        // written (the action and the pod's waiting message are the same).
        let texts = if self.keeps_events() {
            Texts::All
        } else {
            Texts::StatusOnly
        };
        let decision = decide_with(&request, &self.config.kubelet_behavior, texts);
        for event in decision.events {
            self.container_event(pod, container, event);
        }
        match decision.action {
            PullAction::UseLocal { .. } => {
                self.record(TraceEvent::PullAvoided { pod, node });
                match local {
                    Some(found) => Ensure::Ready(found),
                    None => Ensure::Pending,
                }
            }
            PullAction::Fail { reason, message } => {
                let backoff = reason == pullsim_model::WaitingReason::ImagePullBackOff;
                let message = if backoff && kept_here.is_none() {
                    // Written once per image and stored error text (and shared between the
                    // pods that have them); the syncs until the next failed pull hand it out
                    // again.
                    let message = match &request.previous_error {
                        Some(previous) => self
                            .shared_texts
                            .keep_backoff_message(info.key, previous, message),
                        None => message,
                    };
                    self.nodes[node.0 as usize]
                        .kubelet
                        .keep_backoff_message(key, &message);
                    message
                } else {
                    message
                };
                Ensure::Failed {
                    backoff,
                    reason: WaitReason::Pull(reason),
                    message,
                }
            }
            PullAction::Pull { image: tagged } => {
                self.nodes[node.0 as usize].kubelet.pull_decided(key, image);
                let credentials = match (credentials, &info.repo) {
                    (Some(found), _) => found,
                    (None, Some(repo)) => self.pod_credentials(pod, node, repo),
                    (None, None) => Arc::new(Ok(Vec::new())),
                };
                let pull = KubeletPull {
                    pod,
                    container,
                    node,
                    image: image.to_owned(),
                    backoff_key: key,
                    pull_target: self.memo.image(&tagged).pull_target.clone(),
                    credentials,
                    attempt: 0,
                    errors: Vec::new(),
                    submitted: self.now,
                    started: None,
                    content_hits: 0,
                    fetched: 0,
                };
                if self.keeps_events() {
                    self.record(TraceEvent::PullQueued {
                        pod,
                        node,
                        image: image.to_owned(),
                    });
                } else {
                    // The record feeds the metrics and the controllers' pull counts; without
                    // it, both are told directly.
                    self.metrics.pull_queued();
                    self.controller_pull(pod);
                }
                let id = self.kubelet_pulls.insert(pull);
                self.submit_pull(id);
                Ensure::Pending
            }
        }
    }

    /// A pull the kubelet started has ended (docs/semantics.md §3.2 steps 7.4, 7.5): events,
    /// back-off, KEP-2535 records, and the pod's sync resumes.
    pub(crate) fn kubelet_pull_done(
        &mut self,
        id: Key,
        outcome: Result<(ImageRecord, Option<usize>), String>,
    ) {
        let Some(pull) = self.kubelet_pulls.remove(id) else {
            return;
        };
        // Taken first: the events and the sync below are not tail calls of the puller loop.
        let tail = std::mem::take(&mut self.nodes[pull.node.0 as usize].kubelet.puller.starting);
        let now = self.now;
        let started = pull.started.unwrap_or(now);
        let image = if self.keeps_events() {
            pull.image.clone()
        } else {
            String::new()
        };
        self.record_platform_choice(pull.pod, pull.node, &outcome);
        self.record(TraceEvent::PullFinished {
            pod: pull.pod,
            node: pull.node,
            image,
            pull_duration: now.saturating_since(started),
            total_duration: now.saturating_since(pull.submitted),
            succeeded: outcome.is_ok(),
            content_hits: pull.content_hits,
            fetched: pull.fetched,
        });
        let behavior = self.config.kubelet_behavior;
        let key = pull.backoff_key;
        let ensure = match outcome {
            Ok((image, credential)) => {
                // The `Pulled` event's text (with its Go durations) is built only when
                // events are kept; the back-off effect is the same either way.
                let (events, backoff) = if self.keeps_events() {
                    let success = pullsim_model::pull::pull_succeeded(
                        &pull.image,
                        now.saturating_since(started),
                        now.saturating_since(pull.submitted),
                        image.size_bytes,
                        &behavior,
                    );
                    (success.events, success.backoff)
                } else {
                    (Vec::new(), pullsim_model::pull::SUCCEEDED_BACKOFF)
                };
                let kubelet = &mut self.nodes[pull.node.0 as usize].kubelet;
                kubelet.pull_succeeded(key, backoff, now);
                if kubelet.gate {
                    let mapping = pullsim_model::verification::PullCredentials::for_credential(
                        credential
                            .and_then(|index| pull.credentials.as_ref().as_ref().ok()?.get(index)),
                    );
                    let image_ref = &self.digest_texts[image.image_id.0 as usize];
                    self.nodes[pull.node.0 as usize].kubelet.record_pulled(
                        &pull.image,
                        image_ref,
                        mapping,
                        now,
                    );
                }
                for event in events {
                    self.container_event(pull.pod, pull.container, event);
                }
                Ensure::Ready(image)
            }
            Err(text) => {
                // Without kept events, the status texts of an image and error text already
                // seen are handed out again (the events are not written).
                let (failure, events) = if self.keeps_events() {
                    let failure = pullsim_model::pull::pull_failed(&pull.image, &text, &behavior);
                    let shared = SharedFailure::of(&failure, &mut self.shared_texts);
                    (shared, failure.events)
                } else {
                    let shared =
                        self.shared_texts
                            .pull_failure(key.image, &pull.image, &text, &behavior);
                    (shared, Vec::new())
                };
                self.nodes[pull.node.0 as usize].kubelet.pull_failed(
                    key,
                    &pull.image,
                    failure.backoff,
                    failure.stored_error,
                    now,
                );
                for event in events {
                    self.container_event(pull.pod, pull.container, event);
                }
                Ensure::Failed {
                    reason: WaitReason::Pull(failure.reason),
                    message: failure.message,
                    backoff: false,
                }
            }
        };
        let pod = &self.api.pods[pull.pod.0 as usize];
        if !pod.state.deleted && pod.state.sync.is_some() {
            self.container_started_or_failed(pull.pod, pull.container, ensure);
            self.continue_sync(pull.pod);
        }
        // The slot is freed last: the puller answers this caller before it takes the next
        // request, so pulls that end at one instant are answered (and retried) in FIFO order.
        self.release_puller_slot(pull.node, tail);
    }
}

/// The KEP-2535 record of a credential that came from a pod Secret.
fn secret_record(credential: &TrackedCredential) -> Option<PullSecretRecord> {
    PullSecretRecord::from_credential(credential)
}
