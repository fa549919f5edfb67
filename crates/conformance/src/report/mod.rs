//! Reports of a conformance run: one [`SuiteReport`] per puller, one [`CaseReport`] per
//! case, and the renderings of them: JSON (`--format json`, the shape the issue fixes),
//! the terminal table, JUnit XML and the Markdown behaviour matrix.
//!
//! - [`text`]: the terminal table with the failed checks under it.
//! - [`junit`]: JUnit XML for CI systems.
//! - [`matrix`]: a Markdown matrix of results and behaviours across pullers.

pub mod junit;
pub mod matrix;
pub mod text;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use crate::cases::Group;
use crate::findings::Check;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CaseResult {
    /// Every MUST check held.
    Pass,
    /// At least one MUST check failed.
    Fail,
    /// The harness could not carry the case out (a server would not start, a store could
    /// not be read); the reason is under `observed.error`.
    Error,
    /// The puller cannot do what the case needs (credentials, a platform); the reason is
    /// under `observed.skipped`.
    Skipped,
}

impl CaseResult {
    /// The result as the reports spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            CaseResult::Pass => "pass",
            CaseResult::Fail => "fail",
            CaseResult::Error => "error",
            CaseResult::Skipped => "skipped",
        }
    }
}

/// One case's report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseReport {
    /// The case's id.
    pub id: String,
    /// Its group.
    pub group: Group,
    /// What it checks.
    pub title: String,
    /// How it ended.
    pub result: CaseResult,
    /// The MUST checks.
    pub must: Vec<Check>,
    /// Observed behaviours, not judged.
    pub observed: BTreeMap<String, Value>,
    /// Requests the registry (and second origin) served during the case.
    pub requests: u64,
    /// How long the case took (wall clock), for the table and JUnit only.
    #[serde(skip)]
    pub duration: Duration,
}

impl CaseReport {
    /// A report of a case that could not be carried out.
    pub fn error(id: &str, group: Group, title: &str, reason: String) -> CaseReport {
        CaseReport {
            id: id.to_owned(),
            group,
            title: title.to_owned(),
            result: CaseResult::Error,
            must: Vec::new(),
            observed: BTreeMap::from([("error".to_owned(), Value::String(reason))]),
            requests: 0,
            duration: Duration::ZERO,
        }
    }

    /// The failed MUST checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.must.iter().filter(|check| !check.pass)
    }
}

/// One puller's run of the suite.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SuiteReport {
    /// The puller's name.
    pub puller: String,
    /// Its version, when it reports one.
    pub version: Option<String>,
    /// Every case run, in suite order.
    pub cases: Vec<CaseReport>,
    /// How long the whole run took (wall clock), for the table and JUnit only.
    #[serde(skip)]
    pub duration: Duration,
}

/// How many cases ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Errors.
    pub errors: usize,
    /// Skipped.
    pub skipped: usize,
}

impl SuiteReport {
    /// The counts by result.
    pub fn tally(&self) -> Tally {
        let mut tally = Tally::default();
        for case in &self.cases {
            match case.result {
                CaseResult::Pass => tally.passed += 1,
                CaseResult::Fail => tally.failed += 1,
                CaseResult::Error => tally.errors += 1,
                CaseResult::Skipped => tally.skipped += 1,
            }
        }
        tally
    }

    /// Whether every MUST check that ran passed (skipped cases do not count against it,
    /// errors do).
    pub fn all_must_pass(&self) -> bool {
        let tally = self.tally();
        tally.failed == 0 && tally.errors == 0
    }

    /// The puller's name with its version, for headings.
    pub fn title(&self) -> String {
        match &self.version {
            Some(version) => format!("{} {version}", self.puller),
            None => self.puller.clone(),
        }
    }

    /// The report as one line of JSON.
    ///
    /// # Errors
    ///
    /// Never in practice: every field serialises.
    pub fn to_json(&self) -> serde_json::Result<String> {
        serde_json::to_string(self)
    }
}

/// An observed value as the table and matrix print it: `yes`/`no`, numbers and text
/// as they are.
pub fn show(value: &Value) -> String {
    match value {
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        Value::String(text) => text.clone(),
        Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
pub(crate) mod sample {
    //! A fixed report for the renderers' snapshot tests.

    use super::*;

    pub(crate) fn report(puller: &str, version: Option<&str>, fail_second: bool) -> SuiteReport {
        let first = CaseReport {
            id: "oci-manifest-by-tag".into(),
            group: Group::Basics,
            title: "an OCI image manifest by tag".into(),
            result: CaseResult::Pass,
            must: vec![
                Check::new("pulls successfully", true, "exit 0"),
                Check::new(
                    "stores the linux/amd64 image",
                    true,
                    "manifest sha256:1234567890ab",
                ),
            ],
            observed: BTreeMap::from([
                ("pings_v2".to_owned(), Value::Bool(true)),
                ("first_manifest_request".to_owned(), Value::from("GET")),
            ]),
            requests: 5,
            duration: Duration::from_millis(120),
        };
        let second = CaseReport {
            id: "credentials-stay-home".into(),
            group: Group::Auth,
            title: "credentials are not sent to another host <&\"'>".into(),
            result: if fail_second {
                CaseResult::Fail
            } else {
                CaseResult::Pass
            },
            must: vec![Check::new(
                "sends no credentials to the other origin",
                !fail_second,
                if fail_second {
                    "GET /v2/a/blobs/sha256:ab carried basic credentials of alice"
                } else {
                    "2 requests to the other origin, none with credentials"
                },
            )],
            observed: BTreeMap::from([("blobs_from_other_origin".to_owned(), Value::from(2))]),
            requests: 9,
            duration: Duration::from_millis(340),
        };
        let skipped = CaseReport {
            id: "oci-index-arm64-v8".into(),
            group: Group::Platforms,
            title: "linux/arm64/v8 from an OCI index".into(),
            result: CaseResult::Skipped,
            must: Vec::new(),
            observed: BTreeMap::from([(
                "skipped".to_owned(),
                Value::from("the --cmd template has no {arch}"),
            )]),
            requests: 0,
            duration: Duration::ZERO,
        };
        SuiteReport {
            puller: puller.into(),
            version: version.map(str::to_owned),
            cases: vec![first, skipped, second],
            duration: Duration::from_millis(1500),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_exactly_the_issue_shape() {
        let report = sample::report("skopeo", Some("1.9.3"), true);
        let json: Value = serde_json::from_str(&report.to_json().unwrap()).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["puller", "version", "cases"]);
        let case = &json["cases"][2];
        let keys: Vec<&str> = case
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "id", "group", "title", "result", "must", "observed", "requests"
            ]
        );
        assert_eq!(case["result"], "fail");
        assert_eq!(case["group"], "auth");
        assert_eq!(case["must"][0]["result"], "fail");
        assert_eq!(
            case["must"][0]["check"],
            "sends no credentials to the other origin"
        );
        assert_eq!(json["cases"][1]["result"], "skipped");
        assert_eq!(report.tally().failed, 1);
        assert!(!report.all_must_pass());
        assert!(sample::report("x", None, false).all_must_pass());
    }
}
