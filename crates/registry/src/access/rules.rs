//! Accounts, access rules and credentials: who a request says it is, and whether that
//! identity may pull or push a repository. The HTTP side of authentication (challenges,
//! 401 versus 403) is decided in [`crate::registry`], the token flow in [`crate::access::token`].

use std::collections::BTreeMap;

use base64::Engine as _;
use pullsim_model::SimTime;
use serde::{Deserialize, Serialize};

use crate::access::rotation::PasswordRotation;
use crate::api::names::glob_matches;
use crate::api::protocol::Headers;
use crate::catalog::AccessRule;
use crate::error::RegistryError;

/// Which challenge protected repositories (and `/v2/`) answer with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum AuthMode {
    /// `WWW-Authenticate: Basic realm="pullsim"`; clients send Basic credentials on
    /// every request, as with distribution's htpasswd.
    #[default]
    Basic,
    /// The Docker token flow: `WWW-Authenticate: Bearer realm=...,service=...,scope=...`;
    /// clients fetch a token from `/token` and send it as `Bearer`.
    Token,
}

/// What the `Authorization` header carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credentials {
    /// No header.
    None,
    /// `Basic base64(user:password)`.
    Basic { user: String, password: String },
    /// `Bearer <token>`.
    Bearer(String),
    /// A scheme the registry does not know, or a Basic value that does not decode; the
    /// scheme is kept for the log.
    Unusable { scheme: String },
}

impl Credentials {
    /// Reads the first `Authorization` line.
    pub(crate) fn from_headers(headers: &Headers) -> Credentials {
        let Some(value) = headers.get("authorization") else {
            return Credentials::None;
        };
        let value = value.trim();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        let rest = rest.trim();
        if scheme.eq_ignore_ascii_case("basic") {
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(rest)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok());
            if let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) {
                // containers/image (skopeo, podman) answers a Basic challenge with
                // `Basic Og==` (empty user and password) when it has no credentials: that
                // is its anonymous pull, and public repositories must serve it.
                if user.is_empty() && password.is_empty() {
                    return Credentials::None;
                }
                return Credentials::Basic {
                    user: user.to_owned(),
                    password: password.to_owned(),
                };
            }
        } else if scheme.eq_ignore_ascii_case("bearer") && !rest.is_empty() {
            return Credentials::Bearer(rest.to_owned());
        }
        Credentials::Unusable {
            scheme: scheme.to_ascii_lowercase(),
        }
    }

    /// The scheme, lower-cased, for the log.
    pub(crate) fn scheme(&self) -> Option<String> {
        match self {
            Credentials::None => None,
            Credentials::Basic { .. } => Some("basic".to_owned()),
            Credentials::Bearer(_) => Some("bearer".to_owned()),
            Credentials::Unusable { scheme } => Some(scheme.clone()),
        }
    }
}

/// Pulling or pushing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Action {
    /// Reading manifests, blobs and tags.
    Pull,
    /// Uploading blobs and manifests.
    Push,
}

impl Action {
    /// The action's name in token scopes.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
        }
    }
}

/// The principal that means everyone, credentials or not.
pub const ANONYMOUS: &str = "anonymous";
/// The principal that means any account with the right password.
pub const AUTHENTICATED: &str = "authenticated";

/// Accounts and access rules.
#[derive(Debug, Clone, Default)]
pub(crate) struct Access {
    accounts: BTreeMap<String, String>,
    rules: Vec<AccessRule>,
    /// Accounts whose password rotates (their catalog password is the base of each one).
    rotations: BTreeMap<String, PasswordRotation>,
}

impl Access {
    /// Checks accounts and rules before any is added, so a refused catalog changes nothing.
    pub(crate) fn check(
        accounts: &BTreeMap<String, String>,
        rules: &[AccessRule],
    ) -> Result<(), RegistryError> {
        if let Some(user) = accounts
            .keys()
            .find(|user| user.is_empty() || user.contains(':'))
        {
            return Err(RegistryError::InvalidAccount(user.clone()));
        }
        if let Some(index) = rules.iter().position(|rule| rule.repository.is_empty()) {
            return Err(RegistryError::EmptyPattern(index));
        }
        Ok(())
    }

    /// Adds (or replaces) accounts and appends rules after the existing ones.
    pub(crate) fn extend(&mut self, accounts: &BTreeMap<String, String>, rules: &[AccessRule]) {
        self.accounts
            .extend(accounts.iter().map(|(u, p)| (u.clone(), p.clone())));
        self.rules.extend(rules.iter().cloned());
    }

    /// Whether any account exists.
    pub(crate) fn has_accounts(&self) -> bool {
        !self.accounts.is_empty()
    }

    /// Whether `user` exists with this password at `now` (a rotating account's current
    /// one, or its previous one within the grace).
    pub(crate) fn password_ok(&self, user: &str, password: &str, now: SimTime) -> bool {
        let Some(stored) = self.accounts.get(user) else {
            return false;
        };
        match self.rotations.get(user) {
            Some(rotation) => rotation.accepts(stored, password, now),
            None => stored == password,
        }
    }

    /// Sets (or creates) `user`'s password.
    pub(crate) fn set_password(&mut self, user: &str, password: &str) {
        self.accounts.insert(user.to_owned(), password.to_owned());
    }

    /// Makes `user`'s password rotate; `false` when there is no such account.
    pub(crate) fn rotate(&mut self, user: &str, rotation: PasswordRotation) -> bool {
        if !self.accounts.contains_key(user) {
            return false;
        }
        self.rotations.insert(user.to_owned(), rotation);
        true
    }

    /// `user`'s password at `now`: the current one of a rotating account.
    pub(crate) fn password_at(&self, user: &str, now: SimTime) -> Option<String> {
        let stored = self.accounts.get(user)?;
        Some(match self.rotations.get(user) {
            Some(rotation) => rotation.current(stored, now),
            None => stored.clone(),
        })
    }

    /// Whether any account's password rotates (its answers then depend on the time).
    pub(crate) fn rotates(&self) -> bool {
        !self.rotations.is_empty()
    }

    /// Whether `user` (`None`: anonymous) may do `action` on `repository`: the first rule
    /// whose pattern matches decides; without one, everyone may.
    pub(crate) fn allows(&self, user: Option<&str>, repository: &str, action: Action) -> bool {
        let Some(rule) = self
            .rules
            .iter()
            .find(|rule| glob_matches(&rule.repository, repository))
        else {
            return true;
        };
        let principals = match action {
            Action::Pull => &rule.read,
            Action::Push => &rule.write,
        };
        principals.iter().any(|principal| {
            principal == ANONYMOUS
                || (principal == AUTHENTICATED && user.is_some())
                || Some(principal.as_str()) == user
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(user_password: &str) -> Headers {
        let encoded = base64::engine::general_purpose::STANDARD.encode(user_password);
        Headers::new().with("Authorization", format!("Basic {encoded}"))
    }

    #[test]
    fn credentials_decode_from_the_header() {
        assert_eq!(
            Credentials::from_headers(&basic("alice:wonder:land")),
            Credentials::Basic {
                user: "alice".into(),
                password: "wonder:land".into()
            }
        );
        assert_eq!(
            Credentials::from_headers(&Headers::new().with("authorization", "bearer abc")),
            Credentials::Bearer("abc".into())
        );
        assert_eq!(
            Credentials::from_headers(&Headers::new()),
            Credentials::None
        );
        assert_eq!(Credentials::from_headers(&basic(":")), Credentials::None);
        assert_eq!(
            Credentials::from_headers(&basic("alice:")),
            Credentials::Basic {
                user: "alice".into(),
                password: String::new()
            }
        );
        assert_eq!(
            Credentials::from_headers(&Headers::new().with("Authorization", "Basic !!!")),
            Credentials::Unusable {
                scheme: "basic".into()
            }
        );
        assert_eq!(
            Credentials::from_headers(&basic("nocolon")),
            Credentials::Unusable {
                scheme: "basic".into()
            }
        );
        assert_eq!(
            Credentials::from_headers(&Headers::new().with("Authorization", "Negotiate xyz"))
                .scheme(),
            Some("negotiate".into())
        );
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let catalog = crate::catalog::Catalog::demo();
        let mut access = Access::default();
        access.extend(&catalog.accounts, &catalog.access);
        let rows = [
            (None, "demo/hello", Action::Pull, true),
            (None, "demo/hello", Action::Push, true),
            (None, "private/app", Action::Pull, false),
            (Some("alice"), "private/app", Action::Pull, true),
            (Some("alice"), "private/app", Action::Push, true),
            (Some("alice"), "tenant-b/app", Action::Pull, false),
            (Some("bob"), "tenant-b/app", Action::Pull, true),
            (Some("bob"), "private/app", Action::Pull, false),
        ];
        for (user, repository, action, want) in rows {
            assert_eq!(
                access.allows(user, repository, action),
                want,
                "{user:?} {repository} {action:?}"
            );
        }
        let now = SimTime::from_secs(0);
        assert!(access.password_ok("alice", "wonderland", now));
        assert!(!access.password_ok("alice", "wrong", now));
        assert!(!access.password_ok("carol", "", now));
    }

    #[test]
    fn anonymous_and_authenticated_principals() {
        let mut access = Access::default();
        access.extend(
            &BTreeMap::new(),
            &[AccessRule {
                repository: "*".into(),
                read: vec![ANONYMOUS.into()],
                write: vec![AUTHENTICATED.into()],
            }],
        );
        assert!(access.allows(None, "x", Action::Pull));
        assert!(!access.allows(None, "x", Action::Push));
        assert!(access.allows(Some("carol"), "x", Action::Push));
    }
}
