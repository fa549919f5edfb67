//! `pullsim-cli`: the command-line shell over pullsim's core crates.
//!
//! The shell parses arguments, reads files and standard input, asks `pullsim-model`, and
//! prints text for people or JSON for programs. It holds no kubelet rule of its own.
//!
//! Module map:
//! - `reference`: `pullsim ref`.
//! - `creds`: `pullsim creds match` and `pullsim creds lookup`.
//! - `credential_files`: reading the docker config files and Secret manifests `creds` takes.
//! - `provider_files`: reading the credential-provider config and plugin answers `creds` takes.
//! - `credential_provider`: `pullsim credential-provider`, a real kubelet exec plugin.
//! - `registry_serve`: `pullsim registry serve`, the fake registry over HTTP (the only
//!   command with a tokio runtime).
//! - `conformance`: `pullsim conformance`, the conformance suite against real pullers.
//! - `run`: `pullsim run`, one scenario simulated, its transcript or JSON.
//!
//! Exit codes: 0 success; 1 when the answer is "no" (an invalid reference); 2 for bad usage
//! or bad input, with a one-line error that names the file and what is wrong.

mod conformance;
mod credential_files;
mod credential_provider;
mod creds;
mod creds_plugins;
mod plugin_exec;
mod provider_files;
mod reference;
mod registry_serve;
mod run;

use std::io::{self, BufRead, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// pullsim: predict and test how Kubernetes pulls container images.
#[derive(Debug, Parser)]
#[command(
    name = "pullsim",
    version,
    about,
    long_about = "pullsim predicts and tests how Kubernetes pulls container images: how the \
kubelet reads an image reference, which pull policy it defaults to, and which registry \
credentials it tries in which order. Every answer comes from the same rules the kubelet, \
the API server and containerd apply (distribution/reference v0.6.0, kubelet mainline).",
    after_help = "Examples:\n  \
pullsim run scenarios/drift/ifnotpresent-repush.yaml\n  \
pullsim ref nginx 'registry.example.com:5000/team/app:v1'\n  \
pullsim ref --json - < examples/references.txt\n  \
pullsim creds match '*.example.com' registry.example.com/team/app\n  \
pullsim creds lookup registry.example.com/team/app:v1 \\\n      \
--pod-secret examples/secrets/regcred.yaml --node-config examples/node/config.json"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Simulate a scenario file and print what the cluster did.
    #[command(
        long_about = "Simulates a scenario file (docs/scenario-format.md): registries, nodes, \
pods and a timeline, on a virtual clock, exactly as the kubelet and containerd pull images. \
Prints a transcript (time-ordered Kubernetes events, pod status changes, credentials tried, \
registry traffic, then a table of pods, the metrics and every expectation as ok or FAILED), \
or with --format json the same data in full (--format metrics: only its metrics). The same file and seed always print the same \
bytes. Exits 0 when every expectation holds, 1 when one fails or the run hits a limit, 2 when \
the file cannot be read or is not a valid scenario (each mistake as FILE:LINE:COLUMN: message \
on standard error).",
        after_help = "Examples:\n  pullsim run scenarios/backoff/missing-tag-schedule.yaml\n  \
pullsim run scenarios/drift/ifnotpresent-repush.yaml --seed 7 --until 10m\n  \
pullsim run scenarios/drift/ifnotpresent-repush.yaml --requests   # each request on its own line\n  \
pullsim run scenarios/drift/ifnotpresent-repush.yaml --format json \\\n      \
| jq '.pods[] | {pod, state, reason}'"
    )]
    Run(run::RunArgs),
    /// How the kubelet, the API server and containerd read image references.
    #[command(
        long_about = "How the kubelet, the API server and containerd read image references: the \
normalised name, domain, path, tag and digest (distribution/reference v0.6.0), the \
imagePullPolicy the API server defaults to, the image string the kubelet sends to the runtime \
(applyDefaultImageTag) and the reference containerd pulls (ParseDockerRef). Exits 1 if any \
reference is invalid, printing distribution's error word for word.",
        after_help = "Examples:\n  pullsim ref nginx \\\n      \
nginx:latest@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n  \
pullsim ref --json - < examples/references.txt   # one a line; blank lines are skipped"
    )]
    Ref {
        /// Print one JSON object per reference, one per line, in input order.
        #[arg(long)]
        json: bool,
        /// Image references; `-` reads one reference per line from standard input.
        #[arg(value_name = "REF", required = true)]
        refs: Vec<String>,
    },
    /// How the kubelet matches and orders registry credentials for an image.
    #[command(subcommand)]
    Creds(CredsCommand),
    /// A kubelet credential-provider plugin answering from a file of credentials.
    #[command(
        name = "credential-provider",
        long_about = "A real exec credential-provider plugin for the kubelet \
(--image-credential-provider-config, --image-credential-provider-bin-dir): reads one \
CredentialProviderRequest (JSON) on standard input and writes the CredentialProviderResponse \
for its image on standard output, with the request's apiVersion. FILE (YAML or JSON) lists \
credentials per image glob (`credentials: [{image, username, password}]`, globs matched as the \
kubelet matches config.json keys, each matching entry becoming one `auth` key), with \
`cacheKeyType` (Image, Registry or Global; default Image) and `cacheDuration` (a Go duration; \
default none, so the provider's defaultCacheDuration) for the file or per entry (the first \
matching entry's win). Exits 1 with the reason on standard error when FILE has no credentials \
for the image (the kubelet then caches nothing and asks again at the next pull), 2 for a \
malformed request or FILE. docs/credential-providers.md shows a kubelet configuration.",
        after_help = "Examples:\n  pullsim credential-provider --from examples/providers/credentials.yaml \\\n      \
< examples/providers/request.json"
    )]
    CredentialProvider {
        /// The credentials file (YAML or JSON).
        #[arg(long, value_name = "FILE")]
        from: String,
    },
    /// The fake OCI registry.
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Run the conformance suite against real image pullers.
    #[command(
        long_about = "Runs the conformance suite (30 cases in 7 groups: basics, platforms, \
drift, integrity, auth, faults, protocol) against real image pullers. Each case starts a fresh \
fake registry on 127.0.0.1, runs the puller with a time limit, and judges what it did from its \
exit status, what it stored and the registry's request log: MUST checks pass or fail, observed \
behaviours (retries, waits, HEAD before GET) are reported. Exits 0 when every MUST check \
passed, 1 when one failed, 2 when a puller cannot be run at all.",
        after_help = "Examples:\n  pullsim conformance --puller skopeo\n  \
pullsim conformance --puller skopeo --puller ctr --puller podman --matrix\n  \
pullsim conformance --name my-puller \\\n      \
--cmd 'my-puller pull {ref} --platform {os}/{arch} --auth {authfile} --out {out}' \\\n      \
--read-result 'cat {out}/digest' --junit report.xml\n  \
pullsim conformance --list"
    )]
    Conformance(conformance::ConformanceArgs),
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// Serve the fake registry over HTTP for real pullers (skopeo, containerd, podman, ...).
    #[command(
        long_about = "Serves the fake OCI registry over HTTP/1.1 until Ctrl-C or SIGTERM. It \
prints the address and the catalog (repository:tag, digest, media type, and each platform's \
manifest for an index), then one line per request, or JSON lines into --log FILE. Without \
--catalog it serves the built-in demo: demo/hello:v1, demo/multi:v1 (OCI index: linux/amd64, \
linux/arm64/v8, linux/arm/v7), demo/multi-docker:v1 (the same as a Docker manifest list), \
private/app:v1 (user alice, password wonderland) and tenant-b/app:v1 (bob, builder). The \
control API under /_pullsim/ loads images and accounts, moves tags, installs faults and reads \
the log; it needs Authorization: Bearer with the control token printed at start (or the one \
given with --control-token, which a non-loopback --listen requires), unless --control-open.",
        after_help = "Examples:\n  pullsim registry serve\n  \
pullsim registry serve --listen 127.0.0.1:0 --auth token --log requests.jsonl\n  \
pullsim registry serve --proxy http://127.0.0.1:5001 --proxy-ttl 1h   # a pull-through cache"
    )]
    Serve(registry_serve::ServeArgs),
}

#[derive(Debug, Subcommand)]
enum CredsCommand {
    /// Does a credential key match an image's repository (the kubelet's URLsMatchStr)?
    #[command(
        long_about = "Prints true or false as the kubelet's URLsMatchStr decides whether a keyring \
key (PATTERN, e.g. a config.json `auths` key after the kubelet strips its scheme and /v1/ or \
/v2/) matches a repository name (TARGET, e.g. registry.example.com/team/app). Globs work per \
dot-separated host label (`*` never spans a dot), ports must be equal as strings, the host must \
have as many labels, and the path is a plain string prefix. A malformed pattern prints false \
(the kubelet treats it as no match) with the reason on standard error.",
        after_help = "Examples:\n  pullsim creds match '*.example.com' registry.example.com/app                # true\n  \
pullsim creds match '*.example.com' example.com/app                         # false: label count\n  \
pullsim creds match 'registry.example.com/team' registry.example.com/teamwork # true: prefix"
    )]
    Match {
        /// The keyring key, possibly with `*` globs in host labels.
        #[arg(value_name = "PATTERN")]
        pattern: String,
        /// The repository name the kubelet looks up (no tag).
        #[arg(value_name = "TARGET")]
        target: String,
    },
    /// The credentials the kubelet would try for an image, in order.
    #[command(
        long_about = "The credentials the kubelet would try for IMAGE, in order: every pod pull \
secret (merged into one keyring, in imagePullSecrets order), then the node's config file, then \
the credential-provider plugins' answers (--provider-config with --provider-answers, or with \
--provider-bin-dir to run the real plugins: every provider whose matchImages match, in \
configuration order, in one keyring). Within each, more \
specific keys come first. For each provider it says whether it is asked, the request it gets, \
and under which cache key and for how long the kubelet keeps its answer; a plugin that fails \
gives nothing and the pull goes on with the others. The kubelet tries each credential in turn and does \
not fall back to an anonymous pull once any matched; an empty list means one anonymous pull. \
FILE may be a docker config.json (`{\"auths\": ...}`), a legacy .dockercfg map, or (for \
--pod-secret) a Secret manifest in YAML or JSON of type kubernetes.io/dockerconfigjson or \
kubernetes.io/dockercfg.",
        after_help = "Examples:\n  pullsim creds lookup registry.example.com/team/app:v1 --pod-secret examples/secrets/regcred.yaml\n  \
pullsim creds lookup nginx --node-config examples/node/config.json --json\n  \
pullsim creds lookup 123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1 \\\n      \
--provider-config examples/providers/kubelet \\\n      \
--provider-answers examples/providers/answers.yaml\n  \
pullsim creds lookup registry.example.com/team/app --pod-secret examples/secrets/regcred.yaml \\\n      \
--provider-config examples/providers/kubelet \\\n      \
--provider-answers examples/providers/answers.yaml \\\n      \
--service-account team/puller --service-account-annotation example.com/role=puller"
    )]
    Lookup {
        /// The container's `image`, as written in the pod spec.
        #[arg(value_name = "IMAGE")]
        image: String,
        /// A pod pull secret, in `imagePullSecrets` order (repeatable).
        #[arg(long = "pod-secret", value_name = "FILE")]
        pod_secrets: Vec<String>,
        /// A node docker config file, in the kubelet's search order (repeatable); the kubelet
        /// reads only the first one that parses.
        #[arg(long = "node-config", value_name = "FILE")]
        node_configs: Vec<String>,
        /// The kubelet's --image-credential-provider-config: a file, or a directory whose
        /// *.json, *.yaml and *.yml files are read in name order.
        #[arg(long = "provider-config", value_name = "FILE-or-DIR")]
        provider_config: Option<String>,
        /// What each plugin answers: a YAML or JSON map of provider name to the
        /// CredentialProviderResponse it prints (kind and apiVersion may be left out), or to
        /// `error: TEXT` for a plugin that fails.
        #[arg(long = "provider-answers", value_name = "FILE")]
        provider_answers: Option<String>,
        /// The kubelet's --image-credential-provider-bin-dir: run the real plugins (with the
        /// provider's args and env, the request on standard input, killed after one minute)
        /// instead of --provider-answers.
        #[arg(long = "provider-bin-dir", value_name = "DIR")]
        provider_bin_dir: Option<String>,
        /// The pod's service account, for providers with tokenAttributes.
        #[arg(long = "service-account", value_name = "NAMESPACE/NAME")]
        service_account: Option<String>,
        /// An annotation of that service account (repeatable).
        #[arg(long = "service-account-annotation", value_name = "KEY=VALUE")]
        service_account_annotations: Vec<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// How a command that ran to the end answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Exit 0.
    Yes,
    /// Exit 1: the command worked and the answer is "no" (for example an invalid reference).
    No,
}

/// Why a command could not answer; every kind exits 2 except a closed output.
#[derive(Debug)]
pub(crate) enum CliError {
    /// The arguments do not make sense together.
    Usage(String),
    /// A file or standard input could not be read or understood.
    Input(String),
    /// Standard output could not be written.
    Output(io::Error),
    /// A bug: something that cannot fail did.
    Internal(String),
    /// Input errors already in their final form (`FILE:LINE:COLUMN: message` lines),
    /// printed as they are.
    Diagnostics(String),
}

impl CliError {
    pub(crate) fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }
    pub(crate) fn input(message: impl Into<String>) -> CliError {
        CliError::Input(message.into())
    }
    /// A document error in the compiler's `FILE:LINE:COLUMN: what: message` form.
    pub(crate) fn document(
        path: &str,
        what: &str,
        error: &pullsim_model::DocumentError,
    ) -> CliError {
        let location = match (error.line, error.column) {
            (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
            (Some(line), None) => format!("{path}:{line}"),
            _ => path.to_owned(),
        };
        CliError::Input(format!("{location}: {what}: {}", error.message))
    }
    pub(crate) fn internal(message: impl Into<String>) -> CliError {
        CliError::Internal(message.into())
    }
    pub(crate) fn output(error: io::Error) -> CliError {
        CliError::Output(error)
    }
}

/// Runs the command line of this process and returns its exit code.
pub fn main_from_env() -> ExitCode {
    let stdin = io::stdin();
    let stdout = io::stdout();
    let stderr = io::stderr();
    run(
        std::env::args_os(),
        &mut stdin.lock(),
        &mut stdout.lock(),
        &mut stderr.lock(),
    )
}

/// Runs `pullsim` with these arguments (the first is the program name) and streams.
pub fn run<I, T>(
    args: I,
    stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            let code = error.exit_code();
            let text = error.render().to_string();
            let stream: &mut dyn Write = if error.use_stderr() { err } else { out };
            // Nothing useful is left to do if the terminal is gone.
            let _ = stream.write_all(text.as_bytes());
            return ExitCode::from(u8::try_from(code).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Ref { json, refs } => reference::run(&refs, json, stdin, out),
        Command::Creds(CredsCommand::Match { pattern, target }) => {
            creds::run_match(&pattern, &target, out, err)
        }
        Command::Creds(CredsCommand::Lookup {
            image,
            pod_secrets,
            node_configs,
            provider_config,
            provider_answers,
            provider_bin_dir,
            service_account,
            service_account_annotations,
            json,
        }) => {
            let plugins = creds::ProviderFlags {
                config: provider_config.as_deref(),
                answers: provider_answers.as_deref(),
                bin_dir: provider_bin_dir.as_deref(),
                service_account: service_account.as_deref(),
                annotations: &service_account_annotations,
            };
            creds::run_lookup(
                &image,
                &pod_secrets,
                &node_configs,
                &plugins,
                json,
                out,
                err,
            )
        }
        Command::CredentialProvider { from } => credential_provider::run(&from, stdin, out, err),
        Command::Registry(RegistryCommand::Serve(args)) => registry_serve::run(&args, out),
        Command::Conformance(args) => conformance::run(&args, out, err),
        Command::Run(args) => run::run(&args, out),
    };
    let flushed = out.flush();
    match (result, flushed) {
        (Ok(Outcome::Yes), Ok(())) => ExitCode::SUCCESS,
        (Ok(Outcome::No), Ok(())) => ExitCode::from(1),
        // A reader that went away (`pullsim ref ... | head`) is not an error worth a message.
        (Err(CliError::Output(error)), _) | (Ok(_), Err(error))
            if error.kind() == io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        (Err(CliError::Diagnostics(lines)), _) => {
            let _ = writeln!(err, "{lines}");
            ExitCode::from(2)
        }
        (Err(error), _) => {
            let message = match error {
                CliError::Usage(message) | CliError::Input(message) => message,
                CliError::Output(error) => format!("cannot write output: {error}"),
                CliError::Internal(message) => format!("internal error (please report): {message}"),
                CliError::Diagnostics(lines) => lines,
            };
            let _ = writeln!(err, "pullsim: error: {message}");
            ExitCode::from(2)
        }
        (Ok(_), Err(error)) => {
            let _ = writeln!(err, "pullsim: error: cannot write output: {error}");
            ExitCode::from(2)
        }
    }
}
