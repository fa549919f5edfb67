//! `registries:`: the fake registries a scenario's nodes pull from, one per host, each a
//! pullsim-registry [`Catalog`] (images as the synthetic builder takes them, accounts,
//! access rules, fault rules) plus the challenge it answers with.
//!
//! ```yaml
//! registries:
//!   - host: registry.example.com
//!     auth: token                      # basic (default) or token
//!     images:
//!       - {repository: team/app, tag: v1, platforms: [linux/amd64, linux/arm64/v8], layers: [20MiB, 4KiB]}
//!     accounts:
//!       alice: wonderland
//!       AWS: {password: ecr-token, rotateEvery: 12h, grace: 5m}   # <password>-<n> in period n
//!     access:
//!       - {repository: "team/*", read: [alice]}
//!     faults:
//!       - {match: {method: GET, path: "/v2/*/blobs/*"}, status: 503, uses: 1}
//! ```
//!
//! Image specs, access rules and fault rules are read by the registry crate's own serde
//! definitions through `crate::bridge`, so their fields mean exactly what they mean to
//! `pullsim registry serve --catalog`. Each spec is also checked as the builder would check
//! it, and accounts and rules as the registry would load them, so a bad one is reported here
//! with its line instead of failing the run.

use std::collections::BTreeMap;
use std::time::Duration;

use pullsim_model::go_text::quote;
use pullsim_model::reference::Reference;
use pullsim_registry::{
    ANONYMOUS, AUTHENTICATED, AccessRule, AuthMode, Catalog, FaultRule, ImageSpec,
    PasswordRotation, RateLimit, Registry, RegistryConfig,
};

use crate::bridge::deserialize;
use crate::diagnostics::{Diagnostics, Position};
use crate::fields::{Fields, duration, list, text};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// One registry host and what it serves at the start of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHost {
    /// The host as image references name it (`registry.example.com`, `localhost:5000`,
    /// `docker.io`), already in the form reference normalisation gives it.
    pub host: String,
    /// The challenge protected repositories answer with.
    pub auth: AuthMode,
    /// Images, accounts, access rules and fault rules, loaded at time zero.
    pub catalog: Catalog,
    /// Accounts whose password rotates (`rotateEvery`), set once the catalog is loaded.
    pub rotations: Vec<(String, PasswordRotation)>,
    /// Where the registry is described.
    pub position: Position,
}

impl RegistryHost {
    /// Whether the catalog tags `repository:tag` at the start of the run.
    pub fn has_tag(&self, repository: &str, tag: &str) -> bool {
        self.catalog
            .images
            .iter()
            .any(|image| image.repository == repository && image.tag == tag)
    }
}

/// Reads `registries:`.
pub(crate) fn read_registries(node: &Node, diagnostics: &mut Diagnostics) -> Vec<RegistryHost> {
    let mut registries: Vec<RegistryHost> = Vec::new();
    let mut seen: BTreeMap<String, Position> = BTreeMap::new();
    for item in list(node, diagnostics) {
        let Some(registry) = read_registry(item, diagnostics) else {
            continue;
        };
        if let Some(first) = seen.get(&registry.host) {
            diagnostics.error(
                registry.position,
                format!(
                    "registry {} is already described at line {}",
                    quote(&registry.host),
                    first.line
                ),
            );
            continue;
        }
        seen.insert(registry.host.clone(), registry.position);
        registries.push(registry);
    }
    registries
}

fn read_registry(node: &Node, diagnostics: &mut Diagnostics) -> Option<RegistryHost> {
    let mut fields = Fields::of(node, "a registry", diagnostics)?;
    let position = fields.position();
    let host = fields
        .require("host", diagnostics)
        .and_then(|host| read_host(host, diagnostics));
    let auth = fields
        .get("auth")
        .map_or(Some(AuthMode::default()), |auth| {
            one::<AuthMode>(auth, diagnostics)
        });
    let images: Vec<ImageSpec> = fields
        .get("images")
        .map(|images| each(images, diagnostics))
        .unwrap_or_default();
    let accounts_node = fields.get("accounts");
    let (accounts, rotations) = accounts_node
        .map(|accounts| read_accounts(accounts, diagnostics))
        .unwrap_or_default();
    let access_node = fields.get("access");
    let access: Vec<AccessRule> = access_node
        .map(|access| read_access(access, &accounts, diagnostics))
        .unwrap_or_default();
    let faults: Vec<FaultRule> = fields
        .get("faults")
        .map(|faults| each(faults, diagnostics))
        .unwrap_or_default();
    let rate_limit: Option<RateLimit> = fields
        .get("rateLimit")
        .and_then(|rule| one(rule, diagnostics));
    fields.finish(diagnostics);
    if let Some(images_node) = node.entries().and_then(|entries| {
        entries
            .iter()
            .find(|entry| entry.key == "images")
            .map(|entry| &entry.value)
    }) {
        check_images(images_node, &images, diagnostics);
    }
    let catalog = Catalog {
        images,
        accounts,
        access,
        faults: Vec::new(),
        rate_limit: None,
    };
    check_access(&catalog, access_node.or(accounts_node), diagnostics);
    Some(RegistryHost {
        host: host?,
        auth: auth?,
        catalog: Catalog {
            faults,
            rate_limit,
            ..catalog
        },
        rotations,
        position,
    })
}

/// A host is what reference normalisation makes of the part before the first `/`.
fn read_host(node: &Node, diagnostics: &mut Diagnostics) -> Option<String> {
    let host = text(node, diagnostics)?;
    let probe = format!("{host}/probe");
    match Reference::parse_normalized_named(&probe) {
        Ok(reference) if reference.domain() == host => Some(host),
        Ok(reference) if !reference.domain().is_empty() => {
            diagnostics.error(
                node.position,
                format!(
                    "registry host {} is written {} in image references; use that",
                    quote(&host),
                    quote(reference.domain())
                ),
            );
            None
        }
        _ => {
            diagnostics.error(
                node.position,
                format!(
                    "invalid registry host {} (expected a host name such as registry.example.com or localhost:5000)",
                    quote(&host)
                ),
            );
            None
        }
    }
}

/// Reads one value by its serde definition, reporting a failure where it happened.
pub(crate) fn one<T: serde::de::DeserializeOwned>(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> Option<T> {
    deserialize(node)
        .map_err(|(position, message)| diagnostics.error(position, message))
        .ok()
}

/// Reads `accounts:`: each user's password, or `{password, rotateEvery, grace}` for a
/// password that rotates (see [`PasswordRotation`]).
fn read_accounts(
    node: &Node,
    diagnostics: &mut Diagnostics,
) -> (BTreeMap<String, String>, Vec<(String, PasswordRotation)>) {
    let mut accounts = BTreeMap::new();
    let mut rotations = Vec::new();
    let Some(entries) = node.entries() else {
        diagnostics.error(
            node.position,
            format!(
                "expected a mapping of users to passwords, found {}",
                node.describe()
            ),
        );
        return (accounts, rotations);
    };
    for entry in entries {
        if entry.value.scalar().is_some() {
            if let Some(password) = text(&entry.value, diagnostics) {
                accounts.insert(entry.key.clone(), password);
            }
            continue;
        }
        let Some(mut fields) = Fields::of(&entry.value, "an account", diagnostics) else {
            continue;
        };
        let password = fields
            .require("password", diagnostics)
            .and_then(|node| text(node, diagnostics));
        let every_node = fields.require("rotateEvery", diagnostics);
        let every = every_node.and_then(|node| duration(node, diagnostics));
        let grace = fields
            .get("grace")
            .map_or(Some(Duration::ZERO), |node| duration(node, diagnostics));
        fields.finish(diagnostics);
        if let (Some(node), Some(every)) = (every_node, every)
            && every.is_zero()
        {
            diagnostics.error(node.position, "rotateEvery must be more than 0s");
            continue;
        }
        if let (Some(password), Some(every), Some(grace)) = (password, every, grace) {
            accounts.insert(entry.key.clone(), password);
            rotations.push((entry.key.clone(), PasswordRotation { every, grace }));
        }
    }
    (accounts, rotations)
}

/// Reads every item of a list by its serde definition, reporting each bad one.
fn each<T: serde::de::DeserializeOwned>(node: &Node, diagnostics: &mut Diagnostics) -> Vec<T> {
    list(node, diagnostics)
        .iter()
        .filter_map(|item| one(item, diagnostics))
        .collect()
}

/// Reads access rules, checking that every principal is an account, `anonymous` or
/// `authenticated`: a misspelled user silently locks everyone out.
fn read_access(
    node: &Node,
    accounts: &BTreeMap<String, String>,
    diagnostics: &mut Diagnostics,
) -> Vec<AccessRule> {
    let mut rules = Vec::new();
    for item in list(node, diagnostics) {
        let Some(rule) = one::<AccessRule>(item, diagnostics) else {
            continue;
        };
        for key in ["read", "write"] {
            let principals = item
                .entries()
                .and_then(|entries| entries.iter().find(|entry| entry.key == key))
                .and_then(|entry| entry.value.items())
                .unwrap_or_default();
            for principal in principals {
                let Some(name) = principal.scalar() else {
                    continue;
                };
                if name != ANONYMOUS && name != AUTHENTICATED && !accounts.contains_key(name) {
                    let mut known: Vec<&str> = vec![ANONYMOUS, AUTHENTICATED];
                    known.extend(accounts.keys().map(String::as_str));
                    diagnostics.error(
                        principal.position,
                        unknown_value_message("account", name, &known),
                    );
                }
            }
        }
        rules.push(rule);
    }
    rules
}

fn check_images(node: &Node, images: &[ImageSpec], diagnostics: &mut Diagnostics) {
    // Items that failed to read are missing from `images`; match the rest up by content.
    let items = node.items().unwrap_or_default();
    let mut next_item = items.iter();
    for image in images {
        let item = next_item
            .by_ref()
            .find(|item| deserialize::<ImageSpec>(item).as_ref() == Ok(image));
        if let Err(error) = image.check() {
            let position = item.map_or(node.position, |item| item.position);
            diagnostics.error(
                position,
                format!("image {}:{}: {error}", image.repository, image.tag),
            );
        }
    }
}

/// Loads the accounts and access rules into a scratch registry, which checks them as a
/// served catalog would be checked (principals must be accounts, `anonymous` or
/// `authenticated`).
fn check_access(catalog: &Catalog, node: Option<&Node>, diagnostics: &mut Diagnostics) {
    let rules_only = Catalog {
        images: Vec::new(),
        faults: Vec::new(),
        ..catalog.clone()
    };
    if let (Err(error), Some(node)) = (
        Registry::new(RegistryConfig::default()).load(&rules_only, pullsim_model::SimTime::EPOCH),
        node,
    ) {
        diagnostics.error(node.position, error.to_string());
    }
}
