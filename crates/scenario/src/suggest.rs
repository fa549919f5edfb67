//! "Did you mean" for misspelled field names and values.
//!
//! The same closeness rule decides two things: which known name to suggest for an unknown
//! one, and, in pasted Kubernetes manifests, whether an unknown field is a misspelling of
//! one that affects pulling (`imagePulPolicy`, `imagePullSecret`, `initContainer`) and so
//! an error, rather than a field pullsim does not model (`resources`, `ports`), which is
//! ignored. Names are compared without regard to case, by optimal string alignment distance
//! (edits and swaps of two neighbours): at most 1 for names of 3 to 6 characters, 2 for
//! longer ones, and case alone for names of 1 or 2 characters.

use crate::caps::shortened;

/// The candidate closest to `word` under the closeness rule, if any; the first of equally
/// close candidates wins, so callers list the most likely first.
pub(crate) fn suggestion<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word_length = word.chars().count();
    // No name is this long (object names have at most 253 characters), and the distance
    // costs the product of the two lengths.
    if word_length > SUGGESTED_CHARS_MAX {
        return None;
    }
    let word_lower = word.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let candidate_length = candidate.chars().count();
        let allowed = match word_length.min(candidate_length) {
            0..=2 => 0,
            3..=6 => 1,
            _ => 2,
        };
        // The distance is at least the difference of the lengths.
        if word_length.abs_diff(candidate_length) > allowed {
            continue;
        }
        let candidate_lower = candidate.to_lowercase();
        let distance = osa_distance(&word_lower, &candidate_lower);
        if distance <= allowed && best.is_none_or(|(best_distance, _)| distance < best_distance) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Words longer than this get no suggestion.
const SUGGESTED_CHARS_MAX: usize = 256;

/// How many names of the scenario's own (pods, workloads, registries) a message lists
/// before it says how many more there are; the lists of fields and values pullsim knows
/// are shorter.
pub(crate) const LISTED_MAX: usize = 20;

/// The first [`LISTED_MAX`] names joined by `, `, then `, ... and N more`.
pub(crate) fn listed(names: &[&str]) -> String {
    let mut text = names
        .iter()
        .take(LISTED_MAX)
        .map(|name| shortened_plain(name))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED_MAX {
        text.push_str(&format!(
            ", ... and {} more",
            grouped(names.len() - LISTED_MAX)
        ));
    }
    text
}

/// A name as a list shows it: itself, or its start and `...` when it is long.
fn shortened_plain(name: &str) -> String {
    if name.chars().count() <= 80 {
        return name.to_owned();
    }
    let start: String = name.chars().take(40).collect();
    format!("{start}...")
}

/// `999990` as `999,990`.
fn grouped(number: usize) -> String {
    let digits = number.to_string();
    let mut text = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            text.push(',');
        }
        text.push(digit);
    }
    text
}

/// `unknown field "x" (did you mean "y"?)`, or the list of fields the place takes.
pub(crate) fn unknown_field_message(field: &str, candidates: &[&str]) -> String {
    match suggestion(field, candidates) {
        Some(near) => format!(
            "unknown field {} (did you mean {}?)",
            shortened(field),
            pullsim_model::go_text::quote(near)
        ),
        None if candidates.is_empty() => {
            format!(
                "unknown field {} (no fields are expected here)",
                shortened(field)
            )
        }
        None => format!(
            "unknown field {} (expected one of {})",
            shortened(field),
            candidates.join(", ")
        ),
    }
}

/// `unknown <what> "x" (expected a, b or c)`, with a suggestion when one is close.
pub(crate) fn unknown_value_message(what: &str, value: &str, candidates: &[&str]) -> String {
    let value_text = shortened(value);
    let expected = match candidates {
        [] => return format!("unknown {what} {value_text} (the scenario has none)"),
        [only] => shortened_plain(only),
        _ if candidates.len() > LISTED_MAX => listed(candidates),
        [init @ .., last] => format!("{} or {}", listed(init), shortened_plain(last)),
    };
    match suggestion(value, candidates) {
        Some(near) => {
            format!("unknown {what} {value_text} (did you mean {near}? expected {expected})")
        }
        None => format!("unknown {what} {value_text} (expected {expected})"),
    }
}

/// Optimal string alignment distance over characters: insertions, deletions, substitutions
/// and swaps of two adjacent characters each cost 1.
fn osa_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut rows = vec![0usize; (a.len() + 1) * width];
    let at = |i: usize, j: usize| i * width + j;
    for i in 0..=a.len() {
        rows[at(i, 0)] = i;
    }
    for j in 0..=b.len() {
        rows[at(0, j)] = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[at(i - 1, j)] + 1)
                .min(rows[at(i, j - 1)] + 1)
                .min(rows[at(i - 1, j - 1)] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[at(i - 2, j - 2)] + 1);
            }
            rows[at(i, j)] = best;
        }
    }
    rows[at(a.len(), b.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fields pullsim reads from a Pod's spec and from a container.
    const POD_SPEC_READ: &[&str] = &[
        "containers",
        "initContainers",
        "imagePullSecrets",
        "serviceAccountName",
        "serviceAccount",
        "nodeName",
        "nodeSelector",
    ];
    const CONTAINER_READ: &[&str] = &["name", "image", "imagePullPolicy"];

    fn check(rows: &[(&str, &[&str], Option<&str>)]) {
        for &(word, candidates, want) in rows {
            assert_eq!(
                suggestion(word, candidates),
                want,
                "{word} among {candidates:?}"
            );
        }
    }

    #[test]
    fn near_names_are_suggested_and_far_ones_are_not() {
        let container = CONTAINER_READ;
        let spec = POD_SPEC_READ;
        check(&[
            ("imagePulPolicy", container, Some("imagePullPolicy")),
            ("imagepullpolicy", container, Some("imagePullPolicy")),
            ("imgae", container, Some("image")),
            ("imagePullSecret", spec, Some("imagePullSecrets")),
            ("initContainer", spec, Some("initContainers")),
            ("nodename", spec, Some("nodeName")),
            ("resources", container, None),
            ("ports", container, None),
            ("command", container, None),
            ("args", container, None),
            ("env", container, None),
            ("hostname", spec, None),
            ("ephemeralContainers", spec, None),
            ("volumes", spec, None),
            ("at", &["as"], None),
            ("AT", &["at"], Some("at")),
        ]);
    }

    /// Every field of a real Pod that pullsim ignores must stay ignored: none may be close
    /// to a field that pullsim reads at the same place.
    #[test]
    fn real_kubernetes_fields_are_not_taken_for_misspellings() {
        let places: [(&[&str], &[&str]); 4] = [
            (
                &["apiVersion", "kind", "metadata", "replicas", "at", "spec"],
                &["status"],
            ),
            (
                &["name", "namespace", "uid"],
                &[
                    "generateName",
                    "labels",
                    "annotations",
                    "ownerReferences",
                    "finalizers",
                    "resourceVersion",
                    "creationTimestamp",
                    "deletionTimestamp",
                    "managedFields",
                    "generation",
                    "selfLink",
                    "deletionGracePeriodSeconds",
                ],
            ),
            (
                POD_SPEC_READ,
                &[
                    "volumes",
                    "ephemeralContainers",
                    "restartPolicy",
                    "terminationGracePeriodSeconds",
                    "activeDeadlineSeconds",
                    "dnsPolicy",
                    "automountServiceAccountToken",
                    "hostNetwork",
                    "hostPID",
                    "hostIPC",
                    "shareProcessNamespace",
                    "securityContext",
                    "hostname",
                    "subdomain",
                    "affinity",
                    "schedulerName",
                    "tolerations",
                    "hostAliases",
                    "priorityClassName",
                    "priority",
                    "dnsConfig",
                    "readinessGates",
                    "runtimeClassName",
                    "enableServiceLinks",
                    "preemptionPolicy",
                    "overhead",
                    "topologySpreadConstraints",
                    "setHostnameAsFQDN",
                    "os",
                    "hostUsers",
                    "schedulingGates",
                    "resourceClaims",
                    "resources",
                ],
            ),
            (
                CONTAINER_READ,
                &[
                    "command",
                    "args",
                    "workingDir",
                    "ports",
                    "envFrom",
                    "env",
                    "resources",
                    "resizePolicy",
                    "restartPolicy",
                    "restartPolicyRules",
                    "volumeMounts",
                    "volumeDevices",
                    "livenessProbe",
                    "readinessProbe",
                    "startupProbe",
                    "lifecycle",
                    "terminationMessagePath",
                    "terminationMessagePolicy",
                    "securityContext",
                    "stdin",
                    "stdinOnce",
                    "tty",
                ],
            ),
        ];
        for (read, ignored) in places {
            for field in ignored {
                assert_eq!(suggestion(field, read), None, "{field} among {read:?}");
            }
        }
    }

    #[test]
    fn messages_suggest_or_list() {
        assert_eq!(
            unknown_field_message("regsitries", &["name", "registries"]),
            "unknown field \"regsitries\" (did you mean \"registries\"?)"
        );
        assert_eq!(
            unknown_field_message("zzz", &["name", "seed"]),
            "unknown field \"zzz\" (expected one of name, seed)"
        );
        assert_eq!(
            unknown_value_message(
                "pull policy",
                "Allways",
                &["Always", "IfNotPresent", "Never"]
            ),
            "unknown pull policy \"Allways\" (did you mean Always? expected Always, IfNotPresent or Never)"
        );
        assert_eq!(osa_distance("abcd", "acbd"), 1);
        assert_eq!(osa_distance("", "abc"), 3);
    }
}
