//! `credentialPlugins:`: what each kubelet credential-provider plugin answers in the
//! simulation, by the provider `name` a node pool's `kubelet.credentialProviders` gives it
//! (docs/credential-providers.md).
//!
//! ```yaml
//! credentialPlugins:
//!   - name: ecr-credential-provider
//!     latency: 300ms                     # how long one exec takes (default 0s)
//!     answers:                           # the first whose image (and account) matches
//!       - image: "*.dkr.ecr.*.amazonaws.com"   # matchImages syntax; also the auth key
//!         username: AWS
//!         password: {currentOf: 111122223333.dkr.ecr.us-east-1.amazonaws.com}
//!         cacheKeyType: Registry         # Image, Registry or Global
//!         cacheDuration: 12h             # omitted: the provider's defaultCacheDuration
//!       - {image: "registry.example.com", namespace: team-a, serviceAccount: builder,
//!          username: a, password: secret-a, cacheKeyType: Image}
//!     failures:                          # or fails: true (every exec, the whole run)
//!       - {from: 10m, until: 20m}        # exits with status 1
//!       - {from: 1h, mode: hang}         # never answers: killed at the 1-minute timeout
//! ```
//!
//! An exec for an image no answer matches exits with status 1 (`no credentials for image
//! ...`), as `pullsim credential-provider` does for a real kubelet.

use std::time::Duration;

use pullsim_model::credentials::provider::CacheKeyType;
use pullsim_model::go_text::quote;
use pullsim_model::{SimTime, credentials::url_match::urls_match_str};
use pullsim_sim::{CredentialPlugin, FailureMode, PluginAnswer, PluginFailure, PluginPassword};

use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, boolean, duration, list, text, time};
use crate::references::Known;
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// Reads `credentialPlugins:`; names must be unique.
pub(crate) fn read_plugins(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Vec<CredentialPlugin> {
    let mut plugins: Vec<(CredentialPlugin, u32)> = Vec::new();
    for item in list(node, diagnostics) {
        let Some(plugin) = read_plugin(item, known, diagnostics) else {
            continue;
        };
        if let Some((_, line)) = plugins.iter().find(|(other, _)| other.name == plugin.name) {
            diagnostics.error(
                item.position,
                format!(
                    "credential plugin {} is already described at line {line}",
                    quote(&plugin.name)
                ),
            );
            continue;
        }
        plugins.push((plugin, item.position.line));
    }
    plugins.into_iter().map(|(plugin, _)| plugin).collect()
}

fn read_plugin(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<CredentialPlugin> {
    let mut fields = Fields::of(node, "a credential plugin", diagnostics)?;
    let name = fields
        .require("name", diagnostics)
        .and_then(|node| text(node, diagnostics));
    let latency = fields
        .get("latency")
        .map_or(Some(Duration::ZERO), |node| duration(node, diagnostics));
    let answers: Vec<Option<PluginAnswer>> = fields
        .get("answers")
        .map(|answers| {
            list(answers, diagnostics)
                .iter()
                .map(|answer| read_answer(answer, known, diagnostics))
                .collect()
        })
        .unwrap_or_default();
    let fails_node = fields.get("fails");
    let failures_node = fields.get("failures");
    fields.finish(diagnostics);
    let mut failures = Vec::new();
    if let Some(node) = fails_node
        && boolean(node, diagnostics) == Some(true)
    {
        if failures_node.is_some() {
            diagnostics.error(node.position, "write fails: true or failures:, not both");
        }
        failures.push(PluginFailure {
            from: SimTime::EPOCH,
            until: None,
            mode: FailureMode::Exit,
        });
    }
    for window in failures_node
        .map(|node| list(node, diagnostics))
        .unwrap_or_default()
    {
        failures.extend(read_failure(window, diagnostics));
    }
    Some(CredentialPlugin {
        name: name?,
        latency: latency?,
        answers: answers.into_iter().collect::<Option<_>>()?,
        failures,
    })
}

fn read_answer(node: &Node, known: &Known, diagnostics: &mut Diagnostics) -> Option<PluginAnswer> {
    let mut fields = Fields::of(node, "a credential plugin answer", diagnostics)?;
    let image = fields.require("image", diagnostics).and_then(|node| {
        let glob = text(node, diagnostics)?;
        // The glob must be one matchImages accepts: check it against itself.
        match urls_match_str(&glob, "example.com") {
            Ok(_) => Some(glob),
            Err(error) => {
                diagnostics.error(node.position, format!("image {}: {error}", quote(&glob)));
                None
            }
        }
    });
    let namespace = fields
        .get("namespace")
        .and_then(|node| text(node, diagnostics));
    let account_node = fields.get("serviceAccount");
    let account = account_node.and_then(|node| text(node, diagnostics));
    let username = fields
        .require("username", diagnostics)
        .and_then(|node| text(node, diagnostics));
    let password = fields
        .require("password", diagnostics)
        .and_then(|node| read_password(node, known, diagnostics));
    let cache_key_type = fields
        .require("cacheKeyType", diagnostics)
        .and_then(|node| {
            let written = text(node, diagnostics)?;
            match written.as_str() {
                "Image" => Some(CacheKeyType::Image),
                "Registry" => Some(CacheKeyType::Registry),
                "Global" => Some(CacheKeyType::Global),
                _ => {
                    diagnostics.error(
                        node.position,
                        unknown_value_message(
                            "cacheKeyType",
                            &written,
                            &["Image", "Registry", "Global"],
                        ),
                    );
                    None
                }
            }
        });
    let cache_duration = match fields.get("cacheDuration") {
        Some(node) => Some(duration(node, diagnostics)?),
        None => None,
    };
    fields.finish(diagnostics);
    if let (Some(node), None) = (account_node, &namespace) {
        diagnostics.error(node.position, "serviceAccount needs the namespace it is in");
    }
    Some(PluginAnswer {
        image: image?,
        service_account: namespace.map(|namespace| (namespace, account)),
        username: username?,
        password: password?,
        cache_key_type: cache_key_type?,
        cache_duration,
    })
}

/// `password: text` or `password: {currentOf: <registry host>}`.
fn read_password(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<PluginPassword> {
    if node.scalar().is_some() {
        return text(node, diagnostics).map(PluginPassword::Fixed);
    }
    let mut fields = Fields::of(node, "a password", diagnostics)?;
    let host = fields.require("currentOf", diagnostics).and_then(|node| {
        let host = text(node, diagnostics)?;
        known
            .registry(&host, node.position, diagnostics)
            .then_some(host)
    });
    fields.finish(diagnostics);
    Some(PluginPassword::CurrentOf { host: host? })
}

/// `{from: 10m, until: 20m, mode: exit}` (`until` omitted: the rest of the run).
fn read_failure(node: &Node, diagnostics: &mut Diagnostics) -> Option<PluginFailure> {
    let mut fields = Fields::of(node, "a failure window", diagnostics)?;
    let from = fields
        .get("from")
        .map_or(Some(SimTime::EPOCH), |node| time(node, diagnostics));
    let until_node = fields.get("until");
    let until = match until_node {
        Some(node) => Some(time(node, diagnostics)?),
        None => None,
    };
    let mode = failure_mode(fields.get("mode"), diagnostics);
    fields.finish(diagnostics);
    let from = from?;
    if let (Some(node), Some(until)) = (until_node, until)
        && until <= from
    {
        diagnostics.error(node.position, "until must come after from");
        return None;
    }
    Some(PluginFailure {
        from,
        until,
        mode: mode?,
    })
}

/// A failure's `mode`: `exit` (the default when absent: the plugin exits with status 1
/// after its latency) or `hang` (it never answers and the kubelet kills it at its timeout).
pub(crate) fn failure_mode(
    node: Option<&Node>,
    diagnostics: &mut Diagnostics,
) -> Option<FailureMode> {
    let Some(node) = node else {
        return Some(FailureMode::Exit);
    };
    let written = text(node, diagnostics)?;
    match written.as_str() {
        "exit" => Some(FailureMode::Exit),
        "hang" => Some(FailureMode::Hang),
        _ => {
            diagnostics.error(
                node.position,
                unknown_value_message("mode", &written, &["exit", "hang"]),
            );
            None
        }
    }
}
