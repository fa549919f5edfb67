//! The kubelet's image puller and what it wraps (docs/semantics.md §3.1, 3.3): the serial puller
//! (a FIFO channel of 10, callers blocking beyond it, one pull at a time) or the parallel
//! puller (bounded by `maxParallelImagePulls`), the `registryPullQPS` throttle checked when a
//! pull starts, and the runtime called once per credential, in keyring order, with no
//! anonymous attempt after credentials that all failed.

use pullsim_model::pull::aggregate_error_text;

use std::sync::Arc;

use crate::cri::{PullCredential, PullImageAnswer, PullImageRequest};
use crate::engine::Key;
use crate::sim::Sim;
use crate::trace::{AttemptOutcome, NodeId, TraceEvent};

impl Sim {
    /// Hands a pull to the node's puller.
    pub(crate) fn submit_pull(&mut self, id: Key) {
        let Some(pull) = self.kubelet_pulls.get(id) else {
            return;
        };
        let node = pull.node;
        self.nodes[node.0 as usize].kubelet.submit_pull(id);
        self.pump_puller(node);
    }

    /// Starts queued pulls while the puller has room.
    fn pump_puller(&mut self, node: NodeId) {
        loop {
            let Some(id) = self.nodes[node.0 as usize].kubelet.next_pull() else {
                return;
            };
            let deleted = self
                .kubelet_pulls
                .get(id)
                .is_none_or(|pull| self.api.pods[pull.pod.0 as usize].state.deleted);
            if deleted {
                // The caller's context ended with its pod; the request is dropped.
                self.kubelet_pulls.remove(id);
                continue;
            }
            let outer = self.nodes[node.0 as usize].kubelet.puller.begin();
            self.start_pull(id);
            self.nodes[node.0 as usize].kubelet.puller.started(outer);
        }
    }

    /// A pull ended: its slot frees up for the next. `tail` says the pull ended inside
    /// the puller loop's own `start_pull` with nothing but tail calls in between (see
    /// `PullerQueues::starting`): that loop takes the next request itself, in the same
    /// order a nested pump would, so the stack does not grow with the queue.
    pub(crate) fn release_puller_slot(&mut self, node: NodeId, tail: bool) {
        self.nodes[node.0 as usize].kubelet.puller.release();
        if !tail {
            self.pump_puller(node);
        }
    }

    /// The puller starts a pull: the throttle first, then the first credential.
    fn start_pull(&mut self, id: Key) {
        let now = self.now;
        let Some(pull) = self.kubelet_pulls.get_mut(id) else {
            return;
        };
        pull.started = Some(now);
        let node = pull.node;
        if !self.nodes[node.0 as usize].kubelet.throttle_accepts(now) {
            let text = self
                .config
                .kubelet_behavior
                .pull_qps_exceeded_text()
                .to_owned();
            self.kubelet_pull_done(id, Err(text));
            return;
        }
        self.next_attempt(id);
    }

    /// Tries the next credential, or ends the pull with the aggregate of every failure.
    fn next_attempt(&mut self, id: Key) {
        let Some(pull) = self.kubelet_pulls.get(id) else {
            return;
        };
        let credentials = match pull.credentials.as_ref() {
            Ok(credentials) => credentials,
            Err(text) => {
                let text = text.clone();
                self.kubelet_pull_done(id, Err(text));
                return;
            }
        };
        let attempts = credentials.len().max(1);
        if pull.attempt >= attempts {
            let text = aggregate_error_text(&pull.errors).unwrap_or_default();
            self.kubelet_pull_done(id, Err(text));
            return;
        }
        let credential = (pull.attempt < credentials.len()).then(|| PullCredential {
            credentials: Arc::clone(&pull.credentials),
            index: pull.attempt,
        });
        let request = PullImageRequest {
            node: pull.node,
            owner: id,
            target: pull.pull_target.clone(),
            credential,
        };
        self.start_runtime_pull(request);
    }

    /// The runtime's answer to one credential attempt.
    pub(crate) fn runtime_pull_done(&mut self, answer: PullImageAnswer) {
        let PullImageAnswer {
            owner: id,
            image: outcome,
            content_hits,
            fetched,
        } = answer;
        let Some(pull) = self.kubelet_pulls.get_mut(id) else {
            return;
        };
        pull.content_hits += content_hits;
        pull.fetched += fetched;
        let attempt = pull.attempt;
        let (pod, container, node) = (pull.pod, pull.container, pull.node);
        if self.keeps_events() {
            let pull = self.kubelet_pulls.get(id);
            let (source, username) = match pull
                .and_then(|pull| pull.credentials.as_ref().as_ref().ok())
                .and_then(|c| c.get(attempt))
            {
                Some(credential) => (Some(credential.source.clone()), credential.username.clone()),
                None => (None, String::new()),
            };
            let recorded = match &outcome {
                Ok(_) => AttemptOutcome::Pulled,
                Err(text) => AttemptOutcome::Failed(text.clone()),
            };
            self.record(TraceEvent::CredentialAttempt {
                pod,
                container,
                node,
                source,
                username,
                outcome: recorded,
            });
        }
        match outcome {
            Ok(image) => {
                let has_credential = self
                    .kubelet_pulls
                    .get(id)
                    .and_then(|pull| pull.credentials.as_ref().as_ref().ok())
                    .is_some_and(|c| attempt < c.len());
                self.kubelet_pull_done(id, Ok((image, has_credential.then_some(attempt))));
            }
            Err(text) => {
                if let Some(pull) = self.kubelet_pulls.get_mut(id) {
                    pull.errors.push(text);
                    pull.attempt += 1;
                }
                self.next_attempt(id);
            }
        }
    }
}
