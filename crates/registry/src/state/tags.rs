//! Tags from outside the protocol: moving and deleting them (the control API, the
//! simulator, triggers), their history, and the list of live tags.

use pullsim_model::{Digest, SimTime};
use serde::{Deserialize, Serialize};

use crate::api::names;
use crate::error::RegistryError;
use crate::registry::Registry;
use crate::state::store::TagEvent;

/// One live tag, as `pullsim registry serve` prints them and `GET /_pullsim/tags` lists them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagSummary {
    /// The repository.
    pub repository: String,
    /// The tag.
    pub tag: String,
    /// Its target.
    pub digest: Digest,
    /// The target's media type.
    pub media_type: String,
}

impl Registry {
    /// Points `repository:tag` at a manifest already in the repository.
    pub fn move_tag(
        &mut self,
        repository: &str,
        tag: &str,
        digest: &Digest,
        now: SimTime,
    ) -> Result<(), RegistryError> {
        names::check_repository(repository)?;
        names::check_tag(tag)?;
        self.forget_answers();
        let canonical = self.store.resolve(digest);
        let unknown = || RegistryError::ManifestUnknown {
            repository: repository.to_owned(),
            digest: digest.clone(),
        };
        let canonical = canonical.ok_or_else(unknown)?;
        let repo = self
            .store
            .repositories
            .get_mut(repository)
            .ok_or_else(unknown)?;
        if !repo.manifests.contains(&canonical) {
            return Err(unknown());
        }
        repo.tags
            .entry(tag.to_owned())
            .or_default()
            .point(canonical, now);
        Ok(())
    }

    /// Deletes a tag (its history is kept).
    pub fn delete_tag(
        &mut self,
        repository: &str,
        tag: &str,
        now: SimTime,
    ) -> Result<(), RegistryError> {
        self.forget_answers();
        let deleted = self
            .store
            .repositories
            .get_mut(repository)
            .and_then(|repo| repo.tags.get_mut(tag))
            .is_some_and(|entry| entry.delete(now));
        if deleted {
            Ok(())
        } else {
            Err(RegistryError::TagUnknown {
                repository: repository.to_owned(),
                tag: tag.to_owned(),
            })
        }
    }

    /// Every span of a tag's history, oldest first, deleted tags included.
    pub fn tag_history(&self, repository: &str, tag: &str) -> Option<&[TagEvent]> {
        self.store
            .repository(repository)
            .and_then(|repo| repo.tags.get(tag))
            .map(|entry| entry.history.as_slice())
    }

    /// Every live tag, by repository then tag.
    pub fn tags(&self) -> Vec<TagSummary> {
        let mut out = Vec::new();
        for (name, repository) in &self.store.repositories {
            for (tag, digest) in repository.live_tags() {
                let media_type = self
                    .store
                    .get(digest)
                    .and_then(|content| content.manifest.as_ref())
                    .map_or_else(String::new, |facts| facts.kind().media_type().to_owned());
                out.push(TagSummary {
                    repository: name.clone(),
                    tag: tag.clone(),
                    digest: digest.clone(),
                    media_type,
                });
            }
        }
        out
    }
}
