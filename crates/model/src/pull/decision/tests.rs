//! Table tests for the pull decision: every row of the docs/semantics.md §3.7 matrix, the
//! version switches, and the 3.5 worked example driven through decision, outcome and
//! back-off together.

use std::time::Duration;

use super::*;
use crate::backoff::{Backoff, backoff_key};
use crate::pull::{BackoffEffect, pull_failed, pull_succeeded};
use crate::time::SimTime;

use EventReason::{BackOff, ErrImageNeverPull, Failed, InspectFailed, Pulled, Pulling};
use EventType::{Normal, Warning};

const IMAGE: &str = "registry.example/app:1.0";
const LOCAL_REF: &str = "sha256:0123abcd";
const INSPECT_ERR: &str = "rpc error: code = Unavailable desc = runtime down";
const BAD_IMAGE: &str = "Registry.example/App";
const PARSE_ERR: &str = "couldn't parse image name \"Registry.example/App\": invalid reference format: repository name must be lowercase";

/// Presence as table data.
#[derive(Debug, Clone, Copy)]
enum Local {
    Present,
    Absent,
    InspectError,
}

/// The expected action as table data.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Want {
    UseLocal,
    Pull,
    Fail(WaitingReason, &'static str),
}

struct Row {
    name: &'static str,
    parses: bool,
    policy: PullPolicy,
    local: Local,
    verification: Option<bool>,
    in_backoff: bool,
    want: Want,
    events: &'static [(EventType, EventReason, &'static str)],
}

fn request(row: &Row) -> PullRequest<'static> {
    let (image, tagged_image) = if row.parses {
        (IMAGE.into(), Ok(IMAGE.into()))
    } else {
        (BAD_IMAGE.into(), Err(PARSE_ERR.into()))
    };
    let presence = match row.local {
        Local::Present => Presence::Present {
            image_ref: LOCAL_REF.to_owned(),
        },
        Local::Absent => Presence::Absent,
        Local::InspectError => Presence::InspectError(INSPECT_ERR.to_owned()),
    };
    PullRequest {
        image,
        tagged_image,
        policy: row.policy,
        presence,
        verification: row.verification,
        in_backoff: row.in_backoff,
        previous_error: None,
        backoff_message: None,
    }
}

fn event_triples(events: &[PullEvent]) -> Vec<(EventType, EventReason, &str)> {
    events
        .iter()
        .map(|e| (e.event_type, e.reason, e.message.as_str()))
        .collect()
}

fn check(rows: &[Row], behavior: &KubeletBehavior) {
    for row in rows {
        let decision = decide(&request(row), behavior);
        // Without texts for events: the same action (a failure's message is the pod's
        // status) and no event at all.
        let quiet = decide_with(&request(row), behavior, Texts::StatusOnly);
        assert_eq!(
            quiet.action, decision.action,
            "{}: status-only action",
            row.name
        );
        assert_eq!(quiet.events, [], "{}: status-only events", row.name);
        assert_eq!(
            event_triples(&decision.events),
            row.events.to_vec(),
            "{}: events",
            row.name
        );
        match (&decision.action, row.want) {
            (PullAction::UseLocal { image_ref }, Want::UseLocal) => {
                assert_eq!(image_ref, LOCAL_REF, "{}", row.name);
            }
            (PullAction::Pull { image }, Want::Pull) => {
                assert_eq!(image, IMAGE, "{}", row.name);
                check_pull_continuations(row.name, &decision.events, behavior);
            }
            (PullAction::Fail { reason, message }, Want::Fail(want_reason, want_message)) => {
                assert_eq!(
                    (*reason, &**message),
                    (want_reason, want_message),
                    "{}",
                    row.name
                );
            }
            (got, want) => panic!("{}: got {got:?}, want {want:?}", row.name),
        }
    }
}

/// The matrix's "Pulling; Pulled/Failed..." cells: a pull that starts continues with the
/// success event, or with the two failure events and `ErrImagePull`.
fn check_pull_continuations(name: &str, started: &[PullEvent], behavior: &KubeletBehavior) {
    let mut failed = started.to_vec();
    let failure = pull_failed(IMAGE, "boom", behavior);
    failed.extend(failure.events);
    assert_eq!(
        event_triples(&failed),
        [
            (
                Normal,
                Pulling,
                "Pulling image \"registry.example/app:1.0\""
            ),
            (
                Warning,
                Failed,
                "Failed to pull image \"registry.example/app:1.0\": boom"
            ),
            (Warning, Failed, "Error: ErrImagePull"),
        ],
        "{name}: failure sequence"
    );
    let mut pulled = started.to_vec();
    let success = pull_succeeded(
        IMAGE,
        Duration::from_millis(1500),
        Duration::from_secs(2),
        42,
        behavior,
    );
    pulled.extend(success.events);
    assert_eq!(
        event_triples(&pulled),
        [
            (
                Normal,
                Pulling,
                "Pulling image \"registry.example/app:1.0\""
            ),
            (
                Normal,
                Pulled,
                "Successfully pulled image \"registry.example/app:1.0\" in 1.5s (2s including waiting). Image size: 42 bytes."
            ),
        ],
        "{name}: success sequence"
    );
}

const PULLING: &[(EventType, EventReason, &str)] = &[(
    Normal,
    Pulling,
    "Pulling image \"registry.example/app:1.0\"",
)];
const BACKING_OFF: &[(EventType, EventReason, &str)] = &[
    (
        Normal,
        BackOff,
        "Back-off pulling image \"registry.example/app:1.0\"",
    ),
    (Warning, Failed, "Error: ImagePullBackOff"),
];
const BACKOFF_MESSAGE: &str = "Back-off pulling image \"registry.example/app:1.0\"";
const ALREADY_PRESENT: &[(EventType, EventReason, &str)] = &[(
    Normal,
    Pulled,
    "Container image \"registry.example/app:1.0\" already present on machine",
)];
const ALREADY_PRESENT_VERIFIED: &[(EventType, EventReason, &str)] = &[(
    Normal,
    Pulled,
    "Container image \"registry.example/app:1.0\" already present on machine and can be accessed by the pod",
)];
const NEVER_MESSAGE: &str =
    "Container image \"registry.example/app:1.0\" is not present with pull policy of Never";
const NEVER_PULL: &[(EventType, EventReason, &str)] = &[
    (Warning, ErrImageNeverPull, NEVER_MESSAGE),
    (Warning, Failed, "Error: ErrImageNeverPull"),
];
const INSPECT_MESSAGE: &str =
    "Failed to inspect image \"\": rpc error: code = Unavailable desc = runtime down";
const INSPECT_FAILED: &[(EventType, EventReason, &str)] = &[
    (Warning, InspectFailed, INSPECT_MESSAGE),
    (Warning, Failed, "Error: ImageInspectError"),
];
const TAG_MESSAGE: &str = "Failed to apply default image tag \"Registry.example/App\": couldn't parse image name \"Registry.example/App\": invalid reference format: repository name must be lowercase";
const TAG_FAILED: &[(EventType, EventReason, &str)] = &[
    (Warning, InspectFailed, TAG_MESSAGE),
    (Warning, Failed, "Error: InvalidImageName"),
];

#[test]
fn decision_matrix_of_semantics_3_7() {
    use Local::*;
    use PullPolicy::*;
    use WaitingReason::*;
    let rows = [
        // Row 1: Always, not in back-off: pull, presence not checked (even if present).
        Row {
            name: "1 always",
            parses: true,
            policy: Always,
            local: Present,
            verification: None,
            in_backoff: false,
            want: Want::Pull,
            events: PULLING,
        },
        // Row 2: Always, in back-off.
        Row {
            name: "2 always backoff",
            parses: true,
            policy: Always,
            local: Absent,
            verification: None,
            in_backoff: true,
            want: Want::Fail(ImagePullBackOff, BACKOFF_MESSAGE),
            events: BACKING_OFF,
        },
        // Row 3: IfNotPresent, present, no verification needed (gate off, then gate on).
        Row {
            name: "3 present gate off",
            parses: true,
            policy: IfNotPresent,
            local: Present,
            verification: None,
            in_backoff: true,
            want: Want::UseLocal,
            events: ALREADY_PRESENT,
        },
        Row {
            name: "3 present gate on",
            parses: true,
            policy: IfNotPresent,
            local: Present,
            verification: Some(false),
            in_backoff: true,
            want: Want::UseLocal,
            events: ALREADY_PRESENT_VERIFIED,
        },
        // Row 4: IfNotPresent, present, must verify, not in back-off.
        Row {
            name: "4 verify pull",
            parses: true,
            policy: IfNotPresent,
            local: Present,
            verification: Some(true),
            in_backoff: false,
            want: Want::Pull,
            events: PULLING,
        },
        // Row 5: IfNotPresent, present, must verify, in back-off.
        Row {
            name: "5 verify backoff",
            parses: true,
            policy: IfNotPresent,
            local: Present,
            verification: Some(true),
            in_backoff: true,
            want: Want::Fail(ImagePullBackOff, BACKOFF_MESSAGE),
            events: BACKING_OFF,
        },
        // Row 6: IfNotPresent, absent, not in back-off.
        Row {
            name: "6 absent pull",
            parses: true,
            policy: IfNotPresent,
            local: Absent,
            verification: Some(true),
            in_backoff: false,
            want: Want::Pull,
            events: PULLING,
        },
        // Row 7: IfNotPresent, absent, in back-off.
        Row {
            name: "7 absent backoff",
            parses: true,
            policy: IfNotPresent,
            local: Absent,
            verification: None,
            in_backoff: true,
            want: Want::Fail(ImagePullBackOff, BACKOFF_MESSAGE),
            events: BACKING_OFF,
        },
        // Row 8: Never, present, no verification needed.
        Row {
            name: "8 never present",
            parses: true,
            policy: Never,
            local: Present,
            verification: None,
            in_backoff: true,
            want: Want::UseLocal,
            events: ALREADY_PRESENT,
        },
        // Row 9: Never, present, must verify: hides presence; back-off never consulted.
        Row {
            name: "9 never verify",
            parses: true,
            policy: Never,
            local: Present,
            verification: Some(true),
            in_backoff: true,
            want: Want::Fail(ErrImageNeverPull, NEVER_MESSAGE),
            events: NEVER_PULL,
        },
        // Row 10: Never, absent.
        Row {
            name: "10 never absent",
            parses: true,
            policy: Never,
            local: Absent,
            verification: Some(false),
            in_backoff: false,
            want: Want::Fail(ErrImageNeverPull, NEVER_MESSAGE),
            events: NEVER_PULL,
        },
        // Row 11: IfNotPresent / Never, the presence check errors.
        Row {
            name: "11 inspect error ifnotpresent",
            parses: true,
            policy: IfNotPresent,
            local: InspectError,
            verification: None,
            in_backoff: false,
            want: Want::Fail(ImageInspectError, INSPECT_MESSAGE),
            events: INSPECT_FAILED,
        },
        Row {
            name: "11 inspect error never",
            parses: true,
            policy: Never,
            local: InspectError,
            verification: Some(true),
            in_backoff: true,
            want: Want::Fail(ImageInspectError, INSPECT_MESSAGE),
            events: INSPECT_FAILED,
        },
        // Row 12: any policy, unparseable image: nothing else is consulted.
        Row {
            name: "12 invalid always",
            parses: false,
            policy: Always,
            local: Present,
            verification: None,
            in_backoff: true,
            want: Want::Fail(InvalidImageName, TAG_MESSAGE),
            events: TAG_FAILED,
        },
        Row {
            name: "12 invalid ifnotpresent",
            parses: false,
            policy: IfNotPresent,
            local: InspectError,
            verification: Some(true),
            in_backoff: false,
            want: Want::Fail(InvalidImageName, TAG_MESSAGE),
            events: TAG_FAILED,
        },
        Row {
            name: "12 invalid never",
            parses: false,
            policy: Never,
            local: Absent,
            verification: None,
            in_backoff: false,
            want: Want::Fail(InvalidImageName, TAG_MESSAGE),
            events: TAG_FAILED,
        },
        // Always ignores an inspect error, since it never checks presence.
        Row {
            name: "always skips inspect",
            parses: true,
            policy: Always,
            local: InspectError,
            verification: Some(false),
            in_backoff: false,
            want: Want::Pull,
            events: PULLING,
        },
    ];
    check(&rows, &KubeletBehavior::MAINLINE);
}

#[test]
fn pull_hands_the_tagged_image_to_the_runtime() {
    let request = PullRequest {
        image: "nginx".into(),
        tagged_image: Ok("nginx:latest".into()),
        policy: PullPolicy::IfNotPresent,
        presence: Presence::Present {
            image_ref: String::new(),
        },
        verification: None,
        in_backoff: false,
        previous_error: None,
        backoff_message: None,
    };
    let decision = decide(&request, &KubeletBehavior::MAINLINE);
    assert_eq!(
        decision.action,
        PullAction::Pull {
            image: "nginx:latest".to_owned()
        }
    );
    assert_eq!(decision.events[0].message, "Pulling image \"nginx\"");
}

fn check_backoff_message(rows: &[(KubeletBehavior, Option<&str>, &str)]) {
    for &(behavior, previous, want) in rows {
        let request = PullRequest {
            image: IMAGE.into(),
            tagged_image: Ok(IMAGE.into()),
            policy: PullPolicy::Always,
            presence: Presence::Absent,
            verification: None,
            in_backoff: true,
            previous_error: previous.map(Arc::from),
            backoff_message: None,
        };
        let decision = decide(&request, &behavior);
        let message = match decision.action {
            PullAction::Fail { message, .. } => message,
            other => panic!("expected a back-off failure, got {other:?}"),
        };
        assert_eq!(&*message, want);
        assert_eq!(backoff_message(IMAGE, previous, &behavior), want);
        // The event never carries the stored error.
        assert_eq!(decision.events[0].message, BACKOFF_MESSAGE);
        // A message kept from that decision is handed out again, not written anew.
        let again = decide_with(
            &PullRequest {
                backoff_message: Some(Arc::clone(&message)),
                ..request
            },
            &behavior,
            Texts::StatusOnly,
        );
        match again.action {
            PullAction::Fail { message: kept, .. } => {
                assert!(Arc::ptr_eq(&kept, &message), "the kept message");
            }
            other => panic!("expected a back-off failure, got {other:?}"),
        }
    }
}

#[test]
fn backoff_message_appends_the_stored_error_in_mainline_only() {
    let stored = "ErrImagePull: rpc error: code = NotFound desc = not found";
    check_backoff_message(&[
        (
            KubeletBehavior::MAINLINE,
            Some(stored),
            "Back-off pulling image \"registry.example/app:1.0\": ErrImagePull: rpc error: code = NotFound desc = not found",
        ),
        (KubeletBehavior::MAINLINE, None, BACKOFF_MESSAGE),
        (KubeletBehavior::LEGACY, Some(stored), BACKOFF_MESSAGE),
    ]);
}

#[test]
fn legacy_inspect_error_names_the_image() {
    let row = Row {
        name: "legacy inspect",
        parses: true,
        policy: PullPolicy::IfNotPresent,
        local: Local::InspectError,
        verification: None,
        in_backoff: false,
        want: Want::Fail(
            WaitingReason::ImageInspectError,
            "Failed to inspect image \"registry.example/app:1.0\": rpc error: code = Unavailable desc = runtime down",
        ),
        events: &[
            (
                Warning,
                InspectFailed,
                "Failed to inspect image \"registry.example/app:1.0\": rpc error: code = Unavailable desc = runtime down",
            ),
            (Warning, Failed, "Error: ImageInspectError"),
        ],
    };
    check(&[row], &KubeletBehavior::LEGACY);
}

/// One sync of the docs/semantics.md §3.5 worked example: time, the waiting reason it ends
/// with, and the back-off entry after it (window, last update), both in seconds.
type SyncRow = (u64, WaitingReason, (u64, u64));

#[test]
fn worked_example_of_semantics_3_5() {
    use WaitingReason::{ErrImagePull, ImagePullBackOff};
    // J10 and J60 take the example's values: syncs at 0, 12, 24, 99, ...
    let rows: [SyncRow; 11] = [
        (0, ErrImagePull, (10, 0)),
        (12, ErrImagePull, (20, 12)),
        (24, ImagePullBackOff, (20, 12)),
        (99, ErrImagePull, (40, 99)),
        (111, ImagePullBackOff, (40, 99)),
        (186, ErrImagePull, (80, 186)),
        (198, ImagePullBackOff, (80, 186)),
        (273, ErrImagePull, (160, 273)),
        (285, ImagePullBackOff, (160, 273)),
        (360, ImagePullBackOff, (160, 273)),
        (435, ErrImagePull, (300, 435)),
    ];
    let behavior = KubeletBehavior::MAINLINE;
    let key = backoff_key("pod-uid", IMAGE);
    let mut backoff = Backoff::image_pull();
    let mut stored_error: Option<String> = None;
    for (at, want_reason, (window, updated)) in rows {
        let now = SimTime::from_secs(at);
        let request = PullRequest {
            image: IMAGE.into(),
            tagged_image: Ok(IMAGE.into()),
            policy: PullPolicy::IfNotPresent,
            presence: Presence::Absent,
            verification: None,
            in_backoff: backoff.is_in_backoff_since_update(&key, now),
            previous_error: stored_error.as_deref().map(Arc::from),
            backoff_message: None,
        };
        let decision = decide(&request, &behavior);
        let (reason, events) = match decision.action {
            PullAction::Pull { .. } => {
                // The kubelet forgets the stored error before pulling, then stores the new one.
                let failure = pull_failed(IMAGE, "generic failure", &behavior);
                assert_eq!(failure.backoff, BackoffEffect::Advance);
                failure.backoff.apply(&mut backoff, &key, now);
                stored_error = Some(failure.stored_error);
                let mut events = decision.events;
                events.extend(failure.events);
                (failure.reason, events)
            }
            PullAction::Fail { reason, message } => {
                assert_eq!(
                    &*message,
                    "Back-off pulling image \"registry.example/app:1.0\": ErrImagePull: generic failure",
                    "t={at}"
                );
                (reason, decision.events)
            }
            PullAction::UseLocal { .. } => panic!("t={at}: the image is absent"),
        };
        assert_eq!(reason, want_reason, "t={at}");
        let reasons: Vec<EventReason> = events.iter().map(|e| e.reason).collect();
        let want_events: &[EventReason] = if want_reason == ErrImagePull {
            &[Pulling, Failed, Failed]
        } else {
            &[BackOff, Failed]
        };
        assert_eq!(reasons, want_events, "t={at}");
        let entry = backoff.entry(&key);
        assert_eq!(
            entry.map(|e| (e.backoff.as_secs(), e.last_update)),
            Some((window, SimTime::from_secs(updated))),
            "t={at}: back-off after the sync"
        );
    }
}

/// The whole InvalidImageName message as `kubectl describe` shows it: the kubelet's prefix,
/// `ParseImageName`'s quoted wrapper and distribution's error (docs/semantics.md §1.6 legend).
#[test]
fn invalid_image_message_is_the_kubelets_whole_text() {
    let decision = decide(
        &PullRequest::new("NGINX", PullPolicy::IfNotPresent, Presence::Absent),
        &KubeletBehavior::default(),
    );
    let message = "Failed to apply default image tag \"NGINX\": couldn't parse image name \"NGINX\": \
                   invalid reference format: repository name (library/NGINX) must be lowercase";
    assert_eq!(
        decision.action,
        PullAction::Fail {
            reason: WaitingReason::InvalidImageName,
            message: message.into()
        }
    );
    let pull = decide(
        &PullRequest::new("nginx", PullPolicy::Always, Presence::Absent),
        &KubeletBehavior::default(),
    );
    assert_eq!(
        pull.action,
        PullAction::Pull {
            image: "nginx:latest".to_owned()
        }
    );
}
