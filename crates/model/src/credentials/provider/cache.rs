//! The plugin provider's answer cache, on the virtual clock (docs/credential-providers.md §3).
//!
//! Upstream: kubernetes `pkg/credentialprovider/plugin/plugin.go` (`provide`,
//! `getCachedCredentials`, `lookupCredentialsInCache`, `cacheExpirationPolicy.IsExpired`,
//! `parseRegistry`, `generateCacheKey`, `generateServiceAccountCacheKey`,
//! `generateSingleFlightKey`, `getHashIfNotEmpty`, the constants `globalCacheKey = "global"` and
//! `cachePurgeInterval = 15 * time.Minute`) and client-go `tools/cache/expiration_cache.go`
//! (`GetByKey` deletes an expired entry it finds; `List` deletes every expired entry). Rules kept:
//! - one cache per provider (per kubelet); a lookup first purges every expired entry when more
//!   than 15 minutes passed since the last purge (strictly after), then tries the key of the
//!   image, of its registry (the text before the first `/`), then `global`, each combined with
//!   the service-account key (empty without a token);
//! - an entry is expired when now is strictly after its `expiresAt`, so at `expiresAt` itself it
//!   still serves;
//! - storing: `cacheDuration: 0` is not cached; no `cacheDuration` uses `defaultCacheDuration`,
//!   and a default of 0 is not cached; else `expiresAt = now + duration` under the key of the
//!   answer's `cacheKeyType`, replacing what was there;
//! - a failed or invalid answer is never stored (the caller does not call [`ProviderCache::store`]);
//! - an answer with an empty `auth` is stored like any other: until it expires the provider
//!   gives nothing for the images it covers, without being asked again.
//!
//! Keys here are readable text built with a length before every part, so different parts
//! never collide; upstream builds bytes the same way (the bytes themselves are never shown).

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use sha2::{Digest as _, Sha256};

use crate::SimTime;
use crate::credentials::config::DockerConfig;

use super::config::ServiceAccountTokenCacheType;
use super::protocol::{CacheKeyType, CredentialProviderResponse};

/// How often expired entries are swept (`cachePurgeInterval`).
pub const CACHE_PURGE_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// The base key of a `Global` answer (`globalCacheKey`).
pub const GLOBAL_CACHE_KEY: &str = "global";
/// The kubelet's catch-all timeout for one plugin execution (`ExecPlugin`).
pub const EXEC_TIMEOUT: Duration = Duration::from_secs(60);

/// `parseRegistry(image)`: the registry host (and port) of a repository, the text before the
/// first `/` (the whole text when there is none).
pub fn registry_of(image: &str) -> &str {
    image.split('/').next().unwrap_or(image)
}

/// A cache key: the base (the image, its registry, or `global`) and the service-account key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CacheKey {
    /// The image, its registry, or [`GLOBAL_CACHE_KEY`].
    pub base: String,
    /// [`service_account_cache_key`], or empty for a request without a token.
    pub service_account: String,
}

impl CacheKey {
    /// The key for `base` and a service-account key (`generateCacheKey`).
    pub fn new(base: &str, service_account: &str) -> CacheKey {
        CacheKey {
            base: base.to_owned(),
            service_account: service_account.to_owned(),
        }
    }

    /// The key an answer of `key_type` for `image` is stored under.
    pub fn for_answer(key_type: CacheKeyType, image: &str, service_account: &str) -> CacheKey {
        let base = match key_type {
            CacheKeyType::Image => image,
            CacheKeyType::Registry => registry_of(image),
            CacheKeyType::Global => GLOBAL_CACHE_KEY,
        };
        CacheKey::new(base, service_account)
    }
}

/// `registry.example.com`, or `registry.example.com for <service-account key>`.
impl fmt::Display for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.service_account.is_empty() {
            f.write_str(&self.base)
        } else {
            write!(f, "{} for {}", self.base, self.service_account)
        }
    }
}

/// What [`ProviderCache::store`] did with an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheDecision {
    /// Not cached: `cacheDuration: 0`, or no duration and a `defaultCacheDuration` of 0.
    NotCached,
    /// Cached under `key` until `expires_at` (served while now is not after it).
    Cached {
        /// The key.
        key: CacheKey,
        /// The entry's `expiresAt`.
        expires_at: SimTime,
    },
}

/// A cache hit: the entry found and its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheHit {
    /// The key that held it.
    pub key: CacheKey,
    /// The credentials.
    pub config: DockerConfig,
    /// When it expires.
    pub expires_at: SimTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    config: DockerConfig,
    expires_at: SimTime,
}

/// One provider's cache on one kubelet.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProviderCache {
    entries: BTreeMap<CacheKey, Entry>,
    last_purge: SimTime,
}

impl ProviderCache {
    /// An empty cache created at `now` (the kubelet starts its purge clock at registration);
    /// [`ProviderCache::default`] is one created at the epoch.
    pub fn new(now: SimTime) -> ProviderCache {
        ProviderCache {
            entries: BTreeMap::new(),
            last_purge: now,
        }
    }

    /// `getCachedCredentials`: the credentials cached for `image` and the service-account key,
    /// trying the image, its registry, then `global`.
    pub fn lookup(&mut self, image: &str, sa_key: &str, now: SimTime) -> Option<DockerConfig> {
        self.lookup_hit(image, sa_key, now).map(|hit| hit.config)
    }

    /// [`ProviderCache::lookup`] with the key that held the answer and its expiry.
    pub fn lookup_hit(&mut self, image: &str, sa_key: &str, now: SimTime) -> Option<CacheHit> {
        if now > self.last_purge + CACHE_PURGE_INTERVAL {
            self.entries.retain(|_, entry| now <= entry.expires_at);
            self.last_purge = now;
        }
        for base in [image, registry_of(image), GLOBAL_CACHE_KEY] {
            let key = CacheKey::new(base, sa_key);
            match self.entries.get(&key) {
                Some(entry) if now > entry.expires_at => {
                    self.entries.remove(&key);
                }
                Some(entry) => {
                    return Some(CacheHit {
                        config: entry.config.clone(),
                        expires_at: entry.expires_at,
                        key,
                    });
                }
                None => {}
            }
        }
        None
    }

    /// The caching part of `provide` for a valid answer to a request for `image`.
    pub fn store(
        &mut self,
        image: &str,
        sa_key: &str,
        response: &CredentialProviderResponse,
        default_cache_duration: Duration,
        now: SimTime,
    ) -> CacheDecision {
        let decision = cache_decision(image, sa_key, response, default_cache_duration, now);
        if let CacheDecision::Cached { key, expires_at } = &decision {
            self.entries.insert(
                key.clone(),
                Entry {
                    config: response.docker_config(),
                    expires_at: *expires_at,
                },
            );
        }
        decision
    }

    /// How many entries are held, expired ones not yet swept included.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// When expired entries were last swept.
    pub fn last_purge(&self) -> SimTime {
        self.last_purge
    }
}

/// Where and until when an answer would be cached, without storing it (for explanations).
pub fn cache_decision(
    image: &str,
    sa_key: &str,
    response: &CredentialProviderResponse,
    default_cache_duration: Duration,
    now: SimTime,
) -> CacheDecision {
    let duration = match response.cache_duration {
        Some(duration) if duration.is_zero() => return CacheDecision::NotCached,
        Some(duration) => duration,
        None if default_cache_duration.is_zero() => return CacheDecision::NotCached,
        None => default_cache_duration,
    };
    CacheDecision::Cached {
        key: CacheKey::for_answer(response.cache_key_type, image, sa_key),
        expires_at: now + duration,
    }
}

/// Appends `<length>:<text>`, so that parts never run into each other.
fn part(out: &mut String, text: &str) {
    out.push_str(&text.len().to_string());
    out.push(':');
    out.push_str(text);
}

fn annotations_part(out: &mut String, annotations: &BTreeMap<String, String>) {
    out.push('#');
    out.push_str(&annotations.len().to_string());
    for (key, value) in annotations {
        out.push(' ');
        part(out, key);
        out.push('=');
        part(out, value);
    }
}

/// `getHashIfNotEmpty`: `sha256:<hex>` of a token, empty for an empty token.
pub fn token_hash(token: &str) -> String {
    if token.is_empty() {
        return String::new();
    }
    let digest = Sha256::digest(token.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

/// `generateServiceAccountCacheKey`: the service account's namespace, name and UID and the
/// annotations passed, plus the token's hash under the `Token` cache type.
pub fn service_account_cache_key(
    namespace: &str,
    name: &str,
    uid: &str,
    annotations: &BTreeMap<String, String>,
    cache_type: ServiceAccountTokenCacheType,
    token: &str,
) -> String {
    let mut key = String::from("sa ");
    part(&mut key, namespace);
    key.push('/');
    part(&mut key, name);
    key.push(' ');
    part(&mut key, uid);
    key.push(' ');
    annotations_part(&mut key, annotations);
    if cache_type == ServiceAccountTokenCacheType::Token {
        key.push_str(" token ");
        part(&mut key, &token_hash(token));
    }
    key
}

/// The key concurrent requests share one plugin execution under (`singleflight`): the image
/// alone without a token; with one, the image, the token's hash and the annotations, so every
/// pod's request runs the plugin on its own.
pub fn singleflight_key(
    image: &str,
    sa_token: Option<&str>,
    annotations: &BTreeMap<String, String>,
) -> String {
    let Some(token) = sa_token else {
        return image.to_owned();
    };
    let mut key = String::new();
    part(&mut key, image);
    key.push(' ');
    part(&mut key, &token_hash(token));
    key.push(' ');
    annotations_part(&mut key, annotations);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::provider::protocol::AuthConfig;

    const V1: &str = "credentialprovider.kubelet.k8s.io/v1";

    fn answer(
        key_type: CacheKeyType,
        duration: Option<u64>,
        user: &str,
    ) -> CredentialProviderResponse {
        let mut response = CredentialProviderResponse::new(V1, key_type);
        response.cache_duration = duration.map(Duration::from_secs);
        response.auth.insert(
            "registry.io".to_owned(),
            AuthConfig {
                username: user.to_owned(),
                password: "p".to_owned(),
            },
        );
        response
    }

    fn user(config: Option<DockerConfig>) -> Option<String> {
        config.map(|c| {
            c.entries()
                .first()
                .map(|(_, e)| e.username.clone())
                .unwrap_or_default()
        })
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn each_key_type_covers_what_it_says() {
        let t = SimTime::from_secs(100);
        let rows = [
            (
                CacheKeyType::Image,
                "registry.io/team/app",
                true,
                false,
                false,
            ),
            (CacheKeyType::Registry, "registry.io", true, true, false),
            (CacheKeyType::Global, GLOBAL_CACHE_KEY, true, true, true),
        ];
        for (key_type, base, same_image, same_registry, other_registry) in rows {
            let mut cache = ProviderCache::default();
            let decision = cache.store(
                "registry.io/team/app",
                "",
                &answer(key_type, Some(600), "u"),
                MINUTE,
                t,
            );
            assert_eq!(
                decision,
                CacheDecision::Cached {
                    key: CacheKey::new(base, ""),
                    expires_at: t + Duration::from_secs(600)
                }
            );
            assert_eq!(
                cache.lookup("registry.io/team/app", "", t).is_some(),
                same_image,
                "{key_type}"
            );
            assert_eq!(
                cache.lookup("registry.io/team/db", "", t).is_some(),
                same_registry,
                "{key_type}"
            );
            assert_eq!(
                cache.lookup("quay.io/x", "", t).is_some(),
                other_registry,
                "{key_type}"
            );
        }
        // A port is part of the registry key; the text before the first '/' is.
        assert_eq!(registry_of("registry.io:5000/a/b"), "registry.io:5000");
        assert_eq!(registry_of("registry.io"), "registry.io");
    }

    #[test]
    fn the_image_key_is_tried_before_the_registry_and_global_ones() {
        let t = SimTime::from_secs(0);
        let mut cache = ProviderCache::default();
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Global, Some(600), "global"),
            MINUTE,
            t,
        );
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Registry, Some(600), "registry"),
            MINUTE,
            t,
        );
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Image, Some(600), "image"),
            MINUTE,
            t,
        );
        assert_eq!(
            user(cache.lookup("r.io/a", "", t)).as_deref(),
            Some("image")
        );
        assert_eq!(
            user(cache.lookup("r.io/b", "", t)).as_deref(),
            Some("registry")
        );
        assert_eq!(
            user(cache.lookup("q.io/b", "", t)).as_deref(),
            Some("global")
        );
        let hit = cache.lookup_hit("r.io/b", "", t).expect("hit");
        assert_eq!(hit.key, CacheKey::new("r.io", ""));
    }

    #[test]
    fn entries_expire_strictly_after_expires_at() {
        let t = SimTime::from_secs(10);
        let mut cache = ProviderCache::default();
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Image, Some(60), "u"),
            MINUTE,
            t,
        );
        let expires = t + Duration::from_secs(60);
        assert!(
            cache.lookup("r.io/a", "", expires).is_some(),
            "still served at expiresAt"
        );
        assert!(
            cache
                .lookup("r.io/a", "", expires + Duration::from_nanos(1))
                .is_none()
        );
        assert!(cache.is_empty(), "an expired entry found is deleted");
    }

    #[test]
    fn zero_durations_are_not_cached_and_none_means_the_default() {
        let t = SimTime::from_secs(5);
        let mut cache = ProviderCache::default();
        assert_eq!(
            cache.store(
                "r.io/a",
                "",
                &answer(CacheKeyType::Image, Some(0), "u"),
                MINUTE,
                t
            ),
            CacheDecision::NotCached
        );
        assert_eq!(
            cache.store(
                "r.io/a",
                "",
                &answer(CacheKeyType::Image, None, "u"),
                Duration::ZERO,
                t
            ),
            CacheDecision::NotCached
        );
        assert!(cache.is_empty());
        assert_eq!(
            cache.store(
                "r.io/a",
                "",
                &answer(CacheKeyType::Image, None, "u"),
                MINUTE,
                t
            ),
            CacheDecision::Cached {
                key: CacheKey::new("r.io/a", ""),
                expires_at: t + MINUTE
            }
        );
        // An explicit duration wins over the default, even a shorter one.
        assert_eq!(
            cache_decision(
                "r.io/a",
                "",
                &answer(CacheKeyType::Image, Some(1), "u"),
                MINUTE,
                t
            ),
            CacheDecision::Cached {
                key: CacheKey::new("r.io/a", ""),
                expires_at: t + Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn a_new_answer_replaces_the_old_one() {
        let t = SimTime::from_secs(0);
        let mut cache = ProviderCache::default();
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Image, Some(600), "old"),
            MINUTE,
            t,
        );
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Image, Some(600), "new"),
            MINUTE,
            t,
        );
        assert_eq!(user(cache.lookup("r.io/a", "", t)).as_deref(), Some("new"));
        assert_eq!(cache.len(), 1);
        // An empty answer is cached too: nothing until it expires.
        let mut empty = answer(CacheKeyType::Image, Some(600), "x");
        empty.auth.clear();
        cache.store("r.io/a", "", &empty, MINUTE, t);
        assert_eq!(cache.lookup("r.io/a", "", t).map(|c| c.len()), Some(0));
    }

    #[test]
    fn the_purge_sweeps_expired_entries_after_fifteen_minutes() {
        let start = SimTime::from_secs(1000);
        let mut cache = ProviderCache::new(start);
        cache.store(
            "r.io/a",
            "",
            &answer(CacheKeyType::Image, Some(60), "a"),
            MINUTE,
            start,
        );
        cache.store(
            "r.io/b",
            "",
            &answer(CacheKeyType::Image, Some(3600), "b"),
            MINUTE,
            start,
        );
        // At exactly 15 minutes no purge yet: the expired entry stays until looked up or swept.
        let at = start + CACHE_PURGE_INTERVAL;
        assert!(cache.lookup("q.io/x", "", at).is_none());
        assert_eq!((cache.len(), cache.last_purge()), (2, start));
        let after = at + Duration::from_secs(1);
        assert!(cache.lookup("q.io/x", "", after).is_none());
        assert_eq!((cache.len(), cache.last_purge()), (1, after));
        assert!(cache.lookup("r.io/b", "", after).is_some());
    }

    #[test]
    fn service_account_keys_keep_answers_apart() {
        let t = SimTime::from_secs(0);
        let annotations: BTreeMap<String, String> =
            [("role.io/arn".to_owned(), "arn:team-a".to_owned())]
                .into_iter()
                .collect();
        let a = service_account_cache_key(
            "team-a",
            "puller",
            "uid-a",
            &annotations,
            ServiceAccountTokenCacheType::ServiceAccount,
            "tok-1",
        );
        let b = service_account_cache_key(
            "team-b",
            "puller",
            "uid-b",
            &BTreeMap::new(),
            ServiceAccountTokenCacheType::ServiceAccount,
            "tok-2",
        );
        assert_ne!(a, b);
        // ServiceAccount keys ignore the token; Token keys do not.
        assert_eq!(
            a,
            service_account_cache_key(
                "team-a",
                "puller",
                "uid-a",
                &annotations,
                ServiceAccountTokenCacheType::ServiceAccount,
                "tok-9"
            )
        );
        let token_1 = service_account_cache_key(
            "team-a",
            "puller",
            "uid-a",
            &annotations,
            ServiceAccountTokenCacheType::Token,
            "tok-1",
        );
        let token_2 = service_account_cache_key(
            "team-a",
            "puller",
            "uid-a",
            &annotations,
            ServiceAccountTokenCacheType::Token,
            "tok-2",
        );
        assert_ne!(token_1, token_2);
        let mut cache = ProviderCache::default();
        cache.store(
            "r.io/app",
            &a,
            &answer(CacheKeyType::Registry, Some(600), "a"),
            MINUTE,
            t,
        );
        assert_eq!(user(cache.lookup("r.io/app", &a, t)).as_deref(), Some("a"));
        assert!(cache.lookup("r.io/app", &b, t).is_none());
        assert!(cache.lookup("r.io/app", "", t).is_none());
        // Parts are length-prefixed: moving a '/' between namespace and name changes the key.
        assert_ne!(
            service_account_cache_key(
                "a/b",
                "c",
                "u",
                &BTreeMap::new(),
                ServiceAccountTokenCacheType::ServiceAccount,
                ""
            ),
            service_account_cache_key(
                "a",
                "b/c",
                "u",
                &BTreeMap::new(),
                ServiceAccountTokenCacheType::ServiceAccount,
                ""
            )
        );
    }

    #[test]
    fn singleflight_is_the_image_alone_without_a_token() {
        let none = BTreeMap::new();
        assert_eq!(singleflight_key("r.io/app", None, &none), "r.io/app");
        let one = singleflight_key("r.io/app", Some("tok-1"), &none);
        let two = singleflight_key("r.io/app", Some("tok-2"), &none);
        assert_ne!(one, two, "each token runs its own plugin call");
        assert_ne!(one, "r.io/app");
        let annotated: BTreeMap<String, String> =
            [("k".to_owned(), "v".to_owned())].into_iter().collect();
        assert_ne!(one, singleflight_key("r.io/app", Some("tok-1"), &annotated));
        assert_eq!(one, singleflight_key("r.io/app", Some("tok-1"), &none));
        assert_eq!(
            token_hash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(token_hash(""), "");
    }
}
