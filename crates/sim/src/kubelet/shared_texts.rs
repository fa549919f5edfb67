//! The waiting texts pods share: a stored pull error and a waiting message are kept once
//! per distinct text and handed out by reference. A fleet in back-off writes the same few
//! texts (one registry error, one image) for every pod, sync after sync; sharing them makes
//! a status write a reference count instead of a copy, and a status compare one pointer.

use std::collections::BTreeSet;
use std::sync::Arc;

/// Distinct texts, each held once.
#[derive(Debug, Default)]
pub(crate) struct SharedTexts {
    texts: BTreeSet<Arc<str>>,
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
}
