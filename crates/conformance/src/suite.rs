//! Running the suite against one puller: every case on a fresh server (and, for redirect
//! cases, a second origin) of its own, several cases at once, each pull under a time
//! limit, and the findings gathered into a [`SuiteReport`].
//!
//! Cases are independent (their own registry, repository, folder and puller store), so
//! they run on a few worker threads; results come back to the calling thread, which
//! reports progress and keeps suite order in the report.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use pullsim_registry::RegistryConfig;

use crate::cases::Case;
use crate::evidence::{Evidence, Run};
use crate::progress::Progress;
use crate::puller::{PullJob, Puller};
use crate::report::{CaseReport, CaseResult, SuiteReport};
use crate::server::{RegistryServer, free_listener, unix_seconds_now};
use crate::stage::Stage;

/// How a suite runs.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    /// How many cases run at once.
    pub jobs: usize,
    /// The time limit of each pull; a puller still running then is killed.
    pub limit: Duration,
}

impl Default for RunOptions {
    /// Four cases at once (the pullers mostly wait on each other and on faults' delays),
    /// 30 s per pull.
    fn default() -> RunOptions {
        RunOptions {
            jobs: 4,
            limit: Duration::from_secs(30),
        }
    }
}

/// Runs `cases` against `puller`, with temporary folders under `root`.
pub fn run(
    puller: &dyn Puller,
    cases: &[Case],
    options: RunOptions,
    root: &Path,
    progress: &mut dyn Progress,
) -> SuiteReport {
    let started = now();
    progress.start(puller.name(), cases.len());
    let next = AtomicUsize::new(0);
    let (sender, receiver) = mpsc::channel();
    let mut reports: Vec<Option<CaseReport>> = vec![None; cases.len()];
    // Scoped threads: the workers borrow the puller and cases and are joined before the
    // scope ends, so no case outlives the run.
    std::thread::scope(|scope| {
        for _ in 0..options.jobs.clamp(1, cases.len().max(1)) {
            let sender = sender.clone();
            let next = &next;
            scope.spawn(move || {
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(case) = cases.get(index) else {
                        break;
                    };
                    let report = run_case(puller, case, options, root);
                    if sender.send((index, report)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        for (done, (index, report)) in receiver.iter().enumerate() {
            progress.case_done(&report, done + 1, cases.len());
            reports[index] = Some(report);
        }
    });
    progress.finish();
    SuiteReport {
        puller: puller.name().to_owned(),
        version: puller.version(),
        cases: reports.into_iter().flatten().collect(),
        duration: started.elapsed(),
    }
}

/// Runs one case; a harness failure becomes an `error` report rather than a lost case.
pub fn run_case(puller: &dyn Puller, case: &Case, options: RunOptions, root: &Path) -> CaseReport {
    let started = now();
    let mut report = attempt(puller, case, options, root).unwrap_or_else(|err| {
        CaseReport::error(case.id, case.group, case.title, format!("{err:#}"))
    });
    report.duration = started.elapsed();
    report
}

fn attempt(
    puller: &dyn Puller,
    case: &Case,
    options: RunOptions,
    root: &Path,
) -> anyhow::Result<CaseReport> {
    let folder = root.join(case.id);
    std::fs::create_dir_all(&folder).with_context(|| format!("create {}", folder.display()))?;
    let mirror_listener = if case.mirror {
        Some(free_listener()?)
    } else {
        None
    };
    let blob_redirect = match &mirror_listener {
        Some(listener) => Some(format!("http://{}", listener.local_addr()?)),
        None => None,
    };
    let config = RegistryConfig {
        auth: case.auth,
        blob_redirect,
        epoch_unix_seconds: unix_seconds_now(),
        ..RegistryConfig::default()
    };
    let mut stage = Stage::new(&case.repository(), config);
    let plan = (case.arrange)(&mut stage).context("setting up the registry")?;
    let mut report = CaseReport {
        id: case.id.to_owned(),
        group: case.group,
        title: case.title.to_owned(),
        result: CaseResult::Pass,
        must: Vec::new(),
        observed: Default::default(),
        requests: 0,
        duration: Duration::ZERO,
    };
    for need in Case::needs(&plan) {
        if let Some(reason) = puller.lacks(need) {
            report.result = CaseResult::Skipped;
            report.observed.insert("skipped".to_owned(), reason.into());
            return Ok(report);
        }
    }
    let (registry, mirror) = stage.finish()?;
    let mirror_server = match (mirror_listener, mirror) {
        (Some(listener), Some(mirror)) => {
            Some(RegistryServer::start_on(listener, mirror, Vec::new())?)
        }
        _ => None,
    };
    let server = RegistryServer::start(registry, Vec::new())?;
    // The harness's own set-up reads are in the logs already; the puller's come after.
    let mirror_cursor = mirror_server.as_ref().map(RegistryServer::log_cursor);
    let mut runs = Vec::new();
    for (number, pull) in plan.pulls.iter().enumerate() {
        let job = PullJob {
            registry: server.host(),
            repository: pull.repository.clone(),
            image: pull.image.clone(),
            platform: pull.platform.clone(),
            credentials: pull.credentials.clone(),
            challenge: case.auth,
            folder: folder.clone(),
            store: case.id.to_owned(),
            label: format!("pull-{}", number + 1),
        };
        let cursor = server.log_cursor();
        let pulled_at = now();
        let outcome = puller.pull(&job, options.limit)?;
        let duration = pulled_at.elapsed();
        let log = server.log_since(cursor);
        let stored = puller
            .stored(&job)
            .context("reading back what the puller stored")?;
        runs.push(Run {
            job,
            outcome,
            duration,
            log,
            stored,
        });
    }
    let mirror_log = mirror_server
        .as_ref()
        .zip(mirror_cursor)
        .map(|(mirror, cursor)| mirror.log_since(cursor))
        .unwrap_or_default();
    let evidence = Evidence {
        plan,
        runs,
        mirror_log,
    };
    let findings = (case.judge)(&evidence);
    report.requests = evidence.requests();
    report.result = if findings.must.iter().all(|check| check.pass) {
        CaseResult::Pass
    } else {
        CaseResult::Fail
    };
    report.must = findings.must;
    report.observed = findings.observed;
    Ok(report)
}

#[expect(
    clippy::disallowed_methods,
    reason = "the harness times real programs with the wall clock"
)]
fn now() -> Instant {
    Instant::now()
}
