//! `cargo xtask test` on a machine that has nothing but a Rust toolchain: with an empty
//! `PATH` there is no puller, no apt-get, no sudo and no python3, so it can install nothing
//! and must stop before its first check with the commands a person has to run.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the xtask with `args` and a `PATH` of one empty folder.
fn bare(args: &[&str]) -> Output {
    let empty = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bare-machine-path");
    std::fs::create_dir_all(&empty).expect("the empty folder is created");
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_clear()
        .env("PATH", &empty)
        .env("HOME", std::env::var_os("HOME").unwrap_or_default())
        .env("CARGO", env!("CARGO"))
        .output()
        .expect("the xtask starts")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn without_a_way_to_install_it_stops_with_the_commands_to_run() {
    for args in [&["test"][..], &["test", "--no-install"][..]] {
        let output = bare(args);
        let err = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("missing: skopeo, containerd, ctr, podman, oras-py"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("sudo apt-get install -y containerd podman skopeo"),
            "{args:?}: {err}"
        );
        assert!(
            err.contains("python3 -m pip install oras==0.2.43"),
            "{args:?}: {err}"
        );
        assert!(err.contains("cargo xtask test --pure"), "{args:?}: {err}");
        assert!(
            !err.contains("installing:"),
            "{args:?} installed something: {err}"
        );
        assert!(
            !err.contains("==> xtask test: rustfmt ("),
            "{args:?} started the checks: {err}"
        );
    }
}

#[test]
fn an_unknown_flag_is_refused() {
    let output = bare(&["test", "--fast"]);
    let err = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("\"--fast\""), "{err}");
}
