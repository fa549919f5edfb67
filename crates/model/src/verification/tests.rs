//! Tables for KEP-2535: the policies and allowlist of docs/semantics.md §5.2 and the
//! `MustAttemptImagePull` decision and record keeping of 5.3 and 5.4.

use super::*;
use crate::SimTime;

const IMAGE: &str = "registry.example.com/team/app:v1";
const IMAGE_REF: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const REPO: &str = "registry.example.com/team/app";

fn secret(namespace: &str, name: &str, uid: &str, hash: &str) -> PullSecretRecord {
    PullSecretRecord {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        uid: uid.to_owned(),
        credential_hash: hash.to_owned(),
    }
}

fn account(name: &str) -> PullServiceAccountRecord {
    PullServiceAccountRecord {
        namespace: "default".to_owned(),
        name: name.to_owned(),
        uid: format!("uid-{name}"),
    }
}

#[test]
fn policy_names_round_trip_and_unknown_names_fail_with_the_kubelet_text() {
    for policy in VerificationPolicy::ALL {
        assert_eq!(policy.as_str().parse::<VerificationPolicy>(), Ok(policy));
    }
    assert_eq!(
        VerificationPolicy::default(),
        VerificationPolicy::NeverVerifyPreloadedImages
    );
    let err = "neververify".parse::<VerificationPolicy>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown image pull credential verification policy: neververify"
    );
}

/// kubernetes `image_pull_policies_test.go` `TestNeverVerifyPreloadedPullPolicy` and the
/// policy table of docs/semantics.md §5.2: (policy, pulled by kubelet, must verify).
#[test]
fn policies_decide_verification() {
    let rows = [
        (VerificationPolicy::NeverVerify, false, false),
        (VerificationPolicy::NeverVerify, true, false),
        (VerificationPolicy::NeverVerifyPreloadedImages, false, false),
        (VerificationPolicy::NeverVerifyPreloadedImages, true, true),
        // An empty allowlist matches nothing, so everything is verified, pulled or not.
        (
            VerificationPolicy::NeverVerifyAllowlistedImages,
            false,
            true,
        ),
        (VerificationPolicy::NeverVerifyAllowlistedImages, true, true),
        (VerificationPolicy::AlwaysVerify, false, true),
        (VerificationPolicy::AlwaysVerify, true, true),
    ];
    for (policy, pulled_by_kubelet, want) in rows {
        let verification = CredentialVerification::new(policy);
        assert_eq!(
            verification.requires_verification("test-image:sometag", pulled_by_kubelet),
            want,
            "{policy} with pulled_by_kubelet={pulled_by_kubelet}"
        );
    }
}

/// One row of `TestNewNeverVerifyAllowListedPullPolicy`: the allowlist, then either the
/// error text or (exact entries, prefixes, must verify `test.io/test/test-image:tag`).
enum AllowlistWant {
    Error(&'static str),
    Parsed {
        exact: usize,
        prefixes: usize,
        must_verify: bool,
    },
}

fn check_allowlist(rows: &[(&[&str], AllowlistWant)]) {
    for (entries, want) in rows {
        let parsed = Allowlist::parse(entries);
        match (want, parsed) {
            (AllowlistWant::Error(text), Err(err)) => {
                assert_eq!(err.to_string(), *text, "{entries:?}");
            }
            (
                AllowlistWant::Parsed {
                    exact,
                    prefixes,
                    must_verify,
                },
                Ok(allowlist),
            ) => {
                assert_eq!(
                    allowlist.exact.len(),
                    *exact,
                    "exact entries of {entries:?}"
                );
                assert_eq!(
                    allowlist.prefixes.len(),
                    *prefixes,
                    "prefixes of {entries:?}"
                );
                let verification = CredentialVerification {
                    policy: VerificationPolicy::NeverVerifyAllowlistedImages,
                    allowlist,
                    allowlist_normalizes: true,
                };
                for pulled_by_kubelet in [false, true] {
                    assert_eq!(
                        verification.requires_verification(
                            "test.io/test/test-image:tag",
                            pulled_by_kubelet
                        ),
                        *must_verify,
                        "{entries:?}"
                    );
                }
            }
            (_, got) => panic!("{entries:?}: got {got:?}"),
        }
    }
}

/// kubernetes `pkg/kubelet/images/pullmanager/image_pull_policies_test.go`, every row, with
/// the error texts of `getAllowlistImagePattern`.
#[test]
fn allowlist_patterns_as_upstream() {
    use AllowlistWant::{Error, Parsed};
    check_allowlist(&[
        (
            &[
                "test.io/test/image1",
                "test.io/test/image2",
                "test.io/test/image3",
            ],
            Parsed {
                exact: 3,
                prefixes: 0,
                must_verify: true,
            },
        ),
        (
            &[
                "test.io/test/image1",
                "test.io/test/image3",
                "test.io/test/image2",
                "test.io/test/image3",
            ],
            Parsed {
                exact: 3,
                prefixes: 0,
                must_verify: true,
            },
        ),
        (
            &[
                "test.io/test/image1",
                "test.io/test/image2",
                "test.io/test/test-image",
                "test.io/test/image3",
            ],
            Parsed {
                exact: 4,
                prefixes: 0,
                must_verify: false,
            },
        ),
        (
            &["image.repo/pokus*/imagename"],
            Error(
                "not a valid wildcard pattern, only patterns ending with '/*' are allowed: image.repo/pokus*/imagename",
            ),
        ),
        (
            &["image.repo/pokus*"],
            Error(
                "not a valid wildcard pattern, only patterns ending with '/*' are allowed: image.repo/pokus*",
            ),
        ),
        (
            &["image.repo/*/imagename"],
            Error(
                "not a valid wildcard pattern, only patterns ending with '/*' are allowed: image.repo/*/imagename",
            ),
        ),
        (&["/*"], Error("at least registry hostname is required")),
        (
            &["image.repo/"],
            Error("failed to parse as an image name: invalid reference format"),
        ),
        (&[""], Error("the supplied pattern is too short: ")),
        (
            &["*"],
            Error("not a valid wildcard pattern, only patterns ending with '/*' are allowed: *"),
        ),
        (
            &["test.io/test/image1:tagged"],
            Error(
                "neither tag nor digest is accepted in an image reference: test.io/test/image1:tagged",
            ),
        ),
        (
            &[
                "test.io/test/image1@sha256:38a8906435c4dd5f4258899d46621bfd8eea3ad6ff494ee3c2f17ef0321625bd",
            ],
            Error(
                "neither tag nor digest is accepted in an image reference: test.io/test/image1@sha256:38a8906435c4dd5f4258899d46621bfd8eea3ad6ff494ee3c2f17ef0321625bd",
            ),
        ),
        (
            &["test.io/test/image1 "],
            Error("leading/trailing spaces are not allowed: test.io/test/image1 "),
        ),
        (
            &[
                "test.io/test/image1",
                "test.io/test/image2",
                "different.repo/test/*",
            ],
            Parsed {
                exact: 2,
                prefixes: 1,
                must_verify: true,
            },
        ),
        (
            &[
                "test.io/test/image1",
                "test.io/test/image2",
                "test.io/test/*",
            ],
            Parsed {
                exact: 2,
                prefixes: 1,
                must_verify: false,
            },
        ),
        (
            &["test.io/test/image1", "test.io/test/image2", "test.io/*"],
            Parsed {
                exact: 2,
                prefixes: 1,
                must_verify: false,
            },
        ),
        // Entries must be fully qualified: `nginx` normalises to docker.io/library/nginx.
        (
            &["nginx"],
            Error("neither tag nor digest is accepted in an image reference: nginx"),
        ),
        (
            &["NGINX"],
            Error(
                "failed to parse as an image name: invalid reference format: repository name (library/NGINX) must be lowercase",
            ),
        ),
        (
            &["\tdocker.io/library/nginx"],
            Error("leading/trailing spaces are not allowed: \tdocker.io/library/nginx"),
        ),
    ]);
}

/// Mainline normalises the image before comparing (kubernetes PR #137629); older releases
/// compared the raw `container.image` string.
#[test]
fn allowlist_matching_normalises_only_in_mainline() {
    let allowlist = Allowlist::parse(&["docker.io/library/nginx", "quay.io/team/*"]).unwrap();
    let rows = [
        ("nginx", true, false),
        ("nginx:1.25", true, false),
        ("docker.io/library/nginx", true, true),
        ("docker.io/library/nginx:1.25", true, false),
        ("quay.io/team/app:v1", true, true),
        ("quay.io/teamx/app", false, false),
        ("NGINX", false, false),
    ];
    for (image, normalized, raw) in rows {
        assert_eq!(
            allowlist.matches(image, true),
            normalized,
            "{image} normalised"
        );
        assert_eq!(allowlist.matches(image, false), raw, "{image} raw");
    }
}

/// A node where `IMAGE` was pulled once with `credentials`, the gate on.
fn pulled_with(credentials: Option<PullCredentials>) -> PullRecords {
    let mut records = PullRecords::new();
    records.record_pull_intent(IMAGE);
    records.record_image_pulled(IMAGE, IMAGE_REF, credentials, SimTime::from_secs(1));
    records
}

fn must_pull(
    records: &mut PullRecords,
    policy: VerificationPolicy,
    image_ref: &str,
    pod_secrets: &[PullSecretRecord],
    pod_account: Option<&PullServiceAccountRecord>,
) -> bool {
    let verification = CredentialVerification::new(policy);
    records.must_attempt_image_pull(
        &verification,
        IMAGE,
        image_ref,
        pod_secrets,
        pod_account,
        SimTime::from_secs(9),
    )
}

/// docs/semantics.md §5.3, step by step.
#[test]
fn must_attempt_image_pull_follows_the_steps() {
    use VerificationPolicy::{AlwaysVerify, NeverVerify, NeverVerifyPreloadedImages};
    let alice = secret("default", "alice", "uid-a", "hash-a");
    let bob = secret("default", "bob", "uid-b", "hash-b");

    // 1. Nothing present: pull.
    assert!(must_pull(
        &mut PullRecords::new(),
        NeverVerify,
        "",
        &[],
        None
    ));
    // 3. No record and no intent: a pre-loaded image, trusted by the default policy ...
    assert!(!must_pull(
        &mut PullRecords::new(),
        NeverVerifyPreloadedImages,
        IMAGE_REF,
        &[],
        None
    ));
    // 4. ... but not by AlwaysVerify, and with no record there is nothing to match.
    assert!(must_pull(
        &mut PullRecords::new(),
        AlwaysVerify,
        IMAGE_REF,
        &[],
        None
    ));
    // 2. An in-flight pull (intent) marks the image as kubelet-pulled; no record yet: pull.
    let mut in_flight = PullRecords::new();
    in_flight.record_pull_intent(IMAGE);
    assert!(must_pull(
        &mut in_flight,
        NeverVerifyPreloadedImages,
        IMAGE_REF,
        &[],
        None
    ));
    // 5. A record without a mapping for this repository (unknown circumstances): pull.
    assert!(must_pull(
        &mut pulled_with(None),
        NeverVerifyPreloadedImages,
        IMAGE_REF,
        std::slice::from_ref(&alice),
        None
    ));
    // 6. Pulled anonymously or with node credentials: everyone on the node may use it.
    assert!(!must_pull(
        &mut pulled_with(Some(PullCredentials::node_wide())),
        AlwaysVerify,
        IMAGE_REF,
        &[],
        None
    ));
    // 8. Pulled with alice's secret: alice may use it, bob may not, nor a pod without secrets.
    let mut records = pulled_with(Some(PullCredentials::secret(alice.clone())));
    assert!(!must_pull(
        &mut records,
        AlwaysVerify,
        IMAGE_REF,
        std::slice::from_ref(&alice),
        None
    ));
    assert!(must_pull(
        &mut records,
        AlwaysVerify,
        IMAGE_REF,
        std::slice::from_ref(&bob),
        None
    ));
    assert!(must_pull(&mut records, AlwaysVerify, IMAGE_REF, &[], None));
    // NeverVerify still lets bob in: the policy decides before the records.
    assert!(!must_pull(
        &mut records,
        NeverVerify,
        IMAGE_REF,
        std::slice::from_ref(&bob),
        None
    ));
    // 9. Service accounts: only the recorded one.
    let builder = account("builder");
    let sa_credentials = PullCredentials {
        kubernetes_service_accounts: vec![builder.clone()],
        ..PullCredentials::default()
    };
    let mut records = pulled_with(Some(sa_credentials));
    assert!(!must_pull(
        &mut records,
        AlwaysVerify,
        IMAGE_REF,
        &[],
        Some(&builder)
    ));
    assert!(must_pull(
        &mut records,
        AlwaysVerify,
        IMAGE_REF,
        &[],
        Some(&account("other"))
    ));
}

/// Step 8's write-backs: an equal hash under other coordinates is added to the record; a
/// rotated secret (same coordinates, new hash) is accepted and its hash recorded.
#[test]
fn matching_secrets_are_written_back() {
    let alice = secret("default", "alice", "uid-a", "hash-a");
    let mut records = pulled_with(Some(PullCredentials::secret(alice.clone())));

    let copy_of_alice = secret("other-ns", "alice-copy", "uid-c", "hash-a");
    assert!(!must_pull(
        &mut records,
        VerificationPolicy::AlwaysVerify,
        IMAGE_REF,
        std::slice::from_ref(&copy_of_alice),
        None
    ));
    let record = records.pulled(IMAGE_REF).unwrap();
    assert_eq!(
        record.credential_mapping[REPO].kubernetes_secrets,
        vec![alice.clone(), copy_of_alice]
    );
    assert_eq!(record.last_updated, SimTime::from_secs(9));

    let rotated = secret("default", "alice", "uid-a", "hash-a2");
    assert!(!must_pull(
        &mut records,
        VerificationPolicy::AlwaysVerify,
        IMAGE_REF,
        std::slice::from_ref(&rotated),
        None
    ));
    let secrets = &records.pulled(IMAGE_REF).unwrap().credential_mapping[REPO].kubernetes_secrets;
    assert!(
        secrets.contains(&rotated) && !secrets.contains(&alice),
        "{secrets:?}"
    );
}

/// At `writeRecordWhileMatchingLimit` cached secrets a rotated secret is no longer accepted
/// (the loop falls through), while an equal hash still is, without a write.
#[test]
fn the_write_back_limit_stops_rotation_acceptance() {
    let cached: Vec<PullSecretRecord> = (0..WRITE_RECORD_WHILE_MATCHING_LIMIT)
        .map(|i| {
            secret(
                "default",
                &format!("s{i:03}"),
                &format!("uid-{i}"),
                &format!("hash-{i}"),
            )
        })
        .collect();
    let credentials = PullCredentials {
        kubernetes_secrets: cached,
        ..PullCredentials::default()
    };
    let mut records = pulled_with(Some(credentials));
    let before = records.clone();

    let rotated = secret("default", "s000", "uid-0", "hash-new");
    assert!(must_pull(
        &mut records,
        VerificationPolicy::AlwaysVerify,
        IMAGE_REF,
        &[rotated],
        None
    ));
    let same_hash = secret("elsewhere", "x", "uid-x", "hash-7");
    assert!(!must_pull(
        &mut records,
        VerificationPolicy::AlwaysVerify,
        IMAGE_REF,
        &[same_hash],
        None
    ));
    assert_eq!(records, before, "nothing is written at the limit");
}

/// docs/semantics.md §5.4 merge rules.
#[test]
fn pulled_records_merge_as_upstream() {
    let alice = secret("ns-b", "alice", "uid-a", "hash-a");
    let bob = secret("ns-a", "bob", "uid-b", "hash-b");
    let mut records = pulled_with(Some(PullCredentials::secret(alice.clone())));
    records.record_pull_intent(IMAGE);
    records.record_image_pulled(
        IMAGE,
        IMAGE_REF,
        Some(PullCredentials::secret(bob.clone())),
        SimTime::from_secs(5),
    );
    let record = records.pulled(IMAGE_REF).unwrap();
    // Sorted by namespace, then name, then UID.
    assert_eq!(
        record.credential_mapping[REPO].kubernetes_secrets,
        vec![bob, alice]
    );
    assert_eq!(record.last_updated, SimTime::from_secs(5));

    // A node-wide pull wins and clears the lists; after that nothing changes the entry.
    records.record_image_pulled(
        IMAGE,
        IMAGE_REF,
        Some(PullCredentials::node_wide()),
        SimTime::from_secs(6),
    );
    assert_eq!(
        records.pulled(IMAGE_REF).unwrap().credential_mapping[REPO],
        PullCredentials::node_wide()
    );
    let extra = secret("ns-c", "carol", "uid-c", "hash-c");
    records.record_image_pulled(
        IMAGE,
        IMAGE_REF,
        Some(PullCredentials::secret(extra)),
        SimTime::from_secs(7),
    );
    let record = records.pulled(IMAGE_REF).unwrap();
    assert_eq!(
        record.credential_mapping[REPO],
        PullCredentials::node_wide()
    );
    assert_eq!(
        record.last_updated,
        SimTime::from_secs(6),
        "an unchanged record keeps its time"
    );

    // The mapping is per normalised repository: a familiar name maps to docker.io/library/...
    let mut records = PullRecords::new();
    records.record_image_pulled(
        "nginx:1.25",
        "sha256:ng",
        Some(PullCredentials::node_wide()),
        SimTime::EPOCH,
    );
    assert!(
        records
            .pulled("sha256:ng")
            .unwrap()
            .credential_mapping
            .contains_key("docker.io/library/nginx")
    );
}

/// Intents: a counter in memory and a file on disk; the file goes when the counter reaches
/// zero; a restart loses the counters and turns intents that match a runtime image's tags or
/// digests (exact strings) into records without credentials.
#[test]
fn intents_count_and_survive_restarts_as_files() {
    let mut records = PullRecords::new();
    records.record_pull_intent(IMAGE);
    records.record_pull_intent(IMAGE);
    records.record_image_pull_failed(IMAGE);
    assert!(records.has_intent(IMAGE), "one pull is still in flight");
    records.record_image_pull_failed(IMAGE);
    assert!(!records.has_intent(IMAGE));

    records.record_pull_intent("nginx");
    records.record_pull_intent("docker.io/library/redis:7");
    let runtime = [
        RuntimeImage {
            id: "sha256:ng".to_owned(),
            repo_tags: vec!["docker.io/library/nginx:latest".to_owned()],
            repo_digests: vec![],
        },
        RuntimeImage {
            id: "sha256:rd".to_owned(),
            repo_tags: vec!["docker.io/library/redis:7".to_owned()],
            repo_digests: vec![],
        },
    ];
    records.restart(&runtime, SimTime::from_secs(30));
    // `nginx` does not equal the runtime's normalised tag: the intent stays.
    assert!(records.has_intent("nginx"));
    assert!(records.pulled("sha256:ng").is_none());
    // The redis intent became a record with no credentials, forcing verification.
    assert!(!records.has_intent("docker.io/library/redis:7"));
    let redis = records.pulled("sha256:rd").unwrap();
    assert!(redis.credential_mapping.is_empty());
    assert_eq!(redis.last_updated, SimTime::from_secs(30));
    // The leftover intent still counts as "pulled by the kubelet" after the restart.
    let verification = CredentialVerification::new(VerificationPolicy::NeverVerifyPreloadedImages);
    assert!(records.must_attempt_image_pull(
        &verification,
        "nginx",
        "sha256:ng",
        &[],
        None,
        SimTime::EPOCH
    ));
}

#[test]
fn pruning_keeps_recent_and_present_images() {
    let mut records = PullRecords::new();
    for (image_ref, at) in [
        ("sha256:old-gone", 1),
        ("sha256:old-present", 2),
        ("sha256:at-until", 10),
        ("sha256:new-gone", 20),
    ] {
        records.record_image_pulled(
            IMAGE,
            image_ref,
            Some(PullCredentials::node_wide()),
            SimTime::from_secs(at),
        );
    }
    records.prune_unknown_records(&["sha256:old-present".to_owned()], SimTime::from_secs(10));
    let left: Vec<&str> = records
        .pulled_records()
        .map(|r| r.image_ref.as_str())
        .collect();
    // Upstream keeps a record updated exactly at `until` (`!LastUpdatedTime.Before(until)`).
    assert_eq!(
        left,
        ["sha256:at-until", "sha256:new-gone", "sha256:old-present"]
    );
}

#[test]
fn credential_hashes_tell_credentials_apart() {
    assert_eq!(credential_hash("u", "p"), credential_hash("u", "p"));
    assert_ne!(credential_hash("a:", "b"), credential_hash("a", ":b"));
    assert_eq!(credential_hash("u", "p").len(), 64);
}

/// Which KEP-2535 record a pull with each kind of credential leaves (docs/semantics.md §5.4).
#[test]
fn records_follow_the_credentials_source() {
    use crate::credentials::keyring::{CredentialSource, ServiceAccountRef, TrackedCredential};
    let credential = |source: CredentialSource| TrackedCredential {
        username: "u".to_owned(),
        password: "p".to_owned(),
        email: String::new(),
        key: "r.io".to_owned(),
        source,
    };
    assert_eq!(
        PullCredentials::for_credential(None),
        PullCredentials::node_wide()
    );
    assert_eq!(
        PullCredentials::for_credential(Some(&credential(CredentialSource::NodeConfig {
            index: 0
        }))),
        PullCredentials::node_wide()
    );
    let node_plugin = credential(CredentialSource::Plugin {
        provider: "ecr".to_owned(),
        service_account: None,
    });
    assert_eq!(
        PullCredentials::for_credential(Some(&node_plugin)),
        PullCredentials::node_wide()
    );
    let sa_plugin = credential(CredentialSource::Plugin {
        provider: "ecr".to_owned(),
        service_account: Some(ServiceAccountRef {
            namespace: "team".to_owned(),
            name: "puller".to_owned(),
            uid: "uid-sa".to_owned(),
        }),
    });
    let record = PullCredentials::for_credential(Some(&sa_plugin));
    assert!(!record.node_pods_accessible);
    assert_eq!(
        record.kubernetes_service_accounts,
        [PullServiceAccountRecord {
            namespace: "team".to_owned(),
            name: "puller".to_owned(),
            uid: "uid-sa".to_owned(),
        }]
    );
    let secret = credential(CredentialSource::PodSecret {
        index: 0,
        namespace: "team".to_owned(),
        name: "regcred".to_owned(),
        uid: Some("uid-s".to_owned()),
    });
    let record = PullCredentials::for_credential(Some(&secret));
    assert_eq!(record.kubernetes_secrets.len(), 1);
    assert_eq!(
        record.kubernetes_secrets[0].credential_hash,
        credential_hash("u", "p")
    );
    assert_eq!(PullSecretRecord::from_credential(&sa_plugin), None);
}
