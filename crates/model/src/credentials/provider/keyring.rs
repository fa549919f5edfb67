//! The kubelet's plugin keyring: every matching provider's answer for one image added to one
//! `BasicDockerKeyring`, which then sorts and looks up as any keyring (docs/credential-providers.md
//! §4).
//!
//! Upstream: kubernetes `pkg/credentialprovider/plugin/plugins.go`
//! (`externalCredentialProviderKeyring.Lookup`: `keyring.Add(source, p.Provide(image))` for each
//! provider in registration order, which is the configuration's order, then
//! `keyring.Lookup(image)`). A provider whose `matchImages` miss the image adds an empty
//! config. Answers with a service account carry its coordinates, answers without one none
//! (node-level for KEP-2535). Releases up to 1.32 kept providers in a map and walked them
//! sorted by name; 1.33 and later keep the configuration's order, which pullsim follows.
//! Within one answer the `auth` globs are added in sorted order (upstream walks a Go map, in
//! random order); it only matters when two globs of one answer derive the same keyring key.

use crate::credentials::config::DockerConfig;
use crate::credentials::keyring::{BasicDockerKeyring, CredentialSource, ServiceAccountRef};

/// One keyring of every provider's answer for an image, in configuration order: each answer is
/// `(provider name, its credentials, the service account it answered for)`.
pub fn plugin_keyring(
    answers: &[(&str, &DockerConfig, Option<&ServiceAccountRef>)],
) -> BasicDockerKeyring {
    let mut keyring = BasicDockerKeyring::new();
    for (provider, config, service_account) in answers {
        let source = CredentialSource::Plugin {
            provider: (*provider).to_owned(),
            service_account: service_account.cloned(),
        };
        keyring.add(&source, config);
    }
    keyring
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::config::DockerConfigEntry;

    fn config(entries: &[(&str, &str)]) -> DockerConfig {
        entries
            .iter()
            .map(|(location, user)| {
                (
                    *location,
                    DockerConfigEntry {
                        username: (*user).to_owned(),
                        password: format!("{user}-password"),
                        email: String::new(),
                    },
                )
            })
            .collect()
    }

    #[test]
    fn answers_share_one_sorted_keyring() {
        let ecr = config(&[("*.dkr.ecr.us-east-1.amazonaws.com", "AWS")]);
        let broad = config(&[("registry.io", "broad")]);
        let narrow = config(&[("registry.io/team", "narrow")]);
        let team = ServiceAccountRef {
            namespace: "team".to_owned(),
            name: "puller".to_owned(),
            uid: "uid-1".to_owned(),
        };
        let keyring = plugin_keyring(&[
            ("ecr", &ecr, None),
            ("first", &broad, None),
            ("second", &narrow, Some(&team)),
        ]);
        // The later provider's more specific key comes first: one keyring, sorted.
        let found: Vec<(String, String)> = keyring
            .lookup("registry.io/team/app")
            .into_iter()
            .map(|c| (c.username, c.source.to_string()))
            .collect();
        assert_eq!(
            found,
            [
                ("narrow".to_owned(), "plugin[second]".to_owned()),
                ("broad".to_owned(), "plugin[first]".to_owned()),
            ]
        );
        let first = keyring.lookup("registry.io/team/app").remove(0);
        assert_eq!(
            first.source,
            CredentialSource::Plugin {
                provider: "second".to_owned(),
                service_account: Some(team),
            }
        );
        assert_eq!(
            keyring.lookup("123.dkr.ecr.us-east-1.amazonaws.com/app")[0].username,
            "AWS"
        );
    }

    #[test]
    fn same_key_keeps_configuration_order() {
        let a = config(&[("registry.io", "a")]);
        let b = config(&[("https://registry.io/v2/", "b")]);
        let users: Vec<String> = plugin_keyring(&[("zeta", &a, None), ("alpha", &b, None)])
            .lookup("registry.io/x")
            .into_iter()
            .map(|c| c.username)
            .collect();
        assert_eq!(users, ["a", "b"]);
    }
}
