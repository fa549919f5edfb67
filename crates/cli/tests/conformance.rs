//! End-to-end tests of `pullsim conformance`: the case list, usage errors and missing
//! pullers (exit 2 with the install command), and whole runs of the naive Python puller
//! through `--cmd` (exit 0 when careful, 1 when it ignores digests) with every report
//! format: the table, JSON lines, the Markdown matrix, JUnit XML, and progress lines on a
//! standard error that is not a terminal.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

fn pullsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(args)
        .output()
        .expect("the pullsim binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("output is UTF-8")
}

/// The naive puller as a `--cmd` template, with extra switches.
fn naive(flags: &str) -> String {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../conformance/python/naive_puller.py");
    format!(
        "python3 '{}' --ref {{ref}} --platform {{os}}/{{arch}}/{{variant}} --authfile {{authfile}} \
         --out {{out}} {flags}",
        script.display()
    )
}

#[test]
fn the_list_names_every_case_by_group() {
    let output = pullsim(&["conformance", "--list"]);
    assert!(output.status.success());
    let listed = text(&output.stdout);
    assert!(listed.lines().count() >= 25, "{listed}");
    for group in [
        "basics",
        "platforms",
        "drift",
        "integrity",
        "auth",
        "faults",
        "protocol",
    ] {
        assert!(
            listed.lines().any(|line| line.starts_with(group)),
            "{group}: {listed}"
        );
    }
    let auth = text(&pullsim(&["conformance", "--list", "--case", "auth"]).stdout);
    assert_eq!(auth.lines().count(), 5, "{auth}");
}

/// One row: arguments, and what standard error must say; the exit code is 2.
fn check_refused(args: &[&str], says: &str) {
    let output = pullsim(args);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: {err:?} lacks {says:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    for (args, says) in [
        (&["conformance"][..], "--puller"),
        (&["conformance", "--puller", "docker"], "--cmd"),
        (
            &["conformance", "--cmd", "pull {ref} {usrname}"],
            "{usrname}",
        ),
        (
            &["conformance", "--puller", "skopeo", "--case", "nothing"],
            "no case",
        ),
        (&["conformance", "--read-result", "cat x"], "--cmd"),
        (&["conformance", "--cmd", "x", "--timeout", "soon"], "soon"),
    ] {
        check_refused(args, says);
    }
}

#[test]
fn missing_pullers_exit_2_with_the_install_command() {
    let folder = tempfile::tempdir().unwrap();
    // A python3 whose `import oras` fails, as on a machine without oras-py.
    let python = folder.path().join("python3");
    std::fs::write(
        &python,
        "#!/bin/sh\necho \"ModuleNotFoundError: No module named 'oras'\" >&2\nexit 1\n",
    )
    .unwrap();
    std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    for (puller, says) in [
        ("skopeo", "apt-get install -y skopeo"),
        ("ctr", "apt-get install -y containerd"),
        ("podman", "apt-get install -y podman"),
        ("oras-py", "pip install oras==0.2.43"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_pullsim"))
            .args(["conformance", "--puller", puller])
            .env("PATH", folder.path())
            .output()
            .unwrap();
        let err = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{puller}: {err}");
        assert!(err.contains(says), "{puller}: {err:?} lacks {says:?}");
        assert!(text(&output.stdout).is_empty(), "{puller}");
    }
}

#[test]
fn a_careful_command_puller_passes_with_json_junit_and_progress_lines() {
    let folder = tempfile::tempdir().unwrap();
    let junit = folder.path().join("report.xml");
    let template = naive("");
    let output = pullsim(&[
        "conformance",
        "--cmd",
        &template,
        "--name",
        "naive",
        "--case",
        "basics",
        "--case",
        "drift/tag-moves-mid-pull",
        "--format",
        "json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let err = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{err}");
    let lines: Vec<serde_json::Value> = text(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["puller"], "naive");
    assert_eq!(lines[0]["version"], serde_json::Value::Null);
    let cases = lines[0]["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 7);
    assert!(
        cases.iter().all(|case| case["result"] == "pass"),
        "{cases:?}"
    );
    assert!(err.contains("naive: running 7 cases"), "{err}");
    assert!(err.contains("[7/7]"), "{err}");
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 7, "{xml}");
    assert!(xml.contains("tests=\"7\" failures=\"0\""), "{xml}");
}

#[test]
fn a_puller_that_ignores_digests_exits_1_with_the_failures_in_every_format() {
    let template = naive("--ignore-digests");
    let args = [
        "conformance",
        "--cmd",
        &template,
        "--name",
        "careless",
        "--case",
        "integrity",
    ];
    let table = pullsim(&args);
    assert_eq!(table.status.code(), Some(1), "{}", text(&table.stderr));
    let shown = text(&table.stdout);
    assert!(
        shown.contains("corrupt-blob") && shown.contains("FAIL"),
        "{shown}"
    );
    assert!(
        shown.contains("MUST keeps no content under a digest it does not match"),
        "{shown}"
    );
    let mut with_matrix = args.to_vec();
    with_matrix.push("--matrix");
    let matrix = pullsim(&with_matrix);
    assert_eq!(matrix.status.code(), Some(1));
    let shown = text(&matrix.stdout);
    assert!(
        shown.starts_with("| case | behaviour | careless |"),
        "{shown}"
    );
    assert!(
        shown.contains("| integrity/corrupt-blob | MUST | **FAIL**"),
        "{shown}"
    );
}

/// A `--cmd` puller whose store the harness cannot read (it keeps its layout outside
/// `{out}`) is judged by the digest `--read-result` prints: the careful naive puller still
/// passes, and one that ignores digests is still caught where its exit status or the
/// digest it reports gives it away.
#[test]
fn read_result_alone_is_enough_to_judge_a_puller() {
    for (flags, code) in [("", 0), ("--ignore-digests", 1)] {
        let template = naive(flags).replace("--out {out}", "--out {out}/../private")
            + " > {out}/../digest.txt";
        let output = pullsim(&[
            "conformance",
            "--cmd",
            &template,
            "--read-result",
            "cat {out}/../digest.txt",
            "--case",
            "basics",
            "--case",
            "integrity",
            "--format",
            "json",
        ]);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{flags}: {}",
            text(&output.stdout)
        );
        let report: serde_json::Value = serde_json::from_str(text(&output.stdout).trim()).unwrap();
        let pulled = &report["cases"][0];
        assert_eq!(pulled["id"], "oci-manifest-by-tag");
        assert_eq!(pulled["result"], "pass", "{flags}: {pulled}");
        let detail = pulled["must"][1]["detail"].as_str().unwrap();
        assert!(detail.starts_with("manifest sha256:"), "{detail}");
    }
}
