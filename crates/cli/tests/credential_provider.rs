//! `pullsim credential-provider` as the kubelet runs it (a request on standard input, the
//! response on standard output, the exit status), and `pullsim creds lookup` with the
//! credential-provider flags, through the real binary.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pullsim_model::credentials::provider::{CacheKeyType, CredentialProviderResponse};

const V1: &str = "credentialprovider.kubelet.k8s.io/v1";

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
    if let Err(error) = written {
        assert_eq!(error.kind(), std::io::ErrorKind::BrokenPipe, "{error}");
    }
    child.wait_with_output().expect("pullsim finishes")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).expect("UTF-8")
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("temporary file is writable");
    path
}

const CREDENTIALS: &str = "\
cacheKeyType: Registry
cacheDuration: 12h
credentials:
  - image: \"*.dkr.ecr.*.amazonaws.com\"
    username: AWS
    password: token-1
  - image: registry.example.com/team
    username: team
    password: team-secret
    cacheKeyType: Image
    cacheDuration: 0s
  - image: registry.example.com
    username: everyone
    password: shared
";

fn request(api_version: &str, image: &str) -> String {
    format!(
        r#"{{"kind":"CredentialProviderRequest","apiVersion":"{api_version}","image":"{image}"}}"#
    )
}

fn plugin(dir: &Path, stdin: &str) -> Output {
    let file = write(dir, "credentials.yaml", CREDENTIALS);
    pullsim(
        &["credential-provider", "--from", file.to_str().unwrap()],
        stdin,
    )
}

#[test]
fn answers_a_request_the_kubelet_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let output = plugin(
        dir.path(),
        &request(V1, "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert!(output.stderr.is_empty());
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout,
        "{\"kind\":\"CredentialProviderResponse\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"cacheKeyType\":\"Registry\",\
         \"cacheDuration\":\"12h0m0s\",\"auth\":{\"*.dkr.ecr.*.amazonaws.com\":{\"username\":\"AWS\",\"password\":\"token-1\"}}}\n"
    );
    // The kubelet's own checks accept it for a provider configured with v1.
    let response = CredentialProviderResponse::parse(&stdout, V1).expect("the kubelet accepts it");
    assert_eq!(response.cache_key_type, CacheKeyType::Registry);
}

#[test]
fn answers_with_the_requests_api_version_and_every_matching_glob() {
    let dir = tempfile::tempdir().unwrap();
    let v1beta1 = "credentialprovider.kubelet.k8s.io/v1beta1";
    let output = plugin(
        dir.path(),
        &request(v1beta1, "registry.example.com/team/app"),
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let response = CredentialProviderResponse::parse(&text(&output.stdout), v1beta1)
        .expect("same apiVersion as the request");
    // The first matching entry sets the cache key type and duration; every match is a key.
    assert_eq!(response.cache_key_type, CacheKeyType::Image);
    assert_eq!(response.cache_duration, Some(std::time::Duration::ZERO));
    let keys: Vec<&str> = response.auth.keys().map(String::as_str).collect();
    assert_eq!(keys, ["registry.example.com", "registry.example.com/team"]);
    // A v1 kubelet provider would refuse a v1beta1 answer.
    assert!(CredentialProviderResponse::parse(&text(&output.stdout), V1).is_err());
}

#[test]
fn no_credentials_for_the_image_is_an_error_the_kubelet_does_not_cache() {
    let dir = tempfile::tempdir().unwrap();
    let output = plugin(dir.path(), &request(V1, "quay.io/team/app"));
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("has no credentials for image \"quay.io/team/app\""),
        "{stderr}"
    );
}

#[test]
fn malformed_requests_exit_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rows: &[(&str, &str)] = &[
        ("", "the request is empty"),
        ("not json", "the request is not JSON: line 1 column 2"),
        ("[1]", "the request is a JSON array, not an object"),
        (
            r#"{"kind":"CredentialProviderResponse","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x"}"#,
            "kind is \"CredentialProviderResponse\", want \"CredentialProviderRequest\"",
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"v1","image":"x"}"#,
            "apiVersion \"v1\" is not one of",
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}"#,
            "the request has no image",
        ),
        (
            r#"{"kind":"CredentialProviderRequest","apiVersion":"credentialprovider.kubelet.k8s.io/v1","image":"x","images":[]}"#,
            "unknown field \"images\"",
        ),
    ];
    for (stdin, needle) in rows {
        let output = plugin(dir.path(), stdin);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stdin}: {stderr}");
        assert!(output.stdout.is_empty());
        assert!(
            stderr.starts_with(
                "pullsim: error: malformed CredentialProviderRequest on standard input: "
            ),
            "{stderr}"
        );
        assert!(stderr.contains(needle), "{stdin}: {stderr}");
    }
}

#[test]
fn a_bad_credentials_file_names_the_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "bad.yaml",
        "credentials:\n  - image: r.io\n    username: u\n    pasword: p\n",
    );
    let output = pullsim(
        &["credential-provider", "--from", file.to_str().unwrap()],
        &request(V1, "r.io/x"),
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.yaml:4:"), "{stderr}");
    assert!(stderr.contains("pasword"), "{stderr}");
    let file = write(
        dir.path(),
        "type.yaml",
        "cacheKeyType: image\ncredentials: []\n",
    );
    let output = pullsim(
        &["credential-provider", "--from", file.to_str().unwrap()],
        &request(V1, "r.io/x"),
    );
    assert!(
        text(&output.stderr).contains("cacheKeyType \"image\": want Image, Registry or Global"),
        "{}",
        text(&output.stderr)
    );
}

const CONFIG: &str = "\
apiVersion: kubelet.config.k8s.io/v1
kind: CredentialProviderConfig
providers:
  - name: first
    matchImages: [registry.io]
    defaultCacheDuration: 10m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
  - name: broken
    matchImages: [\"*.io\"]
    defaultCacheDuration: 0s
    apiVersion: credentialprovider.kubelet.k8s.io/v1
  - name: elsewhere
    matchImages: [quay.io]
    defaultCacheDuration: 1m
    apiVersion: credentialprovider.kubelet.k8s.io/v1
";

const ANSWERS: &str = "\
first:
  cacheKeyType: Registry
  auth:
    registry.io/team: {username: plugin-user, password: p}
broken:
  error: no instance profile
";

#[test]
fn lookup_puts_plugin_credentials_last_and_explains_each_provider() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(dir.path(), "config.yaml", CONFIG);
    let answers = write(dir.path(), "answers.yaml", ANSWERS);
    let node = write(
        dir.path(),
        "config.json",
        r#"{"auths": {"registry.io": {"username": "node-user", "password": "n"}}}"#,
    );
    let args = [
        "creds",
        "lookup",
        "registry.io/team/app:v1",
        "--node-config",
        node.to_str().unwrap(),
        "--provider-config",
        config.to_str().unwrap(),
        "--provider-answers",
        answers.to_str().unwrap(),
    ];
    let output = pullsim(&args, "");
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    // The node's credential first although the plugin's key is more specific.
    let node_at = stdout
        .find("user \"node-user\" from node-config[0]")
        .expect(&stdout);
    let plugin_at = stdout
        .find("user \"plugin-user\" from plugin[first]")
        .expect(&stdout);
    assert!(node_at < plugin_at, "{stdout}");
    for needle in [
        "  1. first: asked: matchImages \"registry.io\" matches",
        "request: {\"kind\":\"CredentialProviderRequest\",\"apiVersion\":\"credentialprovider.kubelet.k8s.io/v1\",\"image\":\"registry.io/team/app\"}",
        "answers cacheKeyType Registry with 1 credential; cached under key \"registry.io\" for 10m0s (the provider's defaultCacheDuration)",
        "  2. broken: asked: matchImages \"*.io\" matches",
        "the plugin fails: no credentials from it, nothing cached; the pull goes on with the others",
        "kubelet log: Failed getting credential from external registry credential provider: error execing credential provider plugin broken for image registry.io/team/app: exit status 1: no instance profile",
        "  3. elsewhere: not asked: no matchImages glob matches",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in:\n{stdout}");
    }
    let mut json_args = args.to_vec();
    json_args.push("--json");
    let output = pullsim(&json_args, "");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let sources: Vec<&str> = report["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["node-config[0]", "plugin[first]"]);
    assert_eq!(report["providers"][0]["cacheKey"], "registry.io");
    assert_eq!(report["providers"][0]["cacheFor"], "10m0s");
    assert_eq!(report["providers"][1]["asked"], true);
    assert!(
        report["providers"][1]["error"]
            .as_str()
            .unwrap()
            .contains("exit status 1")
    );
    assert_eq!(report["providers"][2]["asked"], false);
}

#[test]
fn lookup_explains_refused_answers_and_service_account_rules() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n\
         - name: sa\n  matchImages: [r.io]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n  \
         tokenAttributes:\n    serviceAccountTokenAudience: r.io\n    requireServiceAccount: true\n    \
         requiredServiceAccountAnnotationKeys: [r.io/role]\n    cacheType: Token\n",
    );
    let answers = write(
        dir.path(),
        "answers.yaml",
        "sa:\n  cacheKeyType: registry\n",
    );
    let base = [
        "creds",
        "lookup",
        "r.io/app",
        "--provider-config",
        config.to_str().unwrap(),
        "--provider-answers",
        answers.to_str().unwrap(),
    ];
    let no_account = text(&pullsim(&base, "").stdout);
    assert!(
        no_account.contains("but the pod has no service account and requireServiceAccount is true"),
        "{no_account}"
    );
    let mut with_account = base.to_vec();
    with_account.extend(["--service-account", "team/puller"]);
    let missing = text(&pullsim(&with_account, "").stdout);
    assert!(
        missing
            .contains("but required annotation r.io/role not found on service account team/puller"),
        "{missing}"
    );
    with_account.extend(["--service-account-annotation", "r.io/role=puller"]);
    let refused = text(&pullsim(&with_account, "").stdout);
    assert!(refused.contains("\"serviceAccountToken\":"), "{refused}");
    assert!(
        refused.contains("kubelet log: credential provider plugin did not return a valid cacheKeyType: \"registry\""),
        "{refused}"
    );
    assert!(refused.contains("No credential matches"), "{refused}");
}

#[test]
fn lookup_refuses_a_config_the_kubelet_would_not_start_with() {
    let dir = tempfile::tempdir().unwrap();
    let configs = dir.path().join("providers");
    std::fs::create_dir(&configs).unwrap();
    write(
        &configs,
        "10-a.yaml",
        "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n\
         - name: a b\n  matchImages: [r.io]\n  defaultCacheDuration: -1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n",
    );
    write(&configs, "notes.txt", "not read");
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "r.io/app",
            "--provider-config",
            configs.to_str().unwrap(),
        ],
        "",
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines[0].ends_with("10-a.yaml:4:9: providers.name: Invalid value: \"a b\": provider name cannot contain spaces"), "{stderr}");
    assert!(lines[1].ends_with("10-a.yaml:6:25: providers.defaultCacheDuration: Invalid value: \"-1m0s\": must be greater than or equal to 0"), "{stderr}");
    assert_eq!(
        lines[2],
        "pullsim: error: the kubelet does not start: failed to validate credential provider config: [providers.name: Invalid value: \"a b\": provider name cannot contain spaces, providers.defaultCacheDuration: Invalid value: \"-1m0s\": must be greater than or equal to 0]"
    );
    // A second file naming the same provider.
    write(
        &configs,
        "20-b.json",
        r#"{"apiVersion":"kubelet.config.k8s.io/v1","kind":"CredentialProviderConfig","providers":[{"name":"a b","matchImages":["r.io"],"defaultCacheDuration":"1m","apiVersion":"credentialprovider.kubelet.k8s.io/v1"}]}"#,
    );
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "r.io/app",
            "--provider-config",
            configs.to_str().unwrap(),
        ],
        "",
    );
    let stderr = text(&output.stderr);
    assert!(stderr.contains("20-b.json"), "{stderr}");
    assert!(
        stderr.contains("duplicate provider name \"a b\" found in configuration file(s)"),
        "{stderr}"
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "r.io/app",
            "--provider-config",
            empty.to_str().unwrap(),
        ],
        "",
    );
    assert!(text(&output.stderr).contains("no configuration files found in directory"));
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "r.io/app",
            "--provider-answers",
            "x.yaml",
        ],
        "",
    );
    assert!(
        text(&output.stderr)
            .contains("--provider-answers and --provider-bin-dir need --provider-config")
    );
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "r.io/app",
            "--provider-config",
            configs.to_str().unwrap(),
            "--provider-answers",
            "x.yaml",
            "--provider-bin-dir",
            "bin",
        ],
        "",
    );
    assert!(
        text(&output.stderr).contains("give one"),
        "{}",
        text(&output.stderr)
    );
}

fn script(dir: &Path, name: &str, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let path = write(dir, name, &format!("#!/bin/sh\n{body}\n"));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// `--provider-bin-dir` runs the real plugins as the kubelet does: `pullsim
/// credential-provider` itself answers one, another fails with its arguments and environment
/// on standard error, a third prints what the kubelet refuses.
#[test]
fn lookup_runs_real_plugins_from_a_bin_dir() {
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let credentials = write(dir.path(), "credentials.yaml", CREDENTIALS);
    script(
        &bin,
        "pullsim-plugin",
        &format!(
            "exec '{}' credential-provider --from '{}'",
            env!("CARGO_BIN_EXE_pullsim"),
            credentials.display()
        ),
    );
    script(
        &bin,
        "failing",
        "cat > /dev/null\necho \"no luck with $1 and $REGION\" >&2\nexit 3",
    );
    script(&bin, "garbage", "cat > /dev/null\necho not-json");
    let config = write(
        dir.path(),
        "config.yaml",
        "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\nproviders:\n\
         - name: pullsim-plugin\n  matchImages: [registry.example.com]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n\
         - name: failing\n  matchImages: [registry.example.com]\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n  args: [get-credentials]\n  env: [{name: REGION, value: eu-west-1}]\n\
         - name: garbage\n  matchImages: ['*.example.com']\n  defaultCacheDuration: 1m\n  apiVersion: credentialprovider.kubelet.k8s.io/v1\n",
    );
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "registry.example.com/team/app",
            "--provider-config",
            config.to_str().unwrap(),
            "--provider-bin-dir",
            bin.to_str().unwrap(),
        ],
        "",
    );
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    for needle in [
        "1. user \"team\" from plugin[pullsim-plugin] (its answer, run from",
        "2. user \"everyone\" from plugin[pullsim-plugin]",
        "answers cacheKeyType Image with 2 credentials; not cached (cacheDuration 0): every pull runs the plugin",
        "kubelet log: Failed getting credential from external registry credential provider: error execing credential provider plugin failing for image registry.example.com/team/app: exit status 3: no luck with get-credentials and eu-west-1",
        "kubelet log: Failed getting credential from external registry credential provider: error reading GVK from response: couldn't get version/kind; json parse error: expected ident",
    ] {
        assert!(stdout.contains(needle), "{needle:?} not in:\n{stdout}");
    }
    // A provider whose executable is missing: the kubelet does not start.
    std::fs::remove_file(bin.join("garbage")).unwrap();
    let output = pullsim(
        &[
            "creds",
            "lookup",
            "registry.example.com/team/app",
            "--provider-config",
            config.to_str().unwrap(),
            "--provider-bin-dir",
            bin.to_str().unwrap(),
        ],
        "",
    );
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("plugin binary executable"), "{stderr}");
    assert!(stderr.contains("garbage did not exist"), "{stderr}");
}
