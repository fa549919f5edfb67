//! A record's transcript line alone, with a small context standing in for the story.

use super::*;

/// The story around a record, as a test states it.
struct Around {
    several: bool,
    created: Option<SimTime>,
    running: Option<&'static str>,
}

impl LineContext for Around {
    fn several_containers(&self, _: Instance) -> bool {
        self.several
    }

    fn created(&self, _: Instance) -> Option<SimTime> {
        self.created
    }

    fn running_digest(&self, _: Instance) -> Option<&str> {
        self.running
    }
}

const ALONE: Around = Around {
    several: false,
    created: None,
    running: None,
};

/// The line's columns: object, container, type, reason, text, node.
fn columns(entry: &Entry, around: &Around) -> Option<[String; 6]> {
    entry
        .transcript_line(SimTime::from_secs(3), around)
        .map(|line| {
            [
                format!("{}/{}", line.object_kind, line.object_name),
                line.container.unwrap_or_default(),
                line.line_type.to_owned(),
                line.reason,
                line.text,
                line.node.unwrap_or_default(),
            ]
        })
}

fn owned(cells: [&str; 6]) -> Option<[String; 6]> {
    Some(cells.map(str::to_owned))
}

fn attempt(credential: Credential, error: Option<&str>) -> Entry {
    Entry::CredentialAttempt {
        pod: "web".to_owned(),
        instance: Instance(0),
        container: "app".to_owned(),
        node: "node-0".to_owned(),
        credential,
        username: "robot".to_owned(),
        error: error.map(str::to_owned),
    }
}

#[test]
fn credential_attempts_tell_the_credential_or_the_registry() {
    assert_eq!(columns(&attempt(Credential::Anonymous, None), &ALONE), None);
    let secret = Credential::Secret {
        name: "regcred".to_owned(),
        index: 0,
    };
    assert_eq!(
        columns(&attempt(secret.clone(), Some("401 Unauthorized")), &ALONE),
        owned([
            "pod/web",
            "",
            "auth",
            "Credential",
            "secret/regcred as robot: failed",
            ""
        ])
    );
    let refused = "dial tcp r.example.com:443: connect: connection refused";
    assert_eq!(
        columns(&attempt(Credential::Anonymous, Some(refused)), &ALONE),
        owned([
            "pod/web",
            "",
            "pull",
            "Registry",
            "r.example.com refused the connection (anonymous)",
            ""
        ])
    );
    let several = Around {
        several: true,
        ..ALONE
    };
    assert_eq!(
        columns(&attempt(secret, None), &several),
        owned([
            "pod/web",
            "app",
            "auth",
            "Credential",
            "secret/regcred as robot: pulled",
            ""
        ])
    );
}

#[test]
fn a_pods_running_line_tells_the_time_since_creation_and_a_lone_containers_digest() {
    let running = Entry::PodRunning {
        pod: "web".to_owned(),
        instance: Instance(0),
    };
    let created = Around {
        created: Some(SimTime::from_millis(1500)),
        ..ALONE
    };
    assert_eq!(
        columns(&running, &created).map(|c| c[4].clone()),
        Some("every container, after 1.5s".to_owned())
    );
    let lone = Around {
        running: Some("sha256:abababababab"),
        ..created
    };
    assert_eq!(
        columns(&running, &lone).map(|c| c[4].clone()),
        Some("sha256:abababababab after 1.5s".to_owned())
    );
}

#[test]
fn statuses_shorten_digests_and_name_the_node_apart() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let status = Entry::Status {
        pod: "web".to_owned(),
        instance: Instance(0),
        container: "app".to_owned(),
        init: false,
        state: State::Running {
            image_id: digest.clone(),
            digest: digest.clone(),
        },
    };
    assert_eq!(
        columns(&status, &ALONE),
        owned([
            "pod/web",
            "",
            "status",
            "Running",
            "sha256:abababababab",
            ""
        ])
    );
    let platform = Entry::PlatformChosen {
        pod: "web".to_owned(),
        instance: Instance(0),
        node: "arm-0".to_owned(),
        platform: "linux/arm64/v8".to_owned(),
        manifest: digest,
    };
    assert_eq!(
        columns(&platform, &ALONE),
        owned([
            "pod/web",
            "",
            "pull",
            "Platform",
            "linux/arm64/v8 → sha256:abababababab on {node}",
            "arm-0"
        ])
    );
}

#[test]
fn requests_timeline_and_pull_bookkeeping() {
    let request = Entry::Request {
        host: "r.example.com".to_owned(),
        client: crate::ADMISSION_CLIENT.to_owned(),
        method: "GET".to_owned(),
        target: "/v2/app/manifests/v1".to_owned(),
        request_kind: "manifest".to_owned(),
        status: 200,
        bytes: 1536,
    };
    assert_eq!(
        columns(&request, &ALONE),
        owned([
            "admission/digest-pinning",
            "",
            "request",
            "r.example.com",
            "GET /v2/app/manifests/v1 200 1.5 KiB",
            ""
        ])
    );
    let outage = Entry::Timeline {
        what: "r.example.com: outage begins".to_owned(),
    };
    assert_eq!(
        columns(&outage, &ALONE),
        owned([
            "registry/r.example.com",
            "",
            "action",
            "Timeline",
            "outage begins",
            ""
        ])
    );
    let queued = Entry::PullQueued {
        pod: "web".to_owned(),
        instance: Instance(0),
        node: "node-0".to_owned(),
        image: "app:v1".to_owned(),
    };
    assert_eq!(columns(&queued, &ALONE), None);
}

#[test]
fn controller_records_are_told_under_their_object_in_kubectls_words() {
    let event = Entry::ControllerEvent {
        object: "replicaset/web-5d4f8c7b9".to_owned(),
        namespace: "default".to_owned(),
        event_type: "Normal".to_owned(),
        reason: "SuccessfulCreate".to_owned(),
        message: "Created pod: web-5d4f8c7b9-abcde".to_owned(),
    };
    assert_eq!(
        columns(&event, &ALONE),
        owned([
            "replicaset/web-5d4f8c7b9",
            "",
            "Normal",
            "SuccessfulCreate",
            "Created pod: web-5d4f8c7b9-abcde",
            "",
        ])
    );
    let scaled = Entry::ReplicaSetScaled {
        replica_set: "web-5d4f8c7b9".to_owned(),
        namespace: "default".to_owned(),
        from: 3,
        to: 5,
    };
    assert_eq!(
        columns(&scaled, &ALONE),
        owned([
            "replicaset/web-5d4f8c7b9",
            "",
            "object",
            "Scaled",
            "from 3 to 5",
            ""
        ])
    );
    let condition = Entry::ConditionSet {
        object: "job/report".to_owned(),
        namespace: "batch".to_owned(),
        condition_type: "Failed".to_owned(),
        status: "True".to_owned(),
        reason: "DeadlineExceeded".to_owned(),
        message: "Job was active longer than specified deadline".to_owned(),
    };
    assert_eq!(
        columns(&condition, &ALONE),
        owned([
            "job/report",
            "",
            "status",
            "Failed",
            "True DeadlineExceeded: Job was active longer than specified deadline",
            "",
        ])
    );
}
