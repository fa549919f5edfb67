//! `pluginCalls`: how many times the kubelets exec'd a credential-provider plugin, and how
//! many lookups its cache answered or that waited for an exec in flight, optionally on one
//! node, for one pod, or for one image.

use std::fmt::Write as _;

use super::wording::bounds_text;
use super::{Check, Kind, Reading};
use crate::diagnostics::Diagnostics;
use crate::fields::{Bounds, bounds, number, text};
use crate::references::Known;
use crate::run::judge::{Entry, Evidence, Judged, Story};

/// The kind.
pub(super) const KIND: Kind = Kind {
    key: "pluginCalls",
    docs: r"| `pluginCalls: <plugin>` | `pod` (optional) | `execs`, `cacheHits`, `waited` (bounds; at least one), `node`, `image` | the credential-provider plugin's execs (each started exec once, whether it answered, failed or timed out), the lookups its cache answered, and the lookups that waited for an exec in flight (singleflight); `node` and `image` (the repository asked about, `registry.example.com/team/app`) narrow them, as `pod` does to that pod's lookups |",
    pod_or_workload: false,
    workload_object: false,
    read,
};

/// A plugin's execs and cache hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginCalls {
    /// The plugin (provider) name.
    pub plugin: String,
    /// Only this pod's lookups.
    pub pod: Option<String>,
    /// Only on this node.
    pub node: Option<String>,
    /// Only for this image.
    pub image: Option<String>,
    /// Execs started, when asserted.
    pub execs: Option<Bounds<u64>>,
    /// Cache hits, when asserted.
    pub cache_hits: Option<Bounds<u64>>,
    /// Lookups that waited for an exec in flight, when asserted.
    pub waited: Option<Bounds<u64>>,
}

fn read(reading: &mut Reading<'_>, known: &Known, diagnostics: &mut Diagnostics) -> Option<Check> {
    let plugin = text(reading.value, diagnostics);
    let mut count = |key: &'static str, reading: &mut Reading<'_>| {
        reading
            .fields
            .get(key)
            .map(|n| bounds(n, diagnostics, number::<u64>))
    };
    let execs = count("execs", reading);
    let cache_hits = count("cacheHits", reading);
    let waited = count("waited", reading);
    let node = reading.fields.get("node").and_then(|n| {
        let name = text(n, diagnostics)?;
        known.node(&name, n.position, diagnostics);
        Some(name)
    });
    let image = reading
        .fields
        .get("image")
        .and_then(|n| text(n, diagnostics));
    if execs.is_none() && cache_hits.is_none() && waited.is_none() {
        diagnostics.error(
            reading.position(),
            "pluginCalls needs execs, cacheHits or waited",
        );
    }
    let some = |bounds: Option<Option<Bounds<u64>>>| bounds.map_or(Some(None), |b| b.map(Some));
    Some(Check::PluginCalls(PluginCalls {
        plugin: plugin?,
        pod: reading.pod.take(),
        node,
        image,
        execs: some(execs)?,
        cache_hits: some(cache_hits)?,
        waited: some(waited)?,
    }))
}

impl PluginCalls {
    pub(super) fn judge(&self, evidence: &Evidence<'_>) -> Judged {
        let (execs, hits, waited) = self.count(evidence.story);
        let mut expected = String::new();
        for (what, value) in [
            ("pod", &self.pod),
            ("node", &self.node),
            ("image", &self.image),
        ] {
            if let Some(value) = value {
                let _ = write!(expected, "{what} {value} ");
            }
        }
        let mut passed = true;
        for (what, bounds, actual) in [
            ("execs", &self.execs, execs),
            ("cache hits", &self.cache_hits, hits),
            ("waited", &self.waited, waited),
        ] {
            if let Some(bounds) = bounds {
                let _ = write!(
                    expected,
                    "{what} {} ",
                    bounds_text(bounds, |n: u64| n.to_string())
                );
                passed &= bounds.contains(actual);
            }
        }
        Judged {
            subject: format!("plugin {}", self.plugin),
            expected: expected.trim_end().to_owned(),
            actual: format!("{execs} execs, {hits} cache hits, {waited} waited"),
            passed,
        }
    }

    /// Execs, cache hits and waits the filter counts.
    fn count(&self, story: &Story) -> (u64, u64, u64) {
        let matches = |pod: &str, node: &str, provider: &str, image: &str| {
            provider == self.plugin
                && self.pod.as_deref().is_none_or(|want| want == pod)
                && self.node.as_deref().is_none_or(|want| want == node)
                && self.image.as_deref().is_none_or(|want| want == image)
        };
        let (mut execs, mut hits, mut waited) = (0, 0, 0);
        for record in &story.records {
            match &record.entry {
                Entry::PluginExecStarted {
                    pod,
                    node,
                    provider,
                    image,
                    ..
                } if matches(pod, node, provider, image) => execs += 1,
                Entry::PluginCacheHit {
                    pod,
                    node,
                    provider,
                    image,
                    ..
                } if matches(pod, node, provider, image) => hits += 1,
                Entry::PluginExecJoined {
                    pod,
                    node,
                    provider,
                    image,
                    ..
                } if matches(pod, node, provider, image) => waited += 1,
                _ => {}
            }
        }
        (execs, hits, waited)
    }
}
