//! The workload controllers' records in their named form: the three arms of each
//! controller record (`ControllerEvent`, `ReplicaSetCreated`, `ReplicaSetScaled`,
//! `ReplicaSetDeleted`, `ConditionSet`) side by side, as [`super`] has them for every other
//! record: the naming, the trace's text line and the transcript's line. Their `Entry`
//! variants are in [`super::Entry`].

use std::fmt::Write as _;

use pullsim_model::SimTime;

use super::Entry;
use crate::sim::Sim;
use crate::trace::TraceEvent;
use crate::trace::line::Line;

/// A controller record named (names, never ids).
pub(super) fn named(sim: &Sim, event: &TraceEvent) -> Entry {
    match event {
        TraceEvent::ControllerEvent {
            object,
            event_type,
            reason,
            message,
        } => {
            let object = sim.object_ref(*object);
            Entry::ControllerEvent {
                object: object.to_string(),
                namespace: object.namespace.clone(),
                event_type: event_type.as_str().to_owned(),
                reason: (*reason).to_owned(),
                message: message.clone(),
            }
        }
        TraceEvent::ReplicaSetCreated {
            replica_set,
            revision,
        } => {
            let object = sim.object_ref(*replica_set);
            Entry::ReplicaSetCreated {
                replica_set: object.name.clone(),
                namespace: object.namespace.clone(),
                revision: *revision,
            }
        }
        TraceEvent::ReplicaSetScaled {
            replica_set,
            from,
            to,
        } => {
            let object = sim.object_ref(*replica_set);
            Entry::ReplicaSetScaled {
                replica_set: object.name.clone(),
                namespace: object.namespace.clone(),
                from: *from,
                to: *to,
            }
        }
        TraceEvent::ReplicaSetDeleted { replica_set } => {
            let object = sim.object_ref(*replica_set);
            Entry::ReplicaSetDeleted {
                replica_set: object.name.clone(),
                namespace: object.namespace.clone(),
            }
        }
        TraceEvent::ConditionSet {
            object,
            condition_type,
            status,
            reason,
            message,
        } => {
            let object = sim.object_ref(*object);
            Entry::ConditionSet {
                object: object.to_string(),
                namespace: object.namespace.clone(),
                condition_type: (*condition_type).to_owned(),
                status: if *status { "True" } else { "False" }.to_owned(),
                reason: (*reason).to_owned(),
                message: message.clone(),
            }
        }
        _ => unreachable!("only controller records are named here"),
    }
}

/// A controller record's line in the trace's text.
pub(super) fn write_trace_line(entry: &Entry, line: &mut String) -> std::fmt::Result {
    match entry {
        Entry::ControllerEvent {
            object,
            namespace,
            event_type,
            reason,
            message,
        } => write!(
            line,
            "{} {event_type} {reason} {message}",
            namespaced(object, namespace)
        ),
        Entry::ReplicaSetCreated {
            replica_set,
            namespace,
            revision,
        } => write!(
            line,
            "replicaset/{namespace}/{replica_set} created revision={revision}"
        ),
        Entry::ReplicaSetScaled {
            replica_set,
            namespace,
            from,
            to,
        } => write!(
            line,
            "replicaset/{namespace}/{replica_set} scaled from {from} to {to}"
        ),
        Entry::ReplicaSetDeleted {
            replica_set,
            namespace,
        } => write!(line, "replicaset/{namespace}/{replica_set} deleted"),
        Entry::ConditionSet {
            object,
            namespace,
            condition_type,
            status,
            reason,
            message,
        } => write!(
            line,
            "{} condition {condition_type}={status} {reason}: {message}",
            namespaced(object, namespace)
        ),
        _ => Ok(()),
    }
}

/// A controller record's line in the transcript (`None` for any other record).
pub(super) fn transcript_line(entry: &Entry, at: SimTime) -> Option<Line> {
    Some(match entry {
        Entry::ControllerEvent {
            object,
            event_type,
            reason,
            message,
            ..
        } => {
            let (kind, name) = object_kind(object);
            let line_type = if event_type == "Warning" {
                "Warning"
            } else {
                "Normal"
            };
            Line::new(at, kind, name).with(line_type, reason, message.clone())
        }
        Entry::ReplicaSetCreated {
            replica_set,
            revision,
            ..
        } => Line::new(at, "replicaset", replica_set).with(
            "object",
            "Created",
            format!("revision {revision}"),
        ),
        Entry::ReplicaSetScaled {
            replica_set,
            from,
            to,
            ..
        } => Line::new(at, "replicaset", replica_set).with(
            "object",
            "Scaled",
            format!("from {from} to {to}"),
        ),
        Entry::ReplicaSetDeleted { replica_set, .. } => {
            Line::new(at, "replicaset", replica_set).with("object", "Deleted", String::new())
        }
        Entry::ConditionSet {
            object,
            condition_type,
            status,
            reason,
            message,
            ..
        } => {
            let (kind, name) = object_kind(object);
            Line::new(at, kind, name).with(
                "status",
                condition_type,
                format!("{status} {reason}: {message}"),
            )
        }
        _ => return None,
    })
}

/// `replicaset/web-1` in `default` as the trace's text names it: `replicaset/default/web-1`.
fn namespaced(object: &str, namespace: &str) -> String {
    match object.split_once('/') {
        Some((kind, name)) => format!("{kind}/{namespace}/{name}"),
        None => object.to_owned(),
    }
}

/// The transcript's object kind and name of `replicaset/web-1`.
fn object_kind(object: &str) -> (&'static str, &str) {
    let (kind, name) = object.split_once('/').unwrap_or(("", object));
    let kind = match kind {
        "deployment" => "deployment",
        "replicaset" => "replicaset",
        "daemonset" => "daemonset",
        "statefulset" => "statefulset",
        "job" => "job",
        _ => "workload",
    };
    (kind, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_print_with_their_namespace_in_the_trace_text() {
        assert_eq!(namespaced("job/report", "batch"), "job/batch/report");
        assert_eq!(namespaced("plain", "batch"), "plain");
        assert_eq!(object_kind("statefulset/db"), ("statefulset", "db"));
        assert_eq!(object_kind("odd"), ("workload", "odd"));
    }
}
