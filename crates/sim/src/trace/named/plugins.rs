//! The credential-provider plugins' records in their named form: the three arms of each
//! (`PluginCacheHit`, `PluginExecStarted`, `PluginExecJoined`, `PluginExecFinished`,
//! `PluginFailed`) side by side, as [`super`] has them for every other record: the naming,
//! the trace's text line and the transcript's line. Their `Entry` variants are in
//! [`super::Entry`].

use std::fmt::Write as _;
use std::time::Duration;

use pullsim_model::SimTime;

use super::Entry;
use crate::sim::Sim;
use crate::trace::line::Line;
use crate::trace::names::name;
use crate::trace::{PodId, TraceEvent, duration};

/// A plugin record named (names, never ids).
pub(super) fn named(sim: &Sim, event: &TraceEvent) -> Entry {
    let node = |id| sim.node_name(id).to_owned();
    match event {
        TraceEvent::PluginCacheHit {
            pod,
            node: id,
            provider,
            image,
            key,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PluginCacheHit {
                pod,
                instance,
                node: node(*id),
                provider: provider.clone(),
                image: image.clone(),
                key: key.clone(),
            }
        }
        TraceEvent::PluginExecStarted {
            pod,
            node: id,
            provider,
            image,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PluginExecStarted {
                pod,
                instance,
                node: node(*id),
                provider: provider.clone(),
                image: image.clone(),
            }
        }
        TraceEvent::PluginExecJoined {
            pod,
            node: id,
            provider,
            image,
        } => {
            let (pod, instance) = name(sim, *pod);
            Entry::PluginExecJoined {
                pod,
                instance,
                node: node(*id),
                provider: provider.clone(),
                image: image.clone(),
            }
        }
        TraceEvent::PluginExecFinished {
            node: id,
            provider,
            image,
            duration,
            cached,
        } => Entry::PluginExecFinished {
            node: node(*id),
            provider: provider.clone(),
            image: image.clone(),
            duration_ns: nanos(*duration),
            cache_key: cached.as_ref().map(|(key, _)| key.clone()),
            cached_for_ns: cached.as_ref().map(|(_, length)| nanos(*length)),
        },
        TraceEvent::PluginFailed {
            node: id,
            provider,
            image,
            message,
        } => Entry::PluginFailed {
            node: node(*id),
            provider: provider.clone(),
            image: image.clone(),
            message: message.clone(),
        },
        _ => unreachable!("only plugin records are named here"),
    }
}

/// A plugin record's line in the trace's text.
pub(super) fn write_trace_line(entry: &Entry, sim: &Sim, line: &mut String) -> std::fmt::Result {
    let pod = |instance: &crate::trace::Instance| format!("pod/{}", sim.pod_key(PodId(instance.0)));
    match entry {
        Entry::PluginCacheHit {
            instance,
            node,
            provider,
            image,
            key,
            ..
        } => write!(
            line,
            "{} plugin[{provider}] cache hit on {node} for {image} key={key:?}",
            pod(instance)
        ),
        Entry::PluginExecStarted {
            instance,
            node,
            provider,
            image,
            ..
        } => write!(
            line,
            "{} plugin[{provider}] exec on {node} for {image}",
            pod(instance)
        ),
        Entry::PluginExecJoined {
            instance,
            node,
            provider,
            image,
            ..
        } => write!(
            line,
            "{} plugin[{provider}] waits on {node} for the exec in flight for {image}",
            pod(instance)
        ),
        Entry::PluginExecFinished {
            node,
            provider,
            image,
            duration_ns,
            cache_key,
            cached_for_ns,
        } => {
            let cached = match (cache_key, cached_for_ns) {
                (Some(key), Some(length)) => {
                    format!("cached key={key:?} for {}", duration(from_nanos(*length)))
                }
                _ => "not cached".to_owned(),
            };
            write!(
                line,
                "node/{node} plugin[{provider}] answered for {image} in {} {cached}",
                duration(from_nanos(*duration_ns))
            )
        }
        Entry::PluginFailed {
            node,
            provider,
            message,
            ..
        } => write!(line, "node/{node} plugin[{provider}] failed: {message}"),
        _ => Ok(()),
    }
}

/// A plugin record's line in the transcript (`None` for any other record).
pub(super) fn transcript_line(entry: &Entry, at: SimTime) -> Option<Line> {
    Some(match entry {
        Entry::PluginCacheHit {
            pod,
            node,
            provider,
            image,
            key,
            ..
        } => Line::new(at, "pod", pod)
            .with(
                "plugin",
                "CacheHit",
                format!("plugin[{provider}] for {image}: cached under {key} on {{node}}"),
            )
            .on(node),
        Entry::PluginExecStarted {
            pod,
            node,
            provider,
            image,
            ..
        } => Line::new(at, "pod", pod)
            .with(
                "plugin",
                "Exec",
                format!("plugin[{provider}] asked for {image} on {{node}}"),
            )
            .on(node),
        Entry::PluginExecJoined {
            pod,
            node,
            provider,
            image,
            ..
        } => Line::new(at, "pod", pod)
            .with(
                "plugin",
                "Waits",
                format!("plugin[{provider}] exec in flight for {image} on {{node}}"),
            )
            .on(node),
        Entry::PluginExecFinished {
            node,
            provider,
            image,
            duration_ns,
            cache_key,
            cached_for_ns,
        } => {
            let cached = match (cache_key, cached_for_ns) {
                (Some(key), Some(length)) => {
                    format!("cached under {key} for {}", duration(from_nanos(*length)))
                }
                _ => "not cached".to_owned(),
            };
            Line::new(at, "node", node).with(
                "plugin",
                "Answered",
                format!(
                    "plugin[{provider}] for {image} after {}, {cached}",
                    duration(from_nanos(*duration_ns))
                ),
            )
        }
        Entry::PluginFailed { node, message, .. } => {
            Line::new(at, "node", node).with("Warning", "PluginFailed", message.clone())
        }
        _ => return None,
    })
}

fn nanos(length: Duration) -> u64 {
    u64::try_from(length.as_nanos()).unwrap_or(u64::MAX)
}

fn from_nanos(nanos: u64) -> Duration {
    Duration::from_nanos(nanos)
}
