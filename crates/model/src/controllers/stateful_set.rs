//! A StatefulSet's names and events (docs/semantics.md §10.7), from
//! `pkg/controller/statefulset/stateful_set_utils.go` (`getPodName`) and
//! `stateful_pod_control.go` (`recordPodEvent`): pods are `<set>-<ordinal>`, and each pod
//! created or deleted is reported against the StatefulSet in lower case
//! (`create Pod web-0 in StatefulSet web successful`).

/// The pod of ordinal `ordinal`: `<set>-<ordinal>`.
pub fn pod_name(set: &str, ordinal: u32) -> String {
    format!("{set}-{ordinal}")
}

/// The ordinal of `pod` if it is one of `set`'s pods (`getOrdinal`).
pub fn ordinal_of(set: &str, pod: &str) -> Option<u32> {
    let digits = pod.strip_prefix(set)?.strip_prefix('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.len() > 1 && digits.starts_with('0') {
        return None;
    }
    digits.parse().ok()
}

/// `recordPodEvent`'s reason for `verb` (`create`, `delete`): `SuccessfulCreate`.
pub fn event_reason(verb: &str) -> &'static str {
    match verb {
        "create" => "SuccessfulCreate",
        "delete" => "SuccessfulDelete",
        _ => "SuccessfulUpdate",
    }
}

/// `recordPodEvent`'s message: `<verb> Pod <pod> in StatefulSet <set> successful`.
pub fn event_message(verb: &str, pod: &str, set: &str) -> String {
    format!("{verb} Pod {pod} in StatefulSet {set} successful")
}

/// `recordPodEvent`'s reason for a `verb` the API server refused: `FailedCreate`.
pub fn failed_event_reason(verb: &str) -> &'static str {
    match verb {
        "create" => "FailedCreate",
        "delete" => "FailedDelete",
        _ => "FailedUpdate",
    }
}

/// `recordPodEvent`'s message for a refused `verb`:
/// `<verb> Pod <pod> in StatefulSet <set> failed error: <error>`.
pub fn failed_event_message(verb: &str, pod: &str, set: &str, error: &str) -> String {
    format!("{verb} Pod {pod} in StatefulSet {set} failed error: {error}")
}

/// The `controller-revision-hash` of a revision: `<set>-<hash>`.
pub fn revision_name(set: &str, hash: &str) -> String {
    format!("{set}-{hash}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_ordinals_and_events() {
        assert_eq!(pod_name("web", 3), "web-3");
        assert_eq!(ordinal_of("web", "web-3"), Some(3));
        assert_eq!(ordinal_of("web", "web-12"), Some(12));
        assert_eq!(ordinal_of("web", "web-03"), None);
        assert_eq!(ordinal_of("web", "web-x"), None);
        assert_eq!(ordinal_of("web", "webx-1"), None);
        assert_eq!(ordinal_of("web", "web-"), None);
        assert_eq!(event_reason("create"), "SuccessfulCreate");
        assert_eq!(event_reason("delete"), "SuccessfulDelete");
        assert_eq!(failed_event_reason("create"), "FailedCreate");
        assert_eq!(
            failed_event_message("create", "web-0", "web", "admission webhook denied"),
            "create Pod web-0 in StatefulSet web failed error: admission webhook denied"
        );
        assert_eq!(
            event_message("create", "web-0", "web"),
            "create Pod web-0 in StatefulSet web successful"
        );
        assert_eq!(revision_name("web", "7b9d8c"), "web-7b9d8c");
    }
}
