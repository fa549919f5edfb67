//! One node's kubelet: its pull settings and throttle, the image manager's back-off and
//! stored errors, the KEP-2535 pull records, the node's credential config, the puller's
//! queues, and whether the process is up, with the decisions that need only that state.
//! `Sim`'s methods in `pod_workers.rs`, `image_manager.rs` and `puller.rs` are the glue
//! that touches the world (pods, the queue, the trace, the runtime) and delegate here.

use std::collections::BTreeMap;
use std::sync::Arc;

use pullsim_model::credentials::BasicDockerKeyring;
use pullsim_model::pull::BackoffEffect;
use pullsim_model::verification::{
    PullCredentials, PullSecretRecord, PullServiceAccountRecord, RuntimeImage,
};
use pullsim_model::{
    Backoff, CredentialVerification, PullRecords, PullThrottle, Puller, SimTime,
    kubelet_config::KubeletPullSettings,
};

use crate::config::KubeletSettings;
use crate::engine::Key;
use crate::kubelet::pull_queue::PullerQueues;
use crate::memo::ImageKey;
use crate::plugins::NodeProviders;
use crate::trace::PodId;

/// The image manager's back-off key, `<podUID>_<image>` ([`pullsim_model::backoff_key`]) by
/// ids: a pod's UID is one-to-one with its id and an image string with its [`ImageKey`], so
/// the same pairs are told apart, and a check builds and compares no text (the check runs
/// on every sync of a pod waiting in back-off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PullKey {
    pub(crate) pod: PodId,
    pub(crate) image: ImageKey,
}

/// A back-off key's stored error and the back-off waiting message of its image and that
/// error, once a sync wrote it: every sync until the next failed pull would write the same.
#[derive(Debug)]
struct StoredError {
    error: Arc<str>,
    backoff_message: Option<Arc<str>>,
}

/// One node's kubelet state.
#[derive(Debug)]
pub(crate) struct Kubelet {
    settings: KubeletPullSettings,
    throttle: PullThrottle,
    backoff: Backoff<PullKey>,
    /// The crash-loop back-off (a separate object from the image back-off), per container.
    pub(crate) crash_backoff: Backoff,
    /// The stored `<reason>: <message>` of each back-off key's last failed pull, with the
    /// back-off message written from it.
    previous_errors: BTreeMap<PullKey, StoredError>,
    records: PullRecords,
    /// The `KubeletEnsureSecretPulledImages` feature gate.
    pub(crate) gate: bool,
    verification: CredentialVerification,
    /// The node's credential config (`config.json` in the kubelet's search path).
    pub(crate) node_keyring: BasicDockerKeyring,
    /// False while the kubelet is restarting.
    pub(crate) up: bool,
    /// Bumped by every restart, so work of the previous process is recognised as stale.
    generation: u32,
    pub(crate) puller: PullerQueues,
    /// How many pods are bound here (for placement).
    pub(crate) pod_count: u32,
    /// The credential providers of its `CredentialProviderConfig`, when it has one.
    pub(crate) providers: Option<Box<NodeProviders>>,
}

impl Kubelet {
    /// A kubelet started with these settings and node credentials.
    pub(crate) fn new(settings: &KubeletSettings, node_keyring: BasicDockerKeyring) -> Kubelet {
        let pull = settings.pull.with_defaults();
        Kubelet {
            settings: pull,
            throttle: pull.throttle(),
            backoff: image_backoff(),
            crash_backoff: Backoff::crash_loop(),
            previous_errors: BTreeMap::new(),
            records: PullRecords::new(),
            gate: settings.ensure_secret_pulled_images,
            verification: settings.verification.clone(),
            node_keyring,
            up: true,
            generation: 0,
            puller: PullerQueues::default(),
            pod_count: 0,
            providers: None,
        }
    }

    /// Which puller the settings build.
    fn puller_kind(&self) -> Puller {
        self.settings.puller()
    }

    /// Hands a pull to the puller ([`PullerQueues::submit`]).
    pub(crate) fn submit_pull(&mut self, pull: Key) {
        let kind = self.puller_kind();
        self.puller.submit(kind, pull);
    }

    /// The next pull the puller takes, if it has a free slot ([`PullerQueues::next`]).
    pub(crate) fn next_pull(&mut self) -> Option<Key> {
        let kind = self.puller_kind();
        self.puller.next(kind)
    }

    /// The `registryPullQPS` throttle, checked when the puller starts a pull: whether it
    /// lets one more through now.
    pub(crate) fn throttle_accepts(&mut self, now: SimTime) -> bool {
        self.throttle.try_accept(now)
    }

    /// Whether the image manager's back-off holds `key` (pod UID and image) now.
    pub(crate) fn in_backoff(&self, key: PullKey, now: SimTime) -> bool {
        self.backoff.is_in_backoff_since_update(&key, now)
    }

    /// The stored `<reason>: <message>` of `key`'s last failed pull.
    pub(crate) fn previous_error(&self, key: PullKey) -> Option<&Arc<str>> {
        self.previous_errors.get(&key).map(|stored| &stored.error)
    }

    /// The back-off message kept for `key`'s stored error ([`Kubelet::keep_backoff_message`]).
    pub(crate) fn backoff_message(&self, key: PullKey) -> Option<&Arc<str>> {
        self.previous_errors.get(&key)?.backoff_message.as_ref()
    }

    /// Keeps the back-off message a sync wrote for `key`'s stored error, until the error
    /// goes (a pull is decided, or fails again and stores another). With no stored error
    /// nothing is kept.
    pub(crate) fn keep_backoff_message(&mut self, key: PullKey, message: &Arc<str>) {
        if let Some(stored) = self.previous_errors.get_mut(&key) {
            stored.backoff_message = Some(Arc::clone(message));
        }
    }

    /// KEP-2535 (docs/semantics.md §5): whether `image`, present as `image_ref`, must be
    /// pulled again for a pod with these secrets (the gate is on).
    pub(crate) fn must_attempt_pull(
        &mut self,
        image: &str,
        image_ref: &str,
        pod_secrets: &[PullSecretRecord],
        pod_service_account: Option<&PullServiceAccountRecord>,
        now: SimTime,
    ) -> bool {
        self.records.must_attempt_image_pull(
            &self.verification,
            image,
            image_ref,
            pod_secrets,
            pod_service_account,
            now,
        )
    }

    /// The image manager decided to pull `image` for `key`: the stored error goes, and
    /// with the gate on the pull intent is recorded.
    pub(crate) fn pull_decided(&mut self, key: PullKey, image: &str) {
        self.previous_errors.remove(&key);
        if self.gate {
            self.records.record_pull_intent(image);
        }
    }

    /// A pull for `key` succeeded: the back-off takes the success's effect.
    pub(crate) fn pull_succeeded(&mut self, key: PullKey, backoff: BackoffEffect, now: SimTime) {
        apply(backoff, &mut self.backoff, key, now);
    }

    /// With the gate on, `image` was pulled as `image_ref` with `credentials`.
    pub(crate) fn record_pulled(
        &mut self,
        image: &str,
        image_ref: &str,
        credentials: PullCredentials,
        now: SimTime,
    ) {
        debug_assert!(self.gate, "pull records are kept only with the gate on");
        self.records
            .record_image_pulled(image, image_ref, Some(credentials), now);
    }

    /// A pull of `image` for `key` failed: the back-off takes the failure's effect, the
    /// error is stored for the next `EnsureImageExists`, and the intent is dropped.
    pub(crate) fn pull_failed(
        &mut self,
        key: PullKey,
        image: &str,
        backoff: BackoffEffect,
        stored_error: Arc<str>,
        now: SimTime,
    ) {
        apply(backoff, &mut self.backoff, key, now);
        self.previous_errors.insert(
            key,
            StoredError {
                error: stored_error,
                backoff_message: None,
            },
        );
        if self.gate {
            self.records.record_image_pull_failed(image);
        }
    }

    /// The process stops (docs/semantics.md §3.4, 5.4): it is down, work of the old
    /// process is stale, the back-off, stored errors, throttle and queues are lost, and
    /// the KEP-2535 records are converted from the runtime's image list.
    pub(crate) fn restart(&mut self, runtime_images: &[RuntimeImage], now: SimTime) {
        self.up = false;
        self.generation = self.generation.wrapping_add(1);
        self.backoff = image_backoff();
        self.crash_backoff = Backoff::crash_loop();
        self.previous_errors.clear();
        self.throttle = self.settings.throttle();
        self.puller = PullerQueues::default();
        self.records.restart(runtime_images, now);
        if let Some(providers) = self.providers.as_mut() {
            providers.restart();
        }
    }
}

/// The kubelet's image back-off ([`Backoff::image_pull`]'s windows) keyed by [`PullKey`].
fn image_backoff() -> Backoff<PullKey> {
    Backoff::keyed(Backoff::IMAGE_PULL_INITIAL, Backoff::IMAGE_PULL_MAX)
}

/// [`BackoffEffect::apply`] for the id-keyed back-off.
fn apply(effect: BackoffEffect, backoff: &mut Backoff<PullKey>, key: PullKey, now: SimTime) {
    match effect {
        BackoffEffect::Advance => backoff.next(&key, now),
        BackoffEffect::CollectGarbage => backoff.gc(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pullsim_model::kubelet_config::KubeletPullConfig;

    fn key(pod: u32, image: u32) -> PullKey {
        PullKey {
            pod: PodId(pod),
            image: ImageKey(image),
        }
    }

    fn kubelet(serialize: bool, max: Option<i32>) -> Kubelet {
        let settings = KubeletSettings {
            pull: KubeletPullConfig {
                serialize_image_pulls: Some(serialize),
                max_parallel_image_pulls: max,
                ..KubeletPullConfig::default()
            },
            ..KubeletSettings::default()
        };
        Kubelet::new(&settings, BasicDockerKeyring::new())
    }

    /// Runs a script of submissions (`+n`), completions (`-`) and takes (`?`), returning
    /// what each take started.
    fn run(kubelet: &mut Kubelet, script: &str) -> Vec<Vec<Key>> {
        let mut taken = Vec::new();
        let mut submitted: Key = 0;
        for step in script.split_whitespace() {
            match step {
                "-" => kubelet.puller.release(),
                "?" => {
                    let mut started = Vec::new();
                    while let Some(pull) = kubelet.next_pull() {
                        let outer = kubelet.puller.begin();
                        kubelet.puller.started(outer);
                        started.push(pull);
                    }
                    taken.push(started);
                }
                submit => {
                    let count: u32 = submit.trim_start_matches('+').parse().expect("a count");
                    for _ in 0..count {
                        submitted += 1;
                        kubelet.submit_pull(submitted);
                    }
                }
            }
        }
        taken
    }

    #[test]
    fn the_default_kubelet_pulls_serially() {
        let mut kubelet = kubelet(true, None);
        let taken = run(&mut kubelet, "+12 ? ? - ? - ?");
        assert_eq!(taken, [vec![1], vec![], vec![2], vec![3]]);
    }

    #[test]
    fn parallel_pulls_are_bounded_by_max_parallel_image_pulls() {
        let mut kubelet = kubelet(false, Some(2));
        let taken = run(&mut kubelet, "+5 ? - ? - - ?");
        assert_eq!(taken, [vec![1, 2], vec![3], vec![4, 5]]);
    }

    #[test]
    fn a_failed_pull_backs_off_and_stores_its_error_until_the_next_pull_is_decided() {
        let mut kubelet = kubelet(true, None);
        let now = SimTime::EPOCH;
        let app = key(1, 0);
        assert!(!kubelet.in_backoff(app, now));
        kubelet.pull_failed(
            app,
            "app",
            BackoffEffect::Advance,
            "ErrImagePull: not found".into(),
            now,
        );
        assert!(kubelet.in_backoff(app, now));
        assert!(!kubelet.in_backoff(key(1, 1), now), "back-off is per key");
        assert!(!kubelet.in_backoff(key(2, 0), now), "and per pod");
        assert_eq!(
            kubelet.previous_error(app).map(|error| &**error),
            Some("ErrImagePull: not found")
        );
        assert_eq!(kubelet.backoff_message(app), None);
        let message: Arc<str> = "Back-off pulling image \"app\": ErrImagePull: not found".into();
        kubelet.keep_backoff_message(app, &message);
        assert!(
            kubelet
                .backoff_message(app)
                .is_some_and(|kept| Arc::ptr_eq(kept, &message))
        );
        kubelet.keep_backoff_message(key(2, 0), &message);
        assert_eq!(
            kubelet.backoff_message(key(2, 0)),
            None,
            "kept only with a stored error"
        );
        kubelet.pull_failed(
            app,
            "app",
            BackoffEffect::Advance,
            "ErrImagePull: 503".into(),
            now,
        );
        assert_eq!(
            kubelet.backoff_message(app),
            None,
            "a new error, a new message"
        );
        kubelet.keep_backoff_message(app, &message);
        kubelet.pull_decided(app, "app");
        assert_eq!(kubelet.previous_error(app), None);
        assert_eq!(kubelet.backoff_message(app), None);
        assert!(
            kubelet.in_backoff(app, now),
            "deciding to pull does not end the back-off"
        );
    }

    #[test]
    fn a_restart_forgets_the_queues_and_the_back_off_and_bumps_the_generation() {
        let mut kubelet = kubelet(true, None);
        run(&mut kubelet, "+3 ?");
        kubelet.pull_failed(
            key(1, 0),
            "app",
            BackoffEffect::CollectGarbage,
            "ErrImagePull: x".into(),
            SimTime::EPOCH,
        );
        kubelet.backoff.next(&key(1, 0), SimTime::EPOCH);
        kubelet.restart(&[], SimTime::EPOCH);
        assert!(!kubelet.up);
        assert_eq!(kubelet.generation, 1);
        assert!(kubelet.previous_errors.is_empty());
        assert!(
            !kubelet
                .backoff
                .is_in_backoff_since_update(&key(1, 0), SimTime::EPOCH)
        );
        assert_eq!(kubelet.puller.active(), 0);
        assert_eq!(kubelet.next_pull(), None, "queued pulls are gone");
    }
}
