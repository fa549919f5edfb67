//! `imagePullPolicy`: its three values and the default the API server fills in when a pod
//! leaves it empty (docs/semantics.md §2, kubernetes `pkg/apis/core/v1/defaults.go`
//! `SetDefaults_Container`).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::go::text as go_text;
use crate::reference::parse_image_name;

/// When the kubelet pulls an image (`core/v1.PullPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PullPolicy {
    /// Pull on every container start (resolving the tag again).
    Always,
    /// Pull only when the image is not on the node.
    IfNotPresent,
    /// Never pull; fail with `ErrImageNeverPull` when the image is missing.
    Never,
}

impl PullPolicy {
    /// Every value, in the order API validation lists them.
    pub const ALL: [PullPolicy; 3] = [
        PullPolicy::Always,
        PullPolicy::IfNotPresent,
        PullPolicy::Never,
    ];

    /// The Kubernetes spelling: `Always`, `IfNotPresent` or `Never`.
    pub fn as_str(self) -> &'static str {
        match self {
            PullPolicy::Always => "Always",
            PullPolicy::IfNotPresent => "IfNotPresent",
            PullPolicy::Never => "Never",
        }
    }
}

impl fmt::Display for PullPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that is not one of the three policies. The comparison is exact and
/// case-sensitive, as API validation's is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown pull policy {} (expected Always, IfNotPresent or Never)",
    go_text::quote(value)
)]
pub struct PullPolicyError {
    /// The rejected text.
    pub value: String,
}

impl FromStr for PullPolicy {
    type Err = PullPolicyError;
    fn from_str(s: &str) -> Result<PullPolicy, PullPolicyError> {
        PullPolicy::ALL
            .into_iter()
            .find(|policy| policy.as_str() == s)
            .ok_or_else(|| PullPolicyError {
                value: s.to_owned(),
            })
    }
}

impl Serialize for PullPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PullPolicy {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PullPolicy, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The policy `SetDefaults_Container` gives a container whose `imagePullPolicy` is empty:
/// `Always` when `ParseImageName` returns the tag `latest` (given or defaulted, digest or
/// not), otherwise `IfNotPresent`. The compare is case-sensitive (`:LATEST` is
/// `IfNotPresent`) and an unparseable image counts as tag `""`, so `IfNotPresent`.
///
/// Defaulting happens once, when the object is written; callers must not recompute it for a
/// policy that is already set.
pub fn default_pull_policy(image: &str) -> PullPolicy {
    match parse_image_name(image) {
        Ok(name) if name.tag.as_deref() == Some("latest") => PullPolicy::Always,
        _ => PullPolicy::IfNotPresent,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// Rows: image, the default policy.
    fn check(rows: &[(String, PullPolicy)]) {
        for (image, want) in rows {
            assert_eq!(default_pull_policy(image), *want, "{image:?}");
        }
    }

    /// Every row of docs/semantics.md §2's consequence table, each example it names.
    #[test]
    fn semantics_2_default_policy_table() {
        use PullPolicy::*;
        check(&[
            ("nginx".to_owned(), Always),
            ("registry.io/x".to_owned(), Always),
            ("nginx:latest".to_owned(), Always),
            (format!("nginx:latest@sha256:{H64}"), Always),
            (format!("nginx@sha256:{H64}"), IfNotPresent),
            (format!("nginx:1.0@sha256:{H64}"), IfNotPresent),
            ("nginx:LATEST".to_owned(), IfNotPresent),
            ("nginx:Latest".to_owned(), IfNotPresent),
            ("NGINX".to_owned(), IfNotPresent),
            ("nginx:".to_owned(), IfNotPresent),
            (" nginx".to_owned(), IfNotPresent),
            ("nginx ".to_owned(), IfNotPresent),
            ("\tnginx:latest".to_owned(), IfNotPresent),
            (String::new(), IfNotPresent),
        ]);
    }

    #[test]
    fn strings_round_trip_and_typos_explain_themselves() {
        for policy in PullPolicy::ALL {
            assert_eq!(policy.as_str().parse::<PullPolicy>(), Ok(policy));
            assert_eq!(policy.to_string(), policy.as_str());
            let json = serde_json::to_string(&policy).unwrap_or_default();
            assert_eq!(json, format!("\"{policy}\""));
            assert_eq!(serde_json::from_str::<PullPolicy>(&json).ok(), Some(policy));
        }
        let rows = [
            (
                "Allways",
                r#"unknown pull policy "Allways" (expected Always, IfNotPresent or Never)"#,
            ),
            (
                "always",
                r#"unknown pull policy "always" (expected Always, IfNotPresent or Never)"#,
            ),
            (
                "",
                r#"unknown pull policy "" (expected Always, IfNotPresent or Never)"#,
            ),
            (
                "Never\n",
                r#"unknown pull policy "Never\n" (expected Always, IfNotPresent or Never)"#,
            ),
        ];
        for (text, want) in rows {
            assert_eq!(
                text.parse::<PullPolicy>()
                    .err()
                    .map(|e| e.to_string())
                    .as_deref(),
                Some(want)
            );
        }
        let err = serde_json::from_str::<PullPolicy>("\"ifNotPresent\"")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(r#"unknown pull policy "ifNotPresent" (expected Always, IfNotPresent or Never)"#)
        );
    }

    proptest! {
        #[test]
        fn any_text_gets_a_policy_and_always_needs_a_parseable_image(s in "\\PC{0,80}|[a-zA-Z0-9.:/@_-]{0,40}") {
            let policy = default_pull_policy(&s);
            if policy == PullPolicy::Always {
                prop_assert!(parse_image_name(&s).is_ok(), "{:?}", s);
            }
        }
    }
}
