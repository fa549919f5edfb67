//! End-to-end tests of the `pullsim` binary: arguments in, exit code and output out, exactly
//! as scripts and the README use it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const H64: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

fn pullsim(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pullsim binary starts");
    let written = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    // A command refused before it reads its input (`ref - -`) may exit first: the pipe is
    // then closed, which is no failure of the test; what it printed is still checked.
    if let Err(error) = written {
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::BrokenPipe,
            "stdin is writable: {error}"
        );
    }
    child.wait_with_output().expect("pullsim finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

/// A bad-input run: exit 2, one line on stderr that starts with `pullsim: error: ` and
/// contains every `needle`, nothing on stdout, and no panic.
fn assert_bad_input(output: &Output, needles: &[&str]) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    assert!(err.starts_with("pullsim: error: "), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "{err:?} lacks {needle:?}");
    }
    assert!(!err.contains("panicked"), "{err}");
    assert!(stdout(output).is_empty());
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temporary file is writable");
    path
}

#[test]
fn version_and_help() {
    let output = pullsim(&["--version"], "");
    assert!(output.status.success());
    assert_eq!(
        stdout(&output),
        format!("pullsim {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = stdout(&pullsim(&["--help"], ""));
    for command in ["ref", "creds"] {
        assert!(help.contains(command), "{help}");
    }
    let creds_help = stdout(&pullsim(&["creds", "lookup", "--help"], ""));
    assert!(
        creds_help.contains("--pod-secret") && creds_help.contains("anonymous pull"),
        "{creds_help}"
    );
}

#[test]
fn ref_json_has_every_key_in_order() {
    let tagged_digest = format!("nginx:latest@sha256:{H64}");
    let output = pullsim(
        &[
            "ref",
            "--json",
            "--",
            "nginx",
            &tagged_digest,
            "my_registry.com/foo",
        ],
        "",
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let first = text.lines().next().unwrap_or_default();
    assert_eq!(
        first,
        r#"{"input":"nginx","name":"docker.io/library/nginx","domain":"docker.io","path":"library/nginx","tag":null,"digest":null,"familiar":"nginx","string":"docker.io/library/nginx","default_pull_policy":"Always","kubelet_image":"nginx:latest","containerd_ref":"docker.io/library/nginx:latest"}"#
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 3);
    let digest = format!("sha256:{H64}");
    assert_eq!(lines[1]["tag"], "latest");
    assert_eq!(lines[1]["digest"], digest.as_str());
    assert_eq!(lines[1]["default_pull_policy"], "Always");
    assert_eq!(lines[1]["kubelet_image"], tagged_digest.as_str());
    assert_eq!(
        lines[1]["containerd_ref"],
        format!("docker.io/library/nginx@{digest}").as_str()
    );
    // The underscore quirk: no domain, the whole string is the path.
    assert_eq!(lines[2]["domain"], "");
    assert_eq!(lines[2]["path"], "my_registry.com/foo");
}

#[test]
fn ref_reports_invalid_references_with_distributions_message_and_exit_1() {
    let output = pullsim(&["ref", "--json", "nginx:1.25", "NGINX", "nginx:"], "");
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert_eq!(lines[0]["default_pull_policy"], "IfNotPresent");
    assert_eq!(
        lines[1],
        serde_json::json!({
            "input": "NGINX",
            "error": "invalid reference format: repository name (library/NGINX) must be lowercase",
            "default_pull_policy": "IfNotPresent"
        })
    );
    assert_eq!(lines[2]["error"], "invalid reference format");
    let keys: Vec<&String> = lines[1]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(keys, ["input", "error", "default_pull_policy"]);
}

#[test]
fn ref_reads_standard_input_in_order() {
    let output = pullsim(
        &["ref", "--json", "-"],
        "nginx\r\n\nlocalhost:5000/foo\nBad Ref\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let inputs: Vec<String> = json_lines(&output)
        .iter()
        .map(|line| line["input"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(inputs, ["nginx", "localhost:5000/foo", "Bad Ref"]);

    let mixed = pullsim(&["ref", "--json", "busybox", "-", "alpine"], "redis\n");
    let inputs: Vec<String> = json_lines(&mixed)
        .iter()
        .map(|line| line["input"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(inputs, ["busybox", "redis", "alpine"]);
    assert_bad_input(&pullsim(&["ref", "-", "-"], "x\n"), &["only once"]);
}

#[test]
fn ref_text_is_a_table() {
    let digest_ref = format!("registry.example.com:5000/team/app@sha256:{H64}");
    let output = pullsim(&["ref", "nginx", &digest_ref, "NGINX"], "");
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("INPUT")
            && lines[0].contains("POLICY")
            && lines[0].contains("KUBELET IMAGE")
    );
    assert!(
        lines[1].starts_with("nginx ")
            && lines[1].contains("docker.io/library/nginx")
            && lines[1].contains("Always")
    );
    assert!(
        lines[2].contains("registry.example.com:5000/team/app")
            && lines[2].contains("IfNotPresent")
    );
    assert!(
        lines[2].contains("sha256:e3b0c44298fc…"),
        "digests are shortened: {}",
        lines[2]
    );
    assert!(lines[3].starts_with("NGINX ") && lines[3].contains("must be lowercase"));
}

#[test]
fn ref_usage_errors_exit_2() {
    assert_eq!(pullsim(&["ref"], "").status.code(), Some(2));
    assert_eq!(pullsim(&["ref", "--bogus", "x"], "").status.code(), Some(2));
    assert_eq!(pullsim(&["frobnicate"], "").status.code(), Some(2));
}

#[test]
fn creds_match_prints_the_kubelets_answer() {
    let rows = [
        ("*.kubernetes.io", "prefix.kubernetes.io", "true"),
        ("*.kubernetes.io", "kubernetes.io", "false"),
        (
            "registry.example.com/team",
            "registry.example.com/teamwork",
            "true",
        ),
        (
            "*.kubernetes.io:1234/blah",
            "prefix.kubernetes.io:1111/blah",
            "false",
        ),
    ];
    for (pattern, target, want) in rows {
        let output = pullsim(&["creds", "match", pattern, target], "");
        assert!(output.status.success());
        assert_eq!(
            stdout(&output),
            format!("{want}\n"),
            "{pattern} vs {target}"
        );
    }
    let bad = pullsim(&["creds", "match", "a[", "a"], "");
    assert!(bad.status.success());
    assert_eq!(stdout(&bad), "false\n");
    assert!(
        stderr(&bad).contains("treats this as no match"),
        "{}",
        stderr(&bad)
    );
    assert_eq!(
        pullsim(&["creds", "match", "only-one"], "").status.code(),
        Some(2)
    );
}

const REGCRED: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: regcred
  namespace: shop
  uid: 0b5e
  labels: {ignored: "yes"}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: |
    {"auths": {"registry.example.com/team": {"username": "alice", "password": "pw"},
               "https://*.example.com/v2/": {"auth": "Ym9iOnB3"}}}
"#;

#[test]
fn creds_lookup_orders_pod_secrets_then_the_node() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let regcred = write(dir.path(), "regcred.yaml", REGCRED);
    // A bare config.json as a second pod secret: same key as the first secret's less specific one.
    let second = write(
        dir.path(),
        "second.json",
        r#"{"auths": {"*.example.com": {"auth": "Y2Fyb2w6cHc"}}}"#,
    );
    let node = write(
        dir.path(),
        "config.json",
        r#"{"auths": {"registry.example.com": {"auth": "bm9kZTpwdw=="}}}"#,
    );
    let legacy = write(
        dir.path(),
        ".dockercfg",
        r#"{"registry.example.com": {"auth": "bGVnYWN5OnB3"}}"#,
    );
    let [regcred, second, node, legacy] =
        [&regcred, &second, &node, &legacy].map(|p| p.to_string_lossy().into_owned());
    let args = [
        "creds",
        "lookup",
        "registry.example.com/team/app:v1",
        "--pod-secret",
        &regcred,
        "--pod-secret",
        &second,
        "--node-config",
        &node,
        "--node-config",
        &legacy,
        "--json",
    ];
    let output = pullsim(&args, "");
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        json_lines(&output),
        [serde_json::json!({
            "image": "registry.example.com/team/app:v1",
            "repo": "registry.example.com/team/app",
            "credentials": [
                {"source": "pod-secret[0]", "key": "registry.example.com/team", "username": "alice"},
                {"source": "pod-secret[0]", "key": "*.example.com", "username": "bob"},
                {"source": "pod-secret[1]", "key": "*.example.com", "username": "carol"},
                {"source": "node-config[0]", "key": "registry.example.com", "username": "node"},
            ]
        })]
    );

    // Text: the same order, in words, with the reasons and the unread node file.
    let text_args = &args[..args.len() - 1];
    let text = stdout(&pullsim(text_args, ""));
    let alice = text.find("user \"alice\"").expect("alice is listed");
    let carol = text.find("user \"carol\"").expect("carol is listed");
    assert!(alice < carol, "{text}");
    assert!(text.contains("no anonymous attempt"), "{text}");
    assert!(text.contains(r#"key "registry.example.com/team" matches: same host, path "/team" is a prefix of "/team/app""#), "{text}");
    assert!(
        text.contains("node-config[1]") && text.contains("is not read"),
        "{text}"
    );
}

#[test]
fn creds_lookup_without_matches_is_anonymous_and_docker_hub_falls_back() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let hub = write(
        dir.path(),
        "hub.json",
        r#"{"auths": {"https://index.docker.io/v1/": {"username": "hubuser", "password": "x"}}}"#,
    );
    let hub = hub.to_string_lossy();
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "quay.io/org/app",
            "--pod-secret",
            &hub,
            "--json",
        ],
        "",
    );
    assert_eq!(json_lines(&output)[0]["credentials"], serde_json::json!([]));
    let text = stdout(&pullsim(
        &["creds", "lookup", "quay.io/org/app", "--pod-secret", &hub],
        "",
    ));
    assert!(text.contains("pulls anonymously"), "{text}");
    for image in ["nginx", "docker.io/library/nginx:1.25", "localhost/app"] {
        let output = pullsim(
            &["creds", "lookup", image, "--pod-secret", &hub, "--json"],
            "",
        );
        assert_eq!(
            json_lines(&output)[0]["credentials"][0]["username"],
            "hubuser",
            "{image}"
        );
    }
}

#[test]
fn creds_lookup_bad_input_names_the_file() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let cases: [(&str, &str, &[&str]); 7] = [
        (
            "syntax.json",
            "{\"auths\": {\n  \"x.io\": {\"auth\" \"x\"}}}",
            &["syntax.json:2:19: invalid docker config.json: expected `:`"],
        ),
        (
            "nocolon.json",
            r#"{"auths": {"x.io": {"auth": "bm9jb2xvbg=="}}}"#,
            &[
                "nocolon.json",
                "unable to parse auth field, must be formatted as base64(username:password)",
            ],
        ),
        (
            "badb64.json",
            r#"{"auths": {"x.io": {"auth": "a!!b"}}}"#,
            &["badb64.json", "illegal base64 data at input byte 1"],
        ),
        (
            "secret.yaml",
            "kind: Secret\nmetadata:\n  name: s\n  namespace: [\n",
            &["secret.yaml:4:"],
        ),
        (
            "payload.yaml",
            "kind: Secret\nmetadata: {name: s}\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: \"%%\"\n",
            &[
                "payload.yaml",
                "data[\".dockerconfigjson\"]",
                "illegal base64",
            ],
        ),
        (
            "pod.yaml",
            "kind: Pod\nmetadata: {name: p}\n",
            &["pod.yaml", "expected \"Secret\""],
        ),
        ("binary.bin", "\u{0}\u{1}\u{2}", &["binary.bin"]),
    ];
    for (name, contents, needles) in cases {
        let path = write(dir.path(), name, contents);
        let output = pullsim(
            &[
                "creds",
                "lookup",
                "x.io/app",
                "--pod-secret",
                &path.to_string_lossy(),
            ],
            "",
        );
        assert_bad_input(&output, needles);
    }
    assert_bad_input(
        &pullsim(&["creds", "lookup", "NGINX"], ""),
        &[
            r#"couldn't parse image name "NGINX": invalid reference format: repository name (library/NGINX) must be lowercase"#,
        ],
    );
}

/// A `--node-config` file that is missing, not UTF-8, a Secret manifest or broken JSON is
/// skipped with a warning, as the kubelet skips it and reads the next file (docs/semantics.md
/// 4.1, 4.4); the lookup goes on and exits 0.
#[test]
fn creds_lookup_skips_a_broken_node_config_with_a_warning_and_reads_the_next() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let good = write(
        dir.path(),
        "good.json",
        r#"{"auths": {"x.io": {"username": "node", "password": "pw"}}}"#,
    );
    let good = good.to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let broken = [
        (missing.clone(), "cannot read"),
        (
            write(dir.path(), "syntax.json", "{\"auths\": {")
                .to_string_lossy()
                .into_owned(),
            "syntax.json:",
        ),
        (
            write(dir.path(), "binary.json", "{\u{0}\u{1}")
                .to_string_lossy()
                .into_owned(),
            "binary.json",
        ),
        (
            write(
                dir.path(),
                "secret.yaml",
                "kind: Secret\nmetadata: {name: s}\n",
            )
            .to_string_lossy()
            .into_owned(),
            "not a Secret manifest",
        ),
    ];
    for (first, needle) in &broken {
        let output = pullsim(
            &[
                "creds",
                "lookup",
                "x.io/app",
                "--node-config",
                first,
                "--node-config",
                &good,
                "--json",
            ],
            "",
        );
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(0), "stderr: {err}");
        assert_eq!(err.lines().count(), 1, "one warning: {err}");
        assert!(err.starts_with("pullsim: warning: "), "{err}");
        assert!(
            err.contains(needle)
                && err.contains("the kubelet skips this file and reads the next one"),
            "{err}"
        );
        assert_eq!(
            json_lines(&output),
            [serde_json::json!({
                "image": "x.io/app",
                "repo": "x.io/app",
                "credentials": [{"source": "node-config[1]", "key": "x.io", "username": "node"}]
            })]
        );
    }
    // Alone, a broken file leaves the lookup anonymous: still a lookup that succeeded.
    let output = pullsim(
        &["creds", "lookup", "x.io/app", "--node-config", &missing],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("anonymous"), "{}", stdout(&output));
}

/// `ref --json -` prints each result as its line of standard input arrives (JSON Lines),
/// not after the last one: a million lines are never held at once.
#[test]
fn ref_json_from_stdin_streams_one_result_per_line() {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pullsim"))
        .args(["ref", "--json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pullsim binary starts");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines, received) = std::sync::mpsc::channel();
    // A reader thread, so the test can wait for a line with a timeout.
    let reader = std::thread::Builder::new()
        .spawn(move || {
            for line in std::io::BufReader::new(stdout).lines() {
                if lines.send(line.expect("stdout is text")).is_err() {
                    break;
                }
            }
        })
        .expect("a thread");
    for (input, name) in [("nginx", "docker.io/library/nginx"), ("UPPER", "")] {
        stdin
            .write_all(format!("{input}\n").as_bytes())
            .expect("stdin is writable");
        stdin.flush().expect("stdin flushes");
        // Standard input is still open: the answer must come before its end.
        let line = received
            .recv_timeout(std::time::Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no result for {input:?} before the end of input"));
        let value: serde_json::Value = serde_json::from_str(&line).expect("one JSON object");
        assert_eq!(value["input"], input, "{line}");
        if name.is_empty() {
            assert!(value["error"].is_string(), "{line}");
        } else {
            assert_eq!(value["name"], name, "{line}");
        }
    }
    drop(stdin);
    let status = child.wait().expect("pullsim finishes");
    reader.join().expect("the reader ends");
    assert_eq!(status.code(), Some(1), "one reference was invalid");
}
