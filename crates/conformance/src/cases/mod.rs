//! The suite: every case, in its group, with what it sets up and how it judges.
//!
//! A case is data: an id, a group, a title, the registry's auth mode, whether blobs
//! redirect to a second origin, an `arrange` function that fills a fresh registry and says
//! what to pull, and a `judge` function that turns the evidence into findings. Each group
//! lives in its own file.

mod auth;
mod basics;
mod drift;
mod faults;
mod integrity;
mod platforms;
mod protocol;

use pullsim_model::ByteSize;
use pullsim_registry::{AuthMode, FaultMatch, FaultRule, Verdict};
use serde::Serialize;

use crate::evidence::{Evidence, Plan, Pull};
use crate::findings::Findings;
use crate::puller::Capability;
use crate::stage::Stage;

/// The groups of the suite, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Group {
    /// Plain pulls: by tag, by digest, Docker schema 2, shared layers, unknown names.
    Basics,
    /// Choosing a platform from an OCI index or a Docker manifest list.
    Platforms,
    /// Tags that move while a pull is under way.
    Drift,
    /// Content that does not match its digest, or arrives cut short.
    Integrity,
    /// Basic and Bearer challenges, wrong passwords, other tenants, other hosts.
    Auth,
    /// Transient errors, rate limits, slow and dropped responses.
    Faults,
    /// Media-type negotiation, large manifests, redirects.
    Protocol,
}

impl Group {
    /// The group's name in reports and ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Basics => "basics",
            Group::Platforms => "platforms",
            Group::Drift => "drift",
            Group::Integrity => "integrity",
            Group::Auth => "auth",
            Group::Faults => "faults",
            Group::Protocol => "protocol",
        }
    }
}

/// One conformance case.
#[derive(Debug, Clone, Copy)]
pub struct Case {
    /// A short id, unique in the suite (`oci-manifest-by-tag`); with the group it names
    /// the case's repository, `<group>/<id>`.
    pub id: &'static str,
    /// Its group.
    pub group: Group,
    /// A one-line description of what it checks.
    pub title: &'static str,
    /// The challenge the registry answers with.
    pub auth: AuthMode,
    /// Whether blob requests redirect to a second origin on another port.
    pub mirror: bool,
    /// Fills the registry and says what to pull.
    pub arrange: fn(&mut Stage) -> anyhow::Result<Plan>,
    /// Turns the evidence into findings.
    pub judge: fn(&Evidence) -> Findings,
}

impl Case {
    /// The case's repository: `<group>/<id>`.
    pub fn repository(&self) -> String {
        format!("{}/{}", self.group.as_str(), self.id)
    }

    /// What the plan needs of a puller beyond a public linux/amd64 pull.
    pub fn needs(plan: &Plan) -> Vec<Capability> {
        let mut needs = Vec::new();
        if plan.pulls.iter().any(|pull| pull.credentials.is_some()) {
            needs.push(Capability::Credentials);
        }
        if plan.pulls.iter().any(|pull| {
            pull.platform.normalize() != pullsim_model::Platform::new("linux", "amd64", "")
        }) {
            needs.push(Capability::Platform);
        }
        needs
    }
}

/// Every case of the suite, by group, in report order.
pub fn all() -> Vec<Case> {
    let mut cases = Vec::new();
    cases.extend(basics::cases());
    cases.extend(platforms::cases());
    cases.extend(drift::cases());
    cases.extend(integrity::cases());
    cases.extend(auth::cases());
    cases.extend(faults::cases());
    cases.extend(protocol::cases());
    cases
}

/// A case with the defaults most share: Basic challenges, no second origin.
const fn case(
    id: &'static str,
    group: Group,
    title: &'static str,
    arrange: fn(&mut Stage) -> anyhow::Result<Plan>,
    judge: fn(&Evidence) -> Findings,
) -> Case {
    Case {
        id,
        group,
        title,
        auth: AuthMode::Basic,
        mirror: false,
        arrange,
        judge,
    }
}

/// An image of two layers (8 KiB base, 4 KiB top) whose base layer's `GET` gets `verdict`
/// `uses` times (every time when `None`), pulled by tag: the stage of the faults and
/// integrity cases.
fn base_layer_fault(
    stage: &mut Stage,
    uses: Option<u64>,
    verdict: Verdict,
) -> anyhow::Result<Plan> {
    let mut spec = stage.spec("v1");
    spec.layers = vec![ByteSize(8192), ByteSize(4096)];
    let want = stage.image(&spec)?.first().clone();
    let layer = want.layers[0].digest.clone();
    stage.fault(FaultRule {
        uses,
        ..FaultRule::new(
            FaultMatch {
                method: Some("GET".to_owned()),
                path: Some(format!("/v2/{}/blobs/{layer}", stage.repository)),
                ..FaultMatch::default()
            },
            verdict,
        )
    });
    Ok(Plan {
        blob: Some(layer),
        ..Plan::one(Pull::tag(&stage.repository, "v1"), Some(want))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn the_suite_has_at_least_25_cases_with_unique_ids_in_every_group() {
        let cases = all();
        assert!(cases.len() >= 25, "{} cases", cases.len());
        let ids: BTreeSet<&str> = cases.iter().map(|case| case.id).collect();
        assert_eq!(ids.len(), cases.len(), "ids repeat");
        let groups: BTreeSet<Group> = cases.iter().map(|case| case.group).collect();
        assert_eq!(groups.len(), 7);
        let mut sorted = cases.iter().map(|case| case.group).collect::<Vec<_>>();
        sorted.sort();
        assert_eq!(sorted, cases.iter().map(|c| c.group).collect::<Vec<_>>());
    }

    /// Every case sets up a registry without error, before any puller is involved.
    #[test]
    fn every_case_arranges_its_registry() {
        for case in all() {
            let config = pullsim_registry::RegistryConfig {
                auth: case.auth,
                blob_redirect: case.mirror.then(|| "http://127.0.0.1:9".to_owned()),
                ..pullsim_registry::RegistryConfig::default()
            };
            let mut stage = Stage::new(&case.repository(), config);
            let plan =
                (case.arrange)(&mut stage).unwrap_or_else(|err| panic!("{}: {err:#}", case.id));
            assert!(!plan.pulls.is_empty(), "{}: no pulls", case.id);
            stage
                .finish()
                .unwrap_or_else(|err| panic!("{}: {err:#}", case.id));
        }
    }
}
