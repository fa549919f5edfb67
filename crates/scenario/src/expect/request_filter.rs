//! The filter of `requests`: which of a registry's requests count, read, written in a
//! verdict and matched against the story's exchanges. Its `kind` is the simulator's own
//! [`RequestKind`], named as [`REQUEST_KINDS`] says.

use pullsim_model::SimTime;

use super::time_in_run;
use crate::diagnostics::Diagnostics;
use crate::fields::{Fields, number, text};
use crate::references::Known;
use crate::run::judge::{Entry, clock, request_repository};
use crate::suggest::unknown_value_message;
use crate::tree::Node;

/// What a registry request asks for: the simulator's own kind, which its trace records.
pub use pullsim_sim::RequestKind;

/// Which registry requests an expectation counts; every field that is set must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RequestFilter {
    /// The method (`GET`, `HEAD`).
    pub method: Option<String>,
    /// What was asked for.
    pub kind: Option<RequestKind>,
    /// The status answered.
    pub status: Option<u16>,
    /// The repository asked about.
    pub repository: Option<String>,
    /// The node that asked, or `admission` for the digest-pinning webhook.
    pub node: Option<String>,
    /// From this time (inclusive).
    pub from: Option<SimTime>,
    /// Until this time (exclusive).
    pub until: Option<SimTime>,
}

/// The request kinds a filter may name, each with the simulator's [`RequestKind`] it
/// selects (`ping` is the API check `/v2/`; the simulator's `Other`, any other path, is not
/// a kind a filter names).
pub(crate) const REQUEST_KINDS: [(&str, RequestKind); 4] = [
    ("ping", RequestKind::Ping),
    ("manifest", RequestKind::Manifest),
    ("blob", RequestKind::Blob),
    ("token", RequestKind::Token),
];

/// The name a filter writes for `kind` (every kind the simulator has is in
/// [`REQUEST_KINDS`]).
pub(crate) fn request_kind_name(kind: RequestKind) -> &'static str {
    REQUEST_KINDS
        .iter()
        .find(|(_, known)| *known == kind)
        .map_or(kind.as_str(), |&(name, _)| name)
}

/// The methods a registry is sent (case does not matter in a filter).
const REQUEST_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];

/// Reads the filter, the mapping under `requests`; `None` after any error in it.
pub(crate) fn request_filter(
    node: &Node,
    known: &Known,
    diagnostics: &mut Diagnostics,
) -> Option<RequestFilter> {
    let mut fields = Fields::of(node, "a request filter", diagnostics)?;
    let errors_before = diagnostics.count();
    let method = fields.get("method").and_then(|n| {
        let written = text(n, diagnostics)?;
        let upper = written.to_uppercase();
        let valid = REQUEST_METHODS.contains(&upper.as_str());
        if !valid {
            diagnostics.error(
                n.position,
                unknown_value_message("request method", &written, &REQUEST_METHODS),
            );
        }
        valid.then_some(upper)
    });
    let kind = fields.get("kind").and_then(|n| {
        let written = text(n, diagnostics)?;
        let found = REQUEST_KINDS
            .iter()
            .find(|(name, _)| *name == written)
            .map(|&(_, kind)| kind);
        if found.is_none() {
            diagnostics.error(
                n.position,
                unknown_value_message(
                    "request kind",
                    &written,
                    &REQUEST_KINDS.map(|(name, _)| name),
                ),
            );
        }
        found
    });
    let status = fields
        .get("status")
        .and_then(|n| number::<u16>(n, diagnostics));
    let repository = fields.get("repository").and_then(|n| text(n, diagnostics));
    // `admission` is the digest-pinning webhook, which asks the registry too; node names
    // always end in `-<number>`, so it cannot be a node's.
    let from_node = fields.get("node").and_then(|n| {
        let name = text(n, diagnostics)?;
        (name == pullsim_sim::ADMISSION_CLIENT || known.node(&name, n.position, diagnostics))
            .then_some(name)
    });
    let from = fields
        .get("from")
        .and_then(|n| time_in_run(n, known, diagnostics));
    let until = fields
        .get("until")
        .and_then(|n| time_in_run(n, known, diagnostics));
    fields.finish(diagnostics);
    if let (Some(from), Some(until)) = (from, until)
        && until <= from
    {
        diagnostics.error(node.position, "until must be later than from");
    }
    (diagnostics.count() == errors_before).then_some(RequestFilter {
        method,
        kind,
        status,
        repository,
        node: from_node,
        from,
        until,
    })
}

impl RequestFilter {
    /// The filter in a verdict: `(HEAD, manifest, from node node-1)`, or `(all)`.
    pub(crate) fn text(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(method) = &self.method {
            parts.push(method.clone());
        }
        if let Some(kind) = self.kind {
            parts.push(request_kind_name(kind).to_owned());
        }
        if let Some(status) = self.status {
            parts.push(format!("status {status}"));
        }
        if let Some(repository) = &self.repository {
            parts.push(format!("repository {repository}"));
        }
        match self.node.as_deref() {
            Some(pullsim_sim::ADMISSION_CLIENT) => {
                parts.push("from the admission webhook".to_owned());
            }
            Some(node) => parts.push(format!("from node {node}")),
            None => {}
        }
        if let Some(from) = self.from {
            parts.push(format!("since {}", clock(from)));
        }
        if let Some(until) = self.until {
            parts.push(format!("before {}", clock(until)));
        }
        if parts.is_empty() {
            "(all)".to_owned()
        } else {
            format!("({})", parts.join(", "))
        }
    }

    /// Whether a story's entry at `at` is an exchange with `registry` the filter counts,
    /// and if so the body bytes it carried.
    pub(crate) fn counted(&self, registry: &str, entry: &Entry, at: SimTime) -> Option<u64> {
        let Entry::Request {
            host,
            client,
            method,
            target,
            request_kind,
            status,
            bytes,
        } = entry
        else {
            return None;
        };
        let matches = host == registry
            && self.method.as_ref().is_none_or(|m| m == method)
            && self
                .kind
                .is_none_or(|k| request_kind_name(k) == request_kind)
            && self.status.is_none_or(|s| s == *status)
            && self
                .repository
                .as_ref()
                .is_none_or(|r| request_repository(target).as_ref() == Some(r))
            && self.node.as_ref().is_none_or(|n| n == client)
            && self.from.is_none_or(|from| at >= from)
            && self.until.is_none_or(|until| at < until);
        matches.then_some(*bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_kind_of_the_simulator_has_the_name_a_filter_reads() {
        let kinds = [
            (RequestKind::Ping, "ping"),
            (RequestKind::Manifest, "manifest"),
            (RequestKind::Blob, "blob"),
            (RequestKind::Token, "token"),
        ];
        for (kind, name) in kinds {
            assert_eq!(request_kind_name(kind), name);
            assert!(REQUEST_KINDS.contains(&(name, kind)));
        }
        assert_eq!(REQUEST_KINDS.len(), kinds.len());
    }

    #[test]
    fn a_filter_is_written_with_every_field_it_sets() {
        let filter = RequestFilter {
            method: Some("HEAD".to_owned()),
            kind: Some(RequestKind::Ping),
            status: Some(200),
            repository: Some("team/app".to_owned()),
            node: Some(pullsim_sim::ADMISSION_CLIENT.to_owned()),
            from: Some(SimTime::from_secs(1)),
            until: Some(SimTime::from_secs(2)),
        };
        assert_eq!(
            filter.text(),
            "(HEAD, ping, status 200, repository team/app, from the admission webhook, since 00:00:01.000, before 00:00:02.000)"
        );
        assert_eq!(RequestFilter::default().text(), "(all)");
    }
}
