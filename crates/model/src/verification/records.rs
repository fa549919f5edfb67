//! The pull manager's records: which credentials pulled which image, and the decision
//! `MustAttemptImagePull` takes from them (docs/semantics.md §5.3, 5.4).
//!
//! Upstream keeps these as files under `<root-dir>/image_manager/` plus an in-memory
//! counter of in-flight pulls. Here they are ordered maps: `intent_files` survive a kubelet
//! restart, `intent_counters` do not, exactly like the files and the counter map.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::CredentialVerification;
use crate::credentials::keyring::{CredentialSource, ServiceAccountRef, TrackedCredential};
use crate::reference::parse_image_name;
use crate::{Digest, SimTime};

/// When a cached record already lists this many secrets, a match by hash or by
/// coordinates is no longer written back (`writeRecordWhileMatchingLimit`).
pub const WRITE_RECORD_WHILE_MATCHING_LIMIT: usize = 100;

/// A pod pull secret as the pull manager records it (`ImagePullSecret`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PullSecretRecord {
    /// The Secret's namespace (first sort key, as `imagePullSecretLess`).
    pub namespace: String,
    /// The Secret's name.
    pub name: String,
    /// The Secret's UID.
    pub uid: String,
    /// A hash of the credential this secret gave for the image; equal hashes mean equal
    /// credentials, whatever secret carries them.
    pub credential_hash: String,
}

impl PullSecretRecord {
    /// The record of a credential that came from a pod Secret (`None` for any other source).
    pub fn from_credential(credential: &TrackedCredential) -> Option<PullSecretRecord> {
        match &credential.source {
            CredentialSource::PodSecret {
                namespace,
                name,
                uid,
                ..
            } => Some(PullSecretRecord {
                namespace: namespace.clone(),
                name: name.clone(),
                uid: uid.clone().unwrap_or_default(),
                credential_hash: credential_hash(&credential.username, &credential.password),
            }),
            CredentialSource::NodeConfig { .. } | CredentialSource::Plugin { .. } => None,
        }
    }
}

impl From<&ServiceAccountRef> for PullServiceAccountRecord {
    fn from(account: &ServiceAccountRef) -> PullServiceAccountRecord {
        PullServiceAccountRecord {
            namespace: account.namespace.clone(),
            name: account.name.clone(),
            uid: account.uid.clone(),
        }
    }
}

/// A service account whose token pulled an image (`ImagePullServiceAccount`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PullServiceAccountRecord {
    /// Namespace, then name, then UID: the upstream sort order.
    pub namespace: String,
    /// The service account's name.
    pub name: String,
    /// The service account's UID.
    pub uid: String,
}

/// Who may use an image pulled for one repository (`ImagePullCredentials`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PullCredentials {
    /// Pulled anonymously or with node-level credentials: every pod on the node may use it.
    pub node_pods_accessible: bool,
    /// Pulled with these pod secrets; sorted by namespace, name, UID.
    pub kubernetes_secrets: Vec<PullSecretRecord>,
    /// Pulled with these service accounts' tokens; sorted by namespace, name, UID.
    pub kubernetes_service_accounts: Vec<PullServiceAccountRecord>,
}

impl PullCredentials {
    /// The record for a pull that used no pod-level credential (anonymous or node config).
    pub fn node_wide() -> PullCredentials {
        PullCredentials {
            node_pods_accessible: true,
            ..PullCredentials::default()
        }
    }

    /// The record for a pull that succeeded with one pod secret.
    pub fn secret(secret: PullSecretRecord) -> PullCredentials {
        PullCredentials {
            kubernetes_secrets: vec![secret],
            ..PullCredentials::default()
        }
    }

    /// The record for a pull that succeeded with a credential a plugin gave for one service
    /// account (KEP-4412).
    pub fn service_account(account: PullServiceAccountRecord) -> PullCredentials {
        PullCredentials {
            kubernetes_service_accounts: vec![account],
            ..PullCredentials::default()
        }
    }

    /// The record for a pull that succeeded with `credential` (`None`: anonymously): a pod
    /// Secret's coordinates and hash; a plugin answer's service account when the plugin was
    /// given a token; node-wide otherwise (anonymous, a node config file, a plugin answer
    /// without a service account, which upstream adds to the keyring without a source).
    pub fn for_credential(credential: Option<&TrackedCredential>) -> PullCredentials {
        let Some(credential) = credential else {
            return PullCredentials::node_wide();
        };
        match &credential.source {
            CredentialSource::PodSecret { .. } => PullSecretRecord::from_credential(credential)
                .map_or_else(PullCredentials::node_wide, PullCredentials::secret),
            CredentialSource::Plugin {
                service_account: Some(account),
                ..
            } => PullCredentials::service_account(PullServiceAccountRecord::from(account)),
            CredentialSource::Plugin {
                service_account: None,
                ..
            }
            | CredentialSource::NodeConfig { .. } => PullCredentials::node_wide(),
        }
    }

    fn is_empty(&self) -> bool {
        !self.node_pods_accessible
            && self.kubernetes_secrets.is_empty()
            && self.kubernetes_service_accounts.is_empty()
    }
}

/// `ImagePulledRecord`: an image (by the runtime's image ID) the kubelet pulled, and for
/// each normalised repository name, who may use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PulledRecord {
    /// The runtime's image ID.
    pub image_ref: String,
    /// When the record last changed.
    pub last_updated: SimTime,
    /// Normalised repository name (`docker.io/library/nginx`) to credentials.
    pub credential_mapping: BTreeMap<String, PullCredentials>,
}

/// An image as the runtime lists it, for the start-up conversion of pull intents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeImage {
    /// The image ID.
    pub id: String,
    /// Normalised tags (`docker.io/library/nginx:latest`).
    pub repo_tags: Vec<String>,
    /// Normalised digests (`docker.io/library/nginx@sha256:...`).
    pub repo_digests: Vec<String>,
}

/// The pull manager's state on one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PullRecords {
    pulled: BTreeMap<String, PulledRecord>,
    intent_files: BTreeSet<String>,
    intent_counters: BTreeMap<String, u32>,
}

/// A stable hash of one credential, standing in for the kubelet's `AuthConfigHash` (a SHA-256
/// over the JSON of the CRI auth config). Only equality matters, and the hash never leaves
/// the node, so any collision-resistant function of the same fields gives the same decisions.
pub fn credential_hash(username: &str, password: &str) -> String {
    // Length prefixes keep ("a:", "b") and ("a", ":b") apart.
    let mut bytes = Vec::with_capacity(16 + username.len() + password.len());
    for field in [username, password] {
        bytes.extend_from_slice(&(field.len() as u64).to_be_bytes());
        bytes.extend_from_slice(field.as_bytes());
    }
    Digest::sha256_of(&bytes).encoded().to_owned()
}

impl PullRecords {
    /// No records: a node where the gate was just enabled. Every image already present counts
    /// as pre-loaded.
    pub fn new() -> PullRecords {
        PullRecords::default()
    }

    /// The pulled record for an image ID, if any.
    pub fn pulled(&self, image_ref: &str) -> Option<&PulledRecord> {
        self.pulled.get(image_ref)
    }

    /// Every pulled record, by image ID.
    pub fn pulled_records(&self) -> impl Iterator<Item = &PulledRecord> {
        self.pulled.values()
    }

    /// Whether a pull intent is on disk for this exact image string.
    pub fn has_intent(&self, image: &str) -> bool {
        self.intent_files.contains(image)
    }

    /// `RecordPullIntent`, before a pull: the intent file and the in-memory counter.
    pub fn record_pull_intent(&mut self, image: &str) {
        self.intent_files.insert(image.to_owned());
        *self.intent_counters.entry(image.to_owned()).or_insert(0) += 1;
    }

    /// `RecordImagePullFailed`: the intent counter goes down, the file goes at zero.
    pub fn record_image_pull_failed(&mut self, image: &str) {
        self.decrement_intent(image);
    }

    /// `RecordImagePulled`: write (or merge into) the pulled record, then decrement the intent.
    /// `credentials` is `None` when the pull's circumstances are unknown, which forces
    /// verification next time. An unparseable image writes nothing and keeps its intent,
    /// as upstream, where the record write fails first.
    pub fn record_image_pulled(
        &mut self,
        image: &str,
        image_ref: &str,
        credentials: Option<PullCredentials>,
        now: SimTime,
    ) {
        if self.write_pulled_record_if_changed(image, image_ref, credentials, now) {
            self.decrement_intent(image);
        }
    }

    /// `MustAttemptImagePull`: whether a pod asking for `image`, present locally as
    /// `image_ref` (empty when absent), must pull it to prove access. `pod_secrets` are the
    /// keyring's pod-secret credentials for this image; `pod_service_account` the pod's
    /// service account when a service-account-token credential matched. A matching rotated
    /// secret is written back into the record, as upstream does while matching.
    pub fn must_attempt_image_pull(
        &mut self,
        verification: &CredentialVerification,
        image: &str,
        image_ref: &str,
        pod_secrets: &[PullSecretRecord],
        pod_service_account: Option<&PullServiceAccountRecord>,
        now: SimTime,
    ) -> bool {
        if image_ref.is_empty() {
            return true;
        }
        let record = self.pulled.get(image_ref).cloned();
        let pulled_by_kubelet = record.is_some()
            || self.intent_counters.get(image).copied().unwrap_or(0) > 0
            || self.intent_files.contains(image);
        if !verification.requires_verification(image, pulled_by_kubelet) {
            return false;
        }
        let Some(record) = record else { return true };
        let Ok(sanitized) = parse_image_name(image).map(|name| name.repo) else {
            return true;
        };
        let Some(cached) = record.credential_mapping.get(&sanitized) else {
            return true;
        };
        if cached.node_pods_accessible {
            return false;
        }
        if cached.kubernetes_secrets.is_empty() && cached.kubernetes_service_accounts.is_empty() {
            return true;
        }
        let below_limit = cached.kubernetes_secrets.len() < WRITE_RECORD_WHILE_MATCHING_LIMIT;
        for pod_secret in pod_secrets {
            for cached_secret in &cached.kubernetes_secrets {
                let hashes_match = !cached_secret.credential_hash.is_empty()
                    && pod_secret.credential_hash == cached_secret.credential_hash;
                let coordinates_match = pod_secret.uid == cached_secret.uid
                    && pod_secret.namespace == cached_secret.namespace
                    && pod_secret.name == cached_secret.name;
                if hashes_match {
                    if !coordinates_match && below_limit {
                        let credentials = PullCredentials::secret(pod_secret.clone());
                        self.write_pulled_record_if_changed(
                            image,
                            image_ref,
                            Some(credentials),
                            now,
                        );
                    }
                    return false;
                }
                // A rotated secret (same coordinates, new hash) is accepted and recorded,
                // but only below the limit; above it the loop goes on.
                if coordinates_match && below_limit {
                    let credentials = PullCredentials::secret(pod_secret.clone());
                    self.write_pulled_record_if_changed(image, image_ref, Some(credentials), now);
                    return false;
                }
            }
        }
        // The pod's service account equals one that pulled the image.
        !pod_service_account
            .is_some_and(|account| cached.kubernetes_service_accounts.contains(account))
    }

    /// `PruneUnknownRecords`, from image GC: drop pulled records last updated before `until`
    /// whose image is no longer on the node.
    pub fn prune_unknown_records(&mut self, images_in_use: &[String], until: SimTime) {
        let in_use: BTreeSet<&str> = images_in_use.iter().map(String::as_str).collect();
        self.pulled.retain(|image_ref, record| {
            record.last_updated >= until || in_use.contains(image_ref.as_str())
        });
    }

    /// A kubelet restart: in-flight counters are lost; every intent file whose image string
    /// equals one of a runtime image's tags or digests (exact string compare) becomes a pulled
    /// record with no credentials (forcing verification) and the file is removed. Unmatched
    /// intents stay and still count as "pulled by the kubelet".
    pub fn restart(&mut self, runtime_images: &[RuntimeImage], now: SimTime) {
        self.intent_counters.clear();
        if self.intent_files.is_empty() {
            return;
        }
        for runtime_image in runtime_images {
            let names = runtime_image
                .repo_digests
                .iter()
                .chain(&runtime_image.repo_tags);
            let matched: BTreeSet<String> = names
                .filter(|name| self.intent_files.contains(name.as_str()))
                .cloned()
                .collect();
            for image in matched {
                if self.write_pulled_record_if_changed(&image, &runtime_image.id, None, now) {
                    self.intent_files.remove(&image);
                }
            }
        }
    }

    fn decrement_intent(&mut self, image: &str) {
        let count = self.intent_counters.get(image).copied().unwrap_or(0);
        if count <= 1 {
            self.intent_files.remove(image);
            self.intent_counters.remove(image);
        } else {
            self.intent_counters.insert(image.to_owned(), count - 1);
        }
    }

    /// `writePulledRecordIfChanged`; returns false only when the image does not parse (the
    /// upstream write error). "Unchanged" counts as success.
    fn write_pulled_record_if_changed(
        &mut self,
        image: &str,
        image_ref: &str,
        credentials: Option<PullCredentials>,
        now: SimTime,
    ) -> bool {
        let Ok(sanitized) = parse_image_name(image).map(|name| name.repo) else {
            return false;
        };
        match self.pulled.get_mut(image_ref) {
            None => {
                let mut credential_mapping = BTreeMap::new();
                if let Some(credentials) = credentials {
                    credential_mapping.insert(sanitized, credentials);
                }
                let record = PulledRecord {
                    image_ref: image_ref.to_owned(),
                    last_updated: now,
                    credential_mapping,
                };
                self.pulled.insert(image_ref.to_owned(), record);
            }
            Some(record) => {
                if let Some(credentials) = credentials
                    && merge_credentials(record, sanitized, credentials)
                {
                    record.last_updated = now;
                }
            }
        }
        true
    }
}

/// `pulledRecordMergeNewCreds`: returns whether the record changed.
fn merge_credentials(record: &mut PulledRecord, repo: String, new: PullCredentials) -> bool {
    if new.is_empty() {
        return false;
    }
    let Some(selected) = record.credential_mapping.get_mut(&repo) else {
        record.credential_mapping.insert(repo, new);
        return true;
    };
    if selected.node_pods_accessible {
        return false;
    }
    if new.node_pods_accessible {
        *selected = PullCredentials::node_wide();
        return true;
    }
    if !new.kubernetes_secrets.is_empty() {
        return merge_secrets(&mut selected.kubernetes_secrets, new.kubernetes_secrets);
    }
    merge_service_accounts(
        &mut selected.kubernetes_service_accounts,
        new.kubernetes_service_accounts,
    )
}

/// `mergePullSecrets`: unique by (namespace, name, UID), the new hash wins, sorted.
fn merge_secrets(existing: &mut Vec<PullSecretRecord>, new: Vec<PullSecretRecord>) -> bool {
    let mut by_coordinates: BTreeMap<(String, String, String), String> = existing
        .iter()
        .map(|s| {
            (
                (s.namespace.clone(), s.name.clone(), s.uid.clone()),
                s.credential_hash.clone(),
            )
        })
        .collect();
    let mut changed = false;
    for secret in new {
        let key = (secret.namespace, secret.name, secret.uid);
        if by_coordinates.get(&key) != Some(&secret.credential_hash) {
            by_coordinates.insert(key, secret.credential_hash);
            changed = true;
        }
    }
    if changed {
        *existing = by_coordinates
            .into_iter()
            .map(
                |((namespace, name, uid), credential_hash)| PullSecretRecord {
                    namespace,
                    name,
                    uid,
                    credential_hash,
                },
            )
            .collect();
    }
    changed
}

/// `mergePullServiceAccounts`: a sorted union.
fn merge_service_accounts(
    existing: &mut Vec<PullServiceAccountRecord>,
    new: Vec<PullServiceAccountRecord>,
) -> bool {
    let mut set: BTreeSet<PullServiceAccountRecord> = existing.iter().cloned().collect();
    let before = set.len();
    set.extend(new);
    if set.len() == before {
        return false;
    }
    *existing = set.into_iter().collect();
    true
}
