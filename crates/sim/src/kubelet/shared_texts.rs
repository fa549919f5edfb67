//! The waiting texts pods share: a stored pull error and a waiting message are kept once
//! per distinct text and handed out by reference. A fleet in back-off writes the same few
//! texts (one registry error, one image) for every pod, sync after sync; sharing them makes
//! a status write a reference count instead of a copy, and a status compare one pointer.
//!
//! The texts the model writes from an image and an error are pure functions of the two (and
//! of the kubelet behaviour, fixed for a run): the back-off message of an image and a stored
//! error, and what a failed pull of an image with a runtime error records. Each is written
//! once per distinct pair and handed out again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use pullsim_model::pull::{
    BackoffEffect, KubeletBehavior, PullFailure, Texts, WaitingReason, pull_failed_with,
};

use crate::memo::ImageKey;

/// Distinct texts, each held once, and the texts written from them.
#[derive(Debug, Default)]
pub(crate) struct SharedTexts {
    texts: BTreeSet<Arc<str>>,
    /// The back-off message by image and stored error.
    backoff_messages: BTreeMap<ImageKey, BTreeMap<Arc<str>, Arc<str>>>,
    /// A failed pull's status texts by image and runtime error text.
    failures: BTreeMap<ImageKey, BTreeMap<Box<str>, SharedFailure>>,
}

/// The status side of `pull_failed` (docs/semantics.md §3.2 step 7.4): the reason, the
/// container's waiting message and the error stored under the back-off key, shared.
#[derive(Debug, Clone)]
pub(crate) struct SharedFailure {
    pub(crate) reason: WaitingReason,
    pub(crate) message: Arc<str>,
    pub(crate) stored_error: Arc<str>,
    pub(crate) backoff: BackoffEffect,
}

impl SharedFailure {
    /// The status side of the model's `failure`, its texts shared.
    pub(crate) fn of(failure: &PullFailure, texts: &mut SharedTexts) -> SharedFailure {
        SharedFailure {
            reason: failure.reason,
            message: texts.share(&failure.message),
            stored_error: texts.share(&failure.stored_error),
            backoff: failure.backoff,
        }
    }
}

impl SharedTexts {
    /// The shared copy of `text` (the first one seen of that content).
    pub(crate) fn share(&mut self, text: &str) -> Arc<str> {
        if let Some(held) = self.texts.get(text) {
            return Arc::clone(held);
        }
        let held: Arc<str> = Arc::from(text);
        self.texts.insert(Arc::clone(&held));
        held
    }

    /// [`SharedTexts::share`] of a text held by reference already: kept as is when it is
    /// the first of its content.
    pub(crate) fn share_arc(&mut self, text: Arc<str>) -> Arc<str> {
        if let Some(held) = self.texts.get(&*text) {
            return Arc::clone(held);
        }
        self.texts.insert(Arc::clone(&text));
        text
    }

    /// The back-off message kept for `image` with the stored error `previous`
    /// ([`SharedTexts::keep_backoff_message`]).
    pub(crate) fn backoff_message(&self, image: ImageKey, previous: &str) -> Option<Arc<str>> {
        self.backoff_messages.get(&image)?.get(previous).cloned()
    }

    /// Keeps `message`, the back-off message of `image` with the stored error `previous`,
    /// and returns its shared copy.
    pub(crate) fn keep_backoff_message(
        &mut self,
        image: ImageKey,
        previous: &Arc<str>,
        message: Arc<str>,
    ) -> Arc<str> {
        let message = self.share_arc(message);
        self.backoff_messages
            .entry(image)
            .or_default()
            .insert(Arc::clone(previous), Arc::clone(&message));
        message
    }

    /// What a failed pull of `image` (the container's string, keyed `key`) with the
    /// runtime's error `err_text` puts in the status: the model's `pull_failed` without its
    /// events, written once per image and error text.
    pub(crate) fn pull_failure(
        &mut self,
        key: ImageKey,
        image: &str,
        err_text: &str,
        behavior: &KubeletBehavior,
    ) -> SharedFailure {
        if let Some(known) = self
            .failures
            .get(&key)
            .and_then(|by_text| by_text.get(err_text))
        {
            return known.clone();
        }
        let failure = pull_failed_with(image, err_text, behavior, Texts::StatusOnly);
        let shared = SharedFailure::of(&failure, self);
        self.failures
            .entry(key)
            .or_default()
            .insert(err_text.into(), shared.clone());
        shared
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_share_one_copy_and_different_ones_do_not() {
        let mut texts = SharedTexts::default();
        let first = texts.share("ErrImagePull: 503");
        let again = texts.share(&String::from("ErrImagePull: 503"));
        assert!(Arc::ptr_eq(&first, &again));
        let other = texts.share("ErrImagePull: 404");
        assert!(!Arc::ptr_eq(&first, &other));
        assert_eq!(&*other, "ErrImagePull: 404");
        let kept = texts.share_arc(Arc::from("ErrImagePull: 503"));
        assert!(Arc::ptr_eq(&first, &kept));
        let fresh: Arc<str> = Arc::from("back-off");
        assert!(Arc::ptr_eq(&texts.share_arc(Arc::clone(&fresh)), &fresh));
    }

    #[test]
    fn a_back_off_message_is_kept_per_image_and_stored_error() {
        let mut texts = SharedTexts::default();
        let stored = texts.share("ErrImagePull: 503");
        assert_eq!(texts.backoff_message(ImageKey(0), &stored), None);
        let message = texts.keep_backoff_message(
            ImageKey(0),
            &stored,
            Arc::from("Back-off pulling image \"app\": ErrImagePull: 503"),
        );
        let again = texts.backoff_message(ImageKey(0), "ErrImagePull: 503");
        assert!(again.is_some_and(|kept| Arc::ptr_eq(&kept, &message)));
        assert_eq!(
            texts.backoff_message(ImageKey(1), &stored),
            None,
            "per image"
        );
        assert_eq!(
            texts.backoff_message(ImageKey(0), "ErrImagePull: 404"),
            None
        );
    }

    #[test]
    fn a_failed_pull_is_the_models_and_written_once_per_image_and_error() {
        let behavior = KubeletBehavior::MAINLINE;
        let mut texts = SharedTexts::default();
        let image = "registry.example/app:v1";
        for err in [
            "rpc error: code = Unknown desc = 503",
            "RegistryUnavailable: refused",
        ] {
            let want = pullsim_model::pull::pull_failed(image, err, &behavior);
            let first = texts.pull_failure(ImageKey(0), image, err, &behavior);
            assert_eq!(
                (
                    first.reason,
                    &*first.message,
                    &*first.stored_error,
                    first.backoff
                ),
                (
                    want.reason,
                    &*want.message,
                    &*want.stored_error,
                    want.backoff
                ),
                "{err}"
            );
            let again = texts.pull_failure(ImageKey(0), image, err, &behavior);
            assert!(Arc::ptr_eq(&first.message, &again.message), "{err}");
            assert!(
                Arc::ptr_eq(&first.stored_error, &again.stored_error),
                "{err}"
            );
        }
        let other = texts.pull_failure(ImageKey(1), "other:v1", "RegistryUnavailable", &behavior);
        assert_eq!(
            &*other.message,
            "image pull failed for other:v1 because the registry is unavailable"
        );
    }
}
