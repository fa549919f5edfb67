//! [`Scenario`]: the whole file, typed and validated, and [`Scenario::parse`], which reads
//! every section, checks that everything one section names exists in another, and returns
//! either the scenario or every mistake.
//!
//! The smaller top-level sections live here: `admission:` and `run:`; `kubernetes:`
//! (behaviour that differs between releases) is read beside it, as [`crate::Kubernetes`].
//!
//! ```yaml
//! name: ifnotpresent-drift
//! description: A tag re-pushed mid-rollout runs two versions at once.
//! seed: 7
//! kubernetes:
//!   behavior: mainline                 # or legacy, or {pullQpsErrorHasPeriod: true, ...}
//!   featureGates: {KubeletEnsureSecretPulledImages: true}
//!   platforms: v0.2                    # containerd/platforms rules: v0.2 or v1
//!   allowlistNormalizes: true
//!   maxConcurrentDownloads: 3          # containerd's layers fetched at once per pull
//!   podWorker: {errorRequeue: 10s, resync: 1m}   # fixed delays; default: jittered, seeded
//! admission: {alwaysPullImages: false, digestPinning: {failurePolicy: Fail}}   # or true/false
//! run: {for: 30m}                      # or {until: allRunning, limit: 1h}
//! ```

use std::time::Duration;

use pullsim_model::{Secret, SimTime};
use pullsim_sim::{
    AdmissionConfig, CredentialPlugin, DigestPinning, FailurePolicy, NodePool, ServiceAccount,
};

use crate::ceilings::within_ceilings;
use crate::diagnostics::{Diagnostics, ScenarioErrors};
use crate::expect::{Expectation, read_expectations};
use crate::fields::{Fields, boolean, duration, number, text};
use crate::kubernetes::{Kubernetes, read_kubernetes};
use crate::manifests::{ManifestFiles, ManifestSource, NoManifests};
use crate::nodes::{PoolDefaults, read_node_pools};
use crate::objects::{read_secrets, read_service_accounts};
use crate::plugins::read_plugins;
use crate::providers::ProviderFiles;
use crate::references::{Known, Names, check_scenario};
use crate::registries::{RegistryHost, read_registries};
use crate::suggest::{suggestion, unknown_value_message};
use crate::timeline::{
    TimedAction, Timeline, add_applies, check_scenario_workloads, read_applies, read_timeline,
};
use crate::tree::{Node, parse_document};
use crate::workloads::{Context, Origin, Workload, read_pod, read_workloads};

/// A scenario file, read and validated: everything a runner needs to build the world,
/// drive it, and judge the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// `name`: a short identifier.
    pub name: String,
    /// `description`: what the scenario shows and why it matters.
    pub description: String,
    /// `seed`: the one seed of every random choice of the run (default 1).
    pub seed: u64,
    /// `kubernetes`: behaviour that differs between releases.
    pub kubernetes: Kubernetes,
    /// `registries`.
    pub registries: Vec<RegistryHost>,
    /// `credentialPlugins`: what each kubelet credential-provider plugin answers.
    pub credential_plugins: Vec<CredentialPlugin>,
    /// `nodes`, as the simulator's pools.
    pub node_pools: Vec<NodePool>,
    /// `secrets`, stored as the API server stores them.
    pub secrets: Vec<Secret>,
    /// `serviceAccounts`.
    pub service_accounts: Vec<ServiceAccount>,
    /// `admission`: the steps applied to every pod when it is created (after the
    /// ServiceAccount plugin, which is always on).
    pub admission: AdmissionConfig,
    /// `workloads`, and the pods the timeline creates, in creation order: the simulator's
    /// pods and workloads with their creation times.
    pub workloads: Vec<Workload>,
    /// `timeline`, in time order.
    pub timeline: Vec<TimedAction>,
    /// `run`.
    pub run: Run,
    /// `expect`.
    pub expectations: Vec<Expectation>,
    /// What the transcript tells before the story: the objects of `manifests:` files that
    /// pullsim does not model and skipped, one line per file.
    pub notes: Vec<String>,
}

/// How long the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// When it stops.
    pub stop: Stop,
    /// The most events it may process; reaching it is a failure that names the seed.
    pub events_max: u64,
}

/// When a run stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// After exactly this long.
    After(Duration),
    /// When every pod is Running, or after `limit` (a failure).
    AllRunning {
        /// The longest the run may take.
        limit: Duration,
    },
}

impl Run {
    /// The latest virtual time the run can reach.
    pub fn end(&self) -> SimTime {
        match self.stop {
            Stop::After(length) | Stop::AllRunning { limit: length } => {
                SimTime::from_duration(length)
            }
        }
    }
}

/// The default `run:` limit.
pub const RUN_LIMIT_DEFAULT: Duration = Duration::from_secs(3600);
/// The default `run.eventsMax`.
pub const EVENTS_MAX_DEFAULT: u64 = 10_000_000;

impl Scenario {
    /// Reads a scenario from a file's bytes: [`Scenario::parse`] once they are UTF-8, else
    /// one error at the line and column of the first byte that is not.
    pub fn parse_bytes(file_name: &str, bytes: &[u8]) -> Result<Scenario, ScenarioErrors> {
        Scenario::parse_bytes_with(file_name, bytes, &mut NoManifests)
    }

    /// [`Scenario::parse_with`] from a file's bytes, as [`Scenario::parse_bytes`] reads them.
    pub fn parse_bytes_with(
        file_name: &str,
        bytes: &[u8],
        source: &mut dyn ManifestSource,
    ) -> Result<Scenario, ScenarioErrors> {
        match crate::diagnostics::utf8_text(bytes) {
            Ok(text) => Scenario::parse_with(file_name, text, source),
            Err(error) => Err(ScenarioErrors {
                file_name: file_name.to_owned(),
                errors: vec![error],
            }),
        }
    }

    /// Reads a scenario. `file_name` only labels the errors (`file:line:column: message`).
    /// Never panics: any text gives a scenario or errors. It reads no other file: a
    /// `manifests:` entry is an error (use [`Scenario::parse_with`]).
    pub fn parse(file_name: &str, text: &str) -> Result<Scenario, ScenarioErrors> {
        Scenario::parse_with(file_name, text, &mut NoManifests)
    }

    /// Reads a scenario whose `manifests:` files come from `source`, which is asked for each
    /// path as written (relative to the scenario file). Errors in such a file name it as
    /// the path joined to `file_name`'s folder.
    pub fn parse_with(
        file_name: &str,
        text: &str,
        source: &mut dyn ManifestSource,
    ) -> Result<Scenario, ScenarioErrors> {
        let mut diagnostics = Diagnostics::default();
        let scenario = parse_document(text, &mut diagnostics)
            .and_then(|root| read_scenario(&root, file_name, source, &mut diagnostics));
        match (diagnostics.finish(file_name), scenario) {
            (None, Some(scenario)) => Ok(scenario),
            (Some(errors), _) => Err(errors),
            (None, None) => Err(ScenarioErrors {
                file_name: file_name.to_owned(),
                errors: vec![crate::diagnostics::ScenarioError {
                    position: crate::diagnostics::Position::START,
                    message: "the scenario could not be read".to_owned(),
                    file: None,
                }],
            }),
        }
    }
}

/// The top-level keys.
const SECTIONS: [&str; 15] = [
    "name",
    "description",
    "seed",
    "kubernetes",
    "registries",
    "credentialPlugins",
    "nodes",
    "secrets",
    "serviceAccounts",
    "admission",
    "workloads",
    "manifests",
    "timeline",
    "run",
    "expect",
];

/// Reads the sections in the order their references need (registries before the nodes
/// that link to them, Secrets and the timeline before the pods that name them, pods before
/// the expectations about them; the `manifests:` files first, their Secrets and
/// ServiceAccounts beside the sections' and their workloads after `workloads:`); errors
/// come out in file order regardless.
fn read_scenario(
    root: &Node,
    file_name: &str,
    source: &mut dyn ManifestSource,
    diagnostics: &mut Diagnostics,
) -> Option<Scenario> {
    let mut fields = Fields::of(root, "a scenario", diagnostics)?;
    let name = fields
        .require("name", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let description = fields
        .require("description", diagnostics)
        .and_then(|n| text(n, diagnostics));
    let seed = fields
        .get("seed")
        .map_or(Some(1), |n| number::<u64>(n, diagnostics));
    let kubernetes_node = fields.get("kubernetes");
    let registries_node = fields.get("registries");
    let plugins_node = fields.get("credentialPlugins");
    let nodes_node = fields.get("nodes");
    let secrets_node = fields.get("secrets");
    let accounts_node = fields.get("serviceAccounts");
    let admission_node = fields.get("admission");
    let workloads_node = fields.get("workloads");
    let manifests_node = fields.get("manifests");
    let timeline_node = fields.get("timeline");
    let run_node = fields.get("run");
    let expect_node = fields.get("expect");
    let misspelled: Vec<&str> = root
        .entries()
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| suggestion(&entry.key, &SECTIONS).filter(|near| *near != entry.key))
        .collect();
    fields.finish(diagnostics);
    let errors_before_manifests = diagnostics.count();
    let manifests = manifests_node
        .map(|n| ManifestFiles::load(n, file_name, source, diagnostics))
        .unwrap_or_default();
    let manifests_unreadable = diagnostics.count() > errors_before_manifests;
    // Before anything that grows with the pods or nodes: a scenario over a ceiling is read
    // for its other mistakes, but its pods are never listed.
    let within = within_ceilings(
        nodes_node,
        workloads_node,
        timeline_node,
        manifests.workload_nodes(),
        diagnostics,
    );

    let kubernetes = kubernetes_node.map_or(Some(Kubernetes::default()), |n| {
        read_kubernetes(n, diagnostics)
    });
    let pool_defaults = PoolDefaults {
        allowlist_normalizes: kubernetes.is_none_or(|kubernetes| kubernetes.allowlist_normalizes),
        ensure_secret_pulled_images: kubernetes
            .is_none_or(|kubernetes| kubernetes.ensure_secret_pulled_images),
    };
    let admission = admission_node.map_or(Some(AdmissionConfig::default()), |n| {
        read_admission(n, diagnostics)
    });
    let run = run_node.map_or(
        Some(Run {
            stop: Stop::AllRunning {
                limit: RUN_LIMIT_DEFAULT,
            },
            events_max: EVENTS_MAX_DEFAULT,
        }),
        |n| read_run(n, diagnostics),
    );
    // Each section's errors make its names uncertain (see `Known`).
    let mut errors_before = diagnostics.count();
    let mut had_errors = |diagnostics: &Diagnostics| {
        let had = diagnostics.count() > errors_before;
        errors_before = diagnostics.count();
        had
    };
    let registries = registries_node
        .map(|n| read_registries(n, diagnostics))
        .unwrap_or_default();
    let mut known = Known::with_registries(registries.iter().map(|registry| registry.host.clone()));
    for (section, names) in [
        ("registries", Names::Registries),
        ("nodes", Names::Nodes),
        ("secrets", Names::Secrets),
        ("serviceAccounts", Names::ServiceAccounts),
        ("workloads", Names::Pods),
        ("manifests", Names::Pods),
        ("manifests", Names::Secrets),
        ("manifests", Names::ServiceAccounts),
        ("timeline", Names::Pods),
    ] {
        if misspelled.contains(&section) {
            known.set_uncertain(names);
        }
    }
    if manifests_unreadable {
        // A file that could not be read (or read completely) may hold any of these.
        known.set_uncertain(Names::Pods);
        known.set_uncertain(Names::Secrets);
        known.set_uncertain(Names::ServiceAccounts);
    }
    if had_errors(diagnostics) {
        known.set_uncertain(Names::Registries);
    }
    known.set_run_end(run.map(|run| run.end()));
    let credential_plugins = plugins_node
        .map(|n| read_plugins(n, &known, diagnostics))
        .unwrap_or_default();
    let plugins_uncertain = had_errors(diagnostics);
    known.set_plugins(
        (!plugins_uncertain).then(|| credential_plugins.iter().map(|p| p.name.clone()).collect()),
    );
    let mut provider_files = ProviderFiles {
        scenario_file: file_name,
        source,
        plugins: credential_plugins.iter().map(|p| p.name.clone()).collect(),
        plugins_uncertain,
    };
    let node_pools = nodes_node
        .map(|n| {
            read_node_pools(
                n,
                pool_defaults,
                &registries,
                &known,
                &mut provider_files,
                diagnostics,
            )
        })
        .unwrap_or_default();
    known.add_pools(&node_pools);
    if had_errors(diagnostics) {
        known.set_uncertain(Names::Nodes);
    }
    let mut secrets = secrets_node
        .map(|n| read_secrets(n, diagnostics))
        .unwrap_or_default();
    for (secret, file, position) in manifests.secrets(diagnostics) {
        if secrets
            .iter()
            .any(|(other, _)| other.name == secret.name && other.namespace == secret.namespace)
        {
            diagnostics.error_in(
                Some(&file),
                position,
                format!(
                    "secret {}/{} is already defined (in the scenario or an earlier manifests file)",
                    secret.namespace, secret.name
                ),
            );
            continue;
        }
        secrets.push((secret, position));
    }
    for (secret, _) in &secrets {
        known.add_secret(&secret.namespace, &secret.name);
    }
    if had_errors(diagnostics) {
        known.set_uncertain(Names::Secrets);
    }
    let Timeline {
        actions: mut timeline,
        pods: timeline_pods,
        objects: timeline_objects,
    } = timeline_node
        .map(|n| read_timeline(n, &known, diagnostics))
        .unwrap_or_default();
    known.add_timeline(&timeline);
    if had_errors(diagnostics) {
        known.set_uncertain(Names::Secrets);
        known.set_uncertain(Names::Nodes);
        known.set_uncertain(Names::Pods);
    }
    let mut service_accounts = accounts_node
        .map(|n| read_service_accounts(n, diagnostics))
        .unwrap_or_default();
    for (account, file, position) in manifests.service_accounts(diagnostics) {
        if service_accounts
            .iter()
            .any(|other| other.name == account.name && other.namespace == account.namespace)
        {
            diagnostics.error_in(
                Some(&file),
                position,
                format!(
                    "service account {}/{} is already defined (in the scenario or an earlier manifests file)",
                    account.namespace, account.name
                ),
            );
            continue;
        }
        service_accounts.push(account);
    }
    for account in &service_accounts {
        known.add_service_account(&account.namespace, &account.name);
    }
    if had_errors(diagnostics) {
        known.set_uncertain(Names::ServiceAccounts);
    }
    let context = Context {
        known: &known,
        pools: &node_pools,
    };
    let mut workloads = workloads_node
        .map(|n| read_workloads(n, &context, diagnostics))
        .unwrap_or_default();
    workloads.extend(manifests.workloads(&context, &known, diagnostics));
    for (at, pod) in timeline_pods {
        workloads.extend(read_pod(
            pod,
            Origin::Timeline(at),
            "Pod",
            &context,
            diagnostics,
        ));
    }
    workloads.sort_by_key(|workload| workload.at);
    add_applies(
        &mut timeline,
        read_applies(&timeline_objects, &context, diagnostics),
    );
    if had_errors(diagnostics) {
        known.set_uncertain(Names::Pods);
    }
    let mut scenario = Scenario {
        name: name?,
        description: description?,
        seed: seed?,
        kubernetes: kubernetes?,
        registries,
        credential_plugins,
        node_pools,
        secrets: secrets.into_iter().map(|(secret, _)| secret).collect(),
        service_accounts,
        admission: admission?,
        workloads,
        timeline,
        run: run?,
        expectations: Vec::new(),
        notes: manifests.notes(),
    };
    if !within {
        return None;
    }
    check_scenario(&scenario, &mut known, diagnostics);
    scenario.expectations = expect_node
        .map(|n| read_expectations(n, &known, diagnostics))
        .unwrap_or_default();
    check_scenario_workloads(&scenario, &known, diagnostics);
    Some(scenario)
}

/// `admission:`, as the simulator's admission plugins.
fn read_admission(node: &Node, diagnostics: &mut Diagnostics) -> Option<AdmissionConfig> {
    let mut fields = Fields::of(node, "admission steps", diagnostics)?;
    let always = fields
        .get("alwaysPullImages")
        .map_or(Some(false), |n| boolean(n, diagnostics));
    let pinning = match fields.get("digestPinning") {
        None => Some(None),
        Some(n) if n.entries().is_some() => read_webhook(n, diagnostics).map(Some),
        Some(n) => boolean(n, diagnostics).map(|on| on.then_some(FailurePolicy::Fail)),
    };
    fields.finish(diagnostics);
    Some(AdmissionConfig {
        always_pull_images: always?,
        digest_pinning: pinning?.map(|failure_policy| DigestPinning { failure_policy }),
    })
}

/// `digestPinning: {failurePolicy: Fail|Ignore}`; `Fail` is the API's default.
fn read_webhook(node: &Node, diagnostics: &mut Diagnostics) -> Option<FailurePolicy> {
    let mut fields = Fields::of(node, "the digest-pinning webhook", diagnostics)?;
    let policy = fields
        .get("failurePolicy")
        .map_or(Some(FailurePolicy::Fail), |p| {
            match text(p, diagnostics).as_deref() {
                Some("Fail") => Some(FailurePolicy::Fail),
                Some("Ignore") => Some(FailurePolicy::Ignore),
                Some(other) => {
                    diagnostics.error(
                        p.position,
                        unknown_value_message("failure policy", other, &["Fail", "Ignore"]),
                    );
                    None
                }
                None => None,
            }
        });
    fields.finish(diagnostics);
    policy
}

fn read_run(node: &Node, diagnostics: &mut Diagnostics) -> Option<Run> {
    let mut fields = Fields::of(node, "the run", diagnostics)?;
    let position = fields.position();
    let for_node = fields.get("for");
    let until_node = fields.get("until");
    let limit_node = fields.get("limit");
    let events_max = fields
        .get("eventsMax")
        .map_or(Some(EVENTS_MAX_DEFAULT), |n| number::<u64>(n, diagnostics));
    fields.finish(diagnostics);
    let stop = match (for_node, until_node) {
        (Some(length), None) => {
            if let Some(limit) = limit_node {
                diagnostics.error(
                    limit.position,
                    "limit goes with until: allRunning; a run for a fixed time has no other limit",
                );
            }
            duration(length, diagnostics).map(Stop::After)
        }
        (None, Some(until)) => {
            let condition = text(until, diagnostics);
            if condition
                .as_deref()
                .is_some_and(|condition| condition != "allRunning")
            {
                diagnostics.error(
                    until.position,
                    unknown_value_message(
                        "stop condition",
                        condition.as_deref().unwrap_or_default(),
                        &["allRunning"],
                    ),
                );
            }
            let limit = limit_node.map_or(Some(RUN_LIMIT_DEFAULT), |n| duration(n, diagnostics));
            condition.filter(|condition| condition == "allRunning")?;
            limit.map(|limit| Stop::AllRunning { limit })
        }
        _ => {
            diagnostics.error(
                position,
                "a run needs exactly one of for (a duration) or until: allRunning",
            );
            None
        }
    };
    if let Some(Stop::After(length) | Stop::AllRunning { limit: length }) = stop
        && length.is_zero()
    {
        diagnostics.error(position, "a run must last longer than 0s");
        return None;
    }
    Some(Run {
        stop: stop?,
        events_max: events_max?,
    })
}
